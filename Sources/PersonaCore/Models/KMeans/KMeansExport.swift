import Foundation

/// KMeansModel as an ONNX graph (the fitted pipeline inside).
extension KMeansModel: ONNXExportable {
    var onnxTitle: String { return "Persona k-means segmentation, k = \(centres.rows)" }

    /// Features, squared distances to every centre, the nearest one and its distance.
    func buildONNX(_ g: inout ONNXGraph, top: Int) throws {
        let m = self
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
        g.scoreColumn("segment", from: "segment")
        let names = m.segmentNames
        if names.contains(where: { $0 != nil }) {
            let table = g.constant("segment_names", strings: names.map { $0 ?? "" }, shape: [k])
            let named = g.node("Gather", [table, segment], [ONNXGraph.attr("axis", int: 0)])
            g.output(named, as: "segment_name", .string, [nil, 1], doc: "string [N,1]: the segment's name")
            g.scoreColumn("segment_name", from: "segment_name")
        }
        g.output(g.node("Sqrt", [nearest]), as: "distance", .float, [nil, 1],
                 doc: "float [N,1]: Euclidean distance to the segment's centre, in the standardised feature space")
        g.scoreColumn("distance", from: "distance")
        g.output(squared, as: "squared_distances", .float, [nil, k], doc: "float [N,\(k)]: squared distance to every centre")
    }
}

/// KMeansModel as one SQL SELECT: the squared distance to every centre in the
/// standardised feature space, written over the raw columns (a category's
/// one-hot block folds into one CASE per centre), then the nearest centre
/// (the first one on a tie, as `score` picks) and the distance to it.
extension KMeansModel: SQLExportable {
    func sqlSquaredDistance(to j: Int, _ sql: SQLDialect) -> String {
        let d = centres.cols
        func centre(_ f: Int) -> Double { Double(centres.storage[j * d + f]) }
        var terms: [String] = []
        for (c, f) in zip(card.pipeline.columns, card.pipeline.columnOffsets) {
            if c.type == .categorical {
                let block = (0..<c.encodedWidth).map { centre(f + $0) }
                let all = block.reduce(0) { $0 + $1 * $1 }
                // the row's one-hot vector has a single 1, at level i
                terms.append("(\(sql.perLevel(c, block.map { all - $0 * $0 + (1 - $0) * (1 - $0) })))")
                continue
            }
            terms.append("POWER(\(sql.standardized(c)) - \(sql.number(centre(f))), 2)")
            if c.missingIndicator {
                let m = centre(f + 1)
                terms.append("(CASE WHEN \(sql.value(c)) IS NULL THEN \(sql.number((1 - m) * (1 - m))) ELSE \(sql.number(m * m)) END)")
            }
        }
        return terms.joined(separator: "\n        + ")
    }

    public func sqlSelect(table: String, dialect sql: SQLDialect) -> String {
        let k = centres.rows
        let names = (0..<k).map { sql.identifier("squared_distance_\($0)") }
        var nearest = k == 1 ? "0" : "CASE"
        for j in 0..<max(k - 1, 0) {
            nearest += " WHEN " + ((j + 1)..<k).map { "\(names[j]) <= \(names[$0])" }.joined(separator: " AND ") + " THEN \(j)"
        }
        if k > 1 { nearest += " ELSE \(k - 1) END" }
        var outputs: [String] = []
        if segmentNames.contains(where: { $0 != nil }) {
            outputs.append("CASE segment " + (0..<k).map { "WHEN \($0) THEN \(sql.literal(segmentNames[$0] ?? ""))" }.joined(separator: " ") + " END AS segment_name")
        }
        outputs.append("SQRT(CASE segment " + (0..<k).map { "WHEN \($0) THEN \(names[$0])" }.joined(separator: " ") + " END) AS distance")
        return sql.header("Persona k-means segmentation, k = \(k): the nearest segment and the distance to its centre", self.card, table: table) + """
        SELECT *,
          \(outputs.joined(separator: ",\n  "))
        FROM (
          SELECT *, \(nearest) AS segment
          FROM (
            SELECT *,
              \((0..<k).map { "\(sqlSquaredDistance(to: $0, sql)) AS \(names[$0])" }.joined(separator: ",\n      "))
            FROM \(sql.identifier(table))
          ) AS distances
        ) AS nearest;

        """
    }
}
