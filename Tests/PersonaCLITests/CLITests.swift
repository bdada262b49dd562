import Foundation
import XCTest
import PersonaCore

/// End-to-end tests: they run the built `persona` binary as a user would.
class CLITestCase: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String {
        ProcessInfo.processInfo.environment["PERSONA_BIN"] ?? root.appendingPathComponent(".build/debug/persona").path
    }

    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "persona-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    struct Result { var code: Int32; var out: String; var err: String }

    @discardableResult
    func persona(_ args: String..., env: [String: String] = [:]) throws -> Result {
        try persona(args, env: env)
    }

    @discardableResult
    func persona(_ args: [String], env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func write(_ name: String, _ text: String) -> String {
        _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(text.utf8))
        return name
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + name) }

    /// Exit 1, the message names what it should, no stack trace, nothing at --out.
    func expectDataError(_ r: Result, _ fragments: [String], noFile: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.code, 1, "exit code; stderr: \(r.err)", file: file, line: line)
        XCTAssertTrue(r.err.split(separator: "\n").contains { $0.hasPrefix("error: ") }, r.err, file: file, line: line)
        for f in fragments { XCTAssertTrue(r.err.contains(f), "stderr \"\(r.err)\" lacks \"\(f)\"", file: file, line: line) }
        XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("Stack dump"), file: file, line: line)
        if let noFile { XCTAssertFalse(exists(noFile), "\(noFile) must not be written", file: file, line: line) }
    }

    /// A usage error (exit code 2) whose message holds every fragment.
    func expectUsageError(_ r: Result, _ fragments: [String], noFile: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.code, 2, "exit code; stderr: \(r.err)", file: file, line: line)
        for f in fragments { XCTAssertTrue(r.err.contains(f), "stderr \"\(r.err)\" lacks \"\(f)\"", file: file, line: line) }
        XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("Stack dump"), file: file, line: line)
        if let noFile { XCTAssertFalse(exists(noFile), "\(noFile) must not be written", file: file, line: line) }
    }

}

