import Foundation

/// What `describe` finds wrong with a file, beyond types and missing values:
/// duplicate rows and ids, values that differ only by case, spacing or
/// punctuation, numbers written for people (currency signs, thousands
/// separators), outliers by the IQR rule and by the median absolute deviation,
/// and impossible values (negative ages, dates in the future or before 1900).
/// One more pass over the file; numeric columns' values are held as doubles
/// for their quantiles.
public struct DataFindings: Codable, Equatable, Sendable {
    /// Rows identical to an earlier row, field by field (pandas' `duplicated()`).
    public var duplicateRows: Int
    /// The id column looked at (`--id`, else the first column when its name says id), and
    /// the rows whose id an earlier row has (pandas' `df[id].duplicated()`).
    public var idColumn: String?
    public var duplicateIds: Int?
    /// The first line of a duplicate row and of a duplicate id, for the messages.
    public var firstDuplicateRowLine: Int?
    public var firstDuplicateIdLine: Int?
    public var columns: [String: ColumnFindings]

    enum CodingKeys: String, CodingKey {
        case columns
        case duplicateRows = "duplicate_rows"
        case idColumn = "id_column"
        case duplicateIds = "duplicate_ids"
        case firstDuplicateRowLine = "first_duplicate_row_line"
        case firstDuplicateIdLine = "first_duplicate_id_line"
    }

    public struct ColumnFindings: Codable, Equatable, Sendable {
        /// Each way the column writes its values, with a count and the first line.
        public var formats: [Format] = []
        /// Outliers by the IQR rule (beyond 1.5 x IQR from the quartiles) and
        /// by the MAD rule (a modified z-score 0.6745 (x - median) / MAD over 3.5).
        public var outliers: Outliers?
        /// Groups of distinct values that are one value written differently (case, spacing, punctuation).
        public var variants: Variants?
        /// Values the type rules out.
        public var impossible: Impossible?
    }

    public struct Format: Codable, Equatable, Sendable {
        public var format: String
        public var count: Int
        public var example: String
        public var line: Int
    }

    public struct Outliers: Codable, Equatable, Sendable {
        public var iqr: Rule
        public var mad: Rule?

        public struct Rule: Codable, Equatable, Sendable {
            /// Values outside [low, high] are outliers.
            public var low: Double, high: Double
            public var count: Int
            public var share: Double
            /// The smallest and largest outlier.
            public var min: Double?, max: Double?
        }
    }

    public struct Variants: Codable, Equatable, Sendable {
        public var groups: Int
        public var rows: Int
        /// A few groups, each as its spellings.
        public var examples: [[String]]
    }

    public struct Impossible: Codable, Equatable, Sendable {
        public var count: Int
        public var reason: String
        public var example: String
        public var line: Int
    }

