import Foundation
import XCTest
import PersonaCore

final class TreeCLITests: CLITestCase {
    func testExplainChurnEndToEnd() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "3000", "--seed", "6", "--out", "churn.csv").code, 0)
        let t = try persona("train", "tree", "--data", "churn.csv", "--target", "churned", "--max-depth", "3", "--out", "t.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        let rules = try persona("inspect", "t.safetensors", "--rules")
        XCTAssertTrue(rules.out.contains("if "), rules.out)
        XCTAssertTrue(rules.out.contains("→ churned = "))
        XCTAssertTrue(try persona("inspect", "t.safetensors").out.contains("feature importance"))
        let e = try persona("evaluate", "t.safetensors", "--data", "churn.csv", "--importance", "--json")
        XCTAssertEqual(e.code, 0, e.err)
        let m = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["accuracy", "auc", "log_loss", "f1", "permutation_importance"] { XCTAssertNotNil(m[key], key) }
        let s = try persona("score", "t.safetensors", "--data", "churn.csv", "--out", "s.csv", "--top", "10")
        XCTAssertEqual(s.code, 0, s.err)
        XCTAssertTrue(try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).hasPrefix("customer_id,probability,predicted,risk_decile\n"))
        let tune = try persona("tune", "tree", "--data", "churn.csv", "--target", "churned", "--max-depth", "6", "--json")
        XCTAssertEqual(tune.code, 0, tune.err)
        XCTAssertNotNil(try JSONDecoder().decode(JSONValue.self, from: Data(tune.out.utf8))["best_ccp_alpha"]?.double)
        let r = try persona("train", "tree", "--data", "churn.csv", "--target", "monthly_charges", "--task", "regression", "--max-depth", "4", "--out", "r.safetensors")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertNotNil(try JSONDecoder().decode(JSONValue.self, from: Data(try persona("evaluate", "r.safetensors", "--data", "churn.csv", "--json").out.utf8))["r2"]?.double)
        expectDataError(try persona("inspect", "m.safetensors", "--rules"), ["m.safetensors"])
    }

    func testTreeBadInput() throws {
        _ = write("one.csv", "x,y\n1,a\n2,a\n3,a\n")
        expectDataError(try persona("train", "tree", "--data", "one.csv", "--target", "y", "--out", "t.safetensors"), ["one.csv", "single class"], noFile: "t.safetensors")
        _ = write("text.csv", "x,y\n1,low\n2,high\n3,low\n")
        expectDataError(try persona("train", "tree", "--data", "text.csv", "--target", "y", "--task", "regression", "--out", "t.safetensors"),
                        ["text.csv", "line 2", "must be numeric", "\"low\""], noFile: "t.safetensors")
        expectUsageError(try persona("train", "tree", "--data", "text.csv", "--target", "y", "--max-depth", "0", "--out", "t.safetensors"),
                        ["--max-depth must be at least 1"], noFile: "t.safetensors")
        expectUsageError(try persona("train", "tree", "--data", "text.csv", "--target", "y", "--criterion", "mse", "--out", "t.safetensors"),
                        ["--criterion mse"], noFile: "t.safetensors")
        XCTAssertEqual(try persona("train", "kmeans", "--data", "text.csv", "--k", "2", "--features", "x", "--out", "k.safetensors").code, 0)
        expectDataError(try persona("inspect", "k.safetensors", "--rules"), ["kmeans model has no rules"])
    }
}
