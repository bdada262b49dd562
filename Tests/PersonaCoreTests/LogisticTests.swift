import XCTest
@testable import PersonaCore

final class LogisticTests: XCTestCase {
    func makeData(n: Int = 400, d: Int = 4, seed: UInt64 = 1, weights: Bool = false) -> LogisticData {
        var rng = PersonaRandom(seed: seed)
        var x = FloatMatrix(rows: 0, cols: d)
        var y: [Double] = [], w: [Double] = []
        for _ in 0..<n {
            let row = (0..<d).map { _ in Float(rng.normal()) }
            x.appendRow(row)
            var eta = 0.3
            for (j, v) in row.enumerated() { eta += Double(v) * (j % 2 == 0 ? 0.8 : -0.5) }
            y.append(rng.uniform() < LogisticData.sigmoid(eta) ? 1 : 0)
            w.append(weights ? (y.last! == 1 ? 2.5 : 0.7) : 1)
        }
        return LogisticData(x: x, y: y, w: w)
    }

    /// Gradient and Hessian against central finite differences of the loss.
    func testGradientAndHessianMatchFiniteDifferences() {
        for weighted in [false, true] {
            let data = makeData(weights: weighted)
            let beta = [0.1, -0.4, 0.7, 0.2, -0.3]
            let r = data.evaluate(beta, hessian: true)
            let h = 1e-6
            for j in beta.indices {
                var up = beta, down = beta
                up[j] += h; down[j] -= h
                let fd = (data.evaluate(up, hessian: false).loss - data.evaluate(down, hessian: false).loss) / (2 * h)
                XCTAssertEqual(r.gradient[j], fd, accuracy: 1e-7, "gradient \(j)")
                let gUp = data.evaluate(up, hessian: false).gradient, gDown = data.evaluate(down, hessian: false).gradient
                for k in beta.indices {
                    XCTAssertEqual(r.hessian![j, k], (gUp[k] - gDown[k]) / (2 * h), accuracy: 1e-6, "hessian \(j),\(k)")
                }
            }
        }
    }

    func testStableSigmoidAndSoftplus() {
        XCTAssertEqual(LogisticData.sigmoid(800), 1)
        XCTAssertEqual(LogisticData.sigmoid(-800), 0)
        XCTAssertEqual(LogisticData.softplus(800), 800)
        XCTAssertEqual(LogisticData.softplus(-800), 0, accuracy: 1e-300)
        XCTAssertEqual(LogisticData.softplus(0), log(2), accuracy: 1e-15)
    }

    /// Newton and L-BFGS reach the same optimum, where the gradient vanishes.
    func testSolversAgreeAtTheOptimum() throws {
        let data = makeData(n: 1000, d: 5, seed: 3)
        for l2 in [0.0, 0.01] {
            var c = LogisticConfig(target: "y"); c.l2 = l2
            c.solver = .newton
            let a = try LogisticSolvers.fit(data, config: c, progress: nil)
            c.solver = .lbfgs
            let b = try LogisticSolvers.fit(data, config: c, progress: nil)
            XCTAssertTrue(a.converged && b.converged)
            for j in a.beta.indices { XCTAssertEqual(a.beta[j], b.beta[j], accuracy: 1e-5) }
            let g = LogisticSolvers.smooth(data, a.beta, l2: l2, aliased: a.aliased).g
            XCTAssertLessThan(g.map(abs).max()!, 1e-8)
        }
    }

    /// OWL-QN's answer satisfies the L1 optimality conditions: |g_j| <= λ where
    /// β_j = 0, and g_j = −λ sign(β_j) elsewhere; a larger λ gives a sparser model.
    func testL1OptimalityConditionsAndSparsity() throws {
        let data = makeData(n: 800, d: 6, seed: 5)
        var zeros: [Int] = []
        for l1 in [0.005, 0.15] {
            var c = LogisticConfig(target: "y"); c.l1 = l1; c.tolerance = 1e-9
            let fit = try LogisticSolvers.fit(data, config: c, progress: nil)
            let g = LogisticSolvers.smooth(data, fit.beta, l2: 0, aliased: fit.aliased).g
            XCTAssertEqual(g[0], 0, accuracy: 1e-7, "intercept is not penalised")
            for j in 1..<fit.beta.count {
                if fit.beta[j] == 0 { XCTAssertLessThanOrEqual(abs(g[j]), l1 + 1e-7) }
                else { XCTAssertEqual(g[j], -l1 * (fit.beta[j] > 0 ? 1 : -1), accuracy: 1e-6) }
            }
            zeros.append(fit.beta.dropFirst().filter { $0 == 0 }.count)
        }
        XCTAssertGreaterThan(zeros[1], zeros[0])
    }

