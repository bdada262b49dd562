/// Boosted trees explain their raw score (log-odds for a classifier, the
/// predicted number for regression) by TreeSHAP over every tree, each tree's
/// cover being the training rows that reached its nodes; the bias is the
/// starting score plus every tree's mean.
extension GBDTModel: RowExplaining {
    public var contributionScale: String {
        task == .regression ? "the predicted \(target)" : isForest ? "P(\(target) = \(positive))" : "log-odds of \(target) = \(positive)"
    }

    public var explanationUnavailable: String? {
        if isMulticlass {
            return "explanations cover two-class and regression models; this model predicts \(classes.count) classes of \(target)"
        }
        return trees.allSatisfy({ $0.samples.first ?? 0 > 0 }) ? nil
            : "this model file was written before Persona kept the rows reaching each node, which explanations need; train it again"
    }

    public func contributions(_ batch: FloatMatrix) -> Contributions {
        let trees = self.trees
        // each node's value, read at every leaf of every row (reading it through
        // `trees[k]` copied the tree, with a reference count per array, each time)
        let values = trees.map { $0.value.map { $0[0] } }
        return TreeContributions.compute(trees, covers: trees.map(\.samples), value: { k, n in values[k][n] }, base: initScores[0],
                                         pipeline: card.pipeline, batch: batch, cache: shapTables)
    }
}
