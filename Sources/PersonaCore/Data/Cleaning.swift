import Foundation

/// `persona clean` without a rule file: every detected format made consistent
/// (dates to ISO 8601, numbers without currency signs or separators, yes/no
/// words to true/false, text trimmed with its spacing collapsed, e-mail
/// addresses lower-cased), exact duplicate rows dropped, rows that repeat an
/// id merged into the first (its values kept, each conflict logged), and each
/// numeric column's outliers by the IQR rule at 3 x IQR flagged in
/// `<column>_outlier`; a rule file (`CleaningRules`) chooses per column how
/// repeated ids merge (first, latest, max, sum, most frequent) and what becomes
/// of outliers (flag, winsorize at quantiles, set missing, keep). Every change
/// goes to the log (line, column, old, new, rule). Two streaming passes: the first finds the quartiles of the rows that
/// are kept; memory holds the row hashes and the id index with the first row
/// of each id.
/// A rule file's choices per column (`persona clean --rules`): how rows that
/// repeat an id merge, and what becomes of outliers.
public struct CleaningRules: Sendable {
    public enum Merge: String, CaseIterable, Sendable {
        /// The first row's value; the value of the last row that has one; the
        /// largest; the sum; the most frequent (the first seen on ties).
        case first, latest, max, sum, mostFrequent = "most_frequent"
    }
    public enum Outliers: String, CaseIterable, Sendable {
        /// Flag values beyond 3 x IQR in `<column>_outlier`; cap at the
        /// column's quantiles; set values beyond 3 x IQR missing; leave them.
        case flag, winsorize, missing, keep
    }
    public struct Column: Sendable {
        public var merge: Merge = .first
        public var outliers: Outliers = .flag
        /// winsorize: the quantiles the values are capped at.
        public var quantiles: (low: Double, high: Double) = (0.01, 0.99)
        public init() {}
    }
    public var id: String?
    public var columns: [String: Column] = [:]
    public init() {}

    public func column(_ name: String) -> Column { columns[name] ?? Column() }
}

public enum Cleaning {
    public struct Options: Sendable {
        public var id: String?
        public var dateOrder: DateOrder?
        public var log: String?
        public var rules = CleaningRules()
        /// ISO 3166 code of the country whose national phone numbers these are (E.164 needs it).
        public var country: String?
        /// Columns whose normalised values link records as one customer (`cluster_id`).
        public var match: [String] = []
        public var delimiter: UInt8 = UInt8(ascii: ",")
        public init() {}
    }

    /// Country calling codes (ITU E.164) of ISO 3166 codes; NANP countries have no trunk 0.
    public static let callingCodes: [String: String] = [
        "US": "1", "CA": "1", "GB": "44", "UK": "44", "DE": "49", "FR": "33", "ES": "34", "IT": "39", "NL": "31", "BE": "32",
        "AT": "43", "CH": "41", "SE": "46", "NO": "47", "DK": "45", "FI": "358", "IE": "353", "PT": "351", "PL": "48",
        "CZ": "420", "GR": "30", "HU": "36", "RO": "40", "AU": "61", "NZ": "64", "JP": "81", "CN": "86", "IN": "91",
        "BR": "55", "MX": "52", "ZA": "27", "SG": "65", "HK": "852", "KR": "82", "TR": "90", "IL": "972", "AE": "971",
    ]

    /// A phone number in E.164 (`+4930123456`): digits kept, a leading 00 or +
    /// is international, else the national number loses its trunk 0 (or the
    /// NANP 1) and takes the country's code; nil when it has too few or too many digits.
    public static func e164(_ text: String, country: String) -> String? {
        guard let code = callingCodes[country.uppercased()] else { return nil }
        let t = text.trimmingASCIISpaces()
        var bytes: [UInt8] = []
        for b in t.utf8 {
            if b &- 48 < 10 { bytes.append(b) }
            else if !(b == 32 || b == 43 || b == 45 || b == 40 || b == 41 || b == 46 || b == 47) { return nil }
        }
        var digits = String(decoding: bytes, as: UTF8.self)
        if t.hasPrefix("+") {
            // international already
        } else if digits.hasPrefix("00") {
            digits.removeFirst(2)
        } else if code == "1" {
            if digits.count == 11 && digits.hasPrefix("1") { digits.removeFirst() }
            guard digits.count == 10 else { return nil }
            digits = code + digits
        } else {
            if digits.hasPrefix("0") { digits.removeFirst() }
            digits = code + digits
        }
        guard (8...15).contains(digits.count) else { return nil }
        return "+" + digits
    }

