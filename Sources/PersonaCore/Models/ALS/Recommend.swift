/// Streams recommendations as `user,item,rank,score,source` rows.
public enum Recommender {
    public enum Users { case one(String), file(String), all }

    public struct Summary { public var users: Int; public var rows: Int; public var coldStart: Int }

    public static func run(model: ALSModel, users: Users, top: Int, excludeSeen: Bool, history: String?, output: String?,
                           delimiter: UInt8 = UInt8(ascii: ","), write: (String) -> Void) throws -> Summary {
        guard top >= 1 else { throw PersonaError("--top must be at least 1 (got \(top))") }
        let config = model.config
        var ids: [String]
        switch users {
        case .one(let id): ids = [id]
        case .all: ids = model.userIds
        case .file(let path):
            let reader = try CSVReader(path: path, delimiter: delimiter)
            let col = reader.columnIndex(config.user) ?? 0
            ids = []
            var rec = CSVRecord()
            while try reader.next(into: &rec) { let s = rec.string(col).trimmingASCIISpaces(); if !s.isEmpty { ids.append(s) } }
            if ids.isEmpty { throw PersonaError.data(file: path, "lists no users", fix: "One user id per row, under a header") }
        }
        // Histories of users the model has not seen, from --history.
        var histories: [String: [(item: Int, value: Float)]] = [:]
        if let history {
            let h = try Interactions.read(path: history, user: config.user, item: config.item, rating: config.rating,
                                          duplicates: config.implicit ? .sum : .last, delimiter: delimiter)
            let itemIndex = model.itemIndex
            for u in 0..<h.userIds.count {
                histories[h.userIds[u]] = h.byUser.range(u).compactMap { t in
                    itemIndex[h.itemIds[Int(h.byUser.indices[t])]].map { ($0, h.byUser.values[t]) }
                }
            }
        }
        let userIndex = model.userIndex
        if case .one(let id) = users, userIndex[id] == nil, histories[id] == nil {
            throw PersonaError("user \"\(id)\" is not in the model (it knows \(model.userIds.count) users). Give their interactions with --history FILE, or use --users FILE for a batch (unknown users then get the most popular items)")
        }
        let writer = try output.map { try CSVWriter(path: $0, delimiter: delimiter) }
        func emit(_ fields: [String]) { if let writer { writer.row(fields) } else { write(fields.joined(separator: ",")) } }
        emit(["user", "item", "rank", "score", "source"])
        var rows = 0, cold = 0
        do {
            let block = 256
            var scratch: [Float] = []
            var gram: FloatMatrix? = nil      // YᵀY, once, for the users folded in
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(ids.count, start + block)])
                var factors = FloatMatrix(rows: chunk.count, cols: model.userFactors.cols)
                var exclude: [Set<Int>] = []
                var source: [String] = []
                for (r, id) in chunk.enumerated() {
                    if let u = userIndex[id] {
                        for j in 0..<factors.cols { factors[r, j] = model.userFactors[u, j] }
                        exclude.append(excludeSeen ? model.seenItems(u) : [])
                        source.append("model")
                    } else if let h = histories[id], !h.isEmpty {
                        if gram == nil && config.implicit { gram = model.itemGram() }
                        let f = model.foldIn(h, gram: gram)
                        for j in 0..<factors.cols { factors[r, j] = f[j] }
                        exclude.append(excludeSeen ? Set(h.map(\.item)) : [])
                        source.append("history")
                    } else {
                        exclude.append([])
                        source.append("popular")
                    }
                }
                let lists = model.topItems(factors, exclude: exclude, n: top, scratch: &scratch)
                for (r, id) in chunk.enumerated() {
                    let list = source[r] == "popular" ? model.popularItems(top, excluding: exclude[r]) : lists[r]
                    if source[r] == "popular" { cold += 1 }
                    for (rank, (item, score)) in list.enumerated() {
                        if let writer {
                            writer.field(id); writer.field(model.itemIds[item]); writer.field(rank + 1)
                            writer.field(shortest: score); writer.field(source[r]); writer.endRow()
                        } else {
                            emit([id, model.itemIds[item], String(rank + 1), score.description, source[r]])
                        }
                        rows += 1
                    }
                }
                start += block
            }
            try writer?.commit()
        } catch {
            writer?.abandon()
            throw error
        }
        return Summary(users: ids.count, rows: rows, coldStart: cold)
    }

    /// Items nearest to `item` by cosine similarity of the item factors.
    public static func similar(model: ALSModel, item: String, top: Int) throws -> [(String, Double)] {
        guard let i = model.itemIndex[item] else {
            throw PersonaError("item \"\(item)\" is not in the model (it knows \(model.itemIds.count) items)")
        }
        let k = model.itemFactors.cols
        var norms = [Float](repeating: 0, count: model.itemFactors.rows)
        for r in 0..<model.itemFactors.rows { var s: Float = 0; for j in 0..<k { s += model.itemFactors[r, j] * model.itemFactors[r, j] }; norms[r] = s.squareRoot() }
        var scores = [Float](repeating: 0, count: model.itemFactors.rows)
        BLAS.gemv(model.itemFactors, Array(model.itemFactors.row(i)), into: &scores)
        for r in scores.indices { scores[r] = norms[r] > 0 && norms[i] > 0 ? scores[r] / (norms[r] * norms[i]) : 0 }
        return TopK.largest(scores, from: 0, count: scores.count, k: top, excluding: [i]).map { (model.itemIds[$0.0], Double($0.1)) }
    }
}

/// Holds out a share of each user's interactions for evaluation.
public enum InteractionSplit {
    public static func byUser(path: String, user: String, testFraction: Double, seed: UInt64, trainOut: String, testOut: String,
                              delimiter: UInt8 = UInt8(ascii: ",")) throws -> (train: Int, test: Int) {
        guard testFraction > 0 && testFraction < 1 else { throw PersonaError("--test-fraction must be between 0 and 1 (got \(testFraction))") }
        let first = try CSVReader(path: path, delimiter: delimiter)
        let ui = try first.column(user, namedWith: "--user")
        var rowsOf: [String: [Int]] = [:], order: [String] = []
        var rec = CSVRecord()
        var n = 0
        while try first.next(into: &rec) {
            let u = rec.string(ui)
            if rowsOf[u] == nil { order.append(u) }
            rowsOf[u, default: []].append(n)
            n += 1
        }
        if n == 0 { throw PersonaError.data(file: path, "has no interactions", fix: "Add rows") }
        var isTest = [Bool](repeating: false, count: n)
        var rng = PersonaRandom(seed: seed)
        for u in order {
            var rows = rowsOf[u]!
            if rows.count < 2 { continue }     // a single interaction stays in training
            rng.shuffle(&rows)
            let take = min(rows.count - 1, max(1, Int((Double(rows.count) * testFraction).rounded())))
            for r in rows.prefix(take) { isTest[r] = true }
        }
        let tests = try Splitter.writeParts(path: path, isTest: isTest, trainOut: trainOut, testOut: testOut, delimiter: delimiter)
        return (n - tests, tests)
    }
}
