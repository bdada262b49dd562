import ArgumentParser
import Foundation
import PersonaCore

/// A family's hyperparameters as command-line flags, made from its declared
/// table: `--` and the key with dashes, `--flag` / `--no-flag` for a switch,
/// `--key VALUE` or `--key=VALUE` otherwise. A command collects the flags it
/// does not declare itself (`@Argument(parsing: .allUnrecognized)`) and hands
/// them here.
enum HyperparameterFlags {
    /// The configuration the flags describe, checked against every constraint.
    /// Errors are usage errors naming the flag.
    static func parse<Config: Hyperparameters>(_ args: [String], as type: Config.Type = Config.self) throws -> Config {
        var config = Config()
        var given = Set<String>()
        var i = 0
        while i < args.count {
            let token = args[i]
            guard token.hasPrefix("--"), token.count > 2 else {
                throw ValidationError("Unexpected argument '\(token)'.")
            }
            var name = String(token.dropFirst(2)), inline: String? = nil
            if let eq = name.firstIndex(of: "=") { inline = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
            guard let p = Config.parameter(name) else {
                throw ValidationError("Unknown option '--\(name)'. The model's options are: "
                                      + Config.parameters.map(\.flag).joined(separator: ", ") + ".")
            }
            if !given.insert(p.key).inserted {
                throw ValidationError("\(p.flag) is given twice.")
            }
            let value: String
            if p.isSwitch {
                value = inline ?? "true"
            } else if let inline {
                value = inline
            } else {
                guard i + 1 < args.count else { throw ValidationError("Missing value for '\(p.flag) <\(p.valueName)>'.") }
                i += 1
                value = args[i]
            }
            do { try config.set(name, value) } catch let e as ParameterError {
                throw ValidationError(e.message(.flag) + ".")
            } catch let e as PersonaError {
                throw ValidationError(e.message)
            }
            i += 1
        }
        for p in Config.parameters where p.isRequired && !given.contains(p.key) {
            throw ValidationError("Missing expected argument '\(p.flag) <\(p.valueName)>'.")
        }
        do { try config.validate() } catch let e as ParameterError {
            throw ValidationError(e.message(.flag) + ".")
        }
        return config
    }

    /// The `--help` section listing the family's options with their defaults.
    /// Made once per family: the command tree asks for it at every start-up,
    /// for `train` and `cv` alike, and `cv`'s generic commands ask again each
    /// time their configuration is read.
    static func help<Config: Hyperparameters>(_ type: Config.Type) -> String {
        helpLock.lock()
        defer { helpLock.unlock() }
        if let text = helpTexts[ObjectIdentifier(type)] { return text }
        let text = "\nModel options:\n" + Config.helpText
        helpTexts[ObjectIdentifier(type)] = text
        return text
    }

    private static let helpLock = NSLock()
    nonisolated(unsafe) private static var helpTexts: [ObjectIdentifier: String] = [:]
}

/// Where a `persona train FAMILY` command writes its model, and how much it says.
struct ModelOutput: ParsableArguments {
    @Option(help: ArgumentHelp("Where to write the model file.", valueName: "model"))
    var out: String

    @OptionGroup var verbosity: Verbosity
}

/// A command that takes a family's hyperparameters as flags: it collects the
/// flags it does not declare itself, and they are checked before it runs.
protocol TakesHyperparameters: ParsableCommand {
    associatedtype Config: Hyperparameters
    var parameters: [String] { get }
}

extension TakesHyperparameters {
    func config() throws -> Config { try HyperparameterFlags.parse(parameters) }
    func validate() throws { _ = try config() }
}
