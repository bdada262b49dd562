import CPersonaKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a column holds, as inferred from its values.
public enum ColumnType: String, Codable, Sendable {
    /// Every present value is a finite number.
    case numeric
    /// Only true/false style values (true, false, yes, no, t, f, y, n) or only 0 and 1.
    case boolean
    /// Text values drawn from a set of levels.
    case categorical
    /// A key naming each row (a unique text value, or an integer column named like an id).
    case identifier
    /// Dates or date-times: ISO 8601, dd/mm/yyyy or mm/dd/yyyy (one order for the
    /// column), `March 14, 2025`. min and max are seconds since 1970-01-01 UTC.
    case date
}

/// Statistics of one column gathered in one streaming pass.
public struct ColumnProfile: Codable, Equatable, Sendable {
    public var name: String
    public var type: ColumnType
    public var count: Int
    public var missing: Int
    /// Distinct present values; a lower bound when `distinctIsLowerBound`.
    public var distinct: Int
    public var distinctIsLowerBound: Bool
    public var min: Double?
    public var mean: Double?
    public var max: Double?
    public var std: Double?
    /// Most frequent values with their counts, most frequent first (ties by value).
    public var topValues: [ValueCount]
    public var allIntegers: Bool
    /// Dates written with numbers: the order of day and month the column uses
    /// (nil when every date reads both ways, or none is written so).
    public var dateOrder: DateOrder?
    /// Dates: each way the column writes them, with its count and an example.
    public var formats: [FormatCount]?

    public init(name: String, type: ColumnType, count: Int, missing: Int, distinct: Int, distinctIsLowerBound: Bool,
                min: Double?, mean: Double?, max: Double?, std: Double?, topValues: [ValueCount], allIntegers: Bool,
                dateOrder: DateOrder? = nil, formats: [FormatCount]? = nil) {
        self.name = name; self.type = type; self.count = count; self.missing = missing; self.distinct = distinct
        self.distinctIsLowerBound = distinctIsLowerBound; self.min = min; self.mean = mean; self.max = max; self.std = std
        self.topValues = topValues; self.allIntegers = allIntegers; self.dateOrder = dateOrder; self.formats = formats
    }

    enum CodingKeys: String, CodingKey {
        case name, type, count, missing, distinct, min, mean, max, std, formats
        case distinctIsLowerBound = "distinct_is_lower_bound"
        case topValues = "top_values"
        case allIntegers = "all_integers"
        case dateOrder = "date_order"
    }

    public struct FormatCount: Codable, Equatable, Sendable {
        public var format: String
        public var count: Int
        public var example: String
    }

    public struct ValueCount: Codable, Equatable, Sendable {
        public var value: String
        public var count: Int
    }
}

public struct DataProfile: Codable, Equatable, Sendable {
    public var file: String
    public var rows: Int
    public var columns: [ColumnProfile]
    public var fingerprint: String
    /// How the file is written (`CSVDialect.description`), when a command looked.
    public var dialect: String?

    public func column(_ name: String) -> ColumnProfile? { columns.first { $0.name == name } }
}

enum BooleanWords {
    static func value(_ f: UnsafeBufferPointer<UInt8>) -> Bool? {
        let f = trimmedSpaces(f)
        let n = f.count
        if n == 0 || n > 5 { return nil }
        // The word's length and bytes, lower-cased, packed into one integer.
        var word: UInt64 = 0
        for b in f { word = word << 8 | UInt64((b >= 65 && b <= 90) ? b | 0x20 : b) }
        word |= UInt64(n) << 56
        if yesWords.contains(word) { return true }
        return noWords.contains(word) ? false : nil
    }

    private static let yesWords = yes.map(packed)
    private static let noWords = no.map(packed)
    private static func packed(_ s: String) -> UInt64 { s.utf8.reduce(0) { $0 << 8 | UInt64($1) } | UInt64(s.utf8.count) << 56 }

    /// The words read as true and as false (in any case).
    static let yes = ["true", "t", "yes", "y"]
    static let no = ["false", "f", "no", "n"]
    static func value(_ s: String) -> Bool? { var s = s; return s.withUTF8 { value($0) } }
}

