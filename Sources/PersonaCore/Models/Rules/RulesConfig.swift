/// Hyperparameters of association rules: where the baskets are, and the
/// thresholds an itemset and a rule must reach.
public struct RulesConfig: Hyperparameters {
    public var basket = ""
    /// Long form: one row per basket and item.
    public var item: String?
    /// One row per basket: the items in one field, split at `separator`.
    public var items: String?
    public var separator = ";"
    /// A share of the baskets in (0, 1], or a whole count of baskets above 1.
    public var minSupport: Double = 0.01
    public var minConfidence: Double = 0.5
    public var maxLength: Int?
    public var minLift: Double?
    public var maxRules: Int = 1_000_000

    public init() {}
    public init(basket: String, item: String) { self.basket = basket; self.item = item }

    public static let parameters: [Parameter<RulesConfig>] = [
        .text(\.basket, "basket", key: "basket", required: true, help: "The basket (order, receipt) id column."),
        .text(\.item, "item", key: "item", absent: "none; give --item or --items", help: "The item column, one row per basket and item."),
        .text(\.items, "items", key: "items", absent: "none; give --item or --items", help: "The column holding all of a basket's items, one row per basket."),
        .text(\.separator, "separator", key: "separator", required: false, help: "With --items: what separates the items.", valueName: "text"),
        .real(\.minSupport, "minSupport", key: "min_support", range: .positive,
              help: "Smallest support of an itemset: a share of the baskets (0 to 1), or a count of baskets (a whole number above 1)."),
        .real(\.minConfidence, "minConfidence", key: "min_confidence", range: RealRange(lower: 0, lowerInclusive: true, upper: 1, upperInclusive: true),
              help: "Smallest confidence of a rule (0 to 1)."),
        .integer(\.maxLength, "maxLength", key: "max_length", min: 2, absent: "no limit",
                 help: "Most items in an itemset (antecedent and consequent together)."),
        .real(\.minLift, "minLift", key: "min_lift", range: .nonNegative, absent: "no limit", help: "Smallest lift of a rule."),
        .integer(\.maxRules, "maxRules", key: "max_rules", min: 1, max: 100_000_000,
                 help: "Stop with an error, before memory runs out, when more rules (or ten times as many itemsets) than this would be kept."),
    ]

    public func combinationError() -> ParameterError? {
        if (item == nil) == (items == nil) {
            return ParameterError(Self.names("item", "items")) { "give one of \($0[0]) COL (one row per basket and item) or \($0[1]) COL (one row per basket)" }
        }
        if minSupport > 1 && (minSupport != minSupport.rounded() || minSupport > 1e15) {
            return ParameterError(Self.names("min_support")) {
                "\($0[0]) \(formatNumber(minSupport)) is neither a share of the baskets (0 to 1) nor a whole count of baskets"
            }
        }
        return nil
    }

    /// The smallest basket count an item needs among `baskets` baskets: a share
    /// s keeps an item whose count / baskets >= s in double precision.
    public func minimumCount(baskets: Int) -> Int {
        if minSupport > 1 { return Int(minSupport) }
        let n = Double(baskets)
        var c = max(1, Int((minSupport * n).rounded(.up)))
        while c > 1 && Double(c - 1) / n >= minSupport { c -= 1 }
        while Double(c) / n < minSupport { c += 1 }
        return c
    }

    /// The smallest basket count an itemset of two or more items needs: ⌈s n⌉
    /// in double precision, as mlxtend's FP-growth prunes its conditional trees
    /// (where s n lands just above a whole number, one more than for an item).
    public func minimumSetCount(baskets: Int) -> Int {
        if minSupport > 1 { return Int(minSupport) }
        return max(minimumCount(baskets: baskets), Int((minSupport * Double(baskets)).rounded(.up)))
    }
}
