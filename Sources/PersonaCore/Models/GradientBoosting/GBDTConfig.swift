public enum GBDTTask: String, Sendable, CaseIterable { case classification, regression }

/// The regression loss: squared error, or Huber's (squared within `huber_delta`
/// of the target, linear beyond, so that outliers pull the trees less).
public enum GBDTLoss: String, Sendable, CaseIterable { case squared, huber }

/// Boosting (each tree fits the gradients left by the trees before it) or a
/// random forest (each tree fits the target on a bootstrap sample of the rows,
/// with a random subset of the columns at every split, and the trees' outputs
/// are averaged).
public enum GBDTMode: String, Sendable, CaseIterable { case gbdt, rf }

/// Hyperparameters of gradient-boosted trees (histogram boosting, leaf-wise
/// growth). The defaults are LightGBM's where they exist, with early stopping
/// on a tenth of the rows so that a user who passes only the data and the
/// target gets an honest number of trees.
public struct GBDTConfig: Hyperparameters {
    public var target = ""
    public var positive: String?
    public var task: GBDTTask = .classification
    public var loss: GBDTLoss? = nil
    public var huberDelta = 1.0
    public var mode: GBDTMode = .gbdt
    public var trees: Int? = nil
    public var learningRate = 0.1
    public var numLeaves: Int? = nil
    public var maxDepth: Int? = nil
    public var minSamplesLeaf = 20
    public var minHessian = 1e-3
    public var l2 = 0.0
    public var l1 = 0.0
    public var subsample = 1.0
    public var colsample = 1.0
    /// Share of the columns each split may choose from (LightGBM's feature_fraction_bynode).
    public var colsampleBynode: Double? = nil
    public var classWeight: ClassWeight = .none
    public var seed: UInt64 = 0
    public var earlyStoppingRounds = 20
    public var validationFraction = 0.1
    public var maxBins = 255
    /// Categorical splits: a level needs this many rows to be ordered on its own
    /// (rarer ones go with the unseen levels), its statistic is smoothed by this
    /// much hessian, at most this many levels go one way, and such splits pay
    /// this extra L2 penalty (LightGBM's min_data_per_group, cat_smooth,
    /// max_cat_threshold, cat_l2).
    public var minCategoryRows = 100
    public var categorySmoothing = 10.0
    public var maxCategoryLevels = 32
    public var categoryL2 = 10.0

    public init() {}
    public init(target: String) { self.target = target }

    public var isForest: Bool { mode == .rf }
    /// Trees to grow without --trees: boosting rounds (early stopping usually ends sooner), or forest trees.
    static let boostingTrees = 1000, forestTrees = 100
    /// Leaves per tree without --num-leaves: boosting's, and a forest's deep trees.
    static let boostingLeaves = 31, forestLeaves = 1024
    public var resolvedTrees: Int { trees ?? (isForest ? Self.forestTrees : Self.boostingTrees) }
    public var resolvedNumLeaves: Int { numLeaves ?? (isForest ? Self.forestLeaves : Self.boostingLeaves) }
    /// The share of columns a split chooses from, for `columns` columns: all when
    /// boosting, about the square root of the count in a forest.
    public func resolvedColsampleBynode(columns: Int) -> Double {
        colsampleBynode ?? (isForest ? min(1, max(1, Double(columns).squareRoot().rounded(.down)) / Double(max(1, columns))) : 1)
    }

