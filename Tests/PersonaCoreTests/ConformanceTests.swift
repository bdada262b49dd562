import Foundation
import XCTest
@testable import PersonaCore

/// What the conformance suite needs to know about a family: how to train a
/// small model on sample data, and where its golden files are.
protocol ConformanceSubject {
    static var family: any PersonaModel.Type { get }
    static var sample: DatasetKind { get }
    static func train(path: String, seed: UInt64) throws -> any PersonaModel
}

struct KMeansSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = KMeansModel.self
    static let sample = DatasetKind.customers
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = KMeansConfig(k: 4); c.seed = seed
        return try KMeansModel.train(path: path, config: c, selection: ColumnSelection())
    }
}

struct LogisticSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = LogisticModel.self
    static let sample = DatasetKind.churn
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = LogisticConfig(target: "churned"); c.l2 = 1e-4
        return try LogisticModel.train(path: path, config: c, selection: ColumnSelection())
    }
}

struct TreeSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = TreeModel.self
    static let sample = DatasetKind.churn
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = TreeConfig(target: "churned"); c.maxDepth = 5
        return try TreeModel.train(path: path, config: c, selection: ColumnSelection())
    }
}

/// Every model family passes the same checks. A new family adds one line here.
let conformanceSubjects: [any ConformanceSubject.Type] = [
    KMeansSubject.self,
    LogisticSubject.self,
    TreeSubject.self,
]

final class ConformanceTests: XCTestCase {
    func testEveryFamilyConforms() throws {
        for subject in conformanceSubjects {
            try checkRoundTrip(subject)
            try checkReproducible(subject)
            try checkPipelineAppliedAtScoring(subject)
            try checkBadInput(subject)
            try checkGoldenFiles(subject)
        }
    }

    func sampleFile(_ subject: any ConformanceSubject.Type, _ t: TempDir, rows: Int = 600) throws -> String {
        let p = t.join("sample.csv")
        try Generators.generate(subject.sample, rows: rows, seed: 21, to: p)
        return p
    }

    /// save -> load gives the same card, the same tensors and the same scores.
    func checkRoundTrip(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        let data = try sampleFile(subject, t)
        let model = try subject.train(path: data, seed: 1)
        let path = t.join("m.safetensors")
        try ModelStore.save(model, to: path)
        let back = try ModelStore.load(path: path)
        XCTAssertEqual(type(of: back).kind, subject.family.kind)
        var expectedCard = model.card
        expectedCard.tensorChecksum = back.card.tensorChecksum
        XCTAssertEqual(back.card, expectedCard)
        XCTAssertEqual(back.tensors(), model.tensors())
        let x = try model.card.pipeline.transform(path: data, raw: model.readsRawValues).matrix
        XCTAssertEqual(back.score(x).map(\.values), model.score(x).map(\.values))
    }

