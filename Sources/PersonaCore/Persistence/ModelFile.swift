import Foundation

/// A named tensor as stored in the model file: little-endian bytes, a dtype
/// name from the safetensors vocabulary, and a shape.
public struct Tensor: Equatable, Sendable {
    public enum DType: String, Sendable { case F32, F64, I64, I32, U8 }
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(_ values: [Float], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count)
        dtype = .F32; self.shape = shape
        bytes = values.withUnsafeBytes { Array($0) }   // x86_64 and arm64 are little-endian
    }
    public init(_ values: [Double], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count)
        dtype = .F64; self.shape = shape
        bytes = values.withUnsafeBytes { Array($0) }
    }
    public init(_ values: [Int64], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count)
        dtype = .I64; self.shape = shape
        bytes = values.withUnsafeBytes { Array($0) }
    }
    init(dtype: DType, shape: [Int], bytes: [UInt8]) { self.dtype = dtype; self.shape = shape; self.bytes = bytes }

    static func elementSize(_ d: DType) -> Int {
        switch d { case .F32, .I32: return 4; case .F64, .I64: return 8; case .U8: return 1 }
    }

    public var floats: [Float]? {
        guard dtype == .F32 else { return nil }
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
    public var doubles: [Double]? {
        guard dtype == .F64 else { return nil }
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }
    public var int64s: [Int64]? {
        guard dtype == .I64 else { return nil }
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
    }
}

extension Tensor {
    /// A list of strings as two tensors: their UTF-8 bytes back to back, and the
    /// offsets where each starts (one more than the strings, from 0 to the byte count).
    public static func strings(_ s: [String]) -> (bytes: Tensor, offsets: Tensor) {
        var bytes: [UInt8] = [], offsets: [Int64] = [0]
        for x in s { bytes += Array(x.utf8); offsets.append(Int64(bytes.count)) }
        return (Tensor(dtype: .U8, shape: [bytes.count], bytes: bytes), Tensor(offsets, shape: [offsets.count]))
    }

    /// The strings of `strings(_:)`, or nil when the two tensors do not fit together.
    public static func strings(bytes: Tensor?, offsets: Tensor?) -> [String]? {
        guard let bytes, bytes.dtype == .U8, let o = offsets?.int64s, let first = o.first, first == 0, Int(o.last!) == bytes.bytes.count,
              zip(o, o.dropFirst()).allSatisfy({ $0 <= $1 }) else { return nil }
        return (0..<(o.count - 1)).map { String(decoding: bytes.bytes[Int(o[$0])..<Int(o[$0 + 1])], as: UTF8.self) }
    }
}

/// Reads and writes Persona model files in the safetensors layout: an 8-byte
/// little-endian header length, a JSON header (tensor dtypes, shapes, byte
/// offsets, and `__metadata__` holding the model card), then the raw tensors.
/// Any safetensors reader can open the file; Persona also verifies it.
public enum ModelFile {
    public static let cardKey = "persona_card"
    public static let checksumKey = "persona_checksum"

