import Foundation
import XCTest
@testable import PersonaCore

/// What the conformance suite needs to know about a family: how to train a
/// small model on sample data, and where its golden files are.
protocol ConformanceSubject {
    static var family: any PersonaModel.Type { get }
    static var sample: DatasetKind { get }
    static func train(path: String, seed: UInt64) throws -> any PersonaModel
    /// What `evaluate` needs beyond the defaults.
    static var evaluationOptions: EvaluationOptions { get }
}

extension ConformanceSubject {
    static var evaluationOptions: EvaluationOptions { EvaluationOptions() }
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

struct GBDTSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = GBDTModel.self
    static let sample = DatasetKind.churn
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = GBDTConfig(target: "churned"); c.trees = 30; c.seed = seed; c.subsample = 0.9
        return try GBDTModel.train(path: path, config: c, selection: ColumnSelection())
    }
}

struct UpliftSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = UpliftModel.self
    static let sample = DatasetKind.campaign
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = UpliftConfig()
        c.treatment = "group"; c.control = "control"; c.outcome = "converted"; c.learner = .logreg; c.seed = seed
        return try UpliftModel.train(path: path, config: c, selection: ColumnSelection(exclude: ["revenue", "true_uplift"]))
    }
}

struct ALSSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = ALSModel.self
    static let sample = DatasetKind.interactions
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = ALSConfig(user: "user_id", item: "item_id"); c.rating = "rating"; c.implicit = true
        c.factors = 8; c.iterations = 6; c.seed = seed
        return try ALSModel.train(path: path, config: c)
    }
}

struct RulesSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = RulesModel.self
    static let sample = DatasetKind.baskets
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = RulesConfig(basket: "basket_id", item: "item"); c.minSupport = 0.02; c.minConfidence = 0.2
        return try RulesModel.train(path: path, config: c)
    }
}

struct ValueSubject: ConformanceSubject {
    static let family: any PersonaModel.Type = ValueModel.self
    static let sample = DatasetKind.transactions
    static func train(path: String, seed: UInt64) throws -> any PersonaModel {
        var c = ValueConfig(); c.customer = "customer_id"; c.time = "timestamp"; c.amount = "amount"; c.calibrationEnd = "2026-03-31"
        return try ValueModel.train(path: path, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil)
    }
    static var evaluationOptions: EvaluationOptions { var o = EvaluationOptions(); o.holdoutEnd = "2026-06-30"; return o }
}

/// One test class per family, each check its own named test: a new family adds
/// a subject and a class of one-line tests.
final class KMeansConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = KMeansSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testPipelineIsAppliedAtScoring() throws { try checkPipelineAppliedAtScoring(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkBadInput(Subject.self) }
    func testGoldenFilesOfEveryFormatVersionLoadAndScoreTheSame() throws { try checkGoldenFiles(Subject.self) }
}

final class LogisticConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = LogisticSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testPipelineIsAppliedAtScoring() throws { try checkPipelineAppliedAtScoring(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkBadInput(Subject.self) }
    func testGoldenFilesOfEveryFormatVersionLoadAndScoreTheSame() throws { try checkGoldenFiles(Subject.self) }
}

final class TreeConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = TreeSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testPipelineIsAppliedAtScoring() throws { try checkPipelineAppliedAtScoring(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkBadInput(Subject.self) }
    func testGoldenFilesOfEveryFormatVersionLoadAndScoreTheSame() throws { try checkGoldenFiles(Subject.self) }
}

final class GBDTConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = GBDTSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testPipelineIsAppliedAtScoring() throws { try checkPipelineAppliedAtScoring(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkBadInput(Subject.self) }
    func testGoldenFilesOfEveryFormatVersionLoadAndScoreTheSame() throws { try checkGoldenFiles(Subject.self) }
}

