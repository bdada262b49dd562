import Foundation

/// The SQL machinery shared by families (quoting, missing markers, booleans).
private typealias SQL = SQLExport

/// LogisticModel as an ONNX graph (the fitted pipeline inside) and as one SQL SELECT.
extension LogisticModel: ONNXExportable {
    var onnxTitle: String { return "Persona logistic regression: P(\(target) = \(positive))" }

    /// Features, then the linear score and the logistic link in double
    /// precision, as Persona computes them.
    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        let m = self
        let x = g.cast(ONNXPipeline.features(&g, m.card.pipeline), to: .double)
        let w = g.constant("coefficients", doubles: Array(m.coefficients.dropFirst()), shape: [m.coefficients.count - 1, 1])
        let b = g.constant("intercept", doubles: [m.coefficients[0]], shape: [1])
        let p = g.node("Sigmoid", [g.node("Add", [g.node("MatMul", [x, w]), b])])
        let one = g.constant("one", doubles: [1], shape: [1])
        let both = g.node("Concat", [g.node("Sub", [one, p]), p], [ONNXGraph.attr("axis", int: 1)])
        let probabilities = g.cast(both, to: .float)
        let t = g.constant("threshold", doubles: [m.threshold], shape: [1])
        let positive = g.constant("positive", strings: [m.positive], shape: [1])
        let negative = g.constant("negative", strings: [m.negative], shape: [1])
        let label = g.node("Where", [g.node("GreaterOrEqual", [p, t]), positive, negative])
        g.output(label, as: "label", .string, [nil, 1], doc: "string [N,1]: \"\(m.positive)\" when P(\(m.target) = \(m.positive)) >= \(m.threshold), else \"\(m.negative)\"")
        g.output(probabilities, as: "probabilities", .float, [nil, 2],
                 doc: "float [N,2]: P(\(m.target) = \(m.negative)), P(\(m.target) = \(m.positive))")
    }
}

extension LogisticModel: SQLProbabilityExpression {
    public func sqlProbability(positive: String) -> String? {
        positive == self.positive ? "1.0 / (1.0 + EXP(-(\n        \(sqlLinearScore())\n      )))" : nil
    }

    /// The log-odds as one SQL expression over the raw columns.
    func sqlLinearScore() -> String {
        let m = self
        var terms = [SQL.number(m.coefficients[0])]
        var k = 1
        for c in m.card.pipeline.columns {
            switch c.type {
            case .categorical:
                let levels = c.levels ?? []
                let weights = Array(m.coefficients[k..<(k + levels.count + 1)])
                k += levels.count + 1
                let fill = c.fillIndex
                var e = "CASE WHEN \(SQL.missingText(c.name)) THEN \(SQL.number(weights[fill]))"
                for (i, l) in levels.enumerated() { e += " WHEN \(SQL.text(c.name)) = \(SQL.literal(l)) THEN \(SQL.number(weights[i]))" }
                e += " ELSE \(SQL.number(weights[levels.count])) END"
                terms.append("(\(e))")
            default:
                let raw = c.type == .boolean ? SQL.boolean(c.name) : SQL.identifier(c.name)
                let w = m.coefficients[k]
                terms.append("(COALESCE(\(raw), \(SQL.number(c.median ?? 0))) - \(SQL.number(c.center))) / \(SQL.number(c.scale)) * \(SQL.number(w))")
                k += 1
                if c.missingIndicator {
                    terms.append("(CASE WHEN \(raw) IS NULL THEN \(SQL.number(m.coefficients[k])) ELSE 0.0 END)")
                    k += 1
                }
            }
        }
        return terms.joined(separator: "\n        + ")
    }

    public func sqlSelect(table: String) -> String {
        let m = self
        let eta = sqlLinearScore()
        return SQL.header("Persona logistic regression: P(\(m.target) = \(m.positive)) as probability, and the predicted class", m, table: table) + """
        SELECT *,
          CASE WHEN probability >= \(SQL.number(m.threshold)) THEN \(SQL.literal(m.positive)) ELSE \(SQL.literal(m.negative)) END AS predicted
        FROM (
          SELECT *, 1.0 / (1.0 + EXP(-(
                \(eta)
              ))) AS probability
          FROM \(SQL.identifier(table))
        ) AS scored;

        """
    }
}
