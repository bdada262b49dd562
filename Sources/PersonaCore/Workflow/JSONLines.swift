#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Formats score rows as JSON Lines: one object per row, ids as strings,
/// scores as numbers (null when not a number), labels as strings.
enum JSONLine {
    /// Each column's key as it opens its member: `{"id":` for the first, `,"name":` after.
    static func keys(_ names: [String]) -> [[UInt8]] {
        names.enumerated().map { k, name in
            let out = AtomicOutput(memory: ())
            out.writeByte(k == 0 ? 123 : 44)
            var s = name
            s.withUTF8 { string($0, out) }
            out.writeByte(58)
            return out.takeBytes()
        }
    }

    static func write(record: CSVRecord, ids: [Int], columns: [ScoreColumn], row r: Int, keys: [[UInt8]], to out: AtomicOutput) {
        var k = 0
        for i in ids {
            out.write(bytes: keys[k]); k += 1
            record.withField(i) { string($0, out) }
        }
        for c in columns {
            out.write(bytes: keys[k]); k += 1
            if let labels = c.labels { var s = labels[r]; s.withUTF8 { string($0, out) } }
            else if c.isInteger { out.write(String(Int(c.values[r]))) }
            else if c.precise { out.write(c.values[r].isFinite ? c.values[r].description : "null") }
            else { number(Float(c.values[r]), out) }
        }
        out.write(bytes: [125, 10])
    }

    static func write(_ fields: [BatchScorer.Field], keys: [[UInt8]], to out: AtomicOutput) {
        for (k, f) in fields.enumerated() {
            out.write(bytes: keys[k])
            if f.isNumber { out.write(f.text.isEmpty ? "null" : f.text) }
            else { var s = f.text; s.withUTF8 { string($0, out) } }
        }
        out.write(bytes: [125, 10])
    }

    private static func number(_ v: Float, _ out: AtomicOutput) {
        out.write(v.isFinite ? v.description : "null")
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ out: AtomicOutput) {
        out.writeByte(34)
        var plain = true
        for b in bytes where b < 32 || b == 34 || b == 92 { plain = false; break }
        if plain {
            out.write(bytes)
        } else {
            for b in bytes {
                switch b {
                case 34: out.write(bytes: [92, 34])
                case 92: out.write(bytes: [92, 92])
                case 10: out.write(bytes: [92, 110])
                case 13: out.write(bytes: [92, 114])
                case 9: out.write(bytes: [92, 116])
                case 0..<32: out.write(bytes: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: out.writeByte(b)
                }
            }
        }
        out.writeByte(34)
    }
}
