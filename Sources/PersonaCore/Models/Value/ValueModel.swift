import Foundation

/// Customer value: a purchase process (BG/NBD, MBG/NBD or BG/BB) fitted on each
/// customer's frequency, recency and age, and optionally the Gamma-Gamma model
/// of spend per purchase. Together they give each customer's chance of still
/// being a customer, expected purchases over a horizon, expected spend and
/// lifetime value.
public struct ValueModel: TrainableModel {
    public static let kind = "value"
    public static let title = "customer value (purchase process and spend)"

    public var card: ModelCard
    public let config: ValueConfig
    let process: FittedProcess
    let spend: SpendModel?
    /// Standard errors of the parameters, from the inverse Hessian of the log-likelihood.
    public let standardErrors: [Double]
    public let spendStandardErrors: [Double]
    public let logLikelihood: Double
    /// Customers in the training data (the summary's weights summed).
    public let customers: Double
    /// The calibration end as a day number (days since 1970-01-01), when trained from a log.
    public let calibrationEnd: Int?

    public var parameterNames: [String] { process.process.parameterNames }
    public var parameters: [Double] { process.parameters }
    public var spendParameters: [Double]? { spend?.parameters }
    public static let spendParameterNames = ["p", "q", "gamma"]

    init(card: ModelCard, config: ValueConfig, process: FittedProcess, spend: SpendModel?, standardErrors: [Double],
         spendStandardErrors: [Double], logLikelihood: Double, customers: Double, calibrationEnd: Int?) {
        self.card = card; self.config = config; self.process = process; self.spend = spend
        self.standardErrors = standardErrors; self.spendStandardErrors = spendStandardErrors
        self.logLikelihood = logLikelihood; self.customers = customers; self.calibrationEnd = calibrationEnd
    }

    // MARK: the file

    public func tensors() -> [String: Tensor] {
        var t: [String: Tensor] = [
            "parameters": Tensor(process.parameters, shape: [4]),
            "standard_errors": Tensor(standardErrors, shape: [4]),
            "log_likelihood": Tensor([logLikelihood], shape: [1]),
            "customers": Tensor([customers], shape: [1]),
        ]
        if let spend {
            t["spend_parameters"] = Tensor(spend.parameters, shape: [3])
            t["spend_standard_errors"] = Tensor(spendStandardErrors, shape: [3])
        }
        if let calibrationEnd { t["calibration_end"] = Tensor([Int64(calibrationEnd)], shape: [1]) }
        return t
    }

