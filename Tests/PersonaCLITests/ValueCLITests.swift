import Foundation
import XCTest
import PersonaCore

final class ValueCLITests: CLITestCase {
    func testValueEndToEnd() throws {
        XCTAssertEqual(try persona("datasets", "generate", "transactions", "--rows", "8000", "--seed", "5", "--out", "tx.csv").code, 0)
        let t = try persona("train", "value", "--data", "tx.csv", "--customer", "customer_id", "--time", "timestamp", "--amount", "amount",
                            "--calibration-end", "2026-03-31", "--out", "v.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertTrue(t.out.contains("trained value: BG/NBD on"), t.out)
        XCTAssertTrue(t.out.contains("spend: Gamma-Gamma p="), t.out)
        // inspect --json: the parameters as plain numbers
        let j = try persona("inspect", "v.safetensors", "--json")
        XCTAssertEqual(j.code, 0, j.err)
        let info = try JSONDecoder().decode(JSONValue.self, from: Data(j.out.utf8))
        for k in ["r", "alpha", "a", "b"] {
            XCTAssertGreaterThan(info["parameters"]?[k]?.double ?? 0, 0, k)
            XCTAssertNotNil(info["standard_errors"]?[k]?.double, k)
        }
        for k in ["p", "q", "gamma"] { XCTAssertNotNil(info["spend_parameters"]?[k]?.double, k) }
        XCTAssertEqual(info["period_days"]?.double, 7)
        XCTAssertEqual(info["calibration_end"]?.string, "2026-03-31")
        XCTAssertNotNil(info["log_likelihood"]?.double)
        // evaluate on the holdout, with a report
        let e = try persona("evaluate", "v.safetensors", "--data", "tx.csv", "--holdout-end", "2026-06-30", "--json")
        XCTAssertEqual(e.code, 0, e.err)
        let m = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["mae", "rmse", "correlation", "customers", "holdout_periods"] { XCTAssertNotNil(m[key]?.double, key) }
        XCTAssertEqual(m["holdout_periods"]?.double ?? 0, 91.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(try persona("evaluate", "v.safetensors", "--data", "tx.csv", "--holdout-end", "2026-06-30", "--report", "r.html").code, 0)
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Cumulative repeat purchases in the holdout"), "the report draws the cumulative figure")
        expectDataError(try persona("evaluate", "v.safetensors", "--data", "tx.csv"), ["--holdout-end"])
        expectDataError(try persona("evaluate", "v.safetensors", "--data", "tx.csv", "--holdout-end", "2026-01-01"), ["not after the model's calibration end"])
        // score as of the end of the log, most valuable first
        let s = try persona("score", "v.safetensors", "--data", "tx.csv", "--as-of", "2026-06-30", "--top", "10", "--out", "top.csv")
        XCTAssertEqual(s.code, 0, s.err)
        let rows = try String(contentsOfFile: dir + "/top.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows[0], "customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases,expected_spend,clv,value_decile,lifecycle")
        XCTAssertEqual(rows.count, 11)
        let clv = rows.dropFirst().map { Double($0.split(separator: ",")[8])! }
        XCTAssertEqual(clv, clv.sorted(by: >))
        XCTAssertTrue(s.out.contains("lifecycle of these customers: new"), s.out)
        XCTAssertEqual(try persona("score", "v.safetensors", "--data", "tx.csv", "--format", "jsonl", "--out", "v.jsonl").code, 0)
        let first = try String(contentsOfFile: dir + "/v.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        XCTAssertNotNil(object["p_alive"] as? Double); XCTAssertNotNil(object["lifecycle"] as? String); XCTAssertNotNil(object["customer_id"] as? String)
    }

    func testValueBadInput() throws {
        _ = write("tx.csv", "id,day,amount\na,2025-01-01,5\na,2025-01-08,7\nb,2025-01-03,2\nb,2025-02-03,4\nc,2025-02-01,1\n")
        func train(_ extra: String...) throws -> Result {
            try persona(["train", "value", "--out", "m.safetensors"] + extra)
        }
        expectUsageError(try train("--data", "tx.csv", "--customer", "id"), ["--customer", "--time", "--summary"], noFile: "m.safetensors")
        expectUsageError(try train("--customer", "id", "--time", "day"), ["--data"], noFile: "m.safetensors")
        expectUsageError(try train("--data", "tx.csv", "--summary", "tx.csv"), ["not both"], noFile: "m.safetensors")
        expectUsageError(try train("--data", "tx.csv", "--customer", "id", "--time", "day", "--calibration-end", "1/2/2025"), ["--calibration-end", "not a date"],
                         noFile: "m.safetensors")
        expectUsageError(try train("--data", "tx.csv", "--customer", "id", "--time", "day", "--model", "pareto-ish"), ["--model"], noFile: "m.safetensors")
        _ = write("bad.csv", "id,day,amount\na,2025-01-01,5\na,2025-13-08,7\n")
        expectDataError(try train("--data", "bad.csv", "--customer", "id", "--time", "day", "--amount", "amount"), ["bad.csv", "line 3", "2025-13-08"],
                        noFile: "m.safetensors")
        expectDataError(try train("--data", "tx.csv", "--customer", "id", "--time", "when"), ["--time", "when"], noFile: "m.safetensors")
        // three customers fit no finite BG/NBD: a warning names the parameter that runs off
        let boundary = try train("--data", "tx.csv", "--customer", "id", "--time", "day", "--amount", "amount", "--spend", "none")
        XCTAssertEqual(boundary.code, 0, boundary.err)
        XCTAssertTrue(boundary.err.contains("warning: the BG/NBD likelihood keeps rising as"), boundary.err)
        XCTAssertEqual(try persona("datasets", "generate", "transactions", "--rows", "3000", "--seed", "2", "--out", "g.csv").code, 0)
        XCTAssertEqual(try train("--data", "g.csv", "--customer", "customer_id", "--time", "timestamp", "--amount", "amount").code, 0)
        expectUsageError(try persona("score", "m.safetensors", "--data", "g.csv", "--out", "s.csv", "--at-risk", "1.5"), ["--at-risk"], noFile: "s.csv")
        expectUsageError(try persona("score", "m.safetensors", "--data", "g.csv", "--out", "s.csv", "--explain", "2"), ["--explain", "customer value"],
                         noFile: "s.csv")
        expectDataError(try persona("score", "m.safetensors", "--data", "g.csv", "--out", "s.csv", "--as-of", "soon"), ["--as-of", "not a date"], noFile: "s.csv")
        _ = write("other.csv", "p,q\n1,2\n")
        expectDataError(try persona("score", "m.safetensors", "--data", "other.csv", "--out", "s.csv"), ["other.csv", "neither a transaction log"], noFile: "s.csv")
    }
}
