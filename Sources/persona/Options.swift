import ArgumentParser
import Foundation
import PersonaCore

/// stderr output: progress and warnings, silenced by --quiet.
enum Console {
    nonisolated(unsafe) static var quiet = false

    static func error(_ message: String) {
        LiveLine.clear()
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }
    static func warn(_ message: String) {
        if quiet { return }
        LiveLine.clear()
        FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
    }
    static func progress(_ message: String) {
        if quiet { return }
        LiveLine.clear()
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
    /// A result line about a written output: on stdout, or on stderr when the
    /// data itself went to standard output (`--out -`), which then carries the data alone.
    static func wrote(_ message: String, dataOnStandardOutput: Bool) {
        LiveLine.clear()
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

/// The live line a read longer than a second shows on standard error: the
/// file, the share read, rows, the rate and the time left. On a terminal it is
/// one line rewritten in place and erased when the read ends; with --progress
/// off a terminal it is a plain line every few seconds.
enum LiveLine {
    nonisolated(unsafe) static var shown = false
    nonisolated(unsafe) static var terminal = true
    static let lock = NSLock()

    static func install(terminal: Bool) {
        self.terminal = terminal
        ReadProgress.shared.interval = terminal ? 0.2 : 5
        // How long a read runs before its line shows (seconds; tests set 0 rather than rely on timing).
        if let text = ProcessInfo.processInfo.environment["PERSONA_PROGRESS_DELAY"], let delay = Double(text), delay >= 0, delay.isFinite {
            ReadProgress.shared.delay = delay
        }
        ReadProgress.shared.observe { show($0) }
    }

    static func text(_ s: ReadProgress.Snapshot) -> String {
        let name = (Inputs.displayText(s.path) as NSString).lastPathComponent
        var t = "\(s.action) \(name)\(s.pass > 1 ? " again" : ""): \(Int(s.fraction * 100))%, \(count(s.rows)) rows, \(count(Int(s.rowsPerSecond))) rows/s"
        if let left = s.secondsLeft, s.fraction < 1 { t += ", " + duration(left) + " left" }
        return t
    }

    static func count(_ n: Int) -> String {
        n >= 10_000_000 ? "\(n / 1_000_000)M" : n >= 10_000 ? "\(n / 1000)k" : "\(n)"
    }

    static func duration(_ s: Double) -> String {
        s >= 3600 ? "\(Int(s) / 3600) h \(Int(s) % 3600 / 60) min" : s >= 60 ? "\(Int(s) / 60) min \(Int(s) % 60) s" : "\(Int(s.rounded(.up))) s"
    }

    static func show(_ s: ReadProgress.Snapshot?) {
        guard let s else { return clear() }
        lock.lock(); defer { lock.unlock() }
        let line = terminal ? "\r" + text(s) + "\u{1B}[K" : text(s) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        shown = terminal
    }

    static func clear() {
        lock.lock(); defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); shown = false }
    }
}

struct Verbosity: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing on stderr (no progress, no warnings).")
    var quiet = false

    @Flag(help: "Show the progress of reads longer than a second even when standard error is not a terminal (on a terminal it always shows).")
    var progress = false

    func apply() {
        Console.quiet = quiet
        let terminal = isatty(STDERR_FILENO) != 0
        if !quiet && (progress || terminal) { LiveLine.install(terminal: terminal) }
    }
}

struct DataInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data to read: a CSV file with a header line (gzip or zstd compressed too), or - for standard input.", valueName: "file"))
    var data: String

    /// The data as a file every reader can open and read twice (standard input,
    /// pipes and compressed files are read once into a temporary copy).
    func path() throws -> String { try Inputs.resolve(data) }

    @Option(name: .long, help: ArgumentHelp(delimiterHelp, valueName: "char"))
    var delimiter: String = "auto"

    func validate() throws { try checkDelimiterOption(delimiter) }

    /// The delimiter given, or the one the data file is written with.
    func delimiterByte() throws -> UInt8 { try resolveDelimiter(delimiter, path: try path()) }
}

let delimiterHelp = "Field delimiter: auto (found from the file), comma, semicolon, tab, pipe or one character."

/// A `--delimiter` that names no delimiter is a usage mistake.
func checkDelimiterOption(_ text: String) throws {
    do { _ = try parseDelimiterOption(text) } catch let e as PersonaError { throw ValidationError(e.message) }
}

/// The data `persona train` reads: like `DataInput`, but a family may train
/// from a file its options name instead (`persona train value --summary FILE`).
struct TrainingDataInput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data to read: a CSV file with a header line (gzip or zstd compressed too), or - for standard input.", valueName: "file"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp(delimiterHelp, valueName: "char"))
    var delimiter: String = "auto"

    func validate() throws { try checkDelimiterOption(delimiter) }

    /// The delimiter given, or the one the file at `path` is written with.
    func delimiterByte(for path: String) throws -> UInt8 { try resolveDelimiter(delimiter, path: path) }
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

/// What an output's name says it holds: CSV, JSON Lines or Parquet (a `.gz` or
/// `.zst` after it compresses it); nil for a name that says nothing (`-`, no
/// or another extension), written as CSV unless `--format` says otherwise.
enum DataOutputKind: String {
    case csv, jsonl, parquet

    init?(path: String) {
        var name = path.lowercased()
        for suffix in [".gz", ".zst"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        switch (name as NSString).pathExtension {
        case "csv", "tsv", "txt": self = .csv
        case "jsonl", "ndjson": self = .jsonl
        case "parquet": self = .parquet
        default: return nil
        }
    }
}

/// The format a data output is written in: the one its name says, or
/// `--format`; a `--format` that contradicts the name, or a name a command
/// cannot write, is a usage mistake, found before any work.
func dataOutputFormat(_ path: String, given: BatchScorer.Format?, flag: String = "--out", jsonLines: Bool = true) throws -> BatchScorer.Format {
    let kind = DataOutputKind(path: path)
    if kind == .jsonl && !jsonLines {
        throw ValidationError("\(flag) \(path): this command writes CSV or Parquet; name the file .csv (or .parquet).")
    }
    switch (kind, given) {
    case (nil, let g): return g ?? .csv
    case (.csv?, nil), (.parquet?, nil): return .csv
    case (.jsonl?, nil): return .jsonl
    case (.csv?, .csv?), (.parquet?, .csv?): return .csv
    case (.jsonl?, .jsonl?): return .jsonl
    case (let k?, let g?):
        throw ValidationError("\(flag) \(path) names a \(k == .parquet ? "Parquet" : k.rawValue.uppercased()) file but --format is \(g.rawValue); drop --format (the name decides) or change the name.")
    }
}
