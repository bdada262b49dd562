import Foundation

/// ALSModel as an ONNX graph (the fitted pipeline inside).
extension ALSModel: ONNXExportable {
    var onnxTitle: String { return "Persona ALS recommender, \(userIds.count) users x \(itemIds.count) items" }

    /// Given user ids, every item's score and the top items. An unknown user
    /// gets the most popular items, scored by popularity, as `recommend` does.
    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        let m = self
        guard top >= 1 else { throw PersonaError("--top must be at least 1 (got \(top))") }
        let top = min(top, m.itemIds.count)
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
