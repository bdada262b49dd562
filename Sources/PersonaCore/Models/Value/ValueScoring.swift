import Foundation

/// What `persona score` asks of a customer-value model.
public struct ValueScoreOptions: Sendable {
    /// The day the scores are as of (YYYY-MM-DD); nil: the model's calibration end.
    public var asOf: String?
    /// Periods ahead for expected purchases and lifetime value.
    public var horizon: Double = 52
    /// The discount rate per period of the lifetime value (0: none).
    public var discountRate: Double = 0
    /// The share of spend that is margin.
    public var margin: Double = 1
    /// A customer whose first purchase is fewer than this many periods ago is `new`.
    public var newPeriods: Double = 4
    /// Below this P(alive), `at_risk`; below `lost`, `lost`.
    public var atRisk: Double = 0.5
    public var lost: Double = 0.1
    /// Keep the N most valuable customers, most valuable first.
    public var top: Int?
    public init() {}

    /// The lifecycle stages and their rules, for `--help`.
    public static let lifecycleRules: String = {
        let d = ValueScoreOptions()
        return """
            lifecycle   rule (in this order)
            new         first purchase fewer than --new-periods periods ago (default \(formatNumber(d.newPeriods)))
            lost        p_alive below --lost (default \(formatNumber(d.lost)))
            at_risk     p_alive below --at-risk (default \(formatNumber(d.atRisk)))
            active      every other customer
            """
    }()
}

public struct ValueScoreSummary: Sendable {
    public var customers: Int
    public var columns: [String]
    /// The written customers per lifecycle stage, in the order new, active, at_risk, lost.
    public var lifecycle: [(stage: String, customers: Int)]
    public var asOf: String?
}

extension ValueModel: CustomerValuing {
    /// Whether a file is a transaction log of this model's layout (it has the time column) rather than a summary table.
    func isLog(_ path: String, delimiter: UInt8) throws -> Bool {
        guard let time = config.time else { return false }
        return try CSVReader(path: path, delimiter: delimiter).header.contains(time)
    }

