import ArgumentParser
import Foundation
import PersonaCore

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

        """ + HyperparameterFlags.help(KMeansConfig.self)
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @Option(help: ArgumentHelp("Where to write the model file.", valueName: "model"))
    var out: String

    @OptionGroup var verbosity: Verbosity

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    func config() throws -> KMeansConfig { try HyperparameterFlags.parse(parameters) }

    func validate() throws { _ = try config() }

    func run() throws {
        verbosity.apply()
        let start = Date()
        let model = try KMeansModel.train(path: input.data, config: try config(), selection: featureOptions.selection,
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
