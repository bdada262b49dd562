/// Rows read once into memory, typed and profiled: what a family's `fit`
/// trains on and what cross-validation cuts into folds.
///
/// A set holds each column's parsed values (numbers as Float32, text as codes
/// into the column's dictionary), not a copy of the file's text. A subset (a
/// fold) shares the dictionaries and re-profiles its own rows, so a model fitted
/// on it learns its levels, medians and scales from those rows alone, as it
/// would from a file holding just them. Column types stay those of the whole
/// data: they describe the file, not the rows a fold happens to hold.
public struct TrainingSet {
    /// The file the rows came from (named in messages and in the model card).
    public let file: String
    public let delimiter: UInt8
    /// Types and statistics of these rows.
    public let profile: DataProfile
    var store: ColumnStore
    /// For a subset, the row of the file each row is (ascending); nil for the whole file.
    let fileRows: [Int]?
    /// For a subset made by `subset(_:pipelineFromWhole:)`: the whole set, whose
    /// rows the feature pipeline is fitted on (levels, medians, scales), so that
    /// models fitted on different parts of it read rows through one pipeline.
    let pipelineBasis: PipelineBasis?

    final class PipelineBasis {
        let set: TrainingSet
        init(_ set: TrainingSet) { self.set = set }
    }

    /// The profile the feature pipeline is built from.
    var pipelineProfile: DataProfile { pipelineBasis?.set.profile ?? profile }

    public var rows: Int { store.rows }
    public var columnNames: [String] { profile.columns.map(\.name) }

    init(file: String, delimiter: UInt8, profile: DataProfile, store: ColumnStore, fileRows: [Int]?, pipelineBasis: PipelineBasis? = nil) {
        self.file = file; self.delimiter = delimiter; self.profile = profile; self.store = store; self.fileRows = fileRows
        self.pipelineBasis = pipelineBasis
    }

    /// Reads and profiles a CSV file in one pass.
    public static func read(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> TrainingSet {
        let (profile, store) = try Profiler.profileKeepingValues(path: path, delimiter: delimiter, keep: true)
        guard let store else { throw PersonaError("\(path): could not be read") }
        return TrainingSet(file: path, delimiter: delimiter, profile: profile, store: store, fileRows: nil)
    }

    /// The index of a column, or an error naming the file's columns.
    func columnIndex(_ name: String, role: String = "column") throws -> Int {
        guard let j = profile.columns.firstIndex(where: { $0.name == name }) else {
            throw PersonaError.data(file: file, line: 1, columnName: name, "the \(role) is not in the header",
                                    fix: "Columns are: \(columnNames.joined(separator: ", "))")
        }
        return j
    }

    /// A column's values as labels: nil when missing, whole numbers without a
    /// fraction ("1", not "1.0"), text trimmed.
    public func labels(of column: String) throws -> [String?] {
        let j = try columnIndex(column, role: "target column")
        if let l = store.columns[j].labels() { return l }
        // Not kept whole in memory: read it from the file.
        let all = try BinaryTarget.labels(of: column, path: file, delimiter: delimiter)
        return fileRows.map { $0.map { all[$0] } } ?? all
    }

    /// The same as each distinct label once and, per row, its index among them
    /// (-1 when missing).
    func labelCodes(of column: String) throws -> (values: [String], codes: [Int32]) {
        let j = try columnIndex(column, role: "target column")
        if let l = store.columns[j].labelCodes() { return l }
        var values: [String] = [], index: [String: Int32] = [:]
        let codes = try labels(of: column).map { l -> Int32 in
            guard let l else { return -1 }
            if let c = index[l] { return c }
            values.append(l); index[l] = Int32(values.count - 1)
            return Int32(values.count - 1)
        }
        return (values, codes)
    }

    /// The physical line of the file a row was read from, when it is known
    /// without reading the file (rows of an unquoted file are one line each).
    func fileRow(_ i: Int) -> Int { fileRows?[i] ?? i }

    /// The rows at `indices` (ascending, each below `rows`) as a set of their own.
    /// With `pipelineFromWhole`, a model fitted on the subset takes its feature
    /// pipeline from all rows of this set (the models of an uplift learner, one per
    /// arm, then read a row the same way); otherwise from the subset's rows alone.
    public func subset(_ indices: [Int], pipelineFromWhole: Bool) -> TrainingSet {
        let sub = subset(indices)
        guard pipelineFromWhole else { return sub }
        return TrainingSet(file: sub.file, delimiter: sub.delimiter, profile: sub.profile, store: sub.store, fileRows: sub.fileRows,
                           pipelineBasis: pipelineBasis ?? PipelineBasis(self))
    }

    /// The rows at `indices` (ascending, each below `rows`) as a set of their own.
    public func subset(_ indices: [Int]) -> TrainingSet {
        precondition(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 }, "subset rows must be ascending")
        var columns: [ColumnStore.Column] = []
        var profiles: [ColumnProfile] = []
        for (j, c) in store.columns.enumerated() {
            var sub = ColumnStore.Column(floats: c.floats.map { f in indices.map { f[$0] } },
                                         codes: c.codes.map { k in indices.map { k[$0] } }, counter: c.counter)
            profiles.append(Self.profile(of: &sub, like: profile.columns[j]))
            columns.append(sub)
        }
        let p = DataProfile(file: profile.file, rows: indices.count, columns: profiles, fingerprint: profile.fingerprint)
        return TrainingSet(file: file, delimiter: delimiter, profile: p, store: ColumnStore(rows: indices.count, columns: columns),
                           fileRows: fileRows.map { rows in indices.map { rows[$0] } } ?? indices)
    }

