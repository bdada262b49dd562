import XCTest
@testable import PersonaCore

final class SchemaPipelineTests: XCTestCase {
    let sample = """
    customer_id,age,plan,active,score,note
    A1,30,basic,yes,1,x
    A2,NA,premium,no,0,y
    A3,50,basic,yes,1,x
    A4,40,,no,1,z
    A5,20,basic,yes,0,x

    """

    func testTypesMissingAndSummaries() throws {
        let t = TempDir()
        let p = try Profiler.profile(path: t.file("s.csv", sample))
        XCTAssertEqual(p.rows, 5)
        XCTAssertEqual(p.columns.map(\.type), [.identifier, .numeric, .categorical, .boolean, .boolean, .categorical])
        let age = p.column("age")!
        XCTAssertEqual(age.missing, 1)
        XCTAssertEqual(age.min, 20); XCTAssertEqual(age.max, 50); XCTAssertEqual(age.mean!, 35, accuracy: 1e-12)
        XCTAssertEqual(age.distinct, 4)
        let plan = p.column("plan")!
        XCTAssertEqual(plan.missing, 1)
        XCTAssertEqual(plan.topValues.first, .init(value: "basic", count: 3))
        XCTAssertEqual(p.column("active")!.mean!, 0.6, accuracy: 1e-12)
    }

    func testPipelineImputesEncodesAndStandardises() throws {
        let t = TempDir()
        let path = t.file("s.csv", sample)
        let profile = try Profiler.profile(path: path)
        let (pipe, x) = try FeaturePipeline.fit(path: path, profile: profile, selection: ColumnSelection(features: ["age", "plan"]))
        XCTAssertEqual(pipe.featureNames, ["age", "age_missing", "plan=basic", "plan=premium", "plan=<other>"])
        // age: median of 30,50,40,20 = 35 fills the NA; mean 35, population sd sqrt(100) = 10
        let age = pipe.columns[0]
        XCTAssertEqual(age.median, 35)
        XCTAssertEqual(age.center, 35, accuracy: 1e-9)
        XCTAssertEqual(age.scale, 10, accuracy: 1e-9)
        XCTAssertEqual(x.row(0).map { $0 }, [-0.5, 0, 1, 0, 0])
        XCTAssertEqual(x.row(1).map { $0 }, [0, 1, 0, 1, 0])
        XCTAssertEqual(x.row(3).map { $0 }, [0.5, 0, 1, 0, 0], "missing plan takes the most frequent level")
        // Scoring the same file through the fitted pipeline gives the same matrix, bit for bit.
        XCTAssertEqual(try pipe.transform(path: path).matrix, x)
        // Unseen categories go to the <other> bucket; a missing age to the median.
        let scoring = t.file("new.csv", "plan,age,extra\ngold,,1\n")
        XCTAssertEqual(try pipe.transform(path: scoring).matrix.row(0).map { $0 }, [0, 1, 0, 0, 1])
    }

    func testSelectionAndBadColumns() throws {
        let t = TempDir()
        let path = t.file("s.csv", sample)
        let profile = try Profiler.profile(path: path)
        let (pipe, _) = try FeaturePipeline.fit(path: path, profile: profile, selection: ColumnSelection(exclude: ["note", "plan"]))
        XCTAssertEqual(pipe.columns.map(\.name), ["age", "active", "score"], "identifiers are left out by default")
        XCTAssertThrowsPersonaError(try FeaturePipeline.fit(path: path, profile: profile, selection: ColumnSelection(features: ["agee"])),
                                    containing: ["s.csv", "agee", "no such column"])
        let allMissing = t.file("m.csv", "a,b\n1,\n2,NA\n")
        let p2 = try Profiler.profile(path: allMissing)
        XCTAssertThrowsPersonaError(try FeaturePipeline.fit(path: allMissing, profile: p2, selection: ColumnSelection()),
                                    containing: ["m.csv", "\"b\"", "every value is missing"])
        let scoring = t.file("bad.csv", "age,plan\n31,basic\nthirty,basic\n")
        XCTAssertThrowsPersonaError(try FeaturePipeline.fit(path: path, profile: profile, selection: ColumnSelection(features: ["age", "plan"])).pipeline.transform(path: scoring),
                                    containing: ["bad.csv", "line 3", "column 1", "\"age\"", "expected a number", "thirty"])
        let lacking = t.file("lack.csv", "plan\nbasic\n")
        XCTAssertThrowsPersonaError(try FeaturePipeline.fit(path: path, profile: profile, selection: ColumnSelection(features: ["age", "plan"])).pipeline.transform(path: lacking),
                                    containing: ["lack.csv", "needs column \"age\""])
    }

