import ArgumentParser
import Foundation
import PersonaCore

struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Make a customer file consistent: formats, duplicate rows, records that repeat an id, and outliers, with a log of every change.",
        discussion: """
        Formats: dates to ISO 8601 (the order of day and month found from the
        column, or given with --day-first or --month-first, never guessed per
        row), numbers without currency signs or thousands separators, yes/no
        words to true/false, text trimmed with its spacing collapsed, e-mail
        addresses (a column named like email) lower-cased, and with --country
        phone numbers (a column named like phone, mobile or tel) in E.164.

        --match email,phone,name links the records that share a normalised
        value of any of these columns (e-mail lower-cased, phone in E.164, other
        text by its letters and digits), directly or through other records, as
        one customer: a cluster_id column numbers the customers in order of their
        first row, and each link is logged.

        Duplicates: rows identical to an earlier row once cleaned are dropped;
        rows that repeat an id (--id, else the first column when its name says
        id) are merged into the first row with that id, whose values are kept,
        each differing value logged as a conflict.

        Outliers: each numeric column with values beyond 3 x IQR from its
        quartiles (numpy's linear quantiles, over the rows kept) gets a
        <column>_outlier column of true/false; no row is dropped for it.

        --log FILE writes every change as line, column, old, new, rule (the
        line of the input, so a cleaning can be audited and undone), as CSV, or
        as JSON Lines for a .jsonl or .ndjson name.

        --rules FILE (YAML) chooses per column, checked against the header
        before any row is read:
          id: customer_id
          columns:
            spend: {merge: sum, outliers: winsorize, quantiles: [0.01, 0.99]}
            last_order: {merge: max}
            name: {merge: most_frequent}
        merge: first (the default), latest (the last row's value), max, sum or
        most_frequent; outliers: flag (the default), winsorize (cap at the
        quantiles, default 0.01 and 0.99), missing (beyond 3 x IQR) or keep.

        Example:
          persona clean --data customers.csv --out customers-clean.csv --log cleaning-log.csv
        """
    )

    @OptionGroup var input: DataInput

    @Option(help: ArgumentHelp("Where to write the cleaned rows (CSV, or Parquet by its name).", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("The id column whose repeated rows are merged (default: the first column, when its name says id).", valueName: "col"))
    var id: String?

    @Flag(help: "Dates written with numbers are day/month/year (found from the dates when not given).")
    var dayFirst = false

    @Flag(help: "Dates written with numbers are month/day/year.")
    var monthFirst = false

    @Option(help: ArgumentHelp("Write every change here: line, column, old, new, rule (CSV, or JSON Lines for a .jsonl name).", valueName: "file"))
    var log: String?

    @Option(help: ArgumentHelp("The country of national phone numbers (ISO 3166 code such as DE, GB, US): phone columns to E.164.", valueName: "code"))
    var country: String?

    @Option(help: ArgumentHelp("Link records that share a normalised value of these columns as one customer (a cluster_id column).", valueName: "a,b,..."))
    var match: String?

    @Option(help: ArgumentHelp("A rule file (YAML): the id column, and per column how repeated ids merge and what becomes of outliers.", valueName: "clean.yaml"))
    var rules: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if dayFirst && monthFirst { throw ValidationError("Give --day-first or --month-first, not both.") }
        if let country, Cleaning.callingCodes[country.uppercased()] == nil {
            throw ValidationError("--country \(country): not a country code this release knows. Known: \(Cleaning.callingCodes.keys.sorted().joined(separator: ", ")).")
        }
        if match?.isEmpty == true || (match.map(splitList)?.isEmpty ?? false) { throw ValidationError("--match needs one or more column names.") }
        _ = try dataOutputFormat(out, given: nil, jsonLines: false)
        if let log {
            _ = try dataOutputFormat(log, given: nil, flag: "--log", jsonLines: true)
            if log == out { throw ValidationError("--log and --out must differ.") }
        }
    }

    func run() throws {
        verbosity.apply()
        var options = Cleaning.Options()
        options.id = id
        options.dateOrder = dayFirst ? .dayFirst : monthFirst ? .monthFirst : nil
        options.log = log
        if let rules { options.rules = try CleaningRules.load(path: rules) }
        options.country = country
        options.match = match.map(splitList) ?? []
        options.delimiter = try input.delimiterByte()
        let s = try Cleaning.run(path: try input.path(), output: out, options: options, progress: Console.progress)
        LiveLine.clear()
        Console.wrote("wrote \(out): \(s.written) of \(s.rows) rows; \(s.changes) values made consistent", dataOnStandardOutput: out == "-")
        Console.wrote("dropped \(s.duplicateRows) duplicate row\(s.duplicateRows == 1 ? "" : "s"); merged \(s.mergedRows) row\(s.mergedRows == 1 ? "" : "s") "
                      + "that repeat \(s.idColumn.map { "an id (\($0))" } ?? "an id") into the first, \(s.conflicts) conflicting value\(s.conflicts == 1 ? "" : "s") logged",
                      dataOnStandardOutput: out == "-")
        for (column, n) in s.outliers { Console.wrote("\(column): \(n) outlier\(n == 1 ? "" : "s") beyond 3 x IQR flagged in \(column)_outlier", dataOnStandardOutput: out == "-") }
        if !options.match.isEmpty {
            Console.wrote("linked \(s.linkedRows) row\(s.linkedRows == 1 ? "" : "s") to an earlier one by \(options.match.joined(separator: ", ")): \(s.clusters) customers (cluster_id)",
                          dataOnStandardOutput: out == "-")
        }
        if let log { Console.wrote("wrote \(log): every change", dataOnStandardOutput: out == "-") }
    }
}
