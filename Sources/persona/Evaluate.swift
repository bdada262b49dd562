import ArgumentParser
import Foundation
import PersonaCore

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model on a data file.",
        discussion: """
        k-means: inertia (sum of squared distances to the centres), silhouette (on a
        seeded sample), Davies-Bouldin (lower is better), Calinski-Harabasz (higher
        is better) and the segment sizes, all in the model's feature space.
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

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if silhouetteSample < 2 { throw ValidationError("--silhouette-sample must be at least 2.") }
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        let (x, _) = try loaded.card.pipeline.transform(path: input.data, delimiter: try input.delimiterByte())
        let metrics = try loaded.evaluate(x, file: input.data, options: EvaluationOptions(seed: seed, silhouetteSample: silhouetteSample))
        if json {
            try Console.json(metrics)
            return
        }
        print("\(model) on \(input.data): \(x.rows) rows")
        guard let o = metrics.object else { return }
        let order = ["inertia", "silhouette", "davies_bouldin", "calinski_harabasz"]
        for key in order + o.keys.sorted().filter({ !order.contains($0) && !["kind", "rows", "cluster_sizes"].contains($0) }) {
            if let v = o[key] { print(pad(key, 20) + render(v)) }
        }
        if let sizes = o["cluster_sizes"]?.array {
            let total = max(1, sizes.compactMap(\.int).reduce(0, +))
            let widest = max(1, sizes.compactMap(\.int).max() ?? 1)
            print("segment sizes:")
            for (i, s) in sizes.compactMap(\.int).enumerated() {
                let bar = String(repeating: "█", count: Int((Double(s) / Double(widest) * 30).rounded()))
                print("  \(lpad(String(i), 3))  \(lpad(String(s), 8))  \(lpad(formatNumber(Double(s) / Double(total) * 100, digits: 3), 5))%  \(bar)")
            }
        }
    }
}