    func testMedianByRadixSelection() {
        var odd: [Float] = [5, 1, 4, 2, 3]
        XCTAssertEqual(Statistics.median(&odd), 3)
        var even: [Float] = [4, 1, 3, 2]
        XCTAssertEqual(Statistics.median(&even), 2.5)
        var rng = PersonaRandom(seed: 1)
        for n in [1, 2, 7, 100, 1001] {
            var v = (0..<n).map { _ in Float(rng.below(50)) }
            let sorted = v.sorted()
            let expected = n % 2 == 1 ? Double(sorted[n / 2]) : (Double(sorted[n / 2 - 1]) + Double(sorted[n / 2])) / 2
            XCTAssertEqual(Statistics.median(&v), expected)
        }
        // negative, fractional, huge and tiny values; NaN (missing) left out; both middles in different buckets
        var seeds = SplitMix64(seed: 3)
        for n in [2, 3, 10, 999, 5000] {
            let v = (0..<n).map { i -> Float in
                let u = Float(seeds.next() % 2_000_001) / 1000 - 1000
                return i % 7 == 0 ? u * 1e20 : i % 11 == 0 ? u * 1e-20 : u
            }
            let withMissing = v + [.nan, .nan]
            let sorted = v.sorted()
            let expected = n % 2 == 1 ? Double(sorted[n / 2]) : (Double(sorted[n / 2 - 1]) + Double(sorted[n / 2])) / 2
            XCTAssertEqual(withMissing.withUnsafeBufferPointer { Statistics.median(present: $0) }, expected)
        }
        var zeros: [Float] = [-0.0, 0, -0.0]
        XCTAssertEqual(Statistics.median(&zeros).sign, .plus)
        XCTAssertEqual([Float.nan].withUnsafeBufferPointer { Statistics.median(present: $0) }, 0)
        var twoBuckets: [Float] = [-1, 1]
        XCTAssertEqual(Statistics.median(&twoBuckets), 0)
    }

    func testStratifiedSplitKeepsShares() throws {
        let t = TempDir()
        var text = "id,label\n"
        for i in 0..<1000 { text += "\(i),\(i % 5 == 0 ? 1 : 0)\n" }
        let path = t.file("d.csv", text)
        let s = try Splitter.split(path: path, testFraction: 0.25, stratify: "label", seed: 3,
                                   trainOut: t.join("train.csv"), testOut: t.join("test.csv"))
        XCTAssertEqual(s.train + s.test, 1000)
        XCTAssertEqual(s.test, 250)
        let test = try readAll(t.join("test.csv")).dropFirst()
        XCTAssertEqual(test.filter { $0[1] == "1" }.count, 50)
        let train = try readAll(t.join("train.csv")).dropFirst()
        XCTAssertEqual(Set(train.map { $0[0] }).intersection(test.map { $0[0] }).count, 0)
        // Same seed, same split.
        _ = try Splitter.split(path: path, testFraction: 0.25, stratify: "label", seed: 3, trainOut: t.join("a.csv"), testOut: t.join("b.csv"))
        XCTAssertEqual(try readAll(t.join("b.csv")), try readAll(t.join("test.csv")))
    }
}

final class OnePassTests: XCTestCase {
    /// Training reads the file once (values kept by the profiler); that must give
    /// exactly what fitting from a second read gives, for every kind of column.
    func testOnePassEqualsTwoPasses() throws {
        let t = TempDir()
        let path = t.join("c.csv")
        try Generators.generate(.customers, rows: 3000, seed: 8, to: path)
        for selection in [ColumnSelection(), ColumnSelection(features: ["age", "gender", "loyalty_member", "income"])] {
            let one = try FeaturePipeline.profileAndFit(path: path, selection: selection)
            let two = try FeaturePipeline.fit(path: path, profile: try Profiler.profile(path: path), selection: selection)
            XCTAssertEqual(one.pipeline, two.pipeline)
            XCTAssertEqual(one.matrix, two.matrix)
        }
    }

