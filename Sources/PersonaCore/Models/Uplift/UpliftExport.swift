import Foundation

/// An uplift model as one ONNX graph (every inner model's graph embedded, fed
/// the same raw columns) and as one SQL SELECT (each inner model's probability
/// as an expression). Both give what `score` writes: each treatment's uplift,
/// the best treatment (control when none is positive) and its uplift.
extension UpliftModel: ONNXExportable {
    var onnxTitle: String { "Persona uplift model: the change in P(\(config.outcome) = \(positive)) of each treatment against \(control)" }

    /// The column of an inner model's `probabilities` output that is its positive class.
    func positiveColumn(_ m: any RowScoring) -> Int {
        (m as? any ClassProbabilities)?.probabilityClasses.firstIndex(of: innerPositive) ?? 1
    }

    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        var probabilities: [String] = []
        for (k, m) in models.enumerated() {
            guard let inner = m as? any ONNXExportable else { throw PersonaError("a \(m.card.kind) model has no ONNX export in this release") }
            var sub = ONNXGraph(name: "inner\(k)")
            try inner.buildONNX(&sub, top: top)
            let outputs = g.embed(sub, prefix: "m\(k)_")
            guard let all = outputs["probabilities"] else { throw PersonaError("the \(m.card.kind) learner's graph has no probabilities") }
            let column = g.constant("column", int64s: [Int64(positiveColumn(m))], shape: [1])
            probabilities.append(g.cast(g.node("Gather", [all, column], [ONNXGraph.attr("axis", int: 1)]), to: .double))
        }
        var uplifts: [String] = []
        switch config.method {
        case .twoModel:
            for t in 1..<probabilities.count { uplifts.append(g.node("Sub", [probabilities[t], probabilities[0]])) }
        case .transformedOutcome:
            let two = g.constant("two", doubles: [2], shape: [1]), one = g.constant("one", doubles: [1], shape: [1])
            for p in probabilities { uplifts.append(g.node("Sub", [g.node("Mul", [p, two]), one])) }
        }
        let u = uplifts.count == 1 ? uplifts[0] : g.node("Concat", uplifts, [ONNXGraph.attr("axis", int: 1)])
        // Control's uplift is 0: the best column of [0, uplifts...], the first on ties, as `score` picks.
        let zero = g.node("Sub", [uplifts[0], uplifts[0]])
        let withControl = g.node("Concat", [zero, u], [ONNXGraph.attr("axis", int: 1)])
        let best = g.node("ArgMax", [withControl], [ONNXGraph.attr("axis", int: 1), ONNXGraph.attr("keepdims", int: 1)])
        let names = g.constant("arms", strings: [control] + treatments, shape: [treatments.count + 1])
        g.output(g.node("Gather", [names, best], [ONNXGraph.attr("axis", int: 0)]), as: "best_treatment", .string, [nil, 1],
                 doc: "string [N,1]: the treatment with the largest uplift, or \"\(control)\" when none is positive")
        g.output(g.cast(g.node("ReduceMax", [withControl], [ONNXGraph.attr("axes", ints: [1]), ONNXGraph.attr("keepdims", int: 1)]), to: .float), as: "best_uplift", .float, [nil, 1],
                 doc: "float [N,1]: the best treatment's uplift (0 for \(control))")
        g.output(g.cast(u, to: .float), as: "uplift", .float, [nil, treatments.count],
                 doc: "float [N,\(treatments.count)]: the uplift of each treatment, in the order \(treatments.joined(separator: ", "))")
        for (k, t) in treatments.enumerated() { g.scoreColumn("uplift_" + t, from: "uplift", index: k) }
        g.scoreColumn("best_treatment", from: "best_treatment")
        g.scoreColumn("best_uplift", from: "best_uplift")
    }
}

extension UpliftModel: SQLExportable {
    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        let p = models.map { ($0 as? any SQLProbabilityExpression)?.sqlProbability(positive: innerPositive, dialect: sql) ?? "NULL" }
        let names = models.indices.map { sql.identifier("persona_p_\($0)") }
        let upliftOf: [String] = treatments.indices.map { t in
            config.method == .twoModel ? "\(names[t + 1]) - \(names[0])" : "\(sql.number(2)) * \(names[t]) - \(sql.number(1))"
        }
        let columns = treatments.indices.map { "\(upliftOf[$0]) AS \(sql.identifier("uplift_" + treatments[$0]))" }
        // The best treatment: strictly larger than every earlier one and than 0 (control), as `score` picks.
        var best = "CASE"
        for t in treatments.indices {
            let beats = ["\(upliftOf[t]) > \(sql.number(0))"] + (0..<t).map { "\(upliftOf[t]) > \(upliftOf[$0])" } + ((t + 1)..<treatments.count).map { "\(upliftOf[t]) >= \(upliftOf[$0])" }
            best += " WHEN " + beats.joined(separator: " AND ") + " THEN \(t)"
        }
        best += " ELSE -1 END"
        let label = "CASE persona_best " + treatments.indices.map { "WHEN \($0) THEN \(sql.literal(treatments[$0]))" }.joined(separator: " ")
            + " ELSE \(sql.literal(control)) END"
        let bestUplift = "CASE persona_best " + treatments.indices.map { "WHEN \($0) THEN \(upliftOf[$0])" }.joined(separator: " ") + " ELSE \(sql.number(0)) END"
        return sql.header("Persona uplift model: the change in P(\(config.outcome) = \(positive)) of each treatment against \(control), and the best treatment", self.card, table: table) + """
        SELECT *,
          \(label) AS best_treatment,
          \(bestUplift) AS best_uplift
        FROM (
          SELECT *,
            \(columns.joined(separator: ",\n    ")),
            \(best) AS persona_best
          FROM (
            SELECT *,
              \(zip(p, names).map { "\($0) AS \($1)" }.joined(separator: ",\n      "))
            FROM \(sql.identifier(table))
          ) AS inner_models
        ) AS uplifts;

        """
    }
}
