/// ISO 8601 dates and date-times to seconds since 1970-01-01 UTC:
/// `2025-03-14`, `2025-03-14T09:26`, `2025-03-14 09:26:53`, `2025-03-14T09:26:53.250Z`,
/// `2025-03-14T09:26:53+02:00`. A time without an offset is taken as UTC.
public enum Timestamps {
    public static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { parse($0) }
    }

    public static func parse(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        let f = trimmedSpaces(f)
        let hi = f.count
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= hi else { return nil }
            var v = 0
            for k in i..<(i + n) { let c = f[k] &- 48; if c > 9 { return nil }; v = v * 10 + Int(c) }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool { if i < hi && f[i] == c { i += 1; return true }; return false }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86_400
        if i == hi { return seconds }
        guard f[i] == UInt8(ascii: "T") || f[i] == 32 else { return nil }
        i += 1
        guard let hour = digits(2), hour < 24, expect(58), let minute = digits(2), minute < 60 else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if expect(58) {
            guard let sec = digits(2), sec < 61 else { return nil }
            seconds += Double(sec)
            if expect(46) || expect(44) {
                var scale = 0.1, any = false
                while i < hi, f[i] &- 48 < 10 { seconds += Double(f[i] - 48) * scale; scale /= 10; i += 1; any = true }
                if !any { return nil }
            }
        }
        if i == hi { return seconds }
        if f[i] == UInt8(ascii: "Z") && i + 1 == hi { return seconds }
        if f[i] == 43 || f[i] == 45 {
            let sign: Double = f[i] == 43 ? 1 : -1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            guard let om = digits(2), i == hi, oh < 24, om < 60 else { return nil }
            return seconds - sign * Double(oh * 3600 + om * 60)
        }
        return nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `2025-03-14T09:26:53Z` (seconds dropped when zero).
    public static func format(_ seconds: Double) -> String {
        let days = Int((seconds / 86_400).rounded(.down))
        let rest = Int(seconds - Double(days) * 86_400)
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(y)-\(two(m))-\(two(d))"
        return rest == 0 ? date : date + "T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}

/// Which comes first in a date written with numbers only (`03/04/2025`).
public enum DateOrder: String, Codable, Sendable {
    case dayFirst = "day first"
    case monthFirst = "month first"
}

extension Timestamps {
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// A date as people write it, besides ISO 8601: `14/03/2025` or
    /// `03/14/2025` (also with `.` or `-` between, in the given order; without
    /// one, only a date whose day is over 12 says which it is), `March 14, 2025`,
    /// `Mar 14 2025`, `14 March 2025`; each may be followed by a time (`09:26`,
    /// `09:26:53`), taken as UTC.
    public static func parse(_ raw: UnsafeBufferPointer<UInt8>, order: DateOrder?) -> Double? {
        if let iso = parse(raw) { return iso }
        let f = trimmedSpaces(raw)
        let hi = f.count
        var i = 0
        func number(max n: Int) -> (value: Int, digits: Int)? {
            var v = 0, k = 0
            while i < hi, k < n, f[i] &- 48 < 10 { v = v * 10 + Int(f[i] &- 48); i += 1; k += 1 }
            return k == 0 ? nil : (v, k)
        }
        func word() -> Int? {
            let start = i
            while i < hi, (f[i] | 0x20) >= 97, (f[i] | 0x20) <= 122 { i += 1 }
            guard i - start >= 3 else { return nil }
            let w = String(decoding: UnsafeBufferPointer(rebasing: f[start..<i]), as: UTF8.self).lowercased()
            guard let m = monthNames.firstIndex(where: { w.hasPrefix($0) && (w.count == 3 || Self.fullMonth(m: $0, w) || w == "sept") }) else { return nil }
            if i < hi && f[i] == 46 { i += 1 }      // Mar. 14
            return m + 1
        }
        func skipSpaces() { while i < hi && (f[i] == 32 || f[i] == 44) { i += 1 } }
        var year = 0, month = 0, day = 0
        if i < hi, f[i] &- 48 < 10 {
            guard let a = number(max: 2) else { return nil }
            if i < hi, f[i] == 47 || f[i] == 46 || f[i] == 45 {
                let sep = f[i]; i += 1
                guard let b = number(max: 2), i < hi, f[i] == sep else { return nil }
                i += 1
                guard let y = number(max: 4), y.digits == 4 else { return nil }
                year = y.value
                switch order {
                case .dayFirst?: (day, month) = (a.value, b.value)
                case .monthFirst?: (month, day) = (a.value, b.value)
                case nil:
                    if a.value > 12 && b.value <= 12 { (day, month) = (a.value, b.value) }
                    else if b.value > 12 && a.value <= 12 { (month, day) = (a.value, b.value) }
                    else if a.value == b.value { (day, month) = (a.value, b.value) }
                    else { return nil }
                }
            } else {
                // 14 March 2025
                day = a.value
                skipSpaces()
                guard let m = word() else { return nil }
                month = m
                skipSpaces()
                guard let y = number(max: 4), y.digits == 4 else { return nil }
                year = y.value
            }
        } else {
            // March 14, 2025
            guard let m = word() else { return nil }
            month = m
            skipSpaces()
            guard let d = number(max: 2) else { return nil }
            day = d.value
            if i + 1 < hi, ["st", "nd", "rd", "th"].contains(String(decoding: [f[i] | 0x20, f[i + 1] | 0x20], as: UTF8.self)) { i += 2 }
            skipSpaces()
            guard let y = number(max: 4), y.digits == 4 else { return nil }
            year = y.value
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86_400
        if i == hi { return seconds }
        guard f[i] == 32 || f[i] == UInt8(ascii: "T") else { return nil }
        while i < hi && f[i] == 32 { i += 1 }
        if i < hi && f[i] == UInt8(ascii: "T") { i += 1 }
        guard let h = number(max: 2), h.value < 24, i < hi, f[i] == 58 else { return nil }
        i += 1
        guard let mi = number(max: 2), mi.digits == 2, mi.value < 60 else { return nil }
        seconds += Double(h.value * 3600 + mi.value * 60)
        if i < hi && f[i] == 58 {
            i += 1
            guard let s = number(max: 2), s.digits == 2, s.value < 61 else { return nil }
            seconds += Double(s.value)
        }
        return i == hi ? seconds : nil
    }

    private static func fullMonth(m: String, _ w: String) -> Bool {
        let full = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
        return full.contains(w) && w.hasPrefix(m)
    }

    public static func parse(_ s: String, order: DateOrder?) -> Double? {
        var s = s
        return s.withUTF8 { parse($0, order: order) }
    }

    /// For a date written with numbers only: the orders it can be read in
    /// (both when its first two numbers are at most 12; nil when it is not such a date).
    static func possibleOrders(_ raw: UnsafeBufferPointer<UInt8>) -> (dayFirst: Bool, monthFirst: Bool)? {
        if parse(raw) != nil { return nil }
        let day = parse(raw, order: .dayFirst) != nil, month = parse(raw, order: .monthFirst) != nil
        if !day && !month { return nil }
        // a date such as 5 March 2025 is not written with numbers only
        let f = trimmedSpaces(raw)
        guard f.count >= 8, f[0] &- 48 < 10, f.contains(47) || f.contains(46) || f.contains(45) else { return nil }
        return (day, month)
    }
}

/// How a column of dates is read: ISO 8601 and written dates, in one order of
/// day and month for the whole column, found from its values (the first date
/// whose day is over 12 decides) or given (`--day-first`, `--month-first`).
public struct DateColumn: Sendable {
    public let order: DateOrder?

    public init(order: DateOrder?) { self.order = order }

    public func parse(_ f: UnsafeBufferPointer<UInt8>) -> Double? { Timestamps.parse(f, order: order) }

    /// What a value that `parse` refuses is told.
    public func problem(_ value: String) -> String {
        let forms = "ISO 8601 (2025-03-14, 2025-03-14T09:26:53), dd/mm/yyyy or mm/dd/yyyy, or March 14, 2025"
        if let order { return "\"\(value)\" is not a date (\(order.rawValue): \(order == .dayFirst ? "dd/mm/yyyy" : "mm/dd/yyyy"); or \(forms))" }
        return "\"\(value)\" is not a date (\(forms))"
    }

    /// The column `column` of the file: its order of day and month, when its
    /// dates are written with numbers. The column is read until a date
    /// settles the order; a column none settles (every day 12 or less) asks
    /// for `--day-first` or `--month-first`; one whose dates disagree says where.
    public static func detect(path: String, delimiter: UInt8, column: Int, given: DateOrder?, hasFlags: Bool = true) throws -> DateColumn {
        if let given { return DateColumn(order: given) }
        // Only files with such dates in their first lines are read for it.
        guard let sample = CSVDialect.sample(path) else { return DateColumn(order: nil) }
        let written = CSVDialect.records(sample, delimiter: delimiter).dropFirst().contains { r in
            column < r.count && r[column].withUnsafeBufferPointer { Timestamps.possibleOrders($0) != nil }
        }
        if !written { return DateColumn(order: nil) }
        let reader = try CSVReader(path: path, delimiter: delimiter)
        var rec = CSVRecord()
        var firstAmbiguous: (line: Int, value: String)? = nil
        while try reader.next(into: &rec) {
            guard let o = rec.withField(column, { Timestamps.possibleOrders($0) }) else { continue }
            if o.dayFirst && o.monthFirst {
                if firstAmbiguous == nil { firstAmbiguous = (rec.line, rec.string(column)) }
                continue
            }
            return DateColumn(order: o.dayFirst ? .dayFirst : .monthFirst)
        }
        guard let firstAmbiguous else { return DateColumn(order: nil) }
        throw PersonaError.data(file: path, line: firstAmbiguous.line, column: column + 1, columnName: reader.header[column],
                                "dates such as \(firstAmbiguous.value) can be day/month or month/day, and no date in the column says which",
                                fix: hasFlags ? "Say which with --day-first or --month-first, or write the dates as YYYY-MM-DD" : "Write the dates as YYYY-MM-DD")
    }
}

extension DateColumn {
    /// What a column of text holds when every value is a date: the order of day
    /// and month, the range (seconds) and each format with its count and an example.
    public struct Summary: Sendable {
        public var order: DateOrder?
        public var min: Double, max: Double
        public var formats: [ColumnProfile.FormatCount]
    }

    /// The format a date is written in, for `describe` (the order not yet applied).
    static func format(_ raw: String) -> String? {
        let s = raw.trimmingASCIISpaces()
        let time = s.contains(":") ? " hh:mm" : ""
        var copy = s
        if copy.withUTF8({ Timestamps.parse($0) }) != nil {
            return s.count == 10 ? "yyyy-mm-dd" : "ISO 8601 date-time"
        }
        guard let first = s.first else { return nil }
        if first.isNumber {
            for sep in ["/", ".", "-"] where s.contains(sep) && s.split(separator: Character(sep)).count >= 3 {
                return "dd\(sep)mm\(sep)yyyy" + time
            }
            return "d Month yyyy" + time
        }
        return (s.contains(",") ? "Month d, yyyy" : "Month d yyyy") + time
    }

    /// The summary of a column's distinct values (with their counts), or nil
    /// when one of them is not a date, or the column's dates disagree on the
    /// order of day and month.
    public static func summary(_ values: [(String, Int)]) -> Summary? {
        guard !values.isEmpty else { return nil }
        var canDay = true, canMonth = true, written = false
        for (v, _) in values {
            var copy = v
            let ok = copy.withUTF8 { f -> Bool in
                if Timestamps.parse(f) != nil { return true }
                if let o = Timestamps.possibleOrders(f) {
                    written = true
                    canDay = canDay && o.dayFirst; canMonth = canMonth && o.monthFirst
                    return true
                }
                return Timestamps.parse(f, order: nil) != nil
            }
            if !ok || (!canDay && !canMonth) { return nil }
        }
        let order: DateOrder? = !written || (canDay && canMonth) ? nil : canDay ? .dayFirst : .monthFirst
        var lo = Double.infinity, hi = -Double.infinity
        var formats: [String: (count: Int, example: String)] = [:], seen: [String] = []
        for (v, n) in values {
            var copy = v
            // An undecided column's range is shown day first.
            if let t = copy.withUTF8({ Timestamps.parse($0, order: order ?? .dayFirst) }) { lo = Swift.min(lo, t); hi = Swift.max(hi, t) }
            guard var name = format(v) else { continue }
            if name.hasPrefix("dd"), order == .monthFirst { name = "mm" + name.dropFirst(2).prefix(1) + "dd" + name.dropFirst(5) }
            if formats[name] == nil { seen.append(name); formats[name] = (0, v.trimmingASCIISpaces()) }
            formats[name]!.count += n
        }
        guard lo.isFinite else { return nil }
        return Summary(order: order, min: lo, max: hi, formats: seen.map { ColumnProfile.FormatCount(format: $0, count: formats[$0]!.count, example: formats[$0]!.example) })
    }
}