final class CLITests: CLITestCase {
    func testEndToEndSegmentation() throws {
        XCTAssertEqual(try persona("datasets", "generate", "customers", "--rows", "3000", "--seed", "4", "--out", "c.csv").code, 0)
        let d = try persona("describe", "c.csv", "--json")
        XCTAssertEqual(d.code, 0)
        let profile = try JSONDecoder().decode(DataProfile.self, from: Data(d.out.utf8))
        XCTAssertEqual(profile.rows, 3000)
        XCTAssertEqual(profile.column("customer_id")?.type, .identifier)
        let t = try persona("train", "kmeans", "--data", "c.csv", "--k", "5", "--seed", "4", "--n-init", "2", "--out", "m.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertTrue(t.out.contains("trained kmeans: k=5"))
        let e = try persona("evaluate", "m.safetensors", "--data", "c.csv", "--json")
        XCTAssertEqual(e.code, 0, e.err)
        let metrics = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["inertia", "silhouette", "davies_bouldin", "calinski_harabasz", "cluster_sizes"] { XCTAssertNotNil(metrics[key], key) }
        XCTAssertEqual(metrics["cluster_sizes"]?.array?.compactMap(\.int).reduce(0, +), 3000)
        let i = try persona("inspect", "m.safetensors")
        XCTAssertEqual(i.code, 0)
        XCTAssertTrue(i.out.contains("segment centres in original units"))
        let ij = try persona("inspect", "m.safetensors", "--json")
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(ij.out.utf8))["kind"], "kmeans")
        let s = try persona("score", "m.safetensors", "--data", "c.csv", "--out", "s.csv", "--id", "customer_id,region")
        XCTAssertEqual(s.code, 0, s.err)
        let lines = try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3001)
        XCTAssertEqual(lines[0], "customer_id,region,segment,distance")
        XCTAssertTrue(lines[1].hasPrefix("C0000001,"))
        // --quiet silences stderr
        let q = try persona("score", "m.safetensors", "--data", "c.csv", "--out", "s2.csv", "--quiet")
        XCTAssertEqual(q.err, "")
        // split keeps every row
        XCTAssertEqual(try persona("split", "--data", "c.csv", "--test-fraction", "0.3", "--stratify", "region", "--train-out", "tr.csv", "--test-out", "te.csv").code, 0)
    }

    func testReproducibleModelFileUnderSourceDateEpoch() throws {
        try persona("datasets", "generate", "customers", "--rows", "800", "--seed", "1", "--out", "c.csv")
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        try persona("train", "kmeans", "--data", "c.csv", "--k", "3", "--seed", "9", "--out", "a.safetensors", env: env)
        try persona("train", "kmeans", "--data", "c.csv", "--k", "3", "--seed", "9", "--out", "b.safetensors", env: env)
        let a = FileManager.default.contents(atPath: dir + "/a.safetensors")
        XCTAssertNotNil(a)
        XCTAssertEqual(a, FileManager.default.contents(atPath: dir + "/b.safetensors"))
    }

    func testBadInputGivesExitOneAndWritesNothing() throws {
        try persona("datasets", "generate", "customers", "--rows", "50", "--seed", "1", "--out", "c.csv")
        func train(_ data: String, _ extra: String...) throws -> Result {
            try persona(["train", "kmeans", "--data", data, "--k", "2", "--out", "m.safetensors"] + extra)
        }
        expectDataError(try train("nope.csv"), ["nope.csv", "no such file"], noFile: "m.safetensors")
        expectDataError(try train(write("empty.csv", "")), ["empty.csv", "empty"], noFile: "m.safetensors")
        expectDataError(try train(write("header.csv", "a,b\n")), ["header.csv", "no data rows"], noFile: "m.safetensors")
        expectDataError(try train(write("ragged.csv", "a,b\n1,2\n3,4,5\n")), ["ragged.csv", "line 3", "ragged"], noFile: "m.safetensors")
        expectDataError(try train(write("quote.csv", "a,b\n1,2\n\"3,4\n")), ["quote.csv", "line 3", "column 1", "unterminated quote"], noFile: "m.safetensors")
        expectDataError(try train(write("allmissing.csv", "a,b\n1,\n2,NA\n3,\n")), ["allmissing.csv", "\"b\"", "every value is missing", "--exclude b"], noFile: "m.safetensors")
        expectDataError(try train("c.csv", "--features", "age,shoe_size"), ["c.csv", "shoe_size", "no such column"], noFile: "m.safetensors")
        expectDataError(try persona("train", "kmeans", "--data", "c.csv", "--k", "51", "--out", "m.safetensors"), ["--k 51 is larger than the number of rows (50)"], noFile: "m.safetensors")
        expectUsageError(try persona("train", "kmeans", "--data", "c.csv", "--k", "0", "--out", "m.safetensors"), ["--k must be at least 1"], noFile: "m.safetensors")

        XCTAssertEqual(try train("c.csv").code, 0)
        let rows = try String(contentsOfFile: dir + "/c.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        var bad = rows[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        bad[1] = "forty"
        _ = write("bad.csv", ([rows[0], rows[1], bad.joined(separator: ",")] + rows[3...]).joined(separator: "\n") + "\n")
        expectDataError(try persona("score", "m.safetensors", "--data", "bad.csv", "--out", "s.csv"),
                        ["bad.csv", "line 3", "column 2", "\"age\"", "expected a number, found \"forty\""], noFile: "s.csv")
        expectDataError(try persona("evaluate", "m.safetensors", "--data", "bad.csv"), ["bad.csv", "line 3", "column 2"])
        _ = write("notmodel.safetensors", "customer_id,age\n")
        expectDataError(try persona("score", "notmodel.safetensors", "--data", "c.csv", "--out", "s.csv"), ["notmodel.safetensors"], noFile: "s.csv")
        let model = FileManager.default.contents(atPath: dir + "/m.safetensors")!
        _ = FileManager.default.createFile(atPath: dir + "/cut.safetensors", contents: model.prefix(model.count / 2))
        expectDataError(try persona("inspect", "cut.safetensors"), ["cut.safetensors", "truncated"])
        // A model of a kind this release does not know (as a later release might write).
        var bytes = [UInt8](model)
        if let r = findBytes(bytes, Array("\\\"kind\\\":\\\"kmeans\\\"".utf8)) {
            bytes.replaceSubrange(r, with: Array("\\\"kind\\\":\\\"zzzzzz\\\"".utf8))
            // the card checksum now fails, which is also a named error
            _ = FileManager.default.createFile(atPath: dir + "/kind.safetensors", contents: Data(bytes))
            expectDataError(try persona("inspect", "kind.safetensors"), ["kind.safetensors", "corrupted"])
        } else {
            XCTFail("kind not found in the model header")
        }
        // An existing output is left untouched when scoring fails.
        _ = write("keep.csv", "precious\n")
        _ = try persona("score", "m.safetensors", "--data", "bad.csv", "--out", "keep.csv")
        XCTAssertEqual(try String(contentsOfFile: dir + "/keep.csv", encoding: .utf8), "precious\n")
    }

    func testUsageErrorsExitTwoAndHelpTeaches() throws {
        let both = try persona("train", "kmeans", "--data", "c.csv", "--k", "2", "--features", "a", "--exclude", "b", "--out", "m")
        XCTAssertEqual(both.code, 2)
        XCTAssertTrue(both.err.contains("either --features or --exclude"))
        XCTAssertEqual(try persona("train", "kmeans", "--bogus").code, 2)
        XCTAssertEqual(try persona("datasets", "generate", "planets", "--rows", "5", "--out", "x.csv").code, 2)
        let help = try persona("train", "kmeans", "--help")
        XCTAssertEqual(help.code, 0)
        XCTAssertTrue(help.out.contains("--n-init"))
        XCTAssertTrue(help.out.contains("Example"))
        let top = try persona("--help")
        XCTAssertTrue(top.out.contains("A first session"))
    }

    /// One exit code per kind of mistake across commands: a mistake in how a
    /// command is called is 2, before any work; bad data or a bad model file is 1.
    func testEveryCommandsCommonMistakesGiveTheirExitCode() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "300", "--seed", "1", "--out", "churn.csv").code, 0)
        XCTAssertEqual(try persona("train", "logreg", "--data", "churn.csv", "--target", "churned", "--out", "m.safetensors").code, 0)
        _ = write("ragged.csv", "a,b\n1,2\n3\n")
        _ = write("bad.safetensors", "not a model")
        let usage: [[String]] = [
            ["describe", "churn.csv", "--bogus"], ["describe", "churn.csv", "--delimiter", "colon"], ["describe"],
            ["train", "logreg", "--data", "churn.csv", "--out", "x.safetensors"],
            ["train", "logreg", "--data", "churn.csv", "--target", "churned", "--l2", "lots", "--out", "x.safetensors"],
            ["train", "kmeans", "--data", "churn.csv", "--k", "0", "--out", "x.safetensors"],
            ["train", "gbdt", "--data", "churn.csv", "--target", "churned", "--learning-rate", "-1", "--out", "x.safetensors"],
            ["train", "forest", "--data", "churn.csv"],
            ["score", "m.safetensors", "--data", "churn.csv"],
            ["score", "m.safetensors", "--data", "churn.csv", "--out", "s.parquet", "--format", "jsonl"],
            ["score", "m.safetensors", "--data", "churn.csv", "--out", "s.csv", "--threshold", "2"],
            ["evaluate", "m.safetensors"], ["inspect"], ["inspect", "m.safetensors", "--top", "0"],
            ["export", "m.safetensors", "--out", "m.onnx"], ["split", "rows", "--data", "churn.csv", "--test-fraction", "1.5", "--train-out", "a.csv", "--test-out", "b.csv"],
            ["split", "rows", "--data", "churn.csv", "--train-out", "a.jsonl", "--test-out", "b.csv"],
            ["features", "rfm", "--data", "churn.csv", "--customer", "c", "--time", "t", "--amount", "a", "--out", "r.csv", "--day-first", "--month-first"],
            ["compare", "m.safetensors", "--data", "churn.csv"], ["cv", "logreg", "--data", "churn.csv", "--target", "churned", "--folds", "1"],
            ["datasets", "generate", "churn", "--rows", "0", "--out", "x.csv"], ["abtest", "plan", "--baseline-rate", "1.5", "--mde", "0.01"],
            ["recommend", "m.safetensors"], ["label", "m.safetensors"], ["run"],
            ["clean", "--data", "churn.csv"], ["clean", "--data", "churn.csv", "--out", "c.csv", "--log", "c.csv"],
            ["clean", "--data", "churn.csv", "--out", "c.csv", "--country", "XX"],
        ]
        for args in usage {
            let r = try persona(args)
            XCTAssertEqual(r.code, 2, "\(args.joined(separator: " ")): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), r.err)
        }
        let data: [[String]] = [
            ["describe", "missing.csv"], ["describe", "ragged.csv"],
            ["train", "logreg", "--data", "ragged.csv", "--target", "b", "--out", "x.safetensors"],
            ["train", "logreg", "--data", "churn.csv", "--target", "nope", "--out", "x.safetensors"],
            ["score", "bad.safetensors", "--data", "churn.csv", "--out", "s.csv"], ["score", "m.safetensors", "--data", "ragged.csv", "--out", "s.csv"],
            ["evaluate", "m.safetensors", "--data", "ragged.csv"], ["inspect", "bad.safetensors"], ["inspect", "missing.safetensors"],
            ["export", "bad.safetensors", "--format", "onnx", "--out", "m.onnx"],
            ["split", "rows", "--data", "missing.csv", "--train-out", "a.csv", "--test-out", "b.csv"],
            ["features", "rfm", "--data", "churn.csv", "--customer", "c", "--time", "t", "--amount", "a", "--out", "r.csv"],
            ["compare", "m.safetensors", "bad.safetensors", "--data", "churn.csv"],
            ["recommend", "m.safetensors", "--user", "u1"], ["run", "missing.yaml"],
            ["clean", "--data", "missing.csv", "--out", "c.csv"], ["clean", "--data", "churn.csv", "--out", "churn.csv"],
            ["clean", "--data", "churn.csv", "--id", "nope", "--out", "c.csv"],
        ]
        for args in data {
            let r = try persona(args)
            XCTAssertEqual(r.code, 1, "\(args.joined(separator: " ")): \(r.err)")
            XCTAssertTrue(r.err.split(separator: "\n").contains { $0.hasPrefix("error: ") }, "\(args.joined(separator: " ")): \(r.err)")
        }
        for name in ["x.safetensors", "s.csv", "s.parquet", "a.csv", "b.csv", "r.csv", "m.onnx", "x", "c.csv"] { XCTAssertFalse(exists(name), name) }
    }

    /// Help laid out for a narrow screen: prose within the width, examples and
    /// usage lines whole (they can be copied), a table's rows under their column.
    func testHelpKeepsExamplesWholeAndWrapsProse() throws {
        let commands: [[String]] = [[], ["train", "gbdt"], ["train", "value"], ["datasets", "generate"], ["score"], ["features", "rfm"],
                                    ["describe"], ["train", "kmeans"], ["compare"]]
        for command in commands {
            let wide = try persona(command + ["--help"], env: ["COLUMNS": "1000"])
            let narrow = try persona(command + ["--help"], env: ["COLUMNS": "60"])
            XCTAssertEqual(narrow.code, 0, narrow.err)
            let narrowLines = Set(narrow.out.split(separator: "\n").map(String.init))
            let examples = wide.out.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  persona ") || $0.hasPrefix("USAGE: ") }
            XCTAssertFalse(examples.isEmpty, "\(command): an example or a usage line")
            for e in examples { XCTAssertTrue(narrowLines.contains(e), "\(command): \(e) is printed whole") }
            for line in narrowLines where line.count > 60 && !examples.contains(line) {
                XCTAssertFalse(line.contains(" "), "\(command): a line wider than the screen: \(line)")
            }
        }
        let table = try persona(["datasets", "generate", "--help"], env: ["COLUMNS": "60"]).out
        XCTAssertTrue(table.contains("\nbaskets       basket_id,item"), table)
        XCTAssertTrue(try persona(["train", "gbdt", "--help"]).out.contains("USAGE: persona train gbdt --data <file> --target <col> --out <model>"))
    }

    /// `inspect --json` carries what the text shows, for every family that fits parameters.
    func testInspectJSONCarriesWhatTheTextShows() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "1500", "--seed", "3", "--out", "churn.csv").code, 0)
        XCTAssertEqual(try persona("datasets", "generate", "customers", "--rows", "900", "--seed", "3", "--out", "cust.csv").code, 0)
        for args in [["train", "logreg", "--data", "churn.csv", "--target", "churned", "--out", "lr.safetensors"],
                     ["train", "tree", "--data", "churn.csv", "--target", "churned", "--max-depth", "3", "--out", "tree.safetensors"],
                     ["train", "gbdt", "--data", "churn.csv", "--target", "churned", "--trees", "20", "--out", "gb.safetensors"],
                     ["train", "kmeans", "--data", "cust.csv", "--k", "3", "--out", "km.safetensors"]] {
            let r = try persona(args)
            XCTAssertEqual(r.code, 0, r.err)
        }
        func card(_ name: String) throws -> [String: JSONValue] {
            let r = try persona("inspect", name, "--json")
            XCTAssertEqual(r.code, 0, r.err)
            return try XCTUnwrap(try JSONDecoder().decode(JSONValue.self, from: Data(r.out.utf8)).object)
        }
        let lr = try XCTUnwrap(try card("lr.safetensors")["coefficients"]?.array)
        XCTAssertEqual(lr.first?.object?["feature"]?.string, "(intercept)")
        for row in lr.compactMap(\.object) {
            guard let b = row["coefficient"]?.double, let se = row["standard_error"]?.double, let z = row["z"]?.double, let p = row["p_value"]?.double else { continue }
            XCTAssertEqual(row["odds_ratio"]?.double ?? .nan, exp(b), accuracy: 1e-9 * exp(b))
            XCTAssertEqual(z, b / se, accuracy: 1e-9 * max(1, abs(z)))
            XCTAssertEqual(p, erfc(abs(z) / 2.0.squareRoot()), accuracy: 1e-12)
        }
        let text = try persona("inspect", "lr.safetensors").out
        XCTAssertTrue(lr.compactMap { $0.object?["feature"]?.string }.allSatisfy { text.contains($0) })
        let tree = try card("tree.safetensors")
        XCTAssertEqual(tree["rules"]?.array?.compactMap(\.string).joined(separator: "\n"),
                       try persona("inspect", "tree.safetensors", "--rules").out.trimmingCharacters(in: .newlines))
        XCTAssertEqual(tree["importance"]?.array?.compactMap { $0.object?["share"]?.double }.reduce(0, +) ?? 0, 1, accuracy: 1e-9)
        let gb = try card("gb.safetensors")
        XCTAssertEqual(gb["gain_importance"]?.array?.compactMap { $0.object?["share"]?.double }.reduce(0, +) ?? 0, 1, accuracy: 1e-9)
        let segments = try XCTUnwrap(try card("km.safetensors")["segments"]?.array)
        XCTAssertEqual(segments.count, 3)
        XCTAssertEqual(segments.compactMap { $0.object?["rows"]?.double }.reduce(0, +), 900)
        XCTAssertNotNil(segments[0].object?["centre"]?.object?["age"]?.double)
    }

    /// Every `persona train FAMILY` is the one generic command: the inputs a
    /// family does not read are neither shown nor taken.
    func testTrainCommandsShowAndTakeOnlyTheirFamilysInputs() throws {
        for family in ["kmeans", "logreg", "tree", "gbdt", "als", "uplift"] {
            let help = try persona("train", family, "--help")
            XCTAssertEqual(help.code, 0, family)
            XCTAssertTrue(help.out.contains("Model options:") && help.out.contains("--out <model>"), family)
            XCTAssertEqual(help.out.contains("--features"), family != "als", family)
            XCTAssertEqual(help.out.contains("--validation <file>"), family == "gbdt", family)
        }
        _ = write("i.csv", "user,item\nu1,a\nu2,b\n")
        expectUsageError(try persona("train", "als", "--data", "i.csv", "--user", "user", "--item", "item", "--implicit",
                                     "--exclude", "x", "--out", "m.safetensors"), ["Unknown option '--exclude'", "persona train als"], noFile: "m.safetensors")
        _ = write("c.csv", "x,y\n1,0\n2,1\n")
        expectUsageError(try persona("train", "logreg", "--data", "c.csv", "--target", "y", "--validation", "c.csv", "--out", "m.safetensors"),
                         ["Unknown option '--validation'", "persona train logreg"], noFile: "m.safetensors")
    }

    func testDelimiterAndMessyCSV() throws {
        let text = "\u{FEFF}id;\"spend; total\";plan\r\n1;10,5;a\r\n2;NA;\"b\"\"x\"\r\n3;12;a\r\n4;9;b\r\n"
        _ = write("messy.csv", text)
        for flags in [["--delimiter", ";"], ["--delimiter", "semicolon"], []] {
            let r = try persona(["describe", "messy.csv", "--json"] + flags)
            XCTAssertEqual(r.code, 0, r.err)
            let p = try JSONDecoder().decode(DataProfile.self, from: Data(r.out.utf8))
            XCTAssertEqual(p.columns.map(\.name), ["id", "spend; total", "plan"])
            XCTAssertEqual(p.columns[1].type, .numeric, "10,5 is a decimal comma in a semicolon file")
            XCTAssertEqual(p.columns[1].max, 12)
            XCTAssertEqual(p.columns[1].min, 9)
            XCTAssertEqual(p.columns[2].topValues.map(\.value).sorted(), ["a", "b", "b\"x"])
            XCTAssertEqual(p.dialect, "semicolon-separated, decimal comma")
        }
    }
}

func findBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Range<Int>? {
    guard needle.count <= haystack.count else { return nil }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
        if Array(haystack[i..<(i + needle.count)]) == needle { return i..<(i + needle.count) }
    }
    return nil
}
