import ArgumentParser

/// A family's commands: `persona train FAMILY`, optionally `persona tune
/// FAMILY`, and commands of its own (`persona recommend`). Each family's CLI
/// file declares one; `persona cv FAMILY` comes from the core's registry.
protocol FamilyCommands {
    static var train: ParsableCommand.Type { get }
    static var tune: ParsableCommand.Type? { get }
    static var others: [ParsableCommand.Type] { get }
}

extension FamilyCommands {
    static var tune: ParsableCommand.Type? { nil }
    static var others: [ParsableCommand.Type] { [] }
}

/// The families' commands, in the order `--help` lists them: a new family adds one line.
let familyCommands: [any FamilyCommands.Type] = [
    KMeansCommands.self,
    LogregCommands.self,
    TreeCommands.self,
    GBDTCommands.self,
    ALSCommands.self,
    UpliftCommands.self,
]
