import Foundation
import XCTest
@testable import PersonaCore

final class SegmentationTests: XCTestCase {
    func testTimestamps() {
        XCTAssertEqual(Timestamps.parse("1970-01-02"), 86_400)
        XCTAssertEqual(Timestamps.parse("2024-02-29T01:02:03"), Double(daysFromCivil(2024, 2, 29)) * 86_400 + 3723)
        XCTAssertEqual(Timestamps.parse("2024-02-29 01:02"), Double(daysFromCivil(2024, 2, 29)) * 86_400 + 3720)
        XCTAssertEqual(Timestamps.parse("2024-03-01T00:00:00+01:00"), Double(daysFromCivil(2024, 2, 29)) * 86_400 + 23 * 3600)
        XCTAssertEqual(Timestamps.parse("2024-03-01T00:00:00.5Z"), Double(daysFromCivil(2024, 3, 1)) * 86_400 + 0.5)
        for bad in ["2023-02-29", "2024-13-01", "24-01-01", "2024-01-01T25:00", "yesterday", "", "2024-01-01T10:00+5"] {
            XCTAssertNil(Timestamps.parse(bad), bad)
        }
        XCTAssertEqual(Timestamps.format(86_400), "1970-01-02")
    }

    /// A small log with answers worked out by hand.
    func testRFMByHand() throws {
        let t = TempDir()
        let log = t.file("log.csv", """
        cust,when,amount
        A,2025-01-01,10
        B,2025-01-05T12:00:00,100
        A,2025-01-11,30
        A,2025-01-06,20
        C,2025-01-10,5
        B,2025-01-09T12:00:00,50

        """)
        var o = RFM.Options(customer: "cust", time: "when", amount: "amount")
        o.asOf = Timestamps.parse("2025-01-11")
        let s = try RFM.compute(path: log, options: o, output: t.join("rfm.csv"))
        XCTAssertEqual(s.customers, 3); XCTAssertEqual(s.transactions, 6)
        let rows = try readAll(t.join("rfm.csv"))
        let h = rows[0]
        func value(_ id: String, _ col: String) -> String { rows.first { $0[0] == id }![h.firstIndex(of: col)!] }
        XCTAssertEqual(value("A", "recency_days"), "0")
        XCTAssertEqual(value("A", "frequency"), "3")
        XCTAssertEqual(value("A", "monetary_total"), "60")
        XCTAssertEqual(value("A", "monetary_mean"), "20")
        XCTAssertEqual(value("A", "tenure_days"), "10")
        XCTAssertEqual(value("A", "interval_mean_days"), "5")           // gaps 5 and 5, in any log order
        XCTAssertEqual(value("A", "interval_std_days"), "0")
        XCTAssertEqual(value("B", "recency_days"), "1.5")
        XCTAssertEqual(value("B", "interval_mean_days"), "4")
        XCTAssertEqual(value("B", "interval_std_days"), "")              // needs three purchases
        XCTAssertEqual(value("C", "interval_mean_days"), "")
        // Scores are 1 + ⌊5 · worse / n⌋. Recency A 0 < C 1 < B 1.5: A has 2 worse -> 4, C 1 -> 2, B 0 -> 1.
        XCTAssertEqual(value("A", "r_score"), "4"); XCTAssertEqual(value("C", "r_score"), "2"); XCTAssertEqual(value("B", "r_score"), "1")
        // Frequency A 3, B 2, C 1 -> A 4, B 2, C 1
        XCTAssertEqual(value("A", "f_score"), "4"); XCTAssertEqual(value("B", "f_score"), "2"); XCTAssertEqual(value("C", "f_score"), "1")
        XCTAssertEqual(value("A", "m_score"), "2"); XCTAssertEqual(value("B", "m_score"), "4"); XCTAssertEqual(value("C", "m_score"), "1")
        XCTAssertEqual(value("A", "rfm_score"), "442")
        XCTAssertEqual(value("A", "rfm_segment"), "Loyal")
        XCTAssertEqual(value("C", "rfm_segment"), "Hibernating")
        XCTAssertEqual(value("B", "rfm_segment"), "Lost")
        XCTAssertEqual(RFM.quintiles([1, 1, 1, 1], higherIsBetter: true), [1, 1, 1, 1], "ties share a score")
        for r in 1...5 { for f in 1...5 { XCTAssertFalse(RFM.segment(r: r, f: f).isEmpty) } }
    }

