import CPersonaKernels
import Foundation

/// Gradient-boosted trees for churn (binary log loss), for several classes
/// (softmax: one tree per class and round, each class's raw score its starting
/// score plus its trees' leaf values, the probabilities their softmax) and for
/// numbers (squared error): the raw score is the starting score plus every
/// tree's leaf value; a two-class probability is its logistic. Trees split the
/// pipeline's raw columns as the decision tree does: numbers against thresholds
/// in original units, categories by sets of levels, missing values the way each
/// split learned.
///
/// Unseen and rare categories: a level that had fewer than `min_category_rows`
/// training rows, or none, goes to the right-hand side of every categorical
/// split (with the "other" levels), the same in `score`, ONNX and SQL.
/// A missing value goes the way its split learned.
public struct GBDTModel: RowModel, RowScoring, ClassProbabilities {
    public static let kind = "gbdt"
    public static let title = "gradient-boosted trees"

    public var card: ModelCard { didSet { facts = BinaryTargetFacts(card); classes = Self.classes(card) } }
    public let config: GBDTConfig
    /// Round by round; with several classes, class `k % classes.count` for tree `k`.
    var trees: [Tree]
    /// The starting raw score: one, or one per class with several classes.
    var initScores: [Double]
    /// Training probabilities at the 10%, ..., 90% marks from the top (classifiers).
    var riskCutPoints: [Double]

    /// What training found out about the target, read from the card once (and
    /// again whenever the card changes), never per row.
    private var facts: BinaryTargetFacts
    public var positive: String { facts.positive }
    public var negative: String { facts.negative }
    public var target: String { facts.target }
    /// The classes of a target with more than two (softmax), in sorted order; empty otherwise.
    public private(set) var classes: [String]
    static func classes(_ card: ModelCard) -> [String] { card.details["classes"]?.array?.compactMap(\.string) ?? [] }
    public var isMulticlass: Bool { !classes.isEmpty }
    /// Raw scores per row: one per class with several classes, else one.
    var width: Int { max(1, classes.count) }
    public var task: GBDTTask { config.task }
    /// The probability from which a customer is predicted positive.
    public var threshold: Double { 0.5 }
    public var readsRawValues: Bool { true }
    public var treeCount: Int { trees.count }
    /// TreeSHAP's tables, made once and shared by every copy of the model.
    let shapTables = ShapTableCache()

    init(card: ModelCard, config: GBDTConfig, trees: [Tree], initScores: [Double], riskCutPoints: [Double]) {
        self.card = card; self.config = config; self.trees = trees; self.initScores = initScores
        self.riskCutPoints = riskCutPoints; self.facts = BinaryTargetFacts(card); self.classes = Self.classes(card)
    }

    // MARK: the model file

