import Foundation
import Yams

/// An experiment file: data, split, model family and hyperparameters,
/// evaluation and outputs, written down so a run can be repeated exactly.
/// Model keys are the family's declared parameter keys (the flags of
/// `persona train FAMILY` without the dashes: `class_weight` or `class-weight`
/// for --class-weight), plus `features` and `exclude`; lists become
/// comma-separated values; `true` turns a switch on.
public struct Experiment {
    public struct Value {
        public var text: String
        public var isFlag: Bool        // true/false: a flag, given or not
        public var line: Int
    }

    public var file: String
    public var name: String
    public var train: String
    public var test: String?
    public var delimiter: String = "auto"
    public var testFraction = 0.2
    public var stratify: String?
    public var splitSeed: UInt64 = 0
    public var family: String
    /// The line of the model section, for keys that are missing from it.
    public var modelLine: Int?
    public var model: [(key: String, value: Value)] = []
    public var grid: [(key: String, values: [Value])] = []
    public var folds = 5
    public var evalSeed: UInt64 = 0
    public var threshold: Double?
    public var k = 10
    public var importance = false
    public var outputDir: String
    public var report = true

    static var families: [String] { ModelRegistry.kinds }
    static let sections: [String: Set<String>] = [
        "data": ["train", "test", "delimiter"],
        "split": ["test_fraction", "stratify", "seed"],
        "evaluate": ["seed", "threshold", "k", "importance", "folds"],
        "output": ["dir", "report"],
    ]

    public static func error(_ file: String, _ line: Int?, _ key: String, _ what: String, fix: String? = nil) -> PersonaError {
        let stop = what.last.map { ".?!".contains($0) } ?? false
        return PersonaError("\(file)\(line.map { ", line \($0)" } ?? ""): \(key): \(what)" + (fix.map { (stop ? " " : ". ") + $0 } ?? ""))
    }

    static func line(_ n: Node) -> Int? { n.mark?.line }

    public static func load(path: String) throws -> Experiment {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PersonaError("\(path): cannot be read. Check the path")
        }
        return try load(text: text, path: path)
    }

    /// The experiment that `text`, read from `path` (relative paths in it are
    /// resolved against the file's folder), describes; every mistake names the
    /// key and its line.
    public static func load(text: String, path: String) throws -> Experiment {
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
    public var combinations: [[(key: String, value: Value)]] {
        var out: [[(key: String, value: Value)]] = [[]]
        for g in grid {
            out = out.flatMap { combo in g.values.map { combo + [(g.key, $0)] } }
        }
        return out
    }

    /// The model keys for one combination: the grid's values over the model's, sorted by key.
    public func settings(_ combo: [(key: String, value: Value)]) -> [(key: String, value: Value)] {
        (model.filter { m in !combo.contains { $0.key == m.key } } + combo).sorted { $0.key < $1.key }
    }

    /// A flag name as written in the file (`max-depth` -> `max_depth`).
    static func yamlKey(_ flag: String) -> String { flag.replacingOccurrences(of: "-", with: "_") }
}

// MARK: running an experiment

extension Experiment {
    /// A family's settings for one combination of the grid: its configuration,
    /// checked against every declared constraint, and the feature columns.
    /// Mistakes name the key and its line.
    func configuration<M: TrainableModel>(_ combo: [(key: String, value: Experiment.Value)], _ family: M.Type) throws
        -> (config: M.Config, selection: ColumnSelection) {
        var config = M.Config()
        var selection = ColumnSelection()
        let entries = self.settings(combo)
        var given = Set<String>()
        for (key, v) in entries {
            switch key {
            case "features": selection.features = commaList(v.text)
            case "exclude": selection.exclude = commaList(v.text)
            default:
                guard let p = M.Config.parameter(key) else {
                    throw Experiment.error(self.file, v.line, "model.\(key)", "is not a setting of \(self.family)",
                                           fix: "Keys of model: " + (["family", "features", "exclude"] + M.Config.parameters.map(\.key)).joined(separator: ", "))
                }
                given.insert(p.key)
                do { try config.set(key, v.text) } catch let error as ParameterError {
                    throw Experiment.error(self.file, v.line, "model.\(key)", error.message(.key))
                }
            }
        }
        for p in M.Config.parameters where p.isRequired && !given.contains(p.key) {
            throw Experiment.error(self.file, self.modelLine, "model.\(p.key)", "is required for \(self.family): \(p.help)")
        }
        do { try config.validate() } catch let error as ParameterError {
            throw parameterError(error, entries)
        }
        return (config, selection)
    }

