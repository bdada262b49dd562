extension ValueModel: ReportFigures {
    /// The holdout's cumulative purchases and the mean purchases by calibration
    /// frequency, actual against predicted (as in Fader, Hardie and Lee 2005).
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .purchases(let groups, let actual, let predicted, let days)? = rows else { return [] }
        var cumulative = SVG.Plot(title: "Cumulative repeat purchases in the holdout", xLabel: "periods after the calibration end (\(formatNumber(days)) days each)",
                                  yLabel: "purchases (one per customer and day)")
        cumulative.series = [SVG.Series("actual", actual.enumerated().map { (Double($0 + 1), $1) }, kind: .line, color: SVG.palette[0]),
                             SVG.Series("predicted", predicted.enumerated().map { (Double($0 + 1), $1) }, kind: .dashed, color: SVG.palette[1])]
        var byFrequency = SVG.Plot(title: "Holdout purchases by calibration frequency", xLabel: "repeat purchases in the calibration period (7 = 7 or more)",
                                   yLabel: "mean purchases per customer in the holdout")
        byFrequency.yRange = 0...max(1e-9, groups.map { max($0.actual, $0.predicted) }.max() ?? 1)
        cumulative.yRange = 0...max(1e-9, (actual + predicted).max() ?? 1)
        let x = groups.map { Double($0.label == "7+" ? "7" : $0.label) ?? 0 }
        byFrequency.series = [SVG.Series("actual", zip(x, groups).map { ($0, $1.actual) }, kind: .line, color: SVG.palette[0]),
                              SVG.Series("predicted", zip(x, groups).map { ($0, $1.predicted) }, kind: .dashed, color: SVG.palette[1])]
        return [Report.Figure(id: "cumulative-purchases", caption: "Repeat purchases of the calibration customers, added up period by period through the holdout: the model's expectation against what they bought.",
                              svg: cumulative.render()),
                Report.Figure(id: "purchases-by-frequency", caption: "Customers grouped by their repeat purchases in the calibration period: their mean purchases in the holdout, actual and predicted.",
                              svg: byFrequency.render())]
    }
}
