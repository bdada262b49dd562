import Foundation

/// Writes a model as an ONNX graph with its fitted feature pipeline inside,
/// so a consumer feeds raw columns by name and gets Persona's predictions.
public enum ONNXExport {
    public struct Interface {
        public var inputs: [(name: String, doc: String)]
        public var outputs: [(name: String, doc: String)]
    }

    /// The serialized model, and its inputs and outputs.
    /// - Parameter top: ALS only, the number of items the graph ranks per user.
    public static func export(_ model: any PersonaModel, top: Int = 10) throws -> (data: Data, interface: Interface) {
        var g = ONNXGraph(name: "persona_" + model.card.kind)
        let title: String
        switch model {
        case let m as LogisticModel: logistic(m, &g); title = "Persona logistic regression: P(\(m.target) = \(m.positive))"
        case let m as KMeansModel: kmeans(m, &g); title = "Persona k-means segmentation, k = \(m.centres.rows)"
        case let m as TreeModel: tree(m, &g); title = "Persona decision tree (\(m.task == .regression ? "regression" : "classification") of \(m.target))"
        case let m as ALSModel:
            guard top >= 1 else { throw PersonaError("--top must be at least 1 (got \(top))") }
            als(m, top: min(top, m.itemIds.count), &g); title = "Persona ALS recommender, \(m.userIds.count) users x \(m.itemIds.count) items"
        default: throw PersonaError("ONNX export does not know the model kind \(model.card.kind)")
        }
        let interface = Interface(inputs: g.graph.input.map { ($0.name, $0.docString) },
                                  outputs: g.graph.output.map { ($0.name, $0.docString) })
        var doc = title + "\n\nInputs:\n"
        for i in interface.inputs { doc += "  \(i.name): \(i.doc)\n" }
        doc += "Outputs:\n"
        for o in interface.outputs { doc += "  \(o.name): \(o.doc)\n" }
        return (try g.model(card: model.card, doc: doc), interface)
    }

