#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSnappy
import CZlib
import CZstd
import Foundation

/// Reads Parquet (a file, or a folder of part files as Spark and DuckDB write)
/// as CSV text with a header, one row group at a time, so every command reads
/// Parquet exactly as it reads CSV: the same types, the same model. Values are
/// written as their shortest round-trip text (so a DOUBLE reads back as the same
/// number), BOOLEAN as true/false, DATE as 2024-01-31, TIMESTAMP as
/// 2024-01-31 12:00:00, nulls (and NaN) as empty cells.
///
/// Supported: flat schemas; PLAIN, PLAIN_DICTIONARY and RLE_DICTIONARY values,
/// RLE booleans; RLE/bit-packed definition levels; data pages v1 and v2;
/// uncompressed, snappy, gzip and zstd pages; INT32, INT64, INT96, FLOAT,
/// DOUBLE, BOOLEAN, BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY; DATE, TIMESTAMP,
/// STRING and integer DECIMAL. Anything else is named in a clear error.
enum ParquetReader {
    /// Pages larger than this (uncompressed) are refused as damaged.
    static let maxPage = 1 << 30

    /// The part files of a folder (hidden and underscore files, such as _SUCCESS, skipped), in name order.
    static func parts(of folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") && !$0.hasSuffix(".crc") }.sorted().map { folder + "/" + $0 }
            .filter { p in
                var st = stat()
                return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            }
    }

    /// Writes the files (parts of one data set, same columns) as CSV to `out`.
    static func convert(_ paths: [String], display: String, to out: UnsafeMutablePointer<FILE>) throws {
        var header: [String]? = nil
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func name(_ path: String) -> String { paths.count == 1 ? display : display + "/" + (path as NSString).lastPathComponent }
        // Every part opened (mapped, its footer read) once, up front: the progress
        // line counts converted rows against what the footers declare.
        var files: [ParquetFile] = []
        defer { for file in files { file.unmap() } }
        for path in paths { files.append(try ParquetFile(path: path, display: name(path))) }
        let total = files.reduce(0) { sum, file in sum + file.rowGroups.reduce(0) { $0 + $1.rows } }
        var reported = 0, converted = 0
        func flush() throws {
            if !buffer.isEmpty, fwrite(buffer, 1, buffer.count, out) != buffer.count {
                throw PersonaError("\(display): writing its CSV copy failed (\(String(cString: strerror(errno)))); set TMPDIR to a folder with more space")
            }
            buffer.removeAll(keepingCapacity: true)
            if converted > reported {
                ReadProgress.shared.add(path: display, bytes: converted - reported, lines: converted - reported,
                                        total: total, action: "converting")
                reported = converted
            }
        }
        for (path, file) in zip(paths, files) {
            let name = name(path)
            let names = file.columns.map(\.name)
            if let header {
                guard header == names else {
                    throw PersonaError("\(name): has columns \(names.joined(separator: ", ")), unlike the other parts (\(header.joined(separator: ", "))); a folder is read as one data set")
                }
            } else {
                header = names
                for (j, n) in names.enumerated() {
                    if j > 0 { buffer.append(44) }
                    appendField(Array(n.utf8), to: &buffer)
                }
                buffer.append(10)
            }
            for group in file.rowGroups where group.rows > 0 {
                var cells: [Cells] = []
                for (j, column) in file.columns.enumerated() {
                    cells.append(try ColumnDecoder(file: file, column: column, chunk: group.chunks[j], rows: group.rows).decode())
                }
                for r in 0..<group.rows {
                    for j in cells.indices {
                        if j > 0 { buffer.append(44) }
                        cells[j].append(row: r, to: &buffer)
                    }
                    buffer.append(10)
                    converted += 1
                    if buffer.count >= 1 << 20 { try flush() }
                }
            }
        }
        if header == nil { throw PersonaError("\(display): the folder holds no Parquet part files") }
        try flush()
    }

    /// A field for CSV: quoted when it holds a comma, a quote or a line break.
    static func appendField(_ bytes: [UInt8], to out: inout [UInt8]) {
        if bytes.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) {
            out.append(34)
            for b in bytes { if b == 34 { out.append(34) }; out.append(b) }
            out.append(34)
        } else {
            out.append(contentsOf: bytes)
        }
    }
}

