import ArgumentParser
import Foundation
import PersonaCore

/// Customer value at the command line.
enum ValueCommands: FamilyCommands {
    typealias Model = ValueModel
    static let dataIsOptional = true
    static let abstract = "Value customers: a purchase process (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) and a spend model from a transaction log."
    static let discussion = """
        Reads a transaction log (--customer COL --time COL [--amount COL], rows in
        any order) and summarises each customer as the models define it: purchases
        on one day count as one; frequency = purchase days - 1; recency = days from
        the first to the last purchase; T = days from the first purchase to the
        calibration end (--calibration-end, inclusive; default the last date in
        the log); recency and T in periods of --period-days (default 7: weeks);
        monetary_value = the mean spend of the repeat purchase days. Or trains
        from a table that already holds them: --summary FILE with customer,
        frequency, recency, T[, monetary_value][, weights].

        The purchase process (--model): bgnbd (BG/NBD: a customer may leave
        after each repeat purchase), mbgnbd (MBG/NBD: also at the first, so a
        one-time buyer can be gone), pareto (Pareto/NBD: at any time), or bgbb
        (BG/BB: discrete opportunities, one purchase at most per period). It is
        fitted by maximum likelihood (analytic gradients, log parameters, as
        lifetimes' fitters, with --penalty as their penalizer_coef); the
        Gamma-Gamma spend model on repeat customers' mean spend when the data has
        amounts. `persona score` then writes P(alive),
        expected purchases and spend over --horizon periods, the lifetime value,
        its decile and a lifecycle stage per customer; `persona evaluate
        --holdout-end DATE` compares predicted and actual purchases after the
        calibration end.

        Example:
          persona train value --data transactions.csv --customer customer_id --time timestamp --amount amount --calibration-end 2026-03-31 --out models/value.safetensors
          persona evaluate models/value.safetensors --data transactions.csv --holdout-end 2026-06-30
          persona score models/value.safetensors --data transactions.csv --as-of 2026-06-30 --horizon 52 --out value.csv

        """
    static let selectsFeatures = false

    static func dataFile(_ config: ValueConfig) -> String? { config.summary }

    static func summary(_ m: ValueModel) -> [String] {
        let values = zip(m.parameterNames, m.parameters).map { "\($0)=\(formatNumber($1, digits: 5))" }.joined(separator: ", ")
        var lines = ["trained value: \(m.config.model.title) on \(formatNumber(m.customers)) customers (\(values)), log-likelihood \(formatNumber(m.logLikelihood, digits: 8))"]
        if let s = m.spendParameters {
            lines.append("spend: Gamma-Gamma " + zip(ValueModel.spendParameterNames, s).map { "\($0)=\(formatNumber($1, digits: 5))" }.joined(separator: ", "))
        }
        return lines
    }
}
