import XCTest
@testable import PersonaCore

/// Rows read once: a subset of a training set trains and evaluates exactly as
/// a file holding just those rows would, so cross-validation in memory gives
/// the same models as writing fold files.
final class TrainingSetTests: XCTestCase {
    /// Numbers with missing cells, a category with missing and rare levels,
    /// yes/no words, quoted text, and a two-class target.
    func mixedCSV(rows: Int, seed: UInt64) -> (header: String, lines: [String]) {
        var rng = PersonaRandom(seed: seed)
        var lines: [String] = []
        let plans = ["basic", "plus", "premium", "family, shared"]
        for i in 0..<rows {
            let tenure = rng.uniform() < 0.05 ? "" : String(Int(rng.uniform() * 72))
            let spend = rng.uniform() < 0.05 ? "NA" : String(format: "%.2f", 20 + rng.uniform() * 80)
            let planIndex = Int(rng.uniform() * 4)
            let plan = rng.uniform() < 0.04 ? "" : (i % 97 == 0 ? "legacy-\(i)" : plans[planIndex])
            let paperless = rng.uniform() < 0.5 ? "yes" : "no"
            let logit = -1.0 + 0.03 * (Double(tenure) ?? 30) * -1 + (planIndex == 0 ? 0.8 : 0) + (paperless == "yes" ? 0.4 : 0)
            let churned = rng.uniform() < 1 / (1 + exp(-logit)) ? 1 : 0
            let quotedPlan = plan.contains(",") ? "\"\(plan)\"" : plan
            lines.append("C\(i),\(tenure),\(spend),\(quotedPlan),\(paperless),\(churned)")
        }
        return ("customer_id,tenure,monthly_spend,plan,paperless,churned", lines)
    }

    func checkSubsetMatchesFile<M: RowModel>(_ family: M.Type, config: M.Config, t: TempDir, file: String,
                                             header: String, lines: [String]) throws {
        let data = try TrainingSet.read(path: file)
        let fold = Folds.assign(rows: data.rows, k: 4, seed: 3)
        let (trainRows, testRows) = Folds.split(fold, 1)
        let trainFile = t.file("train-\(M.kind).csv", ([header] + trainRows.map { lines[$0] }).joined(separator: "\n") + "\n")
        let testFile = t.file("test-\(M.kind).csv", ([header] + testRows.map { lines[$0] }).joined(separator: "\n") + "\n")

        let fromMemory = try M.fit(data.subset(trainRows), config: config, selection: ColumnSelection(), progress: nil)
        let fromFile = try M.train(path: trainFile, config: config, selection: ColumnSelection(), delimiter: UInt8(ascii: ","), progress: nil)
        XCTAssertEqual(fromMemory.card.pipeline, fromFile.card.pipeline, "\(M.kind): the pipeline is fitted on the fold's rows alone")
        XCTAssertEqual(fromMemory.tensors(), fromFile.tensors(), "\(M.kind): same tensors from memory as from a file of the rows")

        let a = try fromMemory.evaluate(data.subset(testRows), options: EvaluationOptions()).metrics
        let b = try fromFile.evaluate(path: testFile, options: EvaluationOptions()).metrics
        XCTAssertEqual(a, b, "\(M.kind): the same metrics on held-out rows in memory as from their file")
    }

    func testASubsetTrainsAndEvaluatesAsAFileOfItsRows() throws {
        let t = TempDir()
        let (header, lines) = mixedCSV(rows: 1200, seed: 5)
        let file = t.file("mixed.csv", ([header] + lines).joined(separator: "\n") + "\n")
        var logistic = LogisticConfig(target: "churned"); logistic.l2 = 1e-3
        try checkSubsetMatchesFile(LogisticModel.self, config: logistic, t: t, file: file, header: header, lines: lines)
        var tree = TreeConfig(target: "churned"); tree.maxDepth = 4
        try checkSubsetMatchesFile(TreeModel.self, config: tree, t: t, file: file, header: header, lines: lines)
        var kmeans = KMeansConfig(k: 3); kmeans.seed = 4
        try checkSubsetMatchesFile(KMeansModel.self, config: kmeans, t: t, file: file, header: header, lines: lines)
    }

