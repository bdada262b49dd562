import Foundation

/// The HTML pages of `abtest plan --report` and `abtest analyze --report`.
public enum ABTestReport {
    static func tableHTML(_ rows: [[String]]) -> String {
        guard let head = rows.first else { return "" }
        var h = "<table><tr>" + head.map { "<th>\(SVG.escape($0))</th>" }.joined() + "</tr>"
        for r in rows.dropFirst() {
            h += "<tr>" + r.enumerated().map { i, v in i == 0 ? "<td>\(SVG.escape(v))</td>" : "<td class=\"num\">\(SVG.escape(v))</td>" }.joined() + "</tr>"
        }
        return h + "</table>\n"
    }

    public static func analysis(_ a: ABTestAnalysis, dataPath: String) -> String {
        let what = a.metric == .proportion ? "conversion rate" : "mean"
        var h = Report.page(title: "A/B test: \(a.request.outcome) on \((dataPath as NSString).lastPathComponent)",
                            heading: "A/B test of \(a.request.outcome)",
                            subtitle: "data <code>\(SVG.escape(dataPath))</code>, \(a.rows) rows, arms in <code>\(SVG.escape(a.request.group))</code>, analysed by persona \(SVG.escape(PersonaVersion.tool))")
        h += "<h2>Arms</h2>\n" + tableHTML(a.armRows(a.arms, adjusted: a.arms.count > 2 ? "Holm" : nil))
        h += "<p>Sample ratio mismatch test: chi-square \(SVG.escape(formatNumber(a.srmChiSquare, digits: 4))), p = \(SVG.escape(ABTestAnalysis.pText(a.srmPValue)))"
            + (a.srmPValue < 0.001 ? " <strong>(mismatch: check the assignment before trusting the effects)</strong>" : "") + ".</p>\n"
        let level = formatNumber((1 - a.request.alpha) * 100, digits: 3)
        var rows: [(label: String, estimate: Double, low: Double, high: Double, color: String)] = []
        for arm in a.arms.dropFirst() {
            if let c = arm.comparison { rows.append((arm.name, c.difference, c.ciLow, c.ciHigh, SVG.palette[0])) }
            if let c = arm.cuped { rows.append((arm.name + " (CUPED)", c.difference, c.ciLow, c.ciHigh, SVG.palette[1])) }
        }
        var figures = [Report.Figure(id: "effects", caption: "Each treatment's difference from \(a.request.control) in \(what), with its \(level)% interval\(a.theta != nil ? "; CUPED adjusts for \(a.request.pre ?? "")" : "").",
                                     svg: SVG.intervals(title: "Difference from \(a.request.control)", xLabel: "difference in \(what)", rows: rows))]
        if !a.segments.isEmpty {
            var segRows: [(label: String, estimate: Double, low: Double, high: Double, color: String)] = []
            for s in a.segments {
                for (i, arm) in s.arms.enumerated().dropFirst() {
                    guard let c = arm.comparison else { continue }
                    segRows.append(("\(s.value) · \(arm.name)", c.difference, c.ciLow, c.ciHigh, SVG.palette[(i - 1) % SVG.palette.count]))
                }
            }
            figures.append(Report.Figure(id: "segments", caption: "The effect within each value of \(a.request.segment ?? ""), with unadjusted \(level)% intervals.",
                                         svg: SVG.intervals(title: "Effect by \(a.request.segment ?? "")", xLabel: "difference in \(what)", rows: segRows)))
        }
        h += "<h2>Effects</h2>\n" + Report.grid(figures)
        h += "<h2>As printed by <code>persona abtest analyze</code></h2>\n<pre>\(SVG.escape(a.text))</pre>\n</body></html>\n"
        return h
    }

    public static func plan(_ p: ABTestPlan) -> String {
        var h = Report.page(title: "A/B test plan", heading: "A/B test plan", subtitle: "planned by persona \(SVG.escape(PersonaVersion.tool))")
        h += "<pre>\(SVG.escape(p.text))</pre>\n"
        if let d = p.sequential {
            var plot = SVG.Plot(title: "\(d.spending.title) boundaries, \(d.looks.count) looks", xLabel: "share of the maximum sample", yLabel: "z boundary")
            let upper = d.looks.map { (x: $0.information, y: $0.boundary) }
            plot.series.append(SVG.Series("stop for an effect", upper, kind: .line, color: SVG.palette[2]))
            plot.series.append(SVG.Series("", upper, kind: .points, color: SVG.palette[2], radius: 4))
            if d.sides == 2 {
                let lower = d.looks.map { (x: $0.information, y: -$0.boundary) }
                plot.series.append(SVG.Series("", lower, kind: .line, color: SVG.palette[2]))
                plot.series.append(SVG.Series("", lower, kind: .points, color: SVG.palette[2], radius: 4))
            }
            let fixed = Distributions.normalQuantile(1 - d.alpha / Double(d.sides))
            plot.series.append(SVG.Series("fixed-sample boundary", [(0, fixed), (1, fixed)], kind: .dashed, color: "#555555"))
            plot.xRange = 0...1
            let top = (d.looks.map(\.boundary).filter(\.isFinite).max() ?? 4) + 0.5
            plot.yRange = (d.sides == 2 ? -top : 0)...top
            h += "<h2>Boundaries</h2>\n" + Report.grid([Report.Figure(id: "boundaries", caption: "Stop at a look when the test statistic crosses the boundary; otherwise continue to the next.", svg: plot.render())])
        }
        return h + "</body></html>\n"
    }
}
