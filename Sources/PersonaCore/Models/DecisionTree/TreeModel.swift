import Foundation

/// A fitted CART tree (classification or regression) over the raw columns of
/// its pipeline: numbers compared with thresholds in original units, categories
/// split by sets of levels, and missing values sent the way each split learned.
public struct TreeModel: RowModel, RowScoring, ClassProbabilities, RuleExplaining {
    public static let kind = "tree"
    public static let title = "decision tree (CART)"

    public var card: ModelCard { didSet { facts = Facts(card, config) } }
    public let config: TreeConfig
    var tree: Tree

    public var task: TreeTask { config.task }
    /// The classes and target, read from the card once (and again whenever the card changes), never per row.
    struct Facts {
        var classes: [String], target: String, positiveIndex: Int?
        init(_ card: ModelCard, _ config: TreeConfig) {
            classes = card.details["classes"]?.array?.compactMap(\.string) ?? []
            target = card.details["target"]?.string ?? ""
            if config.task == .classification, classes.count == 2 {
                positiveIndex = card.details["positive"]?.string.flatMap { [classes] p in classes.firstIndex(of: p) } ?? 1
            } else {
                positiveIndex = nil
            }
        }
    }
    private var facts: Facts
    public var classes: [String] { facts.classes }
    public var target: String { facts.target }
    /// The positive class of a two-class tree (the card's, else the second).
    public var positiveIndex: Int? { facts.positiveIndex }
    var categorical: [Bool] { card.pipeline.columns.map { $0.type == .categorical } }
    public var readsRawValues: Bool { true }
    public var leaves: Int { tree.leaves }
    public var depth: Int { tree.depth() }
    /// TreeSHAP's tables, made once and shared by every copy of the model.
    let shapTables = ShapTableCache()

    init(card: ModelCard, config: TreeConfig, tree: Tree) {
        self.card = card; self.config = config; self.tree = tree; self.facts = Facts(card, config)
    }

    public init(card: ModelCard, tensors t: [String: Tensor], path: String) throws {
        func ints(_ name: String) throws -> [Int64] {
            guard let v = t[name]?.int64s else { throw PersonaError("\(path): corrupted tree model (tensor \(name) missing)") }
            return v
        }
        func doubles(_ name: String) throws -> [Double] {
            guard let v = t[name]?.doubles else { throw PersonaError("\(path): corrupted tree model (tensor \(name) missing)") }
            return v
        }
        let feature = try ints("feature"), left = try ints("left"), right = try ints("right"), missing = try ints("missing_left")
        let cats = try ints("left_categories"), threshold = try doubles("threshold"), value = try doubles("value")
        let samples = try doubles("samples"), weight = try doubles("weight"), impurity = try doubles("impurity"), gain = try doubles("gain")
        let n = feature.count
        let config = try TreeConfig(card: card.hyperparameters, file: path)
        let width = config.task == .regression ? 1 : (card.details["classes"]?.array?.count ?? 0)
        guard n > 0, [left.count, right.count, missing.count, threshold.count, samples.count, weight.count, impurity.count, gain.count].allSatisfy({ $0 == n }),
              cats.count == 4 * n, width > 0, value.count == n * width else {
            throw PersonaError("\(path): corrupted tree model (node arrays of different lengths)")
        }
        var tree = Tree()
        for i in 0..<n {
            guard feature[i] < card.pipeline.columns.count, left[i] < n, right[i] < n else {
                throw PersonaError("\(path): corrupted tree model (node \(i) points outside the tree)")
            }
            _ = tree.addLeaf(value: Array(value[(i * width)..<((i + 1) * width)]), samples: samples[i], weight: weight[i], impurity: impurity[i])
            tree.feature[i] = Int32(feature[i]); tree.left[i] = Int32(left[i]); tree.right[i] = Int32(right[i])
            tree.missingLeft[i] = missing[i] != 0; tree.threshold[i] = threshold[i]; tree.gain[i] = gain[i]
            tree.leftCategories[i] = (0..<4).map { UInt64(bitPattern: cats[4 * i + $0]) }
        }
        self.card = card
        self.config = config
        self.tree = tree
        self.facts = Facts(card, config)
    }