    func testSeparableDataStopsFinite() throws {
        var x = FloatMatrix(rows: 0, cols: 1)
        var y: [Double] = []
        for i in 0..<100 { x.appendRow([Float(i) / 10]); y.append(i < 50 ? 0 : 1) }
        let data = LogisticData(x: x, y: y, w: [Double](repeating: 1, count: 100))
        let fit = try LogisticSolvers.fit(data, config: LogisticConfig(target: "y"), progress: nil)
        XCTAssertTrue(fit.separable)
        XCTAssertTrue(fit.beta.allSatisfy { $0.isFinite })
        var c = LogisticConfig(target: "y"); c.l2 = 1e-3
        let ridge = try LogisticSolvers.fit(data, config: c, progress: nil)
        XCTAssertTrue(ridge.converged && !ridge.separable)
    }

    func testAliasedColumnsAreFound() {
        // columns: intercept, a, b = 1 − a (aliased with the intercept), zero, c
        var g = DoubleMatrix(rows: 5, cols: 5)
        let rows: [[Double]] = [[1, 1, 0, 0, 2], [1, 0, 1, 0, 3], [1, 1, 0, 0, 5], [1, 0, 1, 0, 7]]
        for r in rows { for i in 0..<5 { for j in 0..<5 { g[i, j] += r[i] * r[j] } } }
        XCTAssertEqual(LogisticSolvers.aliasedColumns(g), [false, false, true, true, false])
    }

    func testClassificationMetricsByHand() {
        let p = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2]
        let y = [true, true, false, true, false, false, true, false]
        // AUC: pairs (pos, neg) ranked correctly: positives at ranks 1,2,4,7 among 8.
        // pos 0.9 beats 4 negs, 0.8 beats 4, 0.6 beats 3, 0.3 beats 1 -> 12 of 16
        XCTAssertEqual(ClassificationMetrics.rocAUC(p, y)!, 12.0 / 16, accuracy: 1e-12)
        // AP: precision at each positive: 1/1, 2/2, 3/4, 4/7 -> mean
        XCTAssertEqual(ClassificationMetrics.averagePrecision(p, y)!, (1 + 1 + 0.75 + 4.0 / 7) / 4, accuracy: 1e-12)
        XCTAssertEqual(ClassificationMetrics.rocAUC([0.5, 0.5], [true, false])!, 0.5)
        let c = ClassificationMetrics.confusion(p, y, threshold: 0.5)
        XCTAssertEqual(c, .init(tp: 3, fp: 2, tn: 2, fn: 1))
        XCTAssertEqual(ClassificationMetrics.brier([1, 0], [true, true]), 0.5)
        XCTAssertEqual(ClassificationMetrics.logLoss([0.5], [true]), log(2), accuracy: 1e-15)
        let g = ClassificationMetrics.gains(p + p, y + y)
        XCTAssertEqual(g.count, 10)
        XCTAssertEqual(g.last!.cumulativeShare, 1)
        XCTAssertNil(ClassificationMetrics.rocAUC([0.1, 0.2], [true, true]))
    }

    func testTargetValidation() {
        XCTAssertThrowsPersonaError(try BinaryTarget.make(column: "c", labels: ["1", "1"], positive: nil, file: "f.csv"),
                                    containing: ["f.csv", "\"c\"", "single class"])
        XCTAssertThrowsPersonaError(try BinaryTarget.make(column: "c", labels: ["a", "b", "c"], positive: nil, file: "f.csv"),
                                    containing: ["3 classes"])
        XCTAssertThrowsPersonaError(try BinaryTarget.make(column: "c", labels: ["left", "stayed"], positive: nil, file: "f.csv"),
                                    containing: ["--positive"])
        XCTAssertEqual(try BinaryTarget.make(column: "c", labels: ["left", "stayed", "left"], positive: "left", file: "f.csv").values, [true, false, true])
        XCTAssertEqual(try BinaryTarget.make(column: "c", labels: ["no", "yes"], positive: nil, file: "f.csv").positive, "yes")
        XCTAssertEqual(try BinaryTarget.make(column: "c", labels: ["0", "1"], positive: nil, file: "f.csv").positive, "1")
    }
}
