import ArgumentParser
import Foundation
import PersonaCore
import Yams

/// An experiment file: data, split, model family and hyperparameters,
/// evaluation and outputs, written down so a run can be repeated exactly.
/// Model keys are the family's declared parameter keys (the flags of
/// `persona train FAMILY` without the dashes: `class_weight` or `class-weight`
/// for --class-weight), plus `features` and `exclude`; lists become
/// comma-separated values; `true` turns a switch on.
struct Experiment {
    struct Value {
        var text: String
        var isFlag: Bool        // true/false: a flag, given or not
        var line: Int
    }

    var file: String
    var name: String
    var train: String
    var test: String?
    var delimiter: String = ","
    var testFraction = 0.2
    var stratify: String?
    var splitSeed: UInt64 = 0
    var family: String
    /// The line of the model section, for keys that are missing from it.
    var modelLine: Int?
    var model: [(key: String, value: Value)] = []
    var grid: [(key: String, values: [Value])] = []
    var folds = 5
    var evalSeed: UInt64 = 0
    var threshold: Double?
    var k = 10
    var importance = false
    var outputDir: String
    var report = true

    static var families: [String] { ModelRegistry.kinds }
    static let sections: [String: Set<String>] = [
        "data": ["train", "test", "delimiter"],
        "split": ["test_fraction", "stratify", "seed"],
        "evaluate": ["seed", "threshold", "k", "importance", "folds"],
        "output": ["dir", "report"],
    ]

    static func error(_ file: String, _ line: Int?, _ key: String, _ what: String, fix: String? = nil) -> PersonaError {
        let stop = what.last.map { ".?!".contains($0) } ?? false
        return PersonaError("\(file)\(line.map { ", line \($0)" } ?? ""): \(key): \(what)" + (fix.map { (stop ? " " : ". ") + $0 } ?? ""))
    }

    static func line(_ n: Node) -> Int? { n.mark?.line }

