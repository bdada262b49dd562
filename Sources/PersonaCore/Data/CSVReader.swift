#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One parsed CSV record. Field contents are unescaped and stored back to back in
/// `bytes`; `ends[i]` is where field i stops. The record is reused between calls
/// to `CSVReader.next(into:)`, so reading a file allocates almost nothing per row.
public struct CSVRecord {
    public internal(set) var bytes: [UInt8] = []
    public internal(set) var ends: [Int] = []
    /// Physical line (1-based, the header is line 1) on which this record starts.
    public internal(set) var line: Int = 0

    public init() {
        bytes.reserveCapacity(1024)
        ends.reserveCapacity(64)
    }

    public var count: Int { ends.count }

    @inline(__always) func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    public func string(_ i: Int) -> String {
        let r = range(i)
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[r]), as: UTF8.self) }
    }

    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = range(i)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    /// True for the missing-value markers: empty, NA, N/A, NaN, null, None (any case).
    public func isMissing(_ i: Int) -> Bool { withField(i) { MissingMarkers.isMissing($0) } }

    /// The field as a finite number, or nil when it is not one (missing markers included).
    public func number(_ i: Int) -> Double? { withField(i) { NumberParser.parse($0) } }

    public var fields: [String] { (0..<count).map(string) }
}

/// A streaming RFC 4180 reader. It reads the file in 1 MiB blocks and never holds
/// the whole file: quoted fields may contain delimiters, doubled quotes and line
/// breaks; a UTF-8 byte-order mark is skipped; LF and CRLF both end a record.
/// Completely empty lines are skipped.
public final class CSVReader {
    public let path: String
    public let displayName: String
    public let delimiter: UInt8
    public private(set) var header: [String] = []
    /// Records returned so far, not counting the header.
    public private(set) var recordsRead = 0

    private let file: UnsafeMutablePointer<FILE>
    private let capacity = 1 << 20
    private let buffer: UnsafeMutablePointer<UInt8>
    private var position = 0
    private var length = 0
    private var atEOF = false
    private var line = 1
    private var fingerprint = DataFingerprint()
    public var dataFingerprint: DataFingerprint { fingerprint }
    /// File offset of the current block, and bytes left to read (range readers).
    private var blockStart = 0
    private var remaining = Int.max
    /// File offset where the data rows start (just after the header line).
    public private(set) var dataOffset = 0
    /// Bytes consumed so far (file offset of the next unread byte).
    public var offset: Int { blockStart + position }
    /// The physical line the next record starts on.
    public var nextLine: Int { line }
    /// When set, a record whose field count differs from the header's is
    /// returned (the caller checks `count`) instead of stopping the read.
    public var allowsRaggedRows = false
    /// The file writes decimal commas (`CSVDialect`): number fields are handed
    /// out in the usual form, and every record goes through `next`.
    public private(set) var decimalComma = false
    private var fingerprinting = true
    /// Readers of files report to `ReadProgress`; readers of blocks in memory do not.
    private var reportsProgress = true
    private var reportedLine = 1

    public init(path: String, delimiter: UInt8 = UInt8(ascii: ","), expectHeader: Bool = true) throws {
        self.path = path
        self.displayName = path
        self.delimiter = delimiter
        var st = stat()
        if stat(path, &st) != 0 {
            throw PersonaError("\(path): no such file. Check the path (see `persona datasets generate` for sample data)")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw PersonaError("\(path): is a directory, expected a CSV file") }
        guard let f = fopen(path, "rb") else {
            throw PersonaError("\(path): cannot be opened (\(String(cString: strerror(errno))))")
        }
        file = f
        buffer = .allocate(capacity: capacity)
        fill()
        if let what = Self.notText(UnsafeBufferPointer(start: buffer, count: length)) {
            throw PersonaError.data(file: path, "is \(what.kind), not a CSV text file", fix: what.fix)
        }
        if length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
        if expectHeader {
            var rec = CSVRecord()
            guard try next(into: &rec) else {
                throw PersonaError.data(file: path, "the file is empty", fix: "Expected a header line naming the columns, then one row per record")
            }
            recordsRead = 0
            dataOffset = offset
            header = rec.fields.map { $0.trimmingASCIISpaces() }
            var seen = Set<String>()
            for (i, name) in header.enumerated() {
                if name.isEmpty {
                    throw PersonaError.data(file: path, line: 1, column: i + 1, "the header has an empty column name", fix: "Name every column in the first line")
                }
                if !seen.insert(name).inserted {
                    throw PersonaError.data(file: path, line: 1, column: i + 1, "the column name \"\(name)\" appears twice in the header", fix: "Give each column a unique name")
                }
            }
        }
        decimalComma = CSVDialect.usesDecimalComma(path: path, delimiter: delimiter)
    }

