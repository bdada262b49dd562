import ArgumentParser
import Foundation
import PersonaCore

struct CV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "Cross-validate a model: each metric's mean and standard deviation over folds.",
        subcommands: ModelRegistry.rowFamilies.map { crossValidationCommand($0) }
    )
}

func crossValidationCommand<M: RowModel>(_ family: M.Type) -> ParsableCommand.Type { CrossValidate<M>.self }

/// `persona cv FAMILY`: seeded k-fold cross-validation of any family that
/// trains on rows, with the family's own options. The data is read once;
/// folds are sets of rows in memory.
struct CrossValidate<M: RowModel>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: M.kind,
            abstract: "Seeded k-fold cross-validation of \(M.title).",
            discussion: """
            Each fold fits its own pipeline and model on the other folds' rows and is
            scored on its own rows. Classifiers keep each class's share in every fold.
            --seed sets the fold assignment (and the model's own seed where it has one).

            Example:
              persona cv \(M.kind) --data FILE --folds 5 --seed 1 ...

            """ + HyperparameterFlags.help(M.Config.self)
        )
    }

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @Option(help: "Number of folds.")
    var folds: Int = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    /// The fold seed and the model's flags: `--seed` sets the folds, and is also
    /// the model's seed when the family declares one.
    func settings() throws -> (seed: UInt64, config: M.Config) {
        var rest: [String] = []
        var seed: UInt64 = 0
        var i = 0
        while i < parameters.count {
            let t = parameters[i]
            if t == "--seed" || t.hasPrefix("--seed=") {
                let text: String
                if t == "--seed" {
                    guard i + 1 < parameters.count else { throw ValidationError("Missing value for '--seed <S>'.") }
                    text = parameters[i + 1]
                    i += 1
                } else {
                    text = String(t.dropFirst("--seed=".count))
                }
                guard let v = UInt64(text) else { throw ValidationError("--seed expects a whole number of 0 or more (got \"\(text)\").") }
                seed = v
                if M.Config.parameter("seed") != nil { rest += ["--seed", text] }
            } else {
                rest.append(t)
            }
            i += 1
        }
        return (seed, try HyperparameterFlags.parse(rest))
    }

    func validate() throws {
        _ = try settings()
        if folds < 2 { throw ValidationError("--folds must be at least 2.") }
    }

    func run() throws {
        verbosity.apply()
        let (seed, config) = try settings()
        let start = Date()
        let data = try TrainingSet.read(path: try input.path(), delimiter: try input.delimiterByte())
        Console.progress("read \(data.rows) rows in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        var options = EvaluationOptions(seed: seed, delimiter: try input.delimiterByte())
        options.silhouetteSample = 5000
        let report = try CrossValidation.run(M.self, data: data, config: config, selection: featureOptions.selection,
                                             folds: folds, seed: seed, options: options, progress: Console.progress)
        if json {
            try Console.json(report.json)
            return
        }
        print("\(folds)-fold cross-validation of \(M.title) on \(input.data)")
        print("metric".padding(toLength: 20, withPad: " ", startingAt: 0) + "mean".leftPadded(12) + "std".leftPadded(10) + "  better")
        for key in report.metricKeys {
            guard let m = report.summary[key]?["mean"]?.double, let s = report.summary[key]?["std"]?.double else { continue }
            let better = report.summary[key]?["higher_is_better"] == .bool(true) ? "higher" : "lower"
            print(key.padding(toLength: 20, withPad: " ", startingAt: 0) + formatNumber(m, digits: 4).leftPadded(12)
                  + formatNumber(s, digits: 3).leftPadded(10) + "  " + better)
        }
    }
}
