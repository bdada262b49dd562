import Foundation

/// A fitted ALS recommender: user and item factors, the id maps, each user's
/// seen items, and item popularity, so serving needs nothing else.
public struct ALSModel: TrainableModel, Recommending {
    public static let kind = "als"
    public static let title = "ALS recommender (collaborative filtering)"

    public var card: ModelCard
    public var userFactors: FloatMatrix
    public var itemFactors: FloatMatrix
    public var userIds: [String]
    public var itemIds: [String]
    public var seen: SparseRows          // users x items, training values
    public var popularity: [Int64]       // users per item

    var userIndex: [String: Int] { Dictionary(uniqueKeysWithValues: userIds.enumerated().map { ($1, $0) }) }
    var itemIndex: [String: Int] { Dictionary(uniqueKeysWithValues: itemIds.enumerated().map { ($1, $0) }) }
    /// The settings it was trained with (read once from the card).
    public let config: ALSConfig
    public var implicit: Bool { config.implicit }

    init(card: ModelCard, config: ALSConfig, userFactors: FloatMatrix, itemFactors: FloatMatrix, userIds: [String], itemIds: [String],
         seen: SparseRows, popularity: [Int64]) {
        self.card = card; self.config = config; self.userFactors = userFactors; self.itemFactors = itemFactors
        self.userIds = userIds; self.itemIds = itemIds; self.seen = seen; self.popularity = popularity
    }

    public func tensors() -> [String: Tensor] {
        let (ub, uo) = Tensor.strings(userIds), (ib, io) = Tensor.strings(itemIds)
        return [
            "user_factors": Tensor(userFactors.storage, shape: [userFactors.rows, userFactors.cols]),
            "item_factors": Tensor(itemFactors.storage, shape: [itemFactors.rows, itemFactors.cols]),
            "user_ids": ub, "user_id_offsets": uo, "item_ids": ib, "item_id_offsets": io,
            "seen_indptr": Tensor(seen.indptr.map(Int64.init), shape: [seen.indptr.count]),
            "seen_items": Tensor(seen.indices.map(Int64.init), shape: [seen.indices.count]),
            "seen_values": Tensor(seen.values, shape: [seen.values.count]),
            "item_popularity": Tensor(popularity, shape: [popularity.count]),
        ]
    }

    public init(card: ModelCard, tensors t: [String: Tensor], path: String) throws {
        func bad(_ what: String) -> PersonaError { PersonaError("\(path): corrupted ALS model (\(what))") }
        guard let uf = t["user_factors"], let u = uf.floats, uf.shape.count == 2,
              let itf = t["item_factors"], let i = itf.floats, itf.shape.count == 2, uf.shape[1] == itf.shape[1] else { throw bad("factors") }
        guard let users = Tensor.strings(bytes: t["user_ids"], offsets: t["user_id_offsets"]), users.count == uf.shape[0],
              let itemNames = Tensor.strings(bytes: t["item_ids"], offsets: t["item_id_offsets"]), itemNames.count == itf.shape[0]
        else { throw bad("id maps") }
        guard let indptr = t["seen_indptr"]?.int64s, indptr.count == uf.shape[0] + 1, let items = t["seen_items"]?.int64s,
              let values = t["seen_values"]?.floats, values.count == items.count, indptr.last.map({ Int($0) == items.count }) == true,
              items.allSatisfy({ $0 >= 0 && $0 < itf.shape[0] }), let pop = t["item_popularity"]?.int64s, pop.count == itf.shape[0] else { throw bad("seen items") }
        let config = try ALSConfig(card: card.hyperparameters, file: path)
        self.card = card
        self.config = config
        userFactors = FloatMatrix(rows: uf.shape[0], cols: uf.shape[1], storage: u)
        itemFactors = FloatMatrix(rows: itf.shape[0], cols: itf.shape[1], storage: i)
        userIds = users; itemIds = itemNames
        seen = SparseRows(indptr: indptr.map { Int($0) }, indices: items.map { Int32($0) }, values: values)
        popularity = pop
    }

    // MARK: recommending

    public struct Recommendation { public var item: String; public var score: Double }

