import Foundation

/// Boosted trees as one SQL SELECT: each tree a CASE expression that yields its
/// leaf's value, summed with the starting score, then the logistic link for a
/// classifier. Missing values go the way each split learned; a category the
/// model never saw (or saw too rarely to split on) goes right, as in `score`.
/// Boosted trees as one ai.onnx.ml TreeEnsembleRegressor summing every tree's
/// leaf value onto the starting score (the raw score), then the logistic link
/// for a classifier, with the pipeline's raw inputs and categorical membership
/// as the decision tree's export has them.
extension GBDTModel: ONNXExportable {
    var onnxTitle: String {
        (isForest ? "Persona random forest: " : "Persona gradient-boosted trees: ")
            + (task == .regression ? "the predicted \(target)" : isMulticlass ? "the probability of each class of \(target)" : "P(\(target) = \(positive))")
    }

    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        let (x, featureOf) = TreeEnsembleONNX.input(&g, card.pipeline, trees: trees)
        var targetTrees: [Int64] = [], targetNodes: [Int64] = [], weights: [Float] = []
        // Tree k adds to raw score k % width (its class with several classes).
        let w = width
        for (k, t) in trees.enumerated() {
            for n in 0..<t.count where t.feature[n] < 0 {
                targetTrees.append(Int64(k)); targetNodes.append(Int64(n)); weights.append(Float(t.value[n][0]))
            }
        }
        let attributes = TreeEnsembleONNX.nodes(trees, featureOf: featureOf, pipeline: card.pipeline) + [
            ONNXGraph.attr("n_targets", int: Int64(w)), ONNXGraph.attr("aggregate_function", string: "SUM"),
            ONNXGraph.attr("base_values", floats: initScores.map(Float.init)),
            ONNXGraph.attr("target_treeids", ints: targetTrees), ONNXGraph.attr("target_nodeids", ints: targetNodes),
            ONNXGraph.attr("target_ids", ints: targetTrees.map { $0 % Int64(w) }), ONNXGraph.attr("target_weights", floats: weights),
        ]
        let raw = g.node("TreeEnsembleRegressor", [x], domain: ONNXGraph.mlDomain, attributes)
        if isMulticlass {
            // softmax of the per-class sums; the label is the most probable class, the first on ties
            let probabilities = g.node("Softmax", [raw], [ONNXGraph.attr("axis", int: 1)])
            let predicted = g.node("ArgMax", [raw], [ONNXGraph.attr("axis", int: 1), ONNXGraph.attr("keepdims", int: 1)])
            let names = g.constant("classes", strings: classes, shape: [classes.count])
            g.output(g.node("Gather", [names, predicted], [ONNXGraph.attr("axis", int: 0)]), as: "label", .string, [nil, 1],
                     doc: "string [N,1]: the predicted class of \(target)")
            g.output(probabilities, as: "probabilities", .float, [nil, w],
                     doc: "float [N,\(w)]: the probability of each class, in the order \(classes.joined(separator: ", "))")
            for (i, c) in classes.enumerated() { g.scoreColumn("probability_" + c, from: "probabilities", index: i) }
            g.scoreColumn("predicted", from: "label")
            return
        }
        if task == .regression {
            g.output(raw, as: "prediction", .float, [nil, 1], doc: "float [N,1]: the predicted \(target)")
            g.scoreColumn("prediction", from: "prediction")
            return
        }
        // A forest's average is the probability; boosting's sum is log-odds.
        let p = isForest ? raw : g.node("Sigmoid", [raw])
        binary.buildONNXOutputs(&g, probability: p, float: true)
    }
}

extension GBDTModel: SQLProbabilityExpression {
    public func sqlProbability(positive: String, dialect sql: SQLDialect) -> String? {
        guard task == .classification, !isMulticlass, positive == self.positive else { return nil }
        if isForest { return "(\n        \(sqlRawScore(sql))\n      )" }
        return sql.sigmoid("\n        \(sqlRawScore(sql))\n      ")
    }

