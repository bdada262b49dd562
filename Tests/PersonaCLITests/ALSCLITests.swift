import Foundation
import XCTest
import PersonaCore

final class ALSCLITests: CLITestCase {
    func testRecommendEndToEnd() throws {
        XCTAssertEqual(try persona("datasets", "generate", "interactions", "--rows", "6000", "--seed", "4", "--out", "i.csv").code, 0)
        XCTAssertEqual(try persona("split", "interactions", "--data", "i.csv", "--by", "user", "--user", "user_id", "--test-fraction", "0.2", "--seed", "1",
                                   "--train-out", "tr.csv", "--test-out", "te.csv").code, 0)
        let t = try persona("train", "als", "--data", "tr.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating", "--implicit",
                            "--factors", "8", "--iterations", "5", "--out", "m.safetensors")
        XCTAssertEqual(t.code, 0, t.err)
        let one = try persona("recommend", "m.safetensors", "--user", "U000001", "--top", "5", "--exclude-seen")
        XCTAssertEqual(one.code, 0, one.err)
        XCTAssertEqual(one.out.split(separator: "\n").count, 6)
        XCTAssertTrue(one.out.hasPrefix("user,item,rank,score,source\n"))
        _ = write("users.csv", "user_id\nU000002\nstranger\n")
        let batch = try persona("recommend", "m.safetensors", "--users", "users.csv", "--top", "3", "--out", "r.csv")
        XCTAssertEqual(batch.code, 0, batch.err)
        XCTAssertTrue(batch.err.contains("most popular"))
        XCTAssertTrue(try String(contentsOfFile: dir + "/r.csv", encoding: .utf8).contains("stranger,"))
        XCTAssertEqual(try persona("recommend", "m.safetensors", "--all-users", "--top", "2", "--exclude-seen", "--out", "all.csv").code, 0)
        XCTAssertEqual(try persona("similar", "m.safetensors", "--item", "I00001", "--top", "3").out.split(separator: "\n").count, 4)
        let e = try persona("evaluate", "m.safetensors", "--data", "te.csv", "--json")
        XCTAssertEqual(e.code, 0, e.err)
        let m = try JSONDecoder().decode(JSONValue.self, from: Data(e.out.utf8))
        for key in ["precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "coverage", "baseline", "k"] { XCTAssertNotNil(m[key], key) }
        XCTAssertTrue(try persona("inspect", "m.safetensors").out.contains("users x"))
        let explicit = try persona("train", "als", "--data", "tr.csv", "--user", "user_id", "--item", "item_id", "--rating", "rating",
                                   "--factors", "4", "--iterations", "3", "--out", "x.safetensors")
        XCTAssertEqual(explicit.code, 0, explicit.err)
        let ex = try JSONDecoder().decode(JSONValue.self, from: Data(try persona("evaluate", "x.safetensors", "--data", "te.csv", "--json").out.utf8))
        XCTAssertNotNil(ex["rmse"]?.double)
        XCTAssertNotNil(ex["baseline"]?["rmse"]?.double)
    }

    func testALSBadInput() throws {
        _ = write("i.csv", "user_id,item_id,rating\na,x,1\nb,y,2\na,y,3\n")
        func train(_ data: String, _ extra: String...) throws -> Result {
            try persona(["train", "als", "--data", data, "--user", "user_id", "--item", "item_id", "--out", "m.safetensors"] + extra)
        }
        expectUsageError(try train("i.csv", "--rating", "rating", "--factors", "0"), ["--factors must be at least 1"], noFile: "m.safetensors")
        expectDataError(try train(write("neg.csv", "user_id,item_id,rating\na,x,-2\n"), "--rating", "rating", "--implicit"),
                        ["neg.csv", "line 2", "negative"], noFile: "m.safetensors")
        expectDataError(try train(write("nan.csv", "user_id,item_id,rating\na,x,five\n"), "--rating", "rating"),
                        ["nan.csv", "line 2", "not a number"], noFile: "m.safetensors")
        expectDataError(try train(write("empty.csv", "user_id,item_id,rating\n"), "--rating", "rating", "--implicit"),
                        ["empty.csv", "no interactions"], noFile: "m.safetensors")
        expectDataError(try train(write("dup.csv", "user_id,item_id,rating\na,x,1\na,x,2\n"), "--rating", "rating"),
                        ["dup.csv", "more than once", "--duplicates"], noFile: "m.safetensors")
        XCTAssertEqual(try train("i.csv", "--rating", "rating", "--implicit", "--factors", "2", "--iterations", "2").code, 0)
        expectDataError(try persona("recommend", "m.safetensors", "--user", "zed", "--top", "3"), ["\"zed\" is not in the model"])
        expectDataError(try persona("similar", "m.safetensors", "--item", "nope"), ["\"nope\" is not in the model"])
        expectDataError(try persona("score", "m.safetensors", "--data", "i.csv", "--out", "s.csv"), ["persona recommend"], noFile: "s.csv")
        XCTAssertEqual(try persona("recommend", "m.safetensors", "--top", "3").code, 2, "needs one of --user, --users, --all-users")
        XCTAssertEqual(try persona("split", "interactions", "--data", "i.csv", "--by", "item", "--train-out", "a.csv", "--test-out", "b.csv").code, 2)
    }
}