    /// A reader over part of a file (whole lines, no header), for parallel
    /// parsing. Its line numbers are relative to the range; callers that need
    /// exact error positions re-read sequentially.
    init(path: String, delimiter: UInt8, range: Range<Int>, header: [String]) throws {
        self.path = path
        self.displayName = path
        self.delimiter = delimiter
        guard let f = fopen(path, "rb") else {
            throw PersonaError("\(path): cannot be opened (\(String(cString: strerror(errno))))")
        }
        file = f
        buffer = .allocate(capacity: capacity)
        fseeko(f, off_t(range.lowerBound), SEEK_SET)
        blockStart = range.lowerBound
        remaining = range.count
        self.header = header
        fingerprinting = false      // the caller hashes the file's blocks (DataFingerprint.blockValue)
        decimalComma = CSVDialect.usesDecimalComma(path: path, delimiter: delimiter)
        fill()
        blockStart = range.lowerBound
    }

    /// A reader over whole records held in memory (no header line), for work
    /// split across threads. Line numbers start at `firstLine`; errors name
    /// `path`. The bytes must stay alive and unchanged while the reader is used.
    public init(memory: UnsafeRawBufferPointer, path: String, delimiter: UInt8, header: [String], firstLine: Int) throws {
        self.path = path
        self.displayName = path
        self.delimiter = delimiter
        self.header = header
        guard memory.count > 0, let base = memory.baseAddress,
              let f = fmemopen(UnsafeMutableRawPointer(mutating: base), memory.count, "rb") else {
            throw PersonaError("\(path): could not read a block of the file in memory")
        }
        file = f
        buffer = .allocate(capacity: capacity)
        line = firstLine
        fingerprinting = false
        reportsProgress = false
        decimalComma = CSVDialect.usesDecimalComma(path: path, delimiter: delimiter)
        fill()
    }

    deinit {
        if reportsProgress && line > reportedLine { ReadProgress.shared.add(path: path, bytes: 0, lines: line - reportedLine) }
        fclose(file)
        buffer.deallocate()
    }

    private func fill() {
        blockStart += length
        if atEOF { length = 0; position = 0; return }
        let want = min(capacity, remaining)
        let n = want > 0 ? fread(buffer, 1, want, file) : 0
        if remaining != Int.max { remaining -= n }
        if fingerprinting { fingerprint.update(UnsafeBufferPointer(start: buffer, count: n)) }
        if reportsProgress {
            ReadProgress.shared.add(path: path, bytes: n, lines: line - reportedLine)
            reportedLine = line
        }
        length = n
        position = 0
        if n < want || remaining == 0 { atEOF = true }  // fread is short only at end of file or on error
    }

    @inline(__always) private func nextByte() -> UInt8? {
        if position == length {
            if atEOF { return nil }
            fill()
            if length == 0 { return nil }
        }
        let b = buffer[position]
        position += 1
        return b
    }

    @inline(__always) private func peekByte() -> UInt8? {
        if position == length {
            if atEOF { return nil }
            fill()
            if length == 0 { return nil }
        }
        return buffer[position]
    }

