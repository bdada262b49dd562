/// A metric of the CLI contract, declared once: its key (snake_case, as in
/// `--json` output and the experiment files), which way it improves, what an
/// evaluation must hold to compute it, and a title for people. A task
/// (Tasks/ModelTask.swift) lists the metrics its evaluations report; cross-validation,
/// grids, `compare`, reports and `run` find them there, so a metric a task
/// declares is ranked, summarised and marked without any other list to edit.
public struct Metric: Hashable, Sendable, CustomStringConvertible {
    public enum Direction: Sendable {
        case higherIsBetter
        case lowerIsBetter

        /// Whether `a` is better than `b` in this direction.
        public func prefers(_ a: Double, over b: Double) -> Bool { self == .higherIsBetter ? a > b : a < b }
    }

    /// What an evaluation needs to compute the metric.
    public enum Needs: String, Sendable {
        case probabilities = "predicted probabilities and the actual classes"
        case classes = "predicted and actual classes"
        case values = "predicted and actual values"
        case segments = "the encoded rows and their segments"
        case rankings = "each user's ranked items and held-out interactions"
        case arms = "predicted uplift, outcomes and treatment arms"
        case baskets = "each basket's suggestions and its hidden item"
    }

    public let key: String
    public let direction: Direction
    public let needs: Needs
    public let title: String

    public init(_ key: String, _ direction: Direction, needs: Needs, title: String) {
        self.key = key; self.direction = direction; self.needs = needs; self.title = title
    }

    public var description: String { key }
}

extension Metric {
    // Classification
    public static let auc = Metric("auc", .higherIsBetter, needs: .probabilities, title: "area under the ROC curve")
    public static let prAUC = Metric("pr_auc", .higherIsBetter, needs: .probabilities, title: "average precision")
    public static let logLoss = Metric("log_loss", .lowerIsBetter, needs: .probabilities, title: "log loss")
    public static let brier = Metric("brier", .lowerIsBetter, needs: .probabilities, title: "Brier score")
    public static let accuracy = Metric("accuracy", .higherIsBetter, needs: .classes, title: "accuracy")
    public static let precision = Metric("precision", .higherIsBetter, needs: .classes, title: "precision")
    public static let recall = Metric("recall", .higherIsBetter, needs: .classes, title: "recall")
    public static let f1 = Metric("f1", .higherIsBetter, needs: .classes, title: "F1 score")
    // Regression
    public static let r2 = Metric("r2", .higherIsBetter, needs: .values, title: "coefficient of determination R²")
    public static let rmse = Metric("rmse", .lowerIsBetter, needs: .values, title: "root mean squared error")
    public static let mae = Metric("mae", .lowerIsBetter, needs: .values, title: "mean absolute error")
    public static let correlation = Metric("correlation", .higherIsBetter, needs: .values, title: "correlation of predicted and actual values")
    // Segmentation
    public static let silhouette = Metric("silhouette", .higherIsBetter, needs: .segments, title: "mean silhouette")
    public static let inertia = Metric("inertia", .lowerIsBetter, needs: .segments, title: "inertia (within-segment sum of squares)")
    public static let daviesBouldin = Metric("davies_bouldin", .lowerIsBetter, needs: .segments, title: "Davies-Bouldin index")
    public static let calinskiHarabasz = Metric("calinski_harabasz", .higherIsBetter, needs: .segments, title: "Calinski-Harabasz index")
    // Recommendation (cut at k)
    public static let ndcgAtK = Metric("ndcg_at_k", .higherIsBetter, needs: .rankings, title: "NDCG at k")
    public static let precisionAtK = Metric("precision_at_k", .higherIsBetter, needs: .rankings, title: "precision at k")
    public static let recallAtK = Metric("recall_at_k", .higherIsBetter, needs: .rankings, title: "recall at k")
    public static let mapAtK = Metric("map_at_k", .higherIsBetter, needs: .rankings, title: "mean average precision at k")
    public static let coverage = Metric("coverage", .higherIsBetter, needs: .rankings, title: "share of items recommended")
    // Uplift
    public static let qiniAUC = Metric("qini_auc", .higherIsBetter, needs: .arms, title: "area under the Qini curve")
    public static let upliftAUC = Metric("uplift_auc", .higherIsBetter, needs: .arms, title: "area under the cumulative uplift curve")
    public static let upliftAtK = Metric("uplift_at_k", .higherIsBetter, needs: .arms, title: "uplift in the top share")
    // Market baskets (one item of each basket hidden)
    public static let hitRateAtK = Metric("hit_rate_at_k", .higherIsBetter, needs: .baskets, title: "hidden item among the top k suggestions")
    public static let suggestionRate = Metric("suggestion_rate", .higherIsBetter, needs: .baskets, title: "share of baskets given a suggestion")
}