    func testTheWholeSetTrainsAsTheFile() throws {
        let t = TempDir()
        let (header, lines) = mixedCSV(rows: 500, seed: 9)
        let file = t.file("mixed.csv", ([header] + lines).joined(separator: "\n") + "\n")
        let data = try TrainingSet.read(path: file)
        let config = LogisticConfig(target: "churned")
        let a = try LogisticModel.fit(data, config: config, selection: ColumnSelection())
        let b = try LogisticModel.train(path: file, config: config, selection: ColumnSelection())
        XCTAssertEqual(try ModelFile.encode(card: a.card, tensors: a.tensors()).count, try ModelFile.encode(card: b.card, tensors: b.tensors()).count)
        XCTAssertEqual(a.tensors(), b.tensors())
        XCTAssertEqual(a.card.pipeline, b.card.pipeline)
        XCTAssertEqual(a.card.trainingData, b.card.trainingData)
    }

    /// Models fitted on different parts of a set with `pipelineFromWhole` read
    /// rows through one pipeline: the one fitted on every row of the set.
    func testSubsetsCanShareTheWholeSetsPipeline() throws {
        let t = TempDir()
        let (header, lines) = mixedCSV(rows: 1200, seed: 8)
        let data = try TrainingSet.read(path: t.file("mixed.csv", ([header] + lines).joined(separator: "\n") + "\n"))
        let halves = [Array(stride(from: 0, to: data.rows, by: 2)), Array(stride(from: 1, to: data.rows, by: 2))]
        let logistic = try halves.map { try LogisticModel.fit(data.subset($0, pipelineFromWhole: true), config: LogisticConfig(target: "churned"),
                                                              selection: ColumnSelection(), progress: nil) }
        let whole = try LogisticModel.fit(data, config: LogisticConfig(target: "churned"), selection: ColumnSelection(), progress: nil)
        XCTAssertEqual(logistic[0].card.pipeline, whole.card.pipeline)
        XCTAssertEqual(logistic[1].card.pipeline, whole.card.pipeline)
        let own = try LogisticModel.fit(data.subset(halves[0]), config: LogisticConfig(target: "churned"), selection: ColumnSelection(), progress: nil)
        XCTAssertNotEqual(own.card.pipeline, whole.card.pipeline, "without it a part learns its own medians and levels")
        var tree = TreeConfig(target: "churned"); tree.maxDepth = 3
        let trees = try halves.map { try TreeModel.fit(data.subset($0, pipelineFromWhole: true), config: tree, selection: ColumnSelection(), progress: nil) }
        XCTAssertEqual(trees[0].card.pipeline, trees[1].card.pipeline)
        // The transformed outcome: a column replaced by 0/1 labels.
        let flipped = try data.replacing(column: "churned", with: (0..<data.rows).map { $0 % 3 == 0 })
        XCTAssertEqual(try flipped.labels(of: "churned").prefix(4).map { $0 }, ["1", "0", "0", "1"])
    }

    func testSubsetProfilesCountTheirOwnRows() throws {
        let t = TempDir()
        let file = t.file("d.csv", "x,c\n1,a\n,b\n3,b\n4,\n5,b\n")
        let data = try TrainingSet.read(path: file)
        let sub = data.subset([1, 3, 4])
        XCTAssertEqual(sub.rows, 3)
        let x = try XCTUnwrap(sub.profile.column("x")), c = try XCTUnwrap(sub.profile.column("c"))
        XCTAssertEqual(x.missing, 1)
        XCTAssertEqual(x.mean, 4.5)
        XCTAssertEqual(x.min, 4); XCTAssertEqual(x.max, 5)
        XCTAssertEqual(c.missing, 1)
        XCTAssertEqual(c.topValues.map(\.value), ["b"], "only the levels of the subset's own rows")
        XCTAssertEqual(try sub.labels(of: "c"), ["b", nil, "b"])
        XCTAssertThrowsPersonaError(try sub.labels(of: "nope"), containing: ["d.csv", "nope", "Columns are: x, c"])
    }

