/// Thrift's compact protocol, as Parquet writes its footer and page headers,
/// decoded into a generic tree. Every length is checked against the bytes that
/// remain before anything is allocated, so a footer announcing absurd sizes is
/// refused instead of exhausting memory.
enum Thrift {
    indirect enum Value {
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case binary([UInt8])
        case list([Value])
        case structure([Int16: Value])
        case map([(Value, Value)])

        var int: Int64? { if case .int(let v) = self { return v }; return nil }
        var string: String? { if case .binary(let b) = self { return String(decoding: b, as: UTF8.self) }; return nil }
        var list: [Value]? { if case .list(let l) = self { return l }; return nil }
        var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
        subscript(_ field: Int16) -> Value? { if case .structure(let s) = self { return s[field] }; return nil }
    }

    struct DecodeError: Error { let what: String }

    /// Reads compact-protocol structs from a byte buffer.
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        /// Nesting deeper than this is refused (a crafted header could recurse without end).
        static let maxDepth = 64

        init(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int = 0) { self.bytes = bytes; self.position = position }

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else { throw DecodeError(what: "the metadata ends early") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { throw DecodeError(what: "a number in the metadata is too long") }
            }
        }

        mutating func zigzag() throws -> Int64 {
            let v = try varint()
            return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
        }

        mutating func length() throws -> Int {
            let n = try varint()
            guard n <= UInt64(bytes.count - position) else {
                throw DecodeError(what: "the metadata announces \(n) bytes where \(bytes.count - position) remain")
            }
            return Int(n)
        }

        /// A struct: fields until the stop byte.
        mutating func structure(depth: Int = 0) throws -> Value {
            guard depth < Self.maxDepth else { throw DecodeError(what: "the metadata nests too deeply") }
            var fields: [Int16: Value] = [:]
            var last: Int16 = 0
            while true {
                let header = try byte()
                if header == 0 { return .structure(fields) }
                let type = header & 0x0F
                let delta = Int16(header >> 4)
                let id: Int16
                if delta != 0 { id = last &+ delta } else {
                    let z = try zigzag()
                    guard z >= Int64(Int16.min) && z <= Int64(Int16.max) else { throw DecodeError(what: "a field id is out of range") }
                    id = Int16(z)
                }
                last = id
                fields[id] = try value(type: type, depth: depth)
            }
        }

        mutating func value(type: UInt8, depth: Int) throws -> Value {
            switch type {
            case 1: return .bool(true)
            case 2: return .bool(false)
            case 3: return .int(Int64(Int8(bitPattern: try byte())))
            case 4, 5, 6: return .int(try zigzag())
            case 7:
                guard bytes.count - position >= 8 else { throw DecodeError(what: "the metadata ends early") }
                var bits: UInt64 = 0
                for i in 0..<8 { bits |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
                position += 8
                return .double(Double(bitPattern: bits))
            case 8:
                let n = try length()
                defer { position += n }
                return .binary(Array(bytes[position..<(position + n)]))
            case 9, 10:
                let header = try byte()
                let elementType = header & 0x0F
                var count = Int(header >> 4)
                if count == 15 { count = try length() }
                // Every element takes at least one byte (booleans in lists do too).
                guard count <= bytes.count - position else { throw DecodeError(what: "a list announces \(count) elements where \(bytes.count - position) bytes remain") }
                var items: [Value] = []
                items.reserveCapacity(count)
                for _ in 0..<count {
                    if elementType == 1 || elementType == 2 { items.append(.bool(try byte() == 1)) }
                    else { items.append(try value(type: elementType, depth: depth + 1)) }
                }
                return .list(items)
            case 11:
                let count = try length()
                guard count > 0 else { return .map([]) }
                let types = try byte()
                var pairs: [(Value, Value)] = []
                for _ in 0..<count {
                    pairs.append((try value(type: types >> 4, depth: depth + 1), try value(type: types & 0x0F, depth: depth + 1)))
                }
                return .map(pairs)
            case 12: return try structure(depth: depth + 1)
            default: throw DecodeError(what: "unknown field type \(type) in the metadata")
            }
        }
    }
}
