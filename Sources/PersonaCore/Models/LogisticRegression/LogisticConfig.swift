/// How the coefficients are found.
public enum LogisticSolver: String, Codable, Sendable, CaseIterable {
    /// Chosen from the problem: OWL-QN with an L1 penalty, Newton up to 500 features, else L-BFGS.
    case auto
    /// Newton's method (IRLS): the Hessian by one SYRK per block, solved by Cholesky.
    case newton
    /// Limited-memory BFGS; with an L1 penalty, its orthant-wise variant OWL-QN.
    case lbfgs
}

/// Class weights: none, "balanced" (n / (2 n_class), as scikit-learn), or explicit.
public enum ClassWeight: Equatable, Sendable {
    case none
    case balanced
    case explicit(negative: Double, positive: Double)

    /// Parses `balanced`, or `NEG:POS` weights such as `1:3`.
    public init(argument: String) throws {
        if argument.lowercased() == "balanced" { self = .balanced; return }
        if argument.lowercased() == "none" { self = .none; return }
        let parts = argument.split(separator: ":").map { Double($0.trimmingCharacters(in: [" "])) }
        guard parts.count == 2, let n = parts[0], let p = parts[1], n > 0, p > 0, n.isFinite, p.isFinite else {
            throw PersonaError("class weights must be `balanced` or NEG:POS with positive numbers, such as 1:3 (got \"\(argument)\")")
        }
        self = .explicit(negative: n, positive: p)
    }

    public var name: String {
        switch self {
        case .none: return "none"
        case .balanced: return "balanced"
        case .explicit(let n, let p): return "\(formatNumber(n)):\(formatNumber(p))"
        }
    }

    /// A weight per class, given how many rows each class has: balanced gives
    /// n / (classes · n_class); NEG:POS needs two classes and the positive one's index.
    func weights(counts: [Int], positive: Int) throws -> [Double] {
        let n = counts.reduce(0, +)
        switch self {
        case .none: return counts.map { _ in 1 }
        case .balanced: return counts.map { Double(n) / (Double(counts.count) * Double(max(1, $0))) }
        case .explicit(let neg, let pos):
            guard counts.count == 2 else {
                throw ParameterError(ParameterName(property: "classWeight", key: "class_weight"), "NEG:POS is for two classes (this target has \(counts.count)); use balanced")
            }
            return positive == 1 ? [neg, pos] : [pos, neg]
        }
    }
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

extension Parameter where Config: Hyperparameters {
    /// Class weights: `balanced`, `none`, or NEG:POS.
    static func classWeight(_ kp: WritableKeyPath<Config, ClassWeight>, help: String) -> Parameter {
        .custom(kp, "classWeight", key: "class_weight", valueName: "balanced|N:P", help: help,
                parse: { try? ClassWeight(argument: $0) }, expected: "balanced, none, or NEG:POS with positive numbers such as 1:3",
                format: { $0.name })
    }
}
