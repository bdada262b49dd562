import ArgumentParser
import Foundation
import PersonaCore

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
        let result = try e.run { print($0) }
        print("\(e.name): \(e.family) trained on \(result.train), evaluated on \(result.test)")
        print(result.evaluation.text)
        print("wrote \(e.outputDir)/model.safetensors, metrics.json\(e.report ? ", report.html" : ""), resolved.yaml\(e.grid.isEmpty ? "" : ", grid.csv")")
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Evaluate several models on the same data, side by side, the best per metric marked (within a task and target).",
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
        var groups: [String] = []
        var all: [String: JSONValue] = [:]
        for path in models {
            let m = try ModelStore.load(path: path)
            let evaluation = try m.evaluate(path: try input.path(), options: options)
            var metrics = evaluation.metrics
            // Models are compared within a task and target only: a churn model's
            // F1 says nothing against a three-class model's.
            let target = m.card.details["target"]?.string ?? m.card.hyperparameters["target"]?.string
            groups.append(target.map { "\(evaluation.task.name) of \($0)" } ?? evaluation.task.name)
            if case .object(var o) = metrics {
                if o["task"] == nil { o["task"] = .string(evaluation.task.name) }
                if let target, o["target"] == nil { o["target"] = .string(target) }
                metrics = .object(o)
            }
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
        var order: [String] = []
        for g in groups where !order.contains(g) { order.append(g) }
        if order.count > 1 {
            print("these models do different tasks or predict different targets: each is compared within its group only")
        }
        for (n, group) in order.enumerated() {
            let members = groups.indices.filter { groups[$0] == group }
            if n > 0 { print("") }
            table(group: group, members.map { models[$0] }, members.map { results[$0] })
        }
    }

    /// One table of models of the same task and target, the best per metric marked.
    func table(group: String, _ paths: [String], _ results: [[String: Double]]) {
        let keys = Set(results.flatMap(\.keys)).sorted()
        let names = paths.map { ($0 as NSString).lastPathComponent }
        let width = max(12, names.map(\.count).max() ?? 0) + 2
        print("\(group): metrics on \(input.data)" + (paths.count > 1 ? " (* = best)" : " (no other model of this task and target)"))
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
