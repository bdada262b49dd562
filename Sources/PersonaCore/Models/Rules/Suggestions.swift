import Foundation

/// Cross-sell suggestions from association rules: for a basket, the items not in
/// it that rules whose antecedent it holds (and whose consequent it lacks
/// entirely) suggest, each with its best rule, ranked by confidence, then lift,
/// then name.
struct Suggester {
    let model: RulesModel
    /// The rules of each antecedent itemset: rules[start[s]..<start[s + 1]].
    private let start: [Int]
    private let byAntecedent: [Int32]
    private let confidence: [Double]
    private let lift: [Double]

    init(_ model: RulesModel) {
        self.model = model
        let sets = model.itemsets.count, rules = model.rules
        var start = [Int](repeating: 0, count: sets + 1)
        for a in rules.antecedent { start[Int(a) + 1] += 1 }
        for s in 0..<sets { start[s + 1] += start[s] }
        var next = start
        var list = [Int32](repeating: 0, count: rules.count)
        for r in 0..<rules.count { let a = Int(rules.antecedent[r]); list[next[a]] = Int32(r); next[a] += 1 }
        self.start = start; byAntecedent = list
        let m = (0..<rules.count).map(model.measures)
        confidence = m.map(\.confidence); lift = m.map(\.lift)
    }

    struct Scratch {
        var inBasket: [Bool]
        var best: [Int32]
        var touched: [Int32] = []
        var prefix: [Int32] = []
        init(items: Int) { inBasket = [Bool](repeating: false, count: items); best = [Int32](repeating: -1, count: items) }
    }

    /// Whether rule a beats rule b for the same item.
    @inline(__always) private func better(_ a: Int, _ b: Int) -> Bool {
        if confidence[a] != confidence[b] { return confidence[a] > confidence[b] }
        if lift[a] != lift[b] { return lift[a] > lift[b] }
        return a < b
    }

    /// The top suggestions for a basket of the model's item indices (ascending,
    /// distinct): each item with the rule that suggests it best.
    func suggest(_ basket: [Int32], top: Int, scratch s: inout Scratch) -> [(item: Int32, rule: Int32)] {
        for it in basket { s.inBasket[Int(it)] = true }
        defer {
            for it in basket { s.inBasket[Int(it)] = false }
            for it in s.touched { s.best[Int(it)] = -1 }
            s.touched.removeAll(keepingCapacity: true)
        }
        // Every frequent itemset inside the basket, grown an item at a time (each
        // prefix of a frequent itemset is one), and the rules it is the antecedent of.
        s.prefix.removeAll(keepingCapacity: true)
        walk(basket, from: 0, &s)
        let order = s.touched.sorted { a, b in
            let ra = Int(s.best[Int(a)]), rb = Int(s.best[Int(b)])
            if confidence[ra] != confidence[rb] { return confidence[ra] > confidence[rb] }
            if lift[ra] != lift[rb] { return lift[ra] > lift[rb] }
            return a < b
        }
        return order.prefix(top).map { ($0, s.best[Int($0)]) }
    }

    private func walk(_ basket: [Int32], from: Int, _ s: inout Scratch) {
        for j in from..<basket.count {
            s.prefix.append(basket[j])
            if let set = model.index.find(s.prefix, in: model.itemsets) {
                for k in start[set]..<start[set + 1] {
                    let r = Int(byAntecedent[k])
                    let consequent = model.itemsets.itemset(Int(model.rules.consequent[r]))
                    if consequent.contains(where: { s.inBasket[Int($0)] }) { continue }
                    for it in consequent {
                        let current = Int(s.best[Int(it)])
                        if current < 0 { s.touched.append(it); s.best[Int(it)] = Int32(r) }
                        else if better(r, current) { s.best[Int(it)] = Int32(r) }
                    }
                }
                walk(basket, from: j + 1, &s)
            }
            s.prefix.removeLast()
        }
    }

    /// Each item of a file as the model's item index (-1: an item the model never saw).
    func itemMap(_ data: Baskets) -> [Int32] {
        let known = Dictionary(uniqueKeysWithValues: model.itemNames.enumerated().map { ($1, Int32($0)) })
        return data.itemNames.map { known[$0] ?? -1 }
    }

    /// The baskets of a file, each as the model's item indices (items the model never saw dropped).
    func baskets(_ data: Baskets) -> [[Int32]] {
        let map = itemMap(data)
        return (0..<data.count).map { b in data.items[data.range(b)].compactMap { map[Int($0)] >= 0 ? map[Int($0)] : nil }.sorted() }
    }
}

/// What `persona score` wrote for a basket file.
public struct SuggestionSummary: Sendable {
    public var baskets: Int
    public var rows: Int
    public var basketsWithSuggestions: Int
}

extension RulesModel: BasketSuggesting {
    public var basketLayout: Baskets.Layout { layout }

    /// Suggestions per basket unless asked otherwise (`score --top`, the SQL export's query).
    public static let defaultSuggestions = 5

