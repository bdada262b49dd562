import ArgumentParser
import Foundation
import PersonaCore

/// A family at the command line, declared once: its model type, the words of
/// `persona train FAMILY --help`, which inputs it reads besides the data, and
/// the lines printed after training. `persona train FAMILY` is then the one
/// generic command (`TrainCommand`), with the family's hyperparameters as flags
/// from its declared table; `persona cv FAMILY` comes from the core's registry.
/// Optionally a `persona tune FAMILY` and commands of its own (`persona recommend`).
protocol FamilyCommands {
    associatedtype Model: TrainableModel
    /// One line for `persona train --help` and the top of the command's help.
    static var abstract: String { get }
    /// The paragraphs and example before the option table.
    static var discussion: String { get }
    /// Whether the family trains on feature columns (`--features`, `--exclude`).
    static var selectsFeatures: Bool { get }
    /// The help of `--validation FILE`, for a family that can stop early on a
    /// file of its own; nil for the others, which do not take it.
    static var validationHelp: String? { get }
    /// A file the configuration names to train from instead of `--data` (a
    /// summary table), or nil.
    static func dataFile(_ config: Model.Config) -> String?
    /// Whether `--data` may be left out (the options name the file instead).
    static var dataIsOptional: Bool { get }
    /// Fits the model (the default reads the data file and calls the family's `train`).
    static func train(_ run: TrainingRun<Model.Config>) throws -> Model
    /// What `persona train FAMILY` prints about the trained model, before "wrote FILE".
    static func summary(_ model: Model) -> [String]
    static var tune: ParsableCommand.Type? { get }
    static var others: [ParsableCommand.Type] { get }
}

/// What one `persona train` run asks for.
struct TrainingRun<Config: Hyperparameters> {
    var path: String
    var validation: String?
    var config: Config
    var selection: ColumnSelection
    var delimiter: UInt8
}

extension FamilyCommands {
    static var selectsFeatures: Bool { true }
    static var validationHelp: String? { nil }
    static var tune: ParsableCommand.Type? { nil }
    static var others: [ParsableCommand.Type] { [] }
    static func dataFile(_ config: Model.Config) -> String? { nil }
    static var dataIsOptional: Bool { false }
    static var train: ParsableCommand.Type { TrainCommand<Self>.self }

    static func train(_ run: TrainingRun<Model.Config>) throws -> Model {
        try Model.train(path: run.path, config: run.config, selection: run.selection, delimiter: run.delimiter, progress: Console.progress)
    }
}

/// The families' commands, in the order `--help` lists them: a new family adds one line.
let familyCommands: [any FamilyCommands.Type] = [
    KMeansCommands.self,
    LogregCommands.self,
    TreeCommands.self,
    GBDTCommands.self,
    ALSCommands.self,
    UpliftCommands.self,
    RulesCommands.self,
    ValueCommands.self,
]

/// `persona train FAMILY`, the same for every family.
struct TrainCommand<F: FamilyCommands>: TakesHyperparameters {
    typealias Config = F.Model.Config

    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: F.Model.kind, abstract: F.abstract, usage: usage,
                             discussion: F.discussion + HyperparameterFlags.help(Config.self))
    }

    /// The usage line: what every run needs (the family's required options
    /// included, which the generic parser cannot see), then what it may add.
    static var usage: String {
        let required = Config.parameters.filter(\.isRequired).map { "\($0.flag) <\($0.valueName)>" }
        var parts = ["persona train \(F.Model.kind)", F.dataIsOptional ? "[--data <file>]" : "--data <file>"] + required + ["--out <model>"]
        if F.selectsFeatures { parts.append("[--features <a,b,...> | --exclude <x,y,...>]") }
        if F.validationHelp != nil { parts.append("[--validation <file>]") }
        parts += ["[--delimiter <char>]", "[<model options>]", "[--quiet]", "[--progress]"]
        return parts.joined(separator: " ")
    }

    @OptionGroup var input: TrainingDataInput
    @OptionGroup(visibility: F.selectsFeatures ? .default : .private) var featureOptions: FeatureOptions

    @Option(help: ArgumentHelp(F.validationHelp ?? "", valueName: "file", visibility: F.validationHelp != nil ? .default : .private))
    var validation: String?

    @OptionGroup var output: ModelOutput

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    func validate() throws {
        if !F.selectsFeatures, let flag = featureOptions.features != nil ? "--features" : featureOptions.exclude != nil ? "--exclude" : nil {
            throw ValidationError("Unknown option '\(flag)': `persona train \(F.Model.kind)` reads the columns its options name, not feature columns.")
        }
        if F.validationHelp == nil, validation != nil {
            throw ValidationError("Unknown option '--validation': `persona train \(F.Model.kind)` does not stop early on a file of its own.")
        }
        let named = F.dataFile(try config())
        if input.data == nil && named == nil { throw ValidationError("Missing expected argument '--data <file>'") }
        if input.data != nil && named != nil {
            throw ValidationError("Give --data (the data to train on) or the file the options name (\(named!)), not both.")
        }
    }

    func run() throws {
        output.verbosity.apply()
        let start = Date()
        let config = try config()
        try AtomicOutput.check(output.out)
        let path = try Inputs.resolve(input.data ?? F.dataFile(config)!)
        let run = TrainingRun(path: path, validation: try validation.map { try Inputs.resolve($0) }, config: config,
                              selection: featureOptions.selection, delimiter: try input.delimiterByte(for: path))
        let model = try F.train(run)
        try ModelStore.save(model, to: output.out)
        for line in F.summary(model) { print(line) }
        print("wrote \(output.out)")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
