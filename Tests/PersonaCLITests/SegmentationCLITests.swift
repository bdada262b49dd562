import Foundation
import XCTest
import PersonaCore

final class SegmentationCLITests: CLITestCase {
    func testRFMToNamedSegments() throws {
        XCTAssertEqual(try persona("datasets", "generate", "transactions", "--rows", "8000", "--seed", "2", "--out", "tx.csv").code, 0)
        let r = try persona("features", "rfm", "--data", "tx.csv", "--customer", "customer_id", "--time", "timestamp", "--amount", "amount",
                            "--as-of", "2026-07-01", "--out", "rfm.csv")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("customers from 8000 transactions, as of 2026-07-01"))
        let tune = try persona("tune", "kmeans", "--data", "rfm.csv", "--k", "2-5", "--features", "recency_days,frequency,monetary_total", "--json")
        XCTAssertEqual(tune.code, 0, tune.err)
        let report = try JSONDecoder().decode(JSONValue.self, from: Data(tune.out.utf8))
        XCTAssertEqual(report["results"]?.array?.count, 4)
        XCTAssertNotNil(report["recommended_k"]?.int)
        XCTAssertTrue(try persona("tune", "kmeans", "--data", "rfm.csv", "--k", "2,4", "--features", "recency_days,frequency").out.contains("recommended k ="))
        XCTAssertEqual(try persona("train", "kmeans", "--data", "rfm.csv", "--k", "4", "--features", "recency_days,frequency,monetary_total",
                                   "--algorithm", "minibatch", "--batch-size", "500", "--out", "m.safetensors").code, 0)
        let p = try persona("profile", "m.safetensors", "--data", "rfm.csv", "--csv", "profile.csv")
        XCTAssertEqual(p.code, 0, p.err)
        XCTAssertTrue(p.out.contains("segment 0"))
        XCTAssertTrue(exists("profile.csv"))
        let pj = try JSONDecoder().decode(JSONValue.self, from: Data(try persona("profile", "m.safetensors", "--data", "rfm.csv", "--json").out.utf8))
        XCTAssertEqual(pj["segments"]?.array?.compactMap { $0["size"]?.int }.reduce(0, +), pj["rows"]?.int)
        XCTAssertEqual(try persona("label", "m.safetensors", "--segment", "2", "--name", "Loyal big spenders").code, 0)
        XCTAssertTrue(try persona("inspect", "m.safetensors").out.contains("\"Loyal big spenders\""))
        XCTAssertEqual(try persona("score", "m.safetensors", "--data", "rfm.csv", "--out", "s.csv").code, 0)
        let scored = try String(contentsOfFile: dir + "/s.csv", encoding: .utf8)
        XCTAssertTrue(scored.hasPrefix("customer_id,segment,segment_name,distance\n"))
        XCTAssertTrue(scored.contains(",2,Loyal big spenders,"))
        expectDataError(try persona("label", "m.safetensors", "--segment", "9", "--name", "x"), ["--segment 9", "0 to 3"])
        XCTAssertEqual(try persona("train", "logreg", "--data", "rfm.csv", "--target", "f_score", "--positive", "5", "--features", "recency_days",
                                   "--out", "lr.safetensors").code, 1, "f_score has five classes")
    }

    func testRFMBadInput() throws {
        let log = write("log.csv", "c,t,a\nA,2025-01-01,10\nB,2025-02-30,5\nC,2025-01-02,-3\n")
        func rfm(_ extra: String...) throws -> Result {
            try persona(["features", "rfm", "--data", log, "--customer", "c", "--time", "t", "--amount", "a", "--out", "o.csv"] + extra)
        }
        expectDataError(try rfm(), ["log.csv", "line 3", "column 2", "2025-02-30", "ISO 8601"], noFile: "o.csv")
        let skip = try rfm("--on-error", "skip", "--rejects", "rej.csv")
        XCTAssertEqual(skip.code, 0, skip.err)
        XCTAssertTrue(skip.out.contains("skipped 2 bad rows"))
        XCTAssertTrue(exists("rej.csv"))
        expectDataError(try persona("features", "rfm", "--data", log, "--customer", "who", "--time", "t", "--amount", "a", "--out", "x.csv"),
                        ["who", "--customer", "no such column"], noFile: "x.csv")
        expectDataError(try persona("features", "rfm", "--data", write("empty.csv", "c,t,a\n"), "--customer", "c", "--time", "t", "--amount", "a", "--out", "x.csv"),
                        ["empty.csv", "no transactions"], noFile: "x.csv")
        XCTAssertEqual(try rfm("--as-of", "soon").code, 2)
        XCTAssertEqual(try rfm("--rejects", "r.csv").code, 2, "--rejects needs --on-error skip")
        XCTAssertEqual(try persona("tune", "kmeans", "--data", log, "--k", "a-b").code, 2)
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "200", "--out", "churn.csv").code, 0)
        XCTAssertEqual(try persona("train", "logreg", "--data", "churn.csv", "--target", "churned", "--out", "lr.safetensors").code, 0)
        expectDataError(try persona("profile", "lr.safetensors", "--data", "churn.csv"), ["is a logreg model", "needs a kmeans model"])
        expectDataError(try persona("label", "lr.safetensors", "--segment", "0", "--name", "x"), ["is a logreg model"])
    }
}
