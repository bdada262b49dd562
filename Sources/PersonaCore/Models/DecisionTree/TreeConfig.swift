public enum TreeTask: String, Sendable, CaseIterable { case classification, regression }
public enum TreeCriterion: String, Sendable, CaseIterable { case gini, entropy, mse }

/// Hyperparameters of a CART decision tree, stored exactly as given.
public struct TreeConfig: Hyperparameters {
    public var target = ""
    public var task: TreeTask = .classification
    public var criterion: TreeCriterion? = nil          // gini for classification, mse for regression
    public var maxDepth: Int? = nil
    public var minSamplesSplit: Int = 2
    public var minSamplesLeaf: Int = 1
    public var minImpurityDecrease: Double = 0
    public var maxLeafNodes: Int? = nil
    public var classWeight: ClassWeight = .none
    public var ccpAlpha: Double = 0
    /// Numeric features are cut into at most this many quantile bins (plus one for missing).
    public var maxBins: Int = 255

    public init() {}
    public init(target: String) { self.target = target }

    public static let parameters: [Parameter<TreeConfig>] = [
        .text(\.target, "target", key: "target", required: true, help: "The column to predict."),
        .choice(\.task, "task", key: "task", help: "classification (two or more classes) or regression (a number)."),
        .choice(\.criterion, "criterion", key: "criterion", absent: "gini, or mse for regression", help: "gini or entropy (classification), mse (regression)."),
        .integer(\.maxDepth, "maxDepth", key: "max_depth", min: 1, absent: "no limit", help: "Deepest level of splits."),
        .integer(\.minSamplesSplit, "minSamplesSplit", key: "min_samples_split", min: 2, help: "Fewest rows a node needs to be split."),
        .integer(\.minSamplesLeaf, "minSamplesLeaf", key: "min_samples_leaf", min: 1, help: "Fewest rows in a leaf."),
        .real(\.minImpurityDecrease, "minImpurityDecrease", key: "min_impurity_decrease", range: .nonNegative, help: "Smallest weighted impurity decrease worth a split."),
        .integer(\.maxLeafNodes, "maxLeafNodes", key: "max_leaf_nodes", min: 2, absent: "no limit", help: "Grow best-first to at most this many leaves."),
        .classWeight(\.classWeight, help: "balanced, or NEG:POS for two classes."),
        .real(\.ccpAlpha, "ccpAlpha", key: "ccp_alpha", range: .nonNegative, help: "Minimal cost-complexity pruning: collapse splits worth less than this (see `persona tune tree`)."),
        .integer(\.maxBins, "maxBins", key: "max_bins", min: 2, max: 255, help: "Quantile bins per numeric column."),
    ]

    public var resolvedCriterion: TreeCriterion { criterion ?? (task == .regression ? .mse : .gini) }

    public func combinationError() -> ParameterError? {
        switch (task, resolvedCriterion) {
        case (.classification, .mse):
            return ParameterError(Self.names("criterion", "task")) { "\($0[0]) mse is for \($0[1]) regression; use gini or entropy" }
        case (.regression, .gini), (.regression, .entropy):
            return ParameterError(Self.names("task", "criterion")) { "\($0[0]) regression uses \($0[1]) mse" }
        default: break
        }
        if task == .regression, classWeight != .none {
            return ParameterError(Self.names("class_weight", "task")) { "\($0[0]) is for classification, not \($0[1]) regression" }
        }
        return nil
    }
}
