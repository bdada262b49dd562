import ArgumentParser
import Foundation
import PersonaCore

extension KMeansAlgorithm: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model and save it to a model file.",
        subcommands: [TrainKMeans.self, TrainLogreg.self, TrainTree.self, TrainALS.self]
    )
}

struct TrainKMeans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmeans",
        abstract: "Segment customers with k-means.",
        discussion: """
        Features go through the fitted pipeline first: missing numbers take the
        median (plus a missing indicator), categories are one-hot encoded with a
        bucket for unseen levels, and numbers are standardised (unless --no-scale).

        Example:
          persona train kmeans --data customers.csv --k 5 --seed 7 --out models/segments.safetensors
        """
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @Option(help: "Number of segments (1 to the number of rows).")
    var k: Int

    @Option(name: .customLong("init"), help: ArgumentHelp("Starting centres: kmeans++, random, or a CSV file of centres with the feature columns in original units.", valueName: "kmeans++|random|FILE"))
    var initialization: String = "kmeans++"

    @Option(name: .customLong("max-iter"), help: "Most Lloyd iterations per run.")
    var maxIterations: Int = 300

    @Option(help: "Stop when the total squared centre shift falls to tol x the mean feature variance.")
    var tol: Double = 1e-4

    @Option(name: .customLong("n-init"), help: "Runs from different seeds; the lowest inertia wins.")
    var nInit: Int = 1

    @Option(help: "Random seed: the same data, options and seed give the same model file.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("no-scale"), help: "Do not standardise numeric features.")
    var noScale = false

    @Option(help: "auto (Hamerly from k = 8), lloyd or hamerly: the same result, found faster or slower; minibatch: streams the file in passes, for data larger than memory.")
    var algorithm: KMeansAlgorithm = .auto

    @Option(name: .customLong("batch-size"), help: "With --algorithm minibatch: rows per batch.")
    var batchSize: Int = 4096

    @Option(help: "With --algorithm minibatch: passes over the file (stops early when the centres settle).")
    var passes: Int = 5

    @Option(help: ArgumentHelp("Where to write the model file.", valueName: "model"))
    var out: String

    @OptionGroup var verbosity: Verbosity

    var config: KMeansConfig {
        var c = KMeansConfig(k: k)
        c.initialization = KMeansInit(argument: initialization)
        c.maxIterations = maxIterations
        c.tolerance = tol
        c.restarts = nInit
        c.seed = seed
        c.standardize = !noScale
        c.algorithm = algorithm
        return c
    }

    func validate() throws {
        if maxIterations < 1 { throw ValidationError("--max-iter must be at least 1.") }
        if !(tol >= 0) { throw ValidationError("--tol must be >= 0.") }
        if nInit < 1 { throw ValidationError("--n-init must be at least 1.") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
        if passes < 1 { throw ValidationError("--passes must be at least 1.") }
        if algorithm == .minibatch, initialization != "kmeans++" && initialization != "random" {
            throw ValidationError("--algorithm minibatch starts from k-means++ on a sample; --init FILE is for the other algorithms.")
        }
    }

    func run() throws {
        verbosity.apply()
        let start = Date()
        let model = algorithm == .minibatch
            ? try MiniBatchKMeans.train(path: input.data, config: config, selection: featureOptions.selection, batchSize: batchSize,
                                        passes: passes, delimiter: try input.delimiterByte(), progress: Console.progress)
            : try KMeansModel.train(path: input.data, config: config, selection: featureOptions.selection,
                                    delimiter: try input.delimiterByte(), progress: Console.progress)
        try ModelStore.save(model, to: out)
        let m = model.card.trainingMetrics
        print("trained kmeans: k=\(model.k), \(model.card.trainingData.rows) rows, \(model.card.pipeline.width) features")
        print("inertia \(formatNumber(m["inertia"]?.double ?? .nan)) after \(m["iterations"]?.int ?? 0) iterations\(m["converged"] == .bool(true) ? "" : " (not converged)")")
        print("segment sizes: " + model.clusterSizes.map(String.init).joined(separator: ", "))
        print("wrote \(out)")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
