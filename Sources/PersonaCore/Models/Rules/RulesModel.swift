import Foundation

/// Association rules mined from market baskets: every item's basket count, the
/// frequent itemsets with theirs, and the rules as pairs of itemsets. Every
/// measure of a rule follows from these counts and the number of baskets, so
/// the file stores counts only and the measures are computed as they are read.
public struct RulesModel: TrainableModel {
    public static let kind = "rules"
    public static let title = "association rules (market baskets)"

    public var card: ModelCard
    public let config: RulesConfig
    /// Every item of the training baskets, sorted by name, and its basket count.
    public let itemNames: [String]
    public let itemCounts: [Int]
    /// Baskets in the training data.
    public let baskets: Int
    let itemsets: FrequentItemsets
    let rules: RuleSet
    let index: ItemsetIndex
    /// Each rule's antecedent and consequent together, as an itemset (-1 where
    /// they are not one, which only a damaged file holds): found once, here.
    let ruleItemsets: [Int32]

    init(card: ModelCard, config: RulesConfig, itemNames: [String], itemCounts: [Int], baskets: Int, itemsets: FrequentItemsets, rules: RuleSet) {
        self.card = card; self.config = config; self.itemNames = itemNames; self.itemCounts = itemCounts; self.baskets = baskets
        self.itemsets = itemsets; self.rules = rules
        let index = ItemsetIndex(itemsets)
        self.index = index
        ruleItemsets = (0..<rules.count).map { r in
            var both = Array(itemsets.itemset(Int(rules.antecedent[r]))) + itemsets.itemset(Int(rules.consequent[r]))
            both.sort()
            guard zip(both, both.dropFirst()).allSatisfy({ $0 < $1 }), let s = index.find(both, in: itemsets) else { return -1 }
            return Int32(s)
        }
    }

    public var ruleCount: Int { rules.count }
    public var itemsetCount: Int { itemsets.count }

    /// Rule r's measures.
    public func measures(_ r: Int) -> RuleMeasures {
        let a = Int(rules.antecedent[r]), c = Int(rules.consequent[r])
        return RuleMeasures(antecedent: itemsets.counts[a], consequent: itemsets.counts[c], both: bothCount(r), baskets: baskets)
    }

    /// The basket count of a rule's antecedent and consequent together.
    func bothCount(_ r: Int) -> Int { itemsets.counts[Int(ruleItemsets[r])] }

    public func antecedentNames(_ r: Int) -> [String] { names(Int(rules.antecedent[r])) }
    public func consequentNames(_ r: Int) -> [String] { names(Int(rules.consequent[r])) }
    func names(_ itemset: Int) -> [String] { itemsets.itemset(itemset).map { itemNames[Int($0)] } }

    /// The rules' indices sorted by a measure, largest first; ties by confidence,
    /// support, then the order of the file.
    public func ruleOrder(by key: RuleSort) -> [Int] {
        let m = (0..<rules.count).map(measures)
        return m.indices.sorted { a, b in
            let x = m[a].value(key), y = m[b].value(key)
            if x != y { return x > y }
            if m[a].confidence != m[b].confidence { return m[a].confidence > m[b].confidence }
            if m[a].support != m[b].support { return m[a].support > m[b].support }
            return a < b
        }
    }

    // MARK: the file

    public func tensors() -> [String: Tensor] {
        let (names, offsets) = Tensor.strings(itemNames)
        func ints<S: Sequence>(_ s: S) -> Tensor where S.Element: BinaryInteger { let a = s.map { Int64($0) }; return Tensor(a, shape: [a.count]) }
        return [
            "item_names": names, "item_name_offsets": offsets,
            "item_counts": ints(itemCounts),
            "baskets": ints([baskets]),
            "itemset_items": ints(itemsets.items), "itemset_offsets": ints(itemsets.offsets), "itemset_counts": ints(itemsets.counts),
            "rule_antecedents": ints(rules.antecedent), "rule_consequents": ints(rules.consequent),
        ]
    }

