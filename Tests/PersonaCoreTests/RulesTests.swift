import Foundation
import XCTest
@testable import PersonaCore

/// Association rules: FP-growth against brute-force counting, the measures
/// against hand-computed values, suggestions, the two basket layouts, and the
/// errors a user meets.
final class RulesTests: XCTestCase {
    /// The textbook example (Tan, Steinbach and Kumar, table 6.1).
    let textbook = """
        basket,item
        1,bread
        1,milk
        2,bread
        2,diapers
        2,beer
        2,eggs
        3,milk
        3,diapers
        3,beer
        3,cola
        4,bread
        4,milk
        4,diapers
        4,beer
        5,bread
        5,milk
        5,diapers
        5,cola
        """

    func config(_ support: Double, _ confidence: Double, maxLength: Int? = nil) -> RulesConfig {
        var c = RulesConfig(basket: "basket", item: "item")
        c.minSupport = support; c.minConfidence = confidence; c.maxLength = maxLength
        return c
    }

    /// Every itemset of the baskets with its count, by enumerating each basket's subsets.
    func bruteForce(_ baskets: [[Int32]], minCount: Int, maxLength: Int) -> [[Int32]: Int] {
        var counts: [[Int32]: Int] = [:]
        for b in baskets {
            let n = b.count
            for mask in 1..<(1 << n) where mask.nonzeroBitCount <= maxLength {
                counts[(0..<n).filter { mask & (1 << $0) != 0 }.map { b[$0] }, default: 0] += 1
            }
        }
        return counts.filter { $0.value >= minCount }
    }

    func itemsets(_ m: RulesModel) -> [[Int32]: Int] {
        Dictionary(uniqueKeysWithValues: (0..<m.itemsets.count).map { (Array(m.itemsets.itemset($0)), m.itemsets.counts[$0]) })
    }

    func testTextbookItemsetsAndRulesMatchHandCounts() throws {
        let t = TempDir()
        let m = try RulesModel.train(path: t.file("b.csv", textbook), config: config(0.6, 0.8))
        XCTAssertEqual(m.itemNames, ["beer", "bread", "cola", "diapers", "eggs", "milk"])
        XCTAssertEqual(m.itemCounts, [3, 4, 2, 4, 1, 4])
        // Support >= 3 of 5: four items and {beer, diapers}, {bread, diapers}, {bread, milk}, {diapers, milk}.
        let names = Dictionary(uniqueKeysWithValues: (0..<m.itemsets.count).map { (m.names($0).joined(separator: "+"), m.itemsets.counts[$0]) })
        XCTAssertEqual(names, ["beer": 3, "bread": 4, "diapers": 4, "milk": 4, "beer+diapers": 3, "bread+diapers": 3, "bread+milk": 3,
                               "diapers+milk": 3])
        // At confidence >= 0.8 only beer -> diapers (3/3); diapers -> beer is 3/4.
        XCTAssertEqual(m.ruleCount, 1)
        XCTAssertEqual(m.antecedentNames(0), ["beer"]); XCTAssertEqual(m.consequentNames(0), ["diapers"])
        let r = m.measures(0)
        XCTAssertEqual(r.support, 0.6); XCTAssertEqual(r.confidence, 1); XCTAssertEqual(r.lift, 1.25)
        XCTAssertEqual(r.leverage, 0.6 - 0.6 * 0.8, accuracy: 1e-15)
        XCTAssertEqual(r.conviction, .infinity)
        XCTAssertEqual(r.jaccard, 0.6 / (0.6 + 0.8 - 0.6), accuracy: 1e-15)
        XCTAssertEqual(r.certainty, (1 - 0.8) / (1 - 0.8), accuracy: 1e-15)
        XCTAssertEqual(r.kulczynski, (1 + 0.75) / 2, accuracy: 1e-15)
        // Zhang: leverage / max(0.6 x 0.4, 0.6 x (0.8 - 0.6)) = 0.12 / 0.24.
        XCTAssertEqual(r.zhangsMetric, 0.5, accuracy: 1e-15)
        XCTAssertEqual(r.count, 3)
    }

