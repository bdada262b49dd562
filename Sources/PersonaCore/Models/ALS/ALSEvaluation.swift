import Foundation

/// A recommender measured on held-out interactions: ranking metrics at k,
/// beside the most-popular baseline.
enum RankingEvaluation {
    struct Report { var json: JSONValue; var text: String }

    /// The held-out items of each test user the model knows (items the model
    /// never saw count as relevant too, as misses), and how many test users it does not know.
    static func heldOut(model: ALSModel, test: Interactions) -> (users: [Int], relevant: [Set<Int>], unknown: Int) {
        let userIndex = model.userIndex, itemIndex = model.itemIndex
        var users: [Int] = [], relevant: [Set<Int>] = [], unknown = 0
        for tu in 0..<test.userIds.count {
            guard let u = userIndex[test.userIds[tu]] else { unknown += 1; continue }
            var rel = Set<Int>()
            for t in test.byUser.range(tu) { rel.insert(itemIndex[test.itemIds[Int(test.byUser.indices[t])]] ?? -1 - t) }
            users.append(u); relevant.append(rel)
        }
        return (users, relevant, unknown)
    }

    /// Calls `body` for each user with the model's top `n` items and the most
    /// popular `n`, both without the user's seen items, in blocks of 512 users.
    static func forEachList(model: ALSModel, users: [Int], n: Int, _ body: (_ index: Int, _ ours: [Int], _ popular: [Int]) -> Void) {
        let block = 512
        var start = 0
        while start < users.count {
            let ids = Array(users[start..<min(users.count, start + block)])
            var f = FloatMatrix(rows: ids.count, cols: model.userFactors.cols)
            for (r, u) in ids.enumerated() { for j in 0..<f.cols { f[r, j] = model.userFactors[u, j] } }
            let excludes = ids.map { model.seenItems($0) }
            for (r, list) in model.topItems(f, exclude: excludes, n: n).enumerated() {
                body(start + r, list.map(\.0), model.popularItems(n, excluding: excludes[r]).map(\.0))
            }
            start += block
        }
    }

    static func run(model: ALSModel, test: Interactions, k: Int) -> Report {
        let (users, relevant, unknownUsers) = heldOut(model: model, test: test)
        var squared = 0.0, absolute = 0.0, baseSquared = 0.0, baseAbsolute = 0.0, pairs = 0
        if !model.implicit {
            let userIndex = model.userIndex, itemIndex = model.itemIndex
            let globalMean = model.seen.values.isEmpty ? 0 : model.seen.values.reduce(0.0) { $0 + Double($1) } / Double(model.seen.values.count)
            for tu in 0..<test.userIds.count {
                guard let u = userIndex[test.userIds[tu]] else { continue }
                for t in test.byUser.range(tu) {
                    guard let i = itemIndex[test.itemIds[Int(test.byUser.indices[t])]] else { continue }
                    var p = 0.0
                    for j in 0..<model.userFactors.cols { p += Double(model.userFactors[u, j]) * Double(model.itemFactors[i, j]) }
                    let e = p - Double(test.byUser.values[t]), b = globalMean - Double(test.byUser.values[t])
                    squared += e * e; absolute += abs(e); baseSquared += b * b; baseAbsolute += abs(b); pairs += 1
                }
            }
        }
        var ours = RankingMetrics.Scores(), popular = RankingMetrics.Scores()
        var recommended = Set<Int>(), popularRecommended = Set<Int>()
        forEachList(model: model, users: users, n: k) { i, items, pop in
            recommended.formUnion(items)
            RankingMetrics.add(&ours, list: items, relevant: relevant[i], k: k)
            popularRecommended.formUnion(pop)
            RankingMetrics.add(&popular, list: pop, relevant: relevant[i], k: k)
        }
        ours = RankingMetrics.mean(ours); popular = RankingMetrics.mean(popular)
        let items = Double(max(1, model.itemIds.count))
        func object(_ s: RankingMetrics.Scores, coverage: Double, rmse: Double?, mae: Double?) -> [String: JSONValue] {
            var o: [String: JSONValue] = ["precision_at_k": .number(s.precision), "recall_at_k": .number(s.recall),
                                          "ndcg_at_k": .number(s.ndcg), "map_at_k": .number(s.map), "coverage": .number(coverage)]
            if let rmse { o["rmse"] = .number(rmse) }
            if let mae { o["mae"] = .number(mae) }
            return o
        }
        let n = Double(max(1, pairs))
        var o = object(ours, coverage: Double(recommended.count) / items,
                       rmse: model.implicit || pairs == 0 ? nil : (squared / n).squareRoot(), mae: model.implicit || pairs == 0 ? nil : absolute / n)
        o["kind"] = .string(ALSModel.kind)
        o["k"] = .number(Double(k))
        o["users"] = .number(Double(ours.users))
        o["unknown_users"] = .number(Double(unknownUsers))
        o["baseline"] = .object(object(popular, coverage: Double(popularRecommended.count) / items,
                                       rmse: model.implicit || pairs == 0 ? nil : (baseSquared / n).squareRoot(),
                                       mae: model.implicit || pairs == 0 ? nil : baseAbsolute / n))
        var lines = ["\(ours.users) test users (\(unknownUsers) not in training, skipped); k = \(k)"]
        lines.append("metric".padding(toLength: 16, withPad: " ", startingAt: 0) + "ALS".leftPadded(10) + "most popular".leftPadded(14) + "lift".leftPadded(8))
        func row(_ name: String, _ a: Double, _ b: Double) {
            lines.append(name.padding(toLength: 16, withPad: " ", startingAt: 0) + formatNumber(a, digits: 4).leftPadded(10)
                         + formatNumber(b, digits: 4).leftPadded(14) + (b > 0 ? formatNumber(a / b, digits: 3) + "x" : "").leftPadded(8))
        }
        row("precision@\(k)", ours.precision, popular.precision)
        row("recall@\(k)", ours.recall, popular.recall)
        row("NDCG@\(k)", ours.ndcg, popular.ndcg)
        row("MAP@\(k)", ours.map, popular.map)
        row("coverage", Double(recommended.count) / items, Double(popularRecommended.count) / items)
        if !model.implicit && pairs > 0 {
            lines.append("RMSE".padding(toLength: 16, withPad: " ", startingAt: 0) + formatNumber((squared / n).squareRoot(), digits: 4).leftPadded(10)
                         + formatNumber((baseSquared / n).squareRoot(), digits: 4).leftPadded(14) + "  (baseline: the mean rating)")
            lines.append("MAE".padding(toLength: 16, withPad: " ", startingAt: 0) + formatNumber(absolute / n, digits: 4).leftPadded(10)
                         + formatNumber(baseAbsolute / n, digits: 4).leftPadded(14))
        }
        return Report(json: .object(o), text: lines.joined(separator: "\n"))
    }
}
