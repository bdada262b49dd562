import Foundation

extension TreeModel {
    struct Prepared {
        var data: TreeData
        var pipeline: FeaturePipeline
        var profile: DataProfile
        var classes: [String]
        var label: [Int32]
        var target: [Double]
        var weights: [Double]
        var positive: String?
    }

    /// Reads the file and checks the target: two or more classes for
    /// classification, numbers for regression.
    static func prepare(_ set: TrainingSet, config: TreeConfig, selection: ColumnSelection) throws -> Prepared {
        try config.validate()
        let (values, codes) = try set.labelCodes(of: config.target)
        let (data, pipeline) = try TreeData.build(set, selection: selection, target: config.target, maxBins: config.maxBins)
        let profile = set.profile, path = set.file, delimiter = set.delimiter
        // Labels as codes into their distinct values: each value is parsed,
        // compared and sorted once, not once per row.
        var missing = 0
        var occurrences = [Int](repeating: 0, count: values.count)
        for c in codes { if c < 0 { missing += 1 } else { occurrences[Int(c)] += 1 } }
        if missing > 0 {
            let lines = TargetLines.lines(of: config.target, path: path, delimiter: delimiter, limit: 5)
            throw PersonaError.data(file: path, columnName: config.target,
                                    "the target is missing in \(missing) of \(codes.count) rows (first at line\(lines.count > 1 ? "s" : "") \(lines.map(String.init).joined(separator: ", ")))",
                                    fix: "Drop those rows or fill in the target before training")
        }
        let n = codes.count
        if config.task == .regression {
            let numbers = values.map { NumberParser.parse($0) }
            if let i = codes.firstIndex(where: { numbers[Int($0)] == nil }) {
                let line = TargetLines.firstLine(of: config.target, path: path, delimiter: delimiter, row: i)
                throw PersonaError.data(file: path, line: line, columnName: config.target,
                                        "a regression target must be numeric, found \"\(values[Int(codes[i])])\"",
                                        fix: "Use --task classification for a categorical target")
            }
            return Prepared(data: data, pipeline: pipeline, profile: profile, classes: [], label: [], target: codes.map { numbers[Int($0)]! },
                            weights: [Double](repeating: 1, count: n), positive: nil)
        }
        var distinct = values.indices.filter { occurrences[$0] > 0 }.map { values[$0] }
        if distinct.allSatisfy({ NumberParser.parse($0) != nil }) {
            distinct.sort { NumberParser.parse($0)! < NumberParser.parse($1)! }
        } else {
            distinct.sort()
        }
        if distinct.count < 2 {
            throw PersonaError.data(file: path, columnName: config.target, "the target has a single class (\"\(distinct.first ?? "")\" in all \(n) rows)",
                                    fix: "A classifier needs examples of at least two classes; check the --target column")
        }
        if distinct.count > 100 {
            throw PersonaError.data(file: path, columnName: config.target, "the target has \(distinct.count) classes",
                                    fix: "For a numeric outcome use --task regression")
        }
        var index: [String: Int32] = [:]
        for (i, c) in distinct.enumerated() { index[c] = Int32(i) }
        let classOfCode = values.map { index[$0] ?? -1 }
        let label = codes.map { classOfCode[Int($0)] }
        var positive: String? = nil
        if distinct.count == 2 { positive = BinaryTarget.positiveClass(distinct[0], distinct[1]) }
        var counts = [Int](repeating: 0, count: distinct.count)
        for (code, c) in occurrences.enumerated() where classOfCode[code] >= 0 { counts[Int(classOfCode[code])] += c }
        let classWeights = try config.classWeight.weights(counts: counts, positive: positive.flatMap { distinct.firstIndex(of: $0) } ?? 1)
        return Prepared(data: data, pipeline: pipeline, profile: profile, classes: distinct, label: label, target: [],
                        weights: label.map { classWeights[Int($0)] }, positive: positive)
    }

    static func builder(_ p: Prepared, _ config: TreeConfig) -> TreeBuilder {
        TreeBuilder(data: p.data, config: config, classes: p.classes.count, label: p.label, target: p.target, weights: p.weights)
    }

    static func makeModel(_ p: Prepared, _ config: TreeConfig, tree: Tree, path: String) throws -> TreeModel {
        var details: [String: JSONValue] = ["target": .string(config.target), "classes": .array(p.classes.map { .string($0) })]
        if let pos = p.positive { details["positive"] = .string(pos) }
        let card = ModelCard(kind: kind, pipeline: p.pipeline, hyperparameters: config.card, trainingMetrics: .null,
                             trainingData: DataFingerprintInfo(path: path, profile: p.profile),
                             details: .object(details))
        var model = TreeModel(card: card, config: config, tree: tree)
        // Training metrics from the leaves each training row reached.
        var metrics: [String: JSONValue] = ["leaves": .number(Double(tree.leaves)), "depth": .number(Double(tree.depth()))]
        let leaves = model.binLeaves(p.data)
        if config.task == .regression {
            let r = RegressionMetrics.compute(leaves.map { tree.value[$0][0] }, p.target)
            metrics["rmse"] = .number(r.rmse); metrics["mae"] = .number(r.mae); metrics["r2"] = .number(r.r2)
        } else {
            var right = 0
            for (i, l) in leaves.enumerated() where model.predictedClass(l, threshold: nil) == Int(p.label[i]) { right += 1 }
            metrics["accuracy"] = .number(Double(right) / Double(max(1, leaves.count)))
        }
        model.card.trainingMetrics = .object(metrics)
        return model
    }