    /// The customers' summaries of a file as of a day: a log cut at that day, or a summary table as it is.
    func customers(path: String, asOf: String?, holdoutEnd: Int? = nil, delimiter: UInt8) throws -> PurchaseSummaries {
        if try isLog(path, delimiter: delimiter) {
            var end = calibrationEnd
            if let asOf {
                guard let d = ValueConfig.day(asOf) else { throw PersonaError("--as-of \"\(asOf)\" is not a date (YYYY-MM-DD)") }
                end = d
            }
            var c = config
            c.summary = nil
            return try ValueModel.summaries(path: path, config: c, endDay: end, holdoutEnd: holdoutEnd, delimiter: delimiter)
        }
        if asOf != nil {
            throw PersonaError("\(path): --as-of cuts a transaction log, but this file has no \(config.time.map { "\"\($0)\" " } ?? "")time column: score a summary without --as-of")
        }
        let reader = try CSVReader(path: path, delimiter: delimiter)
        if reader.header.contains(where: { ["frequency", "x"].contains($0.lowercased()) }) {
            return try PurchaseSummaries.fromSummary(path: path, customer: config.summary != nil ? config.customer : nil, discrete: config.model.discrete,
                                                     opportunities: config.opportunities, delimiter: delimiter)
        }
        throw PersonaError.data(file: path, "is neither a transaction log with the column \(config.time.map { "\"\($0)\"" } ?? "of purchase times") nor a summary table (frequency, recency, T)",
                                fix: "Score the log the model was trained on, or a summary of the same columns")
    }

    /// Each customer's scores, in file order.
    struct CustomerScores {
        var pAlive: [Double] = [], expected: [Double] = [], spend: [Double] = [], clv: [Double] = []
    }

    func scores(_ data: PurchaseSummaries, horizon: Double, discountRate: Double, margin: Double) -> CustomerScores {
        let n = data.count
        var s = CustomerScores()
        s.pAlive = [Double](repeating: 0, count: n); s.expected = s.pAlive
        if spend != nil { s.spend = s.pAlive; s.clv = s.pAlive }
        let blocks = Parallel.blocks(n, minBlock: 4_096)
        s.pAlive.withUnsafeMutableBufferPointer { pa in s.expected.withUnsafeMutableBufferPointer { ex in
        s.spend.withUnsafeMutableBufferPointer { sp in s.clv.withUnsafeMutableBufferPointer { cl in
            let box = UnsafeSendableBox((pa, ex, sp, cl))
            Parallel.forEach(blocks.count) { b in
                let (pa, ex, sp, cl) = box.value
                for i in blocks[b] {
                    let x = Double(data.frequency[i]), tx = data.recency[i], T = data.T[i]
                    pa[i] = process.pAlive(x: x, tx: tx, T: T)
                    ex[i] = process.expectedPurchases(t: horizon, x: x, tx: tx, T: T)
                    guard let spend else { continue }
                    let m = spend.expectedSpend(x: x, m: data.hasAmounts ? data.monetary[i] : 0)
                    sp[i] = m
                    if discountRate == 0 {
                        cl[i] = margin * m * ex[i]
                    } else {
                        // each period's expected purchases, discounted to now
                        var total = 0.0, previous = 0.0, k = 1.0
                        while k - 1 < horizon {
                            let t = min(k, horizon)
                            let e = process.expectedPurchases(t: t, x: x, tx: tx, T: T)
                            total += (e - previous) / pow(1 + discountRate, k)
                            previous = e
                            k += 1
                        }
                        cl[i] = margin * m * total
                    }
                }
            }
        }}}}
        return s
    }

    public func scoreCustomers(path: String, options: ValueScoreOptions, output: String, jsonLines: Bool, delimiter: UInt8) throws -> ValueScoreSummary {
        let data = try customers(path: path, asOf: options.asOf, delimiter: delimiter)
        let s = scores(data, horizon: options.horizon, discountRate: options.discountRate, margin: options.margin)
        let n = data.count
        let ranking = spend != nil ? s.clv : s.expected
        // Deciles of the scored customers: 1 = the most valuable tenth; ties share one.
        let sorted = ranking.sorted(by: >)
        let decile = ranking.map { v -> Int in
            var lo = 0, hi = n
            while lo < hi { let m = (lo + hi) / 2; if sorted[m] > v { lo = m + 1 } else { hi = m } }
            return 1 + min(9, 10 * lo / max(n, 1))
        }
        let stages = ["new", "active", "at_risk", "lost"]
        let stage = (0..<n).map { i -> Int in
            if data.T[i] < options.newPeriods { return 0 }
            if s.pAlive[i] < options.lost { return 3 }
            if s.pAlive[i] < options.atRisk { return 2 }
            return 1
        }
        var order = Array(0..<n)
        if let top = options.top {
            order.sort { ranking[$0] != ranking[$1] ? ranking[$0] > ranking[$1] : $0 < $1 }
            order = Array(order.prefix(top))
        }
        var columns = ["customer_id", "frequency", "recency", "T"]
        if data.hasAmounts { columns.append("monetary_value") }
        columns += ["p_alive", "expected_purchases"]
        if spend != nil { columns += ["expected_spend", "clv"] }
        columns += ["value_decile", "lifecycle"]
        if jsonLines {
            let out = try AtomicOutput(path: output)
            do {
                for i in order {
                    var values: [String] = [data.ids[i], String(data.frequency[i]), shortestText(data.recency[i]), shortestText(data.T[i])]
                    if data.hasAmounts { values.append(shortestText(data.monetary[i])) }
                    values += [shortestText(s.pAlive[i]), shortestText(s.expected[i])]
                    if spend != nil { values += [shortestText(s.spend[i]), shortestText(s.clv[i])] }
                    values += [String(decile[i]), stages[stage[i]]]
                    let fields = zip(columns, values).enumerated().map { j, kv in
                        "\(jsonString(kv.0)):" + (j == 0 || kv.0 == "lifecycle" ? jsonString(kv.1) : kv.1)
                    }
                    out.write("{" + fields.joined(separator: ",") + "}\n")
                }
                try out.commit()
            } catch { out.abandon(); throw error }
        } else {
            let w = try CSVWriter(path: output)
            do {
                w.row(columns)
                for i in order {
                    w.field(data.ids[i]); w.field(data.frequency[i]); w.field(shortest: data.recency[i]); w.field(shortest: data.T[i])
                    if data.hasAmounts { w.field(shortest: data.monetary[i]) }
                    w.field(shortest: s.pAlive[i]); w.field(shortest: s.expected[i])
                    if spend != nil { w.field(shortest: s.spend[i]); w.field(shortest: s.clv[i]) }
                    w.field(decile[i]); w.field(stages[stage[i]])
                    w.endRow()
                }
                try w.commit()
            } catch { w.abandon(); throw error }
        }
        var counts = [0, 0, 0, 0]
        for i in order { counts[stage[i]] += 1 }
        return ValueScoreSummary(customers: order.count, columns: columns, lifecycle: zip(stages, counts).map { ($0, $1) },
                                 asOf: data.endDay.map { Timestamps.format(Double($0) * 86_400) })
    }

    // MARK: evaluation

    /// Predicted against actual purchases in a holdout period after the calibration end.
    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        guard let holdoutText = options.holdoutEnd else {
            throw PersonaError("evaluating a customer value model needs --holdout-end DATE: the last day of the holdout period after the calibration end")
        }
        guard let holdoutEnd = ValueConfig.day(holdoutText) else { throw PersonaError("--holdout-end \"\(holdoutText)\" is not a date (YYYY-MM-DD)") }
        guard let end = calibrationEnd, config.time != nil, try isLog(path, delimiter: options.delimiter) else {
            throw PersonaError.data(file: path, "is not a transaction log of this model's columns, or the model was trained from a summary",
                                    fix: "Evaluate a model trained on a transaction log, on that log (with the purchases after its calibration end)")
        }
        guard holdoutEnd > end else {
            throw PersonaError("--holdout-end \(holdoutText) is not after the model's calibration end \(Timestamps.format(Double(end) * 86_400))")
        }
        let data = try customers(path: path, asOf: nil, holdoutEnd: holdoutEnd, delimiter: options.delimiter)
        let periods = config.model.discrete ? (Double(holdoutEnd - end) / config.periodDays).rounded(.down) : Double(holdoutEnd - end) / config.periodDays
        let n = data.count
        let predicted = (0..<n).map { i in process.expectedPurchases(t: periods, x: Double(data.frequency[i]), tx: data.recency[i], T: data.T[i]) }
        let actual = data.holdout.map(Double.init)
        var abs = 0.0, sq = 0.0
        for i in 0..<n { let e = predicted[i] - actual[i]; abs += Swift.abs(e); sq += e * e }
        let correlation = ValueModel.weightedCorrelation(predicted, actual, [Double](repeating: 1, count: n))
        // mean actual and predicted by calibration frequency
        var groups = [(customers: Int, actual: Double, predicted: Double)](repeating: (0, 0, 0), count: 8)
        for i in 0..<n {
            let g = min(7, data.frequency[i])
            groups[g].customers += 1; groups[g].actual += actual[i]; groups[g].predicted += predicted[i]
        }
        // cumulative repeat purchases by period of the holdout
        let whole = Int(periods.rounded(.up))
        var cumulativeActual: [Double] = [], cumulativePredicted: [Double] = []
        var running = 0.0
        for k in 1...max(1, whole) {
            let lastDay = min(holdoutEnd - end, Int((Double(k) * config.periodDays).rounded(.down)))
            let firstDay = Int((Double(k - 1) * config.periodDays).rounded(.down))
            if firstDay < lastDay { for d in firstDay..<lastDay where d < data.holdoutDaily.count { running += Double(data.holdoutDaily[d]) } }
            cumulativeActual.append(running)
            let t = min(Double(k), periods)
            cumulativePredicted.append((0..<n).reduce(0.0) { $0 + process.expectedPurchases(t: t, x: Double(data.frequency[$1]), tx: data.recency[$1], T: data.T[$1]) })
        }
        let metrics: [String: JSONValue] = [
            "mae": .number(abs / Double(n)), "rmse": .number((sq / Double(n)).squareRoot()),
            "correlation": correlation.map { .number($0) } ?? .null,
            "customers": .number(Double(n)), "holdout_periods": .number(periods),
            "actual_purchases": .number(actual.reduce(0, +)), "predicted_purchases": .number(predicted.reduce(0, +)),
            "by_frequency": .array(groups.enumerated().map { g, v in
                .object(["frequency": .string(g == 7 ? "7+" : String(g)), "customers": .number(Double(v.customers)),
                         "mean_actual": .number(v.customers > 0 ? v.actual / Double(v.customers) : 0),
                         "mean_predicted": .number(v.customers > 0 ? v.predicted / Double(v.customers) : 0)])
            }),
            "cumulative": .object(["actual": .array(cumulativeActual.map { .number($0) }), "predicted": .array(cumulativePredicted.map { .number($0) })]),
        ]
        var lines = ["\(n) customers; holdout \(formatNumber(periods)) periods of \(periodText) to \(Timestamps.format(Double(holdoutEnd) * 86_400)), purchases counted once per day",
                     "  mae          \(formatNumber(abs / Double(n)))",
                     "  rmse         \(formatNumber((sq / Double(n)).squareRoot()))",
                     "  correlation  \(correlation.map { formatNumber($0) } ?? "undefined (no variation)")",
                     "  purchases    actual \(formatNumber(actual.reduce(0, +))), predicted \(formatNumber(predicted.reduce(0, +)))",
                     "",
                     "holdout purchases by calibration frequency:",
                     "  frequency  customers  mean actual  mean predicted"]
        for (g, v) in groups.enumerated() where v.customers > 0 {
            lines.append("  " + (g == 7 ? "7+" : String(g)).padding(toLength: 9, withPad: " ", startingAt: 0)
                         + String(v.customers).leftPadded(11) + formatNumber(v.actual / Double(v.customers)).leftPadded(13)
                         + formatNumber(v.predicted / Double(v.customers)).leftPadded(16))
        }
        var e = Evaluation(task: .customerValue, metrics: .object(metrics), text: lines.joined(separator: "\n"))
        e.rows = .purchases(byFrequency: groups.enumerated().filter { $0.element.customers > 0 }.map { g, v in
                                (g == 7 ? "7+" : String(g), v.actual / Double(v.customers), v.predicted / Double(v.customers)) },
                            cumulativeActual: cumulativeActual, cumulativePredicted: cumulativePredicted, periodDays: config.periodDays)
        return e
    }
}
