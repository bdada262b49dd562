#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recency, frequency and monetary value per customer from a transaction log,
/// with quintile scores and the standard RFM segment.
///
/// Scores: customers are ranked on each measure; a customer's score is
/// 1 + ⌊5 · (customers strictly worse) / (customers)⌋, so ties share a score.
/// Recency is better when smaller, frequency and monetary when larger.
///
/// Segments, by recency score R and frequency score F:
///
/// | segment            | R   | F   |
/// |--------------------|-----|-----|
/// | Champions          | 5   | 4-5 |
/// | Loyal              | 3-4 | 4-5 |
/// | Potential loyalist | 4-5 | 2-3 |
/// | New                | 5   | 1   |
/// | Promising          | 4   | 1   |
/// | Needs attention    | 3   | 3   |
/// | Hibernating        | 2-3 | 1-2 |
/// | At risk            | 1-2 | 3-4 |
/// | Cannot lose        | 1-2 | 5   |
/// | Lost               | 1   | 1-2 |
public enum RFM {
    public struct Options {
        public var customer: String
        public var time: String
        public var amount: String
        public var asOf: Double?
        public var skipBadRows: Bool = false
        public var rejects: String?
        public var delimiter: UInt8 = UInt8(ascii: ",")
        /// The order of day and month in dates written with numbers; nil: found from the column.
        public var dateOrder: DateOrder?
        public init(customer: String, time: String, amount: String) {
            self.customer = customer; self.time = time; self.amount = amount
        }
    }

    public struct Summary { public var transactions: Int; public var customers: Int; public var skipped: Int; public var asOf: Double }

    public static func segment(r: Int, f: Int) -> String {
        switch (r, f) {
        case (5, 4...5): return "Champions"
        case (3...4, 4...5): return "Loyal"
        case (4...5, 2...3): return "Potential loyalist"
        case (5, 1): return "New"
        case (4, 1): return "Promising"
        case (3, 3): return "Needs attention"
        case (2...3, 1...2): return "Hibernating"
        case (1...2, 3...4): return "At risk"
        case (1...2, 5): return "Cannot lose"
        default: return "Lost"
        }
    }

    /// Score 1-5 for each value; `higherIsBetter` false for recency.
    public static func quintiles(_ values: [Double], higherIsBetter: Bool) -> [Int] {
        let n = values.count
        if n == 0 { return [] }
        let sorted = values.sorted()
        return values.map { v in
            // customers strictly worse: smaller values when higher is better, larger ones otherwise
            let worse: Int
            if higherIsBetter {
                worse = lowerBound(sorted, v)
            } else {
                worse = n - upperBound(sorted, v)
            }
            return 1 + min(4, 5 * worse / n)
        }
    }

