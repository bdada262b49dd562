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
}