    /// Leaves of the training rows, from their bins (`BinRouter`), on every core.
    func binLeaves(_ data: TreeData, rows: [Int]? = nil) -> [Int] {
        let router = BinRouter(tree, data)
        let n = rows?.count ?? data.rows
        var leaves = [Int](repeating: 0, count: n)
        let blocks = Parallel.blocks(n, minBlock: 16_384)
        leaves.withUnsafeMutableBufferPointer { out in
            let box = UnsafeSendableBox(out)
            Parallel.forEach(blocks.count) { block in
                for k in blocks[block] { box.value[k] = router.leaf(rows?[k] ?? k) }
            }
        }
        return leaves
    }

    /// Classes found in the whole set, so every fold of a cross-validation knows them all.
    public static func prepareFolds(_ data: TrainingSet, config: TreeConfig) throws -> (config: TreeConfig, strata: [Int]?) {
        guard config.task == .classification else { return (config, nil) }
        return (config, BinaryTarget.classStrata(try data.labels(of: config.target)).strata)
    }

    public static func fit(_ set: TrainingSet, config: TreeConfig, selection: ColumnSelection,
                           progress: ProgressHandler? = nil) throws -> TreeModel {
        let start = Date()
        let p = try prepare(set, config: config, selection: selection)
        progress?("\(p.data.features.count) columns into bins in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        let fitStart = Date()
        var tree = builder(p, config).grow()
        if config.ccpAlpha > 0 { tree = Pruning.prune(tree, alpha: config.ccpAlpha) }
        progress?("grew the tree in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s: depth \(tree.depth()), \(tree.leaves) leaves")
        var model = try makeModel(p, config, tree: tree, path: set.file)
        model.card.setTrainingMetric("mean_abs_contribution", model.contributionSummary(set, limit: Tree.summaryRows([tree])))
        return model
    }

    public struct PruningStep { public var alpha: Double; public var leaves: Int; public var score: Double }

    /// Grows a tree on a seeded training part, then scores every tree of its
    /// cost-complexity pruning path on the held-out part.
    public static func pruningPath(path: String, config: TreeConfig, selection: ColumnSelection, testFraction: Double, seed: UInt64,
                                   delimiter: UInt8 = UInt8(ascii: ",")) throws -> (steps: [PruningStep], best: Int, metric: String) {
        guard testFraction > 0 && testFraction < 1 else { throw PersonaError("the test fraction must be between 0 and 1 (got \(testFraction))") }
        let p = try prepare(try TrainingSet.read(path: path, delimiter: delimiter), config: config, selection: selection)
        var rng = PersonaRandom(seed: seed)
        var rows = Array(0..<p.data.rows)
        rng.shuffle(&rows)
        let cut = Int((Double(rows.count) * testFraction).rounded())
        let test = Array(rows[0..<cut]).sorted(), train = Array(rows[cut...]).sorted()
        guard !test.isEmpty, !train.isEmpty else { throw PersonaError("too few rows to hold out \(testFraction)") }
        var weights = p.weights
        for i in test { weights[i] = 0 }
        // Rows of the held-out part get weight 0 and are left out of the growth.
        let b = TreeBuilder(data: p.data, config: config, classes: p.classes.count, label: p.label, target: p.target, weights: weights)
        let full = b.grow(rows: train)
        let model = try makeModel(p, config, tree: full, path: path)
        var steps: [PruningStep] = []
        for (alpha, leaves, tree) in Pruning.path(full) {
            var m = model
            m.tree = tree
            let l = m.binLeaves(p.data, rows: test)
            let score: Double
            if config.task == .regression {
                score = RegressionMetrics.compute(l.map { tree.value[$0][0] }, test.map { p.target[$0] }).r2
            } else {
                var right = 0
                for (k, leaf) in l.enumerated() where m.predictedClass(leaf, threshold: nil) == Int(p.label[test[k]]) { right += 1 }
                score = Double(right) / Double(test.count)
            }
            steps.append(PruningStep(alpha: alpha, leaves: leaves, score: score))
        }
        var best = 0
        for (i, s) in steps.enumerated() where s.score >= steps[best].score - 1e-12 { if s.score > steps[best].score + 1e-12 || s.leaves < steps[best].leaves { best = i } }
        return (steps, best, config.task == .regression ? "r2" : "accuracy")
    }
}

extension TargetLines {
    /// The line of data row `row` (0-based).
    static func firstLine(of column: String, path: String, delimiter: UInt8, row: Int) -> Int? {
        guard let reader = try? CSVReader(path: path, delimiter: delimiter) else { return nil }
        var rec = CSVRecord()
        var i = 0
        while (try? reader.next(into: &rec)) == true { if i == row { return rec.line }; i += 1 }
        return nil
    }
}