    /// Whether a column's name says it holds phone numbers.
    static func isPhoneColumn(_ name: String) -> Bool {
        let words = name.lowercased().split(whereSeparator: { !$0.isLetter })
        return words.contains { ["phone", "mobile", "tel", "telephone", "cell"].contains($0) }
    }

    public struct Summary: Sendable {
        public var rows = 0, written = 0, duplicateRows = 0, mergedRows = 0, conflicts = 0, changes = 0
        public var outliers: [(column: String, count: Int)] = []
        public var idColumn: String?
        /// With --match: the customers the kept rows make, and the rows linked to an earlier one.
        public var clusters = 0, linkedRows = 0
    }

    /// How a column's values are made consistent.
    enum Kind { case date(DateOrder?), number, boolean, text(email: Bool), phone(country: String), asIs }

    static func kind(_ c: ColumnProfile, order given: DateOrder?, country: String?) -> Kind {
        if let country, isPhoneColumn(c.name), c.type != .date { return .phone(country: country) }
        switch c.type {
        case .date: return .date(given ?? c.dateOrder)
        case .numeric: return .number
        case .boolean: return c.topValues.contains { BooleanWords.value($0.value) != nil } ? .boolean : .asIs
        case .categorical, .identifier:
            let name = c.name.lowercased()
            return .text(email: name.contains("email") || name.contains("e-mail") || name.contains("mail_address"))
        }
    }

    /// A field made consistent, with the rule that changed it (nil: unchanged).
    static func clean(_ value: String, _ kind: Kind) -> (value: String, rule: String)? {
        let trimmed = value.trimmingASCIISpaces()
        if trimmed.isEmpty || MissingMarkers.isMissing(trimmed) { return nil }
        switch kind {
        case .date(let order):
            guard let t = Timestamps.parse(trimmed, order: order ?? .dayFirst) else { return nil }
            let iso = Timestamps.format(t)
            return iso == trimmed ? nil : (iso, "date to ISO 8601")
        case .number:
            guard NumberParser.parse(trimmed) != nil, DataFindings.numberFormat(trimmed) != nil, let v = NumberParser.parse(trimmed) else {
                return trimmed == value ? nil : (trimmed, "text trimmed")
            }
            return (formatShortest(v), "number without currency sign or separators")
        case .boolean:
            guard let b = BooleanWords.value(trimmed) else { return nil }
            let word = b ? "true" : "false"
            return word == value ? nil : (word, "yes/no to true/false")
        case .text(let email):
            var collapsed = trimmed.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            var rule = "text trimmed, spacing collapsed"
            if email && collapsed.contains("@") {
                let lower = collapsed.lowercased()
                if lower != collapsed { collapsed = lower; rule = "e-mail address lower-cased" }
            }
            return collapsed == value ? nil : (collapsed, rule)
        case .phone(let country):
            guard let e = e164(trimmed, country: country) else { return nil }
            return e == value ? nil : (e, "phone number to E.164")
        case .asIs:
            return nil
        }
    }

    static func formatShortest(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }

    /// The rows of one id as the rules merge them, column by column.
    struct Merged {
        var first: [String]
        var latest: [String]
        var max: [Double?]
        var sum: [Double?]
        var counts: [[String: (n: Int, order: Int)]]
        var rows = 1

        init(_ row: [String], _ rules: [CleaningRules.Column]) {
            first = row; latest = row
            max = row.map { NumberParser.parse($0) }
            sum = max
            counts = zip(row, rules).map { v, r in r.merge == .mostFrequent && !MissingMarkers.isMissing(v) ? [v: (1, 0)] : [:] }
        }

        mutating func add(_ row: [String], _ rules: [CleaningRules.Column]) {
            rows += 1
            for (j, v) in row.enumerated() where !MissingMarkers.isMissing(v) {
                switch rules[j].merge {
                case .first: break
                case .latest: latest[j] = v
                case .max: if let x = NumberParser.parse(v) { max[j] = Swift.max(max[j] ?? x, x) }
                case .sum: if let x = NumberParser.parse(v) { sum[j] = (sum[j] ?? 0) + x }
                case .mostFrequent:
                    let seen = counts[j][v]
                    counts[j][v] = ((seen?.n ?? 0) + 1, seen?.order ?? counts[j].count)
                }
            }
        }

