import Foundation
import XCTest
@testable import PersonaCore

/// Customer value: the special functions, the likelihoods' gradients, the
/// published parameters on CDNOW and the donations data, the summaries of a
/// log, and the errors.
final class ValueTests: XCTestCase {
    func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.path) + "/" + name
    }

    func summaryConfig(_ model: PurchaseProcess = .bgnbd, file: String) -> ValueConfig {
        var c = ValueConfig(); c.summary = file; c.model = model
        return c
    }

    // MARK: special functions

    func testDigammaMatchesKnownValues() {
        let eulerGamma = 0.57721566490153286
        XCTAssertEqual(ValueMath.digamma(1), -eulerGamma, accuracy: 1e-14)
        XCTAssertEqual(ValueMath.digamma(0.5), -eulerGamma - 2 * log(2.0), accuracy: 1e-14)
        XCTAssertEqual(ValueMath.digamma(10), 2.251752589066721, accuracy: 1e-14)
        XCTAssertEqual(ValueMath.digamma(1e-3), -1000.5755719318103, accuracy: 1e-9)
        // ψ(x + 1) = ψ(x) + 1/x
        for x in [0.37, 2.5, 7.25, 120.0] { XCTAssertEqual(ValueMath.digamma(x + 1), ValueMath.digamma(x) + 1 / x, accuracy: 1e-13) }
    }

    func testHypergeometricMatchesClosedForms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z; ₂F₁(a, b; b; z) = (1 − z)^−a
        for z in [0.1, 0.5, 0.9, 0.99] {
            XCTAssertEqual(ValueMath.hyp2f1(1, 1, 2, z), -log(1 - z) / z, accuracy: 1e-12 * -log(1 - z) / z)
            XCTAssertEqual(ValueMath.logHyp2f1(2.5, 3, 3, z), -2.5 * log(1 - z), accuracy: 1e-12)
        }
        // a series that rises by e^300 before it falls stays finite, in logs
        XCTAssertEqual(ValueMath.logHyp2f1(1000, 7, 7, 0.3), -1000 * log(0.7), accuracy: 1e-9)
    }

    /// The analytic gradients against central differences of the log-likelihood.
    func testGradientsMatchFiniteDifferences() throws {
        var rng = PersonaRandom(seed: 4)
        var x: [Int] = [], tx: [Double] = [], T: [Double] = [], n: [Double] = []
        for _ in 0..<300 {
            let t = 5 + 30 * rng.uniform()
            let f = rng.below(6)
            x.append(f); T.append(t); tx.append(f == 0 ? 0 : t * rng.uniform())
            let periods = Double(3 + rng.below(5))
            n.append(periods)
        }
        let discreteX = zip(x, n).map { min($0, Int($1)) }
        let discreteTx = discreteX.map { Double($0) }
        let cases: [(PurchaseProcess, SummaryRows, [Double])] = [
            (.bgnbd, SummaryRows(x: x, tx: tx, T: T), [0.4, 3.1, 0.8, 2.2]),
            (.mbgnbd, SummaryRows(x: x, tx: tx, T: T), [0.6, 5.5, 0.9, 1.7]),
            (.pareto, SummaryRows(x: x, tx: tx, T: T), [0.55, 10.6, 0.61, 11.7]),     // α < β
            (.pareto, SummaryRows(x: x, tx: tx, T: T), [0.55, 12.6, 0.61, 3.7]),      // α > β
            (.pareto, SummaryRows(x: x, tx: tx, T: T), [0.55, 4.0, 0.61, 4.0]),       // α = β
            (.bgbb, SummaryRows(x: discreteX, tx: discreteTx, T: n), [1.3, 0.7, 0.6, 2.9]),
        ]
        for (process, rows, theta) in cases {
            let l = ProcessLikelihood(process: process, rows: rows, penalty: 0)
            let g = try XCTUnwrap(l.logLikelihood(theta)).gradient
            for j in 0..<4 {
                var up = theta, down = theta
                let h = 1e-6 * theta[j]
                up[j] += h; down[j] -= h
                let numeric = (l.logLikelihood(up)!.value - l.logLikelihood(down)!.value) / (2 * h)
                XCTAssertEqual(g[j], numeric, accuracy: 1e-5 * max(1, abs(numeric)), "\(process) parameter \(j)")
            }
        }
        // Gamma-Gamma
        let xs = x.filter { $0 > 0 }.map(Double.init)
        let ms = xs.indices.map { 5 + 40 * Double(($0 * 7919) % 97) / 97 }
        let ws = [Double](repeating: 1, count: xs.count)
        let theta = [6.0, 3.5, 15.0]
        let g = try XCTUnwrap(SpendModel.logLikelihood(theta, x: xs, m: ms, weight: ws)).gradient
        for j in 0..<3 {
            var up = theta, down = theta
            let h = 1e-6 * theta[j]
            up[j] += h; down[j] -= h
            let numeric = (SpendModel.logLikelihood(up, x: xs, m: ms, weight: ws)!.value - SpendModel.logLikelihood(down, x: xs, m: ms, weight: ws)!.value) / (2 * h)
            XCTAssertEqual(g[j], numeric, accuracy: 1e-5 * max(1, abs(numeric)), "spend parameter \(j)")
        }
    }

    // MARK: published parameters

    /// CDNOW's 2,357 customers from their transactions (the calibration to the
    /// end of week 39, 1997-09-30), as the published fits read them.
    func cdnowModel(_ process: PurchaseProcess) throws -> ValueModel {
        let path = try fixture("cdnow_transactions.csv")
        var c = ValueConfig(); c.customer = "customer"; c.time = "date"; c.amount = "amount"; c.calibrationEnd = "1997-09-30"; c.model = process
        return try ValueModel.train(path: path, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil)
    }

    /// Fader, Hardie and Lee (2005): BG/NBD and Gamma-Gamma on CDNOW.
    func testBGNBDOnCDNOWGivesThePublishedParameters() throws {
        let m = try cdnowModel(.bgnbd)
        XCTAssertEqual(m.customers, 2357)
        for (got, want) in zip(m.parameters, [0.2425945, 4.4136019, 0.7929199, 2.4258881]) {
            XCTAssertEqual(got, want, accuracy: 1e-4 * want)
        }
        XCTAssertEqual(m.logLikelihood, -9582.429, accuracy: 0.0005)
        // Gamma-Gamma on the 946 repeat customers: p = 6.25, q = 3.74, gamma = 15.44
        let s = try XCTUnwrap(m.spendParameters)
        XCTAssertEqual(s[0], 6.25, accuracy: 0.005); XCTAssertEqual(s[1], 3.74, accuracy: 0.005); XCTAssertEqual(s[2], 15.44, accuracy: 0.005)
        XCTAssertEqual(m.card.trainingMetrics["spend_customers"]?.double, 946)
        // the published conditional expectation: x = 2, t_x = 30.43, T = 38.86, t = 39
        XCTAssertEqual(m.process.expectedPurchases(t: 39, x: 2, tx: 30.43, T: 38.86), 1.226, accuracy: 0.0005)
        XCTAssertTrue(m.standardErrors.allSatisfy { $0 > 0 && $0.isFinite })
        // the rounded summary that lifetimes ships gives the same fit to 1e-4
        let path = try fixture("cdnow_summary.csv")
        let fromSummary = try ValueModel.train(path: path, config: summaryConfig(file: path), selection: ColumnSelection(), delimiter: 44, progress: nil)
        for (got, want) in zip(fromSummary.parameters, m.parameters) { XCTAssertEqual(got, want, accuracy: 1e-4 * want) }
    }

    /// Pareto/NBD (Fader and Hardie's note): 0.55315, 10.57633, 0.60625, 11.67150 with
    /// log-likelihood −9594.976. The likelihood is flat along a ridge there: the fit
    /// reaches the printed log-likelihood (−9594.976179 against −9594.976184 at the
    /// printed parameters) with parameters within 3e-4 of them.
    func testParetoNBDOnCDNOWReachesThePublishedLikelihood() throws {
        let m = try cdnowModel(.pareto)
        XCTAssertEqual(m.logLikelihood, -9594.976, accuracy: 0.0005)
        let published = FittedProcess(process: .pareto, parameters: [0.55315, 10.57633, 0.60625, 11.67150])
        XCTAssertEqual(m.parameterNames, ["r", "alpha", "s", "beta"])
        for (got, want) in zip(m.parameters, published.parameters) { XCTAssertEqual(got, want, accuracy: 3e-4 * want) }
        XCTAssertTrue(m.standardErrors.allSatisfy { $0 > 0 && $0.isFinite })
        let e = m.process.expectedPurchases(t: 39, x: 2, tx: 30.43, T: 38.86), p = m.process.pAlive(x: 2, tx: 30.43, T: 38.86)
        XCTAssertTrue(e > 0 && e.isFinite && p > 0 && p < 1)
    }

    func testMBGNBDOnCDNOWGivesThePublishedParameters() throws {
        let path = try fixture("cdnow_summary.csv")
        var c = summaryConfig(.mbgnbd, file: path); c.spend = SpendModelChoice.none
        let m = try ValueModel.train(path: path, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil)
        for (got, want) in zip(m.parameters, [0.525, 6.183, 0.891, 1.614]) { XCTAssertEqual(got, want, accuracy: 0.0005 + 1e-4 * want) }
        XCTAssertNil(m.spendParameters)
    }

    /// Fader, Hardie and Shang (2010): 11,104 donors over 6 opportunities.
    func testBGBBOnDonationsGivesThePublishedParameters() throws {
        let path = try fixture("donations.csv")
        let m = try ValueModel.train(path: path, config: summaryConfig(.bgbb, file: path), selection: ColumnSelection(), delimiter: 44, progress: nil)
        for (got, want) in zip(m.parameters, [1.204, 0.750, 0.657, 2.783]) { XCTAssertEqual(got, want, accuracy: 0.0005 + 1e-4 * want) }
        XCTAssertEqual(m.customers, 11_104)
        // P(alive) is a probability, expected purchases grow with the horizon
        let p = m.process.pAlive(x: 3, tx: 4, T: 6)
        XCTAssertTrue(p > 0 && p < 1)
        XCTAssertLessThan(m.process.expectedPurchases(t: 5, x: 3, tx: 4, T: 6), m.process.expectedPurchases(t: 10, x: 3, tx: 4, T: 6))
    }

    /// Pareto/NBD's A₀ and its gradient: the paired series, the integral, and the closed form where it is safe.
    func testParetoA0SeriesAndIntegralAgree() {
        for (r, alpha, s, beta) in [(0.55, 10.6, 0.61, 11.7), (0.55, 12.6, 0.61, 3.7), (1.3, 4.0, 2.1, 4.0), (0.2, 0.5, 0.9, 30.0)] {
            for (x, tx, T) in [(0.0, 0.0, 38.0), (2.0, 30.43, 38.86), (7.0, 5.0, 39.0), (40.0, 38.0, 39.0), (300.0, 20.0, 39.0)] {
                let a = ParetoSeries(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T, gradient: true)
                let b = ParetoSeries(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T, gradient: true, integral: true)
                XCTAssertEqual(a.logA0, b.logA0, accuracy: 1e-10 * max(1, abs(a.logA0)), "\(r) \(alpha) \(s) \(beta) at \(x) \(tx) \(T)")
                for j in 0..<4 { XCTAssertEqual(a.dLogA0[j], b.dLogA0[j], accuracy: 1e-8 * max(1, abs(a.dLogA0[j])), "gradient \(j)") }
            }
        }
        // the closed form with α = β: A₀ = (α + t_x)^−k − (α + T)^−k
        let k = 0.5 + 0.7 + 3
        let closed = log(pow(6.0, -k) - pow(9.0, -k))
        XCTAssertEqual(ParetoSeries(r: 0.5, alpha: 4, s: 0.7, beta: 4, x: 3, tx: 2, T: 5, gradient: false).logA0, closed, accuracy: 1e-13)
    }

    /// No NaN or infinity anywhere up to frequency and T of 10,000.
    func testExtremeCustomersStayFinite() {
        for process in [PurchaseProcess.bgnbd, .mbgnbd, .pareto] {
            let f = FittedProcess(process: process, parameters: process == .pareto ? [0.55, 10.6, 0.61, 11.7] : [0.24, 4.4, 0.79, 2.4])
            for (x, tx, T) in [(10_000.0, 9_999.0, 10_000.0), (10_000.0, 10.0, 10_000.0), (0.0, 0.0, 10_000.0), (300.0, 38.0, 39.0), (1.0, 0.01, 0.02)] {
                for t in [0.5, 52.0, 1_000.0] {
                    let e = f.expectedPurchases(t: t, x: x, tx: tx, T: T), p = f.pAlive(x: x, tx: tx, T: T)
                    XCTAssertTrue(e.isFinite && e >= 0, "\(process) E at x \(x), t_x \(tx), T \(T), t \(t): \(e)")
                    XCTAssertTrue(p.isFinite && p >= 0 && p <= 1, "\(process) P(alive) \(p)")
                }
            }
        }
        let bb = FittedProcess(process: .bgbb, parameters: [1.2, 0.75, 0.66, 2.8])
        XCTAssertTrue(bb.expectedPurchases(t: 52, x: 9_000, tx: 9_990, T: 10_000).isFinite)
        XCTAssertTrue(bb.pAlive(x: 10, tx: 20, T: 10_000).isFinite)
    }

    // MARK: summaries of a log

    func testSummaryOfALogCountsDaysAndLeavesTheFirstDayOutOfSpend() throws {
        let t = TempDir()
        let log = t.file("tx.csv", """
            id,when,amount
            b,2025-01-10,5
            a,2025-01-01T09:00:00,10
            a,2025-01-01T18:00:00,20
            a,2025-01-08,30
            a,2025-01-15,50
            a,2025-01-15,10
            c,2025-01-20,7
            a,2025-01-29,100
            """)
        let s = try PurchaseSummaries.fromLog(path: log, layout: .init(customer: "id", time: "when", amount: "amount"), endDay: ValueConfig.day("2025-01-22"),
                                              periodDays: 7, discrete: false, holdoutEnd: ValueConfig.day("2025-01-31"), delimiter: 44)
        XCTAssertEqual(s.ids, ["b", "a", "c"])
        XCTAssertEqual(s.frequency, [0, 2, 0])
        // a: first day 1 January, last 15 January, calibration end 22 January (inclusive)
        XCTAssertEqual(s.recency[1], 14.0 / 7); XCTAssertEqual(s.T[1], 21.0 / 7)
        XCTAssertEqual(s.T[0], 12.0 / 7); XCTAssertEqual(s.T[2], 2.0 / 7)
        // repeat days' totals: 30 and 60; the first day (30) is left out
        XCTAssertEqual(s.monetary, [0, 45, 0])
        XCTAssertEqual(s.holdout, [0, 1, 0])
        XCTAssertEqual(s.later, 1)
        // opportunities of 7 days: a bought in periods 1 (8 Jan) and 2 (15 Jan) of the 3 that end by 22 January
        let d = try PurchaseSummaries.fromLog(path: log, layout: .init(customer: "id", time: "when", amount: nil), endDay: ValueConfig.day("2025-01-22"),
                                              periodDays: 7, discrete: true, delimiter: 44)
        XCTAssertEqual(d.frequency[1], 2); XCTAssertEqual(d.recency[1], 2); XCTAssertEqual(d.T[1], 3)
        XCTAssertFalse(d.hasAmounts)
    }

    func testBadLogsGiveClearErrors() throws {
        let t = TempDir()
        var c = ValueConfig(); c.customer = "id"; c.time = "when"; c.amount = "amount"
        let badDate = t.file("d.csv", "id,when,amount\na,2025-01-01,3\na,01/02/2025,4\n")
        XCTAssertThrowsPersonaError(try ValueModel.train(path: badDate, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["d.csv", "line 3", "column 2", "01/02/2025", "day/month or month/day"])
        let notDate = t.file("w.csv", "id,when,amount\na,2025-01-01,3\na,yesterday,4\n")
        XCTAssertThrowsPersonaError(try ValueModel.train(path: notDate, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["w.csv", "line 3", "column 2", "yesterday", "ISO 8601"])
        // written dates in one order, found from the column
        let written = t.file("e.csv", "id,when,amount\na,2025-01-01,3\na,01/02/2025,4\nb,25/12/2024,5\n")
        let d = try PurchaseSummaries.fromLog(path: written, layout: .init(customer: "id", time: "when", amount: "amount"), endDay: nil,
                                              periodDays: 1, discrete: false, delimiter: 44)
        XCTAssertEqual(d.T[0], 31, "1 January to 1 February, day first")
        let negative = t.file("n.csv", "id,when,amount\na,2025-01-01,3\na,2025-01-02,-4\n")
        XCTAssertThrowsPersonaError(try ValueModel.train(path: negative, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["n.csv", "line 3", "negative"])
        let log = t.file("l.csv", "id,when,amount\na,2025-01-05,3\na,2025-01-09,4\nb,2025-01-07,1\n")
        var early = c; early.calibrationEnd = "2024-12-31"
        XCTAssertThrowsPersonaError(try ValueModel.train(path: log, config: early, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["after the calibration end", "2024-12-31", "2025-01-05"])
        let once = t.file("o.csv", "id,when,amount\na,2025-01-05,3\nb,2025-01-07,1\nb,2025-01-07,2\n")
        XCTAssertThrowsPersonaError(try ValueModel.train(path: once, config: c, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["o.csv", "no customer bought more than once"])
        // three customers fit no finite BG/NBD: the card says which parameter ran off
        var processOnly = c; processOnly.spend = SpendModelChoice.none
        let boundary = try ValueModel.train(path: log, config: processOnly, selection: ColumnSelection(), delimiter: 44, progress: nil)
        XCTAssertTrue(boundary.card.trainingMetrics["boundary"]?.string?.contains("towards") == true)
        XCTAssertTrue(boundary.parameters.allSatisfy { $0 > 0 && $0.isFinite })
        let cdnow = try fixture("cdnow_transactions.csv")
        var noAmount = ValueConfig(); noAmount.customer = "customer"; noAmount.time = "date"; noAmount.spend = .gammaGamma
        XCTAssertThrowsPersonaError(try ValueModel.train(path: cdnow, config: noAmount, selection: ColumnSelection(), delimiter: 44, progress: nil),
                                    containing: ["no amounts for the spend model", "--spend none"])
        XCTAssertThrowsParameterError(try ValueConfig().validate(), naming: "customer", containing: ["--summary"])
        var badEnd = c; badEnd.calibrationEnd = "31/12/2024"
        XCTAssertThrowsParameterError(try badEnd.validate(), naming: "calibration_end", containing: ["is not a date"])
    }

    /// Scores: probabilities, the decile order and the lifecycle rules.
    func testScoresFollowTheRules() throws {
        let path = try fixture("cdnow_summary.csv")
        let m = try ValueModel.train(path: path, config: summaryConfig(file: path), selection: ColumnSelection(), delimiter: 44, progress: nil)
        let t = TempDir()
        var o = ValueScoreOptions(); o.horizon = 39; o.discountRate = 0.01
        let s = try m.scoreCustomers(path: path, options: o, output: t.join("s.csv"), jsonLines: false, delimiter: 44)
        XCTAssertEqual(s.customers, 2357)
        let rows = try readAll(t.join("s.csv"))
        XCTAssertEqual(rows[0], ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases", "expected_spend", "clv", "value_decile", "lifecycle"])
        var byDecile: [Int: [Double]] = [:]
        for r in rows.dropFirst() {
            let p = Double(r[5])!, e = Double(r[6])!, spend = Double(r[7])!, clv = Double(r[8])!
            XCTAssertTrue(p > 0 && p <= 1)
            // discounted: below the undiscounted value
            XCTAssertLessThan(clv, e * spend)
            XCTAssertGreaterThan(clv, e * spend / pow(1.01, 39))
            byDecile[Int(r[9])!, default: []].append(clv)
            let stage = p < 0.1 ? "lost" : p < 0.5 ? "at_risk" : "active"
            XCTAssertEqual(r[10], stage)
        }
        for d in 1..<10 where byDecile[d] != nil && byDecile[d + 1] != nil {
            XCTAssertGreaterThanOrEqual(byDecile[d]!.min()!, byDecile[d + 1]!.max()!, "decile \(d) is worth more than decile \(d + 1)")
        }
        // the undiscounted clv is expected purchases times expected spend
        o.discountRate = 0; o.top = 5
        _ = try m.scoreCustomers(path: path, options: o, output: t.join("top.csv"), jsonLines: false, delimiter: 44)
        let top = try readAll(t.join("top.csv"))
        XCTAssertEqual(top.count, 6)
        for r in top.dropFirst() { XCTAssertEqual(Double(r[8])!, Double(r[6])! * Double(r[7])!, accuracy: 1e-9 * Double(r[8])!) }
        XCTAssertEqual(top[1][0], "509")
    }

    /// The committed model of format 1 loads and scores its log as it did.
    func testGoldenFileLoadsAndScoresTheSame() throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Golden", withExtension: nil)?.path)
        let model = try XCTUnwrap(try ModelStore.load(path: dir + "/value-v1.safetensors") as? ValueModel)
        XCTAssertEqual(model.calibrationEnd, ValueConfig.day("2026-03-31"))
        let t = TempDir()
        var o = ValueScoreOptions(); o.asOf = "2026-06-30"; o.horizon = 26; o.discountRate = 0.005
        _ = try model.scoreCustomers(path: dir + "/value-v1-input.csv", options: o, output: t.join("s.csv"), jsonLines: false, delimiter: 44)
        let got = try readAll(t.join("s.csv")), want = try readAll(dir + "/value-v1-expected.csv")
        XCTAssertEqual(got.count, want.count)
        XCTAssertEqual(got[0], want[0])
        for (g, w) in zip(got.dropFirst(), want.dropFirst()) {
            for (a, b) in zip(g, w) {
                if let x = Double(a), let y = Double(b) { XCTAssertEqual(x, y, accuracy: 1e-12 * max(1, abs(y))) } else { XCTAssertEqual(a, b) }
            }
        }
    }
}
