import Foundation
import XCTest
@testable import PersonaCore

/// The one row encoder: the same rows from a CSV file, a training set and
/// named values in memory give the same bits, in every mode.
final class RowEncoderTests: XCTestCase {
    /// Training rows: a number with gaps, yes/no words, a category with spaces
    /// around some values and a missing marker, a 0/1 column.
    static let training = """
    spend,active,plan,flag
    12.5,yes,basic,0
    ,no, premium ,1
    7.25,yes,basic,1
    3,NA,standard,0
    100.125,no,premium,1
    41,yes,,0
    0.3,no,basic ,1
    2.75,yes,standard,0
    """

    /// Rows to encode: seen and unseen levels, every missing spelling, padded numbers.
    static let scoring = """
    spend,active,plan,flag
    5,yes,basic,1
     NaN ,no,gold,0
    1e3,,premium,null
    -2.5,YES, standard ,1
    0,No,N/A,0
    """

    func encoder(_ t: TempDir) throws -> RowEncoder {
        let data = try TrainingSet.read(path: t.file("train.csv", Self.training + "\n"))
        let (pipeline, _) = try FeaturePipeline.fit(data, selection: ColumnSelection())
        XCTAssertEqual(pipeline.columns.map(\.type), [.numeric, .boolean, .categorical, .boolean])
        return RowEncoder(pipeline)
    }

    /// The scoring rows as a server would receive them: numbers as JSON numbers
    /// where they are numbers, everything else as text, empty cells as null.
    func namedRows() -> [[String: RowValue]] {
        let lines = Self.scoring.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        return lines.dropFirst().map { fields in
            var row: [String: RowValue] = ["unrelated": .text("ignored")]
            for (name, f) in zip(header, fields) {
                if f.isEmpty { row[name] = .missing }
                else if name == "spend", let d = Double(f) { row[name] = .number(d) }
                else if name == "flag", let d = Double(f) { row[name] = .number(d) }
                else { row[name] = .text(f) }
            }
            return row
        }
    }

    func bits(_ m: FloatMatrix) -> [UInt32] { m.storage.map(\.bitPattern) }

    /// The rows of a CSV file encoded record by record, from a training set's
    /// stored columns and as named values in memory: the same bits in every mode.
    func checkThreeSources(_ enc: RowEncoder, path: String, set: TrainingSet, named: [[String: RowValue]],
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let n = named.count
        for mode in [RowEncoder.Mode.features, .raw, .rawNumbers] {
            let reader = try CSVReader(path: path)
            let bound = try BoundPipeline(enc, header: reader.header, file: path)
            var fromCSV = FloatMatrix(rows: n, cols: enc.width)
            var rec = CSVRecord(), i = 0
            try fromCSV.storage.withUnsafeMutableBufferPointer { out in
                while try reader.next(into: &rec) { try bound.encode(rec, into: out.baseAddress! + i * enc.width, mode: mode); i += 1 }
            }
            let values = try enc.pipeline.columns.indices.map { k in
                try XCTUnwrap(enc.columnValues(k, set.store.columns[set.columnNames.firstIndex(of: enc.pipeline.columns[k].source)!], mode))
            }
            let storage = [Float](unsafeUninitializedCapacity: n * enc.width) { out, count in
                enc.encodeColumns(values, rows: n, into: out, mode)
                count = n * enc.width
            }
            XCTAssertEqual(bits(FloatMatrix(rows: n, cols: enc.width, storage: storage)), bits(fromCSV), "\(mode): training set against CSV", file: file, line: line)
            XCTAssertEqual(bits(try enc.encode(named, mode: mode, source: "request")), bits(fromCSV), "\(mode): named values against CSV", file: file, line: line)
        }
    }

    func testTheThreeSourcesGiveTheSameBits() throws {
        let t = TempDir()
        let enc = try encoder(t)
        let path = t.file("score.csv", Self.scoring + "\n")
        let set = try TrainingSet.read(path: path)
        let named = namedRows()
        try checkThreeSources(enc, path: path, set: set, named: named)
        // The public paths agree too.
        for raw in [false, true] {
            let a = try enc.pipeline.transform(path: path, raw: raw).matrix
            let b = try enc.pipeline.transform(set, raw: raw).matrix
            XCTAssertEqual(bits(a), bits(b), "transform(path:) against transform(TrainingSet), raw \(raw)")
        }
    }

