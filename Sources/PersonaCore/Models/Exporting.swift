import Foundation

// The export capabilities of a model (each family conforms in its own folder)
// and the two export entry points, which dispatch on them. The graph and SQL
// machinery they use is in Export/.

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
        try refuseDates(model, format: "ONNX")
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

/// Writes a model as one SQL SELECT over a table of raw columns, so a warehouse
/// scores rows without any runtime. NULL is a missing value; text columns are
/// compared after trimming spaces, and the text markers of missing values
/// (empty, NA, N/A, NaN, null, None) count as missing too. Plain SQL: CASE,
/// COALESCE, TRIM, UPPER, LOWER, CAST, EXP, POWER, SQRT, in the dialect asked
/// for (`SQLDialect`).
public enum SQLExport {
    public static func export(_ model: any PersonaModel, table: String, dialect: SQLDialect = .sqlite) throws -> String {
        guard let m = model as? any SQLExportable else {
            throw PersonaError("SQL export covers logistic regression, decision trees, k-means, gradient boosting, uplift and association rules models; a \(model.card.kind) model exports to ONNX (--format onnx)")
        }
        try refuseDates(model, format: "SQL")
        return m.sqlSelect(table: table, dialect: dialect)
    }
}

/// Exports compute their features from numbers and text; a model that reads a
/// date column (days since, month, weekday) is refused, naming the column.
func refuseDates(_ model: any PersonaModel, format: String) throws {
    guard let d = model.card.pipeline.columns.lazy.compactMap(\.date).first else { return }
    throw PersonaError("the model reads the date column \"\(d.source)\" (as days since, month and weekday), which the \(format) export does not compute yet. Retrain with --exclude \(d.source) to export, or score with `persona score`")
}

/// A model that writes itself as one SQL SELECT over a table of raw columns,
/// with the dialect's helpers above. Each family conforms in its own folder.
public protocol SQLExportable: PersonaModel {
    func sqlSelect(table: String, dialect sql: SQLDialect) -> String
}

/// A classifier whose probability of a class is one SQL expression over the raw
/// columns, so that models built from classifiers (uplift) can combine them.
public protocol SQLProbabilityExpression: SQLExportable {
    /// The probability of `positive`, or nil when the model does not predict that class.
    func sqlProbability(positive: String, dialect sql: SQLDialect) -> String?
}
