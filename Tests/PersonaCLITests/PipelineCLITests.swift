import Foundation
import XCTest
import PersonaCore

/// Persona in a pipeline: standard input and output, pipes and FIFOs,
/// compressed files, and outputs that never destroy anything.
final class PipelineCLITests: CLITestCase {
    /// Runs a bash script in the test folder with `persona` on the PATH.
    @discardableResult
    func sh(_ script: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "set -o pipefail\n" + script]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = (Self.binary as NSString).deletingLastPathComponent + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["SOURCE_DATE_EPOCH"] = "1700000000"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "<missing>" }

    func churnModel() throws {
        let r = try sh("""
        persona datasets generate churn --rows 3000 --seed 4 --out churn.csv -q
        persona train logreg --data churn.csv --target churned --l2 1e-3 --out m.safetensors -q
        persona score m.safetensors --data churn.csv --out expected.csv -q
        """)
        XCTAssertEqual(r.code, 0, r.err)
    }

    /// The same file written the European way (semicolons, decimal commas,
    /// thousands points) trains the same model, in a folder that did not exist,
    /// and scores the same; a yes/no target written as 1/0 evaluates.
    func testEuropeanCSVTrainsTheSameModel() throws {
        try churnModel()
        let text = read("churn.csv")
        var eu = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            eu += line.split(separator: ",", omittingEmptySubsequences: false).map { field -> String in
                guard Double(field) != nil, field.contains(".") else { return String(field) }
                return field.replacingOccurrences(of: ".", with: ",")
            }.joined(separator: ";") + (line.isEmpty ? "" : "\n")
        }
        XCTAssertTrue(eu.contains(";") && eu.contains(","))
        _ = write("churn_eu.csv", eu)
        let r = try sh("""
        persona describe churn_eu.csv | head -1
        persona train logreg --data churn_eu.csv --target churned --l2 1e-3 --out new/folder/m.safetensors -q
        persona score new/folder/m.safetensors --data churn.csv --out again.csv -q
        persona inspect m.safetensors --json > a.json
        persona inspect new/folder/m.safetensors --json > b.json
        """)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("semicolon-separated, decimal comma"), r.out)
        XCTAssertEqual(read("again.csv"), read("expected.csv"), "the same scores from the model trained on the European file")
        func model(_ name: String) throws -> [JSONValue?] {
            let card = try JSONDecoder().decode(JSONValue.self, from: Data(read(name).utf8)).object
            return [card?["tensor_checksum"], card?["pipeline"]]
        }
        XCTAssertNotNil(try model("a.json")[0])
        XCTAssertEqual(try model("a.json"), try model("b.json"), "the same coefficients and pipeline")
        // a usage mistake in --delimiter is exit 2; an ambiguous file names the flag
        expectUsageError(try persona("describe", "churn.csv", "--delimiter", "semi"), ["--delimiter", "semicolon"])
        _ = write("amb.csv", "a,b;c\n1,2;3\n")
        expectDataError(try persona("train", "logreg", "--data", "amb.csv", "--target", "a", "--out", "x/m.safetensors"),
                        ["ambiguous", "--delimiter"], noFile: "x")
        XCTAssertEqual(try persona("describe", "amb.csv", "--delimiter", "semicolon").code, 0)
    }

    func testStandardInputAndPipesReadAsTheFile() throws {
        try churnModel()
        var r = try sh("cat churn.csv | persona score m.safetensors --data - --out piped.csv")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("piped.csv"), read("expected.csv"))
        // Commands that read twice (profile, then fit) work from a pipe too, and give the same model.
        r = try sh("""
        cat churn.csv | persona train logreg --data /dev/stdin --target churned --l2 1e-3 --out from-pipe.safetensors -q
        persona score from-pipe.safetensors --data churn.csv --out from-pipe.csv -q
        cat churn.csv | persona describe - > described.txt
        persona cv tree --data - --target churned --max-depth 3 --folds 3 --json -q < churn.csv > cv.json
        """)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("from-pipe.csv"), read("expected.csv"))
        XCTAssertTrue(read("described.txt").contains("3000 rows"), read("described.txt"))
        XCTAssertTrue(read("cv.json").contains("\"family\" : \"tree\""))
        // A FIFO as input.
        r = try sh("mkfifo in.fifo; (cat churn.csv > in.fifo &); persona score m.safetensors --data in.fifo --out fifo.csv -q")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("fifo.csv"), read("expected.csv"))
        // An empty pipe is named as standard input, not as a temporary file.
        r = try sh("printf '' | persona score m.safetensors --data - --out never.csv")
        expectDataError(r, ["standard input", "empty"], noFile: "never.csv")
        XCTAssertFalse(r.err.contains("persona-input"), r.err)
    }

    func testStandardOutputCarriesTheDataAlone() throws {
        try churnModel()
        let r = try sh("persona score m.safetensors --data churn.csv --out - | cat > stdout.csv")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("stdout.csv"), read("expected.csv"), "the summary goes to stderr, the data alone to stdout")
        XCTAssertTrue(r.err.contains("scored 3000 rows -> -"), r.err)
        // /dev/stdout is written into, never replaced (even as root).
        let dev = try sh("persona score m.safetensors --data churn.csv --out /dev/stdout -q > devout.csv; test -L /dev/stdout || test -c /dev/stdout")
        XCTAssertEqual(dev.code, 0, dev.err)
        XCTAssertEqual(read("devout.csv"), read("expected.csv"))
        // A model needs a real path.
        expectDataError(try sh("persona train logreg --data churn.csv --target churned --out -"), ["model file needs a path"])
    }

    func testOutputsNeverDestroyAnything() throws {
        try churnModel()
        // A symbolic link: its target is replaced, the link stays a link.
        var r = try sh("echo old > target.csv; ln -s target.csv link.csv; persona score m.safetensors --data churn.csv --out link.csv -q; test -L link.csv")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("target.csv"), read("expected.csv"))
        // Output onto the input: refused before anything is written, the input intact.
        let before = read("churn.csv")
        expectDataError(try sh("persona score m.safetensors --data churn.csv --out churn.csv"), ["churn.csv", "also an input"])
        XCTAssertEqual(read("churn.csv"), before)
        // ... also through a link to the input, or a second name (hard link).
        r = try sh("ln -s churn.csv alias.csv; ln churn.csv hard.csv; persona score m.safetensors --data churn.csv --out alias.csv")
        expectDataError(r, ["alias.csv", "also an input"])
        expectDataError(try sh("persona score m.safetensors --data churn.csv --out hard.csv"), ["hard.csv", "also an input"])
        XCTAssertEqual(read("churn.csv"), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [], "no temporary file left behind")
        // A FIFO as output is streamed into.
        // The reader is waited for, so its file is whole when it is compared.
        r = try sh("mkfifo out.fifo; cat out.fifo > from-fifo.csv & reader=$!; persona score m.safetensors --data churn.csv --out out.fifo -q; wait $reader")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("from-fifo.csv"), read("expected.csv"))
        var isFifo = stat()
        XCTAssertEqual(lstat(dir + "/out.fifo", &isFifo), 0)
        XCTAssertEqual(isFifo.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
    }

    func testCompressedFilesInAndOut() throws {
        try churnModel()
        var r = try sh("""
        gzip -c churn.csv > churn.csv.gz
        cp churn.csv.gz disguised.csv
        persona datasets generate churn --rows 3000 --seed 4 --out churn.csv.zst -q
        persona score m.safetensors --data churn.csv.gz --out gz.csv -q
        persona score m.safetensors --data disguised.csv --out disguised-scores.csv -q
        persona score m.safetensors --data churn.csv.zst --out zst.csv -q
        cat churn.csv.gz | persona score m.safetensors --data - --out piped-gz.csv -q
        persona score m.safetensors --data churn.csv --out scores.csv.gz -q
        gzip -dc scores.csv.gz > unzipped.csv
        persona score m.safetensors --data churn.csv --out scores.csv.zst -q
        persona train logreg --data churn.csv.zst --target churned --l2 1e-3 --out zm.safetensors -q
        persona score zm.safetensors --data churn.csv --out zm.csv -q
        """)
        XCTAssertEqual(r.code, 0, r.err)
        for name in ["gz.csv", "disguised-scores.csv", "zst.csv", "piped-gz.csv", "unzipped.csv", "zm.csv"] {
            XCTAssertEqual(read(name), read("expected.csv"), name)
        }
        // gzip output is a real gzip file; zstd output reads back through Persona.
        r = try sh("persona describe scores.csv.zst")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("3000 rows"), r.out)
        // A truncated compressed file is named, not half-read.
        r = try sh("head -c 2000 churn.csv.gz > cut.csv.gz; persona score m.safetensors --data cut.csv.gz --out never.csv")
        expectDataError(r, ["cut.csv.gz", "truncated"], noFile: "never.csv")
        r = try sh("printf '\\x1f\\x8bnot really gzip' > fake.csv.gz; persona describe fake.csv.gz")
        expectDataError(r, ["fake.csv.gz", "not valid gzip"])
    }

    func testParquetWrittenByPersonaReadsBackAsTheSameData() throws {
        try churnModel()
        let r = try sh("""
        persona split rows --data churn.csv --test-fraction 0.3 --seed 2 --train-out train.parquet --test-out test.csv -q
        persona split rows --data churn.csv --test-fraction 0.3 --seed 2 --train-out train.csv --test-out test2.csv -q
        persona train tree --data train.parquet --target churned --max-depth 4 --out p.safetensors -q
        persona train tree --data train.csv --target churned --max-depth 4 --out c.safetensors -q
        persona score p.safetensors --data test.csv --out p.csv -q
        persona score c.safetensors --data test.csv --out c.csv -q
        persona score m.safetensors --data churn.csv --out scores.parquet -q
        persona describe scores.parquet
        mkdir parts && cp train.parquet parts/part-0.parquet && cp train.parquet parts/part-1.parquet && touch parts/_SUCCESS
        persona describe parts
        """)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(read("p.csv"), read("c.csv"), "a model trained on Persona's Parquet scores as the one trained on the CSV")
        XCTAssertTrue(r.out.contains("scores.parquet: 3000 rows, 4 columns"), r.out)
        XCTAssertTrue(r.out.contains("parts: 4200 rows"), "a folder of parts is one data set: \(r.out)")
        let fifo = try sh("mkfifo out.parquet; persona score m.safetensors --data churn.csv --out out.parquet")
        expectDataError(fifo, ["out.parquet", "regular file"])
    }
}
