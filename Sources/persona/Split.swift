import ArgumentParser
import PersonaCore

struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a CSV file into seeded train and test parts (rows, or each user's interactions).",
        subcommands: [SplitRows.self, SplitInteractions.self],
        defaultSubcommand: SplitRows.self
    )
}

/// The options every split shares.
struct SplitParts: ParsableArguments {
    @Option(name: .customLong("test-fraction"), help: "Share held out for the test part, between 0 and 1.")
    var testFraction: Double = 0.2

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("train-out"), help: ArgumentHelp("Where to write the training part.", valueName: "file"))
    var trainOut: String

    @Option(name: .customLong("test-out"), help: ArgumentHelp("Where to write the test part.", valueName: "file"))
    var testOut: String

    func validate() throws {
        if !(testFraction > 0 && testFraction < 1) { throw ValidationError("--test-fraction must be between 0 and 1.") }
        if trainOut == testOut { throw ValidationError("--train-out and --test-out must differ.") }
        _ = try dataOutputFormat(trainOut, given: nil, flag: "--train-out", jsonLines: false)
        _ = try dataOutputFormat(testOut, given: nil, flag: "--test-out", jsonLines: false)
    }
}

struct SplitRows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rows",
        abstract: "Split rows into seeded train and test parts.",
        discussion: """
        With --stratify COL each value of COL keeps its share in both parts (use it for a churn label).
        With --group COL every row of a value of COL goes to the same part (a basket's items, a customer's orders).
        """
    )

    @OptionGroup var input: DataInput
    @OptionGroup var parts: SplitParts

    @Option(help: ArgumentHelp("Keep the class balance of this column in both parts.", valueName: "col"))
    var stratify: String?

    @Option(help: ArgumentHelp("Keep all rows of each value of this column in one part (baskets, customers).", valueName: "col"))
    var group: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if stratify != nil && group != nil { throw ValidationError("--stratify and --group cannot be combined; give one.") }
    }

    func run() throws {
        verbosity.apply()
        if let group {
            let s = try Splitter.byGroup(path: try input.path(), group: group, testFraction: parts.testFraction, seed: parts.seed,
                                         trainOut: parts.trainOut, testOut: parts.testOut, delimiter: try input.delimiterByte())
            print("wrote \(parts.trainOut) (\(s.train) rows) and \(parts.testOut) (\(s.test) rows)")
            return
        }
        let s = try Splitter.split(path: try input.path(), testFraction: parts.testFraction, stratify: stratify, seed: parts.seed,
                                   trainOut: parts.trainOut, testOut: parts.testOut, delimiter: try input.delimiterByte())
        print("wrote \(parts.trainOut) (\(s.train) rows) and \(parts.testOut) (\(s.test) rows)")
    }
}

struct SplitInteractions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactions",
        abstract: "Hold out a share of each user's interactions (users with one interaction keep it in training).",
        discussion: "Example:\n  persona split interactions --data interactions.csv --by user --user user_id --test-fraction 0.2 --seed 1 --train-out train.csv --test-out test.csv"
    )

    @OptionGroup var input: DataInput
    @OptionGroup var parts: SplitParts

    @Option(help: "What each hold-out is drawn within: user (a share of every user's interactions).")
    var by: String = "user"

    @Option(help: ArgumentHelp("The user column.", valueName: "col"))
    var user: String = "user_id"

    func validate() throws {
        if by != "user" { throw ValidationError("--by must be `user` (got \"\(by)\"); name the user column with --user COL.") }
    }

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let s = try InteractionSplit.byUser(path: try input.path(), user: user, testFraction: parts.testFraction, seed: parts.seed,
                                            trainOut: parts.trainOut, testOut: parts.testOut, delimiter: try input.delimiterByte())
        print("wrote \(parts.trainOut) (\(s.train) rows) and \(parts.testOut) (\(s.test) rows)")
    }
}