/// Streams a CSV file once and infers each column's type and statistics.
public enum Profiler {
    /// Distinct values are counted exactly up to this many per column.
    public static let distinctCap = 10_000

    /// Files at least this large (and without quotes) are parsed on every core.
    nonisolated(unsafe) static var parallelMinimumBytes = 8 << 20
    /// Plain lines are split where they lie in the read buffer (tests turn this
    /// off to compare with the record parser alone).
    nonisolated(unsafe) static var splitsPlainLinesInPlace = true

    private struct Accumulator {
        var count = 0, missing = 0
        var numeric = 0, booleanWords = 0, zeroOne = 0
        var allIntegers = true
        var sum = 0.0, sumSquares = 0.0, shift = 0.0, shiftSet = false
        var min = Double.infinity, max = -Double.infinity
        var counts = ByteCounter()
        var overflow = false
        // Values kept for training (see ColumnStore): numbers while the column
        // looks numeric, value codes while its distinct values are tracked.
        var floats: [Float] = []
        var codes: [Int32] = []
        /// The same while a part of the file is being read (moved into the
        /// arrays when it ends).
        var floatBuffer = AppendBuffer<Float>()
        var codeBuffer = AppendBuffer<Int32>()
        var keepFloats = true, keepCodes = true, sawText = false, incomplete = false
        /// Distinct values counted before giving up. Parts of a file parsed in
        /// parallel count fewer while a column holds only numbers (the counts
        /// then serve only the distinct figure); text restores the full cap.
        var cap = distinctCap
        /// Whether values of a text column past the cap still get codes (those
        /// counted before it); parts parsed in parallel need not.
        var findsPastCap = true
    }

