import Foundation

/// The recommender report: precision and recall at k against the popularity baseline.
extension ALSModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .interactions(let test)? = rows else { return [] }
        return ALSReport.figures(self, test: test, options: options)
    }
}

enum ALSReport {
    static func figures(_ m: ALSModel, test: Interactions, options: EvaluationOptions) -> [Report.Figure] {
        let (users, relevant, _) = RankingEvaluation.heldOut(model: m, test: test)
        guard !users.isEmpty else { return [] }
        let maxK = min(20, m.itemIds.count)
        var precision = [[Double]](repeating: [Double](repeating: 0, count: maxK), count: 2)
        var recall = precision
        let order = m.popularity.indices.sorted { m.popularity[$0] != m.popularity[$1] ? m.popularity[$0] > m.popularity[$1] : $0 < $1 }
        var rank = [Int](repeating: 0, count: m.itemIds.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        var decileShare = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 2)
        let cut = min(options.k, maxK)
        RankingEvaluation.forEachList(model: m, users: users, n: maxK) { u, ours, popular in
            let rel = relevant[u]
            for (s, items) in [ours, popular].enumerated() {
                var hits = 0
                for k in 0..<maxK {
                    if k < items.count && rel.contains(items[k]) { hits += 1 }
                    precision[s][k] += Double(hits) / Double(k + 1)
                    recall[s][k] += Double(hits) / Double(rel.count)
                }
                for i in items.prefix(cut) { decileShare[s][min(9, rank[i] * 10 / m.itemIds.count)] += 1 }
            }
        }
        let n = Double(users.count)
        func line(_ v: [Double]) -> [(x: Double, y: Double)] { v.enumerated().map { (Double($0.offset + 1), $0.element / n) } }
        var figs: [Report.Figure] = []
        for (id, name, values) in [("precision-at-k", "precision", precision), ("recall-at-k", "recall", recall)] {
            var plot = SVG.Plot(title: "\(name.capitalized) at k: model against most popular", xLabel: "k (items recommended per user)",
                                yLabel: "\(name) at k (mean over \(users.count) users)")
            plot.xRange = 1...Double(maxK)
            plot.yRange = 0...max(1e-9, values.flatMap { $0 }.max().map { $0 / n * 1.08 } ?? 1)
            plot.series = [SVG.Series("ALS model", line(values[0]), color: SVG.palette[0]),
                           SVG.Series("most popular (baseline)", line(values[1]), kind: .dashed, color: SVG.muted)]
            plot.legendAtBottomRight = name == "recall"
            figs.append(Report.Figure(id: id, caption: "Held-out items of each user found in the top k, seen items excluded, beside recommending the most popular unseen items.", svg: plot.render()))
        }
        let totals = decileShare.map { max(1, $0.reduce(0, +)) }
        let bars = SVG.Bars(title: "Popularity of recommended items (top \(cut))", xLabel: "item popularity decile of the catalogue (1 = most popular tenth)",
                            yLabel: "share of recommendations (%)", categories: (1...10).map(String.init),
                            series: [("ALS model", decileShare[0].map { $0 / totals[0] * 100 }, SVG.palette[0]),
                                     ("most popular (baseline)", decileShare[1].map { $0 / totals[1] * 100 }, SVG.muted)])
        figs.append(Report.Figure(id: "popularity", caption: "Where the recommended items sit in the popularity ranking: a model that reaches beyond the head of the catalogue spreads to the right.", svg: bars.render()))
        return figs
    }
}

extension ALSModel: InspectionFacts {
    /// What `inspect` prints beside the card: the sizes and the most popular items.
    public func inspectionFacts() -> JSONValue {
        let popular: [JSONValue] = popularItems(5, excluding: []).map { item, count in
            JSONValue.object(["item": .string(itemIds[item]), "count": .number(Double(count))])
        }
        var facts: [String: JSONValue] = [:]
        facts["users"] = .number(Double(userIds.count))
        facts["items"] = .number(Double(itemIds.count))
        facts["interactions"] = .number(Double(seen.indices.count))
        facts["factors"] = .number(Double(userFactors.cols))
        facts["implicit"] = .bool(implicit)
        facts["popular_items"] = .array(popular)
        return .object(facts)
    }
}
