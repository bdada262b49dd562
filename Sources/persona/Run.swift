import ArgumentParser
import Foundation
import PersonaCore
import Yams

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file: data, split, model, grid, evaluation and outputs in YAML.",
        discussion: """
        name: churn-l2                 # optional (default: the file name)
        data:
          train: churn.csv             # required; paths are relative to the file
          test: test.csv               # optional; without it the train file is split
          delimiter: ","
        split:                         # used when data.test is absent
          test_fraction: 0.25
          stratify: churned
          seed: 7
        model:
          family: logreg               # kmeans | logreg | tree | als
          target: churned              # every flag of `persona train FAMILY`, without dashes
          class_weight: balanced
        grid:                          # optional: every combination is tried
          l2: [0.0001, 0.001, 0.01]
        evaluate:
          seed: 0                      # also: threshold, k, importance, folds
        output:
          dir: runs/churn-l2           # default: runs/NAME
          report: true

        The run directory gets the model (model.safetensors), its metrics on the
        test part (metrics.json), the HTML report (report.html) and the resolved
        configuration (resolved.yaml); with a grid, also grid.csv, the combinations
        ranked (logistic regression by cross-validated AUC on the train part, the
        other families by the test metric). Unknown keys and wrong types stop the
        run naming the key and its line.
        """
    )

    @Argument(help: "The experiment file (YAML).")
    var experiment: String

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let e = try Experiment.load(path: experiment)
        // Every combination's train flags are checked before any work is done.
        for combo in e.combinations {
            let (args, lines) = e.trainArguments(combo, data: e.train, out: e.outputDir + "/model.safetensors")
            _ = try trainCommand(e, args, lines)
        }
        try FileManager.default.createDirectory(atPath: e.outputDir, withIntermediateDirectories: true)
        let dir = e.outputDir
        // data
        var train = e.train, test = e.test
        if test == nil {
            train = dir + "/train.csv"
            test = dir + "/test.csv"
            var args = ["--data", e.train, "--delimiter", e.delimiter, "--test-fraction", String(e.testFraction),
                        "--seed", String(e.splitSeed), "--train-out", train, "--test-out", test!, "--quiet"]
            if e.family == "als" {
                guard let user = e.model.first(where: { $0.key == "user" })?.value.text else {
                    throw Experiment.error(e.file, nil, "model.user", "is required for als")
                }
                args += ["--by", "user", "--user", user]
                let c = try parse(SplitInteractions.self, args, e, [:])
                try c.run()
            } else {
                if let s = e.stratify { args += ["--stratify", s] }
                let c = try parse(SplitRows.self, args, e, [:])
                try c.run()
            }
        }
        let testPath = test!
        let combos = e.combinations
        var chosen = combos[0]
        var ranking: [(combo: Int, score: Double, metric: String)] = []
        if !e.grid.isEmpty {
            let yamlKey = Experiment.yamlKey
            print("grid: \(combos.count) combination\(combos.count == 1 ? "" : "s") of \(e.grid.map { yamlKey($0.key) }.joined(separator: ", "))")
            for (i, combo) in combos.enumerated() {
                let (metric, score) = try gridScore(e, combo, train: train, test: testPath, scratch: dir + "/.grid-model.safetensors")
                ranking.append((i, score, metric))
                let desc = combo.map { "\(yamlKey($0.key))=\($0.value.text)" }.joined(separator: " ")
                print("  \(desc): \(metric) \(formatNumber(score, digits: 5))")
            }
            try? FileManager.default.removeItem(atPath: dir + "/.grid-model.safetensors")
            // every ranking metric (CV AUC, AUC, R², accuracy, silhouette, NDCG) is higher-better
            ranking.sort { a, b in a.score != b.score ? a.score > b.score : a.combo < b.combo }
            chosen = combos[ranking[0].combo]
            let w = try CSVWriter(path: dir + "/grid.csv")
            w.row(["rank"] + e.grid.map { yamlKey($0.key) } + [ranking[0].metric])
            for (r, item) in ranking.enumerated() {
                w.field(r + 1)
                for g in e.grid { w.field(combos[item.combo].first { $0.key == g.key }!.value.text) }
                w.field(shortest: item.score)
                w.endRow()
            }
            try w.commit()
            print("best: " + chosen.map { "\(yamlKey($0.key))=\($0.value.text)" }.joined(separator: " ") + " (ranked table: \(dir)/grid.csv)")
        }
        // the final model, its metrics and report
        let modelPath = dir + "/model.safetensors"
        let (args, lines) = e.trainArguments(chosen, data: train, out: modelPath)
        try trainModel(e, args, lines)
        let model = try ModelStore.load(path: modelPath)
        let options = evaluationOptions(e)
        let evaluation = try model.evaluate(path: testPath, options: options)
        try AtomicOutput.write(try JSONText.encode(evaluation.metrics, pretty: true) + "\n", to: dir + "/metrics.json")
        if e.report {
            let html = Report.html(model: model, modelPath: modelPath, dataPath: testPath, evaluation: evaluation, options: options)
            try AtomicOutput.write(html, to: dir + "/report.html")
        }
        try writeResolved(e, chosen: chosen, train: train, test: testPath, args: args, ranking: ranking, to: dir + "/resolved.yaml")
        print("\(e.name): \(e.family) trained on \(train), evaluated on \(testPath)")
        print(evaluation.text)
        print("wrote \(dir)/model.safetensors, metrics.json\(e.report ? ", report.html" : ""), resolved.yaml\(e.grid.isEmpty ? "" : ", grid.csv")")
    }

    func evaluationOptions(_ e: Experiment) -> EvaluationOptions {
        var o = EvaluationOptions(seed: e.evalSeed, threshold: e.threshold, delimiter: (try? parseDelimiter(e.delimiter)) ?? UInt8(ascii: ","))
        o.k = e.k
        o.importance = e.importance
        return o
    }

    /// Parses a command's arguments; an error names the experiment key and line that produced it.
    func parse<C: ParsableCommand>(_ type: C.Type, _ args: [String], _ e: Experiment, _ lines: [String: Int]) throws -> C {
        do {
            return try C.parse(args)
        } catch {
            let message = C.message(for: error)
            let hit = lines.keys.sorted { $0.count > $1.count }.first { option in
                guard let r = message.range(of: option) else { return false }
                let after = message[r.upperBound...].first
                return after.map { !($0.isLetter || $0.isNumber || $0 == "-") } ?? true
            }
            if let hit {
                let key = String(hit.dropFirst(2))
                throw Experiment.error(e.file, lines[hit], "model.\(Experiment.yamlKey(key))", message,
                                       fix: "Keys of model are the flags of `persona train \(e.family)` (see `persona train \(e.family) --help`)")
            }
            throw PersonaError("\(e.file): \(message)")
        }
    }

    /// The family's `persona train` command, parsed from the experiment's arguments.
    func trainCommand(_ e: Experiment, _ args: [String], _ lines: [String: Int]) throws -> any ParsableCommand {
        switch e.family {
        case "kmeans": return try parse(TrainKMeans.self, args, e, lines)
        case "logreg": return try parse(TrainLogreg.self, args, e, lines)
        case "tree": return try parse(TrainTree.self, args, e, lines)
        default: return try parse(TrainALS.self, args, e, lines)
        }
    }

    func trainModel(_ e: Experiment, _ args: [String], _ lines: [String: Int]) throws {
        var command = try trainCommand(e, args, lines)
        try command.run()
    }

    /// Cross-validated AUC for logistic regression; the test-part metric otherwise.
    func gridScore(_ e: Experiment, _ combo: [(key: String, value: Experiment.Value)], train: String, test: String,
                   scratch: String) throws -> (String, Double) {
        if e.family == "logreg" {
            let (args, lines) = e.trainArguments(combo, data: train, out: nil)
            let c = try parse(CVLogreg.self, args + ["--folds", String(e.folds), "--seed", String(e.evalSeed)], e, lines)
            let report = try CrossValidation.logistic(path: train, config: try c.model.config(), selection: c.featureOptions.selection,
                                                      folds: c.folds, seed: c.seed, delimiter: try c.input.delimiterByte())
            return ("cv_auc", report.summary["auc"]?["mean"]?.double ?? .nan)
        }
        let (args, lines) = e.trainArguments(combo, data: train, out: scratch)
        try withStandardOutputSilenced { try trainModel(e, args, lines) }
        let model = try ModelStore.load(path: scratch)
        let m = try model.evaluate(path: test, options: evaluationOptions(e)).metrics
        for key in ["auc", "r2", "accuracy", "silhouette", "ndcg_at_k"] {
            if let v = m[key]?.double { return (key, v) }
        }
        throw PersonaError("\(e.file): the \(e.family) evaluation gave no metric to rank the grid by")
    }

    /// The run as an experiment file of its own: the parts it trained and was
    /// evaluated on, the chosen hyperparameters, the evaluation settings.
    /// Running it again gives the same model and metrics in the same folder.
    func writeResolved(_ e: Experiment, chosen: [(key: String, value: Experiment.Value)], train: String, test: String,
                       args: [String], ranking: [(combo: Int, score: Double, metric: String)], to path: String) throws {
        let dir = e.outputDir
        func local(_ p: String) -> String {
            p.hasPrefix(dir + "/") ? String(p.dropFirst(dir.count + 1)) : URL(fileURLWithPath: p).standardizedFileURL.path
        }
        var model: [(Node, Node)] = [(Node("family"), Node(e.family))]
        for (k, v) in e.settings(chosen) {
            let key = Node(Experiment.yamlKey(k))
            model.append((key, v.isFlag ? Node(v.text, Tag(.bool)) : Node(v.text, Tag(.str), .doubleQuoted)))
        }
        var evaluate: [(Node, Node)] = [(Node("seed"), Node(String(e.evalSeed))), (Node("k"), Node(String(e.k))),
                                        (Node("importance"), Node(e.importance ? "true" : "false")), (Node("folds"), Node(String(e.folds)))]
        if let t = e.threshold { evaluate.append((Node("threshold"), Node(String(t)))) }
        let root: [(Node, Node)] = [
            (Node("name"), Node(e.name)),
            (Node("data"), Node([(Node("train"), Node(local(train))), (Node("test"), Node(local(test))), (Node("delimiter"), Node(e.delimiter))])),
            (Node("model"), Node(model)),
            (Node("evaluate"), Node(evaluate)),
            (Node("output"), Node([(Node("dir"), Node(".")), (Node("report"), Node(e.report ? "true" : "false"))])),
        ]
        var header = "# Resolved by persona \(PersonaVersion.tool) from \(e.file); `persona run` on this file repeats the run.\n"
        if e.test == nil {
            header += "# The parts were split from \(e.train): test_fraction \(e.testFraction), seed \(e.splitSeed)"
                + (e.stratify.map { ", stratified by \($0)" } ?? "") + ".\n"
        }
        if !ranking.isEmpty {
            header += "# Chosen from a grid over \(e.grid.map { Experiment.yamlKey($0.key) }.joined(separator: ", ")) by \(ranking[0].metric) (see grid.csv).\n"
        }
        header += "# Train command: persona train \(e.family) \((args).joined(separator: " "))\n"
        try AtomicOutput.write(header + (try Yams.serialize(node: Node(root))), to: path)
    }
}