    static func lowerBound(_ a: [Double], _ v: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < v { lo = m + 1 } else { hi = m } }
        return lo
    }

    static func upperBound(_ a: [Double], _ v: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] <= v { lo = m + 1 } else { hi = m } }
        return lo
    }

    /// Streams the log once. Memory: one entry per customer, plus 4 bytes per
    /// transaction for the purchase times (whole seconds from the log's first
    /// transaction, within ±68 years), which the interval
    /// statistics need in time order whatever the order of the log.
    public static func compute(path: String, options o: Options, output: String,
                               progress: ProgressHandler? = nil) throws -> Summary {
        let reader = try CSVReader(path: path, delimiter: o.delimiter)
        func column(_ name: String, _ flag: String) throws -> Int { try reader.column(name, namedWith: flag) }
        let ci = try column(o.customer, "--customer"), ti = try column(o.time, "--time"), ai = try column(o.amount, "--amount")
        let dates = try DateColumn.detect(path: path, delimiter: o.delimiter, column: ti, given: o.dateOrder)
        var index: [String: Int] = [:]
        var ids: [String] = []
        var first: [Double] = [], last: [Double] = [], count: [Int] = [], total: [Double] = []
        var times: [[Int32]] = []
        var base: Double? = nil
        var rec = CSVRecord()
        var skipped = 0, transactions = 0
        let rejects = try o.rejects.map { try CSVWriter(path: $0, delimiter: o.delimiter) }
        rejects?.row(["line", "reason"] + reader.header)
        do {
            while try reader.next(into: &rec) {
                var problem: (Int, String)? = nil
                let id = rec.string(ci).trimmingASCIISpaces()
                let t = rec.withField(ti) { dates.parse($0) }
                let a = rec.number(ai)
                if id.isEmpty || MissingMarkers.isMissing(id) { problem = (ci, "the customer id is missing") }
                else if t == nil { problem = (ti, dates.problem(rec.string(ti))) }
                else if a == nil { problem = (ai, "the amount \"\(rec.string(ai))\" is not a number") }
                else if a! < 0 { problem = (ai, "the amount \(rec.string(ai)) is negative") }
                if let (col, why) = problem {
                    if !o.skipBadRows {
                        throw PersonaError.data(file: path, line: rec.line, column: col + 1, columnName: reader.header[col], why,
                                                fix: "Fix the row, or pass --on-error skip to set such rows aside (with --rejects FILE)")
                    }
                    skipped += 1
                    if let rejects {
                        rejects.field(rec.line); rejects.field(why)
                        for j in 0..<rec.count { rejects.field(record: rec, j) }
                        rejects.endRow()
                    }
                    continue
                }
                transactions += 1
                let k: Int
                if let existing = index[id] { k = existing } else {
                    k = ids.count
                    index[id] = k
                    ids.append(id); first.append(t!); last.append(t!); count.append(0); total.append(0); times.append([])
                }
                first[k] = min(first[k], t!); last[k] = max(last[k], t!)
                count[k] += 1; total[k] += a!
                if base == nil { base = t! }
                times[k].append(Int32(clamping: Int((t! - base!).rounded(.down))))
            }
            if transactions == 0 {
                throw PersonaError.data(file: path, reader.recordsRead == 0 ? "the file has a header but no transactions" : "every row was rejected (\(skipped))",
                                        fix: "Check the --customer, --time and --amount columns")
            }
            let asOf = o.asOf ?? (last.max() ?? 0)
            if let latest = last.max(), latest > asOf {
                progress?("warning: \(Timestamps.format(latest)) is after --as-of \(Timestamps.format(asOf)); recency is negative for some customers")
            }
            let n = ids.count
            let recency = (0..<n).map { (asOf - last[$0]) / 86_400 }
            let frequency = count.map(Double.init)
            let r = quintiles(recency, higherIsBetter: false)
            let f = quintiles(frequency, higherIsBetter: true)
            let m = quintiles(total, higherIsBetter: true)
            let w = try CSVWriter(path: output, delimiter: o.delimiter)
            w.row([o.customer, "recency_days", "frequency", "monetary_total", "monetary_mean", "tenure_days",
                   "first_purchase", "last_purchase", "interval_mean_days", "interval_std_days",
                   "r_score", "f_score", "m_score", "rfm_score", "rfm_segment"])
            for k in 0..<n {
                w.field(ids[k])
                w.field(recency[k], decimals: 3)
                w.field(count[k])
                w.field(total[k], decimals: 2)
                w.field(total[k] / Double(count[k]), decimals: 2)
                w.field((asOf - first[k]) / 86_400, decimals: 3)
                w.field(Timestamps.format(first[k]))
                w.field(Timestamps.format(last[k]))
                if count[k] >= 2 {
                    // Mean gap = (last − first) / (purchases − 1), exact; the spread needs the gaps in order.
                    w.field((last[k] - first[k]) / 86_400 / Double(count[k] - 1), decimals: 3)
                    if count[k] >= 3 {
                        let sorted = times[k].sorted()
                        var sum = 0.0, sumSq = 0.0
                        for g in 1..<sorted.count { let gap = Double(sorted[g] - sorted[g - 1]) / 86_400; sum += gap; sumSq += gap * gap }
                        let gaps = Double(sorted.count - 1)
                        let mean = sum / gaps
                        w.field(max(0, sumSq / gaps - mean * mean).squareRoot(), decimals: 3)
                    } else { w.missing() }
                } else {
                    w.missing(); w.missing()
                }
                w.field(r[k]); w.field(f[k]); w.field(m[k])
                w.field("\(r[k])\(f[k])\(m[k])")
                w.field(segment(r: r[k], f: f[k]))
                w.endRow()
            }
            try w.commit()
            try rejects?.commit()
            return Summary(transactions: transactions, customers: n, skipped: skipped, asOf: asOf)
        } catch {
            rejects?.abandon()
            throw error
        }
    }
}
