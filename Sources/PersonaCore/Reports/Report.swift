import Foundation

/// One self-contained HTML page per evaluation: the model card, the metrics
/// and the family's plots as inline SVG. No scripts and nothing fetched, so it
/// opens offline; the same model, data and seed give the same bytes.
public enum Report {
    public struct Figure {
        public var id: String
        public var caption: String
        public var svg: String
        /// Drawn at full size, scrolling sideways (the tree diagram), rather than shrunk to fit.
        public var wide = false
    }

    /// The start of a report page: the shared style, a heading and a line under it (HTML).
    public static func page(title: String, heading: String, subtitle: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(SVG.escape(title))</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1240px; padding: 24px 32px; line-height: 1.45; }
        h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .sub { color: #666; margin-top: 0; }
        table { border-collapse: collapse; font-size: 14px; margin: 8px 0 16px; }
        th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .grid { display: flex; flex-wrap: wrap; gap: 20px; }
        figure { margin: 0; border: 1px solid #e5e5e5; padding: 6px; background: #fff; max-width: 100%; }
        figure svg { max-width: 100%; height: auto; display: block; }
        figure.wide { flex-basis: 100%; overflow-x: auto; } figure.wide svg { max-width: none; }
        figcaption { font-size: 13px; color: #555; max-width: 560px; margin-top: 6px; }
        pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }
        </style></head><body>
        <h1>\(SVG.escape(heading))</h1>
        <p class="sub">\(subtitle)</p>

        """
    }

    /// Figures in a wrapping grid (HTML).
    public static func grid(_ figures: [Figure]) -> String {
        "<div class=\"grid\">\n" + figures.map { f in
            "<figure id=\"\(f.id)\"\(f.wide ? " class=\"wide\"" : "")>\(f.svg)<figcaption>\(SVG.escape(f.caption))</figcaption></figure>\n"
        }.joined() + "</div>\n"
    }

    static func cardTable(_ c: ModelCard) -> String {
        var rows: [(String, String)] = [("kind", c.kind), ("created", c.created), ("persona version", c.toolVersion),
                                        ("training data", "\(c.trainingData.file), \(c.trainingData.rows) rows")]
        if !c.pipeline.columns.isEmpty {
            rows.append(("input columns", c.pipeline.columns.map { "\($0.name) (\($0.type.rawValue))" }.joined(separator: ", ")))
            rows.append(("encoded features", "\(c.pipeline.width)\(c.pipeline.standardize ? ", standardised" : "")"))
        }
        if case .object(let o) = c.hyperparameters {
            rows.append(("hyperparameters", o.keys.sorted().compactMap { k in o[k].map { "\(k) = \(compact($0))" } }.joined(separator: ", ")))
        }
        return "<table>" + rows.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined() + "</table>\n"
    }

    static func compact(_ v: JSONValue) -> String {
        switch v {
        case .number(let d): return formatNumber(d, digits: 6)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "none"
        case .array(let a): return "[" + a.map(compact).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.keys.sorted().map { "\($0): \(compact(o[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    /// The confusion matrix and one ROC curve per class (against the rest) of a
    /// classifier of several classes; `caption` says how the prediction is made.
    static func multiclass(probabilities: [[Double]], actual: [Int], predicted: [Int], classes: [String], caption: String) -> [Figure] {
        var counts = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        for (a, p) in zip(actual, predicted) { counts[a][p] += 1 }
        var figs = [Figure(id: "confusion", caption: caption, svg: SVG.confusion(title: "Confusion matrix", classes: classes, counts: counts))]
        var roc = SVG.Plot(title: "ROC curves, each class against the rest", xLabel: "false positive rate (share of other classes flagged)",
                           yLabel: "true positive rate (share of the class caught)")
        roc.xRange = 0...1; roc.yRange = 0...1
        for (ci, cls) in classes.enumerated().prefix(SVG.palette.count) {
            let p = probabilities.map { $0[ci] }, y = actual.map { $0 == ci }
            let auc = ClassificationMetrics.rocAUC(p, y).map { " (AUC \(formatNumber($0, digits: 3)))" } ?? ""
            roc.series.append(SVG.Series(cls + auc, Report.curves(p, y).roc, color: SVG.palette[ci]))
        }
        roc.series.append(SVG.Series("random guess", [(0, 0), (1, 1)], kind: .dashed, color: SVG.muted))
        figs.append(Figure(id: "roc", caption: "One curve per class: its probability ranks the rows of that class against all the others.", svg: roc.render()))
        return figs
    }

    /// ROC, precision-recall, gains, lift, calibration and the confusion matrix of a binary classifier.
    static func classifier(p: [Double], y: [Bool], positive: String, negative: String, target: String, threshold: Double) -> [Figure] {
        var figs: [Figure] = []
        let pos = y.filter { $0 }.count, n = y.count
        let (roc, pr) = curves(p, y)
        let auc = ClassificationMetrics.rocAUC(p, y).map { formatNumber($0, digits: 4) } ?? "n/a"
        var rocPlot = SVG.Plot(title: "ROC curve (AUC \(auc))", xLabel: "false positive rate (share of \(target) = \(negative) flagged)",
                               yLabel: "true positive rate (recall)")
        rocPlot.xRange = 0...1; rocPlot.yRange = 0...1
        rocPlot.series = [SVG.Series("model", roc, color: SVG.palette[0]),
                          SVG.Series("random guess", [(0, 0), (1, 1)], kind: .dashed, color: SVG.muted)]
        figs.append(Figure(id: "roc", caption: "Each point is a threshold: the share of \(target) = \(positive) caught against the share of the others wrongly flagged.", svg: rocPlot.render()))

        let rate = Double(pos) / Double(max(1, n))
        let ap = ClassificationMetrics.averagePrecision(p, y).map { formatNumber($0, digits: 4) } ?? "n/a"
        var prPlot = SVG.Plot(title: "Precision-recall curve (average precision \(ap))", xLabel: "recall (share of \(target) = \(positive) caught)",
                              yLabel: "precision (share of flagged that are \(positive))")
        prPlot.xRange = 0...1; prPlot.yRange = 0...1
        prPlot.series = [SVG.Series("model", pr, color: SVG.palette[1]),
                         SVG.Series("base rate \(formatNumber(rate, digits: 3))", [(0, rate), (1, rate)], kind: .dashed, color: SVG.muted)]
        prPlot.legendAtBottomRight = false
        figs.append(Figure(id: "precision-recall", caption: "Precision against recall over every threshold; the dashed line is what flagging at random gives.", svg: prPlot.render()))

        let gains = ClassificationMetrics.gains(p, y)
        var gainsPlot = SVG.Plot(title: "Cumulative gains by decile of predicted risk", xLabel: "share of customers contacted, riskiest first (%)",
                                 yLabel: "share of all \(target) = \(positive) reached (%)")
        gainsPlot.xRange = 0...100; gainsPlot.yRange = 0...100
        gainsPlot.series = [SVG.Series("model", [(0, 0)] + gains.map { (Double($0.decile) * 10, $0.cumulativeShare * 100) }, color: SVG.palette[0]),
                            SVG.Series("random order", [(0, 0), (100, 100)], kind: .dashed, color: SVG.muted)]
        figs.append(Figure(id: "gains", caption: "Contacting the riskiest 10%, 20%, ... of customers reaches this share of the positives.", svg: gainsPlot.render()))

        var lift = SVG.Bars(title: "Lift by decile of predicted risk", xLabel: "decile (1 = riskiest tenth)", yLabel: "lift (positive rate / overall rate)",
                            categories: gains.map { String($0.decile) }, series: [("lift", gains.map(\.lift), SVG.palette[0])])
        lift.reference = (1, "no lift")
        figs.append(Figure(id: "lift", caption: "How many times the overall positive rate each decile holds.", svg: lift.render()))

        let cal = ClassificationMetrics.calibration(p, y).filter { $0.rows > 0 }
        var calPlot = SVG.Plot(title: "Calibration", xLabel: "mean predicted probability in the bin", yLabel: "observed rate of \(target) = \(positive)")
        calPlot.xRange = 0...1; calPlot.yRange = 0...1
        calPlot.legendAtBottomRight = false
        calPlot.series = [SVG.Series("model (10 bins)", cal.map { ($0.meanPredicted, $0.observedRate) }, color: SVG.palette[2]),
                          SVG.Series("perfect calibration", [(0, 0), (1, 1)], kind: .dashed, color: SVG.muted)]
        figs.append(Figure(id: "calibration", caption: "Predicted probability against the observed rate, in ten equal-width bins; on the diagonal, the probabilities can be taken at face value.", svg: calPlot.render()))

        let c = ClassificationMetrics.confusion(p, y, threshold: threshold)
        figs.append(Figure(id: "confusion", caption: "At threshold \(formatNumber(threshold, digits: 4)).",
                           svg: SVG.confusion(title: "Confusion matrix at threshold \(formatNumber(threshold, digits: 3))",
                                              classes: [negative, positive], counts: [[c.tn, c.fp], [c.fn, c.tp]])))
        return figs
    }

    /// ROC points (false positive rate, true positive rate) and precision-recall
    /// points (recall, precision), one per distinct score, thinned for drawing.
    static func curves(_ p: [Double], _ y: [Bool]) -> (roc: [(x: Double, y: Double)], pr: [(x: Double, y: Double)]) {
        let pos = y.filter { $0 }.count, n = y.count
        let order = p.indices.sorted { p[$0] > p[$1] }
        var roc: [(x: Double, y: Double)] = [(0, 0)], pr: [(x: Double, y: Double)] = []
        var tp = 0, fp = 0
        var i = 0
        while i < n {
            var j = i
            while j < n && p[order[j]] == p[order[i]] { if y[order[j]] { tp += 1 } else { fp += 1 }; j += 1 }
            roc.append((Double(fp) / Double(max(1, n - pos)), Double(tp) / Double(max(1, pos))))
            if tp > 0 { pr.append((Double(tp) / Double(max(1, pos)), Double(tp) / Double(tp + fp))) }
            i = j
        }
        return (thin(roc), thin(pr))
    }

    /// At most about 400 points, keeping the ends.
    static func thin(_ pts: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard pts.count > 400 else { return pts }
        let step = Double(pts.count - 1) / 399
        return (0..<400).map { pts[Int((Double($0) * step).rounded())] }
    }
}