        func values(_ rules: [CleaningRules.Column]) -> [String] {
            first.indices.map { j in
                switch rules[j].merge {
                case .first: return first[j]
                case .latest: return latest[j]
                case .max: return max[j].map(formatShortest) ?? first[j]
                case .sum: return sum[j].map(formatShortest) ?? first[j]
                case .mostFrequent:
                    return counts[j].min { a, b in a.value.n != b.value.n ? a.value.n > b.value.n : a.value.order < b.value.order }?.key ?? first[j]
                }
            }
        }
    }

    /// What happens to one row: kept, a duplicate of an earlier row, or merged into the first row of its id.
    enum Fate { case kept, duplicate(of: Int), merged(into: Int) }

    public static func run(path: String, output: String, options o: Options, progress: ProgressHandler? = nil) throws -> Summary {
        // The rules' columns are checked against the header before any row is read.
        let fileHeader = try CSVReader(path: path, delimiter: o.delimiter).header
        for name in o.rules.columns.keys.sorted() + [o.rules.id].compactMap({ $0 }) where !fileHeader.contains(name) {
            throw PersonaError.data(file: path, line: 1, columnName: name, "is named in the rules but the file has no such column",
                                    fix: "Columns are: \(fileHeader.joined(separator: ", "))")
        }
        let profile = try Profiler.profile(path: path, delimiter: o.delimiter)
        let header = profile.columns.map(\.name)
        if let country = o.country, callingCodes[country.uppercased()] == nil {
            throw PersonaError("--country \(country): not a country this release knows the calling code of. Known: \(callingCodes.keys.sorted().joined(separator: ", "))")
        }
        for name in o.match where !fileHeader.contains(name) {
            throw PersonaError.data(file: path, line: 1, columnName: name, "is named with --match but the file has no such column",
                                    fix: "Columns are: \(fileHeader.joined(separator: ", "))")
        }
        let kinds = profile.columns.map { kind($0, order: o.dateOrder, country: o.country) }
        let idColumn: Int?
        let rules = header.map { o.rules.column($0) }
        if let id = o.id ?? o.rules.id {
            guard let j = header.firstIndex(of: id) else {
                throw PersonaError.data(file: path, line: 1, columnName: id, "is named with --id but the file has no such column",
                                        fix: "Columns are: \(header.joined(separator: ", "))")
            }
            idColumn = j
        } else {
            idColumn = header.first.map(Profiler.looksLikeIdentifierName) == true ? 0 : nil
        }
        for (j, c) in profile.columns.enumerated() where c.type == .date && o.dateOrder == nil && c.dateOrder == nil {
            if let written = c.formats?.first(where: { $0.format.hasPrefix("dd") }) {
                throw PersonaError.data(file: path, columnName: header[j],
                                        "dates such as \(written.example) can be day/month or month/day, and no date in the column says which",
                                        fix: "Say which with --day-first or --month-first")
            }
        }
        let numeric = kinds.indices.filter { if case .number = kinds[$0] { return true }; return false }

        var cache = [[String: (value: String, rule: String)]](repeating: [:], count: header.count)
        // One pass: the fate of every row and each row's cleaned values, by a
        // visitor; the first pass only gathers the kept rows' numbers.
        func pass(_ visit: (_ line: Int, _ raw: [String], _ cleaned: [String], _ changes: [(Int, String)], _ fate: Fate,
                            _ first: [String]?) throws -> Void) throws {
            let reader = try CSVReader(path: path, delimiter: o.delimiter)
            var rec = CSVRecord()
            var seen: [UInt64: Int] = [:]
            var firstOfId: [String: (line: Int, values: [String])] = [:]
            while try reader.next(into: &rec) {
                let raw = rec.fields
                var cleaned = raw, changes: [(Int, String)] = []
                for j in raw.indices {
                    // Each distinct value is cleaned once (both passes share the
                    // results; a column of mostly distinct values stops caching).
                    let result: (value: String, rule: String)?
                    if let hit = cache[j][raw[j]] {
                        result = hit.rule.isEmpty ? nil : hit
                    } else {
                        result = clean(raw[j], kinds[j])
                        if cache[j].count < 200_000 { cache[j][raw[j]] = result ?? (raw[j], "") }
                    }
                    if let (v, rule) = result { cleaned[j] = v; changes.append((j, rule)) }
                }
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for v in cleaned { for b in v.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }; h = (h ^ 0x1F) &* 0x100_0000_01b3 }
                if let earlier = seen[h] {
                    try visit(rec.line, raw, cleaned, changes, .duplicate(of: earlier), nil)
                    continue
                }
                seen[h] = rec.line
                if let idColumn, !MissingMarkers.isMissing(cleaned[idColumn]) {
                    let id = cleaned[idColumn]
                    if let first = firstOfId[id] {
                        try visit(rec.line, raw, cleaned, changes, .merged(into: first.line), first.values)
                        continue
                    }
                    firstOfId[id] = (rec.line, cleaned)
                }
                try visit(rec.line, raw, cleaned, changes, .kept, nil)
            }
        }