    /// Top-N items for each row of `factors` (a block of users), excluding each one's `exclude` items.
    func topItems(_ factors: FloatMatrix, exclude: [Set<Int>], n: Int) -> [[(Int, Float)]] {
        var scratch: [Float] = []
        return topItems(factors, exclude: exclude, n: n, scratch: &scratch)
    }

    /// The same, with the score buffer kept by the caller between blocks, so a
    /// long run does not map and zero fresh pages for every block.
    func topItems(_ factors: FloatMatrix, exclude: [Set<Int>], n: Int, scratch: inout [Float]) -> [[(Int, Float)]] {
        let cols = itemFactors.rows, rows = factors.rows
        if scratch.count < rows * cols { scratch = [Float](repeating: 0, count: rows * cols) }
        scratch.withUnsafeMutableBufferPointer { sp in
            factors.storage.withUnsafeBufferPointer { fp in
                itemFactors.storage.withUnsafeBufferPointer { ip in
                    Float._gemm(false, true, rows, cols, factors.cols, 1, fp.baseAddress!, factors.cols, ip.baseAddress!, factors.cols, 0, sp.baseAddress!, cols)
                }
            }
            // Excluded items drop out of the ranking as -inf (cheaper than a set lookup per item).
            for (r, e) in exclude.enumerated() { for i in e { sp[r * cols + i] = -.infinity } }
        }
        let blocks = Parallel.blocks(rows, minBlock: 32, maxBlocks: 8)
        let parts: [[[(Int, Float)]]] = scratch.withUnsafeBufferPointer { sp in
            let box = UnsafeSendableBox(sp)
            return Parallel.map(blocks.count) { b in
                blocks[b].map { r in TopK.largest(box.value, from: r * cols, count: cols, k: n) }
            }
        }
        return parts.flatMap { $0 }
    }

    /// Items ordered by popularity (ties by item order), excluding some.
    func popularItems(_ n: Int, excluding: Set<Int>) -> [(Int, Float)] {
        let order = popularity.indices.sorted { popularity[$0] != popularity[$1] ? popularity[$0] > popularity[$1] : $0 < $1 }
        return order.lazy.filter { !excluding.contains($0) }.prefix(n).map { ($0, Float(popularity[$0])) }
    }

    func seenItems(_ u: Int) -> Set<Int> { Set(seen.range(u).map { Int(seen.indices[$0]) }) }

    /// YᵀY of the item factors: the shared part of every implicit fold-in.
    func itemGram() -> FloatMatrix {
        var gram = FloatMatrix(rows: itemFactors.cols, cols: itemFactors.cols)
        BLAS.syrk(itemFactors, into: &gram)
        return gram
    }

    /// A new user's factor from their interactions, against the fixed item factors
    /// (`gram` is `itemGram()`, computed once by the caller for implicit models).
    func foldIn(_ history: [(item: Int, value: Float)], gram: FloatMatrix?) -> [Float] {
        let k = itemFactors.cols
        var a = [Float](repeating: 0, count: k * k), b = [Float](repeating: 0, count: k)
        let g = config.implicit ? (gram ?? itemGram()).storage : []
        itemFactors.storage.withUnsafeBufferPointer { yp in
            g.withUnsafeBufferPointer { gp in
                ALSSolver.solveRow(count: history.count, item: { history[$0].item }, value: { history[$0].value },
                                   factors: yp.baseAddress!, k: k, gram: gp.baseAddress, config: config, a: &a, b: &b)
            }
        }
        return b
    }

