import Foundation
import XCTest

/// The layer check that runs on every build of PersonaCore (`persona-layers`,
/// through the LayerCheck plugin): it passes on the sources as they are, and
/// fails, naming the file, the line and the type, when a lower layer names a
/// type of a higher one.
final class LayerCheckTests: CLITestCase {
    var tool: String { URL(fileURLWithPath: Self.binary).deletingLastPathComponent().appendingPathComponent("persona-layers").path }

    func run(_ sources: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = [sources, dir + "/stamp.swift"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(code: p.terminationStatus, out: "", err: String(decoding: e, as: UTF8.self))
    }

    func testTheSourcesHoldTheirLayers() throws {
        let r = try run(Self.root.appendingPathComponent("Sources/PersonaCore").path)
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(try String(contentsOfFile: dir + "/stamp.swift", encoding: .utf8).contains("Data < Persistence"))
    }

    func testALowerLayerNamingAHigherTypeFails() throws {
        let src = dir + "/src"
        for folder in ["Data", "Models", "Support"] {
            try FileManager.default.createDirectory(atPath: src + "/" + folder, withIntermediateDirectories: true)
        }
        _ = write("src/Models/Model.swift", "public protocol RowScoring {}\nstruct Helper { struct Block {} }\n")
        _ = write("src/Support/Util.swift", "/// Not a RowScoring, only a comment.\nlet s = \"RowScoring in a string\"\n")
        _ = write("src/Data/Reader.swift", "struct Reader {\n    // RowScoring in a comment is fine\n    struct Block {}\n    var b = Block()\n    func f(_ m: any RowScoring) {}\n}\n")
        var r = try run(src)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("Data/Reader.swift:5:1: error: Data names RowScoring, declared in Models"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, "comments, strings and the file's own nested types are not references: \(r.err)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/stamp.swift"), "no stamp when the check fails")
        _ = write("src/Data/Reader.swift", "struct Reader { var n = \"\\(Helper.self)\" }\n")
        r = try run(src)
        XCTAssertTrue(r.err.contains("Data/Reader.swift:1:1: error: Data names Helper"), "an interpolation is code: \(r.err)")
        _ = write("src/Data/Reader.swift", "struct Reader {}\n")
        _ = write("src/Loose.swift", "struct Loose {}\n")
        r = try run(src)
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("Loose.swift is in no layer"), r.err)
    }
}
