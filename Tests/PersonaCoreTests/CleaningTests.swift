import XCTest
@testable import PersonaCore

/// `persona clean` without rules: formats, duplicates, merged ids and outlier flags, every change logged.
final class CleaningTests: XCTestCase {
    func testFormatsDuplicatesIdsAndOutliersWithALogOfEveryChange() throws {
        let t = TempDir()
        var text = "customer_id,email,name,joined,spend,member\n"
        for i in 0..<12 { text += "C\(i),c\(i)@x.org,Name \(i),2024-01-\(10 + i),\(10 + i % 4),yes\n" }
        text += "C20, Ann@Example.COM ,Anna   Lee,25/12/2023,\"$1,234.50\",N\n"    // line 14: every format
        text += "C0,c0@x.org,Name 0,2024-01-10,10,yes\n"                            // line 15: a duplicate of line 2
        text += "C1,c1@x.org,Other Name,2024-01-11,11,yes\n"                        // line 16: C1 again, one conflict
        let path = t.file("in.csv", text)
        var o = Cleaning.Options()
        o.log = t.join("log.csv")
        let s = try Cleaning.run(path: path, output: t.join("out.csv"), options: o)
        XCTAssertEqual(s.rows, 15)
        XCTAssertEqual(s.written, 13)
        XCTAssertEqual(s.duplicateRows, 1)
        XCTAssertEqual(s.mergedRows, 1)
        XCTAssertEqual(s.conflicts, 1)
        XCTAssertEqual(s.idColumn, "customer_id")
        let rows = try readAll(t.join("out.csv"))
        XCTAssertEqual(rows[0], ["customer_id", "email", "name", "joined", "spend", "member", "spend_outlier"])
        XCTAssertEqual(rows[13], ["C20", "ann@example.com", "Anna Lee", "2023-12-25", "1234.5", "false", "true"])
        XCTAssertEqual(rows[1], ["C0", "c0@x.org", "Name 0", "2024-01-10", "10", "true", "false"])
        XCTAssertEqual(s.outliers.map(\.column), ["spend"])
        let log = try readAll(t.join("log.csv"))
        XCTAssertEqual(log[0], ["line", "column", "old", "new", "rule"])
        XCTAssertTrue(log.contains(["14", "joined", "25/12/2023", "2023-12-25", "date to ISO 8601"]), "\(log)")
        XCTAssertTrue(log.contains(["14", "spend", "$1,234.50", "1234.5", "number without currency sign or separators"]))
        XCTAssertTrue(log.contains(["14", "email", " Ann@Example.COM ", "ann@example.com", "e-mail address lower-cased"]))
        XCTAssertTrue(log.contains(["15", "", "", "", "duplicate of line 2: dropped"]))
        XCTAssertTrue(log.contains(["16", "name", "Other Name", "Name 1", "conflict: line 3's value kept"]))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text, "the input is never written")
    }
}

extension CleaningTests {
    func testRulesMergeRepeatedIdsAndTreatOutliersAsTheySay() throws {
        let t = TempDir()
        var text = "customer_id,name,spend,visits,last_order\n"
        for i in 0..<20 { text += "C\(i),N\(i),\(10 + i),\(i % 3),2024-01-\(10 + i % 9)\n" }
        text += "C1,Bo,5,,2024-03-01\n"          // line 22
        text += "C1,Bo,7,4,2024-02-01\n"         // line 23
        text += "C2,N2,100000,1,2024-01-12\n"    // line 24: an outlier merged into C2
        let path = t.file("in.csv", text)
        let rules = try CleaningRules.load(text: """
            id: customer_id
            columns:
              spend: {merge: sum, outliers: winsorize, quantiles: [0.05, 0.95]}
              visits: {merge: max}
              name: {merge: most_frequent}
              last_order: {merge: latest}
            """, path: "clean.yaml")
        var o = Cleaning.Options()
        o.rules = rules
        o.log = t.join("log.csv")
        let s = try Cleaning.run(path: path, output: t.join("out.csv"), options: o)
        XCTAssertEqual(s.written, 20)
        XCTAssertEqual(s.mergedRows, 3)
        let rows = try readAll(t.join("out.csv"))
        XCTAssertEqual(rows[0], ["customer_id", "name", "spend", "visits", "last_order"], "winsorized, so no flag column")
        // C1: spend 11 + 5 + 7 = 23, visits max(1, 4) = 4, name Bo twice against N1 once, the last order of the last row
        XCTAssertEqual(Array(rows[2].dropFirst()), ["Bo", "23", "4", "2024-02-01"])
        // C2: 12 + 100000 is capped at the 95% quantile of the merged spends
        var merged: [Double] = (0..<20).map { Double(10 + $0) }
        merged[1] = 23
        merged[2] = 100_012
        merged.sort()
        XCTAssertEqual(Double(rows[3][2])!, DataFindings.quantile(merged, 0.95), accuracy: 1e-9)
        let log = try readAll(t.join("log.csv"))
        XCTAssertTrue(log.contains { $0[0] == "3" && $0[1] == "spend" && $0[3] == "23" && $0[4].hasPrefix("merge: sum of 3 rows") }, "\(log)")
        XCTAssertTrue(log.contains { $0[1] == "spend" && $0[4].hasPrefix("winsorized at the 0.05 and 0.95 quantiles") })
        // a rule file's mistakes name the line and the choices
        XCTAssertThrowsPersonaError(try CleaningRules.load(text: "columns:\n  spend: {merge: average}\n", path: "r.yaml"),
                                    containing: ["r.yaml", "line 2", "columns.spend.merge", "average", "most_frequent"])
        XCTAssertThrowsPersonaError(try CleaningRules.load(text: "columns:\n  spend: {cap: 3}\n", path: "r.yaml"), containing: ["columns.spend.cap", "is not a rule"])
        var unknown = Cleaning.Options()
        unknown.rules.columns["spnd"] = CleaningRules.Column()
        XCTAssertThrowsPersonaError(try Cleaning.run(path: path, output: t.join("x.csv"), options: unknown), containing: ["spnd", "no such column"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("x.csv")))
    }
}