    func testMeasuresAtTheirEdges() {
        // A consequent in every basket: certainty 0 (its denominator is 0), lift 1, leverage 0.
        let always = RuleMeasures(antecedent: 4, consequent: 10, both: 4, baskets: 10)
        XCTAssertEqual(always.certainty, 0); XCTAssertEqual(always.lift, 1); XCTAssertEqual(always.leverage, 0)
        XCTAssertEqual(always.conviction, .infinity)
        // Zhang's denominator max(s(AC)(1 - s(A)), s(A)(s(C) - s(AC))) is 0 here too: the metric is 0.
        XCTAssertEqual(always.zhangsMetric, 0)
        // Negative association: Zhang's metric below 0, lift below 1.
        let apart = RuleMeasures(antecedent: 5, consequent: 5, both: 1, baskets: 10)
        XCTAssertLessThan(apart.zhangsMetric, 0); XCTAssertLessThan(apart.lift, 1)
        XCTAssertEqual(apart.conviction, (1 - 0.5) / (1 - 0.2), accuracy: 1e-15)
    }

    /// Random baskets, several supports and length limits: FP-growth finds every
    /// itemset brute force counts, with the same counts, and nothing else; the
    /// rules are every split that reaches the confidence.
    func testFPGrowthEqualsBruteForceOnRandomBaskets() throws {
        var rng = PersonaRandom(seed: 11)
        for trial in 0..<12 {
            let items = 4 + rng.below(9), count = 20 + rng.below(200)
            var lines = ["basket,item"]
            var baskets: [[Int32]] = []
            for b in 0..<count {
                var basket = Set<Int>()
                let size = 1 + rng.below(min(items, 8))
                // Skewed popularity so that long itemsets are frequent.
                while basket.count < size { basket.insert(min(items - 1, Int(Double(items) * pow(rng.uniform(), 2)))) }
                for it in basket.sorted() { lines.append("b\(b),i\(it)") }
                // A repeated row counts once.
                if trial % 3 == 0, let first = basket.first { lines.append("b\(b),i\(first)") }
                baskets.append(basket.sorted().map { Int32($0) })
            }
            let t = TempDir()
            let path = t.file("b.csv", lines.joined(separator: "\n") + "\n")
            let support = [0.05, 0.1, 0.2, 0.3][trial % 4], maxLength = trial % 2 == 0 ? nil : 3
            let m = try RulesModel.train(path: path, config: config(support, 0.4, maxLength: maxLength))
            // The model's item indices are the names sorted: "i10" < "i2", so map them.
            let index = Dictionary(uniqueKeysWithValues: m.itemNames.enumerated().map { ($1, Int32($0)) })
            let mapped = baskets.map { $0.map { index["i\($0)"]! }.sorted() }
            let minCount = Int((support * Double(count)).rounded(.up))
            let expected = bruteForce(mapped, minCount: minCount, maxLength: maxLength ?? 99)
            XCTAssertEqual(itemsets(m), expected, "trial \(trial): support \(support), max length \(String(describing: maxLength))")
            var expectedRules = Set<String>()
            for (set, both) in expected where set.count >= 2 {
                for mask in 1..<((1 << set.count) - 1) {
                    let a = (0..<set.count).filter { mask & (1 << $0) != 0 }.map { set[$0] }
                    let c = (0..<set.count).filter { mask & (1 << $0) == 0 }.map { set[$0] }
                    // Confidence as mlxtend computes it (s(AC) n / (s(A) n), which the reference check compares),
                    // so that a rule at exactly the threshold falls on the same side.
                    let confidence = RuleMeasures(antecedent: expected[a]!, consequent: expected[c]!, both: both, baskets: count).confidence
                    if confidence >= 0.4 { expectedRules.insert("\(a)->\(c)") }
                }
            }
            let got = Set((0..<m.ruleCount).map { "\(Array(m.itemsets.itemset(Int(m.rules.antecedent[$0]))))->\(Array(m.itemsets.itemset(Int(m.rules.consequent[$0]))))" })
            XCTAssertEqual(got.subtracting(expectedRules), [], "trial \(trial): rules brute force does not find")
            XCTAssertEqual(expectedRules.subtracting(got), [], "trial \(trial): rules FP-growth misses")
        }
    }

