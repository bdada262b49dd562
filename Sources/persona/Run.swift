import ArgumentParser
import Foundation
import PersonaCore
import Yams

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
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
          family: logreg               # kmeans | logreg | tree | gbdt | als
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
        ranked: families that train on rows by k-fold cross-validation on the train
        part (evaluate.folds; AUC, R², accuracy or silhouette), ALS by NDCG on the
        test part. Unknown keys and wrong types stop the
        run naming the key and its line.
        """
    )

    @Argument(help: "The experiment file (YAML).")
    var experiment: String

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let e = try Experiment.load(path: experiment)
        guard let family = ModelRegistry.family(kind: e.family) else {
            throw Experiment.error(e.file, nil, "model.family", "unknown family \"\(e.family)\"")
        }
        try run(e, family)
    }

    /// A family's settings for one combination of the grid: its configuration,
    /// checked against every declared constraint, and the feature columns.
    /// Mistakes name the key and its line.
    func settings<M: TrainableModel>(_ e: Experiment, _ combo: [(key: String, value: Experiment.Value)], _ family: M.Type) throws
        -> (config: M.Config, selection: ColumnSelection) {
        var config = M.Config()
        var selection = ColumnSelection()
        let entries = e.settings(combo)
        var given = Set<String>()
        for (key, v) in entries {
            switch key {
            case "features": selection.features = splitList(v.text)
            case "exclude": selection.exclude = splitList(v.text)
            default:
                guard let p = M.Config.parameter(key) else {
                    throw Experiment.error(e.file, v.line, "model.\(key)", "is not a setting of \(e.family)",
                                           fix: "Keys of model: " + (["family", "features", "exclude"] + M.Config.parameters.map(\.key)).joined(separator: ", "))
                }
                given.insert(p.key)
                do { try config.set(key, v.text) } catch let error as ParameterError {
                    throw Experiment.error(e.file, v.line, "model.\(key)", error.message(.key))
                }
            }
        }
        for p in M.Config.parameters where p.isRequired && !given.contains(p.key) {
            throw Experiment.error(e.file, e.modelLine, "model.\(p.key)", "is required for \(e.family): \(p.help)")
        }
        do { try config.validate() } catch let error as ParameterError {
            throw parameterError(e, error, entries)
        }
        return (config, selection)
    }

    /// A refused parameter, placed at the line of the first key it names.
    func parameterError(_ e: Experiment, _ error: ParameterError, _ entries: [(key: String, value: Experiment.Value)]) -> PersonaError {
        let keys = error.parameters.map(\.key)
        let hit = entries.first { entry in keys.contains { k in k == entry.key || "no_" + k == entry.key } }
        return Experiment.error(e.file, hit?.value.line ?? e.modelLine, "model.\(hit?.key ?? keys.first ?? "")", error.message(.key))
    }

    func run<M: TrainableModel>(_ e: Experiment, _ family: M.Type) throws {
        // Every combination is checked before any work is done.
        let combos = e.combinations
        let configured = try combos.map { try settings(e, $0, family) }
        let delimiter = try parseDelimiter(e.delimiter)
        try FileManager.default.createDirectory(atPath: e.outputDir, withIntermediateDirectories: true)
        let dir = e.outputDir
        // data
        var train = try Inputs.resolve(e.train), test = try e.test.map(Inputs.resolve)
        if test == nil {
            train = dir + "/train.csv"
            test = dir + "/test.csv"
            try M.holdOut(path: e.train, config: configured[0].config, testFraction: e.testFraction, stratify: e.stratify,
                          seed: e.splitSeed, trainOut: train, testOut: test!, delimiter: delimiter)
        }
        let testPath = test!
        let options = evaluationOptions(e, delimiter: delimiter)
        func fit(_ index: Int, data: String) throws -> M {
            do {
                return try M.train(path: data, config: configured[index].config, selection: configured[index].selection,
                                   delimiter: delimiter, progress: nil)
            } catch let error as ParameterError {
                throw parameterError(e, error, e.settings(combos[index]))
            }
        }
        var chosen = 0
        var ranking: [(combo: Int, score: Double, metric: String)] = []
        if !e.grid.isEmpty {
            print("grid: \(combos.count) combination\(combos.count == 1 ? "" : "s") of \(e.grid.map(\.key).joined(separator: ", "))")
            let show: (Int, String, Double) -> Void = { i, metric, score in
                print("  " + combos[i].map { "\($0.key)=\($0.value.text)" }.joined(separator: " ") + ": \(metric) \(formatNumber(score, digits: 5))")
            }
            let result: GridSearch.Result
            do {
                if let rows = family as? any RowModel.Type {
                    result = try gridByCrossValidation(rows, e, configured, train: train, delimiter: delimiter, options: options, show: show)
                } else {
                    result = try GridSearch.heldOut(M.self, train: train, test: testPath, configurations: configured.map { ($0.config, $0.selection) },
                                                    delimiter: delimiter, options: options, progress: show)
                }
            } catch let error as ParameterError {
                throw parameterError(e, error, e.settings(combos[0]))
            }
            ranking = result.order.map { ($0, result.scores[$0], result.metric) }
            chosen = result.order[0]
            let w = try CSVWriter(path: dir + "/grid.csv")
            w.row(["rank"] + e.grid.map(\.key) + [result.metric])
            for (r, item) in ranking.enumerated() {
                w.field(r + 1)
                for g in e.grid { w.field(combos[item.combo].first { $0.key == g.key }!.value.text) }
                w.field(shortest: item.score)
                w.endRow()
            }
            try w.commit()
            print("best: " + combos[chosen].map { "\($0.key)=\($0.value.text)" }.joined(separator: " ") + " (ranked table: \(dir)/grid.csv)")
        }
        // the final model, its metrics and report
        let modelPath = dir + "/model.safetensors"
        try ModelStore.save(try fit(chosen, data: train), to: modelPath)
        let model = try ModelStore.load(path: modelPath)
        let evaluation = try model.evaluate(path: testPath, options: options)
        try AtomicOutput.write(try JSONText.encode(evaluation.metrics, pretty: true) + "\n", to: dir + "/metrics.json")
        if e.report {
            let html = Report.html(model: model, modelPath: modelPath, dataPath: testPath, evaluation: evaluation, options: options)
            try AtomicOutput.write(html, to: dir + "/report.html")
        }
        let command = trainCommand(e, combos[chosen], family, train: train, out: modelPath)
        try writeResolved(e, chosen: combos[chosen], train: train, test: testPath, command: command, ranking: ranking, to: dir + "/resolved.yaml")
        print("\(e.name): \(e.family) trained on \(train), evaluated on \(testPath)")
        print(evaluation.text)
        print("wrote \(dir)/model.safetensors, metrics.json\(e.report ? ", report.html" : ""), resolved.yaml\(e.grid.isEmpty ? "" : ", grid.csv")")
    }

    /// Ranks the grid of a row family by cross-validation on the train part, read once.
    func gridByCrossValidation<R: RowModel, C: Hyperparameters>(_ family: R.Type, _ e: Experiment, _ configured: [(config: C, selection: ColumnSelection)],
                                                                train: String, delimiter: UInt8, options: EvaluationOptions,
                                                                show: @escaping (Int, String, Double) -> Void) throws -> GridSearch.Result {
        let configurations = configured.map { ($0.config as! R.Config, $0.selection) }
        return try GridSearch.crossValidated(R.self, data: try TrainingSet.read(path: train, delimiter: delimiter), configurations: configurations,
                                             folds: e.folds, seed: e.evalSeed, options: options, progress: show)
    }

    func evaluationOptions(_ e: Experiment, delimiter: UInt8) -> EvaluationOptions {
        var o = EvaluationOptions(seed: e.evalSeed, threshold: e.threshold, delimiter: delimiter)
        o.k = e.k
        o.importance = e.importance
        return o
    }

    /// The `persona train` command that makes the same model, for the record.
    func trainCommand<M: TrainableModel>(_ e: Experiment, _ combo: [(key: String, value: Experiment.Value)], _ family: M.Type,
                                         train: String, out: String) -> String {
        var args = ["persona", "train", e.family, "--data", train]
        if e.delimiter != "," { args += ["--delimiter", e.delimiter] }
        for (key, v) in e.settings(combo) {
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
    func writeResolved(_ e: Experiment, chosen: [(key: String, value: Experiment.Value)], train: String, test: String,
                       command: String, ranking: [(combo: Int, score: Double, metric: String)], to path: String) throws {
        let dir = e.outputDir
        func local(_ p: String) -> String {
            p.hasPrefix(dir + "/") ? String(p.dropFirst(dir.count + 1)) : URL(fileURLWithPath: p).standardizedFileURL.path
        }
        var model: [(Node, Node)] = [(Node("family"), Node(e.family))]
        for (k, v) in e.settings(chosen) {
            model.append((Node(k), v.isFlag ? Node(v.text, Tag(.bool)) : Node(v.text, Tag(.str), .doubleQuoted)))
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
            header += "# Chosen from a grid over \(e.grid.map(\.key).joined(separator: ", ")) by \(ranking[0].metric) (see grid.csv).\n"
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

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
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

    func run() throws {
        verbosity.apply()
        var options = EvaluationOptions(seed: seed, delimiter: try input.delimiterByte())
        options.k = k
        var results: [[String: Double]] = []
        var all: [String: JSONValue] = [:]
        for path in models {
            let m = try ModelStore.load(path: path)
            let metrics = try m.evaluate(path: try input.path(), options: options).metrics
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
            if present.count >= 2, Set(present).count > 1, let direction = Metric.named(key)?.direction {
                best = direction == .lowerIsBetter ? present.min() : present.max()
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
