import Foundation
import XCTest

/// A/B test planning and analysis, and uplift models, from the command line.
final class CampaignCLITests: CLITestCase {
    func json(_ r: Result) throws -> [String: Any] {
        XCTAssertEqual(r.code, 0, r.err)
        return try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
    }

    func testPlanGivesSampleSizesAndBoundaries() throws {
        let plain = try json(try persona("abtest", "plan", "--baseline-rate", "0.05", "--mde", "0.01", "--json"))
        XCTAssertEqual(plain["n_per_arm"] as? Int, 8143)
        let unequal = try json(try persona("abtest", "plan", "--baseline-rate", "0.05", "--mde", "10%", "--ratio", "2", "--json"))
        XCTAssertEqual(unequal["n_treatment"] as? Int, 2 * (unequal["n_control"] as! Int) - 1)
        let seq = try json(try persona("abtest", "plan", "--sd", "40", "--mde=-2", "--looks", "3", "--spending", "pocock", "--json"))
        let s = seq["sequential"] as! [String: Any]
        XCTAssertEqual((s["looks"] as! [[String: Any]]).count, 3)
        XCTAssertGreaterThan(s["max_n_per_arm"] as! Int, seq["n_per_arm"] as! Int)
        let text = try persona("abtest", "plan", "--baseline-rate", "0.1", "--mde", "0.02", "--looks", "4", "--report", "plan.html")
        XCTAssertTrue(text.out.contains("customers per arm") && text.out.contains("O'Brien-Fleming"), text.out)
        XCTAssertTrue(exists("plan.html"))
        expectUsageError(try persona("abtest", "plan", "--mde", "0.01"), ["--baseline-rate", "--sd"])
        expectUsageError(try persona("abtest", "plan", "--baseline-rate", "0.1", "--sd", "3", "--mde", "1"), ["give one kind"])
        expectUsageError(try persona("abtest", "plan", "--baseline-rate", "0.1", "--mde", "ten"), ["--mde must be a number"])
        expectDataError(try persona("abtest", "plan", "--baseline-rate", "0.95", "--mde", "0.1"), ["outside (0, 1)"])
        expectUsageError(try persona("abtest", "plan", "--baseline-rate", "0.1", "--mde", "0.01", "--looks", "0"), ["--looks"])
    }

    func testAnalyzeReportsArmsCupedAndSegments() throws {
        XCTAssertEqual(try persona("datasets", "generate", "campaign", "--rows", "6000", "--seed", "9", "--out", "c.csv").code, 0)
        let r = try json(try persona("abtest", "analyze", "--data", "c.csv", "--group", "group", "--control", "control",
                                     "--outcome", "revenue", "--pre", "pre_revenue", "--segment", "plan", "--json", "--report", "ab.html"))
        XCTAssertEqual(r["metric"] as? String, "mean")
        let arms = r["arms"] as! [[String: Any]]
        XCTAssertEqual(arms.map { $0["name"] as! String }, ["control", "offer_a", "offer_b"])
        for key in ["difference", "ci_low", "ci_high", "p_value", "p_value_holm", "cuped_difference", "cuped_p_value", "variance_reduction", "relative_lift"] {
            XCTAssertNotNil(arms[1][key], key)
        }
        XCTAssertGreaterThan(arms[1]["variance_reduction"] as! Double, 0.3, "pre-period revenue explains much of the variance")
        XCTAssertEqual((r["segments"] as! [[String: Any]]).count, 3)
        XCTAssertTrue(exists("ab.html"))
        let conversion = try json(try persona("abtest", "analyze", "--data", "c.csv", "--group", "group", "--control", "control",
                                              "--outcome", "converted", "--json"))
        XCTAssertEqual(conversion["metric"] as? String, "proportion")
        XCTAssertNotNil((conversion["arms"] as! [[String: Any]])[0]["rate"])
        // Ugly inputs: each named with its file, line and column.
        _ = write("bad.csv", "group,converted\ncontrol,1\noffer,\n")
        expectDataError(try persona("abtest", "analyze", "--data", "bad.csv", "--group", "group", "--control", "control",
                                    "--outcome", "converted", "--report", "never.html"), ["bad.csv", "line 3", "converted", "missing"], noFile: "never.html")
        expectDataError(try persona("abtest", "analyze", "--data", "c.csv", "--group", "group", "--control", "ctrl", "--outcome", "converted"),
                        ["no row has the control arm \"ctrl\"", "control, offer_a, offer_b"])
        expectUsageError(try persona("abtest", "analyze", "--data", "c.csv", "--group", "group", "--control", "control",
                                     "--outcome", "converted", "--planned-split", "50:x"), ["--planned-split"])
        let srm = try persona("abtest", "analyze", "--data", "c.csv", "--group", "group", "--control", "control",
                              "--outcome", "converted", "--planned-split", "80:10:10")
        XCTAssertTrue(srm.err.contains("sample ratio mismatch") && srm.out.contains("WARNING"), srm.err)
    }

