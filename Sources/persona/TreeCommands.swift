import ArgumentParser
import Foundation
import PersonaCore

/// Decision trees at the command line: train, and the pruning path.
enum TreeCommands: FamilyCommands {
    typealias Model = TreeModel
    static let abstract = "Explain behaviour with a decision tree (CART) whose rules a marketer can read."
    static let discussion = """
        Numbers are cut into quantile bins and split by histograms; categories are
        split natively (levels ordered by their target statistic); missing values
        go the way each split learned. `persona inspect MODEL --rules` prints the
        rules in original units.

        Example:
          persona train tree --data churn.csv --target churned --max-depth 4 --out models/churn-tree.safetensors

        """

    static func summary(_ m: TreeModel) -> [String] {
        let t = m.card.trainingMetrics
        let score = t["accuracy"].map { "training accuracy \(formatNumber($0.double ?? .nan, digits: 4))" }
            ?? "training R² \(formatNumber(t["r2"]?.double ?? .nan, digits: 4))"
        return ["trained tree: \(m.task.rawValue), depth \(m.depth), \(m.leaves) leaves; \(score)"]
    }

    static let tune: ParsableCommand.Type? = TuneTree.self
}

struct TuneTree: TakesHyperparameters {
    typealias Config = TreeConfig

    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "List the cost-complexity pruning path: for each alpha, the leaves left and the held-out score.",
        discussion: "Grows a tree on a seeded part of the data and scores each pruned tree on the rest.\n\nExample:\n  persona tune tree --data churn.csv --target churned --max-depth 8\n"
            + HyperparameterFlags.help(TreeConfig.self)
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @Option(name: .customLong("test-fraction"), help: "Share of rows held out for scoring.")
    var testFraction: Double = 0.25

    @Option(help: "Seed for the held-out split.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    func validate() throws {
        _ = try config()
        if !(testFraction > 0 && testFraction < 1) { throw ValidationError("--test-fraction must be between 0 and 1.") }
    }

    func run() throws {
        verbosity.apply()
        let r = try TreeModel.pruningPath(path: try input.path(), config: try config(), selection: featureOptions.selection,
                                          testFraction: testFraction, seed: seed, delimiter: try input.delimiterByte())
        if json {
            try Console.json(.object([
                "path": .array(r.steps.map { .object(["ccp_alpha": .number($0.alpha), "leaves": .number(Double($0.leaves)), r.metric: .number($0.score)]) }),
                "best_ccp_alpha": .number(r.steps[r.best].alpha), "metric": .string(r.metric)]))
            return
        }
        print("     ccp_alpha  leaves  held-out \(r.metric)")
        // Long paths: show every step near the best and a sample of the rest.
        for (i, s) in r.steps.enumerated() where r.steps.count <= 40 || abs(i - r.best) <= 5 || i % max(1, r.steps.count / 20) == 0 {
            print(formatNumber(s.alpha, digits: 4).leftPadded(14) + String(s.leaves).leftPadded(8) + formatNumber(s.score, digits: 5).leftPadded(18) + (i == r.best ? "  ◀ best" : ""))
        }
        print("\nbest: --ccp-alpha \(formatNumber(r.steps[r.best].alpha, digits: 4)) (\(r.steps[r.best].leaves) leaves, held-out \(r.metric) \(formatNumber(r.steps[r.best].score, digits: 5)))")
    }
}
