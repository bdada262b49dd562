/// How the spend per purchase is modelled.
public enum SpendModelChoice: String, CaseIterable, Sendable {
    case gammaGamma = "gamma-gamma"
    case none
}

/// Hyperparameters of customer value: where the transactions (or the summary)
/// are, the calibration period, the period length and the models.
public struct ValueConfig: Hyperparameters {
    public var customer: String?
    public var time: String?
    public var amount: String?
    /// A summary table (customer, frequency, recency, T[, monetary_value]) to
    /// train from instead of a transaction log.
    public var summary: String?
    /// The last day of the calibration period (inclusive); absent: the last date in the log.
    public var calibrationEnd: String?
    public var periodDays: Double = 7
    public var model: PurchaseProcess = .bgnbd
    /// Absent: Gamma-Gamma when the data has amounts.
    public var spend: SpendModelChoice?
    public var penalty: Double = 0
    public var spendPenalty: Double = 0
    /// BG/BB from a summary without a `periods` column: the opportunities every customer had.
    public var opportunities: Int?

    public init() {}

    public static let parameters: [Parameter<ValueConfig>] = [
        .text(\.customer, "customer", key: "customer", absent: "the summary's first column",
              help: "The customer id column of the transaction log (or of the summary)."),
        .text(\.time, "time", key: "time", absent: "none; required with a transaction log",
              help: "The date or date-time of each purchase: ISO 8601 (2025-03-14, 2025-03-14T09:26:53), dd/mm/yyyy or mm/dd/yyyy (the order found from the column), or March 14, 2025."),
        .text(\.amount, "amount", key: "amount", absent: "none (no spend model)", help: "The amount of each purchase, for the spend model."),
        .text(\.summary, "summary", key: "summary", absent: "none; train from --data",
              help: "Train from a summary table instead of a log: customer, frequency, recency, T[, monetary_value][, weights], recency and T in periods.",
              valueName: "file"),
        .text(\.calibrationEnd, "calibrationEnd", key: "calibration_end", absent: "the last date in the log",
              help: "The last day of the calibration period, inclusive (YYYY-MM-DD); later purchases are left out.", valueName: "date"),
        .real(\.periodDays, "periodDays", key: "period_days", range: .positive,
              help: "Days in one period: recency, T and the horizon are counted in periods (7: weeks)."),
        .choice(\.model, "model", key: "model", help: "The purchase process: BG/NBD, MBG/NBD, or BG/BB for discrete opportunities."),
        .choice(\.spend, "spend", key: "spend", absent: "gamma-gamma when the data has amounts",
                help: "The spend model: Gamma-Gamma on repeat customers' mean spend, or none."),
        .real(\.penalty, "penalty", key: "penalty", range: .nonNegative,
              help: "L2 penalty on the purchase process's parameters (lifetimes' penalizer_coef): larger values pull them towards 0 on small data."),
        .real(\.spendPenalty, "spendPenalty", key: "spend_penalty", range: .nonNegative,
              help: "L2 penalty on the spend model's parameters (lifetimes' GammaGammaFitter penalizer_coef)."),
        .integer(\.opportunities, "opportunities", key: "opportunities", min: 1, absent: "the summary's periods column",
                 help: "BG/BB from a summary: the opportunities every customer had."),
    ]

    public func combinationError() -> ParameterError? {
        if summary == nil && (customer == nil || time == nil) {
            return ParameterError(Self.names("customer", "time")) { "a transaction log needs \($0[0]) COL and \($0[1]) COL (or train from --summary FILE)" }
        }
        if let c = calibrationEnd, ValueConfig.day(c) == nil {
            return ParameterError(Self.names("calibration_end")[0], "\"\(c)\" is not a date (YYYY-MM-DD)")
        }
        if opportunities != nil && model != .bgbb {
            return ParameterError(Self.names("opportunities")[0], "goes with --model bgbb")
        }
        return nil
    }

    /// Whether spend is modelled, given whether the data has amounts.
    func modelsSpend(dataHasAmounts: Bool) -> Bool {
        switch spend {
        case .gammaGamma?: return true
        case .none?: return false
        case nil: return dataHasAmounts
        }
    }

    /// A date's day number (days since 1970-01-01), or nil.
    public static func day(_ text: String) -> Int? {
        Timestamps.parse(text).map { Int(($0 / 86_400).rounded(.down)) }
    }
}
