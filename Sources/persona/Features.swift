import ArgumentParser
import Foundation
import PersonaCore

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Derive customer features from raw data.",
        subcommands: [FeaturesRFM.self]
    )
}

enum OnError: String, ExpressibleByArgument, CaseIterable { case fail, skip }

struct FeaturesRFM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rfm",
        abstract: "Recency, frequency and monetary value per customer from a transaction log.",
        discussion: """
        One row per customer: recency_days (days from the last purchase to --as-of),
        frequency (purchases), monetary_total and monetary_mean (average order value),
        tenure_days (since the first purchase), the mean and spread of the days
        between purchases, R/F/M quintile scores 1-5 (5 = best: most recent, most
        frequent, highest spend; ties share a score), and the RFM segment:

          Champions           R 5      F 4-5
          Loyal               R 3-4    F 4-5
          Potential loyalist  R 4-5    F 2-3
          New                 R 5      F 1
          Promising           R 4      F 1
          Needs attention     R 3      F 3
          Hibernating         R 2-3    F 1-2
          At risk             R 1-2    F 3-4
          Cannot lose         R 1-2    F 5
          Lost                R 1      F 1-2

        Timestamps are ISO 8601 dates or date-times (2025-03-14, 2025-03-14T09:26:53,
        with an optional Z or +02:00 offset). The log is streamed, in any order.

        Example:
          persona features rfm --data transactions.csv --customer customer_id --time timestamp --amount amount --out rfm.csv
        """
    )

    @OptionGroup var input: DataInput

    @Option(help: ArgumentHelp("The customer id column.", valueName: "col"))
    var customer: String

    @Option(help: ArgumentHelp("The timestamp column.", valueName: "col"))
    var time: String

    @Option(help: ArgumentHelp("The amount column.", valueName: "col"))
    var amount: String

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The reference date for recency and tenure (default: the latest transaction).", valueName: "date"))
    var asOf: String?

    @Option(name: .customLong("on-error"), help: "fail on the first bad row (default), or skip bad rows and count them.")
    var onError: OnError = .fail

    @Option(help: ArgumentHelp("With --on-error skip: write the rejected rows here, with their line and reason.", valueName: "file"))
    var rejects: String?

    @Option(help: ArgumentHelp("Where to write the customer features (CSV).", valueName: "file"))
    var out: String

    @Flag(help: "Dates written with numbers are day/month/year (found from the dates when not given).")
    var dayFirst = false

    @Flag(help: "Dates written with numbers are month/day/year.")
    var monthFirst = false

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if dayFirst && monthFirst { throw ValidationError("Give --day-first or --month-first, not both.") }
        _ = try dataOutputFormat(out, given: nil, jsonLines: false)
        if rejects != nil && onError != .skip { throw ValidationError("--rejects goes with --on-error skip.") }
        if let asOf, Timestamps.parse(asOf) == nil {
            throw ValidationError("--as-of must be an ISO 8601 date or date-time, such as 2026-06-30 (got \"\(asOf)\").")
        }
    }

    func run() throws {
        verbosity.apply()
        var o = RFM.Options(customer: customer, time: time, amount: amount)
        o.asOf = asOf.flatMap(Timestamps.parse)
        o.skipBadRows = onError == .skip
        o.rejects = rejects
        o.delimiter = try input.delimiterByte()
        o.dateOrder = dayFirst ? .dayFirst : monthFirst ? .monthFirst : nil
        let s = try RFM.compute(path: try input.path(), options: o, output: out, progress: Console.progress)
        Console.wrote("wrote \(out): \(s.customers) customers from \(s.transactions) transactions, as of \(Timestamps.format(s.asOf))", dataOnStandardOutput: out == "-")
        if s.skipped > 0 {
            print("skipped \(s.skipped) bad row\(s.skipped == 1 ? "" : "s")" + (rejects.map { " (written to \($0))" } ?? ""))
        }
    }
}