    /// A refused parameter, placed at the line of the first key it names.
    func parameterError(_ error: ParameterError, _ entries: [(key: String, value: Experiment.Value)]) -> PersonaError {
        let keys = error.parameters.map(\.key)
        let hit = entries.first { entry in keys.contains { k in k == entry.key || "no_" + k == entry.key } }
        return Experiment.error(self.file, hit?.value.line ?? self.modelLine, "model.\(hit?.key ?? keys.first ?? "")", error.message(.key))
    }

    /// What a run made: the parts it trained and was evaluated on, and the evaluation.
    public struct RunResult {
        public var train: String
        public var test: String
        public var evaluation: Evaluation
    }

    /// Runs the experiment: checks every combination of the grid, splits the
    /// data when it has no test part, ranks the grid (families that train on
    /// rows by cross-validation on the train part, the others on the test
    /// part), fits the chosen configuration, evaluates it on the test part and
    /// writes the model, metrics.json, report.html, grid.csv and resolved.yaml
    /// to the output folder. `report` receives the grid's lines as they come.
    public func run(report: @escaping (String) -> Void) throws -> RunResult {
        guard let family = ModelRegistry.family(kind: family) else {
            throw Experiment.error(file, nil, "model.family", "unknown family \"\(self.family)\"")
        }
        return try run(family, report: report)
    }

    func run<M: TrainableModel>(_ family: M.Type, report: @escaping (String) -> Void) throws -> RunResult {
        // Every combination is checked before any work is done.
        let combos = self.combinations
        let configured = try combos.map { try configuration($0, family) }
        _ = try parseDelimiterOption(self.delimiter)
        try FileManager.default.createDirectory(atPath: self.outputDir, withIntermediateDirectories: true)
        let dir = self.outputDir
        // data
        var train = try Inputs.resolve(self.train), test = try self.test.map(Inputs.resolve)
        let delimiter = try resolveDelimiter(self.delimiter, path: train)
        if test == nil {
            train = dir + "/train.csv"
            test = dir + "/test.csv"
            try M.holdOut(path: self.train, config: configured[0].config, testFraction: self.testFraction, stratify: self.stratify,
                          seed: self.splitSeed, trainOut: train, testOut: test!, delimiter: delimiter)
        }
        let testPath = test!
        let options = evaluationOptions(delimiter: delimiter)
        func fit(_ index: Int, data: String) throws -> M {
            do {
                return try M.train(path: data, config: configured[index].config, selection: configured[index].selection,
                                   delimiter: delimiter, progress: nil)
            } catch let error as ParameterError {
                throw parameterError(error, self.settings(combos[index]))
            }
        }
        var chosen = 0
        var ranking: [(combo: Int, score: Double, metric: String)] = []
        if !self.grid.isEmpty {
            report("grid: \(combos.count) combination\(combos.count == 1 ? "" : "s") of \(self.grid.map(\.key).joined(separator: ", "))")
            let show: (Int, String, Double) -> Void = { i, metric, score in
                report("  " + combos[i].map { "\($0.key)=\($0.value.text)" }.joined(separator: " ") + ": \(metric) \(formatNumber(score, digits: 5))")
            }
            let result: GridSearch.Result
            do {
                if let rows = family as? any RowModel.Type {
                    result = try gridByCrossValidation(rows, configured, train: train, delimiter: delimiter, options: options, show: show)
                } else {
                    result = try GridSearch.heldOut(M.self, train: train, test: testPath, configurations: configured.map { ($0.config, $0.selection) },
                                                    delimiter: delimiter, options: options, progress: show)
                }
            } catch let error as ParameterError {
                throw parameterError(error, self.settings(combos[0]))
            }
            ranking = result.order.map { ($0, result.scores[$0], result.metric) }
            chosen = result.order[0]
            let w = try CSVWriter(path: dir + "/grid.csv")
            w.row(["rank"] + self.grid.map(\.key) + [result.metric])
            for (r, item) in ranking.enumerated() {
                w.field(r + 1)
                for g in self.grid { w.field(combos[item.combo].first { $0.key == g.key }!.value.text) }
                w.field(shortest: item.score)
                w.endRow()
            }
            try w.commit()
            report("best: " + combos[chosen].map { "\($0.key)=\($0.value.text)" }.joined(separator: " ") + " (ranked table: \(dir)/grid.csv)")
        }
        // the final model, its metrics and report
        let modelPath = dir + "/model.safetensors"
        try ModelStore.save(try fit(chosen, data: train), to: modelPath)
        let model = try ModelStore.load(path: modelPath)
        let evaluation = try model.evaluate(path: testPath, options: options)
        try AtomicOutput.write(try JSONText.encode(evaluation.metrics, pretty: true) + "\n", to: dir + "/metrics.json")
        if self.report {
            let html = Report.html(model: model, modelPath: modelPath, dataPath: testPath, evaluation: evaluation, options: options)
            try AtomicOutput.write(html, to: dir + "/report.html")
        }
        let command = trainCommand(combos[chosen], family, train: train, out: modelPath)
        try writeResolved(chosen: combos[chosen], train: train, test: testPath, command: command, ranking: ranking, to: dir + "/resolved.yaml")
        return RunResult(train: train, test: testPath, evaluation: evaluation)
    }

