import Foundation
import XCTest
@testable import PersonaCore

/// Reason codes: TreeSHAP against Shapley values computed by brute force over
/// every coalition, and additivity for every family that explains rows.
final class ExplanationTests: XCTestCase {
    /// E[f(x) | x_S] as path-dependent TreeSHAP defines it (Lundberg et al., Algorithm 1):
    /// features in S follow x, the others split by cover.
    func conditional(_ t: Tree, _ node: Int, _ inS: [Bool], _ goesLeft: (Int) -> Bool, _ value: (Int) -> Double) -> Double {
        if t.feature[node] < 0 { return value(node) }
        let l = Int(t.left[node]), r = Int(t.right[node])
        if inS[Int(t.feature[node])] { return conditional(t, goesLeft(node) ? l : r, inS, goesLeft, value) }
        return (conditional(t, l, inS, goesLeft, value) * t.weight[l] + conditional(t, r, inS, goesLeft, value) * t.weight[r]) / t.weight[node]
    }

    func factorial(_ n: Int) -> Double { n <= 1 ? 1 : Double(n) * factorial(n - 1) }

    func testTreeSHAPEqualsShapleyValuesByBruteForce() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 3000, seed: 5, to: path)
        var config = TreeConfig(target: "churned"); config.maxDepth = 6
        let features = ["tenure_months", "monthly_charges", "contract", "support_calls", "usage_change", "payment_method"]
        let model = try TreeModel.train(path: path, config: config, selection: ColumnSelection(features: features))
        let x = try model.card.pipeline.transform(path: path, raw: true).matrix
        let c = model.contributions(x)
        let m = features.count
        let offsets = model.card.pipeline.columnOffsets
        let levels = model.card.pipeline.columns.map { ($0.levels?.count ?? 0) + 1 }
        let categorical = model.card.pipeline.columns.map { $0.type == .categorical }
        let positive = model.positiveIndex!
        for row in 0..<25 {
            let base = row * x.cols
            let numeric: (Int) -> Double = { Double(x.storage[base + offsets[$0]]) }
            let category: (Int) -> Int = { f in
                for b in 0..<levels[f] where x.storage[base + offsets[f] + b] == 1 { return b + 1 }
                return 0
            }
            let goesLeft: (Int) -> Bool = { model.tree.goesLeft($0, numeric: numeric, category: category, categorical: categorical) }
            let value: (Int) -> Double = { model.tree.value[$0][positive] }
            for i in 0..<m {
                var phi = 0.0
                for mask in 0..<(1 << m) where mask & (1 << i) == 0 {
                    let inS = (0..<m).map { mask & (1 << $0) != 0 }
                    var withI = inS; withI[i] = true
                    let size = inS.filter { $0 }.count
                    let weight = factorial(size) * factorial(m - size - 1) / factorial(m)
                    phi += weight * (conditional(model.tree, 0, withI, goesLeft, value) - conditional(model.tree, 0, inS, goesLeft, value))
                }
                XCTAssertEqual(c.values[row * m + i], phi, accuracy: 1e-12, "row \(row), \(features[i])")
            }
            // The empty coalition is the bias; all of them is the prediction.
            XCTAssertEqual(c.bias, conditional(model.tree, 0, [Bool](repeating: false, count: m), goesLeft, value), accuracy: 1e-12)
            XCTAssertEqual(c.raw[row], model.score(x).first { $0.name == "probability" }!.values[row], accuracy: 1e-12)
        }
    }

    /// Batches of 32 rows or more take each tree's SHAP values from its tables,
    /// smaller ones from the recursion: the two agree (to rounding) for a deep
    /// tree with categories, missing values and features split several times
    /// on a path, for regression, and for a booster's many trees.
    func testTabledTreeSHAPEqualsTheRecursion() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 4000, seed: 9, to: path)
        var deep = TreeConfig(target: "churned"); deep.maxDepth = 11
        var regression = TreeConfig(target: "monthly_charges"); regression.task = .regression; regression.maxDepth = 8
        var gbdt = GBDTConfig(target: "churned"); gbdt.trees = 30; gbdt.earlyStoppingRounds = 0
        let models: [any RowExplaining] = [
            try TreeModel.train(path: path, config: deep, selection: ColumnSelection()),
            try TreeModel.train(path: path, config: regression, selection: ColumnSelection()),
            try GBDTModel.train(path: path, config: gbdt, selection: ColumnSelection()),
        ]
        let tree = (models[0] as! TreeModel).tree
        XCTAssertGreaterThan(tree.depth(), 9)
        XCTAssertNotNil(ShapTable(tree, cover: tree.weight), "the deep tree is tabled")
        for model in models {
            let x = try model.card.pipeline.transform(path: path, raw: model.readsRawValues).matrix
            let rows = 600
            var batch = FloatMatrix(rows: rows, cols: x.cols)
            for i in 0..<rows { for j in 0..<x.cols { batch[i, j] = x[i, j] } }
            let tabled = model.contributions(batch)
            let width = tabled.columns.count
            for start in stride(from: 0, to: rows, by: 20) {
                var small = FloatMatrix(rows: 20, cols: x.cols)
                for i in 0..<20 { for j in 0..<x.cols { small[i, j] = x[start + i, j] } }
                let recursed = model.contributions(small)
                XCTAssertEqual(recursed.bias, tabled.bias)
                for i in 0..<20 {
                    XCTAssertEqual(recursed.raw[i], tabled.raw[start + i])
                    for j in 0..<width {
                        let a = recursed.values[i * width + j], b = tabled.values[(start + i) * width + j]
                        XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a)), "row \(start + i), \(tabled.columns[j])")
                    }
                }
            }
        }
    }

    func testContributionsAddUpForEveryFamilyThatExplains() throws {
        let t = TempDir()
        let path = t.join("churn.csv")
        try Generators.generate(.churn, rows: 2000, seed: 6, to: path)
        var gbdt = GBDTConfig(target: "churned"); gbdt.trees = 25; gbdt.earlyStoppingRounds = 0
        let models: [any RowExplaining] = [
            try LogisticModel.train(path: path, config: LogisticConfig(target: "churned"), selection: ColumnSelection()),
            try GBDTModel.train(path: path, config: gbdt, selection: ColumnSelection()),
        ]
        for model in models {
            XCTAssertNil(model.explanationUnavailable)
            let x = try model.card.pipeline.transform(path: path, raw: model.readsRawValues).matrix
            let c = model.contributions(x)
            let p = model.score(x).first { $0.name == "probability" }!.values
            for r in 0..<x.rows {
                let total = c.bias + (0..<c.columns.count).reduce(0) { $0 + c.values[r * c.columns.count + $1] }
                XCTAssertEqual(total, c.raw[r], accuracy: 1e-9)
                XCTAssertEqual(1 / (1 + exp(-c.raw[r])), p[r], accuracy: 1e-9)
            }
            // A file written before explanations existed says so, rather than explaining wrongly.
            var tensors = model.tensors()
            tensors["cover"] = nil
            tensors["feature_means"] = nil
            let old = try type(of: model).init(card: model.card, tensors: tensors, path: "old.safetensors")
            XCTAssertNotNil(old.explanationUnavailable)
        }
    }
}
