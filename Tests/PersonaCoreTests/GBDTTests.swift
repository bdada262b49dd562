import XCTest
@testable import PersonaCore

final class GBDTTests: XCTestCase {
    func train(_ text: String, _ configure: (inout GBDTConfig) -> Void = { _ in }, target: String = "y") throws -> GBDTModel {
        let t = TempDir()
        var c = GBDTConfig(target: target)
        configure(&c)
        return try GBDTModel.train(path: t.file("d.csv", text), config: c, selection: ColumnSelection())
    }

    func testOneRoundWithoutShrinkageGivesEachLeafItsMean() throws {
        // Squared error, one tree of two leaves, learning rate 1: the prediction is each group's mean.
        var text = "x,y\n"
        for i in 0..<40 { text += "\(i % 2),\(i % 2 == 0 ? 10 + Double(i % 4) : 30 + Double(i % 3))\n" }
        let m = try train(text) { $0.task = .regression; $0.trees = 1; $0.learningRate = 1; $0.earlyStoppingRounds = 0
                                  $0.numLeaves = 2; $0.minSamplesLeaf = 1 }
        let x = FloatMatrix(rows: 2, cols: 1, storage: [0, 1])
        let p = m.score(x)[0].values
        let even = (0..<40).filter { $0 % 2 == 0 }.map { 10 + Double($0 % 4) }, odd = (0..<40).filter { $0 % 2 == 1 }.map { 30 + Double($0 % 3) }
        XCTAssertEqual(p[0], even.reduce(0, +) / 20, accuracy: 1e-9)
        XCTAssertEqual(p[1], odd.reduce(0, +) / 20, accuracy: 1e-9)
    }

    /// Huber loss: a residual beyond huber_delta pulls with delta, not with itself.
    /// Targets 0, 0, 0, 0, 100 start at their mean 20; residuals 20, 20, 20, 20, -80
    /// clip to 1, 1, 1, 1, -1, so one leaf moves by -(3 / 5) and predicts 19.4,
    /// where squared error's gradients cancel and it stays at 20.
    func testHuberLossClipsOutliersByItsClosedForm() throws {
        let text = "x,y\n1,0\n1,0\n1,0\n1,0\n1,100\n"
        let set: (inout GBDTConfig) -> Void = { $0.task = .regression; $0.trees = 1; $0.learningRate = 1; $0.earlyStoppingRounds = 0; $0.minSamplesLeaf = 1 }
        let huber = try train(text) { set(&$0); $0.loss = .huber; $0.huberDelta = 1 }
        let squared = try train(text, set)
        let x = FloatMatrix(rows: 1, cols: 1, storage: [1])
        XCTAssertEqual(huber.score(x)[0].values[0], 19.4, accuracy: 1e-9)
        XCTAssertEqual(squared.score(x)[0].values[0], 20, accuracy: 1e-9)
        XCTAssertEqual(huber.config.card["huber_delta"], 1)
        XCTAssertNil(squared.config.card["huber_delta"], "the delta is recorded only for the Huber loss")
        var classifier = GBDTConfig(target: "y"); classifier.loss = .huber
        XCTAssertThrowsParameterError(try classifier.validate(), naming: "loss", containing: ["regression"])
    }

    /// --validation FILE: early stopping watches that file through the training
    /// pipeline, no training rows are held out, and the recorded validation AUC
    /// is the model's AUC on the file.
    func testAValidationFileDrivesEarlyStopping() throws {
        let t = TempDir()
        let train = t.join("train.csv"), valid = t.join("valid.csv")
        try Generators.generate(.churn, rows: 3000, seed: 31, to: train)
        try Generators.generate(.churn, rows: 800, seed: 32, to: valid)
        let m = try GBDTModel.train(path: train, validation: valid, config: GBDTConfig(target: "churned"), selection: ColumnSelection())
        let metrics = m.card.trainingMetrics
        XCTAssertEqual(metrics["validation_rows"]?.int, 800)
        XCTAssertEqual(metrics["validation_file"]?.string, "valid.csv")
        XCTAssertEqual(metrics["best_iteration"]?.int, m.treeCount)
        XCTAssertEqual((metrics["validation_loss"]?.array?.count ?? 0) - m.treeCount, 20, "stopped 20 rounds after the best")
        let auc = try XCTUnwrap(m.evaluate(path: valid, options: EvaluationOptions()).metrics["auc"]?.double)
        XCTAssertEqual(try XCTUnwrap(metrics["validation_auc"]?.double), auc, accuracy: 1e-12)
    }

