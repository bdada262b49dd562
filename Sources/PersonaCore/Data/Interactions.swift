/// Compressed sparse rows: row r's entries are indices[indptr[r]..<indptr[r+1]].
public struct SparseRows: Equatable, Sendable {
    public var indptr: [Int]
    public var indices: [Int32]
    public var values: [Float]
    public var rows: Int { indptr.count - 1 }
    public func range(_ r: Int) -> Range<Int> { indptr[r]..<indptr[r + 1] }

    /// Builds CSR from (row, column, value) triples sorted by row then column.
    static func build(rows: Int, _ r: [Int32], _ c: [Int32], _ v: [Float]) -> SparseRows {
        var indptr = [Int](repeating: 0, count: rows + 1)
        for x in r { indptr[Int(x) + 1] += 1 }
        for i in 0..<rows { indptr[i + 1] += indptr[i] }
        return SparseRows(indptr: indptr, indices: c, values: v)
    }

    /// The transpose, with each row's entries in column order.
    func transposed(columns: Int) -> SparseRows {
        var counts = [Int](repeating: 0, count: columns + 1)
        for c in indices { counts[Int(c) + 1] += 1 }
        for i in 0..<columns { counts[i + 1] += counts[i] }
        var next = counts
        var idx = [Int32](repeating: 0, count: indices.count), val = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            for t in range(r) {
                let c = Int(indices[t])
                idx[next[c]] = Int32(r); val[next[c]] = values[t]; next[c] += 1
            }
        }
        return SparseRows(indptr: counts, indices: idx, values: val)
    }
}

public enum DuplicatePolicy: String, Codable, Sendable, CaseIterable { case error, sum, last, mean }

/// User-item interactions read from a CSV file, with string ids mapped to dense indices.
public struct Interactions {
    public var userIds: [String]
    public var itemIds: [String]
    public var byUser: SparseRows
    public var byItem: SparseRows
    public var duplicatesMerged: Int
    /// Fingerprint of the file's bytes.
    public var fingerprint: String = ""

    public var count: Int { byUser.indices.count }

    /// The rows of a file (or of one part of it, read in parallel), ids numbered
    /// by their bytes (spaces and tabs trimmed) in order of first appearance:
    /// no String is built per row.
    private struct Rows {
        var users = ByteCounter(), items = ByteCounter()
        var userOf: [Int32] = [], itemOf: [Int32] = [], valueOf: [Float] = []
        /// Each row's line, kept only to name a duplicate rating's line.
        var lineOf: [Int]? = nil
    }

    /// Which columns hold what.
    private struct Columns {
        let user: String, item: String, rating: String?
        let ui: Int, ii: Int, ri: Int?
    }

    /// - Parameter rating: the value column; without it every row counts 1.
    public static func read(path: String, user: String, item: String, rating: String?, duplicates: DuplicatePolicy,
                            delimiter: UInt8 = UInt8(ascii: ",")) throws -> Interactions {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        func column(_ name: String, _ flag: String) throws -> Int { try reader.column(name, namedWith: flag) }
        let columns = Columns(user: user, item: item, rating: rating, ui: try column(user, "--user"), ii: try column(item, "--item"),
                              ri: try rating.map { try column($0, "--rating") })
        // A large file is read in parts on every core and the parts joined in file
        // order (the same ids, numbers and rows as one pass). Any error there, and a
        // duplicate rating that must name its line, send the file to the one pass,
        // which names the exact line.
        if let read = Profiler.inParts(path: path, delimiter: delimiter, count: 8, { part, _ in
               try collect(part, path: path, columns, keepLines: false)
           }), let rows = try? joined(read.results, path: path),
           let result = try assemble(rows, path: path, columns, duplicates: duplicates, fingerprint: read.fingerprint) {
            return result
        }
        // Lines are kept whenever a duplicate must name its line, so this pass always assembles.
        let rows = try collect(reader, path: path, columns, keepLines: duplicates == .error)
        return try assemble(rows, path: path, columns, duplicates: duplicates, fingerprint: reader.dataFingerprint.hex)!
    }

    /// Reads every row of `reader`.
    private static func collect(_ reader: CSVReader, path: String, _ c: Columns, keepLines: Bool) throws -> Rows {
        var rows = Rows()
        var lineOf: [Int] = []
        var rec = CSVRecord()
        // The id in `column`, numbered in `counter`; a missing one is an error naming its line.
        func id(_ column: Int, _ name: String, _ what: String, _ counter: inout ByteCounter) throws -> Int {
            try rec.withField(column) { f -> Int in
                let id = trimmedSpaces(f)
                if id.isEmpty || MissingMarkers.isMissing(id) {
                    throw PersonaError.data(file: path, line: rec.line, column: column + 1, columnName: name, "the \(what) id is missing",
                                            fix: "Every row needs a user and an item")
                }
                return counter.add(id)
            }
        }
        while try reader.next(into: &rec) {
            let u = try id(c.ui, c.user, "user", &rows.users)
            let it = try id(c.ii, c.item, "item", &rows.items)
            var value: Float = 1
            if let ri = c.ri {
                guard let v = rec.number(ri) else {
                    throw PersonaError.data(file: path, line: rec.line, column: ri + 1, columnName: c.rating,
                                            "the rating \"\(rec.string(ri))\" is not a number", fix: "Ratings and counts must be numbers")
                }
                if v < 0 {
                    throw PersonaError.data(file: path, line: rec.line, column: ri + 1, columnName: c.rating,
                                            "the rating \(rec.string(ri)) is negative", fix: "Ratings and counts must be zero or more")
                }
                value = Float(v)
            }
            guard rows.userOf.count < Int(Int32.max) else {
                throw PersonaError.data(file: path, line: rec.line, "has more than \(Int32.max) interactions", fix: "Split the file, or sample it")
            }
            rows.userOf.append(Int32(u)); rows.itemOf.append(Int32(it)); rows.valueOf.append(value)
            if keepLines { lineOf.append(rec.line) }
        }
        if keepLines { rows.lineOf = lineOf }
        return rows
    }

