import Foundation

/// Binary classification's share of every binary classifier, whatever learner
/// gives the positive class's probability: the risk deciles fitted on the
/// training probabilities, the score columns (`probability`, `predicted`,
/// `risk_decile`), the evaluation, and the ONNX output stage. Logistic
/// regression and two-class boosted trees and forests use it, so these are
/// written once.
public struct BinaryClassification: Sendable {
    public var target: String
    public var positive: String
    public var negative: String
    /// The model's own threshold on the positive probability.
    public var threshold: Double
    /// Nine probabilities, highest first, cutting the training customers into tenths.
    public var riskCutPoints: [Double]

    /// The nine probabilities that cut the training customers into risk deciles, riskiest first.
    public static func riskCutPoints(_ p: [Double]) -> [Double] {
        let sorted = p.sorted(by: >)
        return (1...9).map { sorted[min(sorted.count - 1, sorted.count * $0 / 10)] }
    }

    /// Risk decile: 1 holds the riskiest tenth of the training customers.
    public func riskDecile(_ p: Double) -> Int {
        var decile = 1
        for c in riskCutPoints where p < c { decile += 1 }
        return decile
    }

    /// The score columns of rows with these positive probabilities.
    public func scoreColumns(_ p: [Double], options: ScoreOptions) -> [ScoreColumn] {
        let t = options.threshold ?? threshold
        return [ScoreColumn(name: "probability", values: p),
                ScoreColumn(name: "predicted", values: p.map { $0 >= t ? 1 : 0 }, labels: p.map { $0 >= t ? positive : negative }),
                ScoreColumn(name: "risk_decile", values: p.map { Double(riskDecile($0)) }, isInteger: true)]
    }

    /// The metrics of rows with these positive probabilities against their
    /// target labels (`x`: the rows as the model read them, for the report).
    func evaluate(_ p: [Double], labels: [String?], encoded x: FloatMatrix, kind: String, file: String,
                  options: EvaluationOptions) throws -> Evaluation {
        let y = try BinaryTarget.match(column: target, labels: labels, positive: positive, negative: negative,
                                       file: file, delimiter: options.delimiter)
        var metrics = ClassificationMetrics.report(p, y, threshold: options.threshold ?? threshold)
        if case .object(var o) = metrics { o["kind"] = .string(kind); metrics = .object(o) }
        var evaluation = Evaluation(task: .binaryClassification, metrics: metrics,
                                    text: ClassificationMetrics.render(metrics, positive: "\(target) = \(positive)"))
        evaluation.rows = .binary(p: p, y: y)
        evaluation.encoded = x
        return evaluation
    }

    /// The graph's outputs from the positive probability `p` ([N,1], double or
    /// float as the learner computes it): `label`, `probabilities` (float [N,2])
    /// and `risk_decile`, named as `persona score`'s columns.
    func buildONNXOutputs(_ g: inout ONNXGraph, probability p: String, float: Bool) {
        let one = float ? g.constant("one", floats: [1], shape: [1]) : g.constant("one", doubles: [1], shape: [1])
        let both = g.node("Concat", [g.node("Sub", [one, p]), p], [ONNXGraph.attr("axis", int: 1)])
        let probabilities = float ? both : g.cast(both, to: .float)
        let t = float ? g.constant("threshold", floats: [Float(threshold)], shape: [1]) : g.constant("threshold", doubles: [threshold], shape: [1])
        let positive = g.constant("positive", strings: [self.positive], shape: [1])
        let negative = g.constant("negative", strings: [self.negative], shape: [1])
        let label = g.node("Where", [g.node("GreaterOrEqual", [p, t]), positive, negative])
        g.output(label, as: "label", .string, [nil, 1],
                 doc: "string [N,1]: \"\(self.positive)\" when P(\(target) = \(self.positive)) >= \(threshold), else \"\(self.negative)\"")
        g.output(probabilities, as: "probabilities", .float, [nil, 2],
                 doc: "float [N,2]: P(\(target) = \(self.negative)), P(\(target) = \(self.positive))")
        g.output(g.riskDecile(p, cutPoints: riskCutPoints, float: float), as: "risk_decile", .int64, [nil, 1],
                 doc: "int64 [N,1]: 1 for the riskiest tenth of the training customers, up to 10")
        g.scoreColumn("probability", from: "probabilities", index: 1)
        g.scoreColumn("predicted", from: "label")
        g.scoreColumn("risk_decile", from: "risk_decile")
    }

    /// One SQL SELECT over the raw columns: the positive probability (one
    /// expression from the learner) as `probability`, and `predicted` at the threshold.
    func sqlSelect(title: String, probability: String, card: ModelCard, table: String, dialect sql: SQLDialect) -> String {
        sql.header(title, card, table: table) + """
        SELECT *,
          CASE WHEN probability >= \(sql.number(threshold)) THEN \(sql.literal(positive)) ELSE \(sql.literal(negative)) END AS predicted
        FROM (
          SELECT *, \(probability) AS probability
          FROM \(sql.identifier(table))
        ) AS scored;

        """
    }
}
