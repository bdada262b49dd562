/// What scoring and evaluation take and give, whatever the model: the options
/// of `persona score` and `persona evaluate`, and an evaluation (its task, its
/// metrics, its text and the rows the report draws).

public struct ScoreOptions: Sendable {
    /// Classification threshold on the positive-class probability (nil: the model's own).
    public var threshold: Double?
    /// Keep only the N rows ranked highest by the model's ranking column (riskiest first).
    public var top: Int?
    /// Uplift: the cost of treating a customer and the margin of a response, for `expected_profit`.
    public var cost: Double?
    public var margin: Double?
    /// Explanations: the K columns pushing each score up most, and every column's contribution.
    public var explain: Int?
    public var contributions = false
    public init(threshold: Double? = nil, top: Int? = nil) { self.threshold = threshold; self.top = top }
}

public struct EvaluationOptions: Sendable {
    public var seed: UInt64
    public var silhouetteSample: Int
    public var threshold: Double?
    public var delimiter: UInt8
    /// Trees: also compute permutation importance on the data.
    public var importance: Bool = false
    /// Recommenders: the cut-off of the ranking metrics.
    public var k: Int = 10
    /// Customer value: the last day of the holdout period (YYYY-MM-DD).
    public var holdoutEnd: String?
    public init(seed: UInt64 = 0, silhouetteSample: Int = 10_000, threshold: Double? = nil, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.seed = seed; self.silhouetteSample = silhouetteSample; self.threshold = threshold; self.delimiter = delimiter
    }
}

public struct Evaluation {
    /// What the model predicts: its metrics are the ones this task declares.
    public var task: ModelTask
    public var metrics: JSONValue
    public var text: String
    /// The rows the metrics were computed on, kept for the HTML report so it
    /// does not read the data file again.
    var rows: EvaluatedRows? = nil
    /// The encoded rows, as the model reads them, for the report's contributions
    /// figure (models that explain rows), so the data is not read again.
    var encoded: FloatMatrix? = nil
    public init(task: ModelTask, metrics: JSONValue, text: String) { self.task = task; self.metrics = metrics; self.text = text }

    /// The ranking metric of the task present in these metrics, with its value.
    public var rankingMetric: (metric: Metric, value: Double)? { task.rankingMetric(in: metrics) }
}

/// What each family's evaluation computed, by family.
enum EvaluatedRows {
    /// Logistic regression: positive-class probabilities and the actual classes.
    case binary(p: [Double], y: [Bool])
    /// Trees: each row's leaf and its target text.
    case leaves([Int], labels: [String?])
    /// Several classes: each row's class probabilities, actual and predicted class.
    case classes(probabilities: [[Double]], actual: [Int], predicted: [Int], classes: [String])
    /// k-means: the encoded rows.
    case encoded(FloatMatrix)
    /// ALS: the held-out interactions.
    case interactions(Interactions)
    /// Uplift: per treatment, its and control's rows: outcome, predicted uplift, treated or not.
    case uplift([(name: String, y: [Bool], score: [Double], treated: [Bool])])
    /// Customer value: mean holdout purchases by calibration frequency, and the
    /// cumulative holdout purchases by period, actual and predicted.
    case purchases(byFrequency: [(label: String, actual: Double, predicted: Double)], cumulativeActual: [Double],
                   cumulativePredicted: [Double], periodDays: Double)
}
