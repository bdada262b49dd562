import ArgumentParser
import Foundation
import PersonaCore

/// stderr output: progress and warnings, silenced by --quiet.
enum Console {
    nonisolated(unsafe) static var quiet = false

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }
    static func warn(_ message: String) {
        if quiet { return }
        FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
    }
    static func progress(_ message: String) {
        if quiet { return }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
    /// A result line about a written output: on stdout, or on stderr when the
    /// data itself went to standard output (`--out -`), which then carries the data alone.
    static func wrote(_ message: String, dataOnStandardOutput: Bool) {
        if dataOnStandardOutput {
            if !quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        } else {
            print(message)
        }
    }
    static func json(_ value: JSONValue) throws {
        print(try JSONText.encode(value, pretty: true))
    }
}

struct Verbosity: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing on stderr (no progress, no warnings).")
    var quiet = false

    func apply() { Console.quiet = quiet }
}

struct DataInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data to read: a CSV file with a header line (gzip or zstd compressed too), or - for standard input.", valueName: "file"))
    var data: String

    /// The data as a file every reader can open and read twice (standard input,
    /// pipes and compressed files are read once into a temporary copy).
    func path() throws -> String { try Inputs.resolve(data) }

    @Option(name: .long, help: ArgumentHelp("Field delimiter: one character, or `tab`.", valueName: "char"))
    var delimiter: String = ","

    func delimiterByte() throws -> UInt8 { try parseDelimiter(delimiter) }
}

struct FeatureOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Use only these columns as features (comma-separated).", valueName: "a,b,..."))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Use every column except these (identifier columns are always left out).", valueName: "x,y,..."))
    var exclude: String?

    func validate() throws {
        if features != nil && exclude != nil {
            throw ValidationError("Give either --features or --exclude, not both.")
        }
    }

    var selection: ColumnSelection {
        ColumnSelection(features: features.map(splitList), exclude: exclude.map(splitList) ?? [])
    }
}

func splitList(_ s: String) -> [String] {
    s.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}
