import ArgumentParser
import Foundation
import PersonaCore

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score every row of a CSV file with a saved model.",
        discussion: """
        Streams the input in chunks through the model's fitted pipeline, so files
        larger than memory work. The output file appears only when every row has
        been scored; a bad row stops the run with its line and column named.

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

    @Option(help: ArgumentHelp("Where to write the scores (CSV).", valueName: "file"))
    var out: String

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
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        if loaded is ALSModel {
            throw PersonaError("\(model): is an ALS recommender, which scores users against items; use `persona recommend \(model) --all-users --top N --out FILE`")
        }
        let start = Date()
        let ids = id.isEmpty ? nil : id.flatMap(splitList)
        let summary = try BatchScorer.score(model: loaded, input: input.data, delimiter: try input.delimiterByte(),
                                            idColumns: ids, output: out, options: ScoreOptions(threshold: threshold, top: top))
        let seconds = Date().timeIntervalSince(start)
        print("scored \(summary.rows) rows -> \(out) (\(summary.columns.joined(separator: ",")))")
        Console.progress(String(format: "%.2f s, %.0f rows/s", seconds, Double(summary.rows) / max(seconds, 1e-9)))
    }
}
