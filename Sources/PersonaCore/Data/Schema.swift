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

    enum CodingKeys: String, CodingKey {
        case name, type, count, missing, distinct, min, mean, max, std
        case distinctIsLowerBound = "distinct_is_lower_bound"
        case topValues = "top_values"
        case allIntegers = "all_integers"
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

    public func column(_ name: String) -> ColumnProfile? { columns.first { $0.name == name } }
}

enum BooleanWords {
    static func value(_ f: UnsafeBufferPointer<UInt8>) -> Bool? {
        var lo = 0, hi = f.count
        while lo < hi && (f[lo] == 32 || f[lo] == 9) { lo += 1 }
        while hi > lo && (f[hi - 1] == 32 || f[hi - 1] == 9) { hi -= 1 }
        let n = hi - lo
        if n == 0 || n > 5 { return nil }
        var s = ""
        for i in lo..<hi { let b = f[i]; s.unicodeScalars.append(Unicode.Scalar((b >= 65 && b <= 90) ? b | 0x20 : b)) }
        return yes.contains(s) ? true : no.contains(s) ? false : nil
    }

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
        var keepFloats = true, keepCodes = true, sawText = false, incomplete = false
        /// Distinct values counted before giving up. Parts of a file parsed in
        /// parallel count fewer while a column holds only numbers (the counts
        /// then serve only the distinct figure); text restores the full cap.
        var cap = distinctCap
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
            if present == 0 {
                type = .numeric
            } else if a.booleanWords == present || (a.numeric == present && a.zeroOne == present) {
                type = .boolean
            } else if a.numeric == present {
                let unique = !a.overflow ? a.counts.distinct == present : false
                type = (looksLikeIdentifierName(name) && a.allIntegers && (unique || a.overflow)) ? .identifier : .numeric
            } else {
                let unique = a.overflow || a.counts.distinct == present
                type = (unique && present >= 20) || (unique && looksLikeIdentifierName(name) && present > 1) ? .identifier : .categorical
            }
            var mean: Double? = nil, std: Double? = nil, mn: Double? = nil, mx: Double? = nil
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
                                         allIntegers: a.allIntegers && a.numeric == present))
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
    private static func accumulate(_ reader: CSVReader, keep: Bool, expectedRows: Int = 0,
                                   numericCap: Int = distinctCap) throws -> [Accumulator] {
        let names = reader.header
        var template = Accumulator()
        template.cap = numericCap
        var acc = [Accumulator](repeating: template, count: names.count)
        if !keep { for j in acc.indices { acc[j].keepFloats = false; acc[j].keepCodes = false } }
        if keep && expectedRows > 0 {
            for j in acc.indices { acc[j].floats.reserveCapacity(expectedRows) }
        }
        var rec = CSVRecord()
        // Accumulators through a pointer: no copy-on-write check per field.
        try acc.withUnsafeMutableBufferPointer { accp in
        while try reader.next(into: &rec) {
            rec.bytes.withUnsafeBufferPointer { bytes in
            var fieldStart = 0
            for j in 0..<names.count {
                let fieldEnd = rec.ends[j]
                let f = UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd])
                fieldStart = fieldEnd
                let a = accp.baseAddress! + j
                do {
                    a.pointee.count += 1
                    if MissingMarkers.isMissing(f) {
                        a.pointee.missing += 1
                        if a.pointee.keepFloats { a.pointee.floats.append(.nan) }
                        if a.pointee.keepCodes { a.pointee.codes.append(-1) }
                        continue
                    }
                    let number = NumberParser.parse(f)
                    if keep { keepValue(&a.pointee, f, number) }
                    if let v = number {
                        a.pointee.numeric += 1
                        if v == 0 || v == 1 { a.pointee.zeroOne += 1 }
                        if v.rounded() != v || abs(v) > 9e15 { a.pointee.allIntegers = false }
                        // Shifted sums keep the variance accurate when values sit far from zero.
                        if !a.pointee.shiftSet { a.pointee.shift = v; a.pointee.shiftSet = true }
                        let d = v - a.pointee.shift
                        a.pointee.sum += d; a.pointee.sumSquares += d * d
                        if v < a.pointee.min { a.pointee.min = v }
                        if v > a.pointee.max { a.pointee.max = v }
                    } else if BooleanWords.value(f) != nil {
                        a.pointee.booleanWords += 1
                    }
                    if !keep && number == nil && !a.pointee.sawText {
                        a.pointee.sawText = true
                        if !a.pointee.overflow { a.pointee.cap = distinctCap }
                    }
                    if !a.pointee.overflow && !keep {
                        var lo = 0, hi = f.count
                        while lo < hi && (f[lo] == 32 || f[lo] == 9) { lo += 1 }
                        while hi > lo && (f[hi - 1] == 32 || f[hi - 1] == 9) { hi -= 1 }
                        a.pointee.counts.add(UnsafeBufferPointer(rebasing: f[lo..<hi]))
                        if a.pointee.counts.distinct > a.pointee.cap { a.pointee.overflow = true }
                    }
                }
            }
            }
        }
        }
        return acc
    }

    /// Parses the file on every core when that is safe: the file is cut at line
    /// feeds that end a record (any line feed in a file without quotes; in a
    /// quoted file, one outside quotes, found by `recordStarts`). Returns nil
    /// (and the caller reads sequentially) when the file is small, when its
    /// quoting is not RFC 4180's, or when any part fails, so that errors are
    /// reported with exact line numbers by the sequential reader.
    private static func parallelAccumulate(path: String, delimiter: UInt8, keep: Bool) throws
        -> (names: [String], acc: [Accumulator], rows: Int, fingerprint: String)? {
        // A fixed number of parts, whatever the core count, so the result (down
        // to the order of floating-point sums) depends only on the file.
        let parts = 8
        let head = try CSVReader(path: path, delimiter: delimiter)
        let names = head.header
        let start = head.dataOffset
        guard let scan = scanForQuotes(path), scan.size - start >= parallelMinimumBytes else { return nil }
        // Cut points: the byte after the first line feed at or past each even share
        // (outside quotes, in a quoted file).
        var cuts = [start]
        let targets = (1..<parts).map { start + (scan.size - start) * $0 / parts }
        if scan.hasQuotes {
            guard let found = recordStarts(path, delimiter: delimiter, after: targets) else { return nil }
            for cut in found where cut > cuts.last! && cut < scan.size { cuts.append(cut) }
        } else {
            for target in targets {
                guard let cut = lineStart(path, after: target), cut > cuts.last! else { continue }
                cuts.append(cut)
            }
        }
        cuts.append(scan.size)
        let ranges = (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }.filter { !$0.isEmpty }
        // Rows per part, estimated from the length of the first data line, so
        // the kept values are allocated once instead of grown by doubling.
        let firstLine = (lineStart(path, after: start) ?? scan.size) - start
        let results: [Result<([Accumulator], Int), Error>] = Parallel.map(ranges.count) { i in
            Result {
                let reader = try CSVReader(path: path, delimiter: delimiter, range: ranges[i], header: names)
                let acc = try accumulate(reader, keep: keep, expectedRows: ranges[i].count / max(1, firstLine) * 11 / 10 + 16,
                                         numericCap: distinctCap / parts)
                return (acc, reader.recordsRead)
            }
        }
        var partsAcc: [[Accumulator]] = []
        var rows = 0
        for r in results {
            guard case .success(let (acc, n)) = r else { return nil }
            rows += n
            partsAcc.append(acc)
        }
        guard var merged = partsAcc.first else { return nil }
        for j in merged.indices {
            var remaps: [[Int32]?] = [nil]
            for p in 1..<partsAcc.count { remaps.append(merge(&merged[j], partsAcc[p][j])) }
            // The kept values, concatenated once in file order.
            if merged[j].keepFloats {
                var floats: [Float] = []
                floats.reserveCapacity(partsAcc.reduce(0) { $0 + $1[j].floats.count })
                for p in partsAcc.indices { floats += p == 0 ? merged[j].floats : partsAcc[p][j].floats }
                merged[j].floats = floats
            } else {
                merged[j].floats = []
            }
            if merged[j].keepCodes && !merged[j].incomplete {
                var codes: [Int32] = []
                codes.reserveCapacity(partsAcc.reduce(0) { $0 + $1[j].codes.count })
                codes += merged[j].codes
                for p in 1..<partsAcc.count {
                    let remap = remaps[p]!
                    for c in partsAcc[p][j].codes { codes.append(c >= 0 ? remap[Int(c)] : c) }
                }
                merged[j].codes = codes
            } else {
                merged[j].codes = []
            }
            for p in 1..<partsAcc.count { partsAcc[p][j].floats = []; partsAcc[p][j].codes = [] }
        }
        return (names, merged, rows, scan.fingerprint)
    }

    /// One sequential read of the whole file: its size, its fingerprint, and whether it holds a quote.
    private static func scanForQuotes(_ path: String) -> (size: Int, hasQuotes: Bool, fingerprint: String)? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        let capacity = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var fingerprint = DataFingerprint()
        var size = 0
        var quotes = false
        while true {
            let n = fread(buffer, 1, capacity, f)
            if n == 0 { break }
            fingerprint.update(UnsafeBufferPointer(start: buffer, count: n))
            if !quotes && memchr(buffer, 34, n) != nil { quotes = true }
            size += n
        }
        return (size, quotes, fingerprint.hex)
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
        var previous = lf            // the start of the file counts as a line start
        var found: [Int] = []
        var next = 0                 // the target being looked for
        var offset = 0
        while next < targets.count {
            let n = fread(buffer, 1, capacity, f)
            if n == 0 { break }
            for i in 0..<n {
                let b = buffer[i]
                defer { previous = b }
                if state == .closing {
                    // after a closing quote: a doubled quote inside the field, or the field's end
                    if b == quote { state = .inside; continue }
                    guard b == delimiter || b == cr || b == lf else { return nil }
                    state = .outside
                }
                if state == .inside {
                    if b == quote { state = .closing }
                } else if b == quote {
                    guard previous == delimiter || previous == lf else { return nil }
                    state = .inside
                } else if b == lf && offset + i >= targets[next] {
                    found.append(offset + i + 1)
                    next += 1
                    while next < targets.count && targets[next] <= offset + i { next += 1 }
                    if next == targets.count { return found }
                }
            }
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

    /// Keeps one present value of a column for training, and counts its distinct value.
    @inline(__always)
    private static func keepValue(_ a: inout Accumulator, _ raw: UnsafeBufferPointer<UInt8>, _ number: Double?) {
        var lo = 0, hi = raw.count
        while lo < hi && (raw[lo] == 32 || raw[lo] == 9) { lo += 1 }
        while hi > lo && (raw[hi - 1] == 32 || raw[hi - 1] == 9) { hi -= 1 }
        let f = UnsafeBufferPointer(rebasing: raw[lo..<hi])
        if number == nil && !a.sawText {
            // The column holds text: it will be categorical (or boolean words), so
            // numbers are of no use, and the codes must cover every row.
            a.sawText = true
            if !a.overflow { a.cap = distinctCap }
            a.keepFloats = false
            a.floats = []
            if !a.keepCodes { a.incomplete = true }
        }
        if a.keepFloats { a.floats.append(Float(number!)) }
        var code = -2   // -2: a value beyond the distinct cap (the "other" bucket)
        if !a.overflow {
            code = a.counts.add(f)
            if a.counts.distinct > a.cap { a.overflow = true }
        } else if a.keepCodes {
            if !a.sawText { a.keepCodes = false; a.codes = [] }    // numbers from here on
            else { code = a.counts.find(f) ?? -2 }
        }
        if a.keepCodes { a.codes.append(Int32(code)) }
    }

    static func looksLikeIdentifierName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "id" || lower.hasSuffix("_id") || lower.hasSuffix("-id") || lower.hasSuffix(" id")
            || name.hasSuffix("Id") || name.hasSuffix("ID") || lower == "key" || lower == "uuid"
    }
}
