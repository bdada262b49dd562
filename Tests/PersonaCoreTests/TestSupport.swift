import Foundation
import XCTest
@testable import PersonaCore

/// A fresh temporary folder per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "persona-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String, _ contents: String) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(contents.utf8))
        return p
    }
    func bytes(_ name: String, _ contents: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(contents))
        return p
    }
    func join(_ name: String) -> String { path + "/" + name }
}

func readAll(_ path: String) throws -> [[String]] {
    let r = try CSVReader(path: path)
    var out: [[String]] = [r.header]
    var rec = CSVRecord()
    while try r.next(into: &rec) { out.append(rec.fields) }
    return out
}

func XCTAssertThrowsPersonaError(_ expression: @autoclosure () throws -> Any, containing fragments: [String],
                                 file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let e as PersonaError {
        for f in fragments where !e.message.contains(f) {
            XCTFail("error \"\(e.message)\" does not contain \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a PersonaError, got \(error)", file: file, line: line)
    }
}

/// Expects a refused hyperparameter; the message is checked as a library caller
/// sees it (property names).
func XCTAssertThrowsParameterError(_ expression: @autoclosure () throws -> Any, naming key: String, containing fragments: [String],
                                   file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected an error naming \(key)", file: file, line: line)
    } catch let e as ParameterError {
        XCTAssertTrue(e.parameters.contains { $0.key == key }, "\(e) names \(e.parameters.map(\.key)), not \(key)", file: file, line: line)
        for f in fragments where !e.description.contains(f) {
            XCTFail("error \"\(e.description)\" does not contain \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("expected a ParameterError, got \(error)", file: file, line: line)
    }
}

/// Held-out accuracy on 100,000 generated churn rows, without and with a
/// 50-level column of pure noise ("state"): the check that categorical splits do
/// not overfit a many-level column. `fit` trains on three quarters of the rows.
func accuracyWithoutAndWithNoiseColumn(seed: UInt64, fit: (TrainingSet) throws -> any RowModel) throws -> (clean: Double, noisy: Double) {
    let t = TempDir()
    let path = t.join("churn.csv")
    try Generators.generate(.churn, rows: 100_000, seed: seed, to: path)
    var rng = PersonaRandom(seed: seed &+ 87)
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    var noisy = [lines[0] + ",state"]
    for l in lines.dropFirst() { noisy.append(l + ",S\(Int(rng.uniform() * 50))") }
    let noisyPath = t.file("noisy.csv", noisy.joined(separator: "\n") + "\n")
    func heldOutAccuracy(_ file: String) throws -> Double {
        let data = try TrainingSet.read(path: file)
        let rows = Array(0..<data.rows)
        let train = data.subset(rows.filter { $0 % 4 != 0 }), test = data.subset(rows.filter { $0 % 4 == 0 })
        return try XCTUnwrap(try fit(train).evaluate(test, options: EvaluationOptions()).metrics["accuracy"]?.double)
    }
    return (try heldOutAccuracy(path), try heldOutAccuracy(noisyPath))
}
