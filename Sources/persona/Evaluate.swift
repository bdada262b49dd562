import ArgumentParser
import Foundation
import PersonaCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model on a data file.",
        discussion: """
        k-means: inertia (sum of squared distances to the centres), silhouette (on a
        seeded sample), Davies-Bouldin (lower is better), Calinski-Harabasz (higher
        is better) and the segment sizes, all in the model's feature space.

        Customer value (--holdout-end DATE): each customer's purchase days from
        the day after the model's calibration end to DATE, inclusive, against the
        model's expectation over that time: mae, rmse and their correlation, the
        mean actual and predicted purchases by calibration frequency (0 to 7+),
        and the cumulative purchases period by period.

        --report FILE.html writes one self-contained page with the model card, the
        metrics and the plots: ROC and precision-recall curves, gains, lift,
        calibration and the confusion matrix (classifiers); elbow, silhouette,
        segment profiles and a 2-D PCA projection (k-means); precision and recall
        at k against the popularity baseline and the popularity of recommended
        items (ALS); the tree diagram and feature importance (trees); the
        cumulative holdout purchases and the purchases by calibration frequency,
        actual against predicted (customer value).
        """
    )

    @Argument(help: "The model file.")
    var model: String

    @OptionGroup var input: DataInput

    @Flag(help: "Print one JSON object with snake_case metric keys.")
    var json = false

    @Option(name: .customLong("silhouette-sample"), help: "Rows sampled for the silhouette (it costs rows² distances).")
    var silhouetteSample: Int = 10_000

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "Classifiers: the probability above which a row is called positive (default: the model's, 0.5).")
    var threshold: Double?

    @Flag(help: "Trees: also compute permutation importance (the score lost when each column is shuffled).")
    var importance = false

    @Option(help: "Recommenders: the cut-off k of precision@k, recall@k, NDCG@k and MAP@k.")
    var k: Int = 10

    @Option(name: .customLong("holdout-end"), help: ArgumentHelp("Customer value: the last day of the holdout period after the calibration end (inclusive).", valueName: "date"))
    var holdoutEnd: String?

    @Option(help: ArgumentHelp("Also write a self-contained HTML report with the family's plots (inline SVG, opens offline).", valueName: "file.html"))
    var report: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if silhouetteSample < 2 { throw ValidationError("--silhouette-sample must be at least 2.") }
        if let t = threshold, !(t > 0 && t < 1) { throw ValidationError("--threshold must be between 0 and 1.") }
        if k < 1 { throw ValidationError("--k must be at least 1.") }
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        var options = EvaluationOptions(seed: seed, silhouetteSample: silhouetteSample, threshold: threshold, delimiter: try input.delimiterByte())
        options.importance = importance
        options.k = k
        options.holdoutEnd = holdoutEnd
        let result = try loaded.evaluate(path: try input.path(), options: options)
        if let report {
            let html = Report.html(model: loaded, modelPath: model, dataPath: try input.path(), evaluation: result, options: options)
            try AtomicOutput.write(html, to: report)
            Console.progress("wrote \(report)")
        }
        if json {
            try Console.json(result.metrics)
            return
        }
        print("\(model) on \(input.data):")
        print(result.text)
    }
}
