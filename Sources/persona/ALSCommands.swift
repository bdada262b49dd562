import ArgumentParser
import Foundation
import PersonaCore

/// The ALS recommender at the command line: train, recommend, similar items.
enum ALSCommands: FamilyCommands {
    typealias Model = ALSModel
    static let abstract = "Learn user and item factors by alternating least squares, for recommendations."
    static let discussion = """
        Explicit ratings (--rating COL): weighted-lambda regularisation, exact per-user solves.
        Implicit feedback (--implicit): confidence 1 + alpha x r, conjugate gradient (or --solver cholesky).
        Duplicate (user, item) rows are summed for implicit data and rejected for ratings
        (or --duplicates last|mean).

        Example:
          persona train als --data interactions.csv --user user_id --item item_id --rating rating --implicit --out models/recs.safetensors

        """
    static let selectsFeatures = false

    static func summary(_ m: ALSModel) -> [String] {
        let c = m.config
        return ["trained als: \(m.userIds.count) users x \(m.itemIds.count) items, \(c.factors) factors\(c.implicit ? ", implicit" : "")"]
    }

    static let others: [ParsableCommand.Type] = [Recommend.self, Similar.self]
}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend items to users with an ALS model, as user,item,rank,score,source rows.",
        discussion: """
        source is `model` (a trained user), `history` (a new user's factor solved from
        --history), or `popular` (no history: the most popular items).

        Examples:
          persona recommend models/recs.safetensors --user U000042 --top 10 --exclude-seen
          persona recommend models/recs.safetensors --all-users --top 10 --exclude-seen --out recs.csv
        """
    )

    @Argument(help: "The ALS model file.")
    var model: String

    @Option(help: "One user id.")
    var user: String?

    @Option(help: ArgumentHelp("A CSV of user ids (the column named like the model's user column, else the first).", valueName: "file"))
    var users: String?

    @Flag(name: .customLong("all-users"), help: "Every user in the model.")
    var allUsers = false

    @Option(help: "Items per user.")
    var top: Int = 10

    @Flag(name: .customLong("exclude-seen"), help: "Leave out items the user interacted with in training (or in --history).")
    var excludeSeen = false

    @Option(help: ArgumentHelp("Interactions of users the model has not seen (same columns as training).", valueName: "file"))
    var history: String?

    @Option(help: ArgumentHelp("Write to this CSV file instead of stdout.", valueName: "file"))
    var out: String?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if [user != nil, users != nil, allUsers].filter({ $0 }).count != 1 {
            throw ValidationError("Give exactly one of --user, --users or --all-users.")
        }
        if top < 1 { throw ValidationError("--top must be at least 1.") }
        if let out { _ = try dataOutputFormat(out, given: nil, jsonLines: false) }
    }

    func run() throws {
        verbosity.apply()
        let m = try ModelStore.load(path: model, as: ALSModel.self, forCommand: "persona recommend")
        let who: Recommender.Users = try user.map { .one($0) } ?? users.map { .file(try Inputs.resolve($0)) } ?? .all
        let s = try Recommender.run(model: m, users: who, top: top, excludeSeen: excludeSeen, history: try history.map(Inputs.resolve),
                                    output: out) { print($0) }
        if let out { Console.wrote("wrote \(out): \(s.rows) recommendations for \(s.users) users", dataOnStandardOutput: out == "-") }
        if s.coldStart > 0 { Console.warn("\(s.coldStart) user(s) unknown to the model and without history got the most popular items (source=popular)") }
    }
}

struct Similar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "Items most similar to an item (cosine similarity of ALS item factors).",
        discussion: "Example:\n  persona similar models/recs.safetensors --item I00042 --top 10"
    )

    @Argument(help: "The ALS model file.")
    var model: String

    @Option(help: "The item id.")
    var item: String

    @Option(help: "How many.")
    var top: Int = 10

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let m = try ModelStore.load(path: model, as: ALSModel.self, forCommand: "persona similar")
        print("item,similar_item,rank,cosine")
        for (r, (id, s)) in try Recommender.similar(model: m, item: item, top: top).enumerated() { print("\(item),\(id),\(r + 1),\(s)") }
    }
}
