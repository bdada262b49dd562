import Foundation

/// TreeModel as an ONNX graph (the fitted pipeline inside) and as one SQL SELECT.
extension TreeModel: ONNXExportable {
    var onnxTitle: String { return "Persona decision tree (\(task == .regression ? "regression" : "classification") of \(target))" }

    /// The tree as an ai.onnx.ml tree ensemble. Numbers go in raw (NaN when
    /// missing); each categorical split becomes a 0/1 "in the left set" feature
    /// (NaN when missing), so every node is a `<=` test whose missing values
    /// follow the direction the split learned.
    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        let m = self
        let t = m.tree
        let (x, featureOf) = TreeEnsembleONNX.input(&g, m.card.pipeline, trees: [t])
        let leaves = (0..<t.count).filter { t.feature[$0] < 0 }
        var nodeAttributes = TreeEnsembleONNX.nodes([t], featureOf: featureOf, pipeline: m.card.pipeline)
        if m.task == .regression {
            nodeAttributes += [
                ONNXGraph.attr("n_targets", int: 1),
                ONNXGraph.attr("target_treeids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_nodeids", ints: leaves.map(Int64.init)),
                ONNXGraph.attr("target_ids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_weights", floats: leaves.map { Float(t.value[$0][0]) }),
            ]
            let y = g.node("TreeEnsembleRegressor", [x], domain: ONNXGraph.mlDomain, nodeAttributes)
            g.output(y, as: "predicted", .float, [nil, 1], doc: "float [N,1]: the predicted \(m.target)")
            g.scoreColumn("predicted", from: "predicted")
            return
        }
        if let binary = m.binary, let pos = m.positiveIndex {
            // Two classes: the positive class's probability, then binary classification's outputs.
            nodeAttributes += [
                ONNXGraph.attr("n_targets", int: 1),
                ONNXGraph.attr("target_treeids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_nodeids", ints: leaves.map(Int64.init)),
                ONNXGraph.attr("target_ids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_weights", floats: leaves.map { Float(t.value[$0][pos]) }),
            ]
            let p = g.node("TreeEnsembleRegressor", [x], domain: ONNXGraph.mlDomain, nodeAttributes)
            binary.buildONNXOutputs(&g, probability: p, float: true)
            return
        }
        let classes = m.classes
        var classNodes: [Int64] = [], classIds: [Int64] = [], weights: [Float] = []
        for leaf in leaves {
            for c in classes.indices { classNodes.append(Int64(leaf)); classIds.append(Int64(c)); weights.append(Float(t.value[leaf][c])) }
        }
        nodeAttributes += [
            ONNXGraph.attr("class_treeids", ints: classNodes.map { _ in 0 }), ONNXGraph.attr("class_nodeids", ints: classNodes),
            ONNXGraph.attr("class_ids", ints: classIds), ONNXGraph.attr("class_weights", floats: weights),
            ONNXGraph.attr("classlabels_int64s", ints: classes.indices.map(Int64.init)),
        ]
        let outs = g.nodeOutputs("TreeEnsembleClassifier", [x], outputs: 2, domain: ONNXGraph.mlDomain, nodeAttributes)
        let probabilities = outs[1]
        // The label as Persona picks it: the most probable class, the first on ties.
        let predicted = g.node("ArgMax", [probabilities], [ONNXGraph.attr("axis", int: 1), ONNXGraph.attr("keepdims", int: 1)])
        let names = g.constant("classes", strings: classes, shape: [classes.count])
        let label = g.node("Gather", [names, predicted], [ONNXGraph.attr("axis", int: 0)])
        g.output(label, as: "label", .string, [nil, 1], doc: "string [N,1]: the predicted class of \(m.target)")
        g.output(probabilities, as: "probabilities", .float, [nil, classes.count],
                 doc: "float [N,\(classes.count)]: the probability of each class, in the order \(classes.joined(separator: ", "))")
        for (i, c) in classes.enumerated() { g.scoreColumn("probability_" + c, from: "probabilities", index: i) }
        g.scoreColumn("predicted", from: "label")
    }
}

extension TreeModel: SQLProbabilityExpression {
    public func sqlProbability(positive: String, dialect sql: SQLDialect) -> String? {
        guard task == .classification, let c = classes.firstIndex(of: positive) else { return nil }
        let leaves = (0..<tree.count).filter { tree.feature[$0] < 0 }
        return "CASE (" + sqlLeaf("        ", sql) + ")\n        " + leaves.map { "WHEN \($0) THEN \(sql.number(tree.value[$0][c]))" }.joined(separator: " ") + " END"
    }

