import Foundation

/// The uplift model's report: per treatment, the Qini and cumulative uplift
/// curves against the random line, and the
/// observed against the predicted uplift by decile.
extension UpliftModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .uplift(let treatments)? = rows else { return [] }
        var figures: [Report.Figure] = []
        for (k, t) in treatments.enumerated() {
            let id = "\(k + 1)"
            func points(_ c: UpliftMetrics.Curve) -> [(x: Double, y: Double)] {
                Report.thin(zip(c.x, c.y).map { (x: $0.0, y: $0.1) })
            }
            for qini in [true, false] {
                let actual = qini ? UpliftMetrics.qiniCurve(t.y, t.score, t.treated) : UpliftMetrics.upliftCurve(t.y, t.score, t.treated)
                let end = (x: actual.x.last ?? 0, y: actual.y.last ?? 0)
                var plot = SVG.Plot(title: "\(qini ? "Qini" : "Cumulative uplift") curve: \(t.name)", xLabel: "customers targeted, by predicted uplift",
                                    yLabel: qini ? "incremental responders" : "uplift x customers")
                plot.series = [
                    SVG.Series("random targeting", [(0, 0), end], kind: .dashed, color: "#555555"),
                    SVG.Series("model", points(actual), kind: .line, color: SVG.palette[0]),
                ]
                plot.legendAtBottomRight = false
                let score = qini ? UpliftMetrics.qiniAUC(t.y, t.score, t.treated) : UpliftMetrics.upliftAUC(t.y, t.score, t.treated)
                figures.append(Report.Figure(id: "\(qini ? "qini" : "uplift")-\(id)",
                                             caption: "\(qini ? "Qini" : "Cumulative uplift") curve of \(t.name) against \(control): the area between the model's curve and the random line, over the best ranking's, is \(qini ? "qini_auc" : "uplift_auc") = \(formatNumber(score, digits: 4)).",
                                             svg: plot.render()))
            }
            let bins = UpliftMetrics.byPercentile(t.y, t.score, t.treated)
            let bars = SVG.Bars(title: "Uplift by decile: \(t.name)", xLabel: "decile of predicted uplift (1 = highest)", yLabel: "uplift in response rate",
                                categories: (1...bins.count).map(String.init),
                                series: [("observed", bins.map { $0.uplift ?? .nan }, SVG.palette[0]),
                                         ("predicted", bins.map(\.meanPredicted), SVG.palette[1])])
            figures.append(Report.Figure(id: "deciles-\(id)", caption: "Observed (treated less control response rate) and mean predicted uplift of \(t.name) in each tenth of the customers ranked by predicted uplift.",
                                         svg: bars.render()))
        }
        return figures
    }
}

extension UpliftModel: InspectionFacts {
    /// What `inspect` prints beside the card: the arms and each inner model's own facts.
    public func inspectionFacts() -> JSONValue {
        .object(["treatments": .array(treatments.map { .string($0) }), "control": .string(control), "positive": .string(positive),
                 "models": .array(zip(roles, models).map { role, m in
                     var o: [String: JSONValue] = ["role": .string(role), "kind": .string(m.card.kind)]
                     if let facts = (m as? any InspectionFacts)?.inspectionFacts() { o["facts"] = facts }
                     return .object(o)
                 })])
    }
}