    public func summary() -> String {
        let m = card.trainingMetrics
        var lines = ["\(userIds.count) users x \(itemIds.count) items, \(seen.indices.count) interactions; \(userFactors.cols) factors, \(implicit ? "implicit feedback" : "explicit ratings")"]
        if let l = m["loss"]?.array?.compactMap(\.double), let last = l.last {
            lines.append("training loss \(formatNumber(last, digits: 6)) after \(l.count) iterations (first \(formatNumber(l.first!, digits: 6)))")
        }
        let top = popularItems(5, excluding: [])
        lines.append("most popular items: " + top.map { "\(itemIds[$0.0]) (\(Int($0.1)))" }.joined(separator: ", "))
        lines.append("")
        lines.append("Recommend with: persona recommend MODEL --user ID --top 10 --exclude-seen")
        return lines.joined(separator: "\n")
    }

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let test = try Interactions.read(path: path, user: config.user, item: config.item, rating: config.rating,
                                         duplicates: .last, delimiter: options.delimiter)
        let report = RankingEvaluation.run(model: self, test: test, k: options.k)
        var evaluation = Evaluation(task: .recommendation, metrics: report.json, text: report.text)
        evaluation.rows = .interactions(test)
        return evaluation
    }

    // MARK: training

    /// A share of each user's interactions is held out (users with one keep it).
    public static func holdOut(path: String, config: ALSConfig, testFraction: Double, stratify: String?, seed: UInt64,
                               trainOut: String, testOut: String, delimiter: UInt8) throws {
        _ = try InteractionSplit.byUser(path: path, user: config.user, testFraction: testFraction, seed: seed,
                                        trainOut: trainOut, testOut: testOut, delimiter: delimiter)
    }

    /// Interactions carry no feature columns: `selection` is not used.
    public static func train(path: String, config: ALSConfig, selection: ColumnSelection,
                             delimiter: UInt8, progress: ProgressHandler?) throws -> ALSModel {
        try train(path: path, config: config, delimiter: delimiter, progress: progress)
    }

    public static func train(path: String, config: ALSConfig, delimiter: UInt8 = UInt8(ascii: ","),
                             progress: ProgressHandler? = nil) throws -> ALSModel {
        try config.validate()
        let start = Date()
        let data = try Interactions.read(path: path, user: config.user, item: config.item, rating: config.rating,
                                         duplicates: config.resolvedDuplicates, delimiter: delimiter)
        progress?("read \(data.count) interactions: \(data.userIds.count) users x \(data.itemIds.count) items\(data.duplicatesMerged > 0 ? ", \(data.duplicatesMerged) duplicates merged (\(config.resolvedDuplicates.rawValue))" : "") in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        let k = config.factors
        var rng = PersonaRandom(seed: config.seed)
        var x = FloatMatrix(rows: data.userIds.count, cols: k), y = FloatMatrix(rows: data.itemIds.count, cols: k)
        for t in x.storage.indices { x.storage[t] = Float(rng.uniform()) * 0.01 }
        for t in y.storage.indices { y.storage[t] = Float(rng.uniform()) * 0.01 }
        var losses: [Double] = []
        let fitStart = Date()
        func record(_ loss: Double) {
            losses.append(loss)
            progress?("iteration \(losses.count)/\(config.iterations): loss \(formatNumber(loss, digits: 8))")
        }
        for it in 1...config.iterations {
            // The conjugate-gradient user step reports the loss of the factors it
            // starts from, those of the iteration before: one pass over the
            // interactions fewer per iteration. The last iteration's loss, and every
            // loss of the other solvers, takes its own pass.
            let penalty = it > 1 && ALSSolver.reportsLoss(config)
                ? ALSSolver.penalty(x: x, y: y, byUser: data.byUser, byItem: data.byItem, config: config) : nil
            let previous = ALSSolver.update(&x, fixed: y, rows: data.byUser, config: config)
            if let penalty, let previous { record(previous + penalty) }
            ALSSolver.update(&y, fixed: x, rows: data.byItem, config: config)
            if it == config.iterations || !ALSSolver.reportsLoss(config) {
                record(ALSSolver.loss(x: x, y: y, byUser: data.byUser, byItem: data.byItem, config: config))
            }
        }
        progress?("fitted in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s")
        var popularity = [Int64](repeating: 0, count: data.itemIds.count)
        for i in 0..<data.itemIds.count { popularity[i] = Int64(data.byItem.range(i).count) }
        let card = ModelCard(kind: kind, pipeline: FeaturePipeline(columns: [], standardize: false),
                             hyperparameters: config.card,
                             trainingMetrics: .object(["loss": .array(losses.map { .number($0) }), "interactions": .number(Double(data.count))]),
                             trainingData: DataFingerprintInfo(file: (path as NSString).lastPathComponent, rows: data.count, columns: 0,
                                                               hash: data.fingerprint))
        return ALSModel(card: card, config: config, userFactors: x, itemFactors: y, userIds: data.userIds, itemIds: data.itemIds,
                        seen: data.byUser, popularity: popularity)
    }
}