    /// The leaf a row falls in, as one SQL expression over the raw columns.
    func sqlLeaf(_ indent: String, _ sql: SQLDialect) -> String {
        let t = tree
        let pipeline = card.pipeline
        func node(_ n: Int, _ indent: String) -> String {
            if t.feature[n] < 0 { return "\(n)" }
            let c = pipeline.columns[Int(t.feature[n])]
            let next = indent + "  "
            let l = node(Int(t.left[n]), next), r = node(Int(t.right[n]), next)
            let missing = t.missingLeft[n] ? l : r
            if c.type == .categorical {
                let levels = c.levels ?? []
                let leftLevels = levels.indices.filter { t.binGoesLeft(n, $0 + 1) }.map { sql.literal(levels[$0]) }
                let rightLevels = levels.indices.filter { !t.binGoesLeft(n, $0 + 1) }.map { sql.literal(levels[$0]) }
                // unseen values take the last bin: list the other side's levels and send the rest with ELSE
                let (listed, then, otherwise) = t.binGoesLeft(n, levels.count + 1) ? (rightLevels, r, l) : (leftLevels, l, r)
                var e = "CASE WHEN \(sql.missingText(c.name)) THEN \(missing)"
                if !listed.isEmpty { e += "\n\(next)WHEN \(sql.text(c.name)) IN (\(listed.joined(separator: ", "))) THEN \(then)" }
                return e + "\n\(next)ELSE \(otherwise) END"
            }
            let v = sql.value(c)
            return "CASE WHEN \(v) IS NULL THEN \(missing)\n\(next)WHEN \(sql.atMost(v, t.threshold[n])) THEN \(l)\n\(next)ELSE \(r) END"
        }
        return node(0, indent)
    }

    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        if let binary, let pos = positiveIndex {
            // The leaf once, in a subquery (an engine may expand a tree nested in
            // another CASE badly), then the probability and the class at the threshold.
            let leaves = (0..<tree.count).filter { tree.feature[$0] < 0 }
            let probability = "CASE leaf " + leaves.map { "WHEN \($0) THEN \(sql.number(tree.value[$0][pos]))" }.joined(separator: " ") + " END"
            return sql.header("Persona decision tree: P(\(target) = \(classes[pos])) as probability, and the predicted class", card, table: table) + """
            SELECT *,
              CASE WHEN probability >= \(sql.number(binary.threshold)) THEN \(sql.literal(binary.positive)) ELSE \(sql.literal(binary.negative)) END AS predicted
            FROM (
              SELECT *, \(probability) AS probability
              FROM (
                SELECT *,
                  \(sqlLeaf("      ", sql)) AS leaf
                FROM \(sql.identifier(table))
              ) AS leaves
            ) AS scored;

            """
        }
        let m = self
        let t = m.tree
        let leaves = (0..<t.count).filter { t.feature[$0] < 0 }
        var outputs: [String] = []
        if m.task == .regression {
            outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(sql.number(t.value[$0][0]))" }.joined(separator: " ") + " END AS predicted")
        } else {
            for (ci, cls) in m.classes.enumerated() {
                outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(sql.number(t.value[$0][ci]))" }.joined(separator: " ")
                               + " END AS \(sql.identifier("probability_" + cls))")
            }
            outputs.append("CASE leaf " + leaves.map { "WHEN \($0) THEN \(sql.literal(m.classes[m.predictedClass($0, threshold: nil)]))" }.joined(separator: " ")
                           + " END AS predicted")
        }
        let title = m.task == .regression ? "Persona decision tree: the predicted \(m.target)"
                                          : "Persona decision tree: the probability of each class of \(m.target), and the predicted class"
        return sql.header(title, m.card, table: table) + """
        SELECT *,
          \(outputs.joined(separator: ",\n  "))
        FROM (
          SELECT *,
            \(sqlLeaf("    ", sql)) AS leaf
          FROM \(sql.identifier(table))
        ) AS scored;

        """
    }
}

