public enum TreeTask: String, Codable, Sendable, CaseIterable { case classification, regression }
public enum TreeCriterion: String, Codable, Sendable, CaseIterable { case gini, entropy, mse }

/// Hyperparameters of a CART decision tree, stored exactly as given.
public struct TreeConfig: Codable, Equatable, Sendable {
    public var target: String
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

    enum CodingKeys: String, CodingKey {
        case target, task, criterion
        case maxDepth = "max_depth"
        case minSamplesSplit = "min_samples_split"
        case minSamplesLeaf = "min_samples_leaf"
        case minImpurityDecrease = "min_impurity_decrease"
        case maxLeafNodes = "max_leaf_nodes"
        case classWeight = "class_weight"
        case ccpAlpha = "ccp_alpha"
        case maxBins = "max_bins"
    }

    public init(target: String) { self.target = target }

    public var resolvedCriterion: TreeCriterion { criterion ?? (task == .regression ? .mse : .gini) }

    public func validate() throws {
        if let d = maxDepth, d < 1 { throw PersonaError("--max-depth must be at least 1 (got \(d)); leave it out for no limit") }
        if minSamplesSplit < 2 { throw PersonaError("--min-samples-split must be at least 2 (got \(minSamplesSplit))") }
        if minSamplesLeaf < 1 { throw PersonaError("--min-samples-leaf must be at least 1 (got \(minSamplesLeaf))") }
        if !(minImpurityDecrease >= 0) { throw PersonaError("--min-impurity-decrease must be >= 0 (got \(minImpurityDecrease))") }
        if let m = maxLeafNodes, m < 2 { throw PersonaError("--max-leaf-nodes must be at least 2 (got \(m))") }
        if !(ccpAlpha >= 0) { throw PersonaError("--ccp-alpha must be >= 0 (got \(ccpAlpha))") }
        if maxBins < 2 || maxBins > 255 { throw PersonaError("--max-bins must be between 2 and 255 (got \(maxBins))") }
        switch (task, resolvedCriterion) {
        case (.classification, .mse): throw PersonaError("--criterion mse is for --task regression; use gini or entropy")
        case (.regression, .gini), (.regression, .entropy): throw PersonaError("--task regression uses --criterion mse")
        default: break
        }
        if task == .regression, classWeight != .none { throw PersonaError("--class-weight is for classification") }
    }
}