    func testStratifiedFoldsKeepEachClassShare() {
        let strata = (0..<1000).map { $0 % 10 == 0 ? 1 : 0 }       // 10% positive
        let fold = Folds.assign(rows: 1000, k: 5, seed: 2, strata: strata)
        for f in 0..<5 {
            let rows = fold.indices.filter { fold[$0] == f }
            XCTAssertEqual(rows.count, 200)
            XCTAssertEqual(rows.filter { strata[$0] == 1 }.count, 20)
        }
        XCTAssertEqual(fold, Folds.assign(rows: 1000, k: 5, seed: 2, strata: strata), "seeded")
        XCTAssertNotEqual(fold, Folds.assign(rows: 1000, k: 5, seed: 3, strata: strata))
    }

    func testCrossValidationHasOneShapeForEveryRowFamily() throws {
        let t = TempDir()
        let (header, lines) = mixedCSV(rows: 600, seed: 2)
        let file = t.file("mixed.csv", ([header] + lines).joined(separator: "\n") + "\n")
        let data = try TrainingSet.read(path: file)
        func check<M: RowModel>(_ family: M.Type, _ config: M.Config, ranked metric: String) throws {
            let r = try CrossValidation.run(M.self, data: data, config: config, selection: ColumnSelection(), folds: 3, seed: 1)
            XCTAssertEqual(r.json["family"], .string(M.kind))
            XCTAssertEqual(r.json["k"], 3)
            XCTAssertEqual(r.folds.count, 3)
            XCTAssertEqual(r.folds.compactMap { $0["rows"]?.int }.reduce(0, +), 600, "every row is held out once")
            XCTAssertEqual(r.rankingMetric, metric)
            for key in r.metricKeys {
                XCTAssertNotNil(r.summary[key]?["mean"]?.double, key)
                XCTAssertEqual(r.summary[key]?["higher_is_better"], .bool(Metric.named(key)?.direction == .higherIsBetter), key)
            }
            let again = try CrossValidation.run(M.self, data: data, config: config, selection: ColumnSelection(), folds: 3, seed: 1)
            XCTAssertEqual(again.json, r.json, "\(M.kind): seeded")
        }
        try check(LogisticModel.self, LogisticConfig(target: "churned"), ranked: "auc")
        var tree = TreeConfig(target: "churned"); tree.maxDepth = 3
        try check(TreeModel.self, tree, ranked: "auc")
        var regression = TreeConfig(target: "tenure"); regression.task = .regression; regression.maxDepth = 3
        XCTAssertThrowsPersonaError(try CrossValidation.run(TreeModel.self, data: data, config: regression, selection: ColumnSelection(), folds: 3, seed: 1),
                                    containing: ["tenure", "missing"])
        try check(KMeansModel.self, KMeansConfig(k: 3), ranked: "silhouette")
        // Too few examples of a class for the folds.
        let small = try TrainingSet.read(path: t.file("s.csv", "x,y\n1,0\n2,0\n3,0\n4,1\n5,0\n6,1\n"))
        XCTAssertThrowsPersonaError(try CrossValidation.run(LogisticModel.self, data: small, config: LogisticConfig(target: "y"),
                                                            selection: ColumnSelection(), folds: 3, seed: 1), containing: ["fewer examples of one class (2)"])
    }

    func testGridRanksByEachMetricsDirection() {
        let higher = GridSearch.rank([0.7, 0.9, .nan, 0.8], metric: .auc, prefix: "cv_")
        XCTAssertEqual(higher.order, [1, 3, 0, 2])
        XCTAssertEqual(higher.metric, "cv_auc")
        let lower = GridSearch.rank([0.3, 0.1, 0.2], metric: .logLoss, prefix: "")
        XCTAssertEqual(lower.order, [1, 2, 0])
        XCTAssertEqual(Metric.named("davies_bouldin")?.direction, .lowerIsBetter)
        XCTAssertEqual(Metric.named("ndcg_at_k")?.direction, .higherIsBetter)
        XCTAssertNil(Metric.named("rows"))
    }
}
