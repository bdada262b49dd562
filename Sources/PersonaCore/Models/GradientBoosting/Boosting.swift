import Foundation

extension GBDTModel {
    /// Classifiers keep each class's share in every fold, and the positive class
    /// of two is chosen once on the whole set.
    public static func prepareFolds(_ data: TrainingSet, config: GBDTConfig) throws -> (config: GBDTConfig, strata: [Int]?) {
        guard config.task == .classification else { return (config, nil) }
        let labels = try data.labels(of: config.target)
        let several = BinaryTarget.classStrata(labels)
        if several.classes.count > 2 { return (config, several.strata) }
        let (positive, strata) = try BinaryTarget.strata(data, column: config.target, positive: config.positive, labels: labels)
        var settled = config
        settled.positive = positive
        return (settled, strata)
    }

    /// Boosts trees on the rows of `set`: gradients of the log loss (or squared
    /// error), one leaf-wise tree per round, each leaf's value shrunk by the
    /// learning rate; with early stopping a stratified, seeded tenth of the rows
    /// is held out and the model is cut at the round where its loss was lowest.
    public static func fit(_ set: TrainingSet, config: GBDTConfig, selection: ColumnSelection,
                           progress: ProgressHandler? = nil) throws -> GBDTModel {
        try fit(set, validation: nil, config: config, selection: selection, progress: progress)
    }

    /// Reads the training and validation files, then boosts with early stopping
    /// on the validation rows (`--validation FILE`): no training rows are held out.
    public static func train(path: String, validation: String, config: GBDTConfig, selection: ColumnSelection,
                             delimiter: UInt8 = UInt8(ascii: ","), progress: ProgressHandler? = nil) throws -> GBDTModel {
        try config.validate()
        let set = try TrainingSet.read(path: path, delimiter: delimiter)
        let valid = try TrainingSet.read(path: validation, delimiter: delimiter)
        progress?("read \(set.rows) training and \(valid.rows) validation rows")
        return try fit(set, validation: valid, config: config, selection: selection, progress: progress)
    }

