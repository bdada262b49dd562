import Foundation

/// Customers' purchase summaries as the customer-value models define them, from
/// a transaction log or from a summary table.
///
/// From a log: a customer's purchases on one day count as one; `frequency` =
/// purchase days − 1; `recency` = days from the first to the last purchase day;
/// `T` = days from the first purchase day to the end of the period (inclusive),
/// both divided by the period's length in days; `monetary_value` = the mean of
/// each repeat purchase day's total spend (the first day left out; 0 without
/// repeats). For discrete opportunities (BG/BB) the days after the first
/// purchase day are cut into whole periods: `frequency` is the periods with a
/// purchase, `recency` the last of them (0 when none) and `T` the whole periods
/// that end by the end of the calibration.
public struct PurchaseSummaries {
    public var ids: [String] = []
    public var frequency: [Int] = []
    public var recency: [Double] = []
    public var T: [Double] = []
    /// Each customer's mean repeat spend; empty when the data has no amounts.
    public var monetary: [Double] = []
    /// How many customers each row stands for (a summary's `weights` column), else 1.
    public var weight: [Double] = []
    /// Purchase days after the calibration end up to the holdout end (for
    /// `evaluate`; for opportunities, the periods after the end with a purchase).
    public var holdout: [Int] = []
    /// The purchase days in the holdout, per day from the calibration end (for the cumulative figure).
    public var holdoutDaily: [Int] = []
    /// Each customer's first purchase day (log only).
    public var firstDay: [Int] = []

    public var transactions = 0
    /// Transactions after the calibration end (left out of the summaries).
    public var later = 0
    /// Customers whose first purchase is after the calibration end (left out).
    public var laterCustomers = 0
    /// The calibration end, a day number (log only).
    public var endDay: Int?
    public var fingerprint = DataFingerprint()
    /// The file's data rows (transactions, or summary lines) and columns.
    public var fileRows = 0
    public var fileColumns = 0
    public var count: Int { frequency.count }
    public var hasAmounts: Bool { !monetary.isEmpty }

    public struct Layout: Sendable {
        public var customer: String
        public var time: String
        public var amount: String?
        public init(customer: String, time: String, amount: String?) { self.customer = customer; self.time = time; self.amount = amount }
    }

    /// Reads a transaction log in any order. Memory: one entry per customer and
    /// 4 bytes per transaction (its day), released customer by customer.
    public static func fromLog(path: String, layout: Layout, endDay requestedEnd: Int?, periodDays: Double, discrete: Bool,
                               holdoutEnd: Int? = nil, delimiter: UInt8) throws -> PurchaseSummaries {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let ci = try reader.column(layout.customer, namedWith: "--customer"), ti = try reader.column(layout.time, namedWith: "--time")
        let ai = try layout.amount.map { try reader.column($0, namedWith: "--amount") }
        let dates = try DateColumn.detect(path: path, delimiter: delimiter, column: ti, given: nil, hasFlags: false)
        var index: [String: Int] = [:]
        var ids: [String] = [], days: [[Int32]] = [], firstDay: [Int32] = [], firstSpend: [Double] = [], total: [Double] = []
        var rec = CSVRecord()
        var transactions = 0
        var latest = Int.min, earliest = Int.max
        while try reader.next(into: &rec) {
            let id = rec.string(ci).trimmingASCIISpaces()
            if id.isEmpty || MissingMarkers.isMissing(id) {
                throw PersonaError.data(file: path, line: rec.line, column: ci + 1, columnName: reader.header[ci], "the customer id is missing",
                                        fix: "Fill in or remove the row")
            }
            guard let seconds = rec.withField(ti, { dates.parse($0) }) else {
                throw PersonaError.data(file: path, line: rec.line, column: ti + 1, columnName: reader.header[ti],
                                        dates.problem(rec.string(ti)), fix: "Write the dates in one of these forms, one order of day and month per column")
            }
            let day = Int((seconds / 86_400).rounded(.down))
            var amount = 0.0
            if let ai {
                guard let a = rec.number(ai), a.isFinite else {
                    throw PersonaError.data(file: path, line: rec.line, column: ai + 1, columnName: reader.header[ai],
                                            "the amount \"\(rec.string(ai))\" is not a number", fix: "Fix the amount, or train without --amount")
                }
                if a < 0 {
                    throw PersonaError.data(file: path, line: rec.line, column: ai + 1, columnName: reader.header[ai],
                                            "the amount \(rec.string(ai)) is negative",
                                            fix: "Leave returns and refunds out of the log (or net them into their purchase)")
                }
                amount = a
            }
            transactions += 1
            latest = max(latest, day); earliest = min(earliest, day)
            let k: Int
            if let existing = index[id] { k = existing } else {
                k = ids.count; index[id] = k
                ids.append(id); days.append([]); firstDay.append(Int32.max); firstSpend.append(0); total.append(0)
            }
            days[k].append(Int32(clamping: day))
            if let end = requestedEnd, day > end { continue }
            // the first day's spend, kept as the earliest day is found
            if Int32(clamping: day) < firstDay[k] { firstDay[k] = Int32(clamping: day); firstSpend[k] = amount }
            else if Int32(clamping: day) == firstDay[k] { firstSpend[k] += amount }
            total[k] += amount
        }
        if transactions == 0 {
            throw PersonaError.data(file: path, "has a header but no transactions", fix: "Give a log with one row per purchase")
        }
        let end = requestedEnd ?? latest
        var s = PurchaseSummaries()
        s.endDay = end
        s.transactions = transactions
        s.fileRows = transactions
        s.fileColumns = reader.header.count
        s.fingerprint = reader.dataFingerprint
        for k in ids.indices {
            var d = days[k]
            days[k] = []
            d.sort()
            let inside = d.prefix { Int($0) <= end }
            if inside.isEmpty { s.laterCustomers += 1; s.later += d.count; continue }
            s.later += d.count - inside.count
            let first = Int(inside.first!), last = Int(inside.last!)
            var distinct: [Int] = []
            for v in inside where distinct.last != Int(v) { distinct.append(Int(v)) }
            s.ids.append(ids[k])
            s.firstDay.append(first)
            if discrete {
                var periods: [Int] = []
                for v in distinct.dropFirst() {
                    let p = Int((Double(v - first) / periodDays).rounded(.down))
                    if p >= 1 && periods.last != p { periods.append(p) }
                }
                s.frequency.append(periods.count)
                s.recency.append(Double(periods.last ?? 0))
                s.T.append((Double(end - first) / periodDays).rounded(.down))
            } else {
                s.frequency.append(distinct.count - 1)
                s.recency.append(Double(last - first) / periodDays)
                s.T.append(Double(end - first) / periodDays)
            }
            if layout.amount != nil {
                s.monetary.append(distinct.count > 1 ? (total[k] - firstSpend[k]) / Double(distinct.count - 1) : 0)
            }
            s.weight.append(1)
            if let holdoutEnd {
                var later: [Int] = []
                for v in d.dropFirst(inside.count) where Int(v) <= holdoutEnd && later.last != Int(v) { later.append(Int(v)) }
                if discrete {
                    // opportunities: whole periods after the calibration end with a purchase
                    var periods: [Int] = []
                    for v in later {
                        let p = Int((Double(v - end - 1) / periodDays).rounded(.down))
                        if periods.last != p { periods.append(p) }
                    }
                    s.holdout.append(periods.count)
                } else {
                    s.holdout.append(later.count)
                }
                if s.holdoutDaily.isEmpty { s.holdoutDaily = [Int](repeating: 0, count: max(0, holdoutEnd - end)) }
                for v in later { s.holdoutDaily[v - end - 1] += 1 }
            }
        }
        if s.count == 0 {
            throw PersonaError.data(file: path, "every purchase is after the calibration end \(Timestamps.format(Double(end) * 86_400))",
                                    fix: "Give a later --calibration-end (the log starts \(Timestamps.format(Double(earliest) * 86_400)))")
        }
        return s
    }