    /// The raw score (log-odds, the predicted number, or with several classes
    /// class `k`'s score) as one SQL expression.
    func sqlRawScore(_ sql: SQLDialect, class k: Int = 0) -> String {
        let pipeline = card.pipeline
        // Each tree as one flat CASE over its leaves' paths: SQL engines' parsers
        // run out of stack on hundreds of nested CASEs.
        func condition(_ t: Tree, _ n: Int, left: Bool) -> String {
            let c = pipeline.columns[Int(t.feature[n])]
            let missingHere = t.missingLeft[n] == left
            if c.type == .categorical {
                let levels = c.levels ?? []
                let set = levels.indices.filter { t.binGoesLeft(n, $0 + 1) }.map { sql.literal(levels[$0]) }.joined(separator: ", ")
                let missing = "(" + sql.missingText(c.name) + ")"
                let member = set.isEmpty ? (left ? "0 = 1" : "1 = 1") : "\(sql.text(c.name)) \(left ? "IN" : "NOT IN") (\(set))"
                if missingHere { return "(\(missing) OR \(member))" }
                // NULL is never IN a list, and no level is a missing marker: the IN test alone rules missing out
                if left && !levels.contains(where: SQLDialect.looksMissing) { return member }
                return "(NOT \(missing) AND \(member))"
            }
            let v = sql.value(c)
            let atMost = sql.atMost(v, t.threshold[n])
            let test = left ? atMost : "NOT (\(atMost))"
            // a comparison with NULL is never true, so a test that excludes missing values needs nothing more
            return missingHere ? "(\(v) IS NULL OR \(test))" : test
        }
        func flat(_ t: Tree) -> String {
            if t.feature[0] < 0 { return sql.number(t.value[0][0]) }
            var arms: [String] = []
            func walk(_ n: Int, _ path: [String]) {
                if t.feature[n] < 0 {
                    arms.append("WHEN " + path.joined(separator: " AND ") + " THEN " + sql.number(t.value[n][0]))
                    return
                }
                walk(Int(t.left[n]), path + [condition(t, n, left: true)])
                walk(Int(t.right[n]), path + [condition(t, n, left: false)])
            }
            walk(0, [])
            return "CASE " + arms.joined(separator: "\n        ") + " END"
        }
        let own = trees.indices.filter { $0 % width == k }.map { trees[$0] }
        return ([sql.number(initScores[k])] + own.map { "(" + flat($0) + ")" }).joined(separator: "\n      + ")
    }

    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        if isMulticlass {
            // Each class's raw score, then the softmax as 1 / Σ e^(s_j - s_c)
            // (no exponent of a raw score alone, which could overflow), and the
            // class with the highest score, the first on ties as `score` picks.
            let raw = classes.map { sql.identifier("raw_score_" + $0) }
            let scores = classes.indices.map { "\(sqlRawScore(sql, class: $0)) AS \(raw[$0])" }.joined(separator: ",\n      ")
            let probabilities = classes.indices.map { c in
                let others = classes.indices.filter { $0 != c }.map { sql.exp("\(raw[$0]) - \(raw[c])") }
                return "\(sql.number(1)) / (\(([sql.number(1)] + others).joined(separator: " + "))) AS \(sql.identifier("probability_" + classes[c]))"
            }.joined(separator: ",\n    ")
            let arms = classes.indices.dropLast().map { c in
                "WHEN " + classes.indices.filter { $0 > c }.map { "\(raw[c]) >= \(raw[$0])" }.joined(separator: " AND ") + " THEN \(sql.literal(classes[c]))"
            }
            let predicted = "CASE " + arms.joined(separator: " ") + " ELSE \(sql.literal(classes.last!)) END AS predicted"
            return sql.header("Persona gradient-boosted trees: each class's raw score, the probability of each class of \(target), and the predicted class", self.card, table: table) + """
            SELECT *,
              \(predicted)
            FROM (
              SELECT *,
                \(probabilities)
              FROM (
                SELECT *,
                  \(scores)
                FROM \(sql.identifier(table))
              ) AS raw
            ) AS scored;

            """
        }
        if task == .regression {
            return sql.header("Persona gradient-boosted trees: the predicted \(target)", self.card, table: table) + """
            SELECT *,
              \(sqlRawScore(sql)) AS prediction
            FROM \(sql.identifier(table));

            """
        }
        return binary.sqlSelect(title: "Persona gradient-boosted trees: P(\(target) = \(positive)) as probability, and the predicted class",
                                probability: sqlProbability(positive: positive, dialect: sql)!, card: card, table: table, dialect: sql)
    }
}