    func testTextArrivingLateInALongNumericColumnFallsBackToASecondRead() throws {
        let t = TempDir()
        var text = "id,code,x\n"
        for i in 0..<(Profiler.distinctCap + 50) { text += "\(i),\(i * 7),\(i % 3)\n" }
        text += "99999999,A-17,1\n"
        let path = t.file("late.csv", text)
        let one = try FeaturePipeline.profileAndFit(path: path, selection: ColumnSelection(features: ["code", "x"]))
        let two = try FeaturePipeline.fit(path: path, profile: try Profiler.profile(path: path), selection: ColumnSelection(features: ["code", "x"]))
        XCTAssertEqual(one.pipeline.columns[0].type, .categorical)
        XCTAssertEqual(one.pipeline, two.pipeline)
        XCTAssertEqual(one.matrix, two.matrix)
    }
}

final class ParallelParsingTests: XCTestCase {
    // Fingerprint blocks of 64 bytes: every part hashes many, and most parts
    // start inside one that an earlier part hashes.
    override func setUp() { DataFingerprint.blockSize = 64 }
    override func tearDown() { Profiler.parallelMinimumBytes = 8 << 20; DataFingerprint.blockSize = 1 << 20 }

    func results(_ path: String, parallel: Bool) throws -> (DataProfile, FeaturePipeline, FloatMatrix) {
        Profiler.parallelMinimumBytes = parallel ? 1 : Int.max
        let r = try FeaturePipeline.profileAndFit(path: path, selection: ColumnSelection())
        return (r.profile, r.pipeline, r.matrix)
    }

    /// Cutting the file into parts and merging gives what one sequential read gives.
    func testPartsMergeToTheSequentialResult() throws {
        let t = TempDir()
        for kind in [DatasetKind.customers, .churn] {
            let path = t.join("\(kind).csv")
            try Generators.generate(kind, rows: 4000, seed: 12, to: path)
            let (p1, pipe1, m1) = try results(path, parallel: true)
            let (p2, pipe2, m2) = try results(path, parallel: false)
            XCTAssertEqual(p1.rows, p2.rows)
            XCTAssertEqual(p1.fingerprint, p2.fingerprint)
            XCTAssertEqual(p1.columns.map(\.type), p2.columns.map(\.type))
            for (a, b) in zip(p1.columns, p2.columns) {
                XCTAssertEqual(a.missing, b.missing, a.name)
                XCTAssertEqual(a.distinct, b.distinct, a.name)
                XCTAssertEqual(a.topValues, b.topValues, a.name)
                XCTAssertEqual(a.mean ?? 0, b.mean ?? 0, accuracy: 1e-9 * max(1, abs(b.mean ?? 0)), a.name)
                XCTAssertEqual(a.std ?? 0, b.std ?? 0, accuracy: 1e-9 * max(1, abs(b.std ?? 0)), a.name)
            }
            XCTAssertEqual(pipe1, pipe2)
            XCTAssertEqual(m1, m2)
        }
    }

    /// A quoted file (delimiters, doubled quotes and line breaks inside quotes,
    /// CRLF) is cut outside quotes and merges to what one sequential read gives.
    func testQuotedFilesAreCutOutsideQuotes() throws {
        let t = TempDir()
        var text = "\"id\",\"x\",\"note\",\"plan\"\r\n"
        for i in 0..<5000 {
            let note = ["\"a,b\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "plain", "\"\""][i % 5]
            text += "\"C\(i)\",\(Double(i % 97) / 4),\(note),\"\(["basic", "pro", "max"][i % 3])\"\r\n"
        }
        let path = t.file("quoted.csv", text)
        let size = text.utf8.count
        let cuts = try XCTUnwrap(Profiler.recordStarts(path, delimiter: UInt8(ascii: ","), after: [size / 3, 2 * size / 3]))
        XCTAssertEqual(cuts.count, 2)
        let bytes = Array(text.utf8)
        for c in cuts { XCTAssertEqual(bytes[c - 1], 10); XCTAssertEqual(bytes[c], UInt8(ascii: "\"")) }  // a record starts there
        let (p1, pipe1, m1) = try results(path, parallel: true)
        let (p2, pipe2, m2) = try results(path, parallel: false)
        XCTAssertEqual(p1.rows, 5000)
        XCTAssertEqual(p1.rows, p2.rows)
        XCTAssertEqual(p1.column("note")?.topValues.map(\.value).sorted(), p2.column("note")?.topValues.map(\.value).sorted())
        XCTAssertTrue(p1.column("note")?.topValues.contains { $0.value == "two\nlines" } ?? false)
        XCTAssertEqual(pipe1, pipe2)
        XCTAssertEqual(m1, m2)
        // a quote inside an unquoted field is not RFC 4180: no cut points, the sequential reader decides
        let odd = t.file("odd.csv", "id,x\n1,ab\"c\n2,d\n")
        XCTAssertNil(Profiler.recordStarts(odd, delimiter: UInt8(ascii: ","), after: [6]))
    }

