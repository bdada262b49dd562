import XCTest
@testable import PersonaCore

final class CSVTests: XCTestCase {
    func testQuotedFieldsWithDelimitersNewlinesAndDoubledQuotes() throws {
        let t = TempDir()
        let p = t.file("q.csv", "name,note\n\"Smith, Jo\",\"said \"\"hi\"\"\nthen left\"\nplain,\"\"\n")
        XCTAssertEqual(try readAll(p), [["name", "note"], ["Smith, Jo", "said \"hi\"\nthen left"], ["plain", ""]])
    }

    func testBOMAndCRLFAndNoFinalNewline() throws {
        let t = TempDir()
        let p = t.bytes("b.csv", [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n3,4".utf8))
        XCTAssertEqual(try readAll(p), [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    func testLineNumbersCountLinesInsideQuotes() throws {
        let t = TempDir()
        let p = t.file("l.csv", "a,b\n\"x\ny\",1\n\n2,3\n")
        let r = try CSVReader(path: p)
        var rec = CSVRecord()
        XCTAssertTrue(try r.next(into: &rec)); XCTAssertEqual(rec.line, 2)
        XCTAssertTrue(try r.next(into: &rec)); XCTAssertEqual(rec.line, 5)   // blank line 4 skipped
        XCTAssertFalse(try r.next(into: &rec))
    }

    func testDelimiterOption() throws {
        let t = TempDir()
        let p = t.file("s.csv", "a;b\n1,5;2\n")
        let r = try CSVReader(path: p, delimiter: UInt8(ascii: ";"))
        var rec = CSVRecord()
        XCTAssertTrue(try r.next(into: &rec))
        XCTAssertEqual(rec.fields, ["1.5", "2"], "a semicolon file's decimal comma, in the usual form")
        XCTAssertEqual(try parseDelimiter("tab"), 9)
        XCTAssertThrowsError(try parseDelimiter(";;"))
    }

    func testRecordsLongerThanTheReadBuffer() throws {
        let t = TempDir()
        let long = String(repeating: "x", count: 3_000_000)
        let p = t.file("big.csv", "a,b\n\"\(long)\",1\n2,3\n")
        let rows = try readAll(p)
        XCTAssertEqual(rows[1][0].count, 3_000_000)
        XCTAssertEqual(rows[2], ["2", "3"])
    }

    func testBadInputErrorsNameFileLineAndColumn() {
        let t = TempDir()
        XCTAssertThrowsPersonaError(try CSVReader(path: t.join("missing.csv")), containing: ["missing.csv", "no such file"])
        XCTAssertThrowsPersonaError(try CSVReader(path: t.file("e.csv", "")), containing: ["e.csv", "empty"])
        let ragged = t.file("r.csv", "a,b\n1,2\n3\n")
        XCTAssertThrowsPersonaError(try readAll(ragged), containing: ["r.csv", "line 3", "ragged", "1 field where the header has 2"])
        let open = t.file("u.csv", "a,b\n1,2\n3,\"never closed\n4,5\n")
        XCTAssertThrowsPersonaError(try readAll(open), containing: ["u.csv", "line 3", "column 2", "unterminated quote"])
        XCTAssertThrowsPersonaError(try CSVReader(path: t.file("d.csv", "a,a\n1,2\n")), containing: ["appears twice"])
    }

    func testWriterQuotesWhatNeedsQuotingAndIsAtomic() throws {
        let t = TempDir()
        let p = t.join("w.csv")
        let w = try CSVWriter(path: p)
        w.row(["a", "b,c", "say \"x\"", "line\nbreak"])
        w.field(3.25, decimals: 2); w.field(-0.05, decimals: 2); w.field(7.0, decimals: 3); w.field(42); w.endRow()
        XCTAssertFalse(FileManager.default.fileExists(atPath: p), "nothing at the target before commit")
        try w.commit()
        XCTAssertEqual(try readAll(p), [["a", "b,c", "say \"x\"", "line\nbreak"], ["3.25", "-0.05", "7", "42"]])
        let abandoned = try CSVWriter(path: t.join("x.csv"))
        abandoned.row(["half"])
        abandoned.abandon()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: t.path).sorted(), ["w.csv"])
    }

    func testNumberParser() {
        let cases: [(String, Double?)] = [("0", 0), ("-1.5", -1.5), ("+2", 2), (" 3.25 ", 3.25), ("1e3", 1000), ("2.5E-3", 0.0025),
                                          (".5", 0.5), ("5.", 5), ("0.1", 0.1), ("123456789012345678901234", 123456789012345678901234.0),
                                          ("1e400", nil), ("abc", nil), ("1.2.3", nil), ("", nil), ("1e", nil), ("-", nil),
                                          ("0.30000000000000004", 0.30000000000000004), ("9007199254740993", 9007199254740993.0)]
        for (text, expected) in cases { XCTAssertEqual(NumberParser.parse(text), expected, text) }
        for m in ["", "NA", "na", "N/A", "NaN", "nan", "null", "NULL", "None", " NA "] { XCTAssertTrue(MissingMarkers.isMissing(m), m) }
        for m in ["0", "n", "none1", "nul"] { XCTAssertFalse(MissingMarkers.isMissing(m), m) }
    }

    func testTrueFalseWords() {
        for w in ["true", "TRUE", " Yes ", "y", "T"] { XCTAssertEqual(BooleanWords.value(w), true, w) }
        for w in ["false", "No", "n", "F", "\tfalse"] { XCTAssertEqual(BooleanWords.value(w), false, w) }
        for w in ["", "ye", "yess", "truee", "1", "\u{0}y", "\u{0}\u{0}no", "oui", "tr ue"] { XCTAssertNil(BooleanWords.value(w), w) }
    }

    /// Decimal numbers of every length, with and without fraction, sign and
    /// exponent, parse to exactly what the C library's correctly rounded strtod gives.
    func testNumberParserAgreesWithStrtod() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200_000 {
            var s = rng.next() % 4 == 0 ? "-" : ""
            let whole = Int(rng.next() % 14), fraction = Int(rng.next() % 14)
            for _ in 0..<whole { s += String(rng.next() % 10) }
            if fraction > 0 || rng.next() % 2 == 0 { s += "."; for _ in 0..<fraction { s += String(rng.next() % 10) } }
            if rng.next() % 8 == 0 { s += "e\(Int(rng.next() % 60) - 30)" }
            let expected: Double? = s.withCString { p in
                var end: UnsafeMutablePointer<CChar>? = nil
                let v = strtod(p, &end)
                let used = UnsafePointer(end!) - p
                return used == strlen(p) && used > 0 && v.isFinite ? v : nil
            }
            let parsed = NumberParser.parse(s)
            XCTAssertEqual(parsed?.bitPattern, expected?.bitPattern, s)
            if parsed?.bitPattern != expected?.bitPattern { return }
        }
    }

    func testFingerprintDoesNotDependOnBlockBoundaries() {
        let data = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var whole = DataFingerprint()
        data.withUnsafeBufferPointer { whole.update($0) }
        var pieces = DataFingerprint()
        for cut in stride(from: 0, to: 1000, by: 13) {
            data[cut..<min(1000, cut + 13)].withUnsafeBufferPointer { pieces.update($0) }
        }
        XCTAssertEqual(whole.hex, pieces.hex)
        var other = DataFingerprint()
        (data + [1]).withUnsafeBufferPointer { other.update($0) }
        XCTAssertNotEqual(whole.hex, other.hex)
    }

    /// Hashing a stream's blocks one by one (as parts of a file read on several
    /// cores do) and chaining their values gives what one pass in pieces of any
    /// size gives, for streams that end inside a block, on its boundary, or are
    /// empty; and any changed byte changes the fingerprint.
    func testFingerprintFromBlocksEqualsOnePass() {
        defer { DataFingerprint.blockSize = 1 << 20 }
        var rng = SystemRandomNumberGenerator()
        for blockSize in [32, 64, 4096] {
            DataFingerprint.blockSize = blockSize
            for n in [0, 1, 7, 31, 32, 33, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize, 3 * blockSize + 13, 10_007] {
                let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var pieces = DataFingerprint()
                var i = 0
                while i < n {
                    let k = min(n - i, Int.random(in: 1...70, using: &rng))
                    data[i..<(i + k)].withUnsafeBufferPointer { pieces.update($0) }
                    i += k
                }
                let values = stride(from: 0, to: n, by: blockSize).map { s in
                    data[s..<min(n, s + blockSize)].withUnsafeBufferPointer { DataFingerprint.blockValue($0) }
                }
                XCTAssertEqual(DataFingerprint(combining: values, byteCount: n).hex, pieces.hex, "\(blockSize) \(n)")
                if n > 0 {
                    var changed = data
                    changed[Int.random(in: 0..<n, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                    var other = DataFingerprint()
                    changed.withUnsafeBufferPointer { other.update($0) }
                    XCTAssertNotEqual(other.hex, pieces.hex, "\(blockSize) \(n)")
                }
            }
        }
    }
}

final class ByteCounterTests: XCTestCase {
    /// Indices in order of first appearance and counts, as a dictionary gives
    /// them, through the packed comparison of a small table (values of 0 to 15
    /// bytes, ones that differ only in length or in one byte) and after it is
    /// dropped (a long value, or more than 256 values), then `find` and `top`.
    func testCountsAndIndicesMatchADictionary() {
        var rng = SplitMix64(seed: 3)
        for trial in 0..<60 {
            var counter = ByteCounter()
            var reference: [[UInt8]: Int] = [:], order: [[UInt8]] = [], counts: [Int] = []
            let levels = trial < 20 ? 1 + trial % 16 : trial < 30 ? 40 : 600
            let pool: [[UInt8]] = (0..<levels).map { i in
                let length = trial % 3 == 0 ? Int(rng.next() % 16) : (i % 16)
                var v = (0..<length).map { _ in UInt8(97 + rng.next() % (trial < 30 ? 3 : 5)) }
                if trial >= 40 && i == levels - 1 { v = Array(repeating: 120, count: 30) }   // a long value drops the packed table
                return v
            }
            for _ in 0..<(trial < 30 ? 3000 : 6000) {
                let v = pool[Int(rng.next() % UInt64(pool.count))]
                let index = v.withUnsafeBufferPointer { counter.add($0) }
                if let e = reference[v] { counts[e] += 1; XCTAssertEqual(index, e) } else {
                    reference[v] = order.count; order.append(v); counts.append(1)
                    XCTAssertEqual(index, order.count - 1)
                }
            }
            XCTAssertEqual(counter.distinct, order.count)
            XCTAssertEqual(counter.counts, counts)
            for (e, v) in order.enumerated() {
                XCTAssertEqual(v.withUnsafeBufferPointer { counter.find($0) }, e)
                XCTAssertEqual(counter.value(e), String(decoding: v, as: UTF8.self))
            }
            XCTAssertNil([UInt8](repeating: 122, count: 5).withUnsafeBufferPointer { counter.find($0) })
        }
    }
}
