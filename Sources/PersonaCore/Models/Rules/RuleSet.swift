/// Finds an itemset's index from its items (ascending): an open-addressing
/// table over the flat itemsets, so no array is built per lookup.
struct ItemsetIndex: Sendable {
    private var slots: [Int32]
    private let mask: Int

    init(_ sets: FrequentItemsets) {
        let capacity = max(16, (sets.count * 2).nextPowerOfTwo)
        slots = [Int32](repeating: -1, count: capacity); mask = capacity - 1
        for i in 0..<sets.count {
            var s = Self.hash(sets.items[sets.range(i)]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(i)
        }
    }

    @inline(__always) static func hash<C: Collection>(_ items: C) -> Int where C.Element == Int32 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for x in items { h = (h ^ UInt64(UInt32(bitPattern: x))) &* 0x100_0000_01B3; h ^= h >> 29 }
        return Int(truncatingIfNeeded: h &* 0x9E37_79B9_7F4A_7C15 >> 16)
    }

    /// The index of the itemset holding exactly `items`, or nil.
    func find<C: Collection>(_ items: C, in sets: FrequentItemsets) -> Int? where C.Element == Int32 {
        var s = Self.hash(items) & mask
        while true {
            let i = slots[s]
            if i < 0 { return nil }
            if sets.length(Int(i)) == items.count && sets.items[sets.range(Int(i))].elementsEqual(items) { return Int(i) }
            s = (s + 1) & mask
        }
    }
}

/// One rule's measures, as mlxtend 0.25's `association_rules` defines them
/// (without missing values, where its representativity is 1).
public struct RuleMeasures: Sendable, Equatable {
    public var antecedentSupport, consequentSupport, support, confidence, lift, representativity, leverage, conviction,
               zhangsMetric, jaccard, certainty, kulczynski: Double
    public var count: Int

    /// From the basket counts of the antecedent A, the consequent C and both, among n baskets:
    /// supports s = count / n; confidence = s(AC) / s(A); lift = confidence / s(C);
    /// leverage = s(AC) - s(A) s(C); conviction = (1 - s(C)) / (1 - confidence), infinite at
    /// confidence 1; Zhang's metric = leverage / max(s(AC)(1 - s(A)), s(A)(s(C) - s(AC))), 0 when
    /// that is 0; Jaccard = s(AC) / (s(A) + s(C) - s(AC)); certainty = (confidence - s(C)) /
    /// (1 - s(C)), 0 when s(C) = 1; Kulczynski = (s(AC)/s(A) + s(AC)/s(C)) / 2.
    public init(antecedent a: Int, consequent c: Int, both ac: Int, baskets n: Int) {
        let nd = Double(n)
        let sA = Double(a) / nd, sC = Double(c) / nd, sAC = Double(ac) / nd
        antecedentSupport = sA; consequentSupport = sC; support = sAC
        // As mlxtend computes them, operation for operation, so the doubles agree.
        confidence = (sAC * nd) / (sA * nd)
        lift = confidence / sC
        representativity = 1
        leverage = sAC - sA * sC
        conviction = confidence < 1 ? (1 - sC) / (1 - confidence) : .infinity
        let denominator = max(sAC * (1 - sA), sA * (sC - sAC))
        zhangsMetric = denominator == 0 ? 0 : leverage / denominator
        jaccard = sAC / (sA + sC - sAC)
        certainty = 1 - sC == 0 ? 0 : (confidence - sC) / (1 - sC)
        kulczynski = ((sAC * nd) / (sA * nd) + (sAC * nd) / (sC * nd)) / 2
        count = ac
    }

    /// The measure of this name (the CLI contract's keys), for sorting.
    public func value(_ key: RuleSort) -> Double {
        switch key {
        case .lift: return lift
        case .confidence: return confidence
        case .support: return support
        case .leverage: return leverage
        case .conviction: return conviction
        case .zhangsMetric: return zhangsMetric
        case .jaccard: return jaccard
        case .certainty: return certainty
        case .kulczynski: return kulczynski
        case .count: return Double(count)
        }
    }

    /// The columns of a rule table after `antecedent` and `consequent`, in order.
    public static let columns = ["antecedent_support", "consequent_support", "support", "confidence", "lift", "representativity",
                                 "leverage", "conviction", "zhangs_metric", "jaccard", "certainty", "kulczynski", "count"]

