import ArgumentParser
import Foundation
import PersonaCore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model and save it to a model file.",
        subcommands: familyCommands.map { $0.train }
    )
}