    public static func profile(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> DataProfile {
        try profileKeepingValues(path: path, delimiter: delimiter, keep: false).profile
    }

    /// Profiles the file and, with `keep`, also keeps every column's values so
    /// that training needs no second read of the file.
    static func profileKeepingValues(path: String, delimiter: UInt8, keep: Bool) throws -> (profile: DataProfile, store: ColumnStore?) {
        let names: [String]
        var acc: [Accumulator]
        let rows: Int
        let fingerprint: String
        if let parallel = try parallelAccumulate(path: path, delimiter: delimiter, keep: keep) {
            (names, acc, rows, fingerprint) = parallel
            // The parts' buffers and tables, freed into the C heap, would
            // otherwise stay resident through training.
            persona_return_free_memory()
        } else {
            let reader = try CSVReader(path: path, delimiter: delimiter)
            names = reader.header
            acc = try accumulate(reader, keep: keep)
            rows = reader.recordsRead
            fingerprint = reader.dataFingerprint.hex
        }
        if rows == 0 {
            throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add at least one row of data")
        }
        var columns: [ColumnProfile] = []
        var store = ColumnStore(rows: rows, columns: [])
        for (j, name) in names.enumerated() {
            let a = acc[j]
            let present = a.count - a.missing
            let type: ColumnType
            var dates: DateColumn.Summary? = nil
            if present == 0 {
                type = .numeric
            } else if a.booleanWords == present || (a.numeric == present && a.zeroOne == present) {
                type = .boolean
            } else if a.numeric == present {
                let unique = !a.overflow ? a.counts.distinct == present : false
                type = (looksLikeIdentifierName(name) && a.allIntegers && (unique || a.overflow)) ? .identifier : .numeric
            } else if let d = DateColumn.summary(a.counts.firstSeen(a.counts.distinct)) {
                type = .date
                dates = d
            } else {
                let unique = a.overflow || a.counts.distinct == present
                type = (unique && present >= 20) || (unique && looksLikeIdentifierName(name) && present > 1) ? .identifier : .categorical
            }
            var mean: Double? = nil, std: Double? = nil, mn: Double? = nil, mx: Double? = nil
            if let dates { mn = dates.min; mx = dates.max }
            if a.numeric > 0 && (type == .numeric || type == .boolean) {
                let n = Double(a.numeric)
                let m = a.sum / n
                mean = a.shift + m
                std = n > 1 ? (Swift.max(0, (a.sumSquares - n * m * m) / (n - 1))).squareRoot() : 0
                mn = a.min; mx = a.max
                if a.booleanWords == present && a.numeric == 0 { mean = nil }
            }
            if type == .boolean && a.booleanWords == present {
                // true/false words: report the share of true as the mean
                var trues = 0
                for (k, c) in a.counts.firstSeen(a.counts.distinct) where BooleanWords.value(k) == true { trues += c }
                mean = Double(trues) / Double(present); mn = 0; mx = 1
            }
            // Numbers need no top values; identifiers show a few examples in file order.
            let pairs = type == .categorical ? a.counts.top(FeaturePipeline.maxLevels)
                : type == .boolean ? a.counts.top(2)
                : type == .identifier ? a.counts.firstSeen(3) : []
            let top = pairs.map { ColumnProfile.ValueCount(value: $0.0, count: $0.1) }
            columns.append(ColumnProfile(name: name, type: type, count: a.count, missing: a.missing,
                                         distinct: a.counts.distinct, distinctIsLowerBound: a.overflow,
                                         min: mn, mean: mean, max: mx, std: std, topValues: Array(top),
                                         allIntegers: a.allIntegers && a.numeric == present,
                                         dateOrder: dates?.order, formats: dates?.formats))
            if keep {
                store.columns.append(ColumnStore.Column(
                    floats: a.keepFloats && !a.incomplete ? a.floats : nil,
                    codes: a.keepCodes && !a.incomplete ? a.codes : nil,
                    counter: a.counts))
                acc[j].floats = []; acc[j].codes = []
            }
        }
        let profile = DataProfile(file: path, rows: rows, columns: columns, fingerprint: fingerprint)
        return (profile, keep ? store : nil)
    }

    /// Reads every record of `reader` into per-column accumulators.
    /// The kept values end in the accumulators' arrays, or with `buffers` stay
    /// in their buffers (for the caller to join and free).
    private static func accumulate(_ reader: CSVReader, keep: Bool, expectedRows: Int = 0,
                                   numericCap: Int = distinctCap, buffers: Bool = false) throws -> [Accumulator] {
        let names = reader.header
        var template = Accumulator()
        template.cap = numericCap
        template.findsPastCap = numericCap == distinctCap
        var acc = [Accumulator](repeating: template, count: names.count)
        if !keep { for j in acc.indices { acc[j].keepFloats = false; acc[j].keepCodes = false } }
        if keep && expectedRows > 0 {
            // Reserved, not yet written: a page is touched only when a value
            // reaches it, and a column that stops keeping numbers frees them.
            for j in acc.indices { acc[j].floatBuffer.reserve(expectedRows) }
        }
        var rec = CSVRecord()
        let columns = names.count
        // Plain lines are split a batch at a time: each field's bounds, then the
        // batch's fields counted in order.
        let batch = max(1, 16_384 / max(1, columns))
        let bounds = UnsafeMutablePointer<Int32>.allocate(capacity: batch * 2 * columns)
        let isRecord = UnsafeMutablePointer<UInt8>.allocate(capacity: batch)
        defer { bounds.deallocate(); isRecord.deallocate() }
        let delimiter = reader.delimiter
        var finished = false
        defer {
            // On an error the kept values are dropped (on success they are arrays by now).
            if !finished { for j in acc.indices { acc[j].floatBuffer.free(); acc[j].codeBuffer.free() } }
        }
        // Accumulators through a pointer: no copy-on-write check per field.
        try acc.withUnsafeMutableBufferPointer { accp in
        let first = accp.baseAddress!
        while true {
            // Plain lines are split where they lie in the reader's block, without
            // copying the record; the first line that is not plain, and the record
            // that runs past the block, go to the general parser (which also names
            // any error).
            let lines = reader.bufferedLines()
            if splitsPlainLinesInPlace, let base = lines.baseAddress, lines.count > 0 {
                var p = 0, consumedLines = 0, records = 0
                while p < lines.count {
                    // Blank lines are skipped, as the general parser skips them.
                    var end = 0
                    let split = persona_split_plain_lines(base, p, lines.count, delimiter, columns, batch, bounds, isRecord, &end)
                    for t in 0..<split where isRecord[t] != 0 {
                        let b = bounds + t * 2 * columns
                        for j in 0..<columns {
                            let start = Int(b[2 * j])
                            add(first + j, UnsafeBufferPointer(start: base + start, count: Int(b[2 * j + 1]) - start), keep: keep)
                        }
                        records += 1
                    }
                    consumedLines += split
                    p = end
                    // Fewer than a batch: the lines end here, or the next one is
                    // left to the general parser (and its error, if any).
                    if split < batch { break }
                }
                reader.consumeLines(bytes: p, lines: consumedLines, records: records)
            }
            guard try reader.next(into: &rec) else { break }
            rec.bytes.withUnsafeBufferPointer { bytes in
                var fieldStart = 0
                for j in 0..<columns {
                    let fieldEnd = rec.ends[j]
                    add(first + j, UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd]), keep: keep)
                    fieldStart = fieldEnd
                }
            }
        }
        }
        if !buffers {
            for j in acc.indices {
                acc[j].floats = acc[j].floatBuffer.takeArray()
                acc[j].codes = acc[j].codeBuffer.takeArray()
            }
        }
        finished = true
        return acc
    }

    /// Counts one field of a column: missing, a number, a true/false word or
    /// text, its statistics and (with `keep`) its value for training.
    @inline(__always)
    private static func add(_ a: UnsafeMutablePointer<Accumulator>, _ raw: UnsafeBufferPointer<UInt8>, keep: Bool) {
        a.pointee.count += 1
        let f = trimmedSpaces(raw)
        // Every missing marker but the empty one starts with n or N (no number
        // does): only such fields pay for the call, which is not inlined here.
        if f.isEmpty || (f[0] | 0x20 == 0x6E && MissingMarkers.isMissing(f)) {
            a.pointee.missing += 1
            if a.pointee.keepFloats { a.pointee.floatBuffer.append(.nan) }
            if a.pointee.keepCodes { a.pointee.codeBuffer.append(-1) }
            return
        }
        // Once a column has shown text it cannot be numeric (its type, summary
        // and kept values then come from its words and levels alone), so its
        // fields are no longer parsed as numbers.
        let number = a.pointee.sawText ? nil : NumberParser.parse(trimmed: f)
        if keep { keepValue(&a.pointee, f, number) }
        if let v = number {
            a.pointee.numeric += 1
            if v == 0 || v == 1 { a.pointee.zeroOne += 1 }
            // A whole number: exact through Int64 below 2^53 (no call to round);
            // once a fraction is seen, no more checks.
            if a.pointee.allIntegers && (abs(v) > 9e15 || Double(Int64(v)) != v) { a.pointee.allIntegers = false }
            // Shifted sums keep the variance accurate when values sit far from zero.
            if !a.pointee.shiftSet { a.pointee.shift = v; a.pointee.shiftSet = true }
            let d = v - a.pointee.shift
            a.pointee.sum += d; a.pointee.sumSquares += d * d
            if v < a.pointee.min { a.pointee.min = v }
            if v > a.pointee.max { a.pointee.max = v }
        } else if a.pointee.booleanWords == a.pointee.count - 1 - a.pointee.missing && BooleanWords.value(f) != nil {
            // Counted only while every present value so far was such a word:
            // the count matters only when it equals the present values.
            a.pointee.booleanWords += 1
        }
        if !keep && number == nil && !a.pointee.sawText {
            a.pointee.sawText = true
            if !a.pointee.overflow { a.pointee.cap = distinctCap }
        }
        if !a.pointee.overflow && !keep {
            a.pointee.counts.add(f)
            if a.pointee.counts.distinct > a.pointee.cap { a.pointee.overflow = true }
        }
    }

    /// Parses the file on every core (see `inParts`); nil when the file is small
    /// or any part fails, so that errors are reported with exact line numbers by
    /// the sequential reader.
    private static func parallelAccumulate(path: String, delimiter: UInt8, keep: Bool) throws
        -> (names: [String], acc: [Accumulator], rows: Int, fingerprint: String)? {
        // A fixed number of parts, whatever the core count, so the result (down
        // to the order of floating-point sums) depends only on the file.
        let parts = 8
        func freeBuffers(_ part: ([Accumulator], Int)) {
            var acc = part.0
            for j in acc.indices { acc[j].floatBuffer.free(); acc[j].codeBuffer.free() }
        }
        guard let read = inParts(path: path, delimiter: delimiter, count: parts, discard: freeBuffers, { reader, range in
            // Rows in the part, estimated from the length of its first line, so
            // the kept values are allocated once instead of grown by doubling.
            let firstLine = (lineStart(path, after: range.lowerBound) ?? range.upperBound) - range.lowerBound
            let acc = try accumulate(reader, keep: keep, expectedRows: range.count / max(1, firstLine) * 11 / 10 + 16,
                                     numericCap: distinctCap / parts, buffers: true)
            return (acc, reader.recordsRead)
        }) else { return nil }
        let names = read.names
        let rows = read.results.reduce(0) { $0 + $1.1 }
        let partCount = read.results.count
        // Every part's accumulators in one array: part p's column j at p * columns + j.
        // `mergeParts` frees each part's kept values, once (`merged` starts as a copy of part 0).
        var partsAcc = read.results.flatMap(\.0)
        guard var merged = read.results.first?.0 else { return nil }
        let columns = merged.count
        // The columns merge on every core, each on its own: the same sums in
        // the same order as one after the other.
        merged.withUnsafeMutableBufferPointer { mergedp in
            partsAcc.withUnsafeMutableBufferPointer { partsp in
                let into = UnsafeSendableBox(mergedp), from = UnsafeSendableBox(partsp)
                Parallel.forEach(columns) { j in
                    mergeParts(into: &into.value[j], from.value.baseAddress! + j, stride: columns, count: partCount)
                }
            }
        }
        return (names, merged, rows, read.fingerprint)
    }

    /// Merges one column's accumulators of every part into `merged` (a copy
    /// of part 0's), in file order, joining their kept values into arrays and
    /// freeing the parts' buffers. Part p's accumulator is at `parts[p * stride]`.
    private static func mergeParts(into merged: inout Accumulator, _ parts: UnsafeMutablePointer<Accumulator>, stride: Int, count: Int) {
        var remaps: [[Int32]?] = [nil]
        for p in 1..<count { remaps.append(merge(&merged, parts[p * stride])) }
        // The kept values, joined once in file order straight from the parts' buffers.
        merged.floatBuffer = AppendBuffer()
        merged.codeBuffer = AppendBuffer()
        if merged.keepFloats {
            var floats: [Float] = []
            floats.reserveCapacity((0..<count).reduce(0) { $0 + parts[$1 * stride].floatBuffer.count })
            for p in 0..<count { parts[p * stride].floatBuffer.withValues { floats += $0 } }
            merged.floats = floats
        }
        if merged.keepCodes && !merged.incomplete {
            let total = (0..<count).reduce(0) { $0 + parts[$1 * stride].codeBuffer.count }
            merged.codes = [Int32](unsafeUninitializedCapacity: total) { codes, written in
                var k = 0
                for p in 0..<count {
                    parts[p * stride].codeBuffer.withValues { part in
                        if p == 0 {
                            if let src = part.baseAddress { (codes.baseAddress! + k).initialize(from: src, count: part.count) }
                        } else {
                            remaps[p]!.withUnsafeBufferPointer { remap in
                                for (i, c) in part.enumerated() { codes[k + i] = c >= 0 ? remap[Int(c)] : c }
                            }
                        }
                        k += part.count
                    }
                }
                written = k
            }
        }
        for p in 0..<count { parts[p * stride].floatBuffer.free(); parts[p * stride].codeBuffer.free() }
    }

    /// A file's data rows cut into about `count` ranges of whole records.
    struct PartPlan: Equatable {
        var names: [String]
        var ranges: [Range<Int>]
        var size: Int
        /// Cut outside quotes as found by following the quoting from the start
        /// of the file (`recordStarts`), rather than at the first line feed.
        var exact: Bool
    }

    /// Reads a large file in about `count` parts on every core, each part with
    /// `body` over a reader of its whole records, and hashes the file's
    /// fingerprint blocks in the same tasks. Nil when the file is under
    /// `parallelMinimumBytes`, or when a part fails (the caller then reads the
    /// file in one pass, which names any error's exact line).
    ///
    /// The parts are first cut at the first line feed past each even share.
    /// That is safe without looking at the bytes before a cut: part 0 starts
    /// where one pass starts, and a part that reads to its end without an error
    /// ended its last record at the cut (a cut inside a quoted field leaves the
    /// quote unterminated at the part's end, an error), so the next part starts
    /// where one pass would start its next record, and so on. Only when a part
    /// fails, or when the file's first block holds a line break inside quotes,
    /// are the cuts found by following the quoting from the start of the file
    /// (`recordStarts`), and the parts read again with those.
    static func inParts<T>(path: String, delimiter: UInt8, count: Int, discard: (T) -> Void = { _ in },
                           _ body: (CSVReader, Range<Int>) throws -> T) -> (names: [String], results: [T], fingerprint: String)? {
        guard var plan = try? parts(path: path, delimiter: delimiter, count: count) else { return nil }
        let blockSize = DataFingerprint.blockSize
        while true {
            let ranges = plan.ranges
            let results: [Result<(T, [UInt64]), Error>] = Parallel.map(ranges.count) { i in
                Result {
                    let reader = try CSVReader(path: path, delimiter: delimiter, range: ranges[i], header: plan.names)
                    let value = try body(reader, ranges[i])
                    // The fingerprint blocks that start in this part (part 0's start with the file's).
                    let from = i == 0 ? 0 : (ranges[i].lowerBound + blockSize - 1) / blockSize
                    let to = i == ranges.count - 1 ? (plan.size + blockSize - 1) / blockSize : (ranges[i].upperBound + blockSize - 1) / blockSize
                    guard let values = blockValues(path: path, blocks: from..<to, size: plan.size) else {
                        discard(value)
                        throw PersonaError("\(path): could not be read again for its fingerprint")
                    }
                    return (value, values)
                }
            }
            if results.allSatisfy({ if case .success = $0 { return true } else { return false } }) {
                var values: [T] = [], blocks: [UInt64] = []
                for case .success(let (v, b)) in results { values.append(v); blocks += b }
                return (plan.names, values, DataFingerprint(combining: blocks, byteCount: plan.size).hex)
            }
            for case .success(let (v, _)) in results { discard(v) }
            guard !plan.exact, let exact = try? parts(path: path, delimiter: delimiter, count: count, exact: true),
                  exact.ranges != plan.ranges else { return nil }
            plan = exact
        }
    }

    /// The fingerprint values of the file's blocks in `blocks` (the file is `size` bytes).
    private static func blockValues(path: String, blocks: Range<Int>, size: Int) -> [UInt64]? {
        guard !blocks.isEmpty else { return [] }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let blockSize = DataFingerprint.blockSize
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer { buffer.deallocate() }
        var values: [UInt64] = []
        values.reserveCapacity(blocks.count)
        for b in blocks {
            let start = b * blockSize, n = min(blockSize, size - start)
            var got = 0
            while got < n {
                let r = pread(fd, buffer + got, n - got, off_t(start + got))
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { return nil }
                got += r
            }
            values.append(DataFingerprint.blockValue(UnsafeBufferPointer(start: buffer, count: n)))
        }
        return values
    }

    /// A file's data rows cut into about `count` ranges of whole records, for
    /// parsing in parallel (see `inParts`): at the byte after the first line feed
    /// at or past each even share, or with `exact` (and when the file's first
    /// block holds a line break inside quotes) after the first one outside
    /// quotes, following RFC 4180 from the start of the file. Nil when the file
    /// is under `parallelMinimumBytes`, or when exact cuts are wanted and the
    /// quoting is not RFC 4180's; callers then read it sequentially.
    static func parts(path: String, delimiter: UInt8, count parts: Int, exact: Bool = false) throws -> PartPlan? {
        let head = try CSVReader(path: path, delimiter: delimiter)
        let names = head.header
        let start = head.dataOffset
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        let size = Int(st.st_size)
        guard size - start >= parallelMinimumBytes else { return nil }
        var cuts = [start]
        let targets = (1..<parts).map { start + (size - start) * $0 / parts }
        // Quotes that are not RFC 4180's (read leniently as text) may look like a
        // line break inside quotes to the first block's check: cut those files
        // at the first line feeds, which the parts' reads then check.
        var found: [Int]? = nil
        if exact || lineBreakInQuotes(path, start: start, size: size) {
            found = recordStarts(path, delimiter: delimiter, after: targets)
            if exact && found == nil { return nil }
        }
        if let found {
            for cut in found where cut > cuts.last! && cut < size { cuts.append(cut) }
        } else {
            for target in targets {
                guard let cut = lineStart(path, after: target), cut > cuts.last!, cut < size else { continue }
                cuts.append(cut)
            }
        }
        cuts.append(size)
        let ranges = (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }.filter { !$0.isEmpty }
        guard !ranges.isEmpty else { return nil }
        return PartPlan(names: names, ranges: ranges, size: size, exact: found != nil)
    }

    /// Whether the file's first MiB of data, followed as RFC 4180 quoting,
    /// holds a line feed inside quotes: such a file likely has more, and
    /// cutting at the first line feed would often cut a field.
    private static func lineBreakInQuotes(_ path: String, start: Int, size: Int) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        let n = min(1 << 20, size - start)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, n))
        defer { buffer.deallocate() }
        let got = pread(fd, buffer, n, off_t(start))
        guard got > 0 else { return true }
        var inside = false
        for i in 0..<got {
            let b = buffer[i]
            if b == 34 { inside.toggle() } else if b == 10 && inside { return true }
        }
        return false
    }

    /// In a quoted file, the start of the first record after each target offset:
    /// the byte after the first line feed at or past it that lies outside quotes,
    /// following RFC 4180 from the start of the file (a quote opens a field only
    /// right after a delimiter or a line break, and a closing quote is followed
    /// by a delimiter, a line break or a second quote). Nil when a quote sits
    /// anywhere else: the sequential reader then reads the file as it always has.
    static func recordStarts(_ path: String, delimiter: UInt8, after targets: [Int]) -> [Int]? {
        guard !targets.isEmpty, let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        let capacity = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        enum State { case outside, inside, closing }
        var state = State.outside
        var previous = lf            // the byte before the block (the start of the file counts as a line start)
        var found: [Int] = []
        var next = 0                 // the target being looked for
        var offset = 0
        while next < targets.count {
            let n = fread(buffer, 1, capacity, f)
            if n == 0 { break }
            var i = 0
            while i < n {
                if state == .inside {
                    // Inside quotes only a quote matters: jump to the next one.
                    guard let q = memchr(buffer + i, Int32(quote), n - i) else { i = n; break }
                    i = buffer.distance(to: q.assumingMemoryBound(to: UInt8.self)) + 1
                    state = .closing
                    continue
                }
                let b = buffer[i]
                if state == .closing {
                    // after a closing quote: a doubled quote inside the field, or the field's end
                    if b == quote { state = .inside; i += 1; continue }
                    guard b == delimiter || b == cr || b == lf else { return nil }
                    state = .outside
                }
                if b == quote {
                    let before = i > 0 ? buffer[i - 1] : previous
                    guard before == delimiter || before == lf else { return nil }
                    state = .inside
                } else if b == lf && offset + i >= targets[next] {
                    found.append(offset + i + 1)
                    next += 1
                    while next < targets.count && targets[next] <= offset + i { next += 1 }
                    if next == targets.count { return found }
                }
                i += 1
            }
            previous = buffer[n - 1]
            offset += n
        }
        return state == .inside ? nil : found
    }

    /// Offset of the first byte after the first line feed at or after `offset`.
    private static func lineStart(_ path: String, after offset: Int) -> Int? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        fseeko(f, off_t(offset), SEEK_SET)
        var position = offset
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, 1 << 16, f) }
            if n == 0 { return nil }
            if let i = buffer[0..<n].firstIndex(of: 10) { return position + i + 1 }
            position += n
        }
    }

    /// Adds the statistics of a later part of the file; returns how that part's
    /// value codes map to the merged ones (its kept values are joined by the caller).
    private static func merge(_ a: inout Accumulator, _ b: Accumulator) -> [Int32] {
        a.count += b.count; a.missing += b.missing
        a.numeric += b.numeric; a.booleanWords += b.booleanWords; a.zeroOne += b.zeroOne
        a.allIntegers = a.allIntegers && b.allIntegers
        a.min = Swift.min(a.min, b.min); a.max = Swift.max(a.max, b.max)
        if b.shiftSet {
            if !a.shiftSet {
                a.shift = b.shift; a.shiftSet = true; a.sum = b.sum; a.sumSquares = b.sumSquares
            } else {
                // Re-centre b's shifted sums on a's shift.
                let delta = b.shift - a.shift, n = Double(b.numeric)
                a.sumSquares += b.sumSquares + 2 * delta * b.sum + n * delta * delta
                a.sum += b.sum + n * delta
            }
        }
        // Distinct values: b's are added after a's, so first-appearance order is the file's.
        var remap = [Int32](repeating: -2, count: b.counts.distinct)
        if !a.overflow {
            for e in 0..<b.counts.distinct {
                remap[e] = Int32(b.counts.withValue(e) { a.counts.add($0, count: b.counts.counts[e]) })
            }
        }
        let overflowed = a.overflow || b.overflow || a.counts.distinct > distinctCap
        let sawText = a.sawText || b.sawText
        a.overflow = overflowed
        a.keepFloats = a.keepFloats && b.keepFloats && !sawText
        a.keepCodes = a.keepCodes && b.keepCodes
        a.incomplete = a.incomplete || b.incomplete || (sawText && overflowed) || (sawText && !a.keepCodes)
        a.sawText = sawText
        return remap
    }

    /// Keeps one present value of a column (trimmed) for training, and counts its distinct value.
    @inline(__always)
    private static func keepValue(_ a: inout Accumulator, _ f: UnsafeBufferPointer<UInt8>, _ number: Double?) {
        if number == nil && !a.sawText {
            // The column holds text: it will be categorical (or boolean words), so
            // numbers are of no use, and the codes must cover every row.
            a.sawText = true
            if !a.overflow { a.cap = distinctCap }
            a.keepFloats = false
            a.floatBuffer.free()
            if !a.keepCodes { a.incomplete = true }
        }
        if a.keepFloats { a.floatBuffer.append(Float(number!)) }
        var code = -2   // -2: a value beyond the distinct cap (the "other" bucket)
        if !a.overflow {
            code = a.counts.add(f)
            if a.counts.distinct > a.cap { a.overflow = true }
        } else if a.keepCodes {
            if !a.sawText { a.keepCodes = false; a.codeBuffer.free() }    // numbers from here on
            else if a.findsPastCap { code = a.counts.find(f) ?? -2 }
            else {
                // A part of a file parsed in parallel: the merge drops the codes
                // of a text column past the cap, so none are looked up.
                a.keepCodes = false; a.codeBuffer.free(); a.incomplete = true
            }
        }
        if a.keepCodes { a.codeBuffer.append(Int32(code)) }
    }

    static func looksLikeIdentifierName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "id" || lower.hasSuffix("_id") || lower.hasSuffix("-id") || lower.hasSuffix(" id")
            || name.hasSuffix("Id") || name.hasSuffix("ID") || lower == "key" || lower == "uuid"
    }
}

/// An append-only buffer of plain values (numbers) without Array's
/// copy-on-write check on every append. It has one owner: a copy made after
/// the first append must not be used, and the owner frees it (`takeArray` or
/// `free`).
struct AppendBuffer<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>?
    private(set) var count = 0
    private var capacity = 0

    mutating func reserve(_ n: Int) { if n > capacity { grow(to: n) } }

    @inline(__always) mutating func append(_ value: Element) {
        if count == capacity { grow(to: Swift.max(1024, capacity * 2)) }
        base.unsafelyUnwrapped[count] = value
        count += 1
    }

    private mutating func grow(to n: Int) {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: n)
        if let base {
            bigger.update(from: base, count: count)
            base.deallocate()
        }
        base = bigger
        capacity = n
    }

    mutating func free() {
        base?.deallocate()
        base = nil
        count = 0
        capacity = 0
    }

    func withValues<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The values as an array; the buffer is freed.
    mutating func takeArray() -> [Element] {
        defer { free() }
        guard let base else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }
}