    /// The same rows with a column's values replaced by 0/1 labels (an uplift
    /// learner's transformed outcome): the column becomes a boolean column whose
    /// labels are "1" and "0".
    public func replacing(column name: String, with values: [Bool]) throws -> TrainingSet {
        precondition(values.count == rows)
        let j = try columnIndex(name)
        var store = self.store
        var column = ColumnStore.Column(floats: values.map { $0 ? 1 : 0 }, codes: nil, counter: ByteCounter())
        var like = profile.columns[j]
        like.type = .boolean
        like.mean = 0
        like.topValues = []
        var columns = profile.columns
        columns[j] = Self.profile(of: &column, like: like)
        store.columns[j] = column
        let p = DataProfile(file: profile.file, rows: rows, columns: columns, fingerprint: profile.fingerprint)
        return TrainingSet(file: file, delimiter: delimiter, profile: p, store: store, fileRows: fileRows, pipelineBasis: pipelineBasis)
    }

    /// A column's statistics over a subset's values, its type kept from the whole data.
    static func profile(of c: inout ColumnStore.Column, like whole: ColumnProfile) -> ColumnProfile {
        var p = whole
        if let codes = c.codes {
            var counts = [Int](repeating: 0, count: c.counter.distinct)
            var missing = 0
            for k in codes { if k >= 0 { counts[Int(k)] += 1 } else if k == -1 { missing += 1 } }
            p.count = codes.count
            p.missing = missing
            p.distinct = counts.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
            let n = whole.type == .categorical ? FeaturePipeline.maxLevels : whole.type == .boolean ? 2 : 0
            if n > 0 {
                let order = counts.indices.filter { counts[$0] > 0 }.sorted {
                    counts[$0] != counts[$1] ? counts[$0] > counts[$1] : c.counter.value($0) < c.counter.value($1)
                }
                p.topValues = order.prefix(n).map { ColumnProfile.ValueCount(value: c.counter.value($0), count: counts[$0]) }
            }
        }
        if let floats = c.floats {
            var present = 0, sum = 0.0, sumSquares = 0.0, lo = Double.infinity, hi = -Double.infinity
            let shift = Double(floats.first { !$0.isNaN } ?? 0)
            for f in floats where !f.isNaN {
                let v = Double(f), d = v - shift
                present += 1; sum += d; sumSquares += d * d
                lo = min(lo, v); hi = max(hi, v)
            }
            p.count = floats.count
            p.missing = floats.count - present
            if present > 0 && (whole.type == .numeric || whole.type == .boolean) && whole.mean != nil {
                let n = Double(present), m = sum / n
                p.mean = shift + m
                p.std = n > 1 ? max(0, (sumSquares - n * m * m) / (n - 1)).squareRoot() : 0
                p.min = lo; p.max = hi
            }
        }
        return p
    }
}

