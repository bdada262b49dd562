import Foundation

/// Seeded k-fold cross-validation of any row family, in memory: every fold
/// fits its own pipeline and model on the other folds' rows and is scored on
/// its own, so nothing about a held-out fold leaks into its model. Folds are
/// index sets over one training set; nothing is written to disk.
public enum CrossValidation {
    public struct Report {
        public var family: String
        public var folds: [JSONValue]
        /// Per metric: mean, std and whether higher is better.
        public var summary: JSONValue
        /// The metrics reported, in the order shown.
        public var metricKeys: [String]
        /// The metric that ranks configurations: the first of the task's ranking metrics that every fold reported.
        public var rankingMetric: String?

        /// The one JSON shape of `persona cv` for every family.
        public var json: JSONValue {
            .object(["family": .string(family), "k": .number(Double(folds.count)), "folds": .array(folds), "summary": summary,
                     "metric": rankingMetric.map { .string($0) } ?? .null])
        }

        /// The mean of the ranking metric over the folds.
        public var score: Double? { rankingMetric.flatMap { summary[$0]?["mean"]?.double } }
    }

    public static func run<M: RowModel>(_ family: M.Type, data: TrainingSet, config: M.Config, selection: ColumnSelection,
                                        folds k: Int, seed: UInt64, options: EvaluationOptions = EvaluationOptions(),
                                        progress: ProgressHandler? = nil) throws -> Report {
        guard k >= 2 else { throw PersonaError("cross-validation needs at least 2 folds (got \(k))") }
        try config.validate()
        guard data.rows >= k else {
            throw PersonaError.data(file: data.file, "has \(data.rows) rows, fewer than the \(k) folds", fix: "Use fewer folds")
        }
        let (settled, strata) = try M.prepareFolds(data, config: config)
        if let strata {
            var counts: [Int: Int] = [:]
            for s in strata { counts[s, default: 0] += 1 }
            if let smallest = counts.values.min(), smallest < k {
                throw PersonaError.data(file: data.file, "has fewer examples of one class (\(smallest)) than there are folds (\(k))",
                                        fix: "Use fewer folds")
            }
        }
        let fold = Folds.assign(rows: data.rows, k: k, seed: seed, strata: strata)
        var results: [JSONValue] = []
        var keys: [String] = []
        var task: ModelTask? = nil
        for f in 0..<k {
            let (trainRows, testRows) = Folds.split(fold, f)
            let model = try M.fit(data.subset(trainRows), config: settled, selection: selection, progress: nil)
            let evaluation = try model.evaluate(data.subset(testRows), options: options)
            task = task ?? evaluation.task
            var o: [String: JSONValue] = ["fold": .number(Double(f + 1)), "rows": .number(Double(testRows.count))]
            for (key, v) in evaluation.metrics.object ?? [:] where evaluation.task.metric(key) != nil && v.double != nil {
                o[key] = v
                if !keys.contains(key) { keys.append(key) }
            }
            results.append(.object(o))
            let ranking = evaluation.rankingMetric
            progress?("fold \(f + 1)/\(k): \(testRows.count) held-out rows" + (ranking.map { ", \($0.metric) \(formatNumber($0.value, digits: 5))" } ?? ""))
        }
        keys = task?.ordered(keys) ?? keys
        var summary: [String: JSONValue] = [:]
        for key in keys {
            let values = results.compactMap { $0[key]?.double }
            guard values.count == results.count else { continue }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
            summary[key] = .object(["mean": .number(mean), "std": .number(variance.squareRoot()),
                                    "higher_is_better": .bool(task?.metric(key)?.direction == .higherIsBetter)])
        }
        let reported = keys.filter { summary[$0] != nil }
        return Report(family: M.kind, folds: results, summary: .object(summary), metricKeys: reported,
                      rankingMetric: task?.ranking.first { summary[$0.key] != nil }?.key)
    }
}