    /// Quantile q of sorted values, interpolated linearly (numpy's default).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty)
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// A value's key for near-duplicates: lower case, letters and digits only.
    static func variantKey(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    static func numberFormat(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { numberFormat($0) }
    }

    /// The way a number is written, when it is written for people.
    static func numberFormat(_ f: UnsafeBufferPointer<UInt8>) -> String? {
        let t = trimmedSpaces(f)
        guard let first = t.first else { return nil }
        var currency = false, comma = false
        for b in t { if b == 0x24 || b >= 0xC2 { currency = true } else if b == 44 { comma = true } }
        if first == 0x24 || first >= 0xC2 || currency { return comma ? "number with a currency sign and thousands separators" : "number with a currency sign" }
        return comma ? "number with thousands separators" : nil
    }

    public static func find(path: String, delimiter: UInt8, profile: DataProfile, id: String? = nil,
                            now: Double = Date().timeIntervalSince1970) throws -> DataFindings {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let header = reader.header
        let idColumn: Int?
        if let id {
            idColumn = try reader.column(id, namedWith: "--id")
        } else {
            idColumn = header.first.map(Profiler.looksLikeIdentifierName) == true ? 0 : nil
        }
        let types = header.map { name in profile.column(name)?.type ?? .categorical }
        let numeric = types.map { $0 == .numeric }
        var values = [[Double]](repeating: [], count: header.count)
        var formats = [[String: Format]](repeating: [:], count: header.count)
        var formatOrder = [[String]](repeating: [], count: header.count)
        var impossible = [Impossible?](repeating: nil, count: header.count)
        let ageColumns = header.map { name -> Bool in
            let words = name.lowercased().split(whereSeparator: { !$0.isLetter })
            return words.contains("age")
        }
        let dateOrders = header.map { profile.column($0)?.dateOrder }
        // Text and date columns' distinct values with their counts and first lines (up to a million).
        let text = types.map { $0 == .categorical || $0 == .identifier }
        var counters = [ByteCounter](repeating: ByteCounter(), count: header.count)
        var firstLines = [[Int]](repeating: [], count: header.count)
        var seenRows = Set<UInt64>(), seenIds = Set<String>()
        var duplicateRows = 0, duplicateIds = 0
        var firstDuplicateRow: Int? = nil, firstDuplicateId: Int? = nil
        let floor1900 = Double(daysFromCivil(1900, 1, 1)) * 86_400
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            // The row's fields, hashed with their boundaries (FNV-1a, 64 bits).
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            rec.bytes.withUnsafeBufferPointer { bytes in
                var start = 0
                for end in rec.ends {
                    for k in start..<end { h = (h ^ UInt64(bytes[k])) &* 0x100_0000_01b3 }
                    h = (h ^ 0x1F) &* 0x100_0000_01b3
                    start = end
                }
            }
            if !seenRows.insert(h).inserted {
                duplicateRows += 1
                if firstDuplicateRow == nil { firstDuplicateRow = rec.line }
            }
            if let idColumn, !rec.isMissing(idColumn) {
                if !seenIds.insert(rec.string(idColumn).trimmingASCIISpaces()).inserted {
                    duplicateIds += 1
                    if firstDuplicateId == nil { firstDuplicateId = rec.line }
                }
            }
            for j in 0..<header.count {
                if rec.isMissing(j) { continue }
                var format: String? = nil
                if numeric[j] {
                    rec.withField(j) { f in
                        if let v = NumberParser.parse(f) {
                            values[j].append(v)
                            format = numberFormat(f)
                            if ageColumns[j] && (v < 0 || v > 130) {
                                if impossible[j] == nil {
                                    impossible[j] = Impossible(count: 0, reason: v < 0 ? "a negative age" : "an age over 130", example: rec.string(j), line: rec.line)
                                }
                                impossible[j]!.count += 1
                            }
                        }
                    }
                } else if (text[j] || types[j] == .date) && counters[j].distinct < 1_000_000 {
                    // Distinct values counted by their bytes; dates are looked at once per value, below.
                    let code = rec.withField(j) { counters[j].add(trimmedSpaces($0)) }
                    if code == firstLines[j].count { firstLines[j].append(rec.line) }
                }
                if let format {
                    if formats[j][format] == nil {
                        formats[j][format] = Format(format: format, count: 0, example: rec.string(j).trimmingASCIISpaces(), line: rec.line)
                        formatOrder[j].append(format)
                    }
                    formats[j][format]!.count += 1
                }
            }
        }
        // Each distinct date once: its format and whether it can be.
        for j in header.indices where types[j] == .date {
            for (code, (value, n)) in counters[j].firstSeen(counters[j].distinct).enumerated() {
                let line = firstLines[j][code]
                if let f = DateColumn.format(value) {
                    let format = dateOrders[j] == .monthFirst && f.hasPrefix("dd") ? "mm" + f.dropFirst(2).prefix(1) + "dd" + f.dropFirst(5) : f
                    if formats[j][format] == nil {
                        formats[j][format] = Format(format: format, count: 0, example: value, line: line)
                        formatOrder[j].append(format)
                    }
                    formats[j][format]!.count += n
                }
                if let t = Timestamps.parse(value, order: dateOrders[j] ?? .dayFirst), t > now || t < floor1900 {
                    if impossible[j] == nil || impossible[j]!.line > line {
                        impossible[j] = Impossible(count: impossible[j]?.count ?? 0, reason: t > now ? "a date in the future" : "a date before 1900",
                                                   example: value, line: line)
                    }
                    impossible[j]!.count += n
                }
            }
        }
        var columns: [String: ColumnFindings] = [:]
        for (j, name) in header.enumerated() {
            var c = ColumnFindings()
            c.formats = formatOrder[j].map { formats[j][$0]! }
            c.impossible = impossible[j]
            if numeric[j], values[j].count >= 4 {
                c.outliers = outliers(values[j].sorted())
            }
            if text[j] && counters[j].distinct < 1_000_000 {
                c.variants = variants(Dictionary(uniqueKeysWithValues: counters[j].firstSeen(counters[j].distinct)))
            }
            if !c.formats.isEmpty || c.outliers != nil || c.variants != nil || c.impossible != nil { columns[name] = c }
        }
        return DataFindings(duplicateRows: duplicateRows, idColumn: idColumn.map { header[$0] }, duplicateIds: idColumn == nil ? nil : duplicateIds,
                            firstDuplicateRowLine: firstDuplicateRow, firstDuplicateIdLine: firstDuplicateId, columns: columns)
    }

    /// Outliers of sorted values by the IQR rule (1.5 x IQR beyond the
    /// quartiles) and the MAD rule (|0.6745 (x - median) / MAD| > 3.5; none when
    /// the MAD is 0); nil when neither finds any.
    static func outliers(_ sorted: [Double]) -> Outliers? {
        let q1 = quantile(sorted, 0.25), q3 = quantile(sorted, 0.75), iqr = q3 - q1
        func rule(_ low: Double, _ high: Double) -> Outliers.Rule {
            let out = sorted.filter { $0 < low || $0 > high }
            return .init(low: low, high: high, count: out.count, share: Double(out.count) / Double(sorted.count), min: out.first, max: out.last)
        }
        let byIQR = rule(q1 - 1.5 * iqr, q3 + 1.5 * iqr)
        let median = quantile(sorted, 0.5)
        let deviations = sorted.map { abs($0 - median) }.sorted()
        let mad = quantile(deviations, 0.5)
        let byMAD = mad > 0 ? rule(median - 3.5 * mad / 0.6745, median + 3.5 * mad / 0.6745) : nil
        if byIQR.count == 0 && (byMAD?.count ?? 0) == 0 { return nil }
        return Outliers(iqr: byIQR, mad: byMAD)
    }

    /// Groups of a text column's distinct values (with their counts) that
    /// differ only by case, spacing or punctuation.
    static func variants(_ counts: [String: Int]) -> Variants? {
        var groups: [String: Set<String>] = [:]
        for value in counts.keys { groups[variantKey(value), default: []].insert(value.trimmingASCIISpaces()) }
        let keys = Set(groups.filter { $0.value.count > 1 }.keys)
        guard !keys.isEmpty else { return nil }
        var rows = 0
        for (value, n) in counts where keys.contains(variantKey(value)) { rows += n }
        let found = keys.map { groups[$0]!.sorted() }.sorted { $0[0] < $1[0] }
        return Variants(groups: found.count, rows: rows, examples: Array(found.prefix(3)))
    }
}