    /// Features, then the linear score and the logistic link in double
    /// precision, as Persona computes them.
    static func logistic(_ m: LogisticModel, _ g: inout ONNXGraph) {
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

    /// Features, squared distances to every centre, the nearest one and its distance.
    static func kmeans(_ m: KMeansModel, _ g: inout ONNXGraph) {
        let x = ONNXPipeline.features(&g, m.card.pipeline)
        let k = m.centres.rows, d = m.centres.cols
        let centres = g.constant("centroids", floats: m.centres.storage, shape: [k, d])
        let axis1 = g.constant("axis_1", int64s: [1], shape: [1])
        let axis2 = g.constant("axis_2", int64s: [2], shape: [1])
        let diff = g.node("Sub", [g.node("Unsqueeze", [x, axis1]), centres])             // [N,k,d]
        let squared = g.node("ReduceSum", [g.node("Mul", [diff, diff]), axis2], [ONNXGraph.attr("keepdims", int: 0)])  // [N,k]
        let segment = g.node("ArgMin", [squared], [ONNXGraph.attr("axis", int: 1), ONNXGraph.attr("keepdims", int: 1)])
        let nearest = g.node("ReduceMin", [squared], [ONNXGraph.attr("axes", ints: [1]), ONNXGraph.attr("keepdims", int: 1)])
        g.output(segment, as: "segment", .int64, [nil, 1], doc: "int64 [N,1]: the nearest segment, 0 to \(k - 1)")
        let names = m.segmentNames
        if names.contains(where: { $0 != nil }) {
            let table = g.constant("segment_names", strings: names.map { $0 ?? "" }, shape: [k])
            let named = g.node("Gather", [table, segment], [ONNXGraph.attr("axis", int: 0)])
            g.output(named, as: "segment_name", .string, [nil, 1], doc: "string [N,1]: the segment's name")
        }
        g.output(g.node("Sqrt", [nearest]), as: "distance", .float, [nil, 1],
                 doc: "float [N,1]: Euclidean distance to the segment's centre, in the standardised feature space")
        g.output(squared, as: "squared_distances", .float, [nil, k], doc: "float [N,\(k)]: squared distance to every centre")
    }

    /// The tree as an ai.onnx.ml tree ensemble. Numbers go in raw (NaN when
    /// missing); each categorical split becomes a 0/1 "in the left set" feature
    /// (NaN when missing), so every node is a `<=` test whose missing values
    /// follow the direction the split learned.
    static func tree(_ m: TreeModel, _ g: inout ONNXGraph) {
        let pipeline = m.card.pipeline
        let raw = ONNXPipeline.rawValues(&g, pipeline)
        let t = m.tree
        // The ensemble's input: numeric columns as they are, then for each
        // categorical column a block with one membership column per split on it.
        var blocks: [String] = []
        var width = 0
        var featureOf = [Int](repeating: -1, count: t.count)      // node -> ensemble input column
        var numericColumn: [Int: Int] = [:]
        var membership: [Int: [Int]] = [:]                        // pipeline column -> split nodes
        for n in 0..<t.count where t.feature[n] >= 0 {
            let f = Int(t.feature[n])
            if pipeline.columns[f].type == .categorical { membership[f, default: []].append(n) }
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
            for (j, n) in nodes.enumerated() {
                for b in 1...bins where t.binGoesLeft(n, b) { matrix[(b - 1) * nodes.count + j] = 1 }
            }
            let sets = g.constant(c.name + "_split_sets", floats: matrix, shape: [bins, nodes.count])
            let member = g.node("MatMul", [hot, sets])
            let nan = g.constant("nan", floats: [.nan], shape: [1])
            blocks.append(g.node("Where", [g.node("IsNaN", [raw[f]]), nan, member]))
            for (j, n) in nodes.enumerated() { featureOf[n] = width + j }
            width += nodes.count
        }
        for n in 0..<t.count where t.feature[n] >= 0 && featureOf[n] < 0 { featureOf[n] = numericColumn[Int(t.feature[n])]! }
        // (a tree without splits on categorical-only data still needs an input with the batch's rows)
        let x = g.node("Concat", blocks.isEmpty ? [raw[0]] : blocks, [ONNXGraph.attr("axis", int: 1)])

        var ids: [Int64] = [], features: [Int64] = [], modes: [String] = [], values: [Float] = []
        var trueIds: [Int64] = [], falseIds: [Int64] = [], tracksTrue: [Int64] = []
        for n in 0..<t.count {
            ids.append(Int64(n))
            if t.feature[n] < 0 {
                features.append(0); modes.append("LEAF"); values.append(0); trueIds.append(0); falseIds.append(0); tracksTrue.append(0)
                continue
            }
            features.append(Int64(featureOf[n]))
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
        let leaves = (0..<t.count).filter { t.feature[$0] < 0 }
        var nodeAttributes = [
            ONNXGraph.attr("nodes_treeids", ints: ids.map { _ in 0 }), ONNXGraph.attr("nodes_nodeids", ints: ids),
            ONNXGraph.attr("nodes_featureids", ints: features), ONNXGraph.attr("nodes_modes", strings: modes),
            ONNXGraph.attr("nodes_values", floats: values), ONNXGraph.attr("nodes_truenodeids", ints: trueIds),
            ONNXGraph.attr("nodes_falsenodeids", ints: falseIds), ONNXGraph.attr("nodes_missing_value_tracks_true", ints: tracksTrue),
            ONNXGraph.attr("post_transform", string: "NONE"),
        ]
        if m.task == .regression {
            nodeAttributes += [
                ONNXGraph.attr("n_targets", int: 1),
                ONNXGraph.attr("target_treeids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_nodeids", ints: leaves.map(Int64.init)),
                ONNXGraph.attr("target_ids", ints: leaves.map { _ in 0 }), ONNXGraph.attr("target_weights", floats: leaves.map { Float(t.value[$0][0]) }),
            ]
            let y = g.node("TreeEnsembleRegressor", [x], domain: ONNXGraph.mlDomain, nodeAttributes)
            g.output(y, as: "predicted", .float, [nil, 1], doc: "float [N,1]: the predicted \(m.target)")
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
    }

    /// Given user ids, every item's score and the top items. An unknown user
    /// gets the most popular items, scored by popularity, as `recommend` does.
    static func als(_ m: ALSModel, top: Int, _ g: inout ONNXGraph) {
        let users = m.userIds.count, items = m.itemIds.count, f = m.userFactors.cols
        g.input("user_id", .string, [nil], doc: "string [N]: user ids as in the training data")
        let index = g.node("LabelEncoder", ["user_id"], domain: ONNXGraph.mlDomain, [
            ONNXGraph.attr("keys_strings", strings: m.userIds), ONNXGraph.attr("values_int64s", ints: (0..<users).map(Int64.init)),
            ONNXGraph.attr("default_int64", int: Int64(users))])
        // One more factor: 0 for known users, 1 for the unknown-user row; the
        // items' value in it is their popularity.
        var u = [Float](repeating: 0, count: (users + 1) * (f + 1))
        for r in 0..<users { for c in 0..<f { u[r * (f + 1) + c] = m.userFactors.storage[r * f + c] } }
        u[users * (f + 1) + f] = 1
        var v = [Float](repeating: 0, count: (f + 1) * items)            // item factors transposed, [f+1, items]
        for i in 0..<items {
            for c in 0..<f { v[c * items + i] = m.itemFactors.storage[i * f + c] }
            v[f * items + i] = Float(m.popularity[i])
        }
        let userTable = g.constant("user_factors", floats: u, shape: [users + 1, f + 1])
        let itemTable = g.constant("item_factors_t", floats: v, shape: [f + 1, items])
        let factors = g.node("Gather", [userTable, index], [ONNXGraph.attr("axis", int: 0)])
        let scores = g.node("MatMul", [factors, itemTable])
        let k = g.constant("top", int64s: [Int64(top)], shape: [1])
        let best = g.nodeOutputs("TopK", [scores, k], outputs: 2, [ONNXGraph.attr("axis", int: 1), ONNXGraph.attr("largest", int: 1), ONNXGraph.attr("sorted", int: 1)])
        let ids = g.constant("item_ids", strings: m.itemIds, shape: [items])
        let topItems = g.node("Gather", [ids, best[1]], [ONNXGraph.attr("axis", int: 0)])
        g.output(topItems, as: "top_items", .string, [nil, top], doc: "string [N,\(top)]: the best items, best first (seen items included)")
        g.output(best[0], as: "top_scores", .float, [nil, top], doc: "float [N,\(top)]: their scores")
        g.output(scores, as: "scores", .float, [nil, items], doc: "float [N,\(items)]: every item's score, in item order")
    }
}