    /// A file read in eight parts on every core gives the baskets of one pass:
    /// baskets cut between parts, rows of a basket scattered through the file,
    /// quoted and padded ids, CRLF.
    func testBasketsReadInPartsEqualOnePass() throws {
        var rng = PersonaRandom(seed: 4)
        var lines = ["basket,item"]
        var expected: [String: Set<String>] = [:], firstSeen: [String] = []
        for row in 0..<3000 {
            // Mostly runs of one basket; now and then a row of an earlier basket.
            let b = row % 7 == 3 ? "b\(rng.below(max(1, row / 4)))" : "b\(row / 4)"
            let it = "item \(Int(pow(rng.uniform(), 2) * 40))"
            if expected[b] == nil { firstSeen.append(b) }
            expected[b, default: []].insert(it)
            let pad = rng.below(3)
            lines.append((pad == 0 ? b : pad == 1 ? " \(b)\t" : "\"\(b)\"") + ",\"" + it + "\"")
        }
        let t = TempDir()
        let path = t.file("b.csv", lines.joined(separator: "\r\n") + "\r\n")
        defer { Profiler.parallelMinimumBytes = 8 << 20 }
        var results: [Baskets] = []
        for parallel in [false, true] {
            Profiler.parallelMinimumBytes = parallel ? 1 : Int.max
            let layout = Baskets.Layout(basket: "basket", item: "item", items: nil, separator: ";")
            let got = try Baskets.read(path: path, layout: layout)
            XCTAssertEqual(got.basketIds, firstSeen)
            XCTAssertEqual(got.rows, 3000)
            for (k, id) in got.basketIds.enumerated() {
                XCTAssertEqual(Set(got.items[got.range(k)].map { got.itemNames[Int($0)] }), expected[id], id)
            }
            results.append(got)
        }
        XCTAssertEqual(results[0].items, results[1].items)
        XCTAssertEqual(results[0].indptr, results[1].indptr)
        XCTAssertEqual(results[0].fingerprint, results[1].fingerprint)
    }

    func testSupportAsCountEqualsTheSameShare() throws {
        let t = TempDir()
        let path = t.file("b.csv", textbook)
        let byShare = try RulesModel.train(path: path, config: config(0.4, 0.5))
        let byCount = try RulesModel.train(path: path, config: config(2, 0.5))
        XCTAssertEqual(byShare.itemsets, byCount.itemsets)
        XCTAssertEqual(byShare.rules.antecedent, byCount.rules.antecedent)
        // A share is compared in double precision, as the reference libraries do: 0.6 of 5 is 3.
        XCTAssertEqual(config(0.6, 0.5).minimumCount(baskets: 5), 3)
        XCTAssertEqual(config(0.3, 0.5).minimumCount(baskets: 10), 3)
        XCTAssertEqual(config(0.001, 0.5).minimumCount(baskets: 999), 1)
    }

    /// mlxtend keeps an item whose share reaches the support, but prunes larger
    /// itemsets below ⌈s n⌉: at 0.28 of 25 baskets (7.000000000000001), an item in
    /// 7 baskets is frequent and a pair in 7 is not.
    func testSupportThresholdsAreMlxtends() throws {
        XCTAssertEqual(config(0.28, 0.5).minimumCount(baskets: 25), 7)
        XCTAssertEqual(config(0.28, 0.5).minimumSetCount(baskets: 25), 8)
        XCTAssertEqual(config(0.3, 0.5).minimumSetCount(baskets: 10), 3)
        XCTAssertEqual(config(7, 0.5).minimumSetCount(baskets: 25), 7)
        var lines = ["basket,item"]
        for b in 0..<7 { lines += ["p\(b),a", "p\(b),b"] }
        lines += ["q1,a", "q2,b"]
        for b in 0..<7 { lines.append("c\(b),c") }
        for b in 0..<9 { lines.append("u\(b),rare\(b)") }
        let t = TempDir()
        let m = try RulesModel.train(path: t.file("edge.csv", lines.joined(separator: "\n") + "\n"), config: config(0.28, 0.5))
        XCTAssertEqual(m.baskets, 25)
        let names = Set((0..<m.itemsets.count).map { m.names($0).joined(separator: "+") })
        XCTAssertEqual(names, ["a", "b", "c"], "the pair a+b (7 baskets) is below ⌈0.28 x 25⌉ = 8; c (7) is an item")
    }

