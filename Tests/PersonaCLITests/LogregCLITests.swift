import Foundation
import XCTest
import PersonaCore

final class LogregCLITests: CLITestCase {
    func testChurnEndToEnd() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "4000", "--seed", "3", "--out", "churn.csv").code, 0)
        XCTAssertEqual(try persona("split", "--data", "churn.csv", "--stratify", "churned", "--test-fraction", "0.25",
                                   "--train-out", "train.csv", "--test-out", "test.csv").code, 0)
        let t = try persona("train", "logreg", "--data", "train.csv", "--target", "churned", "--out", "m.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertTrue(t.out.contains("trained logreg: P(churned = 1)"))
        let e = try persona("evaluate", "m.safetensors", "--data", "test.csv", "--json")
        XCTAssertEqual(e.code, 0, e.err)
        let m = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["auc", "pr_auc", "log_loss", "brier", "accuracy", "precision", "recall", "f1", "confusion_matrix", "gains", "calibration", "best_f1"] {
            XCTAssertNotNil(m[key], key)
        }
        XCTAssertGreaterThan(m["auc"]?.double ?? 0, 0.75, "the planted churn model is learnable")
        XCTAssertEqual(m["gains"]?.array?.count, 10)
        let text = try persona("evaluate", "m.safetensors", "--data", "test.csv", "--threshold", "0.3")
        XCTAssertTrue(text.out.contains("at threshold 0.3"))
        XCTAssertTrue(text.out.contains("lift"))
        let i = try persona("inspect", "m.safetensors")
        XCTAssertTrue(i.out.contains("odds ratio"))
        XCTAssertTrue(i.out.contains("std err"), "an unpenalised model shows standard errors")
        XCTAssertTrue(i.out.contains("contract=month-to-month"))
        let s = try persona("score", "m.safetensors", "--data", "test.csv", "--out", "top.csv", "--top", "25")
        XCTAssertEqual(s.code, 0, s.err)
        let rows = try String(contentsOfFile: dir + "/top.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows[0], "customer_id,probability,predicted,risk_decile")
        XCTAssertEqual(rows.count, 26)
        let probabilities = rows.dropFirst().map { Double($0.split(separator: ",")[1])! }
        XCTAssertEqual(probabilities, probabilities.sorted(by: >), "riskiest first")
        XCTAssertEqual(rows[1].split(separator: ",")[3], "1", "the riskiest customer is in risk decile 1")
        let all = try persona("score", "m.safetensors", "--data", "test.csv", "--out", "all.csv")
        XCTAssertEqual(all.code, 0)
        let allRows = try String(contentsOfFile: dir + "/all.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let best = allRows.map { Double($0.split(separator: ",")[1])! }.sorted(by: >).prefix(25)
        XCTAssertEqual(Array(best), probabilities, "--top keeps exactly the highest probabilities")
        let cv = try persona("cv", "logreg", "--data", "train.csv", "--target", "churned", "--folds", "3", "--l2", "1e-4", "--json")
        XCTAssertEqual(cv.code, 0, cv.err)
        let c = try JSONDecoder().decode(JSONValue.self, from: Data(cv.out.utf8))
        XCTAssertEqual(c["folds"]?.array?.count, 3)
        XCTAssertNotNil(c["summary"]?["auc"]?["mean"]?.double)
        XCTAssertNotNil(c["summary"]?["auc"]?["std"]?.double)
        let l1 = try persona("train", "logreg", "--data", "train.csv", "--target", "churned", "--l1", "0.01", "--class-weight", "balanced", "--out", "l1.safetensors")
        XCTAssertEqual(l1.code, 0, l1.err)
        XCTAssertFalse(try persona("inspect", "l1.safetensors").out.contains("std err"))
    }

    func testBadTargetsAndShapes() throws {
        var text = "id,a,b,flag,label,constant\n"
        for i in 0..<60 { text += "\(i),\(i % 7),\(Double(i) * 0.5),\(i % 3 == 0 ? "yes" : "no"),\(i % 4 == 0 ? 1 : 0),5\n" }
        _ = write("d.csv", text)
        func train(_ data: String, _ extra: String...) throws -> Result {
            try persona(["train", "logreg", "--data", data, "--out", "m.safetensors"] + extra)
        }
        var single = "a,y\n"
        for i in 0..<10 { single += "\(i),1\n" }
        expectDataError(try train(write("single.csv", single), "--target", "y"), ["single.csv", "\"y\"", "single class"], noFile: "m.safetensors")
        expectDataError(try train(write("missing.csv", "a,y\n1,0\n2,\n3,1\n4,NA\n5,0\n"), "--target", "y"),
                        ["missing.csv", "missing in 2 of 5 rows", "lines 3, 5"], noFile: "m.safetensors")
        expectDataError(try train(write("three.csv", "a,y\n1,a\n2,b\n3,c\n"), "--target", "y"), ["3 classes"], noFile: "m.safetensors")
        expectDataError(try train(write("names.csv", "a,y\n1,left\n2,stayed\n3,left\n"), "--target", "y"), ["--positive"], noFile: "m.safetensors")
        expectDataError(try train("d.csv", "--target", "nope"), ["d.csv", "nope", "not in the header"], noFile: "m.safetensors")
        expectDataError(try train("d.csv", "--target", "label", "--features", "a,label"), ["target"], noFile: "m.safetensors")
        // More encoded features than rows, unpenalised: a clear error; with a penalty it trains.
        var wide = "y"
        for j in 0..<12 { wide += ",x\(j)" }
        wide += "\n"
        for i in 0..<8 { wide += "\(i % 2)" + (0..<12).map { ",\(($0 * 7 + i * 3) % 11)" }.joined() + "\n" }
        expectDataError(try train(write("wide.csv", wide), "--target", "y"), ["more encoded features (12) than rows (8)", "--l2"], noFile: "m.safetensors")
        XCTAssertEqual(try train("wide.csv", "--target", "y", "--l2", "0.1").code, 0)
        // A constant column trains, with a warning, and gets no coefficient.
        let r = try train("d.csv", "--target", "label", "--l2", "1e-3")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("\"constant\" is constant"), r.err)
        // --top is for ranked scores only.
        XCTAssertEqual(try persona("train", "kmeans", "--data", "d.csv", "--k", "2", "--out", "k.safetensors").code, 0)
        expectDataError(try persona("score", "k.safetensors", "--data", "d.csv", "--out", "s.csv", "--top", "5"), ["--top"], noFile: "s.csv")
        // Evaluating on a file whose target has a class the model never saw.
        XCTAssertEqual(try train("d.csv", "--target", "label", "--l2", "1e-3").code, 0)
        _ = write("other.csv", text.replacingOccurrences(of: ",1,5\n", with: ",2,5\n"))
        expectDataError(try persona("evaluate", "m.safetensors", "--data", "other.csv"), ["other.csv", "\"label\"", "class \"2\""])
        expectUsageError(try persona("train", "logreg", "--data", "d.csv", "--target", "label", "--class-weight", "heavy", "--out", "x"), ["--class-weight", "heavy"])
        XCTAssertEqual(try persona("train", "logreg", "--data", "d.csv", "--target", "label", "--solver", "magic", "--out", "x").code, 2)
    }
}
