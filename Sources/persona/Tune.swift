import ArgumentParser
import Foundation
import PersonaCore

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare settings of a model family on the same data.",
        subcommands: [TuneKMeans.self, TuneTree.self]
    )
}

struct TuneKMeans: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmeans",
        abstract: "Choose the number of segments: fit each k and compare inertia, silhouette, Davies-Bouldin and Calinski-Harabasz.",
        discussion: """
        The recommended k has the highest silhouette (on a seeded sample); the
        elbow of the inertia curve is shown alongside.

        Example:
          persona tune kmeans --data customers.csv --k 2-10 --seed 7
        """
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @Option(help: ArgumentHelp("The values of k: a range such as 2-12, or a list such as 3,5,8.", valueName: "range"))
    var k: String = "2-10"

    @Option(name: .customLong("n-init"), help: "k-means++ runs per k; the lowest inertia wins.")
    var nInit: Int = 3

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("silhouette-sample"), help: "Rows sampled for the silhouette.")
    var silhouetteSample: Int = 5000

    @Flag(name: .customLong("no-scale"), help: "Do not standardise numeric features.")
    var noScale = false

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    func ks() throws -> [Int] {
        if let dash = k.firstIndex(of: "-"), let a = Int(k[..<dash]), let b = Int(k[k.index(after: dash)...]), a <= b {
            return Array(a...b)
        }
        let list = k.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if list.isEmpty || list.count != k.split(separator: ",").count {
            throw ValidationError("--k must be a range such as 2-12 or a list such as 3,5,8 (got \"\(k)\").")
        }
        return list.sorted()
    }

    func validate() throws {
        let values = try ks()
        if values.contains(where: { $0 < 1 }) { throw ValidationError("every k must be at least 1.") }
        if nInit < 1 { throw ValidationError("--n-init must be at least 1.") }
        if silhouetteSample < 2 { throw ValidationError("--silhouette-sample must be at least 2.") }
    }

    func run() throws {
        verbosity.apply()
        let values = try ks()
        var base = KMeansConfig(k: values.last!)
        base.seed = seed; base.restarts = nInit; base.standardize = !noScale
        let (_, pipeline, x) = try FeaturePipeline.profileAndFit(path: input.data, selection: featureOptions.selection,
                                                                 standardize: !noScale, delimiter: try input.delimiterByte(),
                                                                 check: { try base.validate(rows: $0.rows) })
        let report = try KMeansTuning.run(x: x, ks: values, base: base, silhouetteSample: silhouetteSample, progress: Console.progress)
        if json {
            try Console.json(report.json)
            return
        }
        print("\(input.data): \(x.rows) rows, \(pipeline.width) features")
        print(report.text)
    }
}