    public func tensors() -> [String: Tensor] {
        let n = tree.count
        return [
            "feature": Tensor(tree.feature.map(Int64.init), shape: [n]),
            "left": Tensor(tree.left.map(Int64.init), shape: [n]),
            "right": Tensor(tree.right.map(Int64.init), shape: [n]),
            "missing_left": Tensor(tree.missingLeft.map { $0 ? Int64(1) : Int64(0) }, shape: [n]),
            "left_categories": Tensor(tree.leftCategories.flatMap { $0.map { Int64(bitPattern: $0) } }, shape: [n, 4]),
            "threshold": Tensor(tree.threshold, shape: [n]),
            "value": Tensor(tree.value.flatMap { $0 }, shape: [n, tree.value[0].count]),
            "samples": Tensor(tree.samples, shape: [n]),
            "weight": Tensor(tree.weight, shape: [n]),
            "impurity": Tensor(tree.impurity, shape: [n]),
            "gain": Tensor(tree.gain, shape: [n]),
        ]
    }

    /// The leaf of each raw-encoded row.
    func leaves(_ x: FloatMatrix) -> [Int] {
        let layout = RawRowLayout(card.pipeline)
        return x.storage.withUnsafeBufferPointer { xp in (0..<x.rows).map { tree.leaf(xp, row: $0 * x.cols, layout) } }
    }

    /// A two-class tree as a binary classifier: `probability`, `predicted` (at
    /// 0.5 or --threshold, a probability at it being positive) and `risk_decile`,
    /// as logistic regression and boosting write them. The deciles' cut points
    /// come from the leaves: every training row's probability is its leaf's,
    /// so the leaves' values, each as many times as it holds training rows, are
    /// the training probabilities.
    var binary: BinaryClassification? {
        guard let pos = positiveIndex else { return nil }
        var order = (0..<tree.count).filter { tree.feature[$0] < 0 && tree.samples[$0] > 0 }
        order.sort { tree.value[$0][pos] != tree.value[$1][pos] ? tree.value[$0][pos] > tree.value[$1][pos] : $0 < $1 }
        let total = order.reduce(0) { $0 + Int(tree.samples[$1].rounded()) }
        var cuts: [Double] = []
        for k in 1...9 {
            let rank = min(max(total - 1, 0), total * k / 10)
            var seen = 0
            for leaf in order {
                seen += Int(tree.samples[leaf].rounded())
                if rank < seen { cuts.append(tree.value[leaf][pos]); break }
            }
            if cuts.count < k { cuts.append(order.last.map { tree.value[$0][pos] } ?? 0.5) }
        }
        return BinaryClassification(target: target, positive: classes[pos], negative: classes[1 - pos], threshold: 0.5, riskCutPoints: cuts)
    }

    public var rankingColumn: String? { positiveIndex == nil ? nil : "probability" }

