/// How the coefficients are found.
public enum LogisticSolver: String, Codable, Sendable, CaseIterable {
    /// Chosen from the problem: OWL-QN with an L1 penalty, Newton up to 500 features, else L-BFGS.
    case auto
    /// Newton's method (IRLS): the Hessian by one SYRK per block, solved by Cholesky.
    case newton
    /// Limited-memory BFGS; with an L1 penalty, its orthant-wise variant OWL-QN.
    case lbfgs
}

/// Hyperparameters of binary logistic regression. The objective is
///   (1/n) Σ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (l2/2)‖β‖² + l1‖β‖₁,   η = β₀ + xᵀβ,
/// with the intercept β₀ unpenalised. scikit-learn's C is 1 / (n · l2).
public struct LogisticConfig: Hyperparameters {
    public var target = ""
    public var positive: String?
    public var l2: Double = 0
    public var l1: Double = 0
    public var classWeight: ClassWeight = .none
    public var solver: LogisticSolver = .auto
    public var maxIterations: Int = 1000
    /// Stop when the largest gradient component falls below this.
    public var tolerance: Double = 1e-8
    public var threshold: Double = 0.5
    public var standardize: Bool = true

    public init() {}
    public init(target: String) { self.target = target }

    public static let parameters: [Parameter<LogisticConfig>] = [
        .text(\.target, "target", key: "target", required: true, help: "The column to predict: two classes, such as churned 0/1."),
        .text(\.positive, "positive", key: "positive", absent: "1, yes or true", help: "Which target value is the positive class.", valueName: "value"),
        .real(\.l2, "l2", key: "l2", range: .nonNegative, help: "L2 (ridge) penalty on the mean log-loss; scikit-learn's C = 1 / (rows x l2). 0 = none."),
        .real(\.l1, "l1", key: "l1", range: .nonNegative, help: "L1 (lasso) penalty; with l2 too, the elastic net. Solved by OWL-QN."),
        .classWeight(\.classWeight, help: "Weight the classes: balanced, or NEG:POS such as 1:3."),
        .choice(\.solver, "solver", key: "solver", help: "auto (Newton up to 500 features, L-BFGS above, OWL-QN with an L1 penalty), newton or lbfgs."),
        .integer(\.maxIterations, "maxIterations", key: "max_iter", min: 1, help: "Most solver iterations."),
        .real(\.tolerance, "tolerance", key: "tol", range: .positive, help: "Stop when the largest gradient component is below this."),
        .real(\.threshold, "threshold", key: "threshold", range: .openUnit, help: "Probability above which a customer is predicted positive."),
        .flag(\.standardize, "standardize", key: "standardize", negatingAliases: ["no_scale"], help: "Standardise numeric features (--no-scale: leave them in their units)."),
    ]

    public func combinationError() -> ParameterError? {
        guard solver == .newton && l1 > 0 else { return nil }
        return ParameterError(Self.names("solver", "l1")) { "\($0[0]) newton cannot handle an L1 penalty (\($0[1]) > 0); use \($0[0]) lbfgs (OWL-QN) or auto" }
    }

    func resolvedSolver(features: Int) -> LogisticSolver {
        if solver != .auto { return solver }
        if l1 > 0 { return .lbfgs }
        return features <= 500 ? .newton : .lbfgs
    }
}