    public var values: [Double] {
        [antecedentSupport, consequentSupport, support, confidence, lift, representativity, leverage, conviction, zhangsMetric,
         jaccard, certainty, kulczynski, Double(count)]
    }
}

/// What rules can be sorted by (`inspect --rules --sort`), largest first.
public enum RuleSort: String, Sendable, CaseIterable {
    case lift, confidence, support, leverage, conviction, zhangsMetric = "zhangs_metric", jaccard, certainty, kulczynski, count
}

/// Association rules over frequent itemsets: every split of each itemset of two
/// or more items into an antecedent and a consequent whose confidence (and
/// lift) reach the thresholds. A rule names its two sides by itemset index.
struct RuleSet: Sendable {
    var antecedent: [Int32] = []
    var consequent: [Int32] = []
    var count: Int { antecedent.count }

    struct TooMany: Error { let limit: Int; let itemsetLength: Int? }

    /// mlxtend's rules: every split of each itemset into an antecedent and a
    /// consequent that reaches the thresholds, in the order of the antecedents'
    /// masks. A split is tried only when every smaller consequent of it passed:
    /// confidence s(S) / s(A) can only fall as the antecedent A shrinks (s(A)
    /// grows), in floating point too (each step rounds monotonically), so a
    /// consequent whose rule fails rules out every consequent holding it
    /// (Agrawal and Srikant's rule generation), and the rules kept are exactly
    /// those of trying every split.
    static func generate(_ sets: FrequentItemsets, index: ItemsetIndex, baskets n: Int, minConfidence: Double, minLift: Double?,
                         limit: Int) throws -> RuleSet {
        var rules = RuleSet()
        var a: [Int32] = [], c: [Int32] = []
        var kept: [(antecedentMask: UInt64, antecedent: Int32, consequent: Int32)] = []
        for s in 0..<sets.count {
            let k = sets.length(s)
            guard k >= 2 else { continue }
            if k > 62 { throw TooMany(limit: limit, itemsetLength: k) }
            let items = Array(sets.itemset(s))
            let both = sets.counts[s]
            let full: UInt64 = (1 << UInt64(k)) - 1
            kept.removeAll(keepingCapacity: true)
            // Consequents level by level: one item, then each passing consequent grown
            // by an item above its highest, when every consequent one smaller passed.
            var level: [UInt64] = (0..<k).map { 1 << UInt64($0) }
            var size = 1
            while !level.isEmpty && size <= k - 1 {
                var passing = Set<UInt64>()
                var passed: [UInt64] = []
                for consequentMask in level {
                    let antecedentMask = full & ~consequentMask
                    a.removeAll(keepingCapacity: true); c.removeAll(keepingCapacity: true)
                    for (j, it) in items.enumerated() { if antecedentMask & (1 << UInt64(j)) != 0 { a.append(it) } else { c.append(it) } }
                    guard let ai = index.find(a, in: sets), let ci = index.find(c, in: sets) else { continue }
                    let m = RuleMeasures(antecedent: sets.counts[ai], consequent: sets.counts[ci], both: both, baskets: n)
                    guard m.confidence >= minConfidence else { continue }
                    passing.insert(consequentMask); passed.append(consequentMask)
                    if minLift.map({ m.lift >= $0 }) ?? true { kept.append((antecedentMask, Int32(ai), Int32(ci))) }
                }
                if rules.count + kept.count > limit { throw TooMany(limit: limit, itemsetLength: nil) }
                var next: [UInt64] = []
                if size + 1 <= k - 1 {
                    for x in passed {
                        let high = 63 - x.leadingZeroBitCount
                        for j in (high + 1)..<k {
                            let candidate = x | (1 << UInt64(j))
                            var bits = candidate, complete = true
                            while bits != 0 {
                                let b = bits.trailingZeroBitCount
                                bits &= bits - 1
                                if !passing.contains(candidate & ~(1 << UInt64(b))) { complete = false; break }
                            }
                            if complete { next.append(candidate) }
                        }
                    }
                }
                level = next
                size += 1
            }
            kept.sort { $0.antecedentMask < $1.antecedentMask }
            for r in kept { rules.antecedent.append(r.antecedent); rules.consequent.append(r.consequent) }
        }
        return rules
    }
}
