import ArgumentParser
import Foundation
import PersonaCore

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe each segment of a k-means model in plain terms.",
        discussion: """
        For each segment: its size and share, its means in original units, the
        features that most set it apart from the whole base (difference in
        standard deviations, with direction), the mix of each categorical
        column, and short tags. Name a segment with `persona label`.

        Example:
          persona profile models/segments.safetensors --data customers.csv
        """
    )

    @Argument(help: "The k-means model file.")
    var model: String

    @OptionGroup var input: DataInput

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("Also write one row per segment to this CSV file.", valueName: "file"))
    var csv: String?

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let m = try ModelStore.load(path: model, as: KMeansModel.self, forCommand: "persona profile")
        let profiles = try SegmentProfiles.compute(model: m, path: input.data, delimiter: try input.delimiterByte())
        if let csv { try profiles.writeCSV(to: csv) }
        if json { try Console.json(profiles.json); return }
        print("\(model) on \(input.data): \(profiles.rows) rows in \(m.k) segments\n")
        print(profiles.text)
        if let csv { print("wrote \(csv)") }
    }
}

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Name a segment of a k-means model; the name appears in `score` output and the model card.",
        discussion: "Example:\n  persona label models/segments.safetensors --segment 3 --name \"Loyal big spenders\""
    )

    @Argument(help: "The k-means model file (rewritten in place, atomically).")
    var model: String

    @Option(help: "The segment number, as shown by `persona profile`.")
    var segment: Int

    @Option(help: "The name (empty to remove it).")
    var name: String

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        var m = try ModelStore.load(path: model, as: KMeansModel.self, forCommand: "persona label")
        try m.setName(name, segment: segment)
        try ModelStore.save(m, to: model)
        print(name.trimmingCharacters(in: .whitespaces).isEmpty ? "segment \(segment) has no name now" : "segment \(segment) is now \"\(name)\"")
    }
}
