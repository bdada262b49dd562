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
        guard let exportable = model as? any ONNXExportable else {
            throw PersonaError("a \(model.card.kind) model has no ONNX export in this release"
                               + (model is any SQLExportable ? "; export it as SQL with --format sql" : ""))
        }
        var g = ONNXGraph(name: "persona_" + model.card.kind)
        try exportable.buildONNX(&g, top: top)
        let title = exportable.onnxTitle
        let interface = Interface(inputs: g.graph.input.map { ($0.name, $0.docString) },
                                  outputs: g.graph.output.map { ($0.name, $0.docString) })
        var doc = title + "\n\nInputs:\n"
        for i in interface.inputs { doc += "  \(i.name): \(i.doc)\n" }
        doc += "Outputs:\n"
        for o in interface.outputs { doc += "  \(o.name): \(o.doc)\n" }
        return (try g.model(card: model.card, doc: doc), interface)
    }
}

/// A model that exports to ONNX: it adds its nodes (from raw columns to its
/// outputs) to the graph. Each family conforms in its own folder.
protocol ONNXExportable: PersonaModel {
    /// The graph's title, first line of its documentation.
    var onnxTitle: String { get }
    /// - Parameter top: for recommenders, the number of items ranked per user.
    func buildONNX(_ g: inout ONNXGraph, top: Int) throws
}