/// Trees as the input and node attributes of an ai.onnx.ml tree ensemble, shared
/// by the decision tree and gradient boosting. Numbers go in raw (NaN when
/// missing); each categorical split becomes a 0/1 "in the left set" feature
/// (NaN when missing), so every node is a `<=` test whose missing values follow
/// the direction the split learned.
enum TreeEnsembleONNX {
    /// The ensemble's input (numeric columns as they are, then for each
    /// categorical column a block with one membership column per split on it),
    /// and each tree's node -> input column.
    static func input(_ g: inout ONNXGraph, _ pipeline: FeaturePipeline, trees: [Tree]) -> (x: String, featureOf: [[Int]]) {
        let raw = ONNXPipeline.rawValues(&g, pipeline)
        var blocks: [String] = []
        var width = 0
        var featureOf = trees.map { [Int](repeating: -1, count: $0.count) }
        var numericColumn: [Int: Int] = [:]
        var membership: [Int: [(tree: Int, node: Int)]] = [:]          // pipeline column -> split nodes
        for (k, t) in trees.enumerated() {
            for n in 0..<t.count where t.feature[n] >= 0 {
                let f = Int(t.feature[n])
                if pipeline.columns[f].type == .categorical { membership[f, default: []].append((k, n)) }
            }
        }
        for (f, c) in pipeline.columns.enumerated() {
            if c.type != .categorical {
                numericColumn[f] = width
                blocks.append(raw[f])
                width += 1
                continue
            }
            guard let nodes = membership[f] else { continue }
            let bins = (c.levels?.count ?? 0) + 1
            // bin (1...bins) one-hot, times a bins x splits 0/1 matrix
            let range = g.constant(c.name + "_bins", floats: (1...bins).map(Float.init), shape: [1, bins])
            let hot = g.cast(g.node("Equal", [raw[f], range]), to: .float)
            var matrix = [Float](repeating: 0, count: bins * nodes.count)
            for (j, split) in nodes.enumerated() {
                for b in 1...bins where trees[split.tree].binGoesLeft(split.node, b) { matrix[(b - 1) * nodes.count + j] = 1 }
            }
            let sets = g.constant(c.name + "_split_sets", floats: matrix, shape: [bins, nodes.count])
            let member = g.node("MatMul", [hot, sets])
            let nan = g.constant("nan", floats: [.nan], shape: [1])
            blocks.append(g.node("Where", [g.node("IsNaN", [raw[f]]), nan, member]))
            for (j, split) in nodes.enumerated() { featureOf[split.tree][split.node] = width + j }
            width += nodes.count
        }
        for (k, t) in trees.enumerated() {
            for n in 0..<t.count where t.feature[n] >= 0 && featureOf[k][n] < 0 { featureOf[k][n] = numericColumn[Int(t.feature[n])]! }
        }
        // (trees without splits on categorical-only data still need an input with the batch's rows)
        return (g.node("Concat", blocks.isEmpty ? [raw[0]] : blocks, [ONNXGraph.attr("axis", int: 1)]), featureOf)
    }

    /// The `nodes_*` attributes of every tree (tree k's ids are its node indices).
    static func nodes(_ trees: [Tree], featureOf: [[Int]], pipeline: FeaturePipeline) -> [Onnx_AttributeProto] {
        var treeIds: [Int64] = [], ids: [Int64] = [], features: [Int64] = [], modes: [String] = [], values: [Float] = []
        var trueIds: [Int64] = [], falseIds: [Int64] = [], tracksTrue: [Int64] = []
        for (k, t) in trees.enumerated() {
            for n in 0..<t.count {
                treeIds.append(Int64(k))
                ids.append(Int64(n))
                if t.feature[n] < 0 {
                    features.append(0); modes.append("LEAF"); values.append(0); trueIds.append(0); falseIds.append(0); tracksTrue.append(0)
                    continue
                }
                features.append(Int64(featureOf[k][n]))
                modes.append("BRANCH_LEQ")
                if pipeline.columns[Int(t.feature[n])].type == .categorical {
                    // member <= 0.5 means "not in the left set": true goes right
                    values.append(0.5)
                    trueIds.append(Int64(t.right[n])); falseIds.append(Int64(t.left[n]))
                    tracksTrue.append(t.missingLeft[n] ? 0 : 1)
                } else {
                    // the largest float <= the threshold: for float inputs the same test
                    var v = Float(t.threshold[n])
                    if Double(v) > t.threshold[n] { v = v.nextDown }
                    values.append(v)
                    trueIds.append(Int64(t.left[n])); falseIds.append(Int64(t.right[n]))
                    tracksTrue.append(t.missingLeft[n] ? 1 : 0)
                }
            }
        }
        return [
            ONNXGraph.attr("nodes_treeids", ints: treeIds), ONNXGraph.attr("nodes_nodeids", ints: ids),
            ONNXGraph.attr("nodes_featureids", ints: features), ONNXGraph.attr("nodes_modes", strings: modes),
            ONNXGraph.attr("nodes_values", floats: values), ONNXGraph.attr("nodes_truenodeids", ints: trueIds),
            ONNXGraph.attr("nodes_falsenodeids", ints: falseIds), ONNXGraph.attr("nodes_missing_value_tracks_true", ints: tracksTrue),
            ONNXGraph.attr("post_transform", string: "NONE"),
        ]
    }
}