    /// The same data, config and seed give a byte-identical file under SOURCE_DATE_EPOCH.
    func checkReproducible(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        let data = try sampleFile(subject, t)
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1)
        defer { unsetenv("SOURCE_DATE_EPOCH") }
        try ModelStore.save(try subject.train(path: data, seed: 5), to: t.join("a.safetensors"))
        try ModelStore.save(try subject.train(path: data, seed: 5), to: t.join("b.safetensors"))
        let a = FileManager.default.contents(atPath: t.join("a.safetensors"))
        XCTAssertNotNil(a)
        XCTAssertEqual(a, FileManager.default.contents(atPath: t.join("b.safetensors")), "\(subject.family.kind): same seed, same bytes")
        XCTAssertEqual(try ModelStore.load(path: t.join("a.safetensors")).card.created, "2023-11-14T22:13:20Z")
    }

    /// Scoring goes through the fitted pipeline: columns may come in any order,
    /// extra columns are ignored, and the streamed scores equal the in-memory ones.
    func checkPipelineAppliedAtScoring(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        let data = try sampleFile(subject, t)
        let model = try subject.train(path: data, seed: 2)
        let rows = try readAll(data)
        // Reverse the columns and add one the model never saw.
        let w = try CSVWriter(path: t.join("reordered.csv"))
        for r in rows { w.row(Array(r.reversed()) + [r == rows[0] ? "unrelated" : "x"]) }
        try w.commit()
        let raw = model.readsRawValues
        let direct = model.score(try model.card.pipeline.transform(path: data, raw: raw).matrix)
        let reordered = model.score(try model.card.pipeline.transform(path: t.join("reordered.csv"), raw: raw).matrix)
        XCTAssertEqual(direct.map(\.values), reordered.map(\.values))
        let summary = try BatchScorer.score(model: model, input: t.join("reordered.csv"), idColumns: nil, output: t.join("scores.csv"))
        XCTAssertEqual(summary.rows, rows.count - 1)
        let streamed = try readAll(t.join("scores.csv"))
        let names = streamed[0]
        for (ci, column) in direct.enumerated() {
            let j = names.firstIndex(of: column.name)!
            for r in 0..<column.values.count {
                XCTAssertEqual(Double(streamed[r + 1][j])!, column.values[r], accuracy: 1e-5 * max(1, abs(column.values[r])), "column \(ci)")
            }
        }
    }

    /// The documented errors: a column missing at scoring, a non-number in a
    /// numeric feature, a damaged file, the wrong kind for a command.
    func checkBadInput(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        let data = try sampleFile(subject, t)
        let model = try subject.train(path: data, seed: 3)
        let rows = try readAll(data)
        let numeric = model.card.pipeline.columns.first { $0.type == .numeric }!
        let col = rows[0].firstIndex(of: numeric.name)!
        let w = try CSVWriter(path: t.join("bad.csv"))
        w.row(rows[0]); w.row(rows[1])
        var bad = rows[2]; bad[col] = "lots"; w.row(bad)
        try w.commit()
        let out = t.join("never.csv")
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: model, input: t.join("bad.csv"), idColumns: nil, output: out),
                                    containing: ["bad.csv", "line 3", "column \(col + 1)", numeric.name, "expected a number"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written on failure")
        let w2 = try CSVWriter(path: t.join("lacking.csv"))
        for r in rows.prefix(3) { var r = r; r.remove(at: col); w2.row(r) }
        try w2.commit()
        XCTAssertThrowsPersonaError(try BatchScorer.score(model: model, input: t.join("lacking.csv"), idColumns: nil, output: out),
                                    containing: ["lacking.csv", "needs column \"\(numeric.name)\""])
        let path = t.join("m.safetensors")
        try ModelStore.save(model, to: path)
        let bytes = FileManager.default.contents(atPath: path)!
        _ = FileManager.default.createFile(atPath: t.join("cut.safetensors"), contents: bytes.prefix(bytes.count - 3))
        XCTAssertThrowsPersonaError(try ModelStore.load(path: t.join("cut.safetensors")), containing: ["cut.safetensors", "truncated"])
        XCTAssertThrowsPersonaError(try ModelStore.load(path: path, as: WrongKind.self, forCommand: "persona recommend"),
                                    containing: ["is a \(subject.family.kind) model", "needs a wrong-kind model"])
    }

    /// Files written by earlier releases keep loading and predicting the same.
    func checkGoldenFiles(_ subject: any ConformanceSubject.Type) throws {
        let kind = subject.family.kind
        guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil)?.path else { return XCTFail("no Golden folder") }
        let models = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(kind + "-v") && $0.hasSuffix(".safetensors") }
        XCTAssertFalse(models.isEmpty, "a golden model file for \(kind) is committed")
        for name in models {
            let stem = String(name.dropLast(".safetensors".count))
            let model = try ModelStore.load(path: dir + "/" + name)
            let t = TempDir()
            _ = try BatchScorer.score(model: model, input: dir + "/" + stem + "-input.csv", idColumns: nil, output: t.join("s.csv"))
            let got = try readAll(t.join("s.csv")), want = try readAll(dir + "/" + stem + "-expected.csv")
            XCTAssertEqual(got[0], want[0], name)
            XCTAssertEqual(got.count, want.count, name)
            for (g, w) in zip(got.dropFirst(), want.dropFirst()) {
                for (a, b) in zip(g, w) {
                    if let x = Double(a), let y = Double(b) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y)), name) }
                    else { XCTAssertEqual(a, b, name) }
                }
            }
        }
    }
}

/// A family that does not exist, to check the wrong-kind error.
struct WrongKind: PersonaModel {
    static let kind = "wrong-kind"
    static let title = "test double"
    var card: ModelCard
    init(card: ModelCard, tensors: [String: Tensor], path: String) throws { self.card = card }
    func tensors() -> [String: Tensor] { [:] }
    func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] { [] }
    func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation { Evaluation(metrics: .null, text: "") }
    func summary() -> String { "" }
}
