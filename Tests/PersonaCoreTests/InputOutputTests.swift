import Foundation
import XCTest
@testable import PersonaCore

/// Inputs read through temporary copies (pipes, compressed files) and outputs
/// that compress, stream, and never replace what they should not.
final class InputOutputTests: XCTestCase {
    override func tearDown() { Inputs.removeTemporaries() }

    func testCompressedOutputsReadBackAsTheSameText() throws {
        let t = TempDir()
        let text = "a,b\n" + (0..<50_000).map { "\($0),x\($0 % 7)\n" }.joined()
        for name in ["d.csv.gz", "d.csv.zst"] {
            try AtomicOutput.write(text, to: t.join(name))
            let raw = try Data(contentsOf: URL(fileURLWithPath: t.join(name)))
            XCTAssertLessThan(raw.count, text.utf8.count / 3, "\(name) is compressed")
            let copy = try Inputs.resolve(t.join(name))
            XCTAssertNotEqual(copy, t.join(name))
            XCTAssertEqual(try String(contentsOfFile: copy, encoding: .utf8), text, name)
            XCTAssertTrue(copy.hasSuffix("d.csv"), "the copy keeps the file's name without the suffix: \(copy)")
        }
        // A plain file is read where it is.
        let plain = t.file("p.csv", text)
        XCTAssertEqual(try Inputs.resolve(plain), plain)
    }

    func testConcatenatedGzipMembersReadAsOneFile() throws {
        let t = TempDir()
        try AtomicOutput.write("a,b\n1,2\n", to: t.join("one.gz"))
        try AtomicOutput.write("3,4\n", to: t.join("two.gz"))
        var both = try Data(contentsOf: URL(fileURLWithPath: t.join("one.gz")))
        both.append(try Data(contentsOf: URL(fileURLWithPath: t.join("two.gz"))))
        try both.write(to: URL(fileURLWithPath: t.join("both.csv.gz")))
        XCTAssertEqual(try String(contentsOfFile: try Inputs.resolve(t.join("both.csv.gz")), encoding: .utf8), "a,b\n1,2\n3,4\n")
    }

    func testADecompressionBombIsStoppedWithAClearError() throws {
        let t = TempDir()
        let saved = Inputs.bombFloor
        defer { Inputs.bombFloor = saved }
        Inputs.bombFloor = 1 << 20
        // 64 MB of zeros compresses over a thousand-fold.
        let zeros = [UInt8](repeating: 48, count: 64 << 20)
        let out = try AtomicOutput(path: t.join("bomb.csv.zst"))
        out.write(bytes: zeros)
        try out.commit()
        XCTAssertThrowsPersonaError(try Inputs.resolve(t.join("bomb.csv.zst")), containing: ["bomb.csv.zst", "decompression bomb"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("persona-input") }
        for folder in leftovers {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory() + "/" + folder)) ?? []
            XCTAssertFalse(files.contains("bomb.csv"), "the partial copy is removed")
        }
    }

    func testAnOutputThatIsAnInputIsRefusedBeforeAnythingIsWritten() throws {
        let t = TempDir()
        let input = t.file("in.csv", "a\n1\n")
        _ = try Inputs.resolve(input)
        XCTAssertThrowsPersonaError(try AtomicOutput(path: input), containing: ["in.csv", "also an input"])
        XCTAssertEqual(try String(contentsOfFile: input, encoding: .utf8), "a\n1\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: t.path), ["in.csv"], "no temporary file either")
    }

    func testASymbolicLinkKeepsPointingAtItsReplacedTarget() throws {
        let t = TempDir()
        let target = t.file("target.csv", "old\n")
        try FileManager.default.createSymbolicLink(atPath: t.join("link.csv"), withDestinationPath: target)
        try AtomicOutput.write("new\n", to: t.join("link.csv"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: t.join("link.csv")), target)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new\n")
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: t.path)), ["target.csv", "link.csv"])
    }

    func testMissingFoldersAreCreatedAndRemovedAgainWhenNothingLands() throws {
        let t = TempDir()
        try AtomicOutput.write("a\n", to: t.join("models/deep/m.csv"))
        XCTAssertEqual(try String(contentsOfFile: t.join("models/deep/m.csv"), encoding: .utf8), "a\n")
        // an abandoned output leaves no folder it made, and keeps the ones that were there
        let out = try AtomicOutput(path: t.join("models/other/x/y.csv"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: t.join("models/other/x")))
        out.abandon()
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("models/other")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: t.join("models")), ["deep"])
        // a file where a folder is needed is refused, by the early check and by the output
        _ = t.file("plain", "x\n")
        XCTAssertThrowsPersonaError(try AtomicOutput.check(t.join("plain/m.csv")), containing: ["plain is a file, not a folder"])
        XCTAssertThrowsPersonaError(try AtomicOutput(path: t.join("plain/sub/m.csv")), containing: ["plain is a file, not a folder"])
        XCTAssertThrowsPersonaError(try AtomicOutput.check(t.join("models")), containing: ["is a folder"])
        XCTAssertNoThrow(try AtomicOutput.check(t.join("fresh/a/b.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: t.join("fresh")), "the check creates nothing")
    }

    func testModelsNeedARealPath() throws {
        XCTAssertThrowsPersonaError(try ModelFile.write(card: ModelCard(kind: "x", pipeline: FeaturePipeline(columns: [], standardize: false),
                                                                        hyperparameters: .null, trainingMetrics: .null,
                                                                        trainingData: DataFingerprintInfo(file: "f", rows: 0, columns: 0, hash: "")),
                                                        tensors: [:], to: "-"), containing: ["model file needs a path"])
    }

    /// Inputs the fuzzers found (Tests/PersonaCoreTests/Golden/fuzz): each is
    /// refused with a message, never a crash or a leak.
    func testInputsTheFuzzersFoundAreRefusedCleanly() throws {
        guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil)?.path else { return XCTFail("no Golden folder") }
        let t = TempDir()
        // A page announcing a negative number of values crashed the Parquet reader.
        let parquet = t.bytes("crash.parquet", Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/fuzz/parquet-range-crash.parquet"))))
        XCTAssertThrowsPersonaError(try Inputs.resolve(parquet), containing: ["crash.parquet"])
        // Invalid gzip data leaked the decoder (the fuzz target puts the gzip magic before the rest).
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/fuzz/decompress-leak.bin")))
        let gz = t.bytes("leak.csv.gz", [0x1F, 0x8B] + raw.dropFirst())
        XCTAssertThrowsPersonaError(try Inputs.resolve(gz), containing: ["leak.csv.gz"])
    }
}
