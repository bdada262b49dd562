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
    @Option(name: .long, help: ArgumentHelp("The CSV file to read (with a header line).", valueName: "file"))
    var data: String

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