    /// Copies the rest of an unquoted field that lies in the current block in one
    /// go, stopping before the delimiter, a line break or a quote.
    @inline(__always) private func scanPlain(_ record: inout CSVRecord) {
        let start = position
        var p = position
        let d = delimiter
        while p < length {
            let b = buffer[p]
            if b == d || b == 10 || b == 13 || b == 34 { break }
            p += 1
        }
        if p > start {
            record.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer + start, count: p - start))
            position = p
        }
    }

    /// The same inside a quoted field: stops before a quote or a line feed (lines are counted).
    @inline(__always) private func scanQuoted(_ record: inout CSVRecord) {
        let start = position
        var p = position
        while p < length {
            let b = buffer[p]
            if b == 34 || b == 10 { break }
            p += 1
        }
        if p > start {
            record.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer + start, count: p - start))
            position = p
        }
    }

    /// The common case in one go: a record that ends with a line feed inside the
    /// current block and holds no quote or carriage return is copied with one
    /// append, then split at its delimiters in place. Returns false (consuming
    /// nothing) when the record needs the general parser.
    @inline(__always) private func plainRecord(_ record: inout CSVRecord) -> Bool {
        var p = position
        while p < length {
            let b = buffer[p]
            if b == 10 || b == 34 || b == 13 { break }
            p += 1
        }
        guard p < length, buffer[p] == 10 else { return false }
        let count = p - position
        record.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer + position, count: count))
        let d = delimiter
        let kept = record.bytes.withUnsafeMutableBufferPointer { bp -> Int in
            var w = 0
            for r in 0..<count {
                let b = bp[r]
                if b == d { record.ends.append(w) } else { bp[w] = b; w += 1 }
            }
            return w
        }
        record.ends.append(kept)
        record.bytes.removeLast(count - kept)
        position = p + 1
        return true
    }

    /// The whole lines left in the current block (from the next unread byte to
    /// the last line feed), for callers that split plain records in place
    /// instead of copying each one; empty when no line feed is left. The
    /// caller consumes what it handled with `consumeLines`, then reads the
    /// record that does not fit (or that needs the general parser) with `next`.
    public func bufferedLines() -> UnsafeBufferPointer<UInt8> {
        if decimalComma { return UnsafeBufferPointer(start: buffer + position, count: 0) }
        var end = length
        while end > position && buffer[end - 1] != 10 { end -= 1 }
        return UnsafeBufferPointer(start: buffer + position, count: end - position)
    }

    /// Marks the first `bytes` of `bufferedLines()` as read: `lines` physical
    /// lines holding `records` records (the rest were blank).
    public func consumeLines(bytes: Int, lines: Int, records: Int) {
        position += bytes
        line += lines
        recordsRead += records
    }

    /// Reads the next record into `record`. Returns false at the end of the file.
    /// Throws on an unterminated quoted field, and (when a header was read) on a
    /// record whose field count differs from the header's.
    public func next(into record: inout CSVRecord) throws -> Bool {
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let delim = delimiter
        while true {
            record.bytes.removeAll(keepingCapacity: true)
            record.ends.removeAll(keepingCapacity: true)
            record.line = line
            if plainRecord(&record) {
                line += 1
                if record.ends.count == 1 && record.bytes.isEmpty { continue }  // blank line
                try accept(&record)
                return true
            }
            guard var c = nextByte() else { return false }
            var quotedFieldSeen = false
            var quoteStartLine = line
            // 0 = start of field, 1 = unquoted, 2 = quoted, 3 = quote inside quoted
            var state = 0
            var endOfRecord = false
            while !endOfRecord {
                switch state {
                case 0:
                    if c == quote { state = 2; quotedFieldSeen = true; quoteStartLine = line }
                    else if c == delim { record.ends.append(record.bytes.count) }
                    else if c == lf { endOfRecord = true }
                    else if c == cr { if peekByte() == lf { position += 1 }; endOfRecord = true }
                    else { record.bytes.append(c); state = 1; scanPlain(&record) }
                case 1:
                    if c == delim { record.ends.append(record.bytes.count); state = 0 }
                    else if c == lf { endOfRecord = true }
                    else if c == cr { if peekByte() == lf { position += 1 }; endOfRecord = true }
                    else { record.bytes.append(c); scanPlain(&record) }
                case 2:
                    if c == quote { state = 3 }
                    else { if c == lf { line += 1 }; record.bytes.append(c); scanQuoted(&record) }
                default:
                    if c == quote { record.bytes.append(quote); state = 2 }
                    else if c == delim { record.ends.append(record.bytes.count); state = 0 }
                    else if c == lf { endOfRecord = true }
                    else if c == cr { if peekByte() == lf { position += 1 }; endOfRecord = true }
                    else { record.bytes.append(c); state = 1 }
                }
                if endOfRecord { break }
                guard let n = nextByte() else {
                    if state == 2 {
                        throw PersonaError.data(file: path, line: quoteStartLine, column: record.ends.count + 1,
                                                columnName: header.indices.contains(record.ends.count) ? header[record.ends.count] : nil,
                                                "a quoted field is never closed (unterminated quote)",
                                                fix: "Close the quote with \" and write a quote inside a quoted field as \"\"")
                    }
                    break
                }
                c = n
            }
            record.ends.append(record.bytes.count)
            line += 1
            if record.ends.count == 1 && record.bytes.isEmpty && !quotedFieldSeen { continue }  // blank line
            try accept(&record)
            return true
        }
    }

    /// What a file that is not text is, from its first bytes (Parquet and
    /// compressed files never get here: `Inputs.resolve` converts them).
    static func notText(_ head: UnsafeBufferPointer<UInt8>) -> (kind: String, fix: String)? {
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && zip(head, magic).allSatisfy { $0 == $1 } }
        let export = "Save it as CSV (in a spreadsheet: File > Save as > CSV UTF-8) and give that file"
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            let text = String(decoding: head.prefix(4096), as: UTF8.self)
            if text.contains("xl/") || text.contains("[Content_Types].xml") && !text.contains("word/") {
                return ("an Excel workbook (XLSX)", export)
            }
            if text.contains("content.xml") || text.contains("opendocument") { return ("an OpenDocument spreadsheet (ODS)", export) }
            return ("a ZIP archive", "Unpack it (unzip) and give the CSV file inside")
        }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return ("an Excel 97-2003 workbook (XLS)", export) }
        if starts(Array("%PDF".utf8)) { return ("a PDF document", "Export the table as CSV from the program that made it") }
        if starts(Array("SQLite format 3".utf8)) { return ("an SQLite database", "Export the table: sqlite3 -header -csv FILE \"select * from TABLE\" > table.csv") }
        if starts([0xFF, 0xFE]) || starts([0xFE, 0xFF]) {
            return ("UTF-16 text", "Convert it to UTF-8: iconv -f UTF-16 -t UTF-8 FILE > file.csv")
        }
        if head.prefix(4096).contains(0) { return ("a binary file", "Give a CSV text file (a header line, then one row per line)") }
        return nil
    }

    /// Counts a finished record, or stops at a ragged one (unless those are allowed).
    private func accept(_ record: inout CSVRecord) throws {
        if decimalComma { Self.normalizeNumbers(&record) }
        if !header.isEmpty && record.count != header.count && !allowsRaggedRows {
            throw PersonaError.data(file: path, line: record.line, Self.raggedRow(record.count, header: header.count),
                                    fix: "Every row needs one value per header column; quote values that contain the delimiter")
        }
        recordsRead += 1
    }

    /// Rewrites a record's decimal-comma numbers in the usual form, moving the
    /// fields that follow a shortened one down.
    static func normalizeNumbers(_ record: inout CSVRecord) {
        record.bytes.withUnsafeMutableBufferPointer { bp in
            record.ends.withUnsafeMutableBufferPointer { ends in
                guard let base = bp.baseAddress else { return }
                var read = 0, write = 0
                for j in 0..<ends.count {
                    let end = ends[j], count = end - read
                    if write != read { memmove(base + write, base + read, count) }
                    let kept = CSVDialect.normalize(base + write, count: count) ?? count
                    write += kept
                    ends[j] = write
                    read = end
                }
            }
        }
        let total = record.ends.last ?? 0
        if record.bytes.count > total { record.bytes.removeLast(record.bytes.count - total) }
    }

    static func raggedRow(_ fields: Int, header: Int) -> String {
        "ragged row: \(fields) field\(fields == 1 ? "" : "s") where the header has \(header)"
    }

    /// Index of a header column by name.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The index of a column a command's option names, or the error that says
    /// which option named it and which columns the file has.
    public func column(_ name: String, namedWith flag: String) throws -> Int {
        guard let i = columnIndex(name) else {
            throw PersonaError.data(file: path, line: 1, columnName: name, "is named with \(flag) but the file has no such column",
                                    fix: "Columns are: \(header.joined(separator: ", "))")
        }
        return i
    }
}

extension String {
    func trimmingASCIISpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// Parses a delimiter given on the command line: one character, or a name
/// (`comma`, `semicolon`, `tab`, `pipe`); `auto` is not allowed here.
public func parseDelimiter(_ text: String) throws -> UInt8 {
    guard let d = try parseDelimiterOption(text) else {
        throw PersonaError("--delimiter auto needs the file: give the character (comma, semicolon, tab, pipe)")
    }
    return d
}
