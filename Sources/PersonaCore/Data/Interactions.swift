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
        var userIndex: [String: Int32] = [:], itemIndex: [String: Int32] = [:]
        var userIds: [String] = [], itemIds: [String] = []
        var triples: [(Int32, Int32, Float, Int)] = []
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            let u = rec.string(ui).trimmingASCIISpaces(), it = rec.string(ii).trimmingASCIISpaces()
            if u.isEmpty || MissingMarkers.isMissing(u) {
                throw PersonaError.data(file: path, line: rec.line, column: ui + 1, columnName: user, "the user id is missing", fix: "Every row needs a user and an item")
            }
            if it.isEmpty || MissingMarkers.isMissing(it) {
                throw PersonaError.data(file: path, line: rec.line, column: ii + 1, columnName: item, "the item id is missing", fix: "Every row needs a user and an item")
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
            let uIdx: Int32
            if let x = userIndex[u] { uIdx = x } else { uIdx = Int32(userIds.count); userIndex[u] = uIdx; userIds.append(u) }
            let iIdx: Int32
            if let x = itemIndex[it] { iIdx = x } else { iIdx = Int32(itemIds.count); itemIndex[it] = iIdx; itemIds.append(it) }
            triples.append((uIdx, iIdx, value, rec.line))
        }
        if triples.isEmpty {
            throw PersonaError.data(file: path, "has no interactions (a header and no rows)", fix: "Add rows of user, item and rating")
        }
        // Sort by (user, item), keeping file order among duplicates.
        let order = triples.indices.sorted { a, b in
            let x = triples[a], y = triples[b]
            return x.0 != y.0 ? x.0 < y.0 : (x.1 != y.1 ? x.1 < y.1 : a < b)
        }
        var rows: [Int32] = [], cols: [Int32] = [], vals: [Float] = []
        var merged = 0
        var runCount = 0
        for k in order {
            let (u, i, v, line) = triples[k]
            if let lastU = rows.last, let lastI = cols.last, lastU == u, lastI == i {
                merged += 1
                runCount += 1
                switch duplicates {
                case .error:
                    throw PersonaError.data(file: path, line: line,
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
}