    /// The parts' rows in file order, each part's ids renumbered into the whole
    /// file's order of first appearance (the first part's numbers stay).
    private static func joined(_ parts: [Rows], path: String) throws -> Rows {
        var all = parts[0]
        let total = parts.reduce(0) { $0 + $1.userOf.count }
        guard total < Int(Int32.max) else {
            throw PersonaError.data(file: path, "has more than \(Int32.max) interactions", fix: "Split the file, or sample it")
        }
        all.userOf.reserveCapacity(total); all.itemOf.reserveCapacity(total); all.valueOf.reserveCapacity(total)
        for part in parts.dropFirst() {
            let users = (0..<part.users.distinct).map { e in Int32(part.users.withValue(e) { all.users.add($0) }) }
            let items = (0..<part.items.distinct).map { e in Int32(part.items.withValue(e) { all.items.add($0) }) }
            all.userOf.append(contentsOf: part.userOf.lazy.map { users[Int($0)] })
            all.itemOf.append(contentsOf: part.itemOf.lazy.map { items[Int($0)] })
            all.valueOf.append(contentsOf: part.valueOf)
        }
        return all
    }

    /// Orders the rows by (user, item), file order among duplicates, merges
    /// duplicates and builds both layouts. Nil when a duplicate must be refused
    /// by its line and the rows' lines were not kept.
    private static func assemble(_ r: Rows, path: String, _ c: Columns, duplicates: DuplicatePolicy,
                                 fingerprint: String) throws -> Interactions? {
        if r.userOf.isEmpty {
            throw PersonaError.data(file: path, "has no interactions (a header and no rows)", fix: "Add rows of user, item and rating")
        }
        let userIds = try distinctIds(r.users, path: path, what: "user", column: c.user)
        let itemIds = try distinctIds(r.items, path: path, what: "item", column: c.item)
        // Two stable counting sorts: by item, then by user.
        let byItemFirst = countingOrder(keys: r.itemOf, buckets: itemIds.count, over: nil)
        let order = countingOrder(keys: r.userOf, buckets: userIds.count, over: byItemFirst)
        var rows: [Int32] = [], cols: [Int32] = [], vals: [Float] = []
        rows.reserveCapacity(order.count); cols.reserveCapacity(order.count); vals.reserveCapacity(order.count)
        var merged = 0
        var runCount = 0
        for k32 in order {
            let k = Int(k32)
            let u = r.userOf[k], i = r.itemOf[k], v = r.valueOf[k]
            if let lastU = rows.last, let lastI = cols.last, lastU == u, lastI == i {
                merged += 1
                runCount += 1
                switch duplicates {
                case .error:
                    guard let lineOf = r.lineOf else { return nil }
                    throw PersonaError.data(file: path, line: lineOf[k],
                                            "user \"\(userIds[Int(u)])\" rates item \"\(itemIds[Int(i)])\" more than once",
                                            fix: "Remove the duplicate, or choose --duplicates last|mean|sum")
                case .sum: vals[vals.count - 1] += v
                case .last: vals[vals.count - 1] = v
                case .mean: vals[vals.count - 1] += (v - vals[vals.count - 1]) / Float(runCount)
                }
            } else {
                rows.append(u); cols.append(i); vals.append(v)
                runCount = 1
            }
        }
        let byUser = SparseRows.build(rows: userIds.count, rows, cols, vals)
        return Interactions(userIds: userIds, itemIds: itemIds, byUser: byUser, byItem: byUser.transposed(columns: itemIds.count),
                            duplicatesMerged: merged, fingerprint: fingerprint)
    }

    /// The ids in order of first appearance. Ids that differ in bytes but not as
    /// text (invalid UTF-8, or the same letters composed differently) would be one
    /// user to every lookup by name: refused.
    private static func distinctIds(_ counter: ByteCounter, path: String, what: String, column: String) throws -> [String] {
        let ids = (0..<counter.distinct).map(counter.value)
        var seen = Set<String>(minimumCapacity: ids.count)
        for id in ids where !seen.insert(id).inserted {
            throw PersonaError.data(file: path, columnName: column,
                                    "two different \(what) ids read as \"\(id)\" (invalid UTF-8, or the same characters encoded differently)",
                                    fix: "Write the ids as UTF-8 in one Unicode normalisation form (NFC)")
        }
        return ids
    }

    /// A stable counting sort: positions ordered by `keys` (0..<buckets), taken in
    /// the order of `over` (or 0, 1, 2, ... without it).
    private static func countingOrder(keys: [Int32], buckets: Int, over: [Int32]?) -> [Int32] {
        var next = [Int](repeating: 0, count: buckets + 1)
        for k in keys { next[Int(k) + 1] += 1 }
        for b in 0..<buckets { next[b + 1] += next[b] }
        var out = [Int32](repeating: 0, count: keys.count)
        if let over {
            for p in over { let b = Int(keys[Int(p)]); out[next[b]] = p; next[b] += 1 }
        } else {
            for p in keys.indices { let b = Int(keys[p]); out[next[b]] = Int32(p); next[b] += 1 }
        }
        return out
    }
}