    /// Items whose names differ in bytes but not as text are refused, even when
    /// other names sort between them.
    func testItemsThatReadAsTheSameTextAreRefused() throws {
        let t = TempDir()
        let path = t.file("nfc.csv", "basket,item\n1,e\u{301}\n1,f\n1,\u{e9}\n2,f\n")
        XCTAssertThrowsPersonaError(try RulesModel.train(path: path, config: config(0.3, 0.5)), containing: ["nfc.csv", "two different items", "NFC"])
    }

    func testOneRowPerBasketGivesTheSameModelAsLongForm() throws {
        let t = TempDir()
        let long = try RulesModel.train(path: t.file("long.csv", textbook), config: config(0.4, 0.5))
        let wide = """
            basket,items
            1,bread;milk
            2,"bread; diapers;beer;eggs;beer"
            3,milk;diapers;beer;cola
            4,bread;milk;diapers;beer;
            5,bread;milk;diapers;cola
            6,
            """
        var c = config(0.4, 0.5)
        c.item = nil; c.items = "items"
        let perBasket = try RulesModel.train(path: t.file("wide.csv", wide), config: c)
        // Six baskets (one empty): the same itemsets, counted among six.
        XCTAssertEqual(perBasket.baskets, 6)
        XCTAssertEqual(perBasket.itemNames, long.itemNames)
        XCTAssertEqual(itemsets(perBasket), itemsets(long).filter { $0.value >= 3 })
    }

    func testSuggestionsSkipWhatTheBasketHoldsAndRankByConfidence() throws {
        let t = TempDir()
        let m = try RulesModel.train(path: t.file("b.csv", textbook), config: config(0.4, 0.5))
        let open = t.file("open.csv", "basket,item\nx,beer\ny,bread\ny,milk\nz,eggs\nw,beer\nw,diapers\nw,bread\nw,milk\n")
        let out = t.join("s.csv")
        let s = try m.suggest(path: open, layout: m.basketLayout, top: 3, output: out, jsonLines: false, delimiter: UInt8(ascii: ","))
        XCTAssertEqual(s.baskets, 4)
        let rows = try readAll(out)
        XCTAssertEqual(rows[0], ["basket_id", "rank", "item", "confidence", "lift", "antecedent"])
        let x = rows.dropFirst().filter { $0[0] == "x" }
        // beer -> diapers has confidence 3/3; beer -> bread and beer -> milk 2/3.
        XCTAssertEqual(x.first?[2], "diapers"); XCTAssertEqual(x.first?[3], "1.0"); XCTAssertEqual(x.first?[5], "[\"beer\"]")
        XCTAssertEqual(x.map { $0[2] }, ["diapers", "bread", "milk"])
        XCTAssertEqual(x.map { $0[1] }, ["1", "2", "3"])
        for row in rows.dropFirst() {
            let held = Set(try readAll(open).dropFirst().filter { $0[0] == row[0] }.map { $0[1] })
            XCTAssertFalse(held.contains(row[2]), "\(row): suggests what the basket holds")
            let antecedent = try JSONSerialization.jsonObject(with: Data(row[5].utf8)) as! [String]
            XCTAssertTrue(Set(antecedent).isSubset(of: held), "\(row): the antecedent is in the basket")
        }
        // An item the model never saw gets nothing; a full basket gets nothing new beyond its rules.
        XCTAssertFalse(rows.contains { $0[0] == "z" })
        XCTAssertEqual(s.basketsWithSuggestions, 3)
    }