/// Runs `body` with standard output sent to /dev/null (the grid's own training runs).
func withStandardOutputSilenced<T>(_ body: () throws -> T) rethrows -> T {
    fflush(stdout)
    let saved = dup(STDOUT_FILENO)
    let null = open("/dev/null", O_WRONLY)
    if saved >= 0 && null >= 0 { dup2(null, STDOUT_FILENO) }
    defer {
        fflush(stdout)
        if saved >= 0 { dup2(saved, STDOUT_FILENO); close(saved) }
        if null >= 0 { close(null) }
    }
    return try body()
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate several models on the same data, side by side, the best per metric marked.",
        discussion: "Example:\n  persona compare models/a.safetensors models/b.safetensors --data test.csv"
    )

    @Argument(help: "Two or more model files.")
    var models: [String]

    @OptionGroup var input: DataInput

    @Option(help: "Seed for sampling (silhouette, permutation importance).")
    var seed: UInt64 = 0

    @Option(help: "Recommenders: the cut-off k of the ranking metrics.")
    var k: Int = 10

    @Flag(help: "Print one JSON object: the metrics of each model.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if models.count < 2 { throw ValidationError("Name at least two model files to compare.") }
    }

    static let lowerIsBetter: Set<String> = ["log_loss", "brier", "rmse", "mae", "inertia", "davies_bouldin", "baseline_rmse", "baseline_mae"]
    static let neutral: Set<String> = ["rows", "users", "k", "threshold", "unknown_users", "positives", "interactions"]

    func run() throws {
        verbosity.apply()
        var options = EvaluationOptions(seed: seed, delimiter: try input.delimiterByte())
        options.k = k
        var results: [[String: Double]] = []
        var all: [String: JSONValue] = [:]
        for path in models {
            let m = try ModelStore.load(path: path)
            let metrics = try m.evaluate(path: input.data, options: options).metrics
            all[path] = metrics
            var flat: [String: Double] = [:]
            if case .object(let o) = metrics {
                for (key, v) in o {
                    if let d = v.double { flat[key] = d }
                    else if case .object(let inner) = v, key == "model" {
                        for (ik, iv) in inner { if let d = iv.double { flat[ik] = d } }
                    }
                }
            }
            results.append(flat)
        }
        if json { try Console.json(.object(all)); return }
        let keys = Set(results.flatMap(\.keys)).sorted()
        let names = models.map { ($0 as NSString).lastPathComponent }
        let width = max(12, names.map(\.count).max() ?? 0) + 2
        print("metrics on \(input.data) (* = best)")
        print("metric".padding(toLength: 22, withPad: " ", startingAt: 0) + names.map { $0.leftPadded(width) }.joined())
        for key in keys {
            let values = results.map { $0[key] }
            let present = values.compactMap { $0 }.filter(\.isFinite)
            var best: Double? = nil
            if present.count >= 2 && !Self.neutral.contains(key) && Set(present).count > 1 {
                best = Self.lowerIsBetter.contains(key) ? present.min() : present.max()
            }
            var line = key.padding(toLength: 22, withPad: " ", startingAt: 0)
            for v in values {
                guard let v else { line += "-".leftPadded(width); continue }
                line += (formatNumber(v, digits: 5) + (v == best ? " *" : "  ")).leftPadded(width)
            }
            print(line)
        }
    }
}
