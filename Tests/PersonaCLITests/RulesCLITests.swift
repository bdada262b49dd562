import Foundation
import XCTest
import PersonaCore

final class RulesCLITests: CLITestCase {
    func testRulesEndToEnd() throws {
        XCTAssertEqual(try persona("datasets", "generate", "baskets", "--rows", "3000", "--seed", "2", "--out", "b.csv").code, 0)
        let split = try persona("split", "rows", "--data", "b.csv", "--group", "basket_id", "--test-fraction", "0.2", "--seed", "1",
                                "--train-out", "tr.csv", "--test-out", "te.csv")
        XCTAssertEqual(split.code, 0, split.err)
        let t = try persona("train", "rules", "--data", "tr.csv", "--basket", "basket_id", "--item", "item", "--min-support", "0.02",
                            "--min-confidence", "0.3", "--out", "m.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertTrue(t.out.contains("trained rules: 2400 baskets"), t.out)
        let text = try persona("inspect", "m.safetensors", "--rules", "--top", "3")
        XCTAssertEqual(text.code, 0, text.err)
        XCTAssertEqual(text.out.split(separator: "\n").count, 4, text.out)
        XCTAssertTrue(text.out.hasPrefix("antecedent"), text.out)
        // Every rule to CSV, sorted by lift: the planted pasta + tomato sauce -> parmesan leads.
        XCTAssertEqual(try persona("inspect", "m.safetensors", "--rules", "--out", "rules.csv").code, 0)
        let rows = try String(contentsOfFile: dir + "/rules.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows[0], "antecedent,consequent,antecedent_support,consequent_support,support,confidence,lift,representativity,leverage,conviction,zhangs_metric,jaccard,certainty,kulczynski,count")
        let lifts = rows.dropFirst().map { line -> Double in
            let fields = line.components(separatedBy: "]\",")
            return Double(fields[2].split(separator: ",")[4])!
        }
        XCTAssertEqual(lifts, lifts.sorted(by: >))
        let json = try persona("inspect", "m.safetensors", "--rules", "--json", "--sort", "confidence", "--top", "2")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [[String: Any]]
        XCTAssertEqual(parsed.count, 2)
        XCTAssertNotNil(parsed[0]["antecedent"] as? [String])
        XCTAssertGreaterThanOrEqual(parsed[0]["confidence"] as! Double, parsed[1]["confidence"] as! Double)
        XCTAssertEqual(try persona("inspect", "m.safetensors", "--itemsets", "--out", "sets.parquet").code, 0)
        XCTAssertTrue(exists("sets.parquet"))
        // Suggestions as CSV and JSON Lines.
        let s = try persona("score", "m.safetensors", "--data", "te.csv", "--top", "2", "--out", "s.csv")
        XCTAssertEqual(s.code, 0, s.err)
        XCTAssertTrue(try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).hasPrefix("basket_id,rank,item,confidence,lift,antecedent\n"))
        XCTAssertEqual(try persona("score", "m.safetensors", "--data", "te.csv", "--format", "jsonl", "--out", "s.jsonl").code, 0)
        let first = try String(contentsOfFile: dir + "/s.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        XCTAssertNotNil(object["antecedent"] as? [String]); XCTAssertNotNil(object["lift"] as? Double)
        let e = try persona("evaluate", "m.safetensors", "--data", "te.csv", "--json", "--k", "5")
        XCTAssertEqual(e.code, 0, e.err)
        let m = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["hit_rate_at_k", "popularity_hit_rate_at_k", "coverage", "suggestion_rate", "baskets", "k"] { XCTAssertNotNil(m[key]?.double, key) }
        XCTAssertEqual(try persona("evaluate", "m.safetensors", "--data", "te.csv", "--report", "r.html").code, 0)
        XCTAssertTrue(try String(contentsOfFile: dir + "/r.html", encoding: .utf8).contains("Rules: lift against support"))
        let sql = try persona("export", "m.safetensors", "--format", "sql", "--dialect", "duckdb", "--table", "open_baskets", "--out", "r.sql")
        XCTAssertEqual(sql.code, 0, sql.err)
        expectDataError(try persona("export", "m.safetensors", "--format", "onnx", "--out", "r.onnx"), ["no ONNX export", "--format sql"], noFile: "r.onnx")
    }

    func testRulesBadInput() throws {
        _ = write("b.csv", "basket,item\n1,a\n1,b\n2,a\n2,b\n3,a\n")
        func train(_ data: String, _ extra: String...) throws -> Result {
            try persona(["train", "rules", "--data", data, "--basket", "basket", "--out", "m.safetensors"] + extra)
        }
        expectUsageError(try train("b.csv", "--item", "item", "--max-length", "1"), ["--max-length must be at least 2"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv", "--item", "item", "--min-support", "0"), ["--min-support must be > 0"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv", "--item", "item", "--min-support", "2.5"), ["--min-support 2.5 is neither"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv"), ["--item", "--items"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv", "--item", "item", "--features", "x"), ["--features"], noFile: "m.safetensors")
        expectDataError(try train("b.csv", "--item", "product"), ["b.csv", "product", "--item", "Columns are: basket, item"], noFile: "m.safetensors")
        expectDataError(try train("b.csv", "--item", "item", "--min-support", "9"), ["3 baskets", "--min-support 9"], noFile: "m.safetensors")
        expectDataError(try train(write("empty.csv", ""), "--item", "item"), ["empty.csv"], noFile: "m.safetensors")
        expectDataError(try train(write("head.csv", "basket,item\n"), "--item", "item"), ["head.csv", "no baskets"], noFile: "m.safetensors")
        expectDataError(try train(write("ragged.csv", "basket,item\n1,a\n2\n"), "--item", "item"), ["ragged.csv", "line 3"], noFile: "m.safetensors")
        expectDataError(try train("b.csv", "--item", "item", "--min-support", "0.3", "--min-confidence", "0", "--max-rules", "1"),
                        ["more than 1 rules", "--min-confidence", "--max-rules"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv", "--item", "item", "--min-support", "1e20"), ["--min-support"], noFile: "m.safetensors")
        expectUsageError(try train("b.csv", "--item", "item", "--max-rules", "1000000000000000000"), ["--max-rules"], noFile: "m.safetensors")
        XCTAssertEqual(try train("b.csv", "--item", "item", "--min-support", "0.5").code, 0)
        expectUsageError(try persona("evaluate", "m.safetensors", "--data", "b.csv", "--k=-1"), ["--k must be at least 1"])
        expectUsageError(try persona("inspect", "m.safetensors", "--sort", "count"), ["--sort", "--rules"])
        expectUsageError(try persona("inspect", "m.safetensors", "--rules", "--json", "--out", "r.csv"), ["--json"], noFile: "r.csv")
        // A model that scores rows refuses the basket options; a rules model refuses the row options.
        expectUsageError(try persona("score", "m.safetensors", "--data", "b.csv", "--threshold", "0.5", "--out", "s.csv"), ["--threshold"], noFile: "s.csv")
        expectDataError(try persona("score", "m.safetensors", "--data", "b.csv", "--item", "nope", "--out", "s.csv"), ["nope", "--item"], noFile: "s.csv")
        // The model a command reads is never its output.
        let model = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.safetensors"))
        expectDataError(try persona("inspect", "m.safetensors", "--rules", "--out", "m.safetensors"), ["m.safetensors", "also an input"])
        expectDataError(try persona("export", "m.safetensors", "--format", "sql", "--table", "t", "--out", "m.safetensors"), ["also an input"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.safetensors")), model, "the model is untouched")
    }
}