/// One column's cells in a row group, as CSV-ready text: cell i is
/// `bytes[ends[i - 1]..<ends[i]]` (empty for a null).
struct Cells {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    @inline(__always) func append(row r: Int, to out: inout [UInt8]) {
        let start = r == 0 ? 0 : ends[r - 1]
        out.append(contentsOf: bytes[start..<ends[r]])
    }
}

/// Decodes one column chunk's pages into text cells.
struct ColumnDecoder {
    let file: ParquetFile
    let column: ParquetFile.Column
    let chunk: ParquetFile.Chunk
    let rows: Int
    var display: String { "\(file.display), column \"\(column.name)\"" }

    func fail(_ what: String) -> PersonaError { PersonaError("\(display): \(what)") }

    func decode() throws -> Cells {
        var cells = Cells()
        cells.ends.reserveCapacity(rows)
        var dictionary: Cells? = nil
        let bytes = file.data.bindMemory(to: UInt8.self)
        var position = chunk.start
        let end = chunk.start + chunk.length
        while cells.ends.count < rows {
            guard position < end else { throw fail("the column chunk ends after \(cells.ends.count) of \(rows) rows; the file is damaged") }
            var reader = Thrift.Reader(UnsafeBufferPointer(rebasing: bytes[position..<end]))
            let header: Thrift.Value
            do { header = try reader.structure() } catch let e as Thrift.DecodeError { throw fail("a page header is damaged (\(e.what))") }
            position += reader.position
            guard let type = header[1]?.int, let uncompressed = header[2]?.int, let compressed = header[3]?.int,
                  compressed >= 0, uncompressed >= 0, uncompressed <= Int64(ParquetReader.maxPage), Int(compressed) <= end - position else {
                throw fail("a page header announces sizes that do not fit the file; the file is damaged")
            }
            let payload = UnsafeBufferPointer(rebasing: bytes[position..<(position + Int(compressed))])
            position += Int(compressed)
            switch type {
            case 2:
                let page = try decompress(payload, size: Int(uncompressed))
                let n = Int(header[7]?[1]?.int ?? 0)
                guard n >= 0, n <= page.count * 8 + 1 else { throw fail("a dictionary page announces \(n) values in \(page.count) bytes; the file is damaged") }
                var values = Cells()
                try page.withUnsafeBufferPointer { p in
                    var offset = 0
                    try plain(p, &offset, count: n, into: &values)
                }
                dictionary = values
            case 0:
                guard let h = header[5], let n = h[1]?.int, let encoding = h[2]?.int else { throw fail("a data page has no header") }
                try checkCount(n)
                let page = try decompress(payload, size: Int(uncompressed))
                try page.withUnsafeBufferPointer { p in
                    var offset = 0
                    var defined: [Bool]? = nil
                    if column.optional {
                        guard p.count >= 4 else { throw fail("a data page ends early") }
                        let length = Int(p[0]) | Int(p[1]) << 8 | Int(p[2]) << 16 | Int(p[3]) << 24
                        guard length >= 0, length <= p.count - 4 else { throw fail("a data page's levels run past its end") }
                        defined = try levels(UnsafeBufferPointer(rebasing: p[4..<(4 + length)]), count: Int(n))
                        offset = 4 + length
                    }
                    try values(p, &offset, count: Int(n), defined: defined, encoding: encoding, dictionary: dictionary, into: &cells)
                }
            case 3:
                guard let h = header[8], let n = h[1]?.int, let encoding = h[4]?.int,
                      let defLength = h[5]?.int, let repLength = h[6]?.int,
                      defLength >= 0, repLength >= 0, defLength + repLength <= compressed else { throw fail("a v2 data page has no usable header") }
                try checkCount(n)
                let levelBytes = Int(defLength + repLength)
                let defined = column.optional
                    ? try levels(UnsafeBufferPointer(rebasing: payload[Int(repLength)..<levelBytes]), count: Int(n)) : nil
                let rest = UnsafeBufferPointer(rebasing: payload[levelBytes...])
                let isCompressed = h[7]?.bool ?? true
                let page = isCompressed ? try decompress(rest, size: Int(uncompressed) - levelBytes) : Array(rest)
                try page.withUnsafeBufferPointer { p in
                    var offset = 0
                    try values(p, &offset, count: Int(n), defined: defined, encoding: encoding, dictionary: dictionary, into: &cells)
                }
            default:
                continue      // index pages and others carry no values
            }
        }
        if cells.ends.count != rows { throw fail("holds \(cells.ends.count) values for \(rows) rows; the file is damaged") }
        return cells
    }

