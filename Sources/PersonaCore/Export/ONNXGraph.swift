import Foundation
import SwiftProtobuf

/// Builds an ONNX graph node by node: named values, constants stored as
/// initializers, typed inputs and outputs with a symbolic batch dimension.
struct ONNXGraph {
    static let mlDomain = "ai.onnx.ml"
    var graph = Onnx_GraphProto()
    /// How each column `persona score` writes comes from an output: the column
    /// `index` of output `output` (stored as `persona.score_columns`, so a
    /// consumer such as the Spark integration writes Persona's own columns).
    private(set) var scoreColumns: [(column: String, output: String, index: Int)] = []

    mutating func scoreColumn(_ column: String, from output: String, index: Int = 0) {
        scoreColumns.append((column, output, index))
    }

    /// Risk deciles as `score` gives them: 1 + the number of training cut points
    /// above the probability `p` (double or float [N,1]), as int64 [N,1].
    mutating func riskDecile(_ p: String, cutPoints: [Double], float: Bool) -> String {
        let cuts = float ? constant("risk_cut_points", floats: cutPoints.map { Float($0) }, shape: [1, cutPoints.count])
                         : constant("risk_cut_points", doubles: cutPoints, shape: [1, cutPoints.count])
        let above = cast(node("Less", [p, cuts]), to: .int64)
        let count = node("ReduceSum", [above, constant("risk_axis", int64s: [1], shape: [1])], [ONNXGraph.attr("keepdims", int: 1)])
        return node("Add", [count, constant("risk_one", int64s: [1], shape: [1])])
    }
    private var used = Set<String>()

    init(name: String) { graph.name = name }