    func testUpliftTrainsEvaluatesScoresAndExports() throws {
        XCTAssertEqual(try persona("datasets", "generate", "campaign", "--rows", "4000", "--seed", "3", "--out", "c.csv").code, 0)
        let train = try persona("train", "uplift", "--data", "c.csv", "--treatment", "group", "--control", "control",
                                "--outcome", "converted", "--exclude", "revenue,true_uplift", "--learner", "logreg", "--out", "u.persona")
        XCTAssertEqual(train.code, 0, train.err)
        XCTAssertTrue(train.out.contains("offer_a: training Qini AUC"), train.out)
        let ev = try json(try persona("evaluate", "u.persona", "--data", "c.csv", "--json"))
        let ts = ev["treatments"] as! [[String: Any]]
        XCTAssertEqual(ts.map { $0["name"] as! String }, ["offer_a", "offer_b"])
        for key in ["qini_auc", "uplift_auc", "uplift_at_k", "deciles"] { XCTAssertNotNil(ts[0][key], key) }
        XCTAssertGreaterThan(ts[0]["qini_auc"] as! Double, 0.05, "offer_a's effect is heterogeneous and learnable")
        // A budget keeps the customers with the largest uplift, largest first.
        XCTAssertEqual(try persona("score", "u.persona", "--data", "c.csv", "--budget", "50", "--out", "top.csv").code, 0)
        let top = try String(contentsOfFile: dir + "/top.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(top[0], ["customer_id", "uplift_offer_a", "uplift_offer_b", "best_treatment", "best_uplift"])
        XCTAssertEqual(top.count, 51)
        let best = top.dropFirst().map { Double($0[4])! }
        XCTAssertEqual(best, best.sorted(by: >))
        // Cost and margin: only profitable customers, most profitable first, profit = margin x uplift - cost.
        XCTAssertEqual(try persona("score", "u.persona", "--data", "c.csv", "--cost", "2", "--margin", "40", "--out", "profit.csv").code, 0)
        let profit = try String(contentsOfFile: dir + "/profit.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertFalse(profit.isEmpty)
        XCTAssertLessThan(profit.count, 4000)
        for row in profit {
            XCTAssertEqual(Double(row[5])!, 40 * Double(row[4])! - 2, accuracy: 1e-4)
            XCTAssertGreaterThan(Double(row[5])!, 0)
            XCTAssertNotEqual(row[3], "control")
        }
        XCTAssertEqual(try persona("export", "u.persona", "--format", "onnx", "--out", "u.onnx").code, 0)
        XCTAssertEqual(try persona("export", "u.persona", "--format", "sql", "--table", "customers", "--out", "u.sql").code, 0)
        XCTAssertTrue(try persona("inspect", "u.persona").out.contains("model for control"))
        // Errors.
        expectUsageError(try persona("score", "u.persona", "--data", "c.csv", "--cost", "1", "--out", "x.csv"), ["--margin"], noFile: "x.csv")
        XCTAssertEqual(try persona("train", "logreg", "--data", "c.csv", "--target", "converted", "--exclude", "group,revenue,true_uplift", "--out", "lr.persona").code, 0)
        expectUsageError(try persona("score", "lr.persona", "--data", "c.csv", "--budget", "10", "--out", "x.csv"), ["uplift"], noFile: "x.csv")
        expectDataError(try persona("train", "uplift", "--data", "c.csv", "--treatment", "group", "--control", "nobody",
                                    "--outcome", "converted", "--out", "bad.persona"), ["no row has the control arm \"nobody\"", "offer_a"], noFile: "bad.persona")
        expectDataError(try persona("train", "uplift", "--data", "c.csv", "--treatment", "group", "--control", "control",
                                    "--outcome", "region", "--out", "bad.persona"), ["region", "5 classes"], noFile: "bad.persona")
        expectUsageError(try persona("train", "uplift", "--data", "c.csv", "--treatment", "group", "--control", "control",
                                     "--outcome", "group", "--out", "bad.persona"), ["--treatment", "--outcome", "same column"], noFile: "bad.persona")
    }
}
