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