    /// --mode rf: bootstrap trees averaged. The out-of-bag AUC estimates the
    /// held-out one, probabilities are averages of class shares, and the
    /// contributions add up to the probability.
    func testRandomForestModeAveragesBootstrapTrees() throws {
        let t = TempDir()
        let train = t.join("train.csv"), test = t.join("test.csv")
        try Generators.generate(.churn, rows: 4000, seed: 41, to: train)
        try Generators.generate(.churn, rows: 2000, seed: 42, to: test)
        var c = GBDTConfig(target: "churned"); c.mode = .rf; c.trees = 30; c.numLeaves = 64; c.seed = 3
        let m = try GBDTModel.train(path: train, config: c, selection: ColumnSelection())
        XCTAssertEqual(m.treeCount, 30)
        XCTAssertNil(m.card.trainingMetrics["validation_loss"], "a forest holds no rows out")
        let oob = try XCTUnwrap(m.card.trainingMetrics["oob_auc"]?.double)
        let heldOut = try XCTUnwrap(m.evaluate(path: test, options: EvaluationOptions()).metrics["auc"]?.double)
        XCTAssertEqual(oob, heldOut, accuracy: 0.03, "out-of-bag AUC \(oob) against held-out \(heldOut)")
        XCTAssertGreaterThan(heldOut, 0.75)
        let x = try m.card.pipeline.transform(path: test, raw: true).matrix
        let p = m.score(x)[0].values
        XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 })
        let contributions = m.contributions(FloatMatrix(rows: 50, cols: x.cols, storage: Array(x.storage.prefix(50 * x.cols))))
        for r in 0..<50 {
            let total = contributions.bias + (0..<contributions.columns.count).reduce(0) { $0 + contributions.values[r * contributions.columns.count + $1] }
            XCTAssertEqual(total, p[r], accuracy: 1e-9)
        }
        XCTAssertEqual(try GBDTModel.train(path: train, config: c, selection: ColumnSelection()).tensors(), m.tensors(), "same seed, same forest")
        var huber = c; huber.task = .regression; huber.loss = .huber
        XCTAssertThrowsParameterError(try huber.validate(), naming: "loss", containing: ["mode rf"])
    }

    func testAL2PenaltyShrinksLeavesByItsClosedForm() throws {
        // y = 10x, ten rows each: F0 = 5; the leaf of x = 1 has ΣG = -50 over ΣH = 10,
        // so with λ = 5 its value is 50 / (10 + 5) and with α = 20 (L1) it is (50 - 20) / 10.
        let text = "x,y\n" + (0..<20).map { "\($0 % 2),\($0 % 2 == 0 ? 0 : 10)\n" }.joined()
        let one = FloatMatrix(rows: 1, cols: 1, storage: [1])
        let ridge = try train(text) { $0.task = .regression; $0.trees = 1; $0.learningRate = 1; $0.earlyStoppingRounds = 0
                                      $0.numLeaves = 2; $0.minSamplesLeaf = 1; $0.l2 = 5 }
        XCTAssertEqual(ridge.score(one)[0].values[0], 5 + 50.0 / 15, accuracy: 1e-12)
        let lasso = try train(text) { $0.task = .regression; $0.trees = 1; $0.learningRate = 1; $0.earlyStoppingRounds = 0
                                      $0.numLeaves = 2; $0.minSamplesLeaf = 1; $0.l1 = 20 }
        XCTAssertEqual(lasso.score(one)[0].values[0], 5 + 30.0 / 10, accuracy: 1e-12)
        let shrunk = try train(text) { $0.task = .regression; $0.trees = 1; $0.learningRate = 0.1; $0.earlyStoppingRounds = 0
                                       $0.numLeaves = 2; $0.minSamplesLeaf = 1 }
        XCTAssertEqual(shrunk.score(one)[0].values[0], 5 + 0.1 * 5, accuracy: 1e-12)
    }

    func testTrainingLossFallsAndEarlyStoppingKeepsTheBestRound() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 4000, seed: 3, to: path)
        var c = GBDTConfig(target: "churned"); c.learningRate = 0.3
        let m = try GBDTModel.train(path: path, config: c, selection: ColumnSelection())
        let metrics = m.card.trainingMetrics
        let train = try XCTUnwrap(metrics["training_loss"]?.array?.compactMap(\.double))
        let valid = try XCTUnwrap(metrics["validation_loss"]?.array?.compactMap(\.double))
        XCTAssertEqual(train.count, valid.count)
        for i in 1..<train.count { XCTAssertLessThanOrEqual(train[i], train[i - 1] + 1e-12, "round \(i + 1)") }
        let best = try XCTUnwrap(metrics["best_iteration"]?.int)
        XCTAssertEqual(valid.indices.min { valid[$0] < valid[$1] }! + 1, best)
        XCTAssertEqual(m.treeCount, best, "the model is cut at the best round")
        XCTAssertEqual(valid.count, min(1000, best + 20), "stopped 20 rounds after the best")
        XCTAssertEqual(metrics["validation_rows"]?.int, 400)
        // Without early stopping every tree is kept and no row is held out.
        c.earlyStoppingRounds = 0; c.trees = 7
        let all = try GBDTModel.train(path: path, config: c, selection: ColumnSelection())
        XCTAssertEqual(all.treeCount, 7)
        XCTAssertNil(all.card.trainingMetrics["validation_loss"])
    }

    func testSameBytesOnOneCoreOrTwo() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 30000, seed: 8, to: path)
        var c = GBDTConfig(target: "churned"); c.trees = 15; c.earlyStoppingRounds = 0; c.subsample = 0.8; c.colsample = 0.7; c.seed = 4
        setenv("PERSONA_THREADS", "1", 1)
        let one = try GBDTModel.train(path: path, config: c, selection: ColumnSelection())
        setenv("PERSONA_THREADS", "2", 1)
        let two = try GBDTModel.train(path: path, config: c, selection: ColumnSelection())
        unsetenv("PERSONA_THREADS")
        XCTAssertEqual(one.tensors(), two.tensors())
        c.seed = 5
        XCTAssertNotEqual(try GBDTModel.train(path: path, config: c, selection: ColumnSelection()).tensors(), one.tensors(), "the seed matters")
    }

    func testANoiseCategoryOfFiftyLevelsBarelyMovesAccuracy() throws {
        // Item 3 of the boosting issue: a 50-level column of pure noise costs at most 0.3 points.
        let (clean, withNoise) = try accuracyWithoutAndWithNoiseColumn(seed: 12) { train in
            try GBDTModel.fit(train, config: GBDTConfig(target: "churned"), selection: ColumnSelection())
        }
        XCTAssertGreaterThanOrEqual(withNoise, clean - 0.003, "clean \(clean), with a 50-level noise column \(withNoise)")
    }

    func testBadInputIsNamed() throws {
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,a\n3,a\n"), containing: ["single class"])
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,b\n3,c\n"), containing: ["3 classes", "persona train tree"])
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,b\n") { $0.task = .regression }, containing: ["numeric", "\"a\""])
        XCTAssertThrowsParameterError(try train("x,y\n1,0\n2,1\n") { $0.numLeaves = 1 }, naming: "num_leaves", containing: ["numLeaves must be between 2 and 4096"])
    }
}
