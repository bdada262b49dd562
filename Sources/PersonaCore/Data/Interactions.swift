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

    /// - Parameter rating: the value column; without it every row counts 1.
    public static func read(path: String, user: String, item: String, rating: String?, duplicates: DuplicatePolicy,
                            delimiter: UInt8 = UInt8(ascii: ",")) throws -> Interactions {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        func column(_ name: String, _ flag: String) throws -> Int {
            guard let i = reader.columnIndex(name) else {
                throw PersonaError.data(file: path, line: 1, columnName: name, "is named with \(flag) but the file has no such column",
                                        fix: "Columns are: \(reader.header.joined(separator: ", "))")
            }
            return i
        }
        let ui = try column(user, "--user"), ii = try column(item, "--item")
        let ri = try rating.map { try column($0, "--rating") }
        // Ids are told apart by their bytes (spaces and tabs trimmed) and numbered in
        // order of first appearance; no String is built per row.
        var users = ByteCounter(), items = ByteCounter()
        var userOf: [Int32] = [], itemOf: [Int32] = [], valueOf: [Float] = []
        var lineOf: [Int] = []  // kept only to name a duplicate rating's line
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            let u = try rec.withField(ui) { f -> Int in
                let id = trimmedSpaces(f)
                if id.isEmpty || MissingMarkers.isMissing(id) {
                    throw PersonaError.data(file: path, line: rec.line, column: ui + 1, columnName: user, "the user id is missing", fix: "Every row needs a user and an item")
                }
                return users.add(id)
            }
            let it = try rec.withField(ii) { f -> Int in
                let id = trimmedSpaces(f)
                if id.isEmpty || MissingMarkers.isMissing(id) {
                    throw PersonaError.data(file: path, line: rec.line, column: ii + 1, columnName: item, "the item id is missing", fix: "Every row needs a user and an item")
                }
                return items.add(id)
            }
            var value: Float = 1
            if let ri {
                guard let v = rec.number(ri) else {
                    throw PersonaError.data(file: path, line: rec.line, column: ri + 1, columnName: rating,
                                            "the rating \"\(rec.string(ri))\" is not a number", fix: "Ratings and counts must be numbers")
                }
                if v < 0 {
                    throw PersonaError.data(file: path, line: rec.line, column: ri + 1, columnName: rating,
                                            "the rating \(rec.string(ri)) is negative", fix: "Ratings and counts must be zero or more")
                }
                value = Float(v)
            }
            guard userOf.count < Int(Int32.max) else {
                throw PersonaError.data(file: path, line: rec.line, "has more than \(Int32.max) interactions", fix: "Split the file, or sample it")
            }
            userOf.append(Int32(u)); itemOf.append(Int32(it)); valueOf.append(value)
            if duplicates == .error { lineOf.append(rec.line) }
        }
        if userOf.isEmpty {
            throw PersonaError.data(file: path, "has no interactions (a header and no rows)", fix: "Add rows of user, item and rating")
        }
        let userIds = try distinctIds(users, path: path, what: "user", column: user)
        let itemIds = try distinctIds(items, path: path, what: "item", column: item)
        // Ordered by (user, item), file order among duplicates: a stable counting
        // sort by item, then a stable one by user.
        let byItemFirst = countingOrder(keys: itemOf, buckets: itemIds.count, over: nil)
        let order = countingOrder(keys: userOf, buckets: userIds.count, over: byItemFirst)
        var rows: [Int32] = [], cols: [Int32] = [], vals: [Float] = []
        rows.reserveCapacity(order.count); cols.reserveCapacity(order.count); vals.reserveCapacity(order.count)
        var merged = 0
        var runCount = 0
        for k32 in order {
            let k = Int(k32)
            let u = userOf[k], i = itemOf[k], v = valueOf[k]
            if let lastU = rows.last, let lastI = cols.last, lastU == u, lastI == i {
                merged += 1
                runCount += 1
                switch duplicates {
                case .error:
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
                            duplicatesMerged: merged, fingerprint: reader.dataFingerprint.hex)
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

/// The field without leading and trailing spaces and tabs.
@inline(__always) func trimmedSpaces(_ f: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var lo = 0, hi = f.count
    while lo < hi && (f[lo] == 32 || f[lo] == 9) { lo += 1 }
    while hi > lo && (f[hi - 1] == 32 || f[hi - 1] == 9) { hi -= 1 }
    return UnsafeBufferPointer(rebasing: f[lo..<hi])
}