    /// A profile without the distinct counts of columns past the cap: those are
    /// lower bounds, which parts read in parallel count otherwise.
    static func capped(_ p: DataProfile) -> DataProfile {
        var p = p
        for c in p.columns.indices where p.columns[c].distinctIsLowerBound { p.columns[c].distinct = 0 }
        return p
    }

    /// Parts are cut at the first line feed past each share without reading
    /// what comes before; a cut that falls inside a quoted field makes a part
    /// fail, and the file is then cut by following its quotes from the start.
    /// Either way the parts merge to what one sequential read gives, for quoted
    /// files, files with line breaks inside quotes only past their first MiB,
    /// and files whose quotes are not RFC 4180's (read leniently as text).
    func testCutsAtTheFirstLineFeedAndWhenTheyFailOutsideQuotes() throws {
        let t = TempDir()
        Profiler.parallelMinimumBytes = 1
        // Quoted fields, none with a line break: cut at the first line feeds.
        var quoted = "\"id\",\"x\",\"note\"\n"
        for i in 0..<20000 { quoted += "\"C\(i % 50)\",\"\(i % 89)\",\"\(["a,b", "say \"\"hi\"\"", "", "plain"][i % 4])\"\n" }
        // Past its first MiB of data, notes of four lines: three line feeds in five are inside quotes.
        var late = "id,x,note\n"
        var i = 0
        while late.utf8.count < (1 << 20) + 100 { late += "\(i),\(i % 89),n\(i % 7)\n"; i += 1 }
        for j in 0..<60000 { late += "\(j),\(j % 89),\"a\nb \(j % 5)\nc\nd\"\n" }
        // A quote inside unquoted fields: not RFC 4180, text for both readers.
        var lenient = "id,x,note\n"
        for j in 0..<20000 { lenient += "\(j),\(j % 89),\(j % 3 == 0 ? "ab\"c" : "d\"\"e\"")\n" }
        for (name, text, exact) in [("quoted.csv", quoted, false), ("late.csv", late, true), ("lenient.csv", lenient, false)] {
            let path = t.file(name, text)
            Profiler.parallelMinimumBytes = 1
            let plan = try XCTUnwrap(Profiler.parts(path: path, delimiter: UInt8(ascii: ","), count: 8), name)
            XCTAssertFalse(plan.exact, name)
            let exactPlan = try Profiler.parts(path: path, delimiter: UInt8(ascii: ","), count: 8, exact: true)
            if exact {
                // The first cuts fall inside quoted fields; following the quotes moves them.
                XCTAssertNotEqual(plan.ranges, try XCTUnwrap(exactPlan, name).ranges, name)
            }
            let (p1, pipe1, m1) = try results(path, parallel: true)
            let (p2, pipe2, m2) = try results(path, parallel: false)
            XCTAssertEqual(Self.capped(p1), Self.capped(p2), name)
            XCTAssertEqual(pipe1, pipe2, name)
            XCTAssertEqual(m1, m2, name)
        }
        XCTAssertEqual(try results(t.join("late.csv"), parallel: false).0.rows, i + 60000)
        XCTAssertEqual(try results(t.join("lenient.csv"), parallel: false).0.column("note")?.distinct, 2)
        // A file whose first MiB holds a line break inside quotes is cut by its quotes at once.
        var multi = "id,note\n"
        for j in 0..<40000 { multi += "\(j),\"x\ny \(j % 3)\"\n" }
        let m = t.file("multi.csv", multi)
        Profiler.parallelMinimumBytes = 1
        XCTAssertEqual(try Profiler.parts(path: m, delimiter: UInt8(ascii: ","), count: 8)?.exact, true)
        let (q1, _, n1) = try results(m, parallel: true)
        let (q2, _, n2) = try results(m, parallel: false)
        XCTAssertEqual(Self.capped(q1), Self.capped(q2))
        XCTAssertEqual(n1, n2)
    }

    func testQuotedFilesAndErrorsUseTheSequentialReader() throws {
        let t = TempDir()
        var text = "id,x,note\n"
        for i in 0..<3000 { text += "\(i),\(i % 17),\(i % 2 == 0 ? "\"a,b\"" : "c")\n" }
        let quoted = t.file("q.csv", text)
        let (p, _, _) = try results(quoted, parallel: true)
        XCTAssertEqual(p.column("note")?.topValues.map(\.value).sorted(), ["a,b", "c"])
        var bad = "id,x\n"
        for i in 0..<3000 { bad += i == 2500 ? "\(i)\n" : "\(i),\(i % 7)\n" }
        let ragged = t.file("r.csv", bad)
        Profiler.parallelMinimumBytes = 1
        XCTAssertThrowsPersonaError(try Profiler.profile(path: ragged), containing: ["r.csv", "line 2502", "ragged"])
    }
}