    public init(card: ModelCard, tensors t: [String: Tensor], path: String) throws {
        func bad(_ what: String) -> PersonaError { PersonaError("\(path): corrupted association rules model (\(what))") }
        guard let names = Tensor.strings(bytes: t["item_names"], offsets: t["item_name_offsets"]),
              zip(names, names.dropFirst()).allSatisfy({ $0.utf8.lexicographicallyPrecedes($1.utf8) }),
              Set(names).count == names.count else { throw bad("item names") }
        guard let counts = t["item_counts"]?.int64s, counts.count == names.count, counts.allSatisfy({ $0 >= 0 }) else { throw bad("item counts") }
        guard let n = t["baskets"]?.int64s, n.count == 1, n[0] > 0, counts.allSatisfy({ $0 <= n[0] }) else { throw bad("basket count") }
        guard let items = t["itemset_items"]?.int64s, let offsets = t["itemset_offsets"]?.int64s, let setCounts = t["itemset_counts"]?.int64s,
              offsets.count == setCounts.count + 1, offsets.first == 0, offsets.last.map({ Int($0) == items.count }) == true,
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }), items.allSatisfy({ $0 >= 0 && $0 < names.count }),
              setCounts.allSatisfy({ $0 > 0 && $0 <= n[0] }) else { throw bad("itemsets") }
        var sets = FrequentItemsets()
        sets.items = items.map { Int32($0) }; sets.offsets = offsets.map { Int($0) }; sets.counts = setCounts.map { Int($0) }
        for i in 0..<sets.count where !zip(sets.itemset(i), sets.itemset(i).dropFirst()).allSatisfy({ $0 < $1 }) { throw bad("itemset \(i) is not sorted") }
        guard let a = t["rule_antecedents"]?.int64s, let c = t["rule_consequents"]?.int64s, a.count == c.count,
              (a + c).allSatisfy({ $0 >= 0 && $0 < sets.count }) else { throw bad("rules") }
        let config = try RulesConfig(card: card.hyperparameters, file: path)
        self.init(card: card, config: config, itemNames: names, itemCounts: counts.map { Int($0) }, baskets: Int(n[0]), itemsets: sets,
                  rules: RuleSet(antecedent: a.map { Int32($0) }, consequent: c.map { Int32($0) }))
        if let r = ruleItemsets.firstIndex(of: -1) { throw bad("rule \(r)") }
    }

    // MARK: training

    public var layout: Baskets.Layout { Baskets.Layout(basket: config.basket, item: config.item, items: config.items, separator: config.separator) }

    /// Baskets carry no feature columns: `selection` is not used.
    public static func train(path: String, config: RulesConfig, selection: ColumnSelection, delimiter: UInt8,
                             progress: ProgressHandler?) throws -> RulesModel {
        try train(path: path, config: config, delimiter: delimiter, progress: progress)
    }

    public static func train(path: String, config: RulesConfig, delimiter: UInt8 = UInt8(ascii: ","),
                             progress: ProgressHandler? = nil) throws -> RulesModel {
        try config.validate()
        let start = Date()
        let layout = Baskets.Layout(basket: config.basket, item: config.item, items: config.items, separator: config.separator)
        let data = try Baskets.read(path: path, layout: layout, delimiter: delimiter, keepIds: false)
        progress?("read \(data.count) baskets of \(data.itemNames.count) items (\(data.items.count) basket items) in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        return try fit(data, config: config, file: path, progress: progress)
    }

    /// Mines the baskets read from `file` (named in messages and on the card).
    public static func fit(_ data: Baskets, config: RulesConfig, file: String, progress: ProgressHandler? = nil) throws -> RulesModel {
        try config.validate()
        if config.minSupport > Double(data.count) {
            throw PersonaError.data(file: file, "has \(data.count) baskets, fewer than --min-support \(Int(config.minSupport))",
                                    fix: "Give a count of at most \(data.count) baskets, or a share between 0 and 1")
        }
        let minCount = config.minimumSetCount(baskets: data.count)
        let start = Date()
        let sets: FrequentItemsets
        do {
            sets = try FPGrowth.mine(data, minItemCount: config.minimumCount(baskets: data.count), minCount: minCount,
                                     maxLength: config.maxLength, limit: config.maxRules * 10)
        } catch let e as FPGrowth.TooMany {
            throw PersonaError("more than \(e.limit) frequent itemsets at --min-support \(formatNumber(config.minSupport)) (\(minCount) of \(data.count) baskets); raise --min-support, set --max-length, or raise --max-rules")
        }
        let rules: RuleSet
        do {
            rules = try RuleSet.generate(sets, index: ItemsetIndex(sets), baskets: data.count, minConfidence: config.minConfidence,
                                         minLift: config.minLift, limit: config.maxRules)
        } catch let e as RuleSet.TooMany {
            if let k = e.itemsetLength {
                throw PersonaError("an itemset of \(k) items would split into more than a billion rules; set --max-length or raise --min-support")
            }
            throw PersonaError("more than \(e.limit) rules reach --min-confidence \(formatNumber(config.minConfidence)); raise --min-confidence (or --min-support, or set --min-lift), or raise --max-rules")
        }
        progress?("mined \(sets.count) frequent itemsets (support count >= \(minCount)) and \(rules.count) rules in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        var counts = [Int](repeating: 0, count: data.itemNames.count)
        for it in data.items { counts[Int(it)] += 1 }
        let lengths = (0..<sets.count).map(sets.length)
        let card = ModelCard(kind: kind, pipeline: FeaturePipeline(columns: [], standardize: false), hyperparameters: config.card,
                             trainingMetrics: .object([
                                "baskets": .number(Double(data.count)), "items": .number(Double(data.itemNames.count)),
                                "frequent_items": .number(Double(lengths.filter { $0 == 1 }.count)),
                                "itemsets": .number(Double(sets.count)), "rules": .number(Double(rules.count)),
                                "min_count": .number(Double(minCount)), "longest_itemset": .number(Double(lengths.max() ?? 0)),
                             ]),
                             trainingData: DataFingerprintInfo(file: (file as NSString).lastPathComponent, rows: data.rows, columns: 2,
                                                               hash: data.fingerprint))
        return RulesModel(card: card, config: config, itemNames: data.itemNames, itemCounts: counts, baskets: data.count, itemsets: sets,
                          rules: rules)
    }

    /// Whole baskets go to one side: a seeded share of the basket ids is held out.
    public static func holdOut(path: String, config: RulesConfig, testFraction: Double, stratify: String?, seed: UInt64,
                               trainOut: String, testOut: String, delimiter: UInt8) throws {
        _ = try Splitter.byGroup(path: path, group: config.basket, testFraction: testFraction, seed: seed,
                                 trainOut: trainOut, testOut: testOut, delimiter: delimiter)
    }

    // MARK: reading

    public func summary() -> String {
        let lengths = (0..<itemsets.count).map(itemsets.length)
        var byLength: [Int: Int] = [:]
        for l in lengths { byLength[l, default: 0] += 1 }
        var lines = ["\(baskets) baskets, \(itemNames.count) items; \(itemsets.count) frequent itemsets at support >= \(formatNumber(config.minSupport))"
                     + (byLength.isEmpty ? "" : " (" + byLength.keys.sorted().map { "\(byLength[$0]!) of \($0)" }.joined(separator: ", ") + ")"),
                     "\(rules.count) rules at confidence >= \(formatNumber(config.minConfidence))" + (config.minLift.map { ", lift >= \(formatNumber($0))" } ?? "")]
        let top = ruleOrder(by: .lift).prefix(5)
        if !top.isEmpty {
            lines.append("")
            lines.append("strongest rules by lift:")
            for r in top {
                let m = measures(r)
                lines.append("  \(antecedentNames(r).joined(separator: " + ")) -> \(consequentNames(r).joined(separator: " + "))"
                             + "  (support \(formatNumber(m.support)), confidence \(formatNumber(m.confidence)), lift \(formatNumber(m.lift)))")
            }
        }
        lines.append("")
        lines.append("Every rule with: persona inspect MODEL --rules --out rules.csv")
        return lines.joined(separator: "\n")
    }
}