    /// Reads a summary table: a customer column (the first, unless named), and
    /// `frequency`, `recency` and `T` (also `x`, `t_x`; for opportunities `periods`
    /// or `n`), with `monetary_value` (or `zbar`) and `weights` where present.
    public static func fromSummary(path: String, customer: String?, discrete: Bool, opportunities: Int?, delimiter: UInt8) throws -> PurchaseSummaries {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let header = reader.header
        func find(_ names: [String]) -> Int? { names.lazy.compactMap { n in header.firstIndex { $0.lowercased() == n.lowercased() } }.first }
        func need(_ names: [String]) throws -> Int {
            guard let i = find(names) else {
                throw PersonaError.data(file: path, "has no \(names[0]) column (its columns: \(header.joined(separator: ", ")))",
                                        fix: "Give a summary with the columns frequency, recency and T (recency and T in periods)")
            }
            return i
        }
        let fi = try need(["frequency", "x"]), ri = try need(["recency", "t_x"])
        let ti: Int? = discrete && opportunities != nil ? nil : try need(discrete ? ["periods", "n", "T"] : ["T"])
        let mi = find(["monetary_value", "zbar", "monetary"]), wi = find(["weights", "weight"])
        let known = Set([fi, ri, ti, mi, wi].compactMap { $0 })
        let idIndex: Int? = try customer.map { try reader.column($0, namedWith: "--customer") } ?? (known.contains(0) ? nil : 0)
        var s = PurchaseSummaries()
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            func number(_ j: Int, _ what: String) throws -> Double {
                guard let v = rec.number(j), v.isFinite, v >= 0 else {
                    throw PersonaError.data(file: path, line: rec.line, column: j + 1, columnName: header[j],
                                            "\"\(rec.string(j))\" is not a \(what) of 0 or more", fix: "Fix the row")
                }
                return v
            }
            let x = try number(fi, "frequency"), r = try number(ri, "recency")
            let t = try ti.map { try number($0, "T") } ?? Double(opportunities!)
            guard x == x.rounded() else {
                throw PersonaError.data(file: path, line: rec.line, column: fi + 1, columnName: header[fi], "the frequency \(rec.string(fi)) is not a whole number",
                                        fix: "frequency counts repeat purchases")
            }
            if r > t + 1e-9 || (x == 0 && r != 0) {
                throw PersonaError.data(file: path, line: rec.line, "frequency \(rec.string(fi)), recency \(rec.string(ri)) and T \(formatNumber(t)) do not fit together",
                                        fix: "recency is at most T, and 0 when frequency is 0")
            }
            if discrete && (x > t || r != r.rounded() || t != t.rounded()) {
                throw PersonaError.data(file: path, line: rec.line, "frequency, recency and periods must be whole numbers with frequency <= periods",
                                        fix: "BG/BB counts opportunities")
            }
            s.ids.append(idIndex.map { rec.string($0) } ?? String(rec.line))
            s.frequency.append(Int(x)); s.recency.append(r); s.T.append(t)
            if let mi { s.monetary.append(try number(mi, "monetary value")) }
            s.weight.append(try wi.map { try number($0, "weight") } ?? 1)
        }
        if s.count == 0 { throw PersonaError.data(file: path, "has a header but no customers", fix: "Give one row per customer") }
        s.fingerprint = reader.dataFingerprint
        s.fileRows = s.count
        s.fileColumns = header.count
        return s
    }
}
