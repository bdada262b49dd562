import XCTest
@testable import PersonaCore

/// CSV dialects, numbers and dates as spreadsheets and European systems write them.
final class DialectTests: XCTestCase {
    func sniff(_ text: String) throws -> CSVDialect { try CSVDialect.sniff(bytes: Array(text.utf8), path: "f.csv") }

    func testTheDelimiterIsTheOneThatSplitsEveryLineAlike() throws {
        XCTAssertEqual(try sniff("a,b,c\n1,2,3\n").delimiter, UInt8(ascii: ","))
        XCTAssertEqual(try sniff("a;b;c\n1;2,5;3\n4;5;6\n"), CSVDialect(delimiter: UInt8(ascii: ";"), decimalComma: true))
        XCTAssertEqual(try sniff("a\tb\n\"x\ty\"\t2\n").delimiter, 9, "a quoted delimiter does not count")
        XCTAssertEqual(try sniff("a|b\n1|2\n").delimiter, UInt8(ascii: "|"))
        // quoted commas inside a semicolon file
        XCTAssertEqual(try sniff("name;city\n\"Lee, Anna\";Paris\n\"Roe, Jo\";Lyon\n").delimiter, UInt8(ascii: ";"))
        // one column: no delimiter splits it
        XCTAssertEqual(try sniff("email\na@b.c\n").delimiter, UInt8(ascii: ","))
        // CRLF and a last line without a line break
        XCTAssertEqual(try sniff("a;b\r\n1;2\r\n3;4").delimiter, UInt8(ascii: ";"))
    }

    func testAnAmbiguousFileNamesTheFlag() {
        XCTAssertThrowsPersonaError(try sniff("a,b;c\n1,2;3\n4,5;6\n"), containing: ["ambiguous", "comma", "semicolon", "--delimiter"])
    }

    func testDecimalCommasNeedNoDecimalPointBeside() throws {
        XCTAssertTrue(try sniff("a;b\n1;59,39\n2;1.124,78\n").decimalComma)
        XCTAssertFalse(try sniff("a;b\n1;59.39\n2;1,5\n").decimalComma, "a decimal point elsewhere: not a decimal-comma file")
        XCTAssertFalse(try sniff("a,b\n1,\"59,39\"\n").decimalComma, "comma-separated files are not looked at")
        XCTAssertTrue(try sniff("a;b\n1;0,5\n2;1.234\n").decimalComma, "1.234 is a group of thousands there")
    }

    func testNumberForms() {
        func form(_ s: String) -> CSVDialect.NumberForm { CSVDialect.numberForm(Array(s.utf8)) }
        XCTAssertEqual(form("12,5"), .decimalComma)
        XCTAssertEqual(form("-1.234.567,89"), .decimalComma)
        XCTAssertEqual(form("12.5"), .decimalPoint)
        XCTAssertEqual(form("0.123"), .decimalPoint)
        XCTAssertEqual(form("1.234"), .groupedPoints)
        XCTAssertEqual(form("12.34.5"), .other)
        XCTAssertEqual(form("1,2,3"), .other)
        XCTAssertEqual(form("abc"), .other)
        XCTAssertEqual(form(",5"), .other)
    }

    func testADecimalCommaFileReadsAsTheSameNumbers() throws {
        let t = TempDir()
        let p = t.file("eu.csv", "id;spend;note\n1;59,39;a,b\n2;\"1.124,78\";x\n3;-0,5 €;y\n4;1.000;z\n")
        let r = try CSVReader(path: p, delimiter: UInt8(ascii: ";"))
        XCTAssertTrue(r.decimalComma)
        var rows: [[String]] = []
        var rec = CSVRecord()
        while try r.next(into: &rec) { rows.append(rec.fields) }
        XCTAssertEqual(rows, [["1", "59.39", "a,b"], ["2", "1124.78", "x"], ["3", "-0.5", "y"], ["4", "1000", "z"]])
        let profile = try Profiler.profile(path: p, delimiter: UInt8(ascii: ";"))
        XCTAssertEqual(profile.column("spend")?.type, .numeric)
        XCTAssertEqual(profile.column("spend")?.max, 1124.78)
    }

    func testNumbersWithCurrencySignsAndThousandsSeparators() {
        XCTAssertEqual(NumberParser.parse("1,124.78"), 1124.78)
        XCTAssertEqual(NumberParser.parse("$1,124.78"), 1124.78)
        XCTAssertEqual(NumberParser.parse("-$3"), -3)
        XCTAssertEqual(NumberParser.parse("$-3.5"), -3.5)
        XCTAssertEqual(NumberParser.parse("€12.50"), 12.5)
        XCTAssertEqual(NumberParser.parse("12.50 €"), 12.5)
        XCTAssertEqual(NumberParser.parse("£1,000,000"), 1_000_000)
        XCTAssertEqual(NumberParser.parse("1,234,567"), 1_234_567)
        // not numbers
        for s in ["1,2", "12,34", "1,2345", "$", "$ abc", "3rd", "1,234,56", "--5", "$$5", "12 34"] {
            XCTAssertNil(NumberParser.parse(s), s)
        }
    }

