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
    /// Categorical splits, regularised as boosting's are (LightGBM's min_data_per_group,
    /// cat_smooth, max_cat_threshold): a level needs this many rows at a node to be
    /// placed on its own (rarer and unseen levels go right), its statistic is
    /// smoothed toward the node's by this many rows, and at most this many levels go left.
    /// Without a value: `resolvedMinCategoryRows`.
    public var minCategoryRows: Int? = nil
    public var categorySmoothing: Double = 10
    public var maxCategoryLevels: Int = 32

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
        .integer(\.minCategoryRows, "minCategoryRows", key: "min_category_rows", min: 1, absent: minCategoryRowsRule,
                 help: "Rows a category level needs at a node to be split on by itself; rarer levels go with unseen ones (right)."),
        .real(\.categorySmoothing, "categorySmoothing", key: "category_smoothing", range: .nonNegative,
              help: "Rows of the node's own statistic added to each level's before levels are ordered."),
        .integer(\.maxCategoryLevels, "maxCategoryLevels", key: "max_category_levels", min: 1,
                 help: "Most levels sent left by a categorical split."),
    ]

    public var resolvedCriterion: TreeCriterion { criterion ?? (task == .regression ? .mse : .gini) }

    /// The rows a category level needs at a node, for a training set of `rows` rows.
    public func resolvedMinCategoryRows(rows: Int) -> Int { minCategoryRows ?? min(100, max(5, rows / 100)) }
    static let minCategoryRowsRule = "1% of the rows, 5 to 100"

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
