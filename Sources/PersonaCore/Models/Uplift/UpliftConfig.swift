/// The classifier an uplift model is built from: any registered family that
/// fits rows and scores a probability.
public enum UpliftLearner: String, Sendable, CaseIterable {
    case logreg, tree, gbdt

    /// Settings the learner trains with inside an uplift model, beyond its own
    /// defaults: a single tree is kept shallow with large leaves, since an uplift
    /// is a difference of two probabilities and a fully grown tree's are 0 or 1.
    var settings: [String: JSONValue] {
        switch self {
        case .tree: return ["max_depth": 6, "min_samples_leaf": 100]
        case .logreg, .gbdt: return [:]
        }
    }
}

/// How the learner is turned into an uplift estimate.
/// - two-model: one classifier per arm; a treatment's uplift is its arm's
///   predicted response probability less control's.
/// - transformed-outcome: per treatment, one classifier of z = 1 when a treated
///   customer responds or a control customer does not (Jaskowski and Jaroszewicz
///   2012), fitted on the treatment's and control's rows with the larger arm
///   subsampled to the smaller one's size so that both weigh the same; the
///   uplift is then 2 P(z = 1) - 1.
public enum UpliftMethod: String, Sendable, CaseIterable {
    case twoModel = "two-model"
    case transformedOutcome = "transformed-outcome"
}

/// Hyperparameters of an uplift model. The learners train with their own
/// defaults (gradient boosting keeps its early stopping on a tenth of each arm).
public struct UpliftConfig: Hyperparameters {
    public var treatment = ""
    public var control = ""
    public var outcome = ""
    public var positive: String?
    public var learner: UpliftLearner = .gbdt
    public var method: UpliftMethod = .twoModel
    public var seed: UInt64 = 0

    public init() {}

    public static let parameters: [Parameter<UpliftConfig>] = [
        .text(\.treatment, "treatment", key: "treatment", required: true, help: "The column holding each customer's arm (control or a treatment)."),
        .text(\.control, "control", key: "control", required: true, help: "The control arm's value in the treatment column.", valueName: "name"),
        .text(\.outcome, "outcome", key: "outcome", required: true, help: "The 0/1 response (conversion) column."),
        .text(\.positive, "positive", key: "positive", absent: "1, yes or true", help: "Which outcome value is a response.", valueName: "value"),
        .choice(\.learner, "learner", key: "learner", help: "The classifier each model is."),
        .choice(\.method, "method", key: "method", help: "two-model (one classifier per arm) or transformed-outcome (one per treatment)."),
        .seed(\.seed, help: "Random seed for the learners and the transformed outcome's balancing."),
    ]

    public func combinationError() -> ParameterError? {
        if !treatment.isEmpty && treatment == outcome {
            return ParameterError(Self.names("treatment", "outcome")) { "\($0[0]) and \($0[1]) name the same column" }
        }
        return nil
    }
}
