#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSnappy
import Foundation

/// Writes a CSV file (with a header) as Parquet: every output Persona writes to
/// a path ending in `.parquet` goes through here. Each column gets the
/// narrowest type that holds all of its values (INT64, DOUBLE, or a UTF-8
/// STRING), empty cells are nulls, and rows go in snappy-compressed row groups
/// of 65,536 rows, each column one PLAIN data page. pyarrow, DuckDB, pandas
/// and Spark read the result.
enum ParquetWriter {
    static let rowsPerGroup = 65_536

    enum Kind { case int64, double, string }

    static func convert(csv: String, to out: UnsafeMutablePointer<FILE>, display: String) throws {
        // First pass: the type of each column. The CSV was written with the
        // delimiter of the command's input, which may not be a comma.
        let delimiter = (try? CSVDialect.sniff(path: csv))?.delimiter ?? UInt8(ascii: ",")
        let first = try CSVReader(path: csv, delimiter: delimiter)
        let names = first.header
        var kinds = [Kind](repeating: .int64, count: names.count)
        var rec = CSVRecord()
        while try first.next(into: &rec) {
            for j in 0..<names.count where kinds[j] != .string {
                let s = rec.string(j)
                if s.isEmpty { continue }
                if kinds[j] == .int64, Int64(s) != nil { continue }
                if Double(s) != nil { kinds[j] = .double } else { kinds[j] = .string }
            }
        }
        // Second pass: row groups.
        var file = Output(handle: out)
        file.write(Array("PAR1".utf8))
        var groups: [Thrift.Writer] = []
        var totalRows = 0
        let reader = try CSVReader(path: csv, delimiter: delimiter)
        var columns = [[String]](repeating: [], count: names.count)
        func flush() throws {
            let n = columns.first?.count ?? 0
            guard n > 0 else { return }
            var chunks = Thrift.Writer()
            chunks.listHeader(count: names.count, type: 12)
            var groupBytes = 0
            for j in 0..<names.count {
                let start = file.offset
                let (page, values) = try encodePage(columns[j], kind: kinds[j], display: display)
                file.write(page)
                groupBytes += page.count
                // ColumnChunk { 2: file_offset, 3: ColumnMetaData }
                chunks.elementBegin()
                chunks.i64(field: 2, Int64(start))
                chunks.structBegin(field: 3)
                chunks.i32(field: 1, physical(kinds[j]))
                chunks.listBegin(field: 2, count: 2, type: 5); chunks.rawI32(0); chunks.rawI32(3)   // PLAIN, RLE
                chunks.listBegin(field: 3, count: 1, type: 8); chunks.rawBinary(Array(names[j].utf8))
                chunks.i32(field: 4, 1)                                 // SNAPPY
                chunks.i64(field: 5, Int64(values))
                chunks.i64(field: 6, Int64(page.count))                 // sizes include the page header
                chunks.i64(field: 7, Int64(page.count))
                chunks.i64(field: 9, Int64(start))
                chunks.structEnd()
                chunks.structEnd()
            }
            var g = Thrift.Writer()
            g.fieldBegin(1, type: 9); g.bytes += chunks.bytes
            g.i64(field: 2, Int64(groupBytes))
            g.i64(field: 3, Int64(n))
            g.structEnd()
            groups.append(g)
            totalRows += n
            for j in columns.indices { columns[j].removeAll(keepingCapacity: true) }
        }
        while try reader.next(into: &rec) {
            for j in 0..<names.count { columns[j].append(rec.string(j)) }
            if columns[0].count == rowsPerGroup { try flush() }
        }
        try flush()
        // FileMetaData { 1: version, 2: schema, 3: num_rows, 4: row_groups, 6: created_by }
        var meta = Thrift.Writer()
        meta.i32(field: 1, 1)
        meta.listBegin(field: 2, count: names.count + 1, type: 12)
        meta.elementBegin(); meta.binary(field: 4, Array("schema".utf8)); meta.i32(field: 5, Int32(names.count)); meta.structEnd()
        for (j, name) in names.enumerated() {
            meta.elementBegin()
            meta.i32(field: 1, physical(kinds[j]))
            meta.i32(field: 3, 1)                                     // OPTIONAL
            meta.binary(field: 4, Array(name.utf8))
            if kinds[j] == .string {
                meta.i32(field: 6, 0)                                 // UTF8
                meta.structBegin(field: 10); meta.structBegin(field: 1); meta.structEnd(); meta.structEnd()   // logical STRING
            }
            meta.structEnd()
        }
        meta.i64(field: 3, Int64(totalRows))
        meta.listBegin(field: 4, count: groups.count, type: 12)
        for g in groups { meta.bytes += g.bytes }
        meta.binary(field: 6, Array("persona \(PersonaVersion.tool)".utf8))
        meta.structEnd()
        file.write(meta.bytes)
        let n = UInt32(meta.bytes.count)
        file.write([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)])
        file.write(Array("PAR1".utf8))
        if file.failed { throw PersonaError("\(display): writing failed (\(String(cString: strerror(errno))))") }
    }

    static func physical(_ k: Kind) -> Int32 { k == .int64 ? 2 : k == .double ? 5 : 6 }

    /// One data page (header, then snappy-compressed definition levels and PLAIN values).
    static func encodePage(_ cells: [String], kind: Kind, display: String) throws -> (bytes: [UInt8], values: Int) {
        var levels = Hybrid.Encoder()
        var values: [UInt8] = []
        for s in cells {
            if s.isEmpty { levels.append(0); continue }
            levels.append(1)
            switch kind {
            case .int64:
                let v = UInt64(bitPattern: Int64(s)!)
                for i in 0..<8 { values.append(UInt8(v >> (8 * UInt64(i)) & 0xFF)) }
            case .double:
                let v = Double(s)!.bitPattern
                for i in 0..<8 { values.append(UInt8(v >> (8 * UInt64(i)) & 0xFF)) }
            case .string:
                let b = Array(s.utf8)
                let n = UInt32(b.count)
                values += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
                values += b
            }
        }
        let encodedLevels = levels.finish()
        let n = UInt32(encodedLevels.count)
        var raw: [UInt8] = [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        raw += encodedLevels
        raw += values
        var compressed = [UInt8](repeating: 0, count: snappy_max_compressed_length(raw.count))
        var length = compressed.count
        let status = raw.withUnsafeBufferPointer { r in
            compressed.withUnsafeMutableBufferPointer { c in
                snappy_compress(UnsafeRawPointer(r.baseAddress!).assumingMemoryBound(to: CChar.self), r.count,
                                UnsafeMutableRawPointer(c.baseAddress!).assumingMemoryBound(to: CChar.self), &length)
            }
        }
        guard status == SNAPPY_OK else { throw PersonaError("\(display): compressing a page failed") }
        compressed.removeLast(compressed.count - length)
        // PageHeader { 1: DATA_PAGE, 2: uncompressed, 3: compressed, 5: DataPageHeader { 1: n, 2: PLAIN, 3: RLE, 4: RLE } }
        var header = Thrift.Writer()
        header.i32(field: 1, 0)
        header.i32(field: 2, Int32(raw.count))
        header.i32(field: 3, Int32(length))
        header.structBegin(field: 5)
        header.i32(field: 1, Int32(cells.count)); header.i32(field: 2, 0); header.i32(field: 3, 3); header.i32(field: 4, 3)
        header.structEnd()
        header.structEnd()
        return (header.bytes + compressed, cells.count)
    }

    struct Output {
        let handle: UnsafeMutablePointer<FILE>
        var offset = 0
        var failed = false
        mutating func write(_ bytes: [UInt8]) {
            if fwrite(bytes, 1, bytes.count, handle) != bytes.count { failed = true }
            offset += bytes.count
        }
    }
}

