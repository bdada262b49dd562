import ArgumentParser
import Foundation
import PersonaCore

extension BatchScorer.Format: ExpressibleByArgument {}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every row of a CSV file with a saved model.",
        discussion: """
        Streams the input in blocks through the model's fitted pipeline on every
        core, in constant memory, so files larger than memory work; rows come out
        in input order. The output file appears only when every row has been
        scored. A bad row (a ragged row, a number that is not one) stops the run
        with its line and column named; with --on-error skip such rows go to a
        reject file instead, with their line and reason, and are counted.

        k-means writes `segment` and `distance` (Euclidean, in the model's
        standardised feature space) per row. Logistic regression writes
        `probability` (of the positive class), `predicted` (the class at the
        threshold) and `risk_decile` (1 = the riskiest tenth of the training
        customers); --top N keeps the N riskiest rows, riskiest first.
        """
    )

    @Argument(help: "The model file.")
    var model: String

    @OptionGroup var input: DataInput

    @Option(help: ArgumentHelp("Where to write the scores.", valueName: "file"))
    var out: String

    @Option(help: "csv, or jsonl (one JSON object per row).")
    var format: BatchScorer.Format = .csv

    @Option(name: .customLong("on-error"), help: "fail on the first bad row (default), or skip bad rows into a reject file.")
    var onError: OnError = .fail

    @Option(help: ArgumentHelp("With --on-error skip: the reject file (default: the output's name with .rejects.csv).", valueName: "file"))
    var rejects: String?

    @Option(name: .customLong("id"), help: ArgumentHelp("Column(s) to carry into the output, comma-separated (default: the first column if it is an id).", valueName: "col"))
    var id: [String] = []

    @Option(help: "Classifiers: the probability above which a row is predicted positive (default: the model's).")
    var threshold: Double?

    @Option(help: "Classifiers: keep only the N riskiest rows, riskiest first.")
    var top: Int?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if let t = threshold, !(t > 0 && t < 1) { throw ValidationError("--threshold must be between 0 and 1.") }
        if let n = top, n < 1 { throw ValidationError("--top must be at least 1.") }
        if rejects != nil && onError != .skip { throw ValidationError("--rejects goes with --on-error skip.") }
        if out == "-" && onError == .skip && rejects == nil {
            throw ValidationError("With --out - (standard output), --on-error skip needs --rejects FILE for the rows set aside.")
        }
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        if loaded is any Recommending {
            throw PersonaError("\(model): is a \(loaded.card.kind) recommender, which scores users against items; use `persona recommend \(model) --all-users --top N --out FILE`")
        }
        let start = Date()
        let ids = id.isEmpty ? nil : id.flatMap(splitList)
        let settings = BatchScorer.Settings(idColumns: ids, options: ScoreOptions(threshold: threshold, top: top),
                                            delimiter: try input.delimiterByte(), format: format,
                                            skipBadRows: onError == .skip, rejects: rejects)
        let summary = try BatchScorer.score(model: loaded, input: try input.path(), output: out, settings: settings)
        let seconds = Date().timeIntervalSince(start)
        Console.wrote("scored \(summary.rows) rows -> \(out) (\(summary.columns.joined(separator: ",")))", dataOnStandardOutput: out == "-")
        if let path = summary.rejectsPath {
            Console.wrote("skipped \(summary.rejected) bad row\(summary.rejected == 1 ? "" : "s") -> \(path)", dataOnStandardOutput: out == "-")
        }
        Console.progress(String(format: "%.2f s, %.0f rows/s", seconds, Double(summary.rows) / max(seconds, 1e-9)))
    }
}