    /// Ranks the grid of a row family by cross-validation on the train part, read once.
    func gridByCrossValidation<R: RowModel, C: Hyperparameters>(_ family: R.Type, _ configured: [(config: C, selection: ColumnSelection)],
                                                                train: String, delimiter: UInt8, options: EvaluationOptions,
                                                                show: @escaping (Int, String, Double) -> Void) throws -> GridSearch.Result {
        let configurations = configured.map { ($0.config as! R.Config, $0.selection) }
        return try GridSearch.crossValidated(R.self, data: try TrainingSet.read(path: train, delimiter: delimiter), configurations: configurations,
                                             folds: self.folds, seed: self.evalSeed, options: options, progress: show)
    }

    func evaluationOptions(delimiter: UInt8) -> EvaluationOptions {
        var o = EvaluationOptions(seed: self.evalSeed, threshold: self.threshold, delimiter: delimiter)
        o.k = self.k
        o.importance = self.importance
        return o
    }

    /// The `persona train` command that makes the same model, for the record.
    func trainCommand<M: TrainableModel>(_ combo: [(key: String, value: Experiment.Value)], _ family: M.Type,
                                         train: String, out: String) -> String {
        var args = ["persona", "train", self.family, "--data", train]
        if self.delimiter != "," { args += ["--delimiter", self.delimiter] }
        for (key, v) in self.settings(combo) {
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            if M.Config.parameter(key)?.isSwitch == true {
                args.append(v.text == "true" ? flag : flag + "=false")
            } else {
                args += [flag, v.text]
            }
        }
        return (args + ["--out", out]).map(shellQuoted).joined(separator: " ")
    }

    /// The run as an experiment file of its own: the parts it trained and was
    /// evaluated on, the chosen hyperparameters, the evaluation settings.
    /// Running it again gives the same model and metrics in the same folder.
    func writeResolved(chosen: [(key: String, value: Experiment.Value)], train: String, test: String,
                       command: String, ranking: [(combo: Int, score: Double, metric: String)], to path: String) throws {
        let dir = self.outputDir
        func local(_ p: String) -> String {
            p.hasPrefix(dir + "/") ? String(p.dropFirst(dir.count + 1)) : URL(fileURLWithPath: p).standardizedFileURL.path
        }
        var model: [(Node, Node)] = [(Node("family"), Node(self.family))]
        for (k, v) in self.settings(chosen) {
            model.append((Node(k), v.isFlag ? Node(v.text, Tag(.bool)) : Node(v.text, Tag(.str), .doubleQuoted)))
        }
        var evaluate: [(Node, Node)] = [(Node("seed"), Node(String(self.evalSeed))), (Node("k"), Node(String(self.k))),
                                        (Node("importance"), Node(self.importance ? "true" : "false")), (Node("folds"), Node(String(self.folds)))]
        if let t = self.threshold { evaluate.append((Node("threshold"), Node(String(t)))) }
        let root: [(Node, Node)] = [
            (Node("name"), Node(self.name)),
            (Node("data"), Node([(Node("train"), Node(local(train))), (Node("test"), Node(local(test))), (Node("delimiter"), Node(self.delimiter))])),
            (Node("model"), Node(model)),
            (Node("evaluate"), Node(evaluate)),
            (Node("output"), Node([(Node("dir"), Node(".")), (Node("report"), Node(self.report ? "true" : "false"))])),
        ]
        var header = "# Resolved by persona \(PersonaVersion.tool) from \(self.file); `persona run` on this file repeats the run.\n"
        if self.test == nil {
            header += "# The parts were split from \(self.train): test_fraction \(self.testFraction), seed \(self.splitSeed)"
                + (self.stratify.map { ", stratified by \($0)" } ?? "") + ".\n"
        }
        if !ranking.isEmpty {
            header += "# Chosen from a grid over \(self.grid.map(\.key).joined(separator: ", ")) by \(ranking[0].metric) (see grid.csv).\n"
        }
        header += "# Train command: \(command)\n"
        try AtomicOutput.write(header + (try Yams.serialize(node: Node(root))), to: path)
    }
}

/// A word for a POSIX shell: as it is when safe, else in single quotes.
func shellQuoted(_ s: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The values of a comma-separated list, trimmed, empty ones left out.
func commaList(_ s: String) -> [String] {
    s.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