/// Seeded folds over a training set: index sets, nothing copied to disk.
public enum Folds {
    /// Deals rows to `k` folds after shuffling; with `strata`, each stratum is
    /// shuffled and dealt on its own, so every fold keeps the strata's shares.
    public static func assign(rows: Int, k: Int, seed: UInt64, strata: [Int]? = nil) -> [Int] {
        var rng = PersonaRandom(seed: seed)
        var fold = [Int](repeating: 0, count: rows)
        var groups: [[Int]]
        if let strata {
            var byStratum: [Int: [Int]] = [:]
            for i in 0..<rows { byStratum[strata[i], default: []].append(i) }
            groups = byStratum.keys.sorted().map { byStratum[$0]! }
        } else {
            groups = [Array(0..<rows)]
        }
        for g in groups.indices {
            rng.shuffle(&groups[g])
            for (t, i) in groups[g].enumerated() { fold[i] = t % k }
        }
        return fold
    }

    /// The training and held-out rows of fold `f` (each ascending).
    public static func split(_ fold: [Int], _ f: Int) -> (train: [Int], test: [Int]) {
        var train: [Int] = [], test: [Int] = []
        for (i, g) in fold.enumerated() { if g == f { test.append(i) } else { train.append(i) } }
        return (train, test)
    }
}

extension FeaturePipeline {
    /// Encodes a training set's rows through this fitted pipeline exactly as
    /// `transform(path:)` encodes the same rows from their file, and returns the
    /// labels of the `keep` columns (nil when missing). `raw` leaves numbers
    /// unimputed and unscaled and missing categories as all-zero blocks (trees).
    public func transform(_ data: TrainingSet, keep: [String] = [], raw: Bool = false) throws -> (matrix: FloatMatrix, labels: [[String?]]) {
        let labels = try keep.map { try data.labels(of: $0) }
        let names = data.columnNames
        let missing = columns.map(\.source).filter { !names.contains($0) }
        if !missing.isEmpty {
            throw PersonaError.data(file: data.file, line: 1,
                                    "the model needs column\(missing.count > 1 ? "s" : "") \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), missing from the header",
                                    fix: "Use data with the columns the model was trained on (see `persona inspect MODEL`)")
        }
        let encoder = RowEncoder(self)
        let mode: RowEncoder.Mode = raw ? .raw : .features
        let kept = columns.indices.map { encoder.columnValues($0, data.store.columns[names.firstIndex(of: columns[$0].source)!], mode) }
        guard kept.allSatisfy({ $0 != nil }) else {
            // A column the profiler could not keep whole: encode the rows from the file.
            let (m, _) = try transform(path: data.file, delimiter: data.delimiter, raw: raw)
            guard let rows = data.fileRows else { return (m, labels) }
            var out = FloatMatrix(rows: rows.count, cols: m.cols)
            for (i, r) in rows.enumerated() { for j in 0..<m.cols { out[i, j] = m[r, j] } }
            return (out, labels)
        }
        let n = data.rows, width = encoder.width
        let storage = [Float](unsafeUninitializedCapacity: n * width) { out, count in
            encoder.encodeColumns(kept.map { $0! }, rows: n, into: out, mode)
            count = n * width
        }
        let m = FloatMatrix(rows: n, cols: width, storage: storage)
        return (m, labels)
    }
}
