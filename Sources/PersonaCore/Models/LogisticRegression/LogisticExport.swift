import Foundation

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
        g.output(g.riskDecile(p, cutPoints: m.riskCutPoints, float: false), as: "risk_decile", .int64, [nil, 1],
                 doc: "int64 [N,1]: 1 for the riskiest tenth of the training customers, up to 10")
        g.scoreColumn("probability", from: "probabilities", index: 1)
        g.scoreColumn("predicted", from: "label")
        g.scoreColumn("risk_decile", from: "risk_decile")
    }
}

extension LogisticModel: SQLProbabilityExpression {
    public func sqlProbability(positive: String, dialect sql: SQLDialect) -> String? {
        positive == self.positive ? sql.sigmoid("\n        \(sqlLinearScore(sql))\n      ") : nil
    }

    /// The log-odds as one SQL expression over the raw columns.
    func sqlLinearScore(_ sql: SQLDialect) -> String {
        let m = self
        var terms = [sql.number(m.coefficients[0])]
        for (c, o) in zip(m.card.pipeline.columns, m.card.pipeline.columnOffsets) {
            let k = o + 1     // after the intercept
            switch c.type {
            case .categorical:
                terms.append("(\(sql.perLevel(c, Array(m.coefficients[k..<(k + c.encodedWidth)]))))")
            default:
                terms.append("\(sql.standardized(c)) * \(sql.number(m.coefficients[k]))")
                if c.missingIndicator {
                    terms.append("(CASE WHEN \(sql.value(c)) IS NULL THEN \(sql.number(m.coefficients[k + 1])) ELSE \(sql.number(0)) END)")
                }
            }
        }
        return terms.joined(separator: "\n        + ")
    }

    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        let m = self
        return sql.header("Persona logistic regression: P(\(m.target) = \(m.positive)) as probability, and the predicted class", m.card, table: table) + """
        SELECT *,
          CASE WHEN probability >= \(sql.number(m.threshold)) THEN \(sql.literal(m.positive)) ELSE \(sql.literal(m.negative)) END AS predicted
        FROM (
          SELECT *, \(sqlProbability(positive: m.positive, dialect: sql)!) AS probability
          FROM \(sql.identifier(table))
        ) AS scored;

        """
    }
}
