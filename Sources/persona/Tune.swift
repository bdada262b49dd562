import ArgumentParser
import Foundation
import PersonaCore

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Compare settings of a model family on the same data.",
        subcommands: familyCommands.compactMap { $0.tune }
    )
}
