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
        switch s {
        case "true", "t", "yes", "y": return true
        case "false", "f", "no", "n": return false
        default: return nil
        }
    }
    static func value(_ s: String) -> Bool? { var s = s; return s.withUTF8 { value($0) } }
}

/// Streams a CSV file once and infers each column's type and statistics.
public enum Profiler {
    /// Distinct values are counted exactly up to this many per column.
    public static let distinctCap = 10_000

    private struct Accumulator {
        var count = 0, missing = 0
        var numeric = 0, booleanWords = 0, zeroOne = 0
        var allIntegers = true
        var sum = 0.0, sumSquares = 0.0, shift = 0.0, shiftSet = false
        var min = Double.infinity, max = -Double.infinity
        var counts = ByteCounter()
        var overflow = false
    }

    public static func profile(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> DataProfile {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let names = reader.header
        var acc = [Accumulator](repeating: Accumulator(), count: names.count)
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            for j in 0..<names.count {
                rec.withField(j) { f in
                    acc[j].count += 1
                    if MissingMarkers.isMissing(f) { acc[j].missing += 1; return }
                    if let v = NumberParser.parse(f) {
                        acc[j].numeric += 1
                        if v == 0 || v == 1 { acc[j].zeroOne += 1 }
                        if v.rounded() != v || abs(v) > 9e15 { acc[j].allIntegers = false }
                        // Shifted sums keep the variance accurate when values sit far from zero.
                        if !acc[j].shiftSet { acc[j].shift = v; acc[j].shiftSet = true }
                        let d = v - acc[j].shift
                        acc[j].sum += d; acc[j].sumSquares += d * d
                        if v < acc[j].min { acc[j].min = v }
                        if v > acc[j].max { acc[j].max = v }
                    } else if BooleanWords.value(f) != nil {
                        acc[j].booleanWords += 1
                    }
                    if !acc[j].overflow {
                        var lo = 0, hi = f.count
                        while lo < hi && (f[lo] == 32 || f[lo] == 9) { lo += 1 }
                        while hi > lo && (f[hi - 1] == 32 || f[hi - 1] == 9) { hi -= 1 }
                        acc[j].counts.add(UnsafeBufferPointer(rebasing: f[lo..<hi]))
                        if acc[j].counts.distinct > distinctCap { acc[j].overflow = true }
                    }
                }
            }
        }
        if reader.recordsRead == 0 {
            throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add at least one row of data")
        }
        var columns: [ColumnProfile] = []
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
        }
        return DataProfile(file: path, rows: reader.recordsRead, columns: columns, fingerprint: reader.dataFingerprint.hex)
    }

    static func looksLikeIdentifierName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "id" || lower.hasSuffix("_id") || lower.hasSuffix("-id") || lower.hasSuffix(" id")
            || name.hasSuffix("Id") || name.hasSuffix("ID") || lower == "key" || lower == "uuid"
    }
}
