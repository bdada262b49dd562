import Foundation
import XCTest

/// The live progress line of long reads: on a terminal (run under a
/// pseudo-terminal with script(1)), with --progress off one, and never in a
/// pipe or with --quiet. The line's delay (a second by default) is set to 0
/// here (PERSONA_PROGRESS_DELAY), so no test depends on how long a read takes.
final class ProgressCLITests: CLITestCase {
    func underTerminal(_ command: String) throws -> String {
        guard let script = ["/usr/bin/script", "/bin/script"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            // Under CI a skipped check is a failure: script(1) is in bsdutils, essential on Debian.
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("script(1) is not installed") }
            throw XCTSkip("script(1) is not installed")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-qfec", "PERSONA_PROGRESS_DELAY=0 " + command, "/dev/null"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: data, as: UTF8.self))
        return String(decoding: data, as: UTF8.self)
    }

    func testALongReadShowsALiveLineOnATerminalAndNowhereElse() throws {
        // 16 MB, read in parts that report their bytes before the last one ends
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "200000", "--seed", "3", "--out", "big.csv").code, 0)
        let shown = try underTerminal("'\(Self.binary)' describe big.csv")
        let line = try XCTUnwrap(shown.range(of: #"\rreading big\.csv: \d+%, \d+k? rows, \d+k? rows/s(, \d+ s left)?\x{1B}\[K"#, options: .regularExpression),
                                 "no live line in: \(shown.prefix(400))")
        // the line is taken down before the results are printed
        let erased = try XCTUnwrap(shown.range(of: "\r\u{1B}[Kbig.csv: 200000 rows"), "the line is not erased: \(shown.suffix(2000))")
        XCTAssertLessThan(line.lowerBound, erased.lowerBound)

        let piped = try persona(["describe", "big.csv"], env: ["PERSONA_PROGRESS_DELAY": "0"])
        XCTAssertEqual(piped.code, 0)
        XCTAssertFalse(piped.err.contains("reading big.csv") || piped.err.contains("\r"), piped.err)
        XCTAssertTrue(piped.out.contains("big.csv: 200000 rows"))

        let forced = try persona(["describe", "big.csv", "--progress"], env: ["PERSONA_PROGRESS_DELAY": "0"])
        XCTAssertTrue(forced.err.contains("reading big.csv: "), forced.err)
        XCTAssertFalse(forced.err.contains("\u{1B}") || forced.err.contains("\r"), "plain lines off a terminal: \(forced.err)")

        let quiet = try underTerminal("'\(Self.binary)' describe big.csv --quiet")
        XCTAssertFalse(quiet.contains("reading big.csv"), quiet)
    }

    /// A Parquet input is converted before it is read: the conversion has its
    /// own line, counting rows against the rows the file's footer declares.
    func testAParquetConversionShowsItsOwnLine() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "200000", "--seed", "3", "--out", "big.parquet").code, 0)
        let shown = try underTerminal("'\(Self.binary)' describe big.parquet")
        XCTAssertNotNil(shown.range(of: #"\rconverting big\.parquet: \d+%, \d+k? rows, \d+k? rows/s"#, options: .regularExpression),
                        "no conversion line in: \(shown.prefix(400))")
        XCTAssertTrue(shown.contains("big.parquet: 200000 rows"), String(shown.suffix(1000)))
        let forced = try persona(["describe", "big.parquet", "--progress"], env: ["PERSONA_PROGRESS_DELAY": "0"])
        XCTAssertTrue(forced.err.contains("converting big.parquet: "), forced.err)
    }
}