    /// Boosts on `set`; with `validation`, early stopping watches that data (read
    /// through the training pipeline) instead of a held-out part of `set`.
    static func fit(_ set: TrainingSet, validation: TrainingSet?, config: GBDTConfig, selection: ColumnSelection,
                    progress: ProgressHandler?) throws -> GBDTModel {
        try config.validate()
        let start = Date()
        let labels = try set.labels(of: config.target)
        let (data, pipeline) = try TreeData.build(set, selection: selection, target: config.target, maxBins: config.maxBins)
        let n = data.rows
        var y = [Double](repeating: 0, count: n)
        var details: [String: JSONValue] = ["target": .string(config.target)]
        var weights = [Double](repeating: 1, count: n)
        var classes: [String] = []          // several classes: their names, sorted; y holds the index
        if config.task == .classification {
            let distinct = Set(labels.compactMap { $0 })
            if distinct.count > 2 {
                if config.positive != nil {
                    throw ParameterError(GBDTConfig.names("positive")) { "\($0[0]) is for two classes; \(config.target) has \(distinct.count) (\(distinct.sorted().prefix(5).joined(separator: ", "))\(distinct.count > 5 ? ", ..." : ""))" }
                }
                if config.isForest {
                    throw PersonaError.data(file: set.file, columnName: config.target,
                                            "has \(distinct.count) classes; a random forest (--mode rf) predicts two classes or a number",
                                            fix: "Boost instead (leave out --mode rf), or use persona train tree")
                }
                classes = distinct.sorted()
                let index = try MulticlassMetrics.classIndices(labels, classes: classes, target: config.target, file: set.file,
                                                               lineOf: { set.fileRow($0) + 2 })
                var counts = [Int](repeating: 0, count: classes.count)
                for c in index { counts[c] += 1 }
                let w = try config.classWeight.weights(counts: counts, positive: 0)
                y = index.map(Double.init)
                weights = index.map { w[$0] }
                details["classes"] = .array(classes.map { .string($0) })
            } else {
                let target = try BinaryTarget.make(column: config.target, labels: labels, positive: config.positive, file: set.file, delimiter: set.delimiter)
                y = target.values.map { $0 ? 1 : 0 }
                let w = try config.classWeight.weights(counts: [n - target.positives, target.positives], positive: 1)
                weights = target.values.map { $0 ? w[1] : w[0] }
                details["positive"] = .string(target.positive); details["negative"] = .string(target.negative)
            }
        } else {
            for (i, l) in labels.enumerated() {
                guard let l, let v = NumberParser.parse(l) else {
                    throw PersonaError.data(file: set.file, line: set.fileRow(i) + 2, columnName: config.target,
                                            l == nil ? "the target is missing" : "a regression target must be numeric, found \"\(l!)\"",
                                            fix: "Drop or fill those rows, or use --task classification")
                }
                y[i] = v
            }
        }
        progress?("\(data.features.count) columns into bins in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        if config.isForest {
            if validation != nil {
                throw PersonaError("--validation is for boosting's early stopping; a random forest (--mode rf) reports its out-of-bag score instead")
            }
            return try growForest(set, data: data, pipeline: pipeline, y: y, weights: weights, details: details, config: config, progress: progress)
        }

        // Validation data of its own: its rows through the training pipeline, raw,
        // and their targets as the training target reads them.
        var external: (x: FloatMatrix, y: [Double], file: String)? = nil
        if let validation {
            let (vx, vlabels) = try pipeline.transform(validation, keep: [config.target], raw: true)
            var vy = [Double](repeating: 0, count: vx.rows)
            if !classes.isEmpty {
                vy = try MulticlassMetrics.classIndices(vlabels[0], classes: classes, target: config.target, file: validation.file,
                                                        lineOf: { validation.fileRow($0) + 2 }).map(Double.init)
            } else if config.task == .classification {
                let pos = details["positive"]!.string!, neg = details["negative"]!.string!
                vy = try BinaryTarget.match(column: config.target, labels: vlabels[0], positive: pos, negative: neg,
                                            file: validation.file, delimiter: validation.delimiter).map { $0 ? 1 : 0 }
            } else {
                for (i, l) in vlabels[0].enumerated() {
                    guard let l, let v = NumberParser.parse(l) else {
                        throw PersonaError.data(file: validation.file, line: validation.fileRow(i) + 2, columnName: config.target,
                                                "the validation target must be a number", fix: "Drop or fill those rows")
                    }
                    vy[i] = v
                }
            }
            guard vx.rows > 0 else { throw PersonaError.data(file: validation.file, "has no rows", fix: "Give a validation file with rows") }
            external = (vx, vy, validation.file)
        }

        // Training and validation rows.
        var isValidation = [Bool](repeating: false, count: n)
        if config.earlyStoppingRounds > 0 && external == nil {
            var rng = PersonaRandom(seed: config.seed, stream: 0x7A11D)
            let strata = classes.isEmpty ? [1.0, 0.0] : classes.indices.map(Double.init)
            let groups = config.task == .classification ? strata.map { c in (0..<n).filter { y[$0] == c } } : [Array(0..<n)]
            for var g in groups {
                rng.shuffle(&g)
                let take = Int((Double(g.count) * config.validationFraction).rounded())
                for i in g.prefix(take) { isValidation[i] = true }
            }
        }
        let trainRows = (0..<n).filter { !isValidation[$0] }.map { Int32($0) }
        let validRows = (0..<n).filter { isValidation[$0] }
        let trainIndices = trainRows.map(Int.init)
        guard trainRows.count >= 2 * config.minSamplesLeaf || trainRows.count >= 2 else {
            throw PersonaError.data(file: set.file, "has too few rows (\(n)) to grow trees", fix: "Add rows, or lower --min-samples-leaf")
        }
        let classification = config.task == .classification
        let K = max(1, classes.count)           // raw scores per row: one per class with several classes
        let multiclass = K > 1

        // The starting score: the log odds of the (weighted) base rate, the log
        // of each class's share (centred), or the mean.
        var initScores: [Double]
        if multiclass {
            var share = [Double](repeating: 0, count: K), sw = 0.0
            for r in trainRows { share[Int(y[Int(r)])] += weights[Int(r)]; sw += weights[Int(r)] }
            let logs = share.map { log(max($0 / max(sw, 1e-300), 1e-12)) }
            let mean = logs.reduce(0, +) / Double(K)
            initScores = logs.map { $0 - mean }
        } else {
            var sw = 0.0, swy = 0.0
            for r in trainRows { sw += weights[Int(r)]; swy += weights[Int(r)] * y[Int(r)] }
            var initScore = swy / max(sw, 1e-300)
            if classification {
                let p = min(max(initScore, 1e-12), 1 - 1e-12)
                initScore = log(p / (1 - p))
            }
            initScores = [initScore]
        }
        // Raw scores row by row, K per row.
        var raw = [Double](repeating: 0, count: n * K)
        for i in 0..<n { for c in 0..<K { raw[i * K + c] = initScores[c] } }
        var vraw = [Double](repeating: 0, count: (external?.x.rows ?? 0) * K)
        for i in 0..<(external?.x.rows ?? 0) { for c in 0..<K { vraw[i * K + c] = initScores[c] } }
        var bestVraw: [Double] = []
        let layout = RawRowLayout(pipeline)
        var gradients = [Double](repeating: 0, count: n), hessians = gradients
        var probabilities = multiclass ? [Double](repeating: 0, count: n * K) : []
        let grower = TreeGrower(data: data, config: config)
        var trees: [Tree] = []
        var trainLoss: [Double] = [], validLoss: [Double] = []
        var best = 0, bestLoss = Double.infinity
        var bestRaw: [Double] = []      // every row's score at the best round so far
        let huber = !classification && config.loss == .huber, delta = config.huberDelta
        let huberDelta: Double? = huber ? delta : nil
        // The mean loss of `rows` at scores `raw` (for validation rows and the final metrics).
        func loss(_ rows: [Int], _ raw: [Double], _ y: [Double]) -> Double {
            if classification && !multiclass {
                let rows32 = rows.map { Int32($0) }
                let total = rows32.withUnsafeBufferPointer { rp in raw.withUnsafeBufferPointer { zp in y.withUnsafeBufferPointer { yp in
                    BinaryPass.kernel(rp.baseAddress, rp.count, zp.baseAddress, yp.baseAddress, nil, largestLoss, nil, nil)
                }}}
                return total / Double(max(1, rows.count))
            }
            var total = 0.0
            var scratch = [Double](repeating: 0, count: K)
            raw.withUnsafeBufferPointer { rp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    for i in rows {
                        if multiclass {
                            total += min(softmax(rp.baseAddress! + i * K, into: sp.baseAddress!, K) - rp[i * K + Int(y[i])], largestLoss)
                        } else {
                            total += regressionLoss(rp[i] - y[i], huberDelta: huberDelta)
                        }
                    }
                }
            }
            return total / Double(max(1, rows.count))
        }
        let allFeatures = Array(0..<data.features.count)
        // One pass over the training rows at the scores so far: their gradients
        // and hessians (with several classes, each class's probability, from
        // which each class's tree takes its gradients) and the mean training loss
        // there. Fixed blocks on every core, the loss summed in block order: the
        // same bits on one core or two.
        let blocks = Parallel.blocks(trainRows.count, minBlock: 8192)
        func gradientPass() -> Double {
            var partial = [Double](repeating: 0, count: blocks.count)
            if classification && !multiclass {
                let kernel = BinaryPass.kernel
                trainRows.withUnsafeBufferPointer { rp in raw.withUnsafeBufferPointer { zp in y.withUnsafeBufferPointer { yp in
                    weights.withUnsafeBufferPointer { wp in gradients.withUnsafeMutableBufferPointer { gp in
                        hessians.withUnsafeMutableBufferPointer { hp in partial.withUnsafeMutableBufferPointer { lp in
                            let box = UnsafeSendableBox((rp, zp, yp, wp, gp, hp, lp))
                            Parallel.forEach(blocks.count) { block in
                                let (rows, z, y, w, g, h, losses) = box.value
                                losses[block] = kernel(rows.baseAddress! + blocks[block].lowerBound, blocks[block].count, z.baseAddress,
                                                       y.baseAddress, w.baseAddress, largestLoss, g.baseAddress, h.baseAddress)
                            }
                        }}
                    }}
                }}}
                return partial.reduce(0, +) / Double(max(1, trainRows.count))
            }
            raw.withUnsafeBufferPointer { rawp in gradients.withUnsafeMutableBufferPointer { gp in hessians.withUnsafeMutableBufferPointer { hp in
                probabilities.withUnsafeMutableBufferPointer { pp in partial.withUnsafeMutableBufferPointer { lp in
                    let box = UnsafeSendableBox((rawp, gp, hp, pp, lp))
                    Parallel.forEach(blocks.count) { block in
                        let (raw, g, h, prob, losses) = box.value
                        var total = 0.0
                        for k in blocks[block] {
                            let i = Int(trainRows[k])
                            if multiclass {
                                let logSum = softmax(raw.baseAddress! + i * K, into: prob.baseAddress! + i * K, K)
                                total += min(logSum - raw[i * K + Int(y[i])], largestLoss)
                            } else {
                                let r = raw[i] - y[i]
                                total += regressionLoss(r, huberDelta: huberDelta)
                                g[i] = weights[i] * (huber && abs(r) > delta ? (r > 0 ? delta : -delta) : r); h[i] = weights[i]
                            }
                        }
                        losses[block] = total
                    }
                }}
            }}}
            return partial.reduce(0, +) / Double(max(1, trainRows.count))
        }
        func keepBest() {
            // copies into the kept buffers, so that the next round's update does not copy on write
            bestRaw.withUnsafeMutableBufferPointer { d in raw.withUnsafeBufferPointer { d.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
            bestVraw.withUnsafeMutableBufferPointer { d in vraw.withUnsafeBufferPointer { if $0.count > 0 { d.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } } }
        }
        bestRaw = raw.map { $0 }; bestVraw = vraw.map { $0 }
        // Rows that never walk a tree: those it was grown on (all training rows unless subsampling).
        var trainCovered = [Bool](repeating: false, count: n)
        for r in trainRows { trainCovered[Int(r)] = true }
        let fitStart = Date()
        for round in 0..<config.resolvedTrees {
            let lossBefore = gradientPass()
            if round > 0 {
                trainLoss.append(lossBefore)
                if round % 50 == 0 {
                    progress?("round \(round): training loss \(formatNumber(lossBefore, digits: 6))" + (validLoss.last.map { ", validation \(formatNumber($0, digits: 6))" } ?? ""))
                }
            }
            var rng = PersonaRandom(seed: config.seed, stream: UInt64(round) + 1)
            let rows = config.subsample < 1 ? trainRows.filter { _ in rng.uniform() < config.subsample } : trainRows
            var features = allFeatures
            if config.colsample < 1 {
                rng.shuffle(&features)
                features = Array(features.prefix(max(1, Int((Double(features.count) * config.colsample).rounded())))).sorted()
            }
            let grown = rows.isEmpty ? trainRows : rows
            var covered = trainCovered
            if grown.count < trainRows.count {
                covered = [Bool](repeating: false, count: n)
                for r in grown { covered[Int(r)] = true }
            }
            let walkers = grown.count < n
            for k in 0..<K {
                if multiclass {
                    for r in trainRows {
                        let i = Int(r)
                        let p = probabilities[i * K + k]
                        gradients[i] = weights[i] * (p - (Int(y[i]) == k ? 1 : 0)); hessians[i] = weights[i] * max(p * (1 - p), 1e-16)
                    }
                }
                // Rows the tree was grown on take their leaf's value as it hands them over; only the others walk it.
                let tree = grower.grow(rows: grown, gradients: gradients, hessians: hessians, features: features,
                                       treeIndex: trees.count) { value, members in
                    raw.withUnsafeMutableBufferPointer { rp in for r in members { rp[Int(r) * K + k] += value } }
                }
                trees.append(tree)
                if walkers {
                    let router = BinRouter(tree, data)
                    for i in 0..<n where !covered[i] { raw[i * K + k] += tree.value[router.leaf(i)][0] }
                }
                if let external {
                    let x = external.x
                    x.storage.withUnsafeBufferPointer { xp in
                        for i in 0..<x.rows { vraw[i * K + k] += tree.value[tree.leaf(xp, row: i * x.cols, layout)][0] }
                    }
                }
            }
            if !validRows.isEmpty || external != nil {
                let v = external.map { loss(Array(0..<$0.x.rows), vraw, $0.y) } ?? loss(validRows, raw, y)
                validLoss.append(v)
                if v < bestLoss - 1e-12 * abs(bestLoss) || round == 0 {
                    bestLoss = v; best = round
                    if config.earlyStoppingRounds > 0 { keepBest() }
                }
                if config.earlyStoppingRounds > 0 && round - best >= config.earlyStoppingRounds {
                    progress?("early stopping at round \(round + 1): validation loss last improved at round \(best + 1) (\(formatNumber(bestLoss, digits: 6)))")
                    break
                }
            } else {
                best = round
            }
        }
        trainLoss.append(gradientPass())      // after the last round
        let rounds = trees.count / K
        if config.earlyStoppingRounds == 0 || validLoss.isEmpty { best = rounds - 1; bestRaw = raw; bestVraw = vraw }
        trees = Array(trees.prefix((best + 1) * K))
        progress?("boosted \(rounds) rounds in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s; keeping \(trees.count) trees")

        let card = ModelCard(kind: kind, pipeline: pipeline, hyperparameters: config.card, trainingMetrics: .null,
                             trainingData: DataFingerprintInfo(path: set.file, profile: set.profile),
                             details: .object(details))
        var model = GBDTModel(card: card, config: config, trees: trees, initScores: initScores, riskCutPoints: [])
        // Scores of the kept trees on every row, for the training metrics and risk deciles.
        let final = bestRaw
        var metrics: [String: JSONValue] = [
            "rounds": .number(Double(rounds)), "trees": .number(Double(trees.count)),
            "training_loss": .array(trainLoss.map { .number($0) }),
        ]
        if !validLoss.isEmpty {
            metrics["validation_loss"] = .array(validLoss.map { .number($0) })
            if config.earlyStoppingRounds > 0 { metrics["best_iteration"] = .number(Double(best + 1)) }
            metrics["validation_rows"] = .number(Double(external?.x.rows ?? validRows.count))
            if let external { metrics["validation_file"] = .string((external.file as NSString).lastPathComponent) }
        }
        if multiclass {
            func accuracy(_ rows: [Int], _ raw: [Double], _ y: [Double]) -> Double {
                Double(rows.filter { GBDTModel.argmax(raw, row: $0, width: K) == Int(y[$0]) }.count) / Double(max(1, rows.count))
            }
            metrics["accuracy"] = .number(accuracy(trainIndices, final, y))
            metrics["log_loss"] = .number(loss(trainIndices, final, y))
            if let external {
                metrics["validation_accuracy"] = .number(accuracy(Array(0..<external.x.rows), bestVraw, external.y))
            } else if !validRows.isEmpty {
                metrics["validation_accuracy"] = .number(accuracy(validRows, final, y))
            }
        } else if classification {
            let p = final.map(sigmoid)
            model.riskCutPoints = BinaryClassification.riskCutPoints(trainRows.map { p[Int($0)] })
            let truth = trainRows.map { y[Int($0)] == 1 }
            metrics["auc"] = ClassificationMetrics.rocAUC(trainRows.map { p[Int($0)] }, truth).map { .number($0) } ?? .null
            if let external {
                metrics["validation_auc"] = ClassificationMetrics.rocAUC(bestVraw.map(sigmoid), external.y.map { $0 == 1 }).map { .number($0) } ?? .null
            } else if !validRows.isEmpty {
                metrics["validation_auc"] = ClassificationMetrics.rocAUC(validRows.map { p[$0] }, validRows.map { y[$0] == 1 }).map { .number($0) } ?? .null
            }
        } else {
            let r = RegressionMetrics.compute(trainRows.map { final[Int($0)] }, trainRows.map { y[Int($0)] })
            metrics["rmse"] = .number(r.rmse); metrics["r2"] = .number(r.r2)
        }
        model.card.trainingMetrics = .object(metrics)
        model.card.setTrainingMetric("mean_abs_contribution", model.contributionSummary(set, limit: Tree.summaryRows(trees)))
        return model
    }

    /// A random forest on the boosting engine: each tree fits the target (squared
    /// error from zero, so each leaf holds its rows' weighted mean: a class share,
    /// or a mean) on a bootstrap sample, drawn as row counts that weight the
    /// gradients and hessians, choosing each split among a seeded share of the
    /// columns; leaf values are divided by the tree count, so the model's raw
    /// score (the sum over trees, as boosting's) is the forest's average. Each
    /// row's out-of-bag prediction averages the trees that did not draw it.
    static func growForest(_ set: TrainingSet, data: TreeData, pipeline: FeaturePipeline, y: [Double], weights: [Double],
                           details: [String: JSONValue], config: GBDTConfig, progress: ProgressHandler?) throws -> GBDTModel {
        let n = data.rows, count = config.resolvedTrees
        guard n >= 2 else { throw PersonaError.data(file: set.file, "has too few rows (\(n)) to grow trees", fix: "Add rows") }
        let classification = config.task == .classification
        let grower = TreeGrower(data: data, config: config)
        var trees: [Tree] = []
        var oobSum = [Double](repeating: 0, count: n), oobCount = [Int](repeating: 0, count: n)
        var raw = [Double](repeating: 0, count: n)
        var gradients = [Double](repeating: 0, count: n), hessians = gradients
        let fitStart = Date()
        for t in 0..<count {
            var rng = PersonaRandom(seed: config.seed, stream: 0xF0_0000 &+ UInt64(t))
            var draws = [Int32](repeating: 0, count: n)
            for _ in 0..<n { draws[rng.below(n)] += 1 }
            var rows: [Int32] = []
            for i in 0..<n where draws[i] > 0 {
                rows.append(Int32(i))
                let c = Double(draws[i]) * weights[i]
                gradients[i] = -c * y[i]; hessians[i] = c
            }
            var features = Array(0..<data.features.count)
            if config.colsample < 1 {
                rng.shuffle(&features)
                features = Array(features.prefix(max(1, Int((Double(features.count) * config.colsample).rounded())))).sorted()
            }
            // every row's sum over the trees: drawn rows as the grower hands them over, the others by walking the tree
            var tree = grower.grow(rows: rows, gradients: gradients, hessians: hessians, features: features, treeIndex: t) { value, members in
                raw.withUnsafeMutableBufferPointer { rp in for r in members { rp[Int(r)] += value } }
            }
            tree.samples = tree.weight          // TreeSHAP's cover: the bootstrap-weighted rows at each node
            let router = BinRouter(tree, data)
            for i in 0..<n where draws[i] == 0 {
                let v = tree.value[router.leaf(i)][0]
                oobSum[i] += v
                raw[i] += v
                oobCount[i] += 1
            }
            trees.append(tree)
            if (t + 1) % 25 == 0 { progress?("grew \(t + 1) of \(count) trees") }
        }
        for k in trees.indices { for node in 0..<trees[k].count { trees[k].value[node][0] /= Double(count) } }
        progress?("grew \(count) trees in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s")
        let card = ModelCard(kind: kind, pipeline: pipeline, hyperparameters: config.card, trainingMetrics: .null,
                             trainingData: DataFingerprintInfo(path: set.file, profile: set.profile),
                             details: .object(details))
        var model = GBDTModel(card: card, config: config, trees: trees, initScores: [0], riskCutPoints: [])
        for i in 0..<n { raw[i] /= Double(count) }         // the forest's average on every training row
        let oob = (0..<n).filter { oobCount[$0] > 0 }
        let oobPrediction = oob.map { oobSum[$0] / Double(oobCount[$0]) }
        var metrics: [String: JSONValue] = ["trees": .number(Double(count)), "oob_rows": .number(Double(oob.count))]
        if classification {
            model.riskCutPoints = BinaryClassification.riskCutPoints(raw)
            metrics["auc"] = ClassificationMetrics.rocAUC(raw, y.map { $0 == 1 }).map { .number($0) } ?? .null
            metrics["oob_auc"] = ClassificationMetrics.rocAUC(oobPrediction, oob.map { y[$0] == 1 }).map { .number($0) } ?? .null
        } else {
            let r = RegressionMetrics.compute(raw, y)
            metrics["rmse"] = .number(r.rmse); metrics["r2"] = .number(r.r2)
            let o = RegressionMetrics.compute(oobPrediction, oob.map { y[$0] })
            metrics["oob_rmse"] = .number(o.rmse); metrics["oob_r2"] = .number(o.r2)
        }
        model.card.trainingMetrics = .object(metrics)
        model.card.setTrainingMetric("mean_abs_contribution", model.contributionSummary(set, limit: Tree.summaryRows(trees)))
        return model
    }
}
