/// Ranks configurations of one family: families that train on rows by k-fold
/// cross-validation on the training data (the test data stays untouched for
/// the final evaluation), the others by their metric on held-out data. The
/// ranking metric and its direction are those the evaluations' task declares.
public enum GridSearch {
    public struct Result {
        /// The metric ranked by, prefixed `cv_` for a cross-validated mean.
        public var metric: String
        /// Each configuration's score, in the order given.
        public var scores: [Double]
        /// Configuration indices, best first (ties keep the order given).
        public var order: [Int]
    }

    public static func crossValidated<M: RowModel>(_ family: M.Type, data: TrainingSet, configurations: [(M.Config, ColumnSelection)],
                                                   folds: Int, seed: UInt64, options: EvaluationOptions,
                                                   progress: ((Int, String, Double) -> Void)? = nil) throws -> Result {
        var metric: String? = nil
        var scores: [Double] = []
        for (i, (config, selection)) in configurations.enumerated() {
            let report = try CrossValidation.run(M.self, data: data, config: config, selection: selection, folds: folds, seed: seed, options: options)
            guard let key = report.rankingMetric, let score = report.score else {
                throw PersonaError("\(data.file): the \(M.kind) cross-validation gave no metric to rank by")
            }
            metric = metric ?? key
            guard key == metric else { throw PersonaError("\(data.file): configurations of \(M.kind) report different metrics (\(metric!), \(key))") }
            scores.append(score)
            progress?(i, "cv_" + key, score)
        }
        return rank(scores, metric: metric.flatMap(Metric.named), prefix: "cv_")
    }

    public static func heldOut<M: TrainableModel>(_ family: M.Type, train: String, test: String, configurations: [(M.Config, ColumnSelection)],
                                                  delimiter: UInt8, options: EvaluationOptions,
                                                  progress: ((Int, String, Double) -> Void)? = nil) throws -> Result {
        var metric: Metric? = nil
        var scores: [Double] = []
        for (i, (config, selection)) in configurations.enumerated() {
            let model = try M.train(path: train, config: config, selection: selection, delimiter: delimiter, progress: nil)
            guard let (key, score) = try model.evaluate(path: test, options: options).rankingMetric else {
                throw PersonaError("\(test): the \(M.kind) evaluation gave no metric to rank by")
            }
            metric = metric ?? key
            guard key == metric else { throw PersonaError("\(test): configurations of \(M.kind) report different metrics (\(metric!), \(key))") }
            scores.append(score)
            progress?(i, key.key, score)
        }
        return rank(scores, metric: metric, prefix: "")
    }

    static func rank(_ scores: [Double], metric: Metric?, prefix: String) -> Result {
        let direction = metric?.direction ?? .higherIsBetter
        let order = scores.indices.sorted { a, b in
            // NaN ranks last
            switch (scores[a].isNaN, scores[b].isNaN) {
            case (false, true): return true
            case (true, false): return false
            case (true, true): return a < b
            default: return scores[a] != scores[b] ? direction.prefers(scores[a], over: scores[b]) : a < b
            }
        }
        return Result(metric: prefix + (metric?.key ?? ""), scores: scores, order: order)
    }
}