extension Hybrid {
    /// RLE runs of 0/1 levels (bit width 1), as the hybrid encoding writes them.
    struct Encoder {
        private var out: [UInt8] = []
        private var value: UInt8 = 0
        private var run = 0

        mutating func append(_ v: UInt8) {
            if run > 0 && v != value { emit() }
            value = v
            run += 1
        }

        private mutating func emit() {
            var header = UInt64(run) << 1
            while header >= 0x80 { out.append(UInt8(header & 0x7F) | 0x80); header >>= 7 }
            out.append(UInt8(header))
            out.append(value)
            run = 0
        }

        mutating func finish() -> [UInt8] {
            if run > 0 { emit() }
            return out
        }
    }
}

extension Thrift {
    /// Writes compact-protocol structs. Field ids are written as deltas from the
    /// previous field of the same struct, which this writer tracks per nesting level.
    struct Writer {
        var bytes: [UInt8] = []
        private var last: [Int16] = [0]

        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
        mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

        mutating func fieldBegin(_ id: Int16, type: UInt8) {
            let delta = id - last[last.count - 1]
            if delta > 0 && delta <= 15 { bytes.append(UInt8(delta) << 4 | type) } else { bytes.append(type); zigzag(Int64(id)) }
            last[last.count - 1] = id
        }
        mutating func i32(field: Int16, _ v: Int32) { fieldBegin(field, type: 5); zigzag(Int64(v)) }
        mutating func i64(field: Int16, _ v: Int64) { fieldBegin(field, type: 6); zigzag(v) }
        mutating func binary(field: Int16, _ b: [UInt8]) { fieldBegin(field, type: 8); rawBinary(b) }
        mutating func rawBinary(_ b: [UInt8]) { varint(UInt64(b.count)); bytes += b }
        mutating func rawI32(_ v: Int32) { zigzag(Int64(v)) }
        mutating func structBegin(field: Int16) { fieldBegin(field, type: 12); last.append(0) }
        /// Begins a struct that is an element of a list.
        mutating func elementBegin() { last.append(0) }
        /// Ends a struct begun with `structBegin`, or the current top-level struct (list elements included).
        mutating func structEnd() {
            bytes.append(0)
            if last.count > 1 { last.removeLast() } else { last[0] = 0 }
        }
        mutating func listBegin(field: Int16, count: Int, type: UInt8) { fieldBegin(field, type: 9); listHeader(count: count, type: type) }
        mutating func listHeader(count: Int, type: UInt8) {
            if count < 15 { bytes.append(UInt8(count) << 4 | type) } else { bytes.append(0xF0 | type); varint(UInt64(count)) }
        }
    }
}