    /// A value name not used yet, from a readable hint.
    mutating func fresh(_ hint: String) -> String {
        let base = hint.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }.reduce(into: "") { $0.append($1) }
        var name = base
        var i = 1
        while used.contains(name) { i += 1; name = "\(base)_\(i)" }
        used.insert(name)
        return name
    }

    enum Element: Int32 { case float = 1, int64 = 7, string = 8, double = 11, bool = 9 }

    private static func valueInfo(_ name: String, _ type: Element, _ shape: [Int?], doc: String) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.docString = doc
        var t = Onnx_TypeProto.Tensor()
        t.elemType = type.rawValue
        var s = Onnx_TensorShapeProto()
        for d in shape {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            s.dim.append(dim)
        }
        t.shape = s
        var type = Onnx_TypeProto()
        type.tensorType = t
        v.type = type
        return v
    }

    /// Declares a graph input (nil in `shape` is the batch dimension).
    mutating func input(_ name: String, _ type: Element, _ shape: [Int?], doc: String) {
        used.insert(name)
        graph.input.append(Self.valueInfo(name, type, shape, doc: doc))
    }

    /// `value` converted to another element type.
    mutating func cast(_ value: String, to type: Element) -> String {
        node("Cast", [value], [Self.attr("to", int: Int64(type.rawValue))])
    }

    /// Makes `value` a graph output under `name`.
    mutating func output(_ value: String, as name: String, _ type: Element, _ shape: [Int?], doc: String) {
        if value != name { node("Identity", [value], out: name) }
        graph.output.append(Self.valueInfo(name, type, shape, doc: doc))
    }

    /// Stores a constant tensor as an initializer and returns its name.
    private mutating func constant(_ hint: String, _ type: Element, shape: [Int], fill: (inout Onnx_TensorProto) -> Void) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(hint); t.dataType = type.rawValue; t.dims = shape.map(Int64.init)
        fill(&t)
        graph.initializer.append(t)
        return t.name
    }

    mutating func constant(_ hint: String, floats: [Float], shape: [Int]) -> String {
        constant(hint, .float, shape: shape) { $0.floatData = floats }
    }

    mutating func constant(_ hint: String, doubles: [Double], shape: [Int]) -> String {
        constant(hint, .double, shape: shape) { $0.doubleData = doubles }
    }

    mutating func constant(_ hint: String, int64s: [Int64], shape: [Int]) -> String {
        constant(hint, .int64, shape: shape) { $0.int64Data = int64s }
    }

    mutating func constant(_ hint: String, strings: [String], shape: [Int]) -> String {
        constant(hint, .string, shape: shape) { $0.stringData = strings.map { Data($0.utf8) } }
    }

    /// Adds a node and returns its first output's name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], out: String? = nil, outputs: Int = 1,
                       domain: String = "", _ attributes: [Onnx_AttributeProto] = []) -> String {
        nodeOutputs(op, inputs, out: out, outputs: outputs, domain: domain, attributes)[0]
    }

    mutating func nodeOutputs(_ op: String, _ inputs: [String], out: String? = nil, outputs: Int = 1,
                              domain: String = "", _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var n = Onnx_NodeProto()
        n.opType = op
        n.domain = domain
        n.name = fresh(op.lowercased())
        n.input = inputs
        var names: [String] = []
        for i in 0..<outputs {
            if i == 0, let out { used.insert(out); names.append(out) } else { names.append(fresh(op.lowercased() + "_out")) }
        }
        n.output = names
        n.attribute = attributes
        graph.node.append(n)
        return names
    }

    /// Copies another graph's nodes and constants into this one under fresh
    /// names (its inputs are shared: declared here when they are not yet) and
    /// returns the names its outputs have here, by output name. Models built
    /// from other models (uplift) embed each one's graph this way.
    mutating func embed(_ other: ONNXGraph, prefix: String) -> [String: String] {
        let inputs = Set(other.graph.input.map(\.name))
        for i in other.graph.input where !graph.input.contains(where: { $0.name == i.name }) {
            used.insert(i.name)
            graph.input.append(i)
        }
        var renamed: [String: String] = [:]
        func name(_ n: String) -> String {
            if n.isEmpty || inputs.contains(n) { return n }
            if let r = renamed[n] { return r }
            let r = fresh(prefix + n)
            renamed[n] = r
            return r
        }
        for var t in other.graph.initializer {
            t.name = name(t.name)
            graph.initializer.append(t)
        }
        for var n in other.graph.node {
            n.name = fresh(prefix + n.name)
            n.input = n.input.map(name)
            n.output = n.output.map(name)
            graph.node.append(n)
        }
        var outputs: [String: String] = [:]
        for o in other.graph.output { outputs[o.name] = name(o.name) }
        return outputs
    }

    // MARK: attributes

    static func attr(_ name: String, int: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = int; return a
    }
    static func attr(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = float; return a
    }
    static func attr(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(string.utf8); return a
    }
    static func attr(_ name: String, ints: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = ints; return a
    }
    static func attr(_ name: String, floats: [Float]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .floats; a.floats = floats; return a
    }
    static func attr(_ name: String, strings: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .strings; a.strings = strings.map { Data($0.utf8) }; return a
    }

    /// The finished model: IR version 8, the default opset 17 and ai.onnx.ml 3,
    /// with Persona's model card and the interface in the metadata.
    func model(card: ModelCard, doc: String) throws -> Data {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = "persona"
        m.producerVersion = PersonaVersion.tool
        m.docString = doc
        var core = Onnx_OperatorSetIdProto(); core.domain = ""; core.version = 17
        var ml = Onnx_OperatorSetIdProto(); ml.domain = Self.mlDomain; ml.version = 3
        m.opsetImport = [core, ml]
        m.graph = graph
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var entries: [(String, String)] = [("persona.kind", card.kind),
                                           ("persona.card", String(decoding: try encoder.encode(card), as: UTF8.self))]
        entries.append(("persona.inputs", graph.input.map { "\($0.name): \($0.docString)" }.joined(separator: "\n")))
        entries.append(("persona.outputs", graph.output.map { "\($0.name): \($0.docString)" }.joined(separator: "\n")))
        if !scoreColumns.isEmpty {
            let list = scoreColumns.map { ["column": $0.column, "output": $0.output, "index": String($0.index)] }
            entries.append(("persona.score_columns", String(decoding: try encoder.encode(list), as: UTF8.self)))
        }
        m.metadataProps = entries.map { k, v in var e = Onnx_StringStringEntryProto(); e.key = k; e.value = v; return e }
        return try m.serializedData()
    }
}

/// The fitted feature pipeline as ONNX nodes: one graph input per raw column,
/// by name, giving the same features Persona computes.
enum ONNXPipeline {
    /// How a consumer feeds each kind of column.
    static func inputDoc(_ c: PipelineColumn) -> String {
        switch c.type {
        case .categorical:
            return "string [N,1], the category as written in the data; empty, NA, N/A, NaN, null or None mean missing; other unseen values take the unseen bucket"
        case .boolean:
            return "string [N,1]: yes/no, true/false, y/n, t/f or 1/0 (any case); anything else is missing"
        default:
            return "float [N,1]; NaN means missing"
        }
    }

