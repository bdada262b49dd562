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
        m.binary.buildONNXOutputs(&g, probability: p, float: false)
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
        binary.sqlSelect(title: "Persona logistic regression: P(\(target) = \(positive)) as probability, and the predicted class",
                         probability: sqlProbability(positive: positive, dialect: sql)!, card: card, table: table, dialect: sql)
    }
}
