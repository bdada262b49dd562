import Foundation

/// The page `persona evaluate --report` and `persona run` write for a model:
/// its card, the metrics its task declares, the family's own figures and the
/// contributions figure of a model that explains rows, assembled from the
/// report machinery in Reports/.
extension Report {
    public static func html(model: any PersonaModel, modelPath: String, dataPath: String, evaluation: Evaluation,
                            options: EvaluationOptions) -> String {
        var figures = Self.figures(model: model, rows: evaluation.rows, options: options)
        if let f = contributionFigure(model: model, evaluation: evaluation) { figures.append(f) }
        let title = "\(type(of: model).title): \((modelPath as NSString).lastPathComponent) on \((dataPath as NSString).lastPathComponent)"
        var h = page(title: title, heading: type(of: model).title, subtitle: "model <code>\(SVG.escape(modelPath))</code> evaluated on <code>\(SVG.escape(dataPath))</code> by persona \(SVG.escape(PersonaVersion.tool))")
        h += "<h2>Model card</h2>\n" + cardTable(model.card)
        h += "<h2>Metrics</h2>\n" + metricsTable(evaluation.metrics, task: evaluation.task)
        h += "<h2>Plots</h2>\n" + grid(figures)
        h += "<h2>As printed by <code>persona evaluate</code></h2>\n<pre>\(SVG.escape(evaluation.text))</pre>\n</body></html>\n"
        return h
    }

    static func figures(model: any PersonaModel, rows: EvaluatedRows?, options: EvaluationOptions) -> [Figure] {
        (model as? any ReportFigures)?.reportFigures(rows, options: options) ?? []
    }

    /// Mean |contribution| per column on (up to 5,000 of) the evaluated rows, for models that explain rows.
    static func contributionFigure(model: any PersonaModel, evaluation: Evaluation) -> Figure? {
        guard let m = model as? any RowExplaining, m.explanationUnavailable == nil, let x = evaluation.encoded, x.rows > 0 else { return nil }
        let items = m.meanAbsoluteContributions(x).map { ($0.column, $0.value) }
        return Figure(id: "contributions", caption: "Mean absolute contribution of each column to the score (\(m.contributionScale)) on \(min(x.rows, 5000)) of the rows, by \(m.readsRawValues ? "TreeSHAP" : "coefficient times the deviation from the training mean"): the columns that move individual customers' scores most.",
                      svg: SVG.horizontalBars(title: "What moves the score", xLabel: "mean |contribution|", items: items))
    }

    /// The scalar metrics (nested tables are in the plots and the text): the
    /// task's own first, each with its title and direction, then the rest.
    static func metricsTable(_ m: JSONValue, task: ModelTask) -> String {
        guard case .object(let o) = m else { return "" }
        let declared = task.ordered(o.keys.filter { task.metric($0) != nil })
        var rows = ""
        for k in declared + o.keys.filter({ task.metric($0) == nil }).sorted() {
            let about = "<td>" + (task.metric(k).map { "\(SVG.escape($0.title)), \($0.direction == .higherIsBetter ? "higher" : "lower") is better" } ?? "") + "</td>"
            switch o[k]! {
            case .number(let d): rows += "<tr><th>\(SVG.escape(k))</th><td class=\"num\">\(SVG.escape(formatNumber(d, digits: 5)))</td>\(about)</tr>"
            case .null where task.metric(k) != nil: rows += "<tr><th>\(SVG.escape(k))</th><td class=\"num\">n/a</td>\(about)</tr>"
            case .string(let s): rows += "<tr><th>\(SVG.escape(k))</th><td>\(SVG.escape(s))</td>\(about)</tr>"
            case .object(let inner):
                let scalars = inner.keys.sorted().compactMap { ik -> String? in inner[ik]?.double.map { "\(ik) \(formatNumber($0, digits: 5))" } }
                if !scalars.isEmpty { rows += "<tr><th>\(SVG.escape(k))</th><td>\(SVG.escape(scalars.joined(separator: ", ")))</td>\(about)</tr>" }
            default: continue
            }
        }
        return "<table>\(rows)</table>\n"
    }
}