    public func suggest(path: String, layout: Baskets.Layout, top: Int, output: String, jsonLines: Bool,
                        delimiter: UInt8) throws -> SuggestionSummary {
        let data = try Baskets.read(path: path, layout: layout, delimiter: delimiter)
        let suggester = Suggester(self)
        let baskets = suggester.baskets(data)
        var scratch = Suggester.Scratch(items: itemNames.count)
        var summary = SuggestionSummary(baskets: data.count, rows: 0, basketsWithSuggestions: 0)
        let columns = ["basket_id", "rank", "item", "confidence", "lift", "antecedent"]
        if jsonLines {
            let out = try AtomicOutput(path: output)
            do {
                for (b, basket) in baskets.enumerated() {
                    let found = suggester.suggest(basket, top: top, scratch: &scratch)
                    if !found.isEmpty { summary.basketsWithSuggestions += 1 }
                    for (rank, s) in found.enumerated() {
                        let m = measures(Int(s.rule))
                        out.write("{\"basket_id\":\(jsonString(data.basketIds[b])),\"rank\":\(rank + 1),\"item\":\(jsonString(itemNames[Int(s.item)])),"
                                  + "\"confidence\":\(m.confidence),\"lift\":\(m.lift),\"antecedent\":\(jsonArray(antecedentNames(Int(s.rule))))}\n")
                        summary.rows += 1
                    }
                }
                try out.commit()
            } catch { out.abandon(); throw error }
            return summary
        }
        let w = try CSVWriter(path: output)
        do {
            w.row(columns)
            for (b, basket) in baskets.enumerated() {
                let found = suggester.suggest(basket, top: top, scratch: &scratch)
                if !found.isEmpty { summary.basketsWithSuggestions += 1 }
                for (rank, s) in found.enumerated() {
                    let m = measures(Int(s.rule))
                    w.field(data.basketIds[b]); w.field(rank + 1); w.field(itemNames[Int(s.item)])
                    w.field(shortest: m.confidence); w.field(shortest: m.lift); w.field(jsonArray(antecedentNames(Int(s.rule))))
                    w.endRow()
                    summary.rows += 1
                }
            }
            try w.commit()
        } catch { w.abandon(); throw error }
        return summary
    }

    /// Hides one item of each test basket of two or more items (chosen with the
    /// seed) and asks the rules for the rest: the share of baskets whose hidden
    /// item is among the top k, beside the same for the k most popular items.
    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let data = try Baskets.read(path: path, layout: layout, delimiter: options.delimiter, keepIds: false)
        let suggester = Suggester(self)
        let map = suggester.itemMap(data)
        let popular = itemNames.indices.sorted { itemCounts[$0] != itemCounts[$1] ? itemCounts[$0] > itemCounts[$1] : $0 < $1 }.map(Int32.init)
        var rng = PersonaRandom(seed: options.seed)
        var scratch = Suggester.Scratch(items: itemNames.count)
        let k = options.k
        var evaluated = 0, hits = 0, popularHits = 0, answered = 0
        var suggested = Set<Int32>()
        for b in 0..<data.count {
            let items = data.items[data.range(b)]
            guard items.count >= 2 else { continue }
            evaluated += 1
            let hiddenAt = rng.below(items.count)
            let hidden = map[Int(items[items.startIndex + hiddenAt])]
            var rest: [Int32] = []
            for (j, it) in items.enumerated() where j != hiddenAt && map[Int(it)] >= 0 { rest.append(map[Int(it)]) }
            rest.sort()
            let found = suggester.suggest(rest, top: k, scratch: &scratch)
            if !found.isEmpty { answered += 1 }
            for s in found { suggested.insert(s.item) }
            if hidden >= 0 && found.contains(where: { $0.item == hidden }) { hits += 1 }
            var taken = 0
            for it in popular where rest.firstIndex(of: it) == nil {
                if it == hidden { popularHits += 1; break }
                taken += 1
                if taken == k { break }
            }
        }
        guard evaluated > 0 else {
            throw PersonaError.data(file: path, "has no basket of two or more items to hide one of", fix: "Evaluate on baskets of several items")
        }
        let n = Double(evaluated)
        let metrics: [String: JSONValue] = [
            "hit_rate_at_k": .number(Double(hits) / n), "popularity_hit_rate_at_k": .number(Double(popularHits) / n),
            "coverage": .number(Double(suggested.count) / Double(max(1, itemNames.count))),
            "suggestion_rate": .number(Double(answered) / n), "baskets": .number(n), "k": .number(Double(k)),
        ]
        let text = """
            \(evaluated) baskets of two or more items, one item of each hidden (seed \(options.seed))
            hit rate at \(k):          \(formatNumber(Double(hits) / n))  (the hidden item among the top \(k) suggestions)
            popularity baseline:  \(formatNumber(Double(popularHits) / n))  (the \(k) most popular items not in the basket)
            baskets suggested to: \(formatNumber(Double(answered) / n))
            item coverage:        \(formatNumber(Double(suggested.count) / Double(max(1, itemNames.count))))  (\(suggested.count) of \(itemNames.count) items ever suggested)
            """
        return Evaluation(task: .marketBaskets, metrics: .object(metrics), text: text)
    }
}

/// Item names as a JSON array: `["bread","milk"]`.
func jsonArray(_ names: [String]) -> String { "[" + names.map(jsonString).joined(separator: ",") + "]" }
