import Foundation
import XCTest
@testable import PersonaCore

/// What tasks share across learners: binary classification's deciles and
/// score columns, and every classifier's probabilities by class label.
final class TaskTests: XCTestCase {
    func testRiskDecilesCutTheTrainingProbabilitiesIntoTenths() {
        let p = (0..<100).map { Double($0) / 100 }
        let cuts = BinaryClassification.riskCutPoints(p.shuffled())
        XCTAssertEqual(cuts, [0.89, 0.79, 0.69, 0.59, 0.49, 0.39, 0.29, 0.19, 0.09], "the 10th, 20th, ... highest")
        let b = BinaryClassification(target: "churned", positive: "yes", negative: "no", threshold: 0.5, riskCutPoints: cuts)
        XCTAssertEqual(p.map { b.riskDecile($0) }.filter { $0 == 1 }.count, 11, "0.89 and above: the cut point belongs to the riskier tenth")
        XCTAssertEqual(b.riskDecile(0.885), 2)
        XCTAssertEqual(b.riskDecile(0), 10)
        XCTAssertEqual(Dictionary(grouping: p.map { b.riskDecile($0) }, by: { $0 }).mapValues(\.count).values.sorted(), [9, 10, 10, 10, 10, 10, 10, 10, 10, 11])
        let columns = b.scoreColumns([0.2, 0.5, 0.95], options: ScoreOptions())
        XCTAssertEqual(columns.map(\.name), ["probability", "predicted", "risk_decile"])
        XCTAssertEqual(columns[1].labels, ["no", "yes", "yes"], "the threshold is inclusive")
        XCTAssertEqual(columns[2].values, [8, 5, 1])
        XCTAssertEqual(b.scoreColumns([0.2, 0.5, 0.95], options: ScoreOptions(threshold: 0.9))[1].labels, ["no", "no", "yes"])
    }

    /// Each classifier's probability of a class, asked by its label, is the
    /// score column `persona score` writes for it; uplift reads its learners so.
    func testEveryClassifierGivesItsScoreColumnsProbabilitiesByLabel() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 800, seed: 3, to: path)
        var lc = LogisticConfig(target: "churned"); lc.l2 = 1e-3
        var tc = TreeConfig(target: "churned"); tc.maxDepth = 4
        var gc = GBDTConfig(target: "churned"); gc.trees = 10
        var rc = TreeConfig(target: "monthly_charges"); rc.task = .regression; rc.maxDepth = 3
        let models: [any ClassProbabilities] = [try LogisticModel.train(path: path, config: lc, selection: ColumnSelection()),
                                                try TreeModel.train(path: path, config: tc, selection: ColumnSelection()),
                                                try GBDTModel.train(path: path, config: gc, selection: ColumnSelection())]
        for m in models {
            let x = try m.card.pipeline.transform(path: path, raw: m.readsRawValues).matrix
            let columns = m.score(x)
            XCTAssertEqual(Set(m.probabilityClasses), ["0", "1"], m.card.kind)
            let one = try XCTUnwrap(m.probabilities(of: "1", x))
            let column = try XCTUnwrap(columns.first { $0.name == "probability" || $0.name == "probability_1" }, m.card.kind)
            XCTAssertEqual(one, column.values, "\(m.card.kind): P(1) is the score column")
            let zero = try XCTUnwrap(m.probabilities(of: "0", x))
            for (a, b) in zip(zero, one) { XCTAssertEqual(a + b, 1, accuracy: 1e-12, m.card.kind) }
            XCTAssertNil(m.probabilities(of: "maybe", x), "a class the model does not predict")
        }
        // Every two-class classifier writes the same columns, by the same threshold rule.
        for m in models {
            let x = try m.card.pipeline.transform(path: path, raw: m.readsRawValues).matrix
            let columns = m.score(x)
            XCTAssertEqual(columns.map(\.name), ["probability", "predicted", "risk_decile"], m.card.kind)
            for (p, predicted) in zip(columns[0].values, columns[1].values) { XCTAssertEqual(predicted, p >= 0.5 ? 1 : 0, m.card.kind) }
        }
        // A tree's risk deciles come from its leaves: the cut points of its training probabilities.
        let tree = try TreeModel.train(path: path, config: tc, selection: ColumnSelection())
        let x = try tree.card.pipeline.transform(path: path, raw: true).matrix
        let training = tree.score(x)[0].values
        XCTAssertEqual(tree.binary?.riskCutPoints, BinaryClassification.riskCutPoints(training))
        let regression = try TreeModel.train(path: path, config: rc, selection: ColumnSelection())
        XCTAssertEqual(regression.probabilityClasses, [])
        XCTAssertNil(regression.probabilities(of: "1", FloatMatrix(rows: 1, cols: regression.card.pipeline.width)))
    }
}
