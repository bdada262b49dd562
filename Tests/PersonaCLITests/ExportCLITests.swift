import Foundation
import XCTest
import PersonaCore

/// `persona export` and `persona score` at the command line: what a serving
/// team and a nightly job see, bad input included.
final class ExportCLITests: CLITestCase {
    func trainLogreg() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "800", "--seed", "2", "--out", "churn.csv").code, 0)
        let t = try persona("train", "logreg", "--data", "churn.csv", "--target", "churned", "--out", "m.persona")
        XCTAssertEqual(t.code, 0, t.err)
    }

    func testExportWritesONNXAndSQLAndListsTheInterface() throws {
        try trainLogreg()
        let o = try persona("export", "m.persona", "--format", "onnx", "--out", "m.onnx")
        XCTAssertEqual(o.code, 0, o.err)
        XCTAssertTrue(o.out.contains("tenure_months: float [N,1]"), o.out)
        XCTAssertTrue(o.out.contains("contract: string [N,1]"), o.out)
        XCTAssertTrue(o.out.contains("probabilities: float [N,2]"), o.out)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.onnx"))
        XCTAssertGreaterThan(bytes.count, 1000)
        let s = try persona("export", "m.persona", "--format", "sql", "--table", "customers", "--out", "m.sql")
        XCTAssertEqual(s.code, 0, s.err)
        let sql = try String(contentsOfFile: dir + "/m.sql", encoding: .utf8)
        XCTAssertTrue(sql.contains("FROM \"customers\""))
        XCTAssertTrue(sql.contains("EXP("))
    }

    func testBadExportsFailClearlyAndWriteNothing() throws {
        try trainLogreg()
        let unknown = try persona("export", "m.persona", "--format", "pmml", "--out", "m.x")
        XCTAssertEqual(unknown.code, 2)
        XCTAssertTrue(unknown.err.contains("onnx") && unknown.err.contains("sql"), unknown.err)
        let noTable = try persona("export", "m.persona", "--format", "sql", "--out", "m.sql")
        XCTAssertEqual(noTable.code, 2)
        XCTAssertTrue(noTable.err.contains("--table"), noTable.err)
        // a truncated model file
        let full = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.persona"))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.persona"))
        let cut = try persona("export", "cut.persona", "--format", "onnx", "--out", "cut.onnx")
        XCTAssertEqual(cut.code, 1)
        XCTAssertTrue(cut.err.contains("cut.persona"), cut.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cut.onnx"))
        // SQL is for every family but ALS
        XCTAssertEqual(try persona("datasets", "generate", "interactions", "--rows", "400", "--out", "r.csv").code, 0)
        XCTAssertEqual(try persona("train", "als", "--data", "r.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating",
                                   "--factors", "4", "--out", "a.persona").code, 0)
        let als = try persona("export", "a.persona", "--format", "sql", "--table", "t", "--out", "a.sql")
        XCTAssertEqual(als.code, 1)
        XCTAssertTrue(als.err.contains("ONNX"), als.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.sql"))
        let badDialect = try persona("export", "m.persona", "--format", "sql", "--table", "t", "--dialect", "oracle", "--out", "m.sql")
        XCTAssertEqual(badDialect.code, 2)
        XCTAssertTrue(badDialect.err.contains("postgres"), badDialect.err)
        let onnxDialect = try persona("export", "m.persona", "--format", "onnx", "--dialect", "spark", "--out", "m.onnx")
        XCTAssertEqual(onnxDialect.code, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.sql"))
    }

    /// Each dialect's quoting and literal types (the engines themselves run the
    /// SQL in Tests/reference/check_sql_dialects.py).
    func testSQLDialectsQuoteAndTypeForTheirEngine() throws {
        try trainLogreg()
        XCTAssertEqual(try persona("datasets", "generate", "customers", "--rows", "300", "--out", "cust.csv").code, 0)
        XCTAssertEqual(try persona("train", "kmeans", "--data", "cust.csv", "--k", "3", "--out", "k.persona").code, 0)
        var text: [String: String] = [:]
        for d in ["sqlite", "postgres", "duckdb", "spark"] {
            for m in ["m", "k"] {
                let r = try persona("export", "\(m).persona", "--format", "sql", "--table", "the table", "--dialect", d, "--out", "\(m).\(d).sql")
                XCTAssertEqual(r.code, 0, r.err)
                text[m + d] = try String(contentsOfFile: dir + "/\(m).\(d).sql", encoding: .utf8)
            }
        }
        XCTAssertTrue(text["msqlite"]!.contains("FROM \"the table\"") && text["msqlite"]!.contains("AS VARCHAR"))
        XCTAssertTrue(text["mspark"]!.contains("FROM `the table`") && text["mspark"]!.contains("AS STRING") && text["mspark"]!.contains("D /"))
        XCTAssertFalse(text["mspark"]!.contains("\"tenure_months\""))
        XCTAssertTrue(text["mpostgres"]!.contains("::float8") && text["mpostgres"]!.contains("LEAST(GREATEST("), "PostgreSQL: double literals, EXP held in range")
        XCTAssertTrue(text["mduckdb"]!.contains("::DOUBLE"))
        XCTAssertTrue(text["ksqlite"]!.contains("AS segment") && text["ksqlite"]!.contains("SQRT(") && text["ksqlite"]!.contains("squared_distance_2"))
        XCTAssertTrue(text["kpostgres"]!.contains("for PostgreSQL."))
    }

    func testScoreNeedsEveryColumnBeforeWritingAnything() throws {
        try trainLogreg()
        let lines = try String(contentsOfFile: dir + "/churn.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        let drop = header.firstIndex(of: "contract")!
        let lacking = lines.map { l in l.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != drop }.map { String($0.element) }.joined(separator: ",") }
        try lacking.joined(separator: "\n").write(toFile: dir + "/lacking.csv", atomically: true, encoding: .utf8)
        let r = try persona("score", "m.persona", "--data", "lacking.csv", "--out", "s.csv")
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("lacking.csv") && r.err.contains("\"contract\""), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.csv"))
    }

    func testScoreSkipsBadRowsIntoARejectFileAndWritesJSONLines() throws {
        try trainLogreg()
        var text = try String(contentsOfFile: dir + "/churn.csv", encoding: .utf8)
        text += "K9999998,abc,50,100,one-year,basic,East,card,1,10,0.1,yes,0,0\nK9999999,3,50\n"
        try text.write(toFile: dir + "/dirty.csv", atomically: true, encoding: .utf8)
        let fail = try persona("score", "m.persona", "--data", "dirty.csv", "--out", "s.jsonl", "--format", "jsonl")
        XCTAssertEqual(fail.code, 1)
        XCTAssertTrue(fail.err.contains("line 802") && fail.err.contains("tenure_months"), fail.err)
        let skip = try persona("score", "m.persona", "--data", "dirty.csv", "--out", "s.jsonl", "--format", "jsonl",
                               "--on-error", "skip", "--rejects", "bad.csv")
        XCTAssertEqual(skip.code, 0, skip.err)
        XCTAssertTrue(skip.out.contains("scored 800 rows"), skip.out)
        XCTAssertTrue(skip.out.contains("skipped 2 bad rows -> bad.csv"), skip.out)
        let rejects = try String(contentsOfFile: dir + "/bad.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rejects.count, 3)
        XCTAssertTrue(rejects[1].hasPrefix("802,"))
        XCTAssertTrue(rejects[2].hasPrefix("803,ragged row"))
        let json = try String(contentsOfFile: dir + "/s.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(json.count, 800)
        let first = try JSONSerialization.jsonObject(with: Data(json[0].utf8)) as? [String: Any]
        XCTAssertEqual(first?["customer_id"] as? String, "K0000001")
        XCTAssertNotNil(first?["probability"] as? Double)
    }
}