    func testFilesThatAreNotCSVSayWhatTheyAre() {
        let t = TempDir()
        let xlsx = t.bytes("book.csv", [0x50, 0x4B, 0x03, 0x04] + Array("....[Content_Types].xml xl/workbook.xml".utf8))
        XCTAssertThrowsPersonaError(try CSVReader(path: xlsx), containing: ["book.csv", "Excel workbook (XLSX)", "CSV"])
        XCTAssertThrowsPersonaError(try CSVDialect.sniff(path: xlsx), containing: ["Excel workbook (XLSX)"])
        let zip = t.bytes("a.zip", [0x50, 0x4B, 0x03, 0x04] + Array("data.csv".utf8))
        XCTAssertThrowsPersonaError(try CSVReader(path: zip), containing: ["ZIP archive", "unzip"])
        let binary = t.bytes("x.bin", [1, 2, 0, 3, 10])
        XCTAssertThrowsPersonaError(try CSVReader(path: binary), containing: ["binary file"])
        let utf16 = t.bytes("u.csv", [0xFF, 0xFE, 0x61, 0x00])
        XCTAssertThrowsPersonaError(try CSVReader(path: utf16), containing: ["UTF-16", "iconv"])
    }

    func testWrittenDates() {
        let iso = Timestamps.parse("2025-03-14")!
        XCTAssertEqual(Timestamps.parse("14/03/2025", order: nil), iso, "a day over 12 says the order")
        XCTAssertEqual(Timestamps.parse("03/14/2025", order: nil), iso)
        XCTAssertEqual(Timestamps.parse("14.03.2025", order: .dayFirst), iso)
        XCTAssertEqual(Timestamps.parse("3/14/2025", order: .monthFirst), iso)
        XCTAssertEqual(Timestamps.parse("March 14, 2025", order: nil), iso)
        XCTAssertEqual(Timestamps.parse("Mar 14 2025", order: nil), iso)
        XCTAssertEqual(Timestamps.parse("14 March 2025", order: nil), iso)
        XCTAssertEqual(Timestamps.parse("Sept 1, 2025", order: nil), Timestamps.parse("2025-09-01"))
        XCTAssertEqual(Timestamps.parse("14/03/2025 09:26:53", order: .dayFirst), Timestamps.parse("2025-03-14T09:26:53"))
        XCTAssertNil(Timestamps.parse("03/04/2025", order: nil), "day or month: the column decides")
        XCTAssertEqual(Timestamps.parse("03/04/2025", order: .dayFirst), Timestamps.parse("2025-04-03"))
        XCTAssertNil(Timestamps.parse("14/03/2025", order: .monthFirst))
        XCTAssertNil(Timestamps.parse("31/02/2025", order: .dayFirst))
        XCTAssertNil(Timestamps.parse("Marchy 14, 2025", order: nil))
        XCTAssertNil(Timestamps.parse("14/03/25", order: .dayFirst), "two-digit years are not guessed")
    }

    func testAColumnsDateOrderComesFromItsValues() throws {
        let t = TempDir()
        let dayFirst = t.file("d.csv", "id,t\n1,03/04/2025\n2,01/02/2025\n3,25/12/2024\n")
        XCTAssertEqual(try DateColumn.detect(path: dayFirst, delimiter: 44, column: 1, given: nil).order, .dayFirst)
        let monthFirst = t.file("m.csv", "id,t\n1,03/04/2025\n2,12/25/2024\n")
        XCTAssertEqual(try DateColumn.detect(path: monthFirst, delimiter: 44, column: 1, given: nil).order, .monthFirst)
        let iso = t.file("i.csv", "id,t\n1,2025-03-04\n")
        XCTAssertNil(try DateColumn.detect(path: iso, delimiter: 44, column: 1, given: nil).order)
        let undecided = t.file("u.csv", "id,t\n1,03/04/2025\n2,01/02/2025\n")
        XCTAssertThrowsPersonaError(try DateColumn.detect(path: undecided, delimiter: 44, column: 1, given: nil),
                                    containing: ["line 2", "03/04/2025", "--day-first", "--month-first"])
        XCTAssertEqual(try DateColumn.detect(path: undecided, delimiter: 44, column: 1, given: .monthFirst).order, .monthFirst)
    }