    public init(card: ModelCard, tensors t: [String: Tensor], path: String) throws {
        func bad(_ what: String) -> PersonaError { PersonaError("\(path): corrupted gradient-boosted model (\(what))") }
        guard let offsets = t["tree_offsets"]?.int64s, let feature = t["feature"]?.int64s, let left = t["left"]?.int64s,
              let right = t["right"]?.int64s, let missing = t["missing_left"]?.int64s, let cats = t["left_categories"]?.int64s,
              let threshold = t["threshold"]?.doubles, let value = t["value"]?.doubles, let gain = t["gain"]?.doubles,
              let initial = t["init_score"]?.doubles,
              initial.count == max(1, Self.classes(card).count), let cuts = t["risk_cut_points"]?.doubles else { throw bad("a tensor is missing") }
        let n = feature.count
        guard [left.count, right.count, missing.count, threshold.count, value.count, gain.count].allSatisfy({ $0 == n }), cats.count == 4 * n,
              offsets.first == 0, offsets.last.map(Int.init) == n, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }),
              (offsets.count - 1) % initial.count == 0 else {
            throw bad("node arrays of different lengths")
        }
        // Rows reaching each node (TreeSHAP's cover); files from before explanations lack it.
        let cover = t["cover"]?.doubles
        if let cover, cover.count != n { throw bad("node arrays of different lengths") }
        let columns = card.pipeline.columns.count
        var trees: [Tree] = []
        for k in 0..<(offsets.count - 1) {
            let start = Int(offsets[k]), end = Int(offsets[k + 1])
            var tree = Tree()
            for i in start..<end {
                let size = end - start
                guard feature[i] < columns, left[i] < size, right[i] < size else { throw bad("tree \(k) points outside itself") }
                _ = tree.addLeaf(value: [value[i]], samples: cover?[i] ?? 0, weight: 0, impurity: 0)
                let j = i - start
                tree.feature[j] = Int32(feature[i]); tree.left[j] = Int32(left[i]); tree.right[j] = Int32(right[i])
                tree.missingLeft[j] = missing[i] != 0; tree.threshold[j] = threshold[i]; tree.gain[j] = gain[i]
                tree.leftCategories[j] = (0..<4).map { UInt64(bitPattern: cats[4 * i + $0]) }
            }
            trees.append(tree)
        }
        self.init(card: card, config: try GBDTConfig(card: card.hyperparameters, file: path), trees: trees,
                  initScores: initial, riskCutPoints: cuts)
    }

    public func tensors() -> [String: Tensor] {
        var offsets: [Int64] = [0]
        var feature: [Int64] = [], left: [Int64] = [], right: [Int64] = [], missing: [Int64] = [], cats: [Int64] = []
        var threshold: [Double] = [], value: [Double] = [], gain: [Double] = [], cover: [Double] = []
        for t in trees {
            cover += t.samples
            feature += t.feature.map(Int64.init); left += t.left.map(Int64.init); right += t.right.map(Int64.init)
            missing += t.missingLeft.map { $0 ? 1 : 0 }; cats += t.leftCategories.flatMap { $0.map { Int64(bitPattern: $0) } }
            threshold += t.threshold; value += t.value.map { $0[0] }; gain += t.gain
            offsets.append(Int64(feature.count))
        }
        let n = feature.count
        return [
            "tree_offsets": Tensor(offsets, shape: [offsets.count]),
            "feature": Tensor(feature, shape: [n]), "left": Tensor(left, shape: [n]), "right": Tensor(right, shape: [n]),
            "missing_left": Tensor(missing, shape: [n]), "left_categories": Tensor(cats, shape: [n, 4]),
            "threshold": Tensor(threshold, shape: [n]), "value": Tensor(value, shape: [n]), "gain": Tensor(gain, shape: [n]),
            "cover": Tensor(cover, shape: [n]),
            "init_score": Tensor(initScores, shape: [initScores.count]), "risk_cut_points": Tensor(riskCutPoints, shape: [riskCutPoints.count]),
        ]
    }

    // MARK: predictions


    /// Raw scores (log odds, or the predicted number) of raw-encoded rows: row
    /// by row, `width` of them (one per class with several classes).
    func rawScores(_ x: FloatMatrix) -> [Double] {
        let layout = RawRowLayout(card.pipeline)
        let w = width
        var out = [Double](repeating: 0, count: x.rows * w)
        x.storage.withUnsafeBufferPointer { xp in
            for i in 0..<x.rows {
                for c in 0..<w { out[i * w + c] = initScores[c] }
                for (k, t) in trees.enumerated() { out[i * w + k % w] += t.value[t.leaf(xp, row: i * x.cols, layout)][0] }
            }
        }
        return out
    }

    /// Each row's class probabilities (softmax of its raw scores), row by row.
    static func softmax(_ raw: [Double], width w: Int) -> [Double] {
        var p = raw
        raw.withUnsafeBufferPointer { rp in
            p.withUnsafeMutableBufferPointer { pp in
                for start in stride(from: 0, to: raw.count, by: w) { softmax(rp.baseAddress! + start, into: pp.baseAddress! + start, w) }
            }
        }
        return p
    }

    /// One row's class probabilities (softmax of its `w` raw scores, without
    /// overflow) into `p`; returns log Σ e^raw, from which the log loss of a
    /// class c is that minus raw[c].
    @discardableResult @inline(__always)
    static func softmax(_ raw: UnsafePointer<Double>, into p: UnsafeMutablePointer<Double>, _ w: Int) -> Double {
        var top = -Double.infinity
        for c in 0..<w { top = max(top, raw[c]) }
        var sum = 0.0
        for c in 0..<w { p[c] = exp(raw[c] - top); sum += p[c] }
        for c in 0..<w { p[c] /= sum }
        return top + log(sum)
    }

    /// The largest log loss a row counts for (its probability held at 1e-15 or more).
    static let largestLoss = -log(1e-15)

    /// Binary boosting's pass over rows at their scores, in C (CPersonaKernels/boosting.c):
    /// gradients and hessians of the log loss (unless those pointers are nil) and the
    /// summed loss, eight rows at a time, with its own e^x so that no row waits for a
    /// library call; in AVX2 where the processor has it, the same bits either way.
    enum BinaryPass {
        typealias Kernel = @convention(c) (UnsafePointer<Int32>?, Int, UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?,
                                           Double, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?) -> Double
        static let generic: Kernel = persona_boost_binary_pass_generic
        static let avx2: Kernel = persona_boost_binary_pass_avx2
        /// The kernel training uses (tests switch it).
        static var kernel: Kernel = Processor.hasAVX2 ? avx2 : generic
    }

    /// A regression residual's loss: squared, or Huber's with `delta`.
    @inline(__always) static func regressionLoss(_ r: Double, huberDelta delta: Double?) -> Double {
        guard let delta else { return r * r }
        return abs(r) <= delta ? 0.5 * r * r : delta * (abs(r) - 0.5 * delta)
    }

    /// The class with the highest raw score (the first on ties): the most probable.
    static func argmax(_ raw: [Double], row i: Int, width w: Int) -> Int {
        var best = 0
        for c in 1..<w where raw[i * w + c] > raw[i * w + best] { best = c }
        return best
    }

    static func sigmoid(_ t: Double) -> Double { t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)) }

    /// A random forest's raw score is its average (a probability already); boosting's is log-odds.
    public var isForest: Bool { config.isForest }
    func probability(_ raw: Double) -> Double { isForest ? raw : Self.sigmoid(raw) }

    public var rankingColumn: String? { task == .classification && !isMulticlass ? "probability" : nil }

    /// Its outputs as a binary classifier (two classes): score columns, deciles, evaluation, ONNX outputs.
    var binary: BinaryClassification {
        BinaryClassification(target: target, positive: positive, negative: negative, threshold: threshold, riskCutPoints: riskCutPoints)
    }

    public var probabilityClasses: [String] { task == .regression ? [] : isMulticlass ? classes : [negative, positive] }

    public func probabilities(ofClassAt index: Int, _ batch: FloatMatrix) -> [Double] {
        let raw = rawScores(batch)
        if isMulticlass {
            let w = width, p = Self.softmax(raw, width: w)
            return (0..<batch.rows).map { p[$0 * w + index] }
        }
        let p = raw.map(probability)
        return index == 1 ? p : p.map { 1 - $0 }
    }

    public func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        let raw = rawScores(batch)
        if task == .regression { return [ScoreColumn(name: "prediction", values: raw)] }
        if isMulticlass {
            let w = width, p = Self.softmax(raw, width: w)
            var columns = classes.indices.map { c in
                ScoreColumn(name: "probability_" + classes[c], values: (0..<batch.rows).map { p[$0 * w + c] })
            }
            let predicted = (0..<batch.rows).map { Self.argmax(raw, row: $0, width: w) }
            columns.append(ScoreColumn(name: "predicted", values: predicted.map(Double.init), labels: predicted.map { classes[$0] }))
            return columns
        }
        return binary.scoreColumns(raw.map(probability), options: options)
    }

    // MARK: evaluation

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let (x, kept) = try card.pipeline.transform(path: path, delimiter: options.delimiter, keep: [target], raw: true)
        return try evaluate(x, labels: kept[0].map(BinaryTarget.label), file: path, options: options)
    }

    public func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation {
        let (x, labels) = try card.pipeline.transform(data, keep: [target], raw: true)
        return try evaluate(x, labels: labels[0], file: data.file, options: options)
    }

    func evaluate(_ x: FloatMatrix, labels: [String?], file: String, options: EvaluationOptions) throws -> Evaluation {
        let raw = rawScores(x)
        if task == .regression {
            var y: [Double] = []
            for (i, s) in labels.enumerated() {
                guard let s, let v = NumberParser.parse(s) else {
                    throw PersonaError.data(file: file, line: i + 2, columnName: target, "the regression target must be a number, found \"\(s ?? "")\"",
                                            fix: "Evaluate on rows with a numeric target")
                }
                y.append(v)
            }
            let r = RegressionMetrics.compute(raw, y)
            let metrics: JSONValue = .object(["kind": .string(Self.kind), "rows": .number(Double(x.rows)),
                                              "rmse": .number(r.rmse), "mae": .number(r.mae), "r2": .number(r.r2)])
            var evaluation = Evaluation(task: .regression, metrics: metrics, text: "\(x.rows) rows: RMSE \(formatNumber(r.rmse, digits: 5)), MAE \(formatNumber(r.mae, digits: 5)), R² \(formatNumber(r.r2, digits: 5))")
            evaluation.encoded = x
            return evaluation
        }
        if isMulticlass {
            let w = width, p = Self.softmax(raw, width: w)
            let y = try MulticlassMetrics.classIndices(labels, classes: classes, target: target, file: file)
            let probs = (0..<x.rows).map { i in Array(p[i * w..<(i + 1) * w]) }
            let predicted = (0..<x.rows).map { Self.argmax(raw, row: $0, width: w) }
            let multi = MulticlassMetrics.compute(probs: probs, predicted: predicted, actual: y, classes: classes)
            var metrics = multi.json
            metrics["kind"] = .string(Self.kind); metrics["rows"] = .number(Double(x.rows))
            var evaluation = Evaluation(task: .multiclassClassification, metrics: .object(metrics), text: multi.text)
            evaluation.rows = .classes(probabilities: probs, actual: y, predicted: predicted, classes: classes)
            evaluation.encoded = x
            return evaluation
        }
        return try binary.evaluate(raw.map(probability), labels: labels, encoded: x, kind: Self.kind, file: file, options: options)
    }

    public func summary() -> String {
        let m = card.trainingMetrics
        var lines = [isForest
            ? "random forest of \(trees.count) trees (\(task.rawValue)) of up to \(config.resolvedNumLeaves) leaves, each split choosing among \(formatNumber(100 * config.resolvedColsampleBynode(columns: card.pipeline.columns.count), digits: 3))% of the columns"
            : isMulticlass
            ? "\(trees.count / width) rounds of \(width) trees (one per class) of up to \(config.resolvedNumLeaves) leaves, learning rate \(formatNumber(config.learningRate))"
            : "\(trees.count) trees (\(task.rawValue)) of up to \(config.resolvedNumLeaves) leaves, learning rate \(formatNumber(config.learningRate))"]
        if let auc = card.trainingMetrics["oob_auc"]?.double { lines.append("out-of-bag AUC \(formatNumber(auc, digits: 5)) on \(card.trainingMetrics["oob_rows"]?.int ?? 0) rows") }
        if let r2 = card.trainingMetrics["oob_r2"]?.double { lines.append("out-of-bag R² \(formatNumber(r2, digits: 5))") }
        if isMulticlass { lines.append("predicts the probability of each class of \(target): \(classes.joined(separator: ", "))") }
        else if task == .classification { lines.append("predicts P(\(target) = \(positive)) against \(negative)") }
        if let best = m["best_iteration"]?.int {
            lines.append("early stopping: best round \(best) of \(m["rounds"]?.int ?? 0), validation loss \(formatNumber(m["validation_loss"]?.array?.last?.double ?? .nan, digits: 5)) at the end")
        }
        // Split gain by column: what the trees leaned on.
        var gain = [Double](repeating: 0, count: card.pipeline.columns.count)
        for t in trees { for n in 0..<t.count where t.feature[n] >= 0 { gain[Int(t.feature[n])] += t.gain[n] } }
        let total = max(gain.reduce(0, +), 1e-300)
        let top = gain.indices.sorted { gain[$0] > gain[$1] }.prefix(10).filter { gain[$0] > 0 }
        if !top.isEmpty {
            lines.append("")
            lines.append("importance (share of split gain):")
            for f in top { lines.append("  " + card.pipeline.columns[f].name.padding(toLength: 24, withPad: " ", startingAt: 0) + formatNumber(100 * gain[f] / total, digits: 3) + "%") }
        }
        lines += contributionLines()
        return lines.joined(separator: "\n")
    }
}
