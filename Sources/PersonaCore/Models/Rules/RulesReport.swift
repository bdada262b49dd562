import Foundation

/// The rules report: every rule's lift against its support, and a small network
/// of the strongest rules.
extension RulesModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard rules.count > 0 else { return [] }
        let order = ruleOrder(by: .lift)
        let measured = order.map(measures)
        // At most 3,000 points, evenly spaced along the order, the strongest 10 drawn on top.
        let step = max(1, measured.count / 3000)
        let sample = stride(from: 0, to: measured.count, by: step).map { (x: measured[$0].support, y: measured[$0].lift) }
        let strongest = measured.prefix(10).map { (x: $0.support, y: $0.lift) }
        var plot = SVG.Plot(title: "Rules: lift against support", xLabel: "support (share of baskets holding both sides)",
                            yLabel: "lift (1 = independent)")
        plot.series = [SVG.Series("rules (\(rules.count))", sample, kind: .points, color: SVG.palette[0]),
                       SVG.Series("10 strongest by lift", strongest, kind: .points, color: SVG.palette[1], radius: 4),
                       SVG.Series("independence", [(0, 1), (max(1e-9, measured.map(\.support).max() ?? 1), 1)], kind: .dashed, color: SVG.muted)]
        var figures = [Report.Figure(id: "lift-support", caption: "Each rule's lift against its support: the useful rules are high and not too far left (a strong rule few baskets hold).", svg: plot.render())]
        figures.append(Report.Figure(id: "rule-network", caption: "The strongest rules by lift (at most 12): an arrow from each antecedent item to each consequent item, thicker for a higher confidence.",
                                     svg: network(Array(order.prefix(12)))))
        return figures
    }

    /// Items on a circle, an arrow per (antecedent item, consequent item) of each rule.
    func network(_ shown: [Int]) -> String {
        var items: [Int32] = []
        for r in shown {
            for it in itemsets.itemset(Int(rules.antecedent[r])) + itemsets.itemset(Int(rules.consequent[r])) where !items.contains(it) { items.append(it) }
        }
        let width = 620.0, height = 460.0, cx = width / 2, cy = height / 2 + 10, radius = min(width, height) / 2 - 80
        var position: [Int32: (x: Double, y: Double)] = [:]
        for (k, it) in items.enumerated() {
            let angle = 2 * Double.pi * Double(k) / Double(items.count) - Double.pi / 2
            position[it] = (cx + radius * cos(angle), cy + radius * sin(angle))
        }
        var s = SVG.open(width, height, title: "Strongest rules")
        s += "<defs><marker id=\"rule-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">"
        s += "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"\(SVG.palette[0])\"/></marker></defs>"
        for r in shown {
            let m = measures(r)
            for a in itemsets.itemset(Int(rules.antecedent[r])) {
                for c in itemsets.itemset(Int(rules.consequent[r])) {
                    let p = position[a]!, q = position[c]!
                    // Stop short of the target's dot.
                    let dx = q.x - p.x, dy = q.y - p.y, length = max(1e-9, (dx * dx + dy * dy).squareRoot())
                    let end = (x: q.x - dx / length * 9, y: q.y - dy / length * 9)
                    s += "<line x1=\"\(SVG.f(p.x))\" y1=\"\(SVG.f(p.y))\" x2=\"\(SVG.f(end.x))\" y2=\"\(SVG.f(end.y))\" stroke=\"\(SVG.palette[0])\" "
                        + "stroke-opacity=\"0.7\" stroke-width=\"\(SVG.f(0.8 + 4 * m.confidence))\" marker-end=\"url(#rule-arrow)\">"
                        + "<title>\(SVG.escape(antecedentNames(r).joined(separator: " + "))) -> \(SVG.escape(consequentNames(r).joined(separator: " + "))): "
                        + "confidence \(formatNumber(m.confidence)), lift \(formatNumber(m.lift))</title></line>"
                }
            }
        }
        for it in items {
            let p = position[it]!
            let anchor = p.x < cx - 5 ? "end" : p.x > cx + 5 ? "start" : "middle"
            let tx = p.x + (anchor == "end" ? -10 : anchor == "start" ? 10 : 0), ty = p.y + (p.y < cy ? -10 : 16)
            s += "<circle cx=\"\(SVG.f(p.x))\" cy=\"\(SVG.f(p.y))\" r=\"6\" fill=\"\(SVG.palette[1])\"/>"
            s += "<text x=\"\(SVG.f(tx))\" y=\"\(SVG.f(ty))\" text-anchor=\"\(anchor)\">\(SVG.escape(itemNames[Int(it)]))</text>"
        }
        return s + "</svg>"
    }
}

extension RulesModel: InspectionFacts {
    /// What `inspect` prints beside the card: the counts and the strongest rules
    /// by lift (every rule: `inspect --rules --json`).
    public func inspectionFacts() -> JSONValue {
        let strongest = ruleOrder(by: .lift).prefix(5).map { r -> JSONValue in
            let m = measures(r)
            return .object(["antecedent": .array(antecedentNames(r).map { .string($0) }), "consequent": .array(consequentNames(r).map { .string($0) }),
                            "support": .finite(m.support), "confidence": .finite(m.confidence), "lift": .finite(m.lift)])
        }
        return .object(["baskets": .number(Double(baskets)), "items": .number(Double(itemNames.count)),
                        "itemsets": .number(Double(itemsets.count)), "rules": .number(Double(rules.count)),
                        "strongest_rules": .array(strongest)])
    }
}
