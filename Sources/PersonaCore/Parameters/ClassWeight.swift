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

extension Parameter where Config: Hyperparameters {
    /// Class weights: `balanced`, `none`, or NEG:POS.
    static func classWeight(_ kp: WritableKeyPath<Config, ClassWeight>, help: String) -> Parameter {
        .custom(kp, "classWeight", key: "class_weight", valueName: "balanced|N:P", help: help,
                parse: { try? ClassWeight(argument: $0) }, expected: "balanced, none, or NEG:POS with positive numbers such as 1:3",
                format: { $0.name })
    }
}