final class InPlaceSplitTests: XCTestCase {
    override func tearDown() { Profiler.splitsPlainLinesInPlace = true; Profiler.parallelMinimumBytes = 8 << 20 }

    /// Plain lines split in the read buffer give exactly what the record parser
    /// gives, around everything it must leave to that parser (doubled quotes,
    /// line breaks in quotes, lone carriage returns, short or long rows with
    /// their error) and what it shares with it: quoted fields, CRLF, blank
    /// lines, spaces, missing markers, records that run past the 1 MiB block.
    func testSplittingInPlaceEqualsTheRecordParser() throws {
        let t = TempDir()
        var text = "id,x,plan,flag,note\n"
        for i in 0..<60_000 {
            switch i % 11 {
            case 0: text += "\(i),\(Double(i % 89) / 8),\"pro\",yes,\"a,b\"\n"
            case 1: text += "\(i), \(i % 7) ,basic,no,plain\r\n"
            case 2: text += "\n"
            case 3: text += "\(i),NA,max,Y,\"two\nlines\"\n"
            case 4: text += "\(i),,basic, n ,\(String(repeating: "w", count: i % 300))\n"
            case 5: text += "\"\(i)\",\"1e3\",\"pro\",\"yes\",\"\"\r\n"
            case 6: text += "\(i),\"2\",pro,\"no\",\"say \"\"hi\"\"\"\n"
            case 7: text += "\r\n"
            default: text += "\(i),\(i % 1000).25,\(["basic", "pro"][i % 2]),\(i % 2 == 0 ? "yes" : "no"),n\(i % 13)\n"
            }
        }
        let path = t.file("mixed.csv", text)
        for parallel in [false, true] {
            Profiler.parallelMinimumBytes = parallel ? 1 : Int.max
            Profiler.splitsPlainLinesInPlace = true
            let a = try FeaturePipeline.profileAndFit(path: path, selection: ColumnSelection())
            Profiler.splitsPlainLinesInPlace = false
            let b = try FeaturePipeline.profileAndFit(path: path, selection: ColumnSelection())
            let profileOnly = try Profiler.profile(path: path)
            Profiler.splitsPlainLinesInPlace = true
            XCTAssertEqual(try Profiler.profile(path: path), profileOnly)
            XCTAssertEqual(a.profile, b.profile)
            XCTAssertEqual(a.pipeline, b.pipeline)
            XCTAssertEqual(a.matrix, b.matrix)
            XCTAssertEqual(a.profile.rows, 60_000 - 5_455 - 5_454)  // less the blank lines (i % 11 == 2, and 7)
        }
        Profiler.parallelMinimumBytes = Int.max
        Profiler.splitsPlainLinesInPlace = true
        // short, long, lone-CR and unclosed-quote rows stop the read where the record parser stops it
        for bad in ["1,2,basic,yes\n", "1,2,basic,yes,n,extra\n", "1,2,basic,yes,x\ry\n", "1,2,basic,yes,\"x\n"] {
            let file = t.file("bad.csv", "id,x,plan,flag,note\n1,2,pro,no,a\n\n" + bad + "5,6,pro,no,b\n")
            var messages: [String] = []
            for inPlace in [true, false] {
                Profiler.splitsPlainLinesInPlace = inPlace
                XCTAssertThrowsError(try Profiler.profile(path: file)) { messages.append("\($0)") }
            }
            XCTAssertEqual(messages.count, 2)
            XCTAssertEqual(messages.first, messages.last)
            XCTAssertTrue(messages.first?.contains("bad.csv") ?? false)
        }
    }
}