    public static let parameters: [Parameter<GBDTConfig>] = [
        .text(\.target, "target", key: "target", required: true, help: "The column to predict."),
        .text(\.positive, "positive", key: "positive", absent: "1, yes or true", help: "Which target value is the positive class.", valueName: "value"),
        .choice(\.task, "task", key: "task", help: "classification (two classes, or several by softmax) or regression (a number)."),
        .choice(\.loss, "loss", key: "loss", absent: "squared for regression", help: "Regression loss: squared or huber."),
        .real(\.huberDelta, "huberDelta", key: "huber_delta", range: .positive,
              help: "With loss huber: residuals beyond this count linearly.", appliesWhen: { $0.loss == .huber }),
        .choice(\.mode, "mode", key: "mode", help: "gbdt (boosting) or rf (random forest: bootstrap rows, columns sampled per split, averaged deep trees)."),
        .integer(\.trees, "trees", key: "trees", min: 1, absent: "\(boostingTrees), or \(forestTrees) with mode rf",
                 help: "Most boosting rounds (early stopping usually ends sooner), or the forest's trees."),
        .real(\.learningRate, "learningRate", key: "learning_rate", range: RealRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true),
              help: "Shrinkage of each tree's contribution.", appliesWhen: { !$0.isForest }),
        .integer(\.numLeaves, "numLeaves", key: "num_leaves", min: 2, max: 4096, absent: "\(boostingLeaves), or \(forestLeaves) with mode rf", help: "Leaves per tree, grown best first."),
        .integer(\.maxDepth, "maxDepth", key: "max_depth", min: 1, absent: "no limit", help: "Deepest level of splits."),
        .integer(\.minSamplesLeaf, "minSamplesLeaf", key: "min_samples_leaf", min: 1, help: "Fewest rows in a leaf."),
        .real(\.minHessian, "minHessian", key: "min_hessian", range: .nonNegative, help: "Smallest sum of hessians in a leaf."),
        .real(\.l2, "l2", key: "l2", range: .nonNegative, help: "L2 penalty on leaf values."),
        .real(\.l1, "l1", key: "l1", range: .nonNegative, help: "L1 penalty on leaf values."),
        .real(\.subsample, "subsample", key: "subsample", range: .fraction, help: "Share of rows each tree sees (seeded; a forest draws a bootstrap sample instead).",
              appliesWhen: { !$0.isForest }),
        .real(\.colsample, "colsample", key: "colsample", range: .fraction, help: "Share of columns each tree may split on (seeded)."),
        .real(\.colsampleBynode, "colsampleBynode", key: "colsample_bynode", range: .fraction, absent: "1, or sqrt(columns)/columns with mode rf",
              help: "Share of the tree's columns each split chooses from (seeded)."),
        .classWeight(\.classWeight, help: "Weight the classes: balanced, or NEG:POS such as 1:3."),
        .seed(\.seed, help: "Random seed for the validation rows, row and column sampling."),
        .integer(\.earlyStoppingRounds, "earlyStoppingRounds", key: "early_stopping_rounds", min: 0,
                 help: "Stop when the validation loss has not improved for this many rounds and keep the best; 0 keeps every tree and holds no rows out.",
                 appliesWhen: { !$0.isForest }),
        .real(\.validationFraction, "validationFraction", key: "validation_fraction", range: .openUnit,
              help: "Share of rows held out (stratified, seeded) for early stopping.", appliesWhen: { !$0.isForest }),
        .integer(\.maxBins, "maxBins", key: "max_bins", min: 2, max: 255, help: "Quantile bins per numeric column."),
        .integer(\.minCategoryRows, "minCategoryRows", key: "min_category_rows", min: 1,
                 help: "Rows a category level needs to be split on by itself; rarer levels go with unseen ones."),
        .real(\.categorySmoothing, "categorySmoothing", key: "category_smoothing", range: .nonNegative,
              help: "Hessian added to each level's statistic before levels are ordered."),
        .integer(\.maxCategoryLevels, "maxCategoryLevels", key: "max_category_levels", min: 1,
                 help: "Most levels sent one way by a categorical split."),
        .real(\.categoryL2, "categoryL2", key: "category_l2", range: .nonNegative, help: "Extra L2 penalty on categorical splits."),
    ]

    public func combinationError() -> ParameterError? {
        if task == .regression, classWeight != .none {
            return ParameterError(Self.names("class_weight", "task")) { "\($0[0]) is for classification, not \($0[1]) regression" }
        }
        if isForest, loss == .huber {
            return ParameterError(Self.names("loss", "mode")) { "\($0[0]) huber is for boosting; \($0[1]) rf averages trees fitted to the target" }
        }
        if task == .classification, loss != nil {
            return ParameterError(Self.names("loss", "task")) { "\($0[0]) is for regression, not \($0[1]) classification (which uses log loss)" }
        }
        if task == .regression, positive != nil {
            return ParameterError(Self.names("positive", "task")) { "\($0[0]) is for classification, not \($0[1]) regression" }
        }
        return nil
    }
}
