/// Contributions of trees to raw-encoded rows by TreeSHAP, per pipeline column
/// (for trees each pipeline column is one original column).
enum TreeContributions {
    /// - Parameters:
    ///   - value: the value a tree's leaf adds (tree index, node index).
    ///   - base: added to the bias (a booster's starting score).
    ///   - cache: the model's tables, made once for all its calls.
    static func compute(_ trees: [Tree], covers: [[Double]], value: (Int, Int) -> Double, base: Double,
                        pipeline: FeaturePipeline, batch x: FloatMatrix, cache: ShapTableCache? = nil) -> Contributions {
        let layout = RawRowLayout(pipeline)
        let width = pipeline.columns.count
        var bias = base
        for (k, t) in trees.enumerated() { bias += t.expectedValue(cover: covers[k], value: { value(k, $0) }) }
        let depths = trees.map { $0.depth() }
        var values = [Double](repeating: 0, count: x.rows * width)
        var raw = [Double](repeating: 0, count: x.rows)
        // For more than a few rows, each tree's values come from its tables
        // (the recursion where a tree's paths are too long to table).
        let tables: [ShapTable?] = x.rows < 32 ? trees.map { _ in nil }
            : cache?.tables(trees, covers: covers) ?? ShapTable.tables(trees, covers: covers)
        let nodes = trees.map(\.count).max() ?? 0
        let leafValues: [[Double]] = trees.indices.map { k in tables[k]?.leafValues { value(k, $0) } ?? [] }
        // Rows are independent: blocks of them on every core.
        let blocks = Parallel.blocks(x.rows, minBlock: 16, maxBlocks: 64)
        withoutActuallyEscaping(value) { value in
            x.storage.withUnsafeBufferPointer { xp in
                values.withUnsafeMutableBufferPointer { vp in
                    raw.withUnsafeMutableBufferPointer { rp in
                        let box = UnsafeSendableBox((xp, vp, rp, value))
                        Parallel.forEach(blocks.count) { b in
                            let (xp, values, raw, value) = box.value
                            var directions = [Bool](repeating: false, count: nodes)
                            for i in blocks[b] {
                                let row = i * x.cols
                                let numeric: (Int) -> Double = { layout.numeric(xp, row, $0) }
                                let category: (Int) -> Int = { layout.category(xp, row, $0) }
                                var phi = [Double](repeating: 0, count: width)
                                var score = base
                                for k in trees.indices {
                                    if let table = tables[k] {
                                        let t = trees[k]
                                        for n in 0..<t.count where t.feature[n] >= 0 {
                                            directions[n] = t.goesLeft(n, numeric: numeric, category: category, categorical: layout.categorical)
                                        }
                                        directions.withUnsafeBufferPointer { d in
                                            leafValues[k].withUnsafeBufferPointer { v in
                                                phi.withUnsafeMutableBufferPointer { table.add(left: d, values: v, into: $0) }
                                            }
                                        }
                                    } else {
                                        trees[k].shap(numeric: numeric, category: category, categorical: layout.categorical, cover: covers[k],
                                                      maxDepth: depths[k], value: { value(k, $0) }, into: &phi)
                                    }
                                    score += value(k, trees[k].leaf(xp, row: row, layout))
                                }
                                raw[i] = score
                                for j in 0..<width { values[i * width + j] = phi[j] }
                            }
                        }
                    }
                }
            }
        }
        return Contributions(columns: pipeline.columns.map(\.name), bias: bias, raw: raw, values: values)
    }
}

/// A decision tree explains the probability of its positive class (a binary
/// classifier) or its prediction (regression).
extension TreeModel: RowExplaining {
    public var contributionScale: String {
        task == .regression ? "the predicted \(target)" : "P(\(target) = \(positiveIndex.map { classes[$0] } ?? "?"))"
    }

    public var explanationUnavailable: String? {
        if task == .classification && (classes.count != 2 || positiveIndex == nil) {
            return "explanations cover two-class trees and regression trees; this tree predicts \(classes.count) classes of \(target)"
        }
        return nil
    }

    public func contributions(_ batch: FloatMatrix) -> Contributions {
        let c = task == .regression ? 0 : (positiveIndex ?? 0)
        let t = tree
        return TreeContributions.compute([t], covers: [t.weight.map { $0 > 0 ? $0 : 0 }], value: { _, n in t.value[n][c] }, base: 0,
                                         pipeline: card.pipeline, batch: batch, cache: shapTables)
    }
}