    /// A data page's value count must fit the rows still to come.
    func checkCount(_ n: Int64, done: Int = -1) throws {
        guard n >= 0, n <= Int64(rows) else { throw fail("a page announces \(n) values for a row group of \(rows) rows; the file is damaged") }
    }

    /// Uncompresses a page.
    func decompress(_ input: UnsafeBufferPointer<UInt8>, size: Int) throws -> [UInt8] {
        guard size >= 0 else { throw fail("a page announces a negative size") }
        // Nothing is allocated for a size the page cannot hold: a stored page is its
        // own size, and a compressed one expands at most a few thousand-fold.
        guard chunk.codec == 0 ? size == input.count : size <= max(input.count, 256) * 4096 else {
            throw fail("a page announces \(size) bytes from \(input.count) stored; the file is damaged")
        }
        switch chunk.codec {
        case 0:
            return Array(input)
        case 1:
            var length = 0
            guard snappy_uncompressed_length(UnsafeRawPointer(input.baseAddress!).assumingMemoryBound(to: CChar.self), input.count, &length) == SNAPPY_OK,
                  length == size else { throw fail("a snappy page is damaged") }
            var out = [UInt8](repeating: 0, count: size)
            var produced = size
            let status = out.withUnsafeMutableBufferPointer { o in
                snappy_uncompress(UnsafeRawPointer(input.baseAddress!).assumingMemoryBound(to: CChar.self), input.count,
                                  UnsafeMutableRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self), &produced)
            }
            guard status == SNAPPY_OK, produced == size else { throw fail("a snappy page is damaged") }
            return out
        case 2:
            var out = [UInt8](repeating: 0, count: size)
            var stream = z_stream()
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("cannot start gzip") }
            defer { inflateEnd(&stream) }
            let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                return inflate(&stream, Z_FINISH)
            }
            guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw fail("a gzip page is damaged") }
            return out
        case 6:
            var out = [UInt8](repeating: 0, count: size)
            let n = out.withUnsafeMutableBufferPointer { o in ZSTD_decompress(o.baseAddress, o.count, input.baseAddress, input.count) }
            guard ZSTD_isError(n) == 0, n == size else { throw fail("a zstd page is damaged") }
            return out
        default:
            let names: [Int64: String] = [3: "LZO", 4: "BROTLI", 5: "LZ4", 7: "LZ4_RAW"]
            throw fail("is compressed with \(names[chunk.codec] ?? "codec \(chunk.codec)"), which this release does not read; write it with snappy, gzip, zstd or no compression")
        }
    }

    /// Definition levels (0 null, 1 present) of a flat optional column.
    func levels(_ p: UnsafeBufferPointer<UInt8>, count: Int) throws -> [Bool] {
        var out: [Bool] = []
        out.reserveCapacity(count)
        var hybrid = Hybrid(p, bitWidth: 1)
        while out.count < count {
            guard let v = try hybrid.next() else { throw fail("the definition levels end early") }
            out.append(v != 0)
        }
        return out
    }

    /// The values of one data page, with nulls where `defined` says so.
    func values(_ p: UnsafeBufferPointer<UInt8>, _ offset: inout Int, count: Int, defined: [Bool]?, encoding: Int64,
                dictionary: Cells?, into cells: inout Cells) throws {
        guard count >= 0, count <= rows - cells.ends.count else {
            throw fail("a page holds \(count) values where \(rows - cells.ends.count) rows remain; the file is damaged")
        }
        let present = defined.map { $0.filter { $0 }.count } ?? count
        var decoded = Cells()
        decoded.ends.reserveCapacity(present)
        switch encoding {
        case 0:
            try plain(p, &offset, count: present, into: &decoded)
        case 2, 8:
            guard let dictionary else { throw fail("a dictionary-encoded page comes before its dictionary") }
            guard offset < p.count || present == 0 else { throw fail("a dictionary-encoded page is empty") }
            if present > 0 {
                let width = Int(p[offset])
                guard width <= 32 else { throw fail("a dictionary page uses \(width)-bit indices") }
                var hybrid = Hybrid(UnsafeBufferPointer(rebasing: p[(offset + 1)...]), bitWidth: width)
                for _ in 0..<present {
                    guard let i = try hybrid.next(), i < dictionary.ends.count else { throw fail("a dictionary index is out of range") }
                    let start = i == 0 ? 0 : dictionary.ends[Int(i) - 1]
                    decoded.bytes.append(contentsOf: dictionary.bytes[start..<dictionary.ends[Int(i)]])
                    decoded.ends.append(decoded.bytes.count)
                }
            }
        case 3 where column.physical == .boolean:
            guard p.count - offset >= 4 else { throw fail("a boolean page ends early") }
            var hybrid = Hybrid(UnsafeBufferPointer(rebasing: p[(offset + 4)...]), bitWidth: 1)
            for _ in 0..<present {
                guard let v = try hybrid.next() else { throw fail("a boolean page ends early") }
                decoded.bytes.append(contentsOf: v != 0 ? Self.trueText : Self.falseText)
                decoded.ends.append(decoded.bytes.count)
            }
        default:
            let names: [Int64: String] = [4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED", 6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 9: "BYTE_STREAM_SPLIT"]
            throw fail("uses the \(names[encoding] ?? "encoding \(encoding)") encoding, which this release does not read; write it with dictionary or plain encoding")
        }
        // Spread the present values over the rows, nulls as empty cells.
        var next = 0
        for r in 0..<count {
            if let defined, !defined[r] { cells.ends.append(cells.bytes.count); continue }
            let start = next == 0 ? 0 : decoded.ends[next - 1]
            cells.bytes.append(contentsOf: decoded.bytes[start..<decoded.ends[next]])
            cells.ends.append(cells.bytes.count)
            next += 1
        }
    }

    static let trueText = Array("true".utf8), falseText = Array("false".utf8)

    /// PLAIN-encoded values, formatted as text.
    func plain(_ p: UnsafeBufferPointer<UInt8>, _ offset: inout Int, count: Int, into out: inout Cells) throws {
        func need(_ n: Int) throws { guard n >= 0, p.count - offset >= n else { throw fail("a page ends before its values do") } }
        guard count >= 0 else { throw fail("a page announces a negative number of values") }
        func le(_ at: Int, _ n: Int) -> UInt64 { var v: UInt64 = 0; for i in 0..<n { v |= UInt64(p[at + i]) << (8 * UInt64(i)) }; return v }
        switch column.physical {
        case .boolean:
            try need((count + 7) / 8)
            for i in 0..<count {
                let bit = (p[offset + i / 8] >> (i % 8)) & 1
                out.bytes.append(contentsOf: bit != 0 ? Self.trueText : Self.falseText)
                out.ends.append(out.bytes.count)
            }
            offset += (count + 7) / 8
        case .int32, .int64:
            let width = column.physical == .int32 ? 4 : 8
            try need(count * width)
            for i in 0..<count {
                let raw = le(offset + i * width, width)
                let v = width == 4 ? Int64(Int32(truncatingIfNeeded: raw)) : Int64(bitPattern: raw)
                appendInteger(v, to: &out.bytes)
                out.ends.append(out.bytes.count)
            }
            offset += count * width
        case .int96:
            try need(count * 12)
            for i in 0..<count {
                let nanos = Int64(bitPattern: le(offset + i * 12, 8))
                let day = Int64(Int32(truncatingIfNeeded: le(offset + i * 12 + 8, 4)))
                let seconds = (day - 2_440_588) * 86_400
                Self.appendTimestamp(seconds: seconds + nanos / 1_000_000_000, fraction: nanos % 1_000_000_000, digits: 9, to: &out.bytes)
                out.ends.append(out.bytes.count)
            }
            offset += count * 12
        case .float:
            try need(count * 4)
            for i in 0..<count {
                let v = Float(bitPattern: UInt32(le(offset + i * 4, 4)))
                if !v.isNaN { out.bytes.append(contentsOf: Array(v.description.utf8)) }
                out.ends.append(out.bytes.count)
            }
            offset += count * 4
        case .double:
            try need(count * 8)
            for i in 0..<count {
                let v = Double(bitPattern: le(offset + i * 8, 8))
                if !v.isNaN { out.bytes.append(contentsOf: Array(v.description.utf8)) }
                out.ends.append(out.bytes.count)
            }
            offset += count * 8
        case .byteArray, .fixedLenByteArray:
            for _ in 0..<count {
                var n = column.typeLength
                if column.physical == .byteArray {
                    try need(4)
                    n = Int(le(offset, 4))
                    offset += 4
                }
                try need(n)
                var field: [UInt8] = []
                if column.physical == .fixedLenByteArray && column.meaning != .string {
                    // bytes without a text meaning (a UUID): hexadecimal
                    let hex = Array("0123456789abcdef".utf8)
                    for i in 0..<n { let b = p[offset + i]; field.append(hex[Int(b >> 4)]); field.append(hex[Int(b & 15)]) }
                } else {
                    field = Array(p[offset..<(offset + n)])
                }
                ParquetReader.appendField(field, to: &out.bytes)
                out.ends.append(out.bytes.count)
                offset += n
            }
        }
    }

    /// An integer as its column means it: a number, a date, a timestamp or a decimal.
    func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        switch column.meaning {
        case .date:
            Self.appendDate(days: v, to: &out)
        case .timestamp(let perSecond) where perSecond > 0:
            let (s, f) = (v.quotientAndRemainder(dividingBy: perSecond))
            let (seconds, fraction) = f < 0 ? (s - 1, f + perSecond) : (s, f)
            let digits = perSecond == 1_000 ? 3 : perSecond == 1_000_000 ? 6 : 9
            Self.appendTimestamp(seconds: seconds, fraction: fraction, digits: digits, to: &out)
        case .decimal(let scale) where scale > 0:
            var digits = Array(String(v.magnitude).utf8)
            while digits.count <= scale { digits.insert(48, at: 0) }
            if v < 0 { out.append(45) }
            out.append(contentsOf: digits[0..<(digits.count - scale)])
            out.append(46)
            out.append(contentsOf: digits[(digits.count - scale)...])
        default:
            out.append(contentsOf: Array(String(v).utf8))
        }
    }

    static func appendDate(days: Int64, to out: inout [UInt8]) {
        let (y, m, d) = civilFromDays(Int(clamping: days))
        out.append(contentsOf: Array(String(format: "%04ld-%02ld-%02ld", y, m, d).utf8))
    }

    static func appendTimestamp(seconds: Int64, fraction: Int64, digits: Int, to out: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        appendDate(days: days, to: &out)
        out.append(contentsOf: Array(String(format: " %02lld:%02lld:%02lld", rest / 3600, rest % 3600 / 60, rest % 60).utf8))
        if fraction > 0 {
            var f = Array(String(fraction).utf8)
            while f.count < digits { f.insert(48, at: 0) }
            while f.last == 48 { f.removeLast() }
            out.append(46)
            out.append(contentsOf: f)
        }
    }
}

