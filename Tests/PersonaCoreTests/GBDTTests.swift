import CPersonaKernels
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

    func testTheBinaryPassGivesEachRowsGradientHessianAndLoss() {
        // Scores over the whole range (the pass computes e^-|z| itself), labels, weights;
        // rows listed out of order, some left out, and a count that is not a multiple of four.
        var rng = PersonaRandom(seed: 12, stream: 0)
        let n = 30_011
        let z: [Double] = (0..<n).map { i in
            let edge: [Double] = [0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 36, -36, 700, -700, 710, -710, 1e6, -1e6]
            return i < edge.count ? edge[i] : (rng.uniform() * 2 - 1) * [0.8, 40, 800][i % 3]
        }
        let y = (0..<n).map { _ in rng.uniform() < 0.5 ? 1.0 : 0.0 }
        let w = (0..<n).map { _ in 0.5 + rng.uniform() }
        var rows = (0..<Int32(n)).filter { $0 % 7 != 3 }
        rng.shuffle(&rows)
        let kernels = [GBDTModel.BinaryPass.generic] + (Processor.hasAVX2 ? [GBDTModel.BinaryPass.avx2] : [])
        var results: [[Double]] = []
        for kernel in kernels {
            var g = [Double](repeating: .nan, count: n), h = g
            let total = kernel(rows, rows.count, z, y, w, GBDTModel.largestLoss, &g, &h)
            XCTAssertEqual(kernel(rows, rows.count, z, y, w, GBDTModel.largestLoss, nil, nil), total, "the loss alone is the same sum")
            var expected = 0.0
            for r in rows.map(Int.init) {
                let p = GBDTModel.sigmoid(z[r])
                // e^-|z| within an ulp of the C library's moves p by an ulp at most
                XCTAssertEqual(g[r], w[r] * (p - y[r]), accuracy: 4.5e-16 * w[r], "row \(r), z = \(z[r])")
                XCTAssertEqual(h[r], w[r] * max(p * (1 - p), 1e-16), accuracy: 4.5e-16 * w[r] * max(p * (1 - p), 1e-16), "row \(r)")
                expected += min(log(1 + exp(-abs(z[r]))) + (y[r] == 1 ? max(-z[r], 0) : max(z[r], 0)), GBDTModel.largestLoss)
            }
            XCTAssertEqual(total, expected, accuracy: 1e-12 * expected)
            XCTAssertEqual(g[0], w[0] * (0.5 - y[0]), "e^0 is exactly 1")
            XCTAssertEqual(h[0], w[0] * 0.25)
            for r in stride(from: 3, to: n, by: 7) { XCTAssertTrue(g[r].isNaN && h[r].isNaN, "row \(r) is not listed") }
            results.append(g + h + [total])
        }
        if results.count == 2 { XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern), "the same bits in AVX2") }
    }

    func testTheSameTreesOnEveryProcessor() throws {
        // The gradient pass and the histogram in AVX2 against the same C compiled for any x86-64.
        guard Processor.hasAVX2 else { throw XCTSkip("this processor has no AVX2") }
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 20000, seed: 5, to: path)
        var c = GBDTConfig(target: "churned"); c.trees = 12
        func trained(_ pass: GBDTModel.BinaryPass.Kernel, _ histogram: TreeGrower.HistogramKernel) throws -> [String: Tensor] {
            let (savedPass, savedHistogram) = (GBDTModel.BinaryPass.kernel, TreeGrower.histogramKernel)
            defer { GBDTModel.BinaryPass.kernel = savedPass; TreeGrower.histogramKernel = savedHistogram }
            GBDTModel.BinaryPass.kernel = pass; TreeGrower.histogramKernel = histogram
            return try GBDTModel.train(path: path, config: c, selection: ColumnSelection()).tensors()
        }
        let generic = try trained(GBDTModel.BinaryPass.generic, persona_tree_histogram_generic)
        XCTAssertEqual(generic, try trained(GBDTModel.BinaryPass.avx2, persona_tree_histogram_avx2))
    }

    func testANoiseCategoryOfFiftyLevelsBarelyMovesAccuracy() throws {
        // Item 3 of the boosting issue: a 50-level column of pure noise costs at most 0.3 points.
        let (clean, withNoise) = try accuracyWithoutAndWithNoiseColumn(seed: 12) { train in
            try GBDTModel.fit(train, config: GBDTConfig(target: "churned"), selection: ColumnSelection())
        }
        XCTAssertGreaterThanOrEqual(withNoise, clean - 0.003, "clean \(clean), with a 50-level noise column \(withNoise)")
    }

    /// Softmax by hand: three classes, one round, trees of two leaves, learning
    /// rate 1. The starting scores are the centred logs of the class shares, so
    /// the first probabilities are the shares p_c; on each side of the split the
    /// tree of class c moves the score by -Σ(p_c - y_c) / Σ p_c (1 - p_c).
    func testSoftmaxOneRoundByItsClosedForm() throws {
        // x = 0: 6 a, 3 b, 1 c; x = 1: 1 a, 3 b, 6 c
        var text = "x,y\n"
        for (x, counts) in [(0, [6, 3, 1]), (1, [1, 3, 6])] {
            for (c, k) in counts.enumerated() { for _ in 0..<k { text += "\(x),\(["a", "b", "c"][c])\n" } }
        }
        let m = try train(text) { $0.trees = 1; $0.learningRate = 1; $0.earlyStoppingRounds = 0; $0.numLeaves = 2; $0.minSamplesLeaf = 1 }
        XCTAssertEqual(m.classes, ["a", "b", "c"])
        XCTAssertEqual(m.treeCount, 3, "one tree per class")
        let share = [7.0 / 20, 6.0 / 20, 7.0 / 20]
        let logs = share.map { log($0) }, mean = logs.reduce(0, +) / 3
        for c in 0..<3 { XCTAssertEqual(m.initScores[c], logs[c] - mean, accuracy: 1e-12) }
        let scores = m.score(FloatMatrix(rows: 2, cols: 1, storage: [0, 1]))
        XCTAssertEqual(scores.map(\.name), ["probability_a", "probability_b", "probability_c", "predicted"])
        for (row, counts) in [[6.0, 3, 1], [1.0, 3, 6]].enumerated() {
            let raw = (0..<3).map { c in logs[c] - mean - (10 * share[c] - counts[c]) / (10 * share[c] * (1 - share[c])) }
            let top = raw.max()!, z = raw.map { exp($0 - top) }.reduce(0, +)
            for c in 0..<3 { XCTAssertEqual(scores[c].values[row], exp(raw[c] - top) / z, accuracy: 1e-12) }
        }
        XCTAssertEqual(scores[3].labels, ["a", "c"])
        // Each row's probabilities sum to one; the model file keeps the three starting scores.
        let t = TempDir()
        try ModelStore.save(m, to: t.join("m.persona"))
        let back = try XCTUnwrap(try ModelStore.load(path: t.join("m.persona")) as? GBDTModel)
        XCTAssertEqual(back.tensors(), m.tensors())
        XCTAssertEqual(back.classes, m.classes)
        XCTAssertNotNil(m.explanationUnavailable, "reason codes cover two classes and regression")
    }

    /// Three classes on churn rows: early stopping on a stratified tenth, the
    /// evaluation's metrics, and the same bytes on one core or two.
    func testSeveralClassesBoostOneTreePerClassAndRound() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 6000, seed: 9, to: path)
        var c = GBDTConfig(target: "plan"); c.subsample = 0.8; c.seed = 2
        let selection = ColumnSelection(exclude: ["customer_id"])
        setenv("PERSONA_THREADS", "1", 1)
        let one = try GBDTModel.train(path: path, config: c, selection: selection)
        setenv("PERSONA_THREADS", "2", 1)
        let two = try GBDTModel.train(path: path, config: c, selection: selection)
        unsetenv("PERSONA_THREADS")
        XCTAssertEqual(one.tensors(), two.tensors())
        let metrics = one.card.trainingMetrics
        let best = try XCTUnwrap(metrics["best_iteration"]?.int)
        XCTAssertEqual(one.treeCount, 3 * best)
        XCTAssertEqual(metrics["validation_rows"]?.int, 600)
        XCTAssertGreaterThan(try XCTUnwrap(metrics["validation_accuracy"]?.double), 0.8)
        let losses = try XCTUnwrap(metrics["training_loss"]?.array?.compactMap(\.double))
        XCTAssertLessThan(losses.last!, losses.first!)
        let e = try one.evaluate(path: path, options: EvaluationOptions())
        XCTAssertEqual(e.metrics["classes"], .array(["basic", "premium", "standard"].map { .string($0) }))
        XCTAssertGreaterThan(try XCTUnwrap(e.metrics["accuracy"]?.double), 0.8)
        XCTAssertLessThan(try XCTUnwrap(e.metrics["log_loss"]?.double), 0.5)
        guard case .classes(let p, _, _, _)? = e.rows else { return XCTFail("per-class rows for the report") }
        XCTAssertTrue(p.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 })
        // A class the model never saw is named.
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(3).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let plan = try XCTUnwrap(lines[0].firstIndex(of: "plan"))
        lines[2][plan] = "platinum"
        let other = t.file("other.csv", lines.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
        XCTAssertThrowsPersonaError(try one.evaluate(path: other, options: EvaluationOptions()), containing: ["line 3", "platinum", "never saw"])
    }

    func testBadInputIsNamed() throws {
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,a\n3,a\n"), containing: ["single class"])
        XCTAssertThrowsParameterError(try train("x,y\n1,a\n2,b\n3,c\n") { $0.positive = "a" }, naming: "positive", containing: ["two classes", "a, b, c"])
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,b\n3,c\n") { $0.mode = .rf }, containing: ["3 classes", "--mode rf"])
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,b\n3,c\n4,\n") { $0.classWeight = .explicit(negative: 1, positive: 2) },
                                    containing: ["line 5", "the target is missing"])
        XCTAssertThrowsParameterError(try train("x,y\n1,a\n2,b\n3,c\n") { $0.classWeight = .explicit(negative: 1, positive: 2) },
                                      naming: "class_weight", containing: ["two classes"])
        XCTAssertThrowsPersonaError(try train("x,y\n1,a\n2,b\n") { $0.task = .regression }, containing: ["numeric", "\"a\""])
        XCTAssertThrowsParameterError(try train("x,y\n1,0\n2,1\n") { $0.numLeaves = 1 }, naming: "num_leaves", containing: ["numLeaves must be between 2 and 4096"])
    }
}