    public init(card: ModelCard, tensors t: [String: Tensor], path: String) throws {
        func bad(_ what: String) -> PersonaError { PersonaError("\(path): corrupted customer value model (\(what))") }
        let config = try ValueConfig(card: card.hyperparameters, file: path)
        guard let p = t["parameters"]?.doubles, p.count == 4, p.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw bad("parameters") }
        guard let se = t["standard_errors"]?.doubles, se.count == 4 else { throw bad("standard errors") }
        guard let ll = t["log_likelihood"]?.doubles, ll.count == 1, let n = t["customers"]?.doubles, n.count == 1, n[0] > 0 else { throw bad("fit") }
        var spend: SpendModel? = nil, spendSE: [Double] = []
        if let sp = t["spend_parameters"] {
            guard let s = sp.doubles, s.count == 3, s.allSatisfy({ $0 > 0 && $0.isFinite }), s[1] > 1,
                  let e = t["spend_standard_errors"]?.doubles, e.count == 3 else { throw bad("spend parameters") }
            spend = SpendModel(parameters: s); spendSE = e
        }
        var end: Int? = nil
        if let c = t["calibration_end"] {
            guard let v = c.int64s, v.count == 1, abs(v[0]) < 10_000_000 else { throw bad("calibration end") }
            end = Int(v[0])
        }
        self.init(card: card, config: config, process: FittedProcess(process: config.model, parameters: p), spend: spend,
                  standardErrors: se, spendStandardErrors: spendSE, logLikelihood: ll[0], customers: n[0], calibrationEnd: end)
    }

    // MARK: training

    public static func train(path: String, config: ValueConfig, selection: ColumnSelection, delimiter: UInt8,
                             progress: ProgressHandler?) throws -> ValueModel {
        try config.validate()
        let start = Date()
        let data = try summaries(path: path, config: config, endDay: config.calibrationEnd.flatMap(ValueConfig.day), delimiter: delimiter)
        if config.summary == nil {
            progress?("read \(data.transactions) transactions of \(data.count + data.laterCustomers) customers in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        }
        return try fit(data, config: config, file: path, progress: progress)
    }

    /// The summaries of a log or a summary table, as the configuration says.
    static func summaries(path: String, config: ValueConfig, endDay: Int?, holdoutEnd: Int? = nil, delimiter: UInt8) throws -> PurchaseSummaries {
        if config.summary != nil {
            return try PurchaseSummaries.fromSummary(path: path, customer: config.customer, discrete: config.model.discrete,
                                                     opportunities: config.opportunities, delimiter: delimiter)
        }
        return try PurchaseSummaries.fromLog(path: path, layout: .init(customer: config.customer!, time: config.time!, amount: config.amount),
                                             endDay: endDay, periodDays: config.periodDays, discrete: config.model.discrete,
                                             holdoutEnd: holdoutEnd, delimiter: delimiter)
    }

    /// Fits the purchase process and, when asked, the spend model on customers' summaries read from `file`.
    public static func fit(_ data: PurchaseSummaries, config: ValueConfig, file: String, progress: ProgressHandler? = nil) throws -> ValueModel {
        let start = Date()
        let process = config.model
        let rows = SummaryRows(x: data.frequency, tx: data.recency, T: data.T, weight: data.weight)
        if data.frequency.allSatisfy({ $0 == 0 }) {
            throw PersonaError.data(file: file, "no customer bought more than once (on more than one day) in the calibration period",
                                    fix: "A purchase process needs repeat buyers: give a longer calibration period or more customers")
        }
        // Time in units that make the longest T 1 (as lifetimes does), so the
        // parameters start on a common scale and a penalty means the same as
        // there; alpha is scaled back after.
        let scale = process.discrete ? 1 : 1 / max(data.T.max() ?? 1, 1e-12)
        var scaled = rows
        if scale != 1 { scaled.tx = rows.tx.map { $0 * scale }; scaled.T = rows.T.map { $0 * scale } }
        let objective = ProcessLikelihood(process: process, rows: scaled, penalty: config.penalty)
        var best: (x: [Double], value: Double, converged: Bool)? = nil
        for startPoint in [0.1, 0.0, -1.0, 1.0] {
            let r = ValueMath.minimize([Double](repeating: startPoint, count: 4), objective.objective)
            if r.value.isFinite, best == nil || r.value < best!.value - 1e-12 { best = r }
            // converged, or running off from this start too: another start would follow
            if r.converged || r.x.contains(where: { abs($0) > ValueMath.runaway }) { break }
        }
        guard let fit = best, fit.value.isFinite else {
            throw PersonaError.data(file: file, "the \(process.title) likelihood could not be evaluated at any starting point",
                                    fix: "Check the summaries (frequency, recency, T), or set --penalty 0.001")
        }
        // A parameter running off to 0 or infinity: the likelihood's supremum is a
        // limit of the model (no dropout, or the same dropout for everyone); the
        // fit stops on the way there, and says so.
        let names = process.parameterNames
        let runaway = fit.x.indices.filter { abs(fit.x[$0]) > ValueMath.runaway }.map { "\(names[$0]) towards \(fit.x[$0] > 0 ? "infinity" : "0")" }
        if !fit.converged && runaway.isEmpty {
            throw PersonaError.data(file: file, "the \(process.title) fit did not converge",
                                    fix: "Set a small --penalty (such as 0.001), try another --model, or give more customers")
        }
        if !runaway.isEmpty {
            progress?("warning: the \(process.title) likelihood keeps rising as \(runaway.joined(separator: " and ")); the fit stops on the way (the data suit a limit of the model); --penalty 0.001 keeps the parameters finite")
        }
        var theta = fit.x.map { exp($0) }
        // the rates' scale parameters (alpha, and beta of Pareto/NBD's dropout) back to periods
        if !process.discrete { theta[1] /= scale }
        if process == .pareto { theta[3] /= scale }
        let original = ProcessLikelihood(process: process, rows: rows, penalty: 0)
        let ll = original.logLikelihood(theta)?.value ?? .nan
        let se = standardErrors(theta) { original.logLikelihood($0) }
        progress?(String(format: "fitted %@ on %d distinct summaries in %.3f s", process.title, rows.count, Date().timeIntervalSince(start)))

        // The spend model, on repeat customers with a positive mean spend.
        var spend: SpendModel? = nil, spendSE: [Double] = []
        var spendCustomers = 0.0, zeroSpend = 0.0, correlation: Double? = nil
        if config.modelsSpend(dataHasAmounts: data.hasAmounts) {
            guard data.hasAmounts else {
                throw PersonaError.data(file: file, config.summary != nil ? "has no monetary_value column for the spend model" : "has no amounts for the spend model",
                                        fix: config.summary != nil ? "Add monetary_value, or pass --spend none" : "Give --amount COL, or pass --spend none")
            }
            var xs: [Double] = [], ms: [Double] = [], ws: [Double] = []
            for i in 0..<data.count where data.frequency[i] > 0 {
                if data.monetary[i] <= 0 { zeroSpend += data.weight[i]; continue }
                xs.append(Double(data.frequency[i])); ms.append(data.monetary[i]); ws.append(data.weight[i])
            }
            spendCustomers = ws.reduce(0, +)
            if xs.count < 2 {
                throw PersonaError.data(file: file, "has \(xs.count) repeat customer\(xs.count == 1 ? "" : "s") with a positive spend; the Gamma-Gamma spend model needs repeat buyers",
                                        fix: "Give a longer calibration period, or pass --spend none")
            }
            correlation = weightedCorrelation(xs, ms, ws)
            let total = spendCustomers
            let f = { (phi: [Double]) -> (value: Double, gradient: [Double])? in
                let t = phi.map { exp($0) }
                guard let (l, g) = SpendModel.logLikelihood(t, x: xs, m: ms, weight: ws), l.isFinite else { return nil }
                return (-l / total + config.spendPenalty * t.reduce(0) { $0 + $1 * $1 },
                        t.indices.map { t[$0] * (-g[$0] / total + 2 * config.spendPenalty * t[$0]) })
            }
            var sbest: (x: [Double], value: Double, converged: Bool)? = nil
            for s in [0.1, 0.0, 1.0, 2.0] {
                let r = ValueMath.minimize([s, s, s], f)
                if r.value.isFinite, sbest == nil || r.value < sbest!.value - 1e-12 { sbest = r }
                if r.converged { break }
            }
            guard let sfit = sbest, sfit.converged else {
                throw PersonaError.data(file: file, "the Gamma-Gamma spend fit did not converge", fix: "Set a small --spend-penalty (such as 0.001), or pass --spend none")
            }
            let sp = sfit.x.map { exp($0) }
            guard sp[1] > 1 else {
                throw PersonaError.data(file: file, "the spend model's q is \(formatNumber(sp[1])), at most 1: expected spend is not finite",
                                        fix: "Look for extreme amounts (test orders), or pass --spend none")
            }
            spend = SpendModel(parameters: sp)
            spendSE = standardErrors(sp) { SpendModel.logLikelihood($0, x: xs, m: ms, weight: ws) }
        }

        var metrics: [String: JSONValue] = [
            "customers": .number(rows.totalWeight), "distinct_summaries": .number(Double(rows.count)),
            "log_likelihood": .number(ll), "repeat_customers": .number(zip(data.frequency, data.weight).reduce(0) { $0 + ($1.0 > 0 ? $1.1 : 0) }),
        ]
        if spend != nil {
            metrics["spend_customers"] = .number(spendCustomers)
            metrics["zero_spend_customers"] = .number(zeroSpend)
            if let correlation { metrics["frequency_spend_correlation"] = .number(correlation) }
        }
        if !runaway.isEmpty { metrics["boundary"] = .string(runaway.joined(separator: ", ")) }
        if config.summary == nil {
            metrics["transactions"] = .number(Double(data.transactions))
            metrics["later_transactions"] = .number(Double(data.later))
            metrics["later_customers"] = .number(Double(data.laterCustomers))
        }
        var details: [String: JSONValue] = [:]
        if let end = data.endDay { details["calibration_end"] = .string(Timestamps.format(Double(end) * 86_400)) }
        let card = ModelCard(kind: kind, pipeline: FeaturePipeline(columns: [], standardize: false), hyperparameters: config.card,
                             trainingMetrics: .object(metrics),
                             trainingData: DataFingerprintInfo(file: (file as NSString).lastPathComponent, rows: data.fileRows, columns: data.fileColumns,
                                                               hash: data.fingerprint.hex),
                             details: .object(details))
        return ValueModel(card: card, config: config, process: FittedProcess(process: process, parameters: theta), spend: spend,
                          standardErrors: se, spendStandardErrors: spendSE, logLikelihood: ll, customers: rows.totalWeight,
                          calibrationEnd: data.endDay)
    }

    /// Standard errors from the observed information: the Hessian of −ln L in
    /// log parameters (differences of the analytic gradient), inverted, and
    /// taken back to the parameters (se_i = θ_i √[H⁻¹]_ii at the optimum). NaN
    /// where the Hessian is singular.
    static func standardErrors(_ theta: [Double], _ logLikelihood: ([Double]) -> (value: Double, gradient: [Double])?) -> [Double] {
        let f = { (phi: [Double]) -> (value: Double, gradient: [Double])? in
            let t = phi.map { exp($0) }
            guard let (l, g) = logLikelihood(t) else { return nil }
            return (-l, t.indices.map { -t[$0] * g[$0] })
        }
        guard let h = ValueMath.hessian(theta.map { log($0) }, f), let inv = ValueMath.invert(h) else {
            return [Double](repeating: .nan, count: theta.count)
        }
        return theta.indices.map { inv[$0][$0] > 0 ? theta[$0] * inv[$0][$0].squareRoot() : .nan }
    }

    static func weightedCorrelation(_ a: [Double], _ b: [Double], _ w: [Double]) -> Double? {
        let total = w.reduce(0, +)
        guard total > 0 else { return nil }
        let ma = zip(a, w).reduce(0) { $0 + $1.0 * $1.1 } / total, mb = zip(b, w).reduce(0) { $0 + $1.0 * $1.1 } / total
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices { let da = a[i] - ma, db = b[i] - mb; sab += w[i] * da * db; saa += w[i] * da * da; sbb += w[i] * db * db }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    // MARK: reading

    /// The period as words ("7 days").
    var periodText: String { "\(formatNumber(config.periodDays)) day\(config.periodDays == 1 ? "" : "s")" }

    public func summary() -> String {
        var lines = ["\(process.process.title) purchase process on \(formatNumber(customers)) customers; one period = \(periodText)"
                     + (calibrationEnd.map { "; calibration to \(Timestamps.format(Double($0) * 86_400))" } ?? "")]
        func table(_ names: [String], _ values: [Double], _ errors: [Double]) {
            lines.append("  parameter        value   std. error")
            for i in names.indices {
                lines.append("  " + names[i].padding(toLength: 10, withPad: " ", startingAt: 0)
                             + formatNumber(values[i], digits: 7).leftPadded(12) + "  " + formatNumber(errors[i], digits: 4).leftPadded(11))
            }
        }
        table(parameterNames, parameters, standardErrors)
        lines.append("  log-likelihood \(formatNumber(logLikelihood, digits: 9))")
        if let spend {
            lines.append("")
            let t = card.trainingMetrics
            lines.append("Gamma-Gamma spend model on \(formatNumber(t["spend_customers"]?.double ?? 0)) repeat customers"
                         + ((t["zero_spend_customers"]?.double ?? 0) > 0 ? " (\(formatNumber(t["zero_spend_customers"]!.double!)) with a mean spend of 0 left out)" : ""))
            table(Self.spendParameterNames, spend.parameters, spendStandardErrors)
            lines.append("  population mean spend per purchase \(formatNumber(spend.expectedSpend(x: 0, m: 0)))")
            if let c = t["frequency_spend_correlation"]?.double {
                lines.append("  correlation of frequency and mean spend \(formatNumber(c, digits: 3))"
                             + (abs(c) > 0.3 ? " (the model assumes none: treat expected spend with care)" : " (the model assumes none)"))
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension ValueModel: InspectionFacts {
    public func inspectionFacts() -> JSONValue {
        func object(_ names: [String], _ values: [Double]) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: zip(names, values).map { ($0, $1.isFinite ? JSONValue.number($1) : .null) }))
        }
        var facts: [String: JSONValue] = [
            "model": .string(config.model.rawValue),
            "parameters": object(parameterNames, parameters),
            "standard_errors": object(parameterNames, standardErrors),
            "log_likelihood": .number(logLikelihood),
            "customers": .number(customers),
            "period_days": .number(config.periodDays),
        ]
        if let calibrationEnd { facts["calibration_end"] = .string(Timestamps.format(Double(calibrationEnd) * 86_400)) }
        if let s = spendParameters {
            facts["spend_parameters"] = object(Self.spendParameterNames, s)
            facts["spend_standard_errors"] = object(Self.spendParameterNames, spendStandardErrors)
            for key in ["spend_customers", "zero_spend_customers", "frequency_spend_correlation"] {
                if let v = card.trainingMetrics[key] { facts[key] = v }
            }
        }
        return .object(facts)
    }
}
