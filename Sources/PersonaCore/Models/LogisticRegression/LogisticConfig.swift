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
public enum ClassWeight: Codable, Equatable, Sendable {
    case none
    case balanced
    case explicit(negative: Double, positive: Double)

    /// Parses `balanced`, or `NEG:POS` weights such as `1:3`.
    public init(argument: String) throws {
        if argument.lowercased() == "balanced" { self = .balanced; return }
        if argument.lowercased() == "none" { self = .none; return }
        let parts = argument.split(separator: ":").map { Double($0.trimmingCharacters(in: [" "])) }
        guard parts.count == 2, let n = parts[0], let p = parts[1], n > 0, p > 0, n.isFinite, p.isFinite else {
            throw PersonaError("--class-weight must be `balanced` or NEG:POS with positive numbers, such as 1:3 (got \"\(argument)\")")
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

    public init(from decoder: Decoder) throws { self = try ClassWeight(argument: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(name) }

    /// A weight per class, given how many rows each class has: balanced gives
    /// n / (classes · n_class); NEG:POS needs two classes and the positive one's index.
    func weights(counts: [Int], positive: Int) throws -> [Double] {
        let n = counts.reduce(0, +)
        switch self {
        case .none: return counts.map { _ in 1 }
        case .balanced: return counts.map { Double(n) / (Double(counts.count) * Double(max(1, $0))) }
        case .explicit(let neg, let pos):
            guard counts.count == 2 else { throw PersonaError("--class-weight NEG:POS is for two classes; use balanced") }
            return positive == 1 ? [neg, pos] : [pos, neg]
        }
    }
}

/// Hyperparameters of binary logistic regression. The objective is
///   (1/n) Σ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (l2/2)‖β‖² + l1‖β‖₁,   η = β₀ + xᵀβ,
/// with the intercept β₀ unpenalised. scikit-learn's C is 1 / (n · l2).
public struct LogisticConfig: Codable, Equatable, Sendable {
    public var target: String
    public var positive: String?
    public var l2: Double = 0
    public var l1: Double = 0
    public var classWeight: ClassWeight = .none
    public var solver: LogisticSolver = .auto
    public var maxIterations: Int = 100
    /// Stop when the largest gradient component falls below this.
    public var tolerance: Double = 1e-8
    public var threshold: Double = 0.5
    public var standardize: Bool = true

    enum CodingKeys: String, CodingKey {
        case target, positive, l2, l1, solver, threshold, standardize
        case classWeight = "class_weight"
        case maxIterations = "max_iter"
        case tolerance = "tol"
    }

    public init(target: String) { self.target = target }

    public func validate() throws {
        if !(l2 >= 0) || !l2.isFinite { throw PersonaError("--l2 must be a number >= 0 (got \(l2))") }
        if !(l1 >= 0) || !l1.isFinite { throw PersonaError("--l1 must be a number >= 0 (got \(l1))") }
        if maxIterations < 1 { throw PersonaError("--max-iter must be at least 1 (got \(maxIterations))") }
        if !(tolerance > 0) { throw PersonaError("--tol must be > 0 (got \(tolerance))") }
        if !(threshold > 0 && threshold < 1) { throw PersonaError("--threshold must be between 0 and 1 (got \(threshold))") }
        if solver == .newton && l1 > 0 {
            throw PersonaError("--solver newton cannot handle an L1 penalty; use --solver lbfgs (OWL-QN) or auto")
        }
    }

    func resolvedSolver(features: Int) -> LogisticSolver {
        if solver != .auto { return solver }
        if l1 > 0 { return .lbfgs }
        return features <= 500 ? .newton : .lbfgs
    }
}
