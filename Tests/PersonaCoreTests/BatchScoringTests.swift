import Foundation
import XCTest
@testable import PersonaCore

/// Scoring in blocks on every core must give exactly what scoring row by row
/// gives, in input order, whatever the block size, and handle bad rows as asked.
final class BatchScoringTests: XCTestCase {
    override func tearDown() { BatchScorer.blockBytes = 4 << 20 }

    /// A small logistic model on columns x (number), c (category), b (boolean).
    func model(_ t: TempDir) throws -> LogisticModel {
        var rows = "id,x,c,b,y\n"
        var rng = PersonaRandom(seed: 3)
        for i in 0..<400 {
            let x = rng.uniform() * 10
            let c = ["red", "green", "blue"][i % 3]
            let y = x + (c == "red" ? 2 : 0) + rng.uniform() * 4 > 8 ? 1 : 0
            rows += "u\(i),\(x),\(c),\(i % 2 == 0 ? "yes" : "no"),\(y)\n"
        }
        var config = LogisticConfig(target: "y"); config.l2 = 1e-3
        return try LogisticModel.train(path: t.file("train.csv", rows), config: config, selection: ColumnSelection(exclude: ["id"]))
    }

    /// The reference: each row scored alone through the same pipeline.
    func expected(_ m: LogisticModel, _ rows: [[String]]) throws -> [String] {
        let header = ["id", "x", "c", "b"]
        let bound = try BoundPipeline(m.card.pipeline, header: header, file: "ref")
        var out: [String] = []
        for r in rows {
            let t = TempDir()
            let p = t.file("one.csv", header.joined(separator: ",") + "\n" + r.map { $0.contains(",") || $0.contains("\"") || $0.contains("\n") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }.joined(separator: ",") + "\n")
            let reader = try CSVReader(path: p)
            var rec = CSVRecord()
            XCTAssertTrue(try reader.next(into: &rec))
            var x = FloatMatrix(rows: 1, cols: bound.width)
            try x.storage.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress!) }
            out.append(Float(m.score(x)[0].values[0]).description)
        }
        return out
    }

    func testBlocksGiveTheSameRowsInOrderWhateverTheirSize() throws {
        let t = TempDir()
        let m = try model(t)
        var text = "id,x,c,b\n"
        var rows: [[String]] = []
        var rng = PersonaRandom(seed: 9)
        for i in 0..<3000 {
            // quoted ids with commas and line breaks cross block boundaries
            let id = i % 7 == 0 ? "cust \(i),\nsecond line" : "u\(i)"
            let x = i % 11 == 0 ? "" : String(rng.uniform() * 10)
            let c = ["red", "green", "blue", "purple"][i % 4]
            rows.append([id, x, c, i % 3 == 0 ? "yes" : "no"])
            let quoted = id.contains(",") ? "\"" + id + "\"" : id
            text += "\(quoted),\(x),\(c),\(rows.last![3])" + (i % 5 == 0 ? "\r\n" : "\n")
        }
        let input = t.file("in.csv", text)
        var outputs: [[[String]]] = []
        for size in [64, 1000, 4 << 20] {
            BatchScorer.blockBytes = size
            let out = t.join("out-\(size).csv")
            let s = try BatchScorer.score(model: m, input: input, output: out,
                                          settings: .init(idColumns: ["id"]))
            XCTAssertEqual(s.rows, 3000)
            outputs.append(try readAll(out))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
        let got = outputs[0]
        XCTAssertEqual(got[0], ["id", "probability", "predicted", "risk_decile"])
        XCTAssertEqual(got.dropFirst().map { $0[0] }, rows.map { $0[0] })
        let want = try expected(m, Array(rows.prefix(200)))
        XCTAssertEqual(got.dropFirst().prefix(200).map { $0[1] }, want)
    }

    func testLineEndingsAndByteOrderMarkGiveTheSameScores() throws {
        let t = TempDir()
        let m = try model(t)
        var rows: [String] = []
        for i in 0..<500 { rows.append("u\(i),\(Double(i % 13) / 1.3),\(["red", "green", "blue"][i % 3]),\(i % 2 == 0 ? "yes" : "no")") }
        let body = rows.joined(separator: "\n")
        BatchScorer.blockBytes = 4 << 20
        let reference = t.file("lf.csv", "id,x,c,b\n" + body + "\n")
        _ = try BatchScorer.score(model: m, input: reference, output: t.join("ref.csv"), settings: .init())
        let want = try readAll(t.join("ref.csv"))
        let variants = [
            ("crlf.csv", "id,x,c,b\r\n" + rows.joined(separator: "\r\n") + "\r\n"),
            ("cr.csv", "id,x,c,b\r" + rows.joined(separator: "\r")),
            ("bom.csv", "\u{FEFF}id,x,c,b\n" + body),
            ("blank-lines.csv", "id,x,c,b\n\n" + rows.joined(separator: "\n\n") + "\n\n"),
        ]
        for (name, text) in variants {
            for size in [37, 256, 4 << 20] {
                BatchScorer.blockBytes = size
                let s = try BatchScorer.score(model: m, input: t.file(name, text), output: t.join("out.csv"), settings: .init())
                XCTAssertEqual(s.rows, 500, "\(name), blocks of \(size) bytes")
                XCTAssertEqual(try readAll(t.join("out.csv")), want, "\(name), blocks of \(size) bytes")
            }
        }
        // line numbers in errors count the lines as written, whatever the line ending
        BatchScorer.blockBytes = 64
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: m, input: t.file("bad-cr.csv", "id,x,c,b\r" + rows.prefix(300).joined(separator: "\r") + "\rbad,zz,red,yes\r"),
                                                          output: t.join("o.csv"), settings: .init()),
                                    containing: ["line 302", "\"zz\""])
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: m, input: t.file("bad-blank.csv", "id,x,c,b\n\n\nu1,1,red,yes\n\nbad,zz,red,yes\n"),
                                                          output: t.join("o.csv"), settings: .init()),
                                    containing: ["line 6", "\"zz\""])
    }

    func testBadRowsStopTheRunNamingTheLineOrGoToTheRejectFile() throws {
        let t = TempDir()
        let m = try model(t)
        var text = "id,x,c,b\n"
        for i in 0..<2000 {
            if i == 1500 { text += "bad1,not-a-number,red,yes\n" }
            else if i == 1700 { text += "bad2,3,red\n" }
            else { text += "u\(i),\(i % 10),green,no\n" }
        }
        let input = t.file("in.csv", text)
        BatchScorer.blockBytes = 512
        let out = t.join("scores.csv")
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: m, input: input, output: out, settings: .init()),
                                    containing: ["line 1502", "column 2", "\"x\"", "not-a-number", "--on-error skip"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written when the run fails")

        let s = try BatchScorer.score(model: m, input: input, output: out, settings: .init(skipBadRows: true))
        XCTAssertEqual(s.rows, 1998)
        XCTAssertEqual(s.rejected, 2)
        XCTAssertEqual(s.rejectsPath, t.join("scores.rejects.csv"))
        let rejects = try String(contentsOfFile: t.join("scores.rejects.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(rejects.count, 3)
        XCTAssertEqual(rejects[0], "line,reason,id,x,c,b")
        XCTAssertTrue(rejects[1].hasPrefix("1502,"), rejects[1])
        XCTAssertTrue(rejects[1].contains("expected a number") && rejects[1].hasSuffix("bad1,not-a-number,red,yes"), rejects[1])
        XCTAssertTrue(rejects[2].hasPrefix("1702,ragged row: 3 fields where the header has 4"), rejects[2])
        let scored = try readAll(out)
        XCTAssertEqual(scored.count, 1999)
        XCTAssertFalse(scored.contains { $0[0].hasPrefix("bad") })
    }

    func testEveryRowRejectedIsAnError() throws {
        let t = TempDir()
        let m = try model(t)
        let input = t.file("in.csv", "id,x,c,b\na,zz,red,yes\nb,1,red\n")
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: m, input: input, output: t.join("o.csv"), settings: .init(skipBadRows: true)),
                                    containing: ["every row was rejected (2)"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("o.csv")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("o.rejects.csv")))
    }

    func testUnclosedQuoteNamesWhereItStarts() throws {
        let t = TempDir()
        let m = try model(t)
        var text = "id,x,c,b\n"
        for i in 0..<50 { text += "u\(i),1,red,yes\n" }
        text += "\"broken,1,red,yes\n"
        for i in 0..<50 { text += "u\(i),1,red,yes\n" }
        BatchScorer.blockBytes = 100
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: m, input: t.file("in.csv", text), output: t.join("o.csv"), settings: .init()),
                                    containing: ["line 52", "never closed"])
    }

    func testJSONLinesCarryIdsAsStringsAndScoresAsNumbers() throws {
        let t = TempDir()
        let m = try model(t)
        let input = t.file("in.csv", "id,x,c,b\n\"a \"\"quoted\"\" id\",1.5,red,yes\nb\\2,,teal,no\n")
        let out = t.join("s.jsonl")
        _ = try BatchScorer.score(model: m, input: input, output: out, settings: .init(idColumns: ["id"], format: .jsonl))
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        for (line, id) in zip(lines, ["a \"quoted\" id", "b\\2"]) {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(o["id"] as? String, id)
            let p = try XCTUnwrap(o["probability"] as? Double)
            XCTAssertTrue(p > 0 && p < 1)
            XCTAssertNotNil(o["predicted"] as? String)
            XCTAssertNotNil(o["risk_decile"] as? Int)
        }
    }

    func testTopKeepsTheRiskiestRowsAcrossBlocks() throws {
        let t = TempDir()
        let m = try model(t)
        var text = "id,x,c,b\n"
        for i in 0..<1000 { text += "u\(i),\(Double(i % 97) / 9.7),\(["red", "green"][i % 2]),no\n" }
        let input = t.file("in.csv", text)
        BatchScorer.blockBytes = 300
        _ = try BatchScorer.score(model: m, input: input, output: t.join("all.csv"), settings: .init())
        _ = try BatchScorer.score(model: m, input: input, output: t.join("top.csv"), settings: .init(options: ScoreOptions(top: 25)))
        let all = try readAll(t.join("all.csv")).dropFirst()
        let sorted = all.enumerated().sorted { a, b in
            let pa = Double(a.element[1])!, pb = Double(b.element[1])!
            return pa != pb ? pa > pb : a.offset < b.offset
        }.map(\.element)
        XCTAssertEqual(Array(try readAll(t.join("top.csv")).dropFirst()), Array(sorted.prefix(25)))
        // With explanations, only the rows kept are explained, and they are the
        // same rows with the same reasons as explaining every row would give.
        var explain = ScoreOptions(top: 25); explain.explain = 2
        _ = try BatchScorer.score(model: m, input: input, output: t.join("why-top.csv"), settings: .init(options: explain))
        var every = ScoreOptions(); every.explain = 2
        _ = try BatchScorer.score(model: m, input: input, output: t.join("why-all.csv"), settings: .init(options: every))
        let explained = try readAll(t.join("why-all.csv"))
        XCTAssertEqual(try readAll(t.join("why-top.csv"))[0], explained[0])
        let byId = Dictionary(uniqueKeysWithValues: explained.dropFirst().map { ($0[0], $0) })
        let kept = try readAll(t.join("why-top.csv")).dropFirst()
        XCTAssertEqual(kept.map { $0[0] }, sorted.prefix(25).map { $0[0] })
        for row in kept { XCTAssertEqual(row, byId[row[0]], row[0]) }
    }
}