    func testEvaluationHidesOneItemAndReportsTheBaseline() throws {
        let t = TempDir()
        let path = t.join("b.csv")
        try Generators.generate(.baskets, rows: 4000, seed: 3, to: path)
        _ = try Splitter.byGroup(path: path, group: "basket_id", testFraction: 0.25, seed: 1, trainOut: t.join("tr.csv"), testOut: t.join("te.csv"))
        var c = RulesConfig(basket: "basket_id", item: "item"); c.minSupport = 0.01; c.minConfidence = 0.3
        let m = try RulesModel.train(path: t.join("tr.csv"), config: c)
        let e = try m.evaluate(path: t.join("te.csv"), options: EvaluationOptions())
        let hit = try XCTUnwrap(e.metrics["hit_rate_at_k"]?.double), popular = try XCTUnwrap(e.metrics["popularity_hit_rate_at_k"]?.double)
        XCTAssertTrue((0...1).contains(hit) && (0...1).contains(popular))
        XCTAssertGreaterThan(hit, 0.05, "planted bundles are found again in held-out baskets")
        XCTAssertEqual(e.metrics["k"]?.double, 10)
        // The same seed hides the same items.
        XCTAssertEqual(try m.evaluate(path: t.join("te.csv"), options: EvaluationOptions()).metrics, e.metrics)
        // The planted rules are there: nappies -> beer, tortilla chips -> salsa.
        let rules = Set((0..<m.ruleCount).map { m.antecedentNames($0).joined(separator: "+") + "->" + m.consequentNames($0).joined(separator: "+") })
        XCTAssertTrue(rules.isSuperset(of: ["nappies->beer", "tortilla chips->salsa", "pasta+tomato sauce->parmesan"]), "\(rules)")
    }

    func testBadInputIsNamed() throws {
        let t = TempDir()
        let path = t.file("b.csv", textbook)
        var c = config(0.4, 0.5); c.basket = "order"
        XCTAssertThrowsPersonaError(try RulesModel.train(path: path, config: c), containing: ["b.csv", "order", "--basket", "Columns are: basket, item"])
        XCTAssertThrowsPersonaError(try RulesModel.train(path: t.file("empty.csv", "basket,item\n"), config: config(0.4, 0.5)),
                                    containing: ["empty.csv", "no baskets"])
        XCTAssertThrowsPersonaError(try RulesModel.train(path: t.file("gap.csv", "basket,item\n1,a\n,b\n"), config: config(0.4, 0.5)),
                                    containing: ["gap.csv", "line 3", "basket id is missing"])
        XCTAssertThrowsPersonaError(try RulesModel.train(path: path, config: config(25, 0.5)), containing: ["5 baskets", "--min-support 25"])
        XCTAssertThrowsParameterError(try config(1.5, 0.5).validate(), naming: "min_support", containing: ["neither a share", "whole count"])
        XCTAssertThrowsParameterError(try config(0, 0.5).validate(), naming: "min_support", containing: ["> 0"])
        XCTAssertThrowsParameterError(try config(0.4, 1.5).validate(), naming: "min_confidence", containing: ["between 0 and 1"])
        XCTAssertThrowsParameterError(try config(0.4, 0.5, maxLength: 1).validate(), naming: "max_length", containing: ["at least 2"])
        var both = config(0.4, 0.5); both.items = "items"
        XCTAssertThrowsParameterError(try both.validate(), naming: "item", containing: ["one of"])
        var few = config(0.2, 0.0); few.maxRules = 10
        XCTAssertThrowsPersonaError(try RulesModel.train(path: path, config: few), containing: ["more than 10 rules", "--min-confidence", "--max-rules"])
        var fewSets = config(0.2, 0.0); fewSets.maxRules = 1
        XCTAssertThrowsPersonaError(try RulesModel.train(path: path, config: fewSets), containing: ["frequent itemsets", "--min-support", "--max-length"])
    }

    /// The golden file of format version 1 loads, lists the same rules and
    /// suggests the same items.
    func testGoldenFileSuggestsTheSame() throws {
        guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil)?.path else { return XCTFail("no Golden folder") }
        let model = try ModelStore.load(path: dir + "/rules-v1.safetensors")
        let suggesting = try XCTUnwrap(model as? any BasketSuggesting)
        let t = TempDir()
        _ = try suggesting.suggest(path: dir + "/rules-v1-input.csv", layout: suggesting.basketLayout, top: 5, output: t.join("s.csv"),
                                   jsonLines: false, delimiter: UInt8(ascii: ","))
        XCTAssertEqual(try readAll(t.join("s.csv")), try readAll(dir + "/rules-v1-expected.csv"))
    }
}