/// The RLE / bit-packed hybrid encoding of levels and dictionary indices.
struct Hybrid {
    let bytes: UnsafeBufferPointer<UInt8>
    let bitWidth: Int
    var position = 0
    var runLeft = 0
    var runValue: UInt64 = 0
    var packedLeft = 0
    var bitOffset = 0          // within the packed run, in bits from its start
    var packedStart = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, bitWidth: Int) { self.bytes = bytes; self.bitWidth = bitWidth }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw Thrift.DecodeError(what: "run header") }
            let b = bytes[position]; position += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw Thrift.DecodeError(what: "run header") }
        }
    }

    /// The next value, or nil at the end of the data.
    mutating func next() throws -> UInt64? {
        while runLeft == 0 && packedLeft == 0 {
            guard position < bytes.count else { return nil }
            let header = try varint()
            if header & 1 == 0 {
                runLeft = Int(header >> 1)
                let n = (bitWidth + 7) / 8
                guard bytes.count - position >= n else { return nil }
                runValue = 0
                for i in 0..<n { runValue |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
                position += n
            } else {
                let groups = Int(header >> 1)
                guard groups <= bytes.count else { return nil }
                packedLeft = groups * 8
                packedStart = position
                bitOffset = 0
                position += min(bytes.count - position, groups * bitWidth)
            }
        }
        if runLeft > 0 { runLeft -= 1; return runValue }
        var v: UInt64 = 0
        for b in 0..<bitWidth {
            let bit = bitOffset + b
            let at = packedStart + bit / 8
            guard at < bytes.count else { return nil }
            v |= UInt64((bytes[at] >> (bit % 8)) & 1) << UInt64(b)
        }
        bitOffset += bitWidth
        packedLeft -= 1
        return v
    }
}
