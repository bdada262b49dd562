import Foundation
import XCTest
import PersonaCore

final class GBDTCLITests: CLITestCase {
    func testTrainScoreCrossValidateAndCompare() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "4000", "--seed", "6", "--out", "churn.csv").code, 0)
        XCTAssertEqual(try persona("split", "rows", "--data", "churn.csv", "--test-fraction", "0.25", "--stratify", "churned", "--seed", "1",
                                   "--train-out", "train.csv", "--test-out", "test.csv").code, 0)
        let t = try persona("train", "gbdt", "--data", "train.csv", "--target", "churned", "--out", "g.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertTrue(t.out.contains("best round") && t.out.contains("validation AUC"), t.out)
        let s = try persona("score", "g.safetensors", "--data", "test.csv", "--out", "s.csv", "--top", "50")
        XCTAssertEqual(s.code, 0, s.err)
        XCTAssertEqual(try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).split(separator: "\n").first, "customer_id,probability,predicted,risk_decile")
        let e = try persona("evaluate", "g.safetensors", "--data", "test.csv", "--json", "--report", "r.html")
        XCTAssertEqual(e.code, 0, e.err)
        let auc = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(e.out.utf8)) as? [String: Any])?["auc"] as? Double)
        XCTAssertGreaterThan(auc, 0.75)
        XCTAssertTrue(exists("r.html"))
        let cv = try persona("cv", "gbdt", "--data", "train.csv", "--target", "churned", "--folds", "3", "--trees", "30",
                             "--early-stopping-rounds", "0", "--json", "--quiet")
        XCTAssertEqual(cv.code, 0, cv.err)
        XCTAssertTrue(cv.out.contains("\"family\" : \"gbdt\"") && cv.out.contains("\"metric\" : \"auc\""), cv.out)
        let inspect = try persona("inspect", "g.safetensors")
        XCTAssertTrue(inspect.out.contains("importance (share of split gain)"), inspect.out)
        // The same bytes on one core or two.
        for threads in ["1", "2"] {
            let r = try persona(["train", "gbdt", "--data", "train.csv", "--target", "churned", "--subsample", "0.8", "--out", "g\(threads).safetensors", "-q"],
                                env: ["PERSONA_THREADS": threads, "SOURCE_DATE_EPOCH": "1700000000"])
            XCTAssertEqual(r.code, 0, r.err)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/g1.safetensors")), try Data(contentsOf: URL(fileURLWithPath: dir + "/g2.safetensors")))
        // Several classes: softmax boosting through every command.
        let mc = try persona("train", "gbdt", "--data", "train.csv", "--target", "contract", "--exclude", "customer_id", "--out", "c.safetensors")
        XCTAssertEqual(mc.code, 0, mc.err)
        XCTAssertTrue(mc.out.contains("validation accuracy") && mc.out.contains("3 classes"), mc.out)
        XCTAssertEqual(try persona("score", "c.safetensors", "--data", "test.csv", "--out", "c.csv").code, 0)
        XCTAssertEqual(try String(contentsOfFile: dir + "/c.csv", encoding: .utf8).split(separator: "\n").first,
                       "customer_id,probability_month-to-month,probability_one-year,probability_two-year,predicted")
        let me = try persona("evaluate", "c.safetensors", "--data", "test.csv", "--report", "c.html")
        XCTAssertEqual(me.code, 0, me.err)
        XCTAssertTrue(me.out.contains("confusion matrix"), me.out)
        let html = try String(contentsOfFile: dir + "/c.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Confusion matrix") && html.contains("ROC curves, each class against the rest"))
        let mcv = try persona("cv", "gbdt", "--data", "train.csv", "--target", "contract", "--exclude", "customer_id", "--folds", "3",
                              "--trees", "20", "--early-stopping-rounds", "0", "--json", "--quiet")
        XCTAssertEqual(mcv.code, 0, mcv.err)
        XCTAssertTrue(mcv.out.contains("\"metric\" : \"accuracy\""), mcv.out)
        let explain = try persona("score", "c.safetensors", "--data", "test.csv", "--out", "x.csv", "--explain", "3")
        XCTAssertEqual(explain.code, 1)
        XCTAssertTrue(explain.err.contains("3 classes"), explain.err)
        XCTAssertFalse(exists("x.csv"))
        // Usage errors name the flag.
        expectUsageError(try persona("train", "gbdt", "--data", "train.csv", "--target", "churned", "--learning-rate", "0", "--out", "x.safetensors"),
                         ["--learning-rate must be > 0 and <= 1"], noFile: "x.safetensors")
    }
}