final class UpliftConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = UpliftSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testPipelineIsAppliedAtScoring() throws { try checkPipelineAppliedAtScoring(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkBadInput(Subject.self) }
    func testGoldenFilesOfEveryFormatVersionLoadAndScoreTheSame() throws { try checkGoldenFiles(Subject.self) }
}

/// The recommender has no row scores; it recommends. Its checks: the file
/// round trip and bytes as for every family, and what a recommender promises.
final class ALSConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = ALSSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkDamagedFiles(Subject.self) }

    func model(_ t: TempDir) throws -> (ALSModel, String) {
        let data = try sampleFile(Subject.self, t, rows: 4000)
        return (try Subject.train(path: data, seed: 1) as! ALSModel, data)
    }

    func recommendations(_ m: ALSModel, _ users: Recommender.Users, top: Int, excludeSeen: Bool, history: String? = nil) throws -> [[String]] {
        var lines: [String] = []
        _ = try Recommender.run(model: m, users: users, top: top, excludeSeen: excludeSeen, history: history, output: nil) { lines.append($0) }
        return lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func testSeenItemsAreExcluded() throws {
        let t = TempDir()
        let (m, _) = try model(t)
        for u in 0..<20 {
            let seen = Set(m.seenItems(u).map { m.itemIds[$0] })
            let recs = try recommendations(m, .one(m.userIds[u]), top: 10, excludeSeen: true)
            XCTAssertEqual(recs.count, min(10, m.itemIds.count - seen.count))
            XCTAssertTrue(recs.allSatisfy { !seen.contains($0[1]) }, "user \(m.userIds[u])")
            XCTAssertTrue(recs.allSatisfy { $0[4] == "model" })
        }
    }

    func testAnUnknownUserGetsThePopularItems() throws {
        let t = TempDir()
        let (m, _) = try model(t)
        let users = t.file("users.csv", "user_id\nnobody-knows-me\n")
        let recs = try recommendations(m, .file(users), top: 5, excludeSeen: true)
        XCTAssertEqual(recs.map { $0[1] }, m.popularItems(5, excluding: []).map { m.itemIds[$0.0] })
        XCTAssertTrue(recs.allSatisfy { $0[4] == "popular" })
    }

    func testFoldingInATrainingUsersHistoryGivesCloseToItsTrainedFactors() throws {
        let t = TempDir()
        let (m, _) = try model(t)
        var worst = 1.0
        for u in 0..<30 {
            let history = m.seen.range(u).map { (item: Int(m.seen.indices[$0]), value: m.seen.values[$0]) }
            let folded = m.foldIn(history, gram: nil)
            let trained = m.userFactors.row(u).map { $0 }
            let dot = zip(folded, trained).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let norms = (folded.reduce(0.0) { $0 + Double($1 * $1) } * trained.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
            worst = min(worst, dot / max(norms, 1e-12))
        }
        // Training's last half-step solves users with conjugate gradient from a warm
        // start; fold-in solves exactly, so the two agree closely but not to the bit.
        XCTAssertGreaterThan(worst, 0.95, "cosine of folded-in and trained user factors")
    }

    func testGoldenFilesOfEveryFormatVersionLoadAndRecommendTheSame() throws {
        guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil)?.path else { return XCTFail("no Golden folder") }
        let models = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("als-v") && $0.hasSuffix(".safetensors") }
        XCTAssertFalse(models.isEmpty)
        for name in models {
            let stem = String(name.dropLast(".safetensors".count))
            let golden = try ModelStore.load(path: dir + "/" + name, as: ALSModel.self, forCommand: "test")
            var lines: [String] = []
            _ = try Recommender.run(model: golden, users: .all, top: 3, excludeSeen: true, history: nil, output: nil) { lines.append($0) }
            let want = try String(contentsOfFile: dir + "/" + stem + "-expected.csv", encoding: .utf8).split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, want.count, name)
            for (g, w) in zip(lines, want) {
                let a = g.split(separator: ","), b = w.split(separator: ",")
                XCTAssertEqual(a.count, b.count, name)
                for (x, y) in zip(a, b) {
                    if let p = Double(x), let q = Double(y) { XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(q)), name) }
                    else { XCTAssertEqual(x, y, name) }
                }
            }
        }
    }
}

