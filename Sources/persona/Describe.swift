import ArgumentParser
import Foundation
import PersonaCore

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Profile a CSV file: each column's type, missing values, distinct values and summary.",
        discussion: """
        Types: numeric, boolean (true/false, yes/no or only 0/1), categorical,
        identifier (a unique key per row, left out of features by default), and
        date (ISO 8601, dd/mm/yyyy or mm/dd/yyyy in one order for the column, or
        March 14, 2025; its range and the formats found are shown). A date column
        used as a feature becomes three numbers: days since (from the latest
        date of the training data), month and weekday.
        Missing markers: empty, NA, N/A, NaN, null, None.
        """
    )

    @Argument(help: "The CSV file to profile (gzip or zstd too), or - for standard input.")
    var file: String

    @Option(help: ArgumentHelp(delimiterHelp, valueName: "char"))
    var delimiter: String = "auto"

    func validate() throws { try checkDelimiterOption(delimiter) }

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let path = try Inputs.resolve(file)
        let dialect = try CSVDialect.sniff(path: path, delimiter: try parseDelimiterOption(delimiter))
        var profile = try Profiler.profile(path: path, delimiter: dialect.delimiter)
        profile.dialect = dialect.description
        if json {
            print(try JSONText.encode(profile, pretty: true))
            return
        }
        print("\(file): \(profile.rows) rows, \(profile.columns.count) columns, \(dialect.description)")
        let nameWidth = max(6, profile.columns.map(\.name.count).max() ?? 6)
        print(pad("column", nameWidth) + "  " + pad("type", 11) + "  " + lpad("missing", 8) + "  " + lpad("distinct", 8) + "  summary")
        for c in profile.columns {
            let distinct = c.distinctIsLowerBound ? "\(c.distinct)+" : "\(c.distinct)"
            var summary = ""
            switch c.type {
            case .numeric, .boolean:
                if let mn = c.min, let mean = c.mean, let mx = c.max {
                    summary = "min \(formatNumber(mn)) · mean \(formatNumber(mean)) · max \(formatNumber(mx))"
                    if c.type == .boolean { summary = "share true \(formatNumber(mean * 100, digits: 3))%" }
                } else {
                    summary = "all values missing"
                }
            case .date:
                if let mn = c.min, let mx = c.max {
                    summary = "\(Timestamps.format(mn)) to \(Timestamps.format(mx))"
                    let forms = (c.formats ?? []).map { "\($0.format) \($0.count)" }.joined(separator: ", ")
                    if !forms.isEmpty { summary += " · " + forms }
                    if c.dateOrder == nil && (c.formats ?? []).contains(where: { $0.format.hasPrefix("dd") }) {
                        summary += " (day/month order undecided)"
                    }
                }
            case .categorical, .identifier:
                let present = max(1, c.count - c.missing)
                summary = c.topValues.prefix(c.type == .identifier ? 3 : 5).map {
                    "\($0.value) \(formatNumber(Double($0.count) / Double(present) * 100, digits: 3))%"
                }.joined(separator: ", ")
                if c.type == .identifier { summary = "e.g. " + c.topValues.prefix(3).map(\.value).joined(separator: ", ") }
            }
            let missing = c.missing == 0 ? "0" : "\(c.missing) (\(formatNumber(Double(c.missing) / Double(c.count) * 100, digits: 2))%)"
            print(pad(c.name, nameWidth) + "  " + pad(c.type.rawValue, 11) + "  " + lpad(missing, 8) + "  " + lpad(distinct, 8) + "  " + summary)
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
