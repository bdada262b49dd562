/// What a model predicts, whatever learner computes it: binary classification,
/// several classes, regression, segmentation, recommendation, uplift. A task
/// declares the metrics its evaluations report and the one that ranks models
/// in a grid or a cross-validation, so every command that compares models
/// reads them from here.
public struct ModelTask: Hashable, Sendable, CustomStringConvertible {
    /// For messages ("binary classification").
    public let name: String
    /// The metrics its evaluations report.
    public let metrics: [Metric]
    /// The metrics that rank models, in order of preference: the first whose
    /// value an evaluation holds wins (AUC is undefined on one class).
    public let ranking: [Metric]

    public var description: String { name }

    /// The declared metric with this key, if any.
    public func metric(_ key: String) -> Metric? { metrics.first { $0.key == key } }

    /// The ranking metric present in an evaluation's metrics, with its value.
    public func rankingMetric(in metrics: JSONValue) -> (metric: Metric, value: Double)? {
        for m in ranking { if let v = metrics[m.key]?.double { return (m, v) } }
        return nil
    }

    /// Keys in the order reports and `cv` show them: the ranking metrics first,
    /// then the others by key.
    public func ordered(_ keys: [String]) -> [String] {
        keys.sorted { a, b in
            let ia = ranking.firstIndex { $0.key == a } ?? Int.max, ib = ranking.firstIndex { $0.key == b } ?? Int.max
            return ia != ib ? ia < ib : a < b
        }
    }
}

extension ModelTask {
    public static let binaryClassification = ModelTask(
        name: "binary classification",
        metrics: [.auc, .prAUC, .logLoss, .brier, .accuracy, .precision, .recall, .f1], ranking: [.auc, .accuracy])
    public static let multiclassClassification = ModelTask(
        name: "classification into several classes",
        metrics: [.accuracy, .logLoss, .precision, .recall, .f1], ranking: [.accuracy])
    public static let regression = ModelTask(name: "regression", metrics: [.r2, .rmse, .mae], ranking: [.r2])
    public static let segmentation = ModelTask(
        name: "segmentation", metrics: [.silhouette, .inertia, .daviesBouldin, .calinskiHarabasz], ranking: [.silhouette])
    public static let recommendation = ModelTask(
        name: "recommendation",
        metrics: [.ndcgAtK, .precisionAtK, .recallAtK, .mapAtK, .coverage, .rmse, .mae], ranking: [.ndcgAtK])
    public static let uplift = ModelTask(name: "uplift", metrics: [.qiniAUC, .upliftAUC, .upliftAtK], ranking: [.qiniAUC])
    public static let marketBaskets = ModelTask(
        name: "market baskets", metrics: [.hitRateAtK, .suggestionRate, .coverage], ranking: [.hitRateAtK])
    public static let customerValue = ModelTask(
        name: "customer value", metrics: [.mae, .rmse, .correlation], ranking: [.mae])

    /// Every task of this release.
    public static let all: [ModelTask] = [.binaryClassification, .multiclassClassification, .regression, .segmentation,
                                          .recommendation, .uplift, .marketBaskets, .customerValue]
}

extension Metric {
    /// The metric with this key among every task's (nil for counts and settings
    /// reported beside the metrics, such as `rows`, `k` or `threshold`).
    public static func named(_ key: String) -> Metric? { byKey[key] }

    /// Every metric some task declares.
    public static var all: [Metric] {
        var seen = Set<String>()
        return ModelTask.all.flatMap(\.metrics).filter { seen.insert($0.key).inserted }
    }

    private static let byKey: [String: Metric] = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
}