    /// Serialises the model; the card's tensor checksum is filled in here.
    public static func encode(card: ModelCard, tensors: [String: Tensor]) throws -> [UInt8] {
        let names = tensors.keys.sorted()
        var data: [UInt8] = []
        data.reserveCapacity(tensors.values.reduce(0) { $0 + $1.bytes.count })  // one allocation, however large the model
        var entries: [String: JSONValue] = [:]
        for name in names {
            let t = tensors[name]!
            let start = data.count
            data += t.bytes
            entries[name] = .object(["dtype": .string(t.dtype.rawValue),
                                     "shape": .array(t.shape.map { .number(Double($0)) }),
                                     "data_offsets": .array([.number(Double(start)), .number(Double(data.count))])])
        }
        var card = card
        card.tensorChecksum = "sha256:" + SHA256.hex(data)
        let cardText = try JSONText.encode(card)
        entries["__metadata__"] = .object([
            "format": "persona",
            cardKey: .string(cardText),
            checksumKey: .string("sha256:" + SHA256.hex(Array(cardText.utf8))),
        ])
        var header = Array(try JSONText.encode(JSONValue.object(entries)).utf8)
        while header.count % 8 != 0 { header.append(0x20) }   // safetensors pads the header with spaces
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + data.count)
        let n = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        out += header
        out += data
        return out
    }

    /// Writes atomically: a temporary file beside the target, then a rename.
    public static func write(card: ModelCard, tensors: [String: Tensor], to path: String) throws {
        if path == "-" {
            throw PersonaError("a model file needs a path: `-` (standard output) is for data, not models. Name a file such as models/m.safetensors")
        }
        let bytes = try encode(card: card, tensors: tensors)
        try AtomicOutput.write(bytes: bytes, to: path)
    }

    public static func read(path: String) throws -> (card: ModelCard, tensors: [String: Tensor]) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PersonaError("\(path): no such model file. Train one with `persona train ... --out \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PersonaError("\(path): cannot be read")
        }
        Inputs.rememberInput(path)
        return try decode([UInt8](data), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> (card: ModelCard, tensors: [String: Tensor]) {
        func fail(_ what: String) -> PersonaError { PersonaError("\(path): \(what)") }
        if bytes.count < 8 {
            throw fail("truncated model file (\(bytes.count) bytes; a model file starts with an 8-byte header length). Retrain or copy the file again")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        if n > 100_000_000 {
            throw fail("not a Persona model file (the first 8 bytes do not hold a plausible header length)")
        }
        if 8 + Int(n) > bytes.count {
            throw fail("truncated model file (the header needs \(n) bytes, only \(bytes.count - 8) follow). Retrain or copy the file again")
        }
        let headerBytes = Array(bytes[8..<(8 + Int(n))])
        guard let header = try? JSONDecoder().decode(JSONValue.self, from: Data(headerBytes)), let entries = header.object else {
            throw fail("corrupted model file (its header is not valid JSON). Retrain or restore the file")
        }
        guard let meta = entries["__metadata__"]?.object, let cardText = meta[cardKey]?.string else {
            throw fail("not a Persona model (a safetensors file without a Persona model card)")
        }
        if let sum = meta[checksumKey]?.string, sum != "sha256:" + SHA256.hex(Array(cardText.utf8)) {
            throw fail("corrupted model file (the model card does not match its checksum). Retrain or restore the file")
        }
        guard let cardObject = try? JSONDecoder().decode(JSONValue.self, from: Data(cardText.utf8)) else {
            throw fail("corrupted model file (the model card is not valid JSON)")
        }
        if let version = cardObject["format_version"]?.int, version > PersonaVersion.modelFormat {
            throw fail("written by a newer Persona (model format \(version); this release, \(PersonaVersion.tool), reads up to \(PersonaVersion.modelFormat)). Upgrade Persona to use it")
        }
        let card: ModelCard
        do { card = try JSONDecoder().decode(ModelCard.self, from: Data(cardText.utf8)) } catch {
            throw fail("corrupted model file (the model card is incomplete: \(describeDecodingError(error)))")
        }
        let dataStart = 8 + Int(n)
        let dataLength = bytes.count - dataStart
        var tensors: [String: Tensor] = [:]
        var spans: [(Int, Int)] = []
        for (name, entry) in entries where name != "__metadata__" {
            guard let dt = entry["dtype"]?.string, let dtype = Tensor.DType(rawValue: dt),
                  let shape = entry["shape"]?.array?.compactMap(\.int),
                  let offs = entry["data_offsets"]?.array?.compactMap(\.int), offs.count == 2 else {
                throw fail("corrupted model file (tensor \"\(name)\" is described incompletely)")
            }
            if offs[1] > dataLength {
                throw fail("truncated model file (tensor \"\(name)\" ends at byte \(offs[1]) of the data, which has \(dataLength)). Retrain or copy the file again")
            }
            if offs[0] < 0 || offs[0] > offs[1] || (offs[1] - offs[0]) != shape.reduce(1, *) * Tensor.elementSize(dtype) {
                throw fail("corrupted model file (tensor \"\(name)\" has inconsistent offsets and shape)")
            }
            tensors[name] = Tensor(dtype: dtype, shape: shape, bytes: Array(bytes[(dataStart + offs[0])..<(dataStart + offs[1])]))
            spans.append((offs[0], offs[1]))
        }
        let end = spans.map(\.1).max() ?? 0
        if "sha256:" + SHA256.hex(bytes[dataStart..<(dataStart + end)]) != card.tensorChecksum {
            throw fail("corrupted model file (the tensor data does not match the checksum in its model card). Retrain or restore the file")
        }
        return (card, tensors)
    }

    static func describeDecodingError(_ error: Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case .keyNotFound(let k, _): return "\"\(k.stringValue)\" is missing"
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                return c.codingPath.map(\.stringValue).joined(separator: ".")
            @unknown default: return "\(e)"
            }
        }
        return "\(error)"
    }
}
