import ArgumentParser
import Foundation
import PersonaCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a model file holds: its card, pipeline and what was learned.",
        discussion: "The file is verified first: a truncated, corrupted or newer-format file is named as such."
    )

    @Argument(help: "The model file.")
    var model: String

    @Flag(help: "Print the model card as one JSON object.")
    var json = false

    @Flag(help: "Trees: print the whole tree as nested if-then rules in original units.")
    var rules = false

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        let card = loaded.card
        if rules {
            guard let text = (loaded as? any RuleExplaining)?.rules() else {
                throw PersonaError("\(model): a \(card.kind) model has no rules; --rules is for decision trees")
            }
            print(text)
            return
        }
        if json {
            print(try JSONText.encode(card, pretty: true))
            return
        }
        print("\(model): \(type(of: loaded).title) (kind \(card.kind))")
        print("format \(card.formatVersion), written by Persona \(card.toolVersion) on \(card.created)")
        print("trained on \(card.trainingData.file): \(card.trainingData.rows) rows, \(card.trainingData.columns) columns, fingerprint \(card.trainingData.hash)")
        if let h = card.hyperparameters.object {
            print("hyperparameters: " + h.keys.sorted().map { "\($0)=\(render(h[$0]!))" }.joined(separator: ", "))
        }
        print("")
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
        print(loaded.summary())
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
