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