    func testDescribeFindsDateColumnsWithTheirRangeAndFormats() throws {
        let t = TempDir()
        let p = t.file("d.csv", "id,joined,when,code\n1,2025-03-14,03/04/2025,A1\n2,14/03/2025,05/06/2025,B2\n3,\"March 1, 2024\",,C3\n4,,07/08/2025,D4\n")
        let profile = try Profiler.profile(path: p)
        let joined = try XCTUnwrap(profile.column("joined"))
        XCTAssertEqual(joined.type, .date)
        XCTAssertEqual(joined.dateOrder, .dayFirst)
        XCTAssertEqual(joined.min, Timestamps.parse("2024-03-01"))
        XCTAssertEqual(joined.max, Timestamps.parse("2025-03-14"))
        XCTAssertEqual(joined.formats?.map(\.format), ["yyyy-mm-dd", "dd/mm/yyyy", "Month d, yyyy"])
        XCTAssertEqual(joined.formats?.map(\.count), [1, 1, 1])
        XCTAssertEqual(joined.formats?[1].example, "14/03/2025")
        let when = try XCTUnwrap(profile.column("when"))
        XCTAssertEqual(when.type, .date, "dates whose order no value settles are still dates")
        XCTAssertNil(when.dateOrder)
        XCTAssertEqual(profile.column("code")?.type, .categorical)
        // a column whose dates disagree on the order is not read as dates
        let mixed = t.file("m.csv", "t\n13/01/2025\n01/13/2025\n")
        XCTAssertNotEqual(try Profiler.profile(path: mixed).column("t")?.type, .date)
    }

    func testFindingsCountDuplicatesVariantsOutliersAndImpossibleValues() throws {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) = 2, 3, 4
        XCTAssertEqual(DataFindings.quantile([1, 2, 3, 4, 10], 0.25), 2)
        XCTAssertEqual(DataFindings.quantile([1, 2, 3, 4], 0.5), 2.5)
        XCTAssertEqual(DataFindings.quantile([1, 2, 3, 4], 0.1), 1.3, accuracy: 1e-12)
        let t = TempDir()
        var text = "customer_id,name,age,spend,joined\n"
        for i in 0..<20 { text += "C\(i),Anna Lee,\(30 + i % 5),\(10 + i % 3),2024-01-\(10 + i % 9)\n" }
        text += "C3,anna  lee,-2,\"$1,000.50\",1890-01-01\n"        // line 22: a repeated id, a variant, a negative age, currency, before 1900
        text += "C5,Anna Lee,31,11,2024-01-15\n"                 // line 23: C5's row again? (differs: spend)
        text += "C0,Anna Lee,30,10,2024-01-10\n"                 // line 24: an exact duplicate of line 2
        let p = t.file("f.csv", text)
        let profile = try Profiler.profile(path: p)
        let f = try DataFindings.find(path: p, delimiter: 44, profile: profile)
        XCTAssertEqual(f.duplicateRows, 1)
        XCTAssertEqual(f.firstDuplicateRowLine, 24)
        XCTAssertEqual(f.idColumn, "customer_id")
        XCTAssertEqual(f.duplicateIds, 3)
        XCTAssertEqual(f.firstDuplicateIdLine, 22)
        XCTAssertEqual(f.columns["name"]?.variants?.groups, 1)
        XCTAssertEqual(f.columns["name"]?.variants?.rows, 23)
        XCTAssertEqual(f.columns["age"]?.impossible?.count, 1)
        XCTAssertEqual(f.columns["age"]?.impossible?.line, 22)
        XCTAssertEqual(f.columns["spend"]?.formats.map(\.format), ["number with a currency sign and thousands separators"])
        XCTAssertEqual(f.columns["spend"]?.outliers?.iqr.count, 1)
        XCTAssertEqual(f.columns["spend"]?.outliers?.iqr.max, 1000.5)
        XCTAssertEqual(f.columns["joined"]?.impossible?.reason, "a date before 1900")
    }

    func testAYesNoTargetMatchesInAnySpelling() throws {
        let y = try BinaryTarget.match(column: "c", labels: ["yes", "No", "1", "0", "TRUE", "f"], positive: "true", negative: "false", file: "f.csv")
        XCTAssertEqual(y, [true, false, true, false, true, false])
        XCTAssertThrowsPersonaError(try BinaryTarget.match(column: "c", labels: ["maybe"], positive: "true", negative: "false", file: "f.csv"),
                                    containing: ["maybe"])
        XCTAssertThrowsPersonaError(try BinaryTarget.match(column: "c", labels: ["yes"], positive: "churn", negative: "stay", file: "f.csv"),
                                    containing: ["\"yes\""])   // classes that are not yes/no match only as written
    }
}