    func testTheEncodedValuesAreThePipelines() throws {
        let t = TempDir()
        let enc = try encoder(t)
        let p = enc.pipeline
        XCTAssertEqual(p.columns.map(\.encodedWidth), [2, 2, 4, 1], "spend and active had missing values; three plans and the unseen bucket")
        XCTAssertEqual(p.columnOffsets, [0, 2, 4, 8])
        XCTAssertEqual(p.width, 9)
        XCTAssertEqual(p.width, p.featureNames.count)
        let spend = p.columns[0], plan = p.columns[2]
        XCTAssertEqual(plan.levels?.first, "basic", "the most frequent level first")
        XCTAssertEqual(Set(plan.levels ?? []), ["basic", "premium", "standard"])
        func block(_ level: String?) -> [Float] {
            var b: [Float] = [0, 0, 0, 0]
            b[level.flatMap { plan.levels!.firstIndex(of: $0) } ?? 3] = 1
            return b
        }
        let row: [String: RowValue] = ["spend": .missing, "active": .bool(true), "plan": .text(" premium "), "flag": .number(1)]
        let m = try enc.encode([row], source: "request")
        let median = Float(spend.median!)
        XCTAssertEqual(m.storage[0], Float((Double(median) - spend.center) / spend.scale), "missing spend: the median, scaled")
        XCTAssertEqual(m.storage[1], 1, "spend's missing indicator")
        XCTAssertEqual(Array(m.storage[4..<8]), block("premium"), "premium, spaces ignored")
        let active = p.columns[1]
        XCTAssertEqual(Array(m.storage[2..<4]), [Float((1 - active.center) / active.scale), 0], "active: true (1, scaled), not missing")
        let raw = try enc.encode([row], mode: .raw, source: "request")
        XCTAssertTrue(raw.storage[0].isNaN)
        XCTAssertEqual(raw.storage[1], 1)
        let unseen = try enc.encode([["spend": .number(1), "active": .text("no"), "plan": .number(3), "flag": .text("0")]], mode: .raw, source: "r")
        XCTAssertEqual(Array(unseen.storage[4..<8]), block(nil), "an unseen level takes the last slot")
        let missingPlan = try enc.encode([["spend": .number(1), "active": .text("no"), "plan": .missing, "flag": .text("0")]], mode: .raw, source: "r")
        XCTAssertEqual(Array(missingPlan.storage[4..<8]), [0, 0, 0, 0], "raw: a missing category is an all-zero block")
        let filled = try enc.encode([["spend": .number(1), "active": .text("no"), "plan": .missing, "flag": .text("0")]], source: "r")
        XCTAssertEqual(Array(filled.storage[4..<8]), block("basic"), "features: the most frequent level")
    }

    /// A date column becomes days since the latest training date, month and
    /// weekday, the same from every source; a date that is not one is named.
    func testDateColumnsGiveTheSameBitsFromEverySource() throws {
        let t = TempDir()
        let training = "spend,joined\n1,2025-03-14\n2,01/02/2025\n3,25/12/2024\n4,\n5,\"March 3, 2025\"\n6,2025-01-05T10:00:00\n7,31/01/2025\n"
        let data = try TrainingSet.read(path: t.file("train.csv", training))
        XCTAssertEqual(data.profile.column("joined")?.type, .date)
        XCTAssertEqual(data.profile.column("joined")?.dateOrder, .dayFirst)
        let (pipeline, _) = try FeaturePipeline.fit(data, selection: ColumnSelection())
        XCTAssertEqual(pipeline.columns.map(\.name), ["spend", "joined_days_since", "joined_month", "joined_weekday"])
        XCTAssertEqual(pipeline.columns.map(\.source), ["spend", "joined", "joined", "joined"])
        let enc = RowEncoder(pipeline)
        // 1 February 2025 (a Saturday) is 41 days before the latest, 14 March.
        let m = try enc.encode([["spend": .number(1), "joined": .text("01/02/2025")]], mode: .raw, source: "r")
        XCTAssertEqual(Array(m.storage[1...]), [41, 0, 2, 6])
        let scoring = "spend,joined\n1,2025-06-01\n2,NA\n3,13/02/2025\n4,\n5,\"July 4, 2025\"\n"
        let path = t.file("score.csv", scoring)
        let set = try TrainingSet.read(path: path)
        let named: [[String: RowValue]] = [["spend": .number(1), "joined": .text("2025-06-01")], ["spend": .number(2), "joined": .text("NA")],
                                           ["spend": .number(3), "joined": .text("13/02/2025")], ["spend": .number(4), "joined": .missing],
                                           ["spend": .number(5), "joined": .text("July 4, 2025")]]
        try checkThreeSources(enc, path: path, set: set, named: named)
        let bad = t.file("bad.csv", "spend,joined\n1,2025-06-01\n2,someday\n")
        XCTAssertThrowsPersonaError(try pipeline.transform(path: bad), containing: ["bad.csv", "line 3", "joined", "expected a date", "someday"])
        XCTAssertThrowsPersonaError(try enc.encode([["spend": .number(1)]], source: "request"), containing: ["\"joined\""])
    }

    func testBadNamedRowsNameTheColumnAndTheRow() throws {
        let t = TempDir()
        let enc = try encoder(t)
        let good: [String: RowValue] = ["spend": .number(1), "active": .text("no"), "plan": .text("basic"), "flag": .number(0)]
        var lacking = good
        lacking["plan"] = nil
        XCTAssertThrowsPersonaError(try enc.encode([good, lacking], source: "request"), containing: ["request", "row 2", "\"plan\"", "null"])
        var text = good
        text["spend"] = .text("twelve")
        XCTAssertThrowsPersonaError(try enc.encode([text], source: "request"), containing: ["request", "spend", "row 1", "expected a number", "twelve"])
        var word = good
        word["flag"] = .text("maybe")
        XCTAssertThrowsPersonaError(try enc.encode([word], source: "request"), containing: ["flag", "maybe"])
    }
}