    func testRFMBadRows() throws {
        let t = TempDir()
        let log = t.file("bad.csv", "c,t,a\nA,2025-01-01,10\nB,last tuesday,5\nC,2025-01-02,-3\nD,2025-01-03,7\n")
        let o = RFM.Options(customer: "c", time: "t", amount: "a")
        XCTAssertThrowsPersonaError(try RFM.compute(path: log, options: o, output: t.join("o.csv")),
                                    containing: ["bad.csv", "line 3", "column 2", "last tuesday", "--on-error skip"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("o.csv")))
        var skip = o
        skip.skipBadRows = true
        skip.rejects = t.join("rejects.csv")
        let s = try RFM.compute(path: log, options: skip, output: t.join("o.csv"))
        XCTAssertEqual(s.skipped, 2); XCTAssertEqual(s.customers, 2)
        let rejected = try readAll(t.join("rejects.csv"))
        XCTAssertEqual(rejected.count, 3)
        XCTAssertEqual(rejected[1][0], "3")
        XCTAssertTrue(rejected[2][1].contains("negative"))
    }

    /// Well-separated blobs: the recommended k is the true k, for several seeds.
    func testTuningRecoversTheTrueK() throws {
        for (seed, trueK) in [(1, 3), (2, 5), (3, 7), (4, 4)] as [(UInt64, Int)] {
            var rng = PersonaRandom(seed: seed)
            let centres = (0..<trueK).map { _ in (0..<4).map { _ in Float(rng.normal() * 12) } }
            var x = FloatMatrix(rows: 0, cols: 4)
            for i in 0..<1500 { x.appendRow(centres[i % trueK].map { $0 + Float(rng.normal()) }) }
            var base = KMeansConfig(k: 2); base.seed = seed; base.restarts = 3
            let report = try KMeansTuning.run(x: x, ks: Array(2...9), base: base, silhouetteSample: 1500)
            XCTAssertEqual(report.recommended, trueK, "seed \(seed): \(report.reason)")
        }
    }

    /// Mini-batch k-means streamed from a file lands within 2% of full Lloyd.
    func testMiniBatchCloseToLloyd() throws {
        let t = TempDir()
        for (kind, k) in [(DatasetKind.customers, 5), (.churn, 4)] {
            let path = t.join("\(kind).csv")
            try Generators.generate(kind, rows: 10000, seed: 9, to: path)
            var c = KMeansConfig(k: k); c.seed = 2; c.restarts = 3
            let full = try KMeansModel.train(path: path, config: c, selection: ColumnSelection())
            var mc = c; mc.algorithm = .minibatch; mc.batchSize = 1024; mc.passes = 5
            let mini = try KMeansModel.train(path: path, config: mc, selection: ColumnSelection())
            let a = full.card.trainingMetrics["inertia"]!.double!, b = mini.card.trainingMetrics["inertia"]!.double!
            XCTAssertLessThanOrEqual(b, a * 1.02, "\(kind): mini-batch \(b) vs Lloyd \(a)")
            XCTAssertEqual(mini.clusterSizes.reduce(0, +), 10000)
        }
    }

    func testProfilesAndNames() throws {
        let t = TempDir()
        var text = "id,spend,visits,channel\n"
        var rng = PersonaRandom(seed: 3)
        for i in 0..<600 {
            let big = i % 3 == 0
            text += "\(i),\(big ? 900 + rng.normal() * 20 : 50 + rng.normal() * 5),\(big ? 2 : 20),\(big ? "store" : "app")\n"
        }
        let path = t.file("p.csv", text)
        var c = KMeansConfig(k: 2); c.seed = 1
        var model = try KMeansModel.train(path: path, config: c, selection: ColumnSelection())
        let p = try SegmentProfiles.compute(model: model, path: path)
        XCTAssertEqual(p.segments.map(\.size).reduce(0, +), 600)
        let big = p.segments.first { $0.size == 200 }!
        XCTAssertTrue(big.tags.contains("high spend") || big.tags.contains("infrequent") || big.tags.contains("store"), big.tags)
        XCTAssertFalse(big.tags.contains("app channel"), "one tag per categorical column: \(big.tags)")
        XCTAssertEqual(big.means.first { $0.column == "spend" }!.value!, 900, accuracy: 10)
        XCTAssertEqual(big.mixes.first { $0.column == "channel" }!.levels.first!.0, "store")
        XCTAssertGreaterThan(big.distinctive.first { $0.name == "spend" }!.z, 1)
        try model.setName("Big spenders", segment: big.id)
        XCTAssertThrowsPersonaError(try model.setName("x", segment: 2), containing: ["--segment 2", "0 to 1"])
        try ModelStore.save(model, to: t.join("m.safetensors"))
        let back = try ModelStore.load(path: t.join("m.safetensors"), as: KMeansModel.self, forCommand: "test")
        XCTAssertEqual(back.segmentNames[big.id], "Big spenders")
        let scored = back.score(try back.card.pipeline.transform(path: path).matrix)
        XCTAssertEqual(scored.map(\.name), ["segment", "segment_name", "distance"])
        XCTAssertEqual(scored[1].labels?[0], "Big spenders")
    }
}