        // Pass 1: each repeated id's merged values (by the rules), and the
        // numbers of the rows kept once merged, for the quartiles.
        let merging = idColumn != nil && rules.contains { $0.merge != .first }
        var merged: [String: Merged] = [:]
        var values = [[Double]](repeating: [], count: header.count)
        // --match: the kept rows linked through shared normalised values (union-find, the earliest row as root).
        let matchColumns = o.match.map { header.firstIndex(of: $0)! }
        var parent: [Int32] = [], keptLines: [Int32] = []
        var owner = [[String: Int32]](repeating: [:], count: matchColumns.count)
        var links: [Int: (other: Int, column: Int)] = [:]
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != Int32(x) { parent[x] = parent[Int(parent[x])]; x = Int(parent[x]) }
            return x
        }
        try pass { line, _, cleaned, _, fate, _ in
            if case .kept = fate, !matchColumns.isEmpty {
                let k = parent.count
                parent.append(Int32(k)); keptLines.append(Int32(line))
                for (m, j) in matchColumns.enumerated() {
                    let v = cleaned[j]
                    if MissingMarkers.isMissing(v) { continue }
                    let key: String
                    if case .phone = kinds[j] { key = v } else if case .text(email: true) = kinds[j] { key = v.lowercased() } else { key = DataFindings.variantKey(v) }
                    if key.isEmpty { continue }
                    if let r = owner[m][key] {
                        let a = root(k), b = root(Int(r))
                        if a != b { parent[Swift.max(a, b)] = Int32(Swift.min(a, b)) }
                        if links[k] == nil { links[k] = (Int(r), j) }
                    } else {
                        owner[m][key] = Int32(k)
                    }
                }
            }
            switch fate {
            case .duplicate: return
            case .merged:
                if merging { merged[cleaned[idColumn!]]!.add(cleaned, rules) }
            case .kept:
                if merging, !MissingMarkers.isMissing(cleaned[idColumn!]) {
                    merged[cleaned[idColumn!]] = Merged(cleaned, rules)
                } else {
                    for j in numeric { if let v = NumberParser.parse(cleaned[j]) { values[j].append(v) } }
                }
            }
        }
        for row in merged.values {
            let final = row.values(rules)
            for j in numeric { if let v = NumberParser.parse(final[j]) { values[j].append(v) } }
        }
        var fences: [Int: (low: Double, high: Double)] = [:]
        var caps: [Int: (low: Double, high: Double)] = [:]
        for j in numeric where values[j].count >= 4 {
            let sorted = values[j].sorted()
            if rules[j].outliers == .winsorize {
                caps[j] = (DataFindings.quantile(sorted, rules[j].quantiles.low), DataFindings.quantile(sorted, rules[j].quantiles.high))
                continue
            }
            let q1 = DataFindings.quantile(sorted, 0.25), q3 = DataFindings.quantile(sorted, 0.75)
            let (low, high) = (q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1))
            if sorted.first! < low || sorted.last! > high { fences[j] = (low, high) }
        }
        let flagged = numeric.filter { fences[$0] != nil && rules[$0].outliers == .flag }
        var clusterOf = [Int](repeating: 0, count: parent.count)
        var numbers: [Int: Int] = [:]
        for k in parent.indices {
            let r = root(k)
            if numbers[r] == nil { numbers[r] = numbers.count + 1 }
            clusterOf[k] = numbers[r]!
        }

        // Pass 2: the cleaned rows and the log.
        let out = try CSVWriter(path: output, delimiter: o.delimiter)
        let log = try o.log.map { try ChangeLog(path: $0) }
        var s = Summary()
        s.idColumn = idColumn.map { header[$0] }
        var outlierCounts = [Int](repeating: 0, count: header.count)
        do {
            out.row(header + flagged.map { header[$0] + "_outlier" } + (matchColumns.isEmpty ? [] : ["cluster_id"]))
            var kept = 0
            try pass { line, raw, cleaned, changes, fate, first in
                s.rows += 1
                switch fate {
                case .duplicate(let earlier):
                    s.duplicateRows += 1
                    log?.record(String(line), "", "", "", "duplicate of line \(earlier): dropped")
                case .merged(let into):
                    s.mergedRows += 1
                    log?.record(String(line), "", "", "", "same \(header[idColumn!]) as line \(into): merged into it")
                    let final = merging ? merged[cleaned[idColumn!]]!.values(rules) : first!
                    for j in header.indices where final[j] != cleaned[j] {
                        s.conflicts += 1
                        let rule = rules[j].merge == .first ? "conflict: line \(into)'s value kept" : "conflict: \(rules[j].merge.rawValue) of the rows with this \(header[idColumn!]) kept"
                        log?.record(String(line), header[j], cleaned[j], final[j], rule)
                    }
                case .kept:
                    for (j, rule) in changes {
                        s.changes += 1
                        log?.record(String(line), header[j], raw[j], cleaned[j], rule)
                    }
                    var row = cleaned
                    if merging, !MissingMarkers.isMissing(cleaned[idColumn!]), let m = merged[cleaned[idColumn!]], m.rows > 1 {
                        row = m.values(rules)
                        for j in header.indices where row[j] != cleaned[j] {
                            s.changes += 1
                            log?.record(String(line), header[j], cleaned[j], row[j], "merge: \(rules[j].merge.rawValue) of \(m.rows) rows with this \(header[idColumn!])")
                        }
                    }
                    for j in numeric {
                        guard let v = NumberParser.parse(row[j]) else { continue }
                        if let cap = caps[j], v < cap.low || v > cap.high {
                            let capped = formatShortest(Swift.min(Swift.max(v, cap.low), cap.high))
                            s.changes += 1
                            log?.record(String(line), header[j], row[j], capped,
                                      "winsorized at the \(formatNumber(rules[j].quantiles.low)) and \(formatNumber(rules[j].quantiles.high)) quantiles")
                            row[j] = capped
                        } else if rules[j].outliers == .missing, let f = fences[j], v < f.low || v > f.high {
                            s.changes += 1
                            log?.record(String(line), header[j], row[j], "", "outlier beyond 3 x IQR set missing")
                            row[j] = ""
                        }
                    }
                    for j in flagged {
                        let outlier = NumberParser.parse(row[j]).map { $0 < fences[j]!.low || $0 > fences[j]!.high } ?? false
                        if outlier { outlierCounts[j] += 1 }
                        row.append(outlier ? "true" : "false")
                    }
                    if !matchColumns.isEmpty {
                        row.append(String(clusterOf[kept]))
                        if let link = links[kept] {
                            s.linkedRows += 1
                            log?.record(String(line), header[link.column], "", "cluster \(clusterOf[kept])",
                                        "linked to line \(keptLines[link.other]) by \(header[link.column])")
                        }
                    }
                    kept += 1
                    out.row(row)
                    s.written += 1
                }
            }
            try out.commit()
            try log?.commit()
        } catch {
            out.abandon(); log?.abandon()
            throw error
        }
        s.outliers = flagged.map { (header[$0], outlierCounts[$0]) }
        s.clusters = numbers.count
        return s
    }
}

/// The record of a cleaning: one entry per change (line, column, old value,
/// new value, rule), as CSV, or as JSON Lines for a `.jsonl` or `.ndjson` name.
final class ChangeLog {
    let output: AtomicOutput
    let jsonLines: Bool
    private let csv: CSVWriter?

    init(path: String) throws {
        var name = path.lowercased()
        for suffix in [".gz", ".zst"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        jsonLines = name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson")
        if jsonLines {
            output = try AtomicOutput(path: path)
            csv = nil
        } else {
            let w = try CSVWriter(path: path)
            w.row(["line", "column", "old", "new", "rule"])
            output = w.output
            csv = w
        }
    }

    func record(_ line: String, _ column: String, _ old: String, _ new: String, _ rule: String) {
        if let csv { csv.row([line, column, old, new, rule]); return }
        output.write("{\"line\":\(line),\"column\":\(jsonString(column)),\"old\":\(jsonString(old)),\"new\":\(jsonString(new)),\"rule\":\(jsonString(rule))}\n")
    }

    func commit() throws { if let csv { try csv.commit() } else { try output.commit() } }
    func abandon() { if let csv { csv.abandon() } else { output.abandon() } }
}
