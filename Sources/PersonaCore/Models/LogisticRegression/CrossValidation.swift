import Foundation

/// Stratified, seeded k-fold cross-validation: every fold fits its own pipeline
/// and model on the other folds and is scored on itself, so nothing about a
/// held-out fold leaks into its model.
public enum CrossValidation {
    public static let metricKeys = ["auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1"]

    public struct Report {
        public var folds: [JSONValue]
        public var summary: JSONValue   // per metric: mean and std
    }

    public static func logistic(path: String, config: LogisticConfig, selection: ColumnSelection, folds: Int, seed: UInt64,
                                delimiter: UInt8 = UInt8(ascii: ","), progress: ProgressHandler? = nil) throws -> Report {
        guard folds >= 2 else { throw PersonaError("--folds must be at least 2 (got \(folds))") }
        try config.validate()
        let labels = try BinaryTarget.labels(of: config.target, path: path, delimiter: delimiter)
        let target = try BinaryTarget.make(column: config.target, labels: labels, positive: config.positive, file: path, delimiter: delimiter)
        if min(target.positives, labels.count - target.positives) < folds {
            throw PersonaError.data(file: path, columnName: config.target,
                                    "has fewer examples of one class (\(min(target.positives, labels.count - target.positives))) than there are folds (\(folds))",
                                    fix: "Use fewer --folds")
        }
        // Stratified assignment: shuffle each class, then deal its rows to folds in turn.
        var rng = PersonaRandom(seed: seed)
        var fold = [Int](repeating: 0, count: labels.count)
        for cls in [true, false] {
            var rows = target.values.indices.filter { target.values[$0] == cls }
            rng.shuffle(&rows)
            for (k, i) in rows.enumerated() { fold[i] = k % folds }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("persona-cv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [JSONValue] = []
        for k in 0..<folds {
            let train = dir + "/train.csv", test = dir + "/test.csv"
            try writeFold(path: path, delimiter: delimiter, fold: fold, k: k, train: train, test: test)
            var c = config
            c.positive = target.positive
            let model = try LogisticModel.train(path: train, config: c, selection: selection, delimiter: delimiter)
            let e = try model.evaluate(path: test, options: EvaluationOptions(delimiter: delimiter))
            var o: [String: JSONValue] = ["fold": .number(Double(k + 1)), "rows": e.metrics["rows"] ?? .null]
            for key in metricKeys { o[key] = e.metrics[key] ?? .null }
            results.append(.object(o))
            progress?("fold \(k + 1)/\(folds): AUC \(formatNumber(e.metrics["auc"]?.double ?? .nan, digits: 5)), log loss \(formatNumber(e.metrics["log_loss"]?.double ?? .nan, digits: 5))")
        }
        var summary: [String: JSONValue] = [:]
        for key in metricKeys {
            let values = results.compactMap { $0[key]?.double }
            guard !values.isEmpty else { summary[key] = .null; continue }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
            summary[key] = .object(["mean": .number(mean), "std": .number(variance.squareRoot())])
        }
        return Report(folds: results, summary: .object(summary))
    }

    static func writeFold(path: String, delimiter: UInt8, fold: [Int], k: Int, train: String, test: String) throws {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let a = try CSVWriter(path: train, delimiter: delimiter), b = try CSVWriter(path: test, delimiter: delimiter)
        a.row(reader.header); b.row(reader.header)
        var rec = CSVRecord()
        var i = 0
        while try reader.next(into: &rec) {
            let w = fold[i] == k ? b : a
            for j in 0..<rec.count { w.field(record: rec, j) }
            w.endRow()
            i += 1
        }
        try a.commit(); try b.commit()
    }
}
