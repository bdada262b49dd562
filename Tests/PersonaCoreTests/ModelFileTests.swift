import Foundation
import XCTest
@testable import PersonaCore

final class ModelFileTests: XCTestCase {
    func card() -> ModelCard {
        let pipe = FeaturePipeline(columns: [PipelineColumn(name: "x", type: .numeric, median: 1, missingIndicator: false,
                                                            center: 0, scale: 1, levels: nil, fillValue: nil)], standardize: false)
        return ModelCard(kind: "kmeans", pipeline: pipe, hyperparameters: ["k": 2], trainingMetrics: ["inertia": 1.5],
                         trainingData: DataFingerprintInfo(file: "d.csv", rows: 3, columns: 1, hash: "00"))
    }

    func testLayoutIsSafetensors() throws {
        let bytes = try ModelFile.encode(card: card(), tensors: ["b": Tensor([1.5, 2.5] as [Float], shape: [2, 1]),
                                                                  "a": Tensor([7] as [Int64], shape: [1])])
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        XCTAssertEqual(n % 8, 0)
        let header = try JSONDecoder().decode(JSONValue.self, from: Data(bytes[8..<(8 + n)]))
        XCTAssertEqual(header["a"]?["dtype"], "I64")
        XCTAssertEqual(header["a"]?["data_offsets"], [0, 8])
        XCTAssertEqual(header["b"]?["shape"], [2, 1])
        XCTAssertEqual(header["b"]?["data_offsets"], [8, 16])
        XCTAssertEqual(bytes.count, 8 + n + 16)
        let text = header["__metadata__"]?[ModelFile.cardKey]?.string
        XCTAssertNotNil(text)
        let (back, tensors) = try ModelFile.decode(bytes, path: "m")
        XCTAssertEqual(back.kind, "kmeans")
        XCTAssertEqual(tensors["b"]?.floats, [1.5, 2.5])
        XCTAssertEqual(tensors["a"]?.int64s, [7])
        XCTAssertTrue(back.tensorChecksum.hasPrefix("sha256:"))
    }

    func testDamagedFilesGetTheirOwnErrors() throws {
        let good = try ModelFile.encode(card: card(), tensors: ["t": Tensor([1, 2, 3] as [Float], shape: [3])])
        XCTAssertThrowsPersonaError(try ModelFile.decode(Array(good.prefix(5)), path: "m.st"), containing: ["m.st", "truncated"])
        XCTAssertThrowsPersonaError(try ModelFile.decode(Array(good.prefix(100)), path: "m.st"), containing: ["truncated"])
        XCTAssertThrowsPersonaError(try ModelFile.decode(Array(good.dropLast(4)), path: "m.st"), containing: ["truncated", "tensor \"t\""])
        var flipped = good
        flipped[flipped.count - 2] ^= 0x40
        XCTAssertThrowsPersonaError(try ModelFile.decode(flipped, path: "m.st"), containing: ["corrupted", "checksum"])
        var cardFlip = good
        let at = (8..<good.count).first { good[$0] == UInt8(ascii: "1") }!   // a digit inside the card
        cardFlip[at] = UInt8(ascii: "9")
        XCTAssertThrowsError(try ModelFile.decode(cardFlip, path: "m.st"))
        XCTAssertThrowsPersonaError(try ModelFile.decode(Array("{\"not\":\"a model\"}".utf8), path: "m.st"), containing: ["not a Persona model"])
        var newer = card()
        newer.formatVersion = PersonaVersion.modelFormat + 1
        let future = try ModelFile.encode(card: newer, tensors: [:])
        XCTAssertThrowsPersonaError(try ModelFile.decode(future, path: "m.st"), containing: ["newer Persona", "Upgrade"])
        var garbage = [UInt8](repeating: 0, count: 8); garbage[0] = 4
        XCTAssertThrowsPersonaError(try ModelFile.decode(garbage + Array("abcd".utf8), path: "m.st"), containing: ["corrupted", "not valid JSON"])
    }

    func testSHA256KnownAnswers() {
        // Where the processor has SHA instructions, the portable code is checked too.
        let hardware = SHA256.usesHardware
        defer { SHA256.usesHardware = hardware }
        for portable in hardware ? [false, true] : [true] {
            SHA256.usesHardware = !portable
            checkSHA256KnownAnswers()
        }
        // The two ways agree on random bytes of every length around a block.
        var rng = PersonaRandom(seed: 5)
        let bytes = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for n in [1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 10_000] {
            SHA256.usesHardware = false
            let portable = SHA256.hex(bytes.prefix(n))
            SHA256.usesHardware = hardware
            XCTAssertEqual(SHA256.hex(bytes.prefix(n)), portable, "\(n) bytes")
        }
    }

    func checkSHA256KnownAnswers() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // FIPS 180-2's long message: a million "a"s, hashed at once and in uneven pieces.
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hex(million), expected)
        XCTAssertEqual(SHA256.hex(million[...]), expected)
        var pieces = SHA256(), at = 0, size = 0
        while at < million.count {
            size = size % 130 + 1  // 1 to 130 bytes: pieces shorter than, equal to and longer than a block
            let end = min(at + size, million.count)
            pieces.update(million[at..<end])
            at = end
        }
        XCTAssertEqual(pieces.finalize().map { String(format: "%02x", $0) }.joined(), expected)
        // A sequence without contiguous storage, and lengths around the padding's edge (55, 56, 63, 64 bytes).
        XCTAssertEqual(SHA256.hex(million.lazy.prefix(1000).map { $0 }), SHA256.hex(Array(million.prefix(1000))))
        for (n, digest) in [(55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
                            (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
                            (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
                            (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")] {
            XCTAssertEqual(SHA256.hex(million.prefix(n)), digest, "\(n) bytes")
        }
    }
}