/// Association rules suggest items for baskets rather than scoring rows.
final class RulesConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = RulesSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkDamagedFiles(Subject.self) }
}

final class ValueConformanceTests: XCTestCase, ConformanceChecks {
    typealias Subject = ValueSubject
    func testRoundTripIsExact() throws { try checkRoundTrip(Subject.self) }
    func testMetricsAreDeclaredByTheTask() throws { try checkMetricsAreDeclared(Subject.self) }
    func testSameSeedGivesTheSameBytes() throws { try checkReproducible(Subject.self) }
    func testBadInputGivesTheDocumentedErrors() throws { try checkDamagedFiles(Subject.self) }
}

/// The checks every family passes, written once.
protocol ConformanceChecks {}

extension ConformanceChecks {
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
        if let trainable = back as? any TrainableModel, let original = model as? any TrainableModel {
            XCTAssertEqual(trainable.config.card, original.config.card, "the settings are decoded once at load, as trained")
        }
        guard let model = model as? any RowScoring, let back = back as? any RowScoring else { return }
        let x = try model.card.pipeline.transform(path: data, raw: model.readsRawValues).matrix
        XCTAssertEqual(back.score(x).map(\.values), model.score(x).map(\.values))
    }

    /// Every number an evaluation reports is either a metric its task declares
    /// (so `cv`, grids and `compare` rank and mark it) or one of the counts and
    /// settings reported beside the metrics; and the task's ranking metric is there.
    func checkMetricsAreDeclared(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        let data = try sampleFile(subject, t)
        let model = try subject.train(path: data, seed: 1)
        let evaluation = try model.evaluate(path: data, options: subject.evaluationOptions)
        let beside: Set<String> = ["rows", "positives", "threshold", "k", "silhouette_sample", "users", "unknown_users", "baskets",
                                    "popularity_hit_rate_at_k", "customers", "holdout_periods", "actual_purchases", "predicted_purchases"]
        let numeric = (evaluation.metrics.object ?? [:]).filter { $0.value.double != nil }.map(\.key)
        XCTAssertFalse(numeric.isEmpty)
        for key in numeric where !beside.contains(key) {
            XCTAssertNotNil(evaluation.task.metric(key), "\(subject.family.kind) reports \"\(key)\", which \(evaluation.task) does not declare")
        }
        let ranking = try XCTUnwrap(evaluation.rankingMetric, "\(subject.family.kind): no ranking metric")
        XCTAssertEqual(ranking.metric, evaluation.task.ranking[0])
        XCTAssertEqual(evaluation.metrics[ranking.metric.key]?.double, ranking.value)
        XCTAssertTrue(ModelTask.all.contains(evaluation.task))
        for metric in evaluation.task.metrics { XCTAssertTrue(Metric.named(metric.key) == metric, "one declaration per key: \(metric)") }
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
        let model = try subject.train(path: data, seed: 2) as! any RowScoring
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
                if let labels = column.labels { XCTAssertEqual(streamed[r + 1][j], labels[r], "column \(ci)"); continue }
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
        try checkDamagedFiles(subject, model: model, t)
    }

    /// A damaged file and a model of the wrong kind are named, not crashed on.
    func checkDamagedFiles(_ subject: any ConformanceSubject.Type) throws {
        let t = TempDir()
        try checkDamagedFiles(subject, model: try subject.train(path: try sampleFile(subject, t), seed: 3), t)
    }

    func checkDamagedFiles(_ subject: any ConformanceSubject.Type, model: any PersonaModel, _ t: TempDir) throws {
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
    func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation { Evaluation(task: .segmentation, metrics: .null, text: "") }
    func summary() -> String { "" }
}