extension CleaningTests {
    func testTheLogIsJSONLinesForAJSONLinesName() throws {
        let t = TempDir()
        let path = t.file("in.csv", "id,note\n1,\" a \"\"quoted\"\"   note \"\n2,plain\n")
        var o = Cleaning.Options()
        o.log = t.join("log.jsonl")
        _ = try Cleaning.run(path: path, output: t.join("out.csv"), options: o)
        let lines = try String(contentsOfFile: t.join("log.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let entry = try JSONDecoder().decode([String: JSONValue].self, from: Data(lines[0].utf8))
        XCTAssertEqual(entry["line"], .number(2))
        XCTAssertEqual(entry["old"], .string(" a \"quoted\"   note "))
        XCTAssertEqual(entry["new"], .string("a \"quoted\" note"))
        XCTAssertEqual(entry["rule"], .string("text trimmed, spacing collapsed"))
    }
}

extension CleaningTests {
    func testPhonesToE164AndRecordsLinkedThroughSharedValues() throws {
        XCTAssertEqual(Cleaning.e164("030 1234567", country: "DE"), "+49301234567")
        XCTAssertEqual(Cleaning.e164("+49 (30) 123-4567", country: "DE"), "+49301234567")
        XCTAssertEqual(Cleaning.e164("0049 30 1234567", country: "gb"), "+49301234567")
        XCTAssertEqual(Cleaning.e164("(415) 555-2671", country: "US"), "+14155552671")
        XCTAssertEqual(Cleaning.e164("1-415-555-2671", country: "US"), "+14155552671")
        XCTAssertNil(Cleaning.e164("555-2671", country: "US"))
        XCTAssertNil(Cleaning.e164("call me", country: "DE"))
        let t = TempDir()
        let path = t.file("in.csv", """
            customer_id,name,email,phone
            A1,Anna Lee,anna@x.org,030 1234567
            B2,Bo Chan,bo@y.org,040 7654321
            C3,anna  lee,,
            D4,Dee,DEE@z.org,+49 40 7654321
            E5,Eve,eve@q.org,
            F6,Fay,dee@z.org,

            """)
        var o = Cleaning.Options()
        o.country = "DE"
        o.match = ["email", "phone", "name"]
        o.log = t.join("log.csv")
        let s = try Cleaning.run(path: path, output: t.join("out.csv"), options: o)
        let rows = try readAll(t.join("out.csv"))
        XCTAssertEqual(rows[0].last, "cluster_id")
        // A1 and C3 by name; B2 and D4 by phone; F6 and D4 by e-mail, so B2, D4 and F6 are one customer
        XCTAssertEqual(rows.dropFirst().map { $0.last! }, ["1", "2", "1", "2", "3", "2"])
        XCTAssertEqual(rows[1][3], "+49301234567")
        XCTAssertEqual(s.clusters, 3)
        XCTAssertEqual(s.linkedRows, 3)
        let log = try readAll(t.join("log.csv"))
        XCTAssertTrue(log.contains(["5", "phone", "", "cluster 2", "linked to line 3 by phone"]), "\(log)")
        var bad = Cleaning.Options()
        bad.match = ["mail"]
        XCTAssertThrowsPersonaError(try Cleaning.run(path: path, output: t.join("x.csv"), options: bad), containing: ["mail", "--match", "no such column"])
    }
}