    /// Spellings of the missing markers that an exact-match lookup sees.
    static let missingSpellings: [String] = {
        var all: [String] = []
        for m in MissingMarkers.all {
            for v in [m, m.lowercased(), m.uppercased(), m.prefix(1).uppercased() + m.dropFirst().lowercased()] where !all.contains(v) { all.append(v) }
        }
        return all
    }()

    static let booleanSpellings: [(String, Float)] = {
        var out: [(String, Float)] = []
        for (word, v) in BooleanWords.yes.map({ ($0, Float(1)) }) + BooleanWords.no.map({ ($0, Float(0)) }) {
            for s in [word, word.uppercased(), word.prefix(1).uppercased() + word.dropFirst()] where !out.contains(where: { $0.0 == s }) {
                out.append((s, v))
            }
        }
        return out + [("1", 1), ("0", 0), ("1.0", 1), ("0.0", 0)]
    }()

    /// Declares a numeric or yes/no column's input and returns its value as
    /// float [N,1]: NaN when missing, yes/no spellings as 1/0.
    static func number(_ g: inout ONNXGraph, _ c: PipelineColumn) -> String {
        if c.type != .boolean {
            g.input(c.name, .float, [nil, 1], doc: inputDoc(c))
            return c.name
        }
        g.input(c.name, .string, [nil, 1], doc: inputDoc(c))
        let words = booleanSpellings
        return g.node("LabelEncoder", [c.name], domain: ONNXGraph.mlDomain, [
            ONNXGraph.attr("keys_strings", strings: words.map(\.0)), ONNXGraph.attr("values_floats", floats: words.map(\.1)),
            ONNXGraph.attr("default_float", float: .nan)])
    }

    /// The tree's view of the inputs, one float [N,1] value per column:
    /// numbers unimputed and unscaled (NaN when missing) and, for a category,
    /// its bin (level index + 1, the unseen bucket last, NaN when missing).
    static func rawValues(_ g: inout ONNXGraph, _ pipeline: FeaturePipeline) -> [String] {
        pipeline.columns.map { c in
            guard c.type == .categorical else { return number(&g, c) }
            g.input(c.name, .string, [nil, 1], doc: inputDoc(c))
            let levels = c.levels ?? []
            let values = (0..<levels.count).map { Float($0 + 1) } + missingSpellings.map { _ in Float.nan }
            return g.node("LabelEncoder", [c.name], domain: ONNXGraph.mlDomain, [
                ONNXGraph.attr("keys_strings", strings: levels + missingSpellings), ONNXGraph.attr("values_floats", floats: values),
                ONNXGraph.attr("default_float", float: Float(levels.count + 1))])
        }
    }

    /// Declares the inputs and returns the encoded features [N, width] (float),
    /// as `RowEncoder` makes them in `.features` mode: imputed and scaled numbers with
    /// their missing indicators, one-hot categories with the unseen bucket.
    static func features(_ g: inout ONNXGraph, _ pipeline: FeaturePipeline) -> String {
        var blocks: [String] = []
        for c in pipeline.columns {
            if c.type == .categorical {
                g.input(c.name, .string, [nil, 1], doc: inputDoc(c))
                let levels = c.levels ?? []
                let n = levels.count
                let index = g.node("LabelEncoder", [c.name], domain: ONNXGraph.mlDomain, [
                    ONNXGraph.attr("keys_strings", strings: levels + missingSpellings),
                    ONNXGraph.attr("values_int64s", ints: (0..<n).map(Int64.init) + missingSpellings.map { _ in Int64(c.fillIndex) }),
                    ONNXGraph.attr("default_int64", int: Int64(n))])
                let range = g.constant(c.name + "_levels", int64s: (0...n).map(Int64.init), shape: [1, n + 1])
                blocks.append(g.cast(g.node("Equal", [index, range]), to: .float))
                continue
            }
            let value = number(&g, c)
            let missing = g.node("IsNaN", [value])
            let median = g.constant(c.name + "_median", floats: [Float(c.median ?? 0)], shape: [1])
            let filled = g.node("Where", [missing, median, value])
            let center = g.constant(c.name + "_center", floats: [Float(c.center)], shape: [1])
            let scale = g.constant(c.name + "_scale", floats: [Float(c.scale)], shape: [1])
            blocks.append(g.node("Div", [g.node("Sub", [filled, center]), scale]))
            if c.missingIndicator { blocks.append(g.cast(missing, to: .float)) }
        }
        return g.node("Concat", blocks, [ONNXGraph.attr("axis", int: 1)])
    }
}
