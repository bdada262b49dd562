/// Which way each metric of the CLI contract improves, so that grids, tuning
/// and `compare` rank by the metric itself rather than by lists of their own.
public enum MetricDirection: Sendable {
    case higherIsBetter
    case lowerIsBetter

    /// The direction of a metric key; nil for counts and settings reported
    /// beside the metrics (`rows`, `k`, `threshold`, ...), which rank nothing.
    public static func of(_ key: String) -> MetricDirection? {
        if higher.contains(key) { return .higherIsBetter }
        if lower.contains(key) { return .lowerIsBetter }
        return nil
    }

    static let higher: Set<String> = ["auc", "pr_auc", "accuracy", "precision", "recall", "f1", "silhouette", "calinski_harabasz",
                                      "r2", "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "coverage",
                                      "qini_auc", "uplift_auc", "uplift_at_k"]
    static let lower: Set<String> = ["log_loss", "brier", "rmse", "mae", "inertia", "davies_bouldin", "baseline_rmse", "baseline_mae"]

    /// Whether `a` is better than `b` for this direction.
    public func prefers(_ a: Double, over b: Double) -> Bool { self == .higherIsBetter ? a > b : a < b }

    /// The metric that ranks models of a family in a grid or a cross-validation,
    /// in order of preference: the first present in an evaluation wins.
    public static let rankingPreference = ["auc", "r2", "accuracy", "silhouette", "ndcg_at_k", "qini_auc"]

    /// The ranking metric present in `metrics`, with its value.
    public static func rankingMetric(in metrics: JSONValue) -> (key: String, value: Double)? {
        for key in rankingPreference { if let v = metrics[key]?.double { return (key, v) } }
        return nil
    }
}