extension InPlaceSplitTests {
    /// Random lines made of delimiters, quotes, line breaks and short values:
    /// the in-place split and the record parser agree on every file, whether it
    /// reads or fails (and then with the same message).
    func testRandomLinesSplitAsTheRecordParserReadsThem() throws {
        let t = TempDir()
        var rng = PersonaRandom(seed: 5)
        let pieces = ["a", "bb", "1", "2.5", "", " ", "\"", "\"q\"", "\"x,y\"", "NA", "\r"]
        for (trial, delimiter) in zip(0..<300, [",", "\t", ";"].flatMap { Array(repeating: $0, count: 100) }) {
            let columns = 1 + trial % 4
            var text = (0..<columns).map { "c\($0)" }.joined(separator: delimiter) + "\n"
            for _ in 0..<(1 + rng.below(40)) {
                let fields = max(1, columns + (rng.below(10) == 0 ? rng.below(3) - 1 : 0))
                text += (0..<fields).map { _ in pieces[rng.below(pieces.count)] + (rng.below(4) == 0 ? pieces[rng.below(pieces.count)] : "") }
                    .joined(separator: delimiter)
                text += rng.below(8) == 0 ? "\r\n" : (rng.below(12) == 0 ? "\n\n" : "\n")
            }
            let path = t.file("r\(trial).csv", text)
            var outcomes: [String] = []
            for inPlace in [true, false] {
                Profiler.splitsPlainLinesInPlace = inPlace
                do {
                    let p = try Profiler.profileKeepingValues(path: path, delimiter: UInt8(ascii: Unicode.Scalar(delimiter)!), keep: true)
                    let kept = p.store!.columns.map { "\($0.floats?.map(\.bitPattern) ?? [])|\($0.codes ?? [])" }
                    outcomes.append("\(p.profile)\n\(kept)")
                } catch {
                    outcomes.append("error: \(error)")
                }
            }
            XCTAssertEqual(outcomes[0], outcomes[1], "trial \(trial):\n\(text)")
        }
    }

    /// A blank line is skipped in a file of one column too, as the record parser skips it.
    func testBlankLinesInOneColumnAreSkipped() throws {
        let t = TempDir()
        let path = t.file("one.csv", "x\n1\n\n2\r\n\r\n3\n")
        for inPlace in [true, false] {
            Profiler.splitsPlainLinesInPlace = inPlace
            let p = try Profiler.profile(path: path)
            XCTAssertEqual(p.rows, 3)
            XCTAssertEqual(p.columns[0].missing, 0)
        }
    }
}

final class ParallelCapTests: XCTestCase {
    override func tearDown() { Profiler.parallelMinimumBytes = 8 << 20 }

    /// A text column with a few thousand levels stays categorical when parsed in parts.
    func testTextColumnsKeepTheFullDistinctCapInParts() throws {
        let t = TempDir()
        var text = "city,n\n"
        for i in 0..<30000 { text += "town\(i % 3000),\(i)\n" }
        let path = t.file("c.csv", text)
        Profiler.parallelMinimumBytes = 1
        let parallel = try Profiler.profile(path: path)
        Profiler.parallelMinimumBytes = Int.max
        let sequential = try Profiler.profile(path: path)
        XCTAssertEqual(parallel.column("city")?.type, .categorical)
        XCTAssertEqual(parallel.column("city")?.distinct, 3000)
        XCTAssertEqual(parallel.column("city"), sequential.column("city"))
        XCTAssertEqual(parallel.column("n")?.type, .numeric)
        XCTAssertTrue(parallel.column("n")!.distinctIsLowerBound)
    }
}