    public func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        let l = leaves(batch)
        if task == .regression { return [ScoreColumn(name: "predicted", values: l.map { tree.value[$0][0] })] }
        if let binary, let pos = positiveIndex { return binary.scoreColumns(l.map { tree.value[$0][pos] }, options: options) }
        var columns = classes.indices.map { c in ScoreColumn(name: "probability_" + classes[c], values: l.map { tree.value[$0][c] }) }
        let predicted = l.map { leaf -> Int in predictedClass(leaf, threshold: options.threshold) }
        columns.append(ScoreColumn(name: "predicted", values: predicted.map(Double.init), labels: predicted.map { classes[$0] }))
        return columns
    }

    public var probabilityClasses: [String] { task == .regression ? [] : classes }

    public func probabilities(ofClassAt index: Int, _ batch: FloatMatrix) -> [Double] {
        leaves(batch).map { tree.value[$0][index] }
    }

    /// The class a leaf predicts: with two classes, the positive one when its
    /// probability is at least the threshold (0.5 unless given); otherwise the
    /// most probable, the first on ties.
    func predictedClass(_ leaf: Int, threshold: Double?) -> Int {
        let p = tree.value[leaf]
        if let pos = positiveIndex { return p[pos] >= (threshold ?? 0.5) ? pos : 1 - pos }
        var best = 0
        for c in p.indices where p[c] > p[best] { best = c }
        return best
    }

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let (x, kept) = try card.pipeline.transform(path: path, delimiter: options.delimiter, keep: [target], raw: true)
        return try evaluate(x, labels: kept[0].map(BinaryTarget.label), file: path, lineOf: { $0 + 2 }, options: options)
    }

    public func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation {
        let (x, labels) = try card.pipeline.transform(data, keep: [target], raw: true)
        return try evaluate(x, labels: labels[0], file: data.file, lineOf: { data.fileRow($0) + 2 }, options: options)
    }

    /// Metrics of raw encoded rows and their target labels; `lineOf` gives the
    /// file line of a row, for messages.
    func evaluate(_ x: FloatMatrix, labels: [String?], file path: String, lineOf: (Int) -> Int,
                  options: EvaluationOptions) throws -> Evaluation {
        var metrics: [String: JSONValue] = ["kind": .string(Self.kind), "rows": .number(Double(x.rows))]
        var text: [String] = []
        let l = leaves(x)
        if task == .regression {
            var y: [Double] = []
            for (i, s) in labels.enumerated() {
                guard let s, let v = NumberParser.parse(s) else {
                    throw PersonaError.data(file: path, line: lineOf(i), columnName: target, "the regression target must be a number, found \"\(s ?? "")\"",
                                            fix: "Evaluate on rows with a numeric target")
                }
                y.append(v)
            }
            let pred = l.map { tree.value[$0][0] }
            let r = RegressionMetrics.compute(pred, y)
            metrics["rmse"] = .number(r.rmse); metrics["mae"] = .number(r.mae); metrics["r2"] = .number(r.r2)
            text.append("\(x.rows) rows: RMSE \(formatNumber(r.rmse, digits: 5)), MAE \(formatNumber(r.mae, digits: 5)), R² \(formatNumber(r.r2, digits: 5))")
        } else {
            let y = try MulticlassMetrics.classIndices(labels, classes: classes, target: target, file: path, lineOf: lineOf)
            let probs = l.map { tree.value[$0] }
            let pred = l.map { predictedClass($0, threshold: options.threshold) }
            let multi = MulticlassMetrics.compute(probs: probs, predicted: pred, actual: y, classes: classes)
            for (k, v) in multi.json { metrics[k] = v }
            text.append(multi.text)
            if let pos = positiveIndex {
                // The same rule as `score`: positive when the probability is at least the threshold.
                let binary = ClassificationMetrics.report(probs.map { $0[pos] }, y.map { $0 == pos }, threshold: options.threshold ?? 0.5)
                for (k, v) in binary.object ?? [:] where metrics[k] == nil || ["precision", "recall", "f1", "log_loss"].contains(k) { metrics[k] = v }
                text.append("")
                text.append(ClassificationMetrics.render(binary, positive: "\(target) = \(classes[pos])"))
            }
        }
        if options.importance {
            let imp = try permutationImportance(x: x, labels: labels, seed: options.seed)
            metrics["permutation_importance"] = .array(imp.map { .object(["feature": .string($0.0), "mean": .number($0.1), "std": .number($0.2)]) })
            text.append("")
            text.append("permutation importance (drop in \(task == .regression ? "R²" : "accuracy") when a column is shuffled, 5 repeats):")
            for (name, mean, sd) in imp { text.append("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + formatNumber(mean, digits: 4).leftPadded(10) + "  ± " + formatNumber(sd, digits: 2)) }
        }
        var evaluation = Evaluation(task: task == .regression ? .regression : positiveIndex != nil ? .binaryClassification : .multiclassClassification,
                                    metrics: .object(metrics), text: text.joined(separator: "\n"))
        evaluation.rows = .leaves(l, labels: labels)
        evaluation.encoded = x
        return evaluation
    }

    /// Shuffles one input column at a time (seeded) and measures the drop in score.
    func permutationImportance(x: FloatMatrix, labels: [String?], seed: UInt64) throws -> [(String, Double, Double)] {
        func score(_ m: FloatMatrix) -> Double {
            let l = leaves(m)
            if task == .regression {
                let y = labels.map { NumberParser.parse($0 ?? "") ?? .nan }
                return RegressionMetrics.compute(l.map { tree.value[$0][0] }, y).r2
            }
            var right = 0
            for (i, leaf) in l.enumerated() where classes[predictedClass(leaf, threshold: nil)] == labels[i] { right += 1 }
            return Double(right) / Double(max(1, l.count))
        }
        let base = score(x)
        let offsets = card.pipeline.columnOffsets
        var rng = PersonaRandom(seed: seed, stream: 0x9E2)
        var out: [(String, Double, Double)] = []
        for (c, col) in card.pipeline.columns.enumerated() {
            let width = col.encodedWidth
            var drops: [Double] = []
            for _ in 0..<5 {
                var perm = Array(0..<x.rows)
                rng.shuffle(&perm)
                var m = x
                for i in 0..<x.rows { for t in 0..<width { m.storage[i * x.cols + offsets[c] + t] = x.storage[perm[i] * x.cols + offsets[c] + t] } }
                drops.append(base - score(m))
            }
            let mean = drops.reduce(0, +) / Double(drops.count)
            let sd = (drops.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(drops.count - 1)).squareRoot()
            out.append((col.name, mean, sd))
        }
        return out.sorted { $0.1 > $1.1 }
    }

    // MARK: explaining

    func condition(_ node: Int, left: Bool) -> String {
        let f = Int(tree.feature[node])
        let col = card.pipeline.columns[f]
        let missingHere = tree.missingLeft[node] == left
        var text: String
        if col.type == .categorical {
            let levels = (col.levels ?? []) + ["<other>"]
            var inLeft: [String] = []
            for (i, l) in levels.enumerated() where tree.binGoesLeft(node, i + 1) { inLeft.append(l) }
            text = "\(col.name) \(left ? "in" : "not in") {\(inLeft.joined(separator: ", "))}"
        } else if tree.threshold[node].isInfinite {
            text = left ? "\(col.name) is present" : "\(col.name) is missing"
            return text
        } else {
            text = "\(col.name) \(left ? "<=" : ">") \(formatNumber(tree.threshold[node], digits: 6))"
        }
        return missingHere ? text + " or missing" : text
    }

    func leafText(_ n: Int) -> String {
        let rows = "\(Int(tree.samples[n])) rows"
        if task == .regression { return "\(target) ≈ \(formatNumber(tree.value[n][0], digits: 5)) (\(rows))" }
        let p = tree.value[n]
        let c = predictedClass(n, threshold: nil)
        let dist = classes.indices.map { "\(classes[$0]) \(formatNumber(p[$0] * 100, digits: 3))%" }.joined(separator: ", ")
        return "\(target) = \(classes[c]) (\(dist); \(rows))"
    }

    public func rules() -> String {
        var lines: [String] = []
        func walk(_ n: Int, _ indent: String) {
            if tree.feature[n] < 0 { lines.append(indent + "→ " + leafText(n)); return }
            lines.append(indent + "if " + condition(n, left: true) + ":")
            walk(Int(tree.left[n]), indent + "    ")
            lines.append(indent + "else (" + condition(n, left: false) + "):")
            walk(Int(tree.right[n]), indent + "    ")
        }
        walk(0, "")
        return lines.joined(separator: "\n")
    }

    public func importances() -> [(String, Double)] {
        let imp = tree.importances(features: card.pipeline.columns.count)
        return card.pipeline.columns.indices.map { (card.pipeline.columns[$0].name, imp[$0]) }.sorted { $0.1 > $1.1 }
    }

    public func summary() -> String {
        var lines: [String] = []
        lines.append("\(task == .regression ? "predicts \(target) (regression)" : "predicts \(target): \(classes.joined(separator: ", "))"); depth \(depth), \(leaves) leaves")
        let m = card.trainingMetrics
        if let a = m["accuracy"]?.double { lines.append("training accuracy \(formatNumber(a, digits: 4))") }
        if let r = m["r2"]?.double { lines.append("training R² \(formatNumber(r, digits: 4)), RMSE \(formatNumber(m["rmse"]?.double ?? .nan, digits: 4))") }
        lines.append("")
        lines.append("feature importance (impurity decrease):")
        for (name, v) in importances() where v > 0 {
            let bar = String(repeating: "█", count: Int((v * 40).rounded()))
            lines.append("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + formatNumber(v, digits: 3).leftPadded(7) + "  " + bar)
        }
        lines += contributionLines()
        lines.append("")
        lines.append("Rules: persona inspect MODEL --rules")
        return lines.joined(separator: "\n")
    }
}

public enum RegressionMetrics {
    public static func compute(_ pred: [Double], _ y: [Double]) -> (rmse: Double, mae: Double, r2: Double) {
        let n = Double(max(1, y.count))
        var se = 0.0, ae = 0.0, mean = 0.0
        for v in y { mean += v }
        mean /= n
        var ss = 0.0
        for (p, t) in zip(pred, y) { se += (p - t) * (p - t); ae += abs(p - t); ss += (t - mean) * (t - mean) }
        return ((se / n).squareRoot(), ae / n, ss > 0 ? 1 - se / ss : 0)
    }
}

public enum MulticlassMetrics {
    /// Each label's class index; a missing label or a class the model never saw
    /// is an error naming the first such row.
    public static func classIndices(_ labels: [String?], classes: [String], target: String, file: String,
                                    lineOf: (Int) -> Int = { $0 + 2 }) throws -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var y: [Int] = []
        y.reserveCapacity(labels.count)
        for (i, s) in labels.enumerated() {
            guard let s, let c = index[s] else {
                throw PersonaError.data(file: file, line: lineOf(i), columnName: target,
                                        labels[i] == nil ? "the target is missing" : "has the class \"\(labels[i]!)\", which the model never saw (it knows \(classes.joined(separator: ", ")))",
                                        fix: "Evaluate on rows labelled like the training data")
            }
            y.append(c)
        }
        return y
    }

    public static func compute(probs: [[Double]], predicted: [Int], actual: [Int], classes: [String]) -> (json: [String: JSONValue], text: String) {
        let k = classes.count, n = actual.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (p, a) in zip(predicted, actual) { confusion[a][p] += 1 }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        var precision = 0.0, recall = 0.0, f1 = 0.0
        for c in 0..<k {
            let tp = Double(confusion[c][c])
            let predictedC = Double((0..<k).reduce(0) { $0 + confusion[$1][c] }), actualC = Double(confusion[c].reduce(0, +))
            let p = predictedC > 0 ? tp / predictedC : 0, r = actualC > 0 ? tp / actualC : 0
            precision += p; recall += r; f1 += p + r > 0 ? 2 * p * r / (p + r) : 0
        }
        var logLoss = 0.0
        for (p, a) in zip(probs, actual) { logLoss -= log(min(max(p[a], Double.ulpOfOne), 1)) }
        let json: [String: JSONValue] = [
            "accuracy": .number(Double(correct) / Double(max(1, n))),
            "precision": .number(precision / Double(k)), "recall": .number(recall / Double(k)), "f1": .number(f1 / Double(k)),
            "log_loss": .number(logLoss / Double(max(1, n))),
            "classes": .array(classes.map { .string($0) }),
            "confusion_matrix": .array(confusion.map { .array($0.map { .number(Double($0)) }) }),
        ]
        var lines = ["\(n) rows: accuracy \(formatNumber(Double(correct) / Double(max(1, n)), digits: 4)), macro precision \(formatNumber(precision / Double(k), digits: 4)), recall \(formatNumber(recall / Double(k), digits: 4)), F1 \(formatNumber(f1 / Double(k), digits: 4))"]
        lines.append("confusion matrix (rows: actual, columns: predicted)")
        let w = max(8, classes.map(\.count).max() ?? 8)
        lines.append(String(repeating: " ", count: w + 2) + classes.map { $0.leftPadded(w + 2) }.joined())
        for (i, row) in confusion.enumerated() { lines.append(classes[i].leftPadded(w + 2) + row.map { String($0).leftPadded(w + 2) }.joined()) }
        return (json, lines.joined(separator: "\n"))
    }
}
