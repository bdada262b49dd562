import ArgumentParser
import Foundation
import PersonaCore

/// k-means segmentation at the command line: train, tune k, profile and name segments.
enum KMeansCommands: FamilyCommands {
    typealias Model = KMeansModel
    static let abstract = "Segment customers with k-means."
    static let discussion = """
        Features go through the fitted pipeline first: missing numbers take the
        median (plus a missing indicator), categories are one-hot encoded with a
        bucket for unseen levels, and numbers are standardised (unless --no-scale).

        Example:
          persona train kmeans --data customers.csv --k 5 --seed 7 --out models/segments.safetensors

        """

    static func summary(_ model: KMeansModel) -> [String] {
        let m = model.card.trainingMetrics
        return ["trained kmeans: k=\(model.k), \(model.card.trainingData.rows) rows, \(model.card.pipeline.width) features",
                "inertia \(formatNumber(m["inertia"]?.double ?? .nan)) after \(m["iterations"]?.int ?? 0) iterations\(m["converged"] == .bool(true) ? "" : " (not converged)")",
                "segment sizes: " + model.clusterSizes.map(String.init).joined(separator: ", ")]
    }

    static let tune: ParsableCommand.Type? = TuneKMeans.self
    static let others: [ParsableCommand.Type] = [Profile.self, Label.self]
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
        let (_, pipeline, x) = try FeaturePipeline.profileAndFit(path: try input.path(), selection: featureOptions.selection,
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

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Describe each segment of a k-means model in plain terms.",
        discussion: """
        For each segment: its size and share, its means in original units, the
        features that most set it apart from the whole base (difference in
        standard deviations, with direction), the mix of each categorical
        column, and short tags. Name a segment with `persona label`.

        Example:
          persona profile models/segments.safetensors --data customers.csv
        """
    )

    @Argument(help: "The k-means model file.")
    var model: String

    @OptionGroup var input: DataInput

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Also write one row per segment to this CSV file.", valueName: "file"))
    var csv: String?

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let m = try ModelStore.load(path: model, as: KMeansModel.self, forCommand: "persona profile")
        let profiles = try SegmentProfiles.compute(model: m, path: try input.path(), delimiter: try input.delimiterByte())
        if let csv { try profiles.writeCSV(to: csv) }
        if json { try Console.json(profiles.json); return }
        print("\(model) on \(input.data): \(profiles.rows) rows in \(m.k) segments\n")
        print(profiles.text)
        if let csv { print("wrote \(csv)") }
    }
}

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Name a segment of a k-means model; the name appears in `score` output and the model card.",
        discussion: "Example:\n  persona label models/segments.safetensors --segment 3 --name \"Loyal big spenders\""
    )

    @Argument(help: "The k-means model file (rewritten in place, atomically).")
    var model: String

    @Option(help: "The segment number, as shown by `persona profile`.")
    var segment: Int

    @Option(help: "The name (empty to remove it).")
    var name: String

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        var m = try ModelStore.load(path: model, as: KMeansModel.self, forCommand: "persona label")
        try m.setName(name, segment: segment)
        try ModelStore.rewrite(m, at: model)
        print(name.trimmingCharacters(in: .whitespaces).isEmpty ? "segment \(segment) has no name now" : "segment \(segment) is now \"\(name)\"")
    }
}
