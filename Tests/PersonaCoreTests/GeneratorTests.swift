import XCTest
@testable import PersonaCore

final class GeneratorTests: XCTestCase {
    func testDeterministicAndWellFormed() throws {
        let t = TempDir()
        for kind in DatasetKind.allCases {
            let a = t.join("\(kind)-a.csv"), b = t.join("\(kind)-b.csv"), c = t.join("\(kind)-c.csv")
            try Generators.generate(kind, rows: 3000, seed: 5, to: a)
            try Generators.generate(kind, rows: 3000, seed: 5, to: b)
            try Generators.generate(kind, rows: 3000, seed: 6, to: c)
            XCTAssertEqual(FileManager.default.contents(atPath: a), FileManager.default.contents(atPath: b), "\(kind)")
            XCTAssertNotEqual(FileManager.default.contents(atPath: a), FileManager.default.contents(atPath: c), "\(kind)")
            let profile = try Profiler.profile(path: a)
            if kind == .baskets {
                // --rows counts baskets, each one or more rows of basket_id,item.
                XCTAssertEqual(Set(try readAll(a).dropFirst().map { $0[0] }).count, 3000)
                XCTAssertGreaterThan(profile.rows, 3000)
            } else {
                XCTAssertEqual(profile.rows, 3000, "\(kind)")
            }
        }
    }

    func testChurnRateAndPlantedEffects() throws {
        let t = TempDir()
        let p = t.join("churn.csv")
        try Generators.generate(.churn, rows: 20000, seed: 1, to: p)
        let rows = try readAll(p)
        let h = rows[0]
        let churn = h.firstIndex(of: "churned")!, contract = h.firstIndex(of: "contract")!
        let data = rows.dropFirst()
        let rate = Double(data.filter { $0[churn] == "1" }.count) / Double(data.count)
        XCTAssertGreaterThan(rate, 0.15); XCTAssertLessThan(rate, 0.30)
        func rateFor(_ c: String) -> Double {
            let g = data.filter { $0[contract] == c }
            return Double(g.filter { $0[churn] == "1" }.count) / Double(g.count)
        }
        XCTAssertGreaterThan(rateFor("month-to-month"), 2 * rateFor("two-year"))
    }

    func testInteractionsHaveNoDuplicatePairsAndSkewedPopularity() throws {
        let t = TempDir()
        let p = t.join("i.csv")
        try Generators.generate(.interactions, rows: 20000, seed: 2, to: p)
        let rows = try readAll(p).dropFirst()
        XCTAssertEqual(Set(rows.map { $0[0] + "|" + $0[1] }).count, rows.count)
        var counts: [String: Int] = [:]
        for r in rows { counts[r[1], default: 0] += 1 }
        let sorted = counts.values.sorted(by: >)
        let top = sorted.prefix(sorted.count / 10).reduce(0, +)
        XCTAssertGreaterThan(Double(top) / Double(rows.count), 0.3, "top 10% of items take a large share")
        XCTAssertTrue(rows.allSatisfy { (1...5).contains(Int($0[2])!) })
    }

    func testCivilDates() {
        XCTAssertEqual(daysFromCivil(1970, 1, 1), 0)
        XCTAssertEqual(daysFromCivil(2000, 3, 1), 11017)
        for d in [-1000, 0, 11016, 20000, 20634] {
            let (y, m, dd) = civilFromDays(d)
            XCTAssertEqual(daysFromCivil(y, m, dd), d)
        }
        XCTAssertEqual(isoDateTime(days: daysFromCivil(2024, 2, 29), seconds: 3661), "2024-02-29T01:01:01")
    }
}
