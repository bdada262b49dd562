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

        Findings follow the table, each with the rows it touches: duplicate rows
        (identical field by field, as pandas' duplicated()), duplicate ids (--id,
        else the first column when its name says id), values written differently
        only by case, spacing or punctuation, numbers written with currency signs
        or thousands separators, several date formats in one column, outliers by
        the IQR rule (beyond 1.5 x IQR from the quartiles, numpy's linear
        quantiles) and by the MAD rule (modified z-score over 3.5), and impossible
        values (a negative age or one over 130, a date in the future or before
        1900). --json adds duplicate_rows and duplicate_ids at the top and formats
        (each with its count, an example and its first line), outliers, variants
        and impossible per column.
        """
    )

    @Argument(help: "The CSV file to profile (gzip or zstd too), or - for standard input.")
    var file: String

    @Option(help: ArgumentHelp(delimiterHelp, valueName: "char"))
    var delimiter: String = "auto"

    func validate() throws { try checkDelimiterOption(delimiter) }

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("The id column whose duplicates are counted (default: the first column, when its name says id).", valueName: "col"))
    var id: String?

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let path = try Inputs.resolve(file)
        let dialect = try CSVDialect.sniff(path: path, delimiter: try parseDelimiterOption(delimiter))
        var profile = try Profiler.profile(path: path, delimiter: dialect.delimiter)
        profile.dialect = dialect.description
        let findings = try DataFindings.find(path: path, delimiter: dialect.delimiter, profile: profile, id: id)
        LiveLine.clear()
        if json {
            guard case .object(var object) = try JSONText.decode(JSONValue.self, from: try JSONText.encode(profile)),
                  case .object(let found) = try JSONText.decode(JSONValue.self, from: try JSONText.encode(findings)) else { return }
            // The findings beside the profile: file-wide counts at the top, the rest per column.
            for (k, v) in found where k != "columns" { object[k] = v }
            if case .array(let columns)? = object["columns"], case .object(let perColumn)? = found["columns"] {
                object["columns"] = .array(columns.map { c in
                    guard case .object(var o) = c, let name = o["name"]?.string else { return c }
                    o["formats"] = .array([]); o["outliers"] = .null
                    if case .object(let f)? = perColumn[name] { for (k, v) in f { o[k] = v } }
                    return .object(o)
                })
            }
            print(try JSONText.encode(JSONValue.object(object), pretty: true))
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
        let lines = findingLines(findings, profile: profile)
        print("")
        if lines.isEmpty { print("findings: none (no duplicate rows or ids, variant spellings, numbers written as text, outliers or impossible values)") }
        else { print("findings:"); for l in lines { print("  " + l) } }
    }

    /// One line per finding, with how many rows it touches.
    func findingLines(_ f: DataFindings, profile: DataProfile) -> [String] {
        var lines: [String] = []
        func share(_ n: Int) -> String { formatNumber(Double(n) / Double(max(1, profile.rows)) * 100, digits: 2) + "%" }
        if f.duplicateRows > 0 {
            lines.append("duplicate rows: \(f.duplicateRows) (\(share(f.duplicateRows))), the first at line \(f.firstDuplicateRowLine ?? 0)")
        }
        if let id = f.idColumn, let n = f.duplicateIds, n > 0 {
            lines.append("duplicate ids in \(id): \(n) rows repeat an earlier id (\(share(n))), the first at line \(f.firstDuplicateIdLine ?? 0)")
        }
        for c in profile.columns {
            guard let found = f.columns[c.name] else { continue }
            if let v = found.variants {
                lines.append("\(c.name): \(v.groups) value\(v.groups == 1 ? "" : "s") written differently (case, spacing, punctuation) in \(v.rows) rows, e.g. "
                             + v.examples.prefix(2).map { $0.map { "\"\($0)\"" }.joined(separator: " / ") }.joined(separator: "; "))
            }
            let forms = found.formats.filter { c.type != .numeric || $0.format.hasPrefix("number") }
            if c.type == .date ? forms.count > 1 : !forms.isEmpty {
                lines.append("\(c.name): " + (c.type == .date ? "\(forms.count) date formats: " : "")
                             + forms.map { "\($0.format) \($0.count) (line \($0.line): \($0.example))" }.joined(separator: ", "))
            }
            if let o = found.outliers {
                var text = "\(c.name): outliers by the IQR rule \(o.iqr.count) (\(share(o.iqr.count)))"
                if let lo = o.iqr.min, let hi = o.iqr.max { text += " from \(formatNumber(lo)) to \(formatNumber(hi)), outside [\(formatNumber(o.iqr.low)), \(formatNumber(o.iqr.high))]" }
                if let m = o.mad { text += "; by the MAD rule \(m.count) (\(share(m.count)))" }
                lines.append(text)
            }
            if let i = found.impossible {
                lines.append("\(c.name): \(i.count) impossible value\(i.count == 1 ? "" : "s"), \(i.reason) (line \(i.line): \(i.example))")
            }
        }
        return lines
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