    static func load(path: String) throws -> Experiment {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PersonaError("\(path): cannot be read. Check the path")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw PersonaError("\(path): not valid YAML (\(error))")
        }
        guard let top = root?.mapping else {
            throw PersonaError("\(path): expected a mapping with data, model and the other sections (see `persona run --help`)")
        }
        var sections: [String: Node] = [:]
        var name: String? = nil
        for (k, v) in top {
            guard let key = k.string else { throw error(path, line(k), "?", "keys must be text") }
            if sections[key] != nil || (key == "name" && name != nil) { throw error(path, line(k), key, "appears twice") }
            switch key {
            case "name": name = try scalar(path, key, v)
            case "data", "split", "model", "grid", "evaluate", "output": sections[key] = v
            default:
                throw error(path, line(k), key, "is not a section of an experiment file",
                            fix: "Sections are name, data, split, model, grid, evaluate and output")
            }
        }
        func entries(_ section: String) throws -> [(key: String, node: Node)] {
            guard let node = sections[section] else { return [] }
            guard let map = node.mapping else { throw error(path, line(node), section, "expected a mapping of keys to values") }
            var seen = Set<String>()
            var out: [(key: String, node: Node)] = []
            for (k, v) in map {
                guard let key = k.string else { throw error(path, line(k), section, "keys must be text") }
                if !seen.insert(key).inserted { throw error(path, line(k), "\(section).\(key)", "appears twice") }
                if let allowed = Self.sections[section], !allowed.contains(key) {
                    throw error(path, line(k), "\(section).\(key)", "is not a key of \(section)",
                                fix: "Keys of \(section): \(allowed.sorted().joined(separator: ", "))")
                }
                out.append((key, v))
            }
            return out
        }
        let data = try entries("data")
        guard let trainNode = data.first(where: { $0.key == "train" }) else {
            throw error(path, line(sections["data"] ?? top.keys.first!), "data.train", "is required: the CSV file to train on")
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String {
            if p == "." { return base.isEmpty ? "." : base }
            return p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p
        }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var e = Experiment(file: path, name: name ?? stem, train: resolve(try scalar(path, "data.train", trainNode.node)),
                           family: "", outputDir: "")
        for (key, node) in data {
            switch key {
            case "test": e.test = resolve(try scalar(path, "data.test", node))
            case "delimiter": e.delimiter = try scalar(path, "data.delimiter", node)
            default: break
            }
        }
        for (key, node) in try entries("split") {
            switch key {
            case "test_fraction":
                guard let v = node.float, v > 0, v < 1 else { throw error(path, line(node), "split.test_fraction", "expected a number between 0 and 1") }
                e.testFraction = v
            case "stratify": e.stratify = try scalar(path, "split.stratify", node)
            default: e.splitSeed = try unsigned(path, "split.seed", node)
            }
        }
        for (key, node) in try entries("evaluate") {
            switch key {
            case "seed": e.evalSeed = try unsigned(path, "evaluate.seed", node)
            case "threshold":
                guard let v = node.float, v > 0, v < 1 else { throw error(path, line(node), "evaluate.threshold", "expected a number between 0 and 1") }
                e.threshold = v
            case "k": e.k = Int(try unsigned(path, "evaluate.k", node)); if e.k < 1 { throw error(path, line(node), "evaluate.k", "must be at least 1") }
            case "folds": e.folds = Int(try unsigned(path, "evaluate.folds", node)); if e.folds < 2 { throw error(path, line(node), "evaluate.folds", "must be at least 2") }
            default:
                guard let b = node.bool else { throw error(path, line(node), "evaluate.importance", "expected true or false") }
                e.importance = b
            }
        }
        e.outputDir = resolve("runs/" + e.name)
        for (key, node) in try entries("output") {
            if key == "dir" { e.outputDir = resolve(try scalar(path, "output.dir", node)) }
            else {
                guard let b = node.bool else { throw error(path, line(node), "output.report", "expected true or false") }
                e.report = b
            }
        }
        // model: the family, then the train flags
        guard let modelNode = sections["model"] else { throw error(path, nil, "model", "is required (family and hyperparameters)") }
        guard let model = modelNode.mapping else { throw error(path, line(modelNode), "model", "expected a mapping of keys to values") }
        var seen = Set<String>()
        for (k, v) in model {
            guard let raw = k.string else { throw error(path, line(k), "model", "keys must be text") }
            let key = yamlKey(raw)
            if !seen.insert(key).inserted { throw error(path, line(k), "model.\(raw)", "appears twice") }
            if key == "family" {
                let f = try scalar(path, "model.family", v)
                guard families.contains(f) else {
                    throw error(path, line(v), "model.family", "unknown family \"\(f)\"", fix: "Use one of \(families.joined(separator: ", "))")
                }
                e.family = f
                continue
            }
            if ["data", "out", "delimiter", "quiet"].contains(key) {
                throw error(path, line(k), "model.\(raw)", "is set by the experiment itself", fix: "Use data.train, data.delimiter and output.dir")
            }
            e.model.append((key, try value(path, "model.\(raw)", v)))
        }
        e.modelLine = line(modelNode)
        guard !e.family.isEmpty else { throw error(path, line(modelNode), "model.family", "is required: one of \(families.joined(separator: ", "))") }
        // grid: lists of values for model keys
        if let gridNode = sections["grid"] {
            guard let grid = gridNode.mapping else { throw error(path, line(gridNode), "grid", "expected a mapping of model keys to lists of values") }
            for (k, v) in grid {
                guard let raw = k.string else { throw error(path, line(k), "grid", "keys must be text") }
                let key = yamlKey(raw)
                guard let list = v.sequence, !list.isEmpty else {
                    throw error(path, line(v), "grid.\(raw)", "expected a non-empty list of values, such as [0.001, 0.01]")
                }
                if e.grid.contains(where: { $0.key == key }) { throw error(path, line(k), "grid.\(raw)", "appears twice") }
                e.grid.append((key, try list.map { try value(path, "grid.\(raw)", $0) }))
            }
        }
        return e
    }

    static func scalar(_ path: String, _ key: String, _ n: Node) throws -> String {
        guard let s = n.scalar?.string else { throw error(path, line(n), key, "expected a single value") }
        return s
    }

    static func unsigned(_ path: String, _ key: String, _ n: Node) throws -> UInt64 {
        guard let s = n.scalar?.string, let v = UInt64(s) else { throw error(path, line(n), key, "expected a whole number of 0 or more") }
        return v
    }

    static func value(_ path: String, _ key: String, _ n: Node) throws -> Value {
        let l = line(n) ?? 0
        if let seq = n.sequence {
            let parts = try seq.map { try scalar(path, key, $0) }
            return Value(text: parts.joined(separator: ","), isFlag: false, line: l)
        }
        guard let s = n.scalar else { throw error(path, line(n), key, "expected a value or a list of values") }
        if n.scalar?.style == .plain, let b = n.bool { return Value(text: b ? "true" : "false", isFlag: true, line: l) }
        return Value(text: s.string, isFlag: false, line: l)
    }

    /// Every combination of the grid's values (one empty combination without a grid).
    var combinations: [[(key: String, value: Value)]] {
        var out: [[(key: String, value: Value)]] = [[]]
        for g in grid {
            out = out.flatMap { combo in g.values.map { combo + [(g.key, $0)] } }
        }
        return out
    }

    /// The model keys for one combination: the grid's values over the model's, sorted by key.
    func settings(_ combo: [(key: String, value: Value)]) -> [(key: String, value: Value)] {
        (model.filter { m in !combo.contains { $0.key == m.key } } + combo).sorted { $0.key < $1.key }
    }

    /// A flag name as written in the file (`max-depth` -> `max_depth`).
    static func yamlKey(_ flag: String) -> String { flag.replacingOccurrences(of: "-", with: "_") }
}
