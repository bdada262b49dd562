import ArgumentParser
import Foundation
import PersonaCore

enum ExportFormat: String, ExpressibleByArgument, CaseIterable { case onnx, sql }
extension SQLDialect: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a model for serving: ONNX (every family but association rules) or SQL for SQLite, PostgreSQL, DuckDB or Spark (every family but ALS).",
        discussion: """
        ONNX: one graph with the fitted feature pipeline inside, so the consumer
        feeds raw columns by name (numbers as float [N,1] with NaN for missing,
        categories and yes/no columns as string [N,1]). Logistic regression gives
        `label` and `probabilities`; a tree `label` and `probabilities` (or
        `predicted` for regression); k-means `segment` and `distance`; ALS takes
        `user_id` [N] and gives `top_items`, `top_scores` and every item's
        `scores`. The inputs and outputs are printed, and stored in the file's
        metadata with the model card.

        SQL: one SELECT over a table of raw columns (--table) that adds the
        prediction columns; NULL means missing. --dialect picks the engine
        (sqlite, the default, postgres, duckdb or spark): they differ in quoting,
        literal types and text casts. Numeric columns must have a numeric type
        in the table (integer, decimal or double); any other column may be text
        or, for a yes/no column, BOOLEAN.

        Association rules export to SQL only: two tables (persona_rules, one row
        per rule with its measures, and persona_rule_items, one row per rule and
        item), created and filled, then a query that suggests items for every
        basket of --table (one row per basket and item, in the columns the model
        was trained on), as `persona score` does.
        """
    )

    @Argument(help: "The model file.")
    var model: String

    @Option(help: "onnx or sql.")
    var format: ExportFormat

    @Option(help: ArgumentHelp("Where to write the export.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("SQL: the table that holds the raw columns.", valueName: "name"))
    var table: String?

    @Option(help: "SQL: the engine the SELECT is written for: sqlite, postgres, duckdb or spark.")
    var dialect: SQLDialect?

    @Option(help: "ALS: how many items the ONNX graph ranks per user.")
    var top: Int = 10

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if format == .sql && (table ?? "").isEmpty { throw ValidationError("--format sql needs --table NAME, the table of raw columns the SELECT reads.") }
        if format == .onnx && table != nil { throw ValidationError("--table goes with --format sql.") }
        if format == .onnx && dialect != nil { throw ValidationError("--dialect goes with --format sql.") }
        if top < 1 { throw ValidationError("--top must be at least 1.") }
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        switch format {
        case .onnx:
            let (data, interface) = try ONNXExport.export(loaded, top: top)
            try AtomicOutput.write(bytes: [UInt8](data), to: out)
            Console.wrote("wrote \(out) (ONNX, \(data.count) bytes)", dataOnStandardOutput: out == "-")
            print("inputs:")
            for i in interface.inputs { print("  \(i.name): \(i.doc)") }
            print("outputs:")
            for o in interface.outputs { print("  \(o.name): \(o.doc)") }
        case .sql:
            let dialect = dialect ?? .sqlite
            try AtomicOutput.write(try SQLExport.export(loaded, table: table!, dialect: dialect), to: out)
            Console.wrote("wrote \(out) (SQL for \(dialect.engine), reading \(table!))", dataOnStandardOutput: out == "-")
        }
    }
}
