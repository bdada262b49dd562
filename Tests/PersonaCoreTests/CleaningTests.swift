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
