import ArgumentParser
import Foundation
import PersonaCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model file holds: its card, pipeline and what was learned.",
        discussion: """
        The file is verified first: a truncated, corrupted or newer-format file is named as such.

        Association rules: --rules prints the rules, best first by --sort (lift by
        default), --top N of them; --json prints them as JSON objects; --out
        FILE.csv|.parquet writes every rule (antecedent and consequent as JSON
        arrays of item names, then every measure, infinite conviction as inf).
        --itemsets does the same for the frequent itemsets (itemset, support, count).
        """
    )

    @Argument(help: "The model file.")
    var model: String

    @Flag(help: "Print the model card as one JSON object.")
    var json = false

    @Flag(help: "Trees: print the whole tree as nested if-then rules in original units. Association rules: list the rules.")
    var rules = false

    @Flag(help: "Association rules: list the frequent itemsets.")
    var itemsets = false

    @Option(help: "Association rules: the measure --rules sorts by, largest first: \(RuleSort.allCases.map(\.rawValue).joined(separator: ", ")).")
    var sort: RuleSort = .lift

    @Option(help: "Association rules: list only the first N.")
    var top: Int?

    @Option(help: ArgumentHelp("Association rules: write the whole list (or --top N) to a CSV or Parquet file.", valueName: "file"))
    var out: String?

    func validate() throws {
        if rules && itemsets { throw ValidationError("Give --rules or --itemsets, not both.") }
        if let n = top, n < 1 { throw ValidationError("--top must be at least 1.") }
        if out != nil && !rules && !itemsets { throw ValidationError("--out goes with --rules or --itemsets.") }
        if sort != .lift && !rules { throw ValidationError("--sort orders the rules: it goes with --rules.") }
        if top != nil && !rules && !itemsets { throw ValidationError("--top goes with --rules or --itemsets.") }
        if out != nil && json { throw ValidationError("--json prints the list; --out writes it to a file: give one.") }
    }

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        let card = loaded.card
        if let tables = loaded as? any RuleTables, rules || itemsets {
            let table = rules ? tables.ruleTable(sort: sort, top: top) : tables.itemsetTable(top: top)
            try show(table)
            return
        }
        if itemsets { throw ValidationError("\(model) is a \(card.kind) model, which has no itemsets; --itemsets is for association rules") }
        if out != nil || top != nil { throw ValidationError("--out and --top list the rules of association rules models; \(model) is a \(card.kind) model") }
        if rules {
            guard let text = (loaded as? any RuleExplaining)?.rules() else {
                throw PersonaError("\(model): a \(card.kind) model has no rules; --rules is for decision trees and association rules")
            }
            print(text)
            return
        }
        if json {
            guard let facts = (loaded as? any InspectionFacts)?.inspectionFacts(), case .object(let extra) = facts,
                  case .object(var object) = try JSONText.decode(JSONValue.self, from: try JSONText.encode(card)) else {
                print(try JSONText.encode(card, pretty: true))
                return
            }
            // What the text shows, as plain numbers beside the card's keys.
            for (k, v) in extra { object[k] = v }
            print(try JSONText.encode(JSONValue.object(object), pretty: true))
            return
        }
        print("\(model): \(type(of: loaded).title) (kind \(card.kind))")
        print("format \(card.formatVersion), written by Persona \(card.toolVersion) on \(card.created)")
        print("trained on \(card.trainingData.file): \(card.trainingData.rows) rows, \(card.trainingData.columns) columns, fingerprint \(card.trainingData.hash)")
        if let h = card.hyperparameters.object {
            print("hyperparameters: " + h.keys.sorted().map { "\($0)=\(render(h[$0]!))" }.joined(separator: ", "))
        }
        print("")
        if !card.pipeline.columns.isEmpty {
            print("feature pipeline (\(card.pipeline.standardize ? "standardised" : "unscaled")):")
            for c in card.pipeline.columns {
                switch c.type {
                case .categorical:
                    let levels = c.levels ?? []
                    print("  \(c.name): categorical, \(levels.count) levels + <other>; " + ((loaded as? any RowScoring)?.readsRawValues == true ? "split by level sets" : "one-hot; missing -> \(c.fillValue ?? "")"))
                default:
                    var text = "  \(c.name): \(c.type.rawValue); " + (c.median.map { "missing -> median \(formatNumber($0))" } ?? "missing values routed by the model")
                    if c.missingIndicator { text += " (+ indicator)" }
                    if card.pipeline.standardize { text += "; centre \(formatNumber(c.center)), scale \(formatNumber(c.scale))" }
                    print(text)
                }
            }
            print("")
        }
        print(loaded.summary())
    }
}

extension RuleSort: ExpressibleByArgument {}

extension Inspect {
    /// A rule or itemset table: to a file, as JSON objects, or aligned for a terminal.
    func show(_ table: (header: [String], rows: [[String]])) throws {
        if let out {
            let w = try CSVWriter(path: out)
            do {
                w.row(table.header)
                for r in table.rows { w.row(r) }
                try w.commit()
            } catch { w.abandon(); throw error }
            Console.wrote("wrote \(out): \(table.rows.count) \(rules ? "rules" : "itemsets")", dataOnStandardOutput: out == "-")
            return
        }
        if json {
            // The JSON arrays of item names stay arrays; numbers stay numbers (inf as a string).
            let objects = table.rows.map { row in
                "{" + zip(table.header, row).map { k, v in
                    let value = v.hasPrefix("[") ? v : (Double(v).map { $0.isFinite ? v : "\"\(v)\"" } ?? "\"\(v)\"")
                    return "\"\(k)\":\(value)"
                }.joined(separator: ",") + "}"
            }
            print("[" + objects.joined(separator: ",\n ") + "]")
            return
        }
        if table.rows.isEmpty { print("(none)"); return }
        // Item lists as "a + b"; numbers to 4 significant digits.
        let shown = table.rows.map { row in row.map { v -> String in
            if v.hasPrefix("["), let names = try? JSONSerialization.jsonObject(with: Data(v.utf8)) as? [String] { return names.joined(separator: " + ") }
            if let d = Double(v), v.contains(".") { return formatNumber(d, digits: 4) }
            return v
        } }
        let columns = rules ? ["antecedent", "consequent", "support", "confidence", "lift", "leverage", "conviction", "count"] : table.header
        let picks = columns.compactMap { table.header.firstIndex(of: $0) }
        let widths = picks.map { j in max(table.header[j].count, shown.map { $0[j].count }.max() ?? 0) }
        print(zip(picks, widths).map { j, w in table.header[j].padding(toLength: w, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        for row in shown {
            print(zip(picks, widths).map { j, w in j < 2 ? row[j].padding(toLength: w, withPad: " ", startingAt: 0) : row[j].leftPadded(w) }.joined(separator: "  "))
        }
    }
}

func render(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let d): return formatNumber(d, digits: 6)
    case .string(let s): return s
    case .array(let a): return "[" + a.map(render).joined(separator: ", ") + "]"
    case .object(let o): return "{" + o.keys.sorted().map { "\($0): \(render(o[$0]!))" }.joined(separator: ", ") + "}"
    }
}
