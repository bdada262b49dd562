/// Training data for trees: every input column as one byte per row (its bin).
/// Bin 0 holds missing values. A numeric column's bins are cut at `cuts`
/// (a value x falls in bin 1 + the number of cuts below x); a categorical
/// column's bin 1 + i is level i, and the bin after the last level holds
/// categories beyond the kept levels.
struct TreeData {
    struct Feature {
        var name: String
        var categorical: Bool
        var cuts: [Double]          // numeric only, ascending
        var levels: [String]        // categorical only
        var bins: Int { categorical ? levels.count + 2 : cuts.count + 2 }
    }
    var features: [Feature]
    var bins: [[UInt8]]             // [feature][row]
    var rows: Int

    /// Cut points for a numeric column: midpoints between consecutive distinct
    /// values when there are few enough, else between quantiles of the values.
    static func cuts(_ values: [Float], maxBins: Int) -> [Double] {
        let sorted = sortedNumbers(values)
        if sorted.isEmpty { return [] }
        var distinct: [Float] = []
        for v in sorted where distinct.last != v { distinct.append(v) }
        let valueBins = maxBins - 1
        if distinct.count <= valueBins {
            return (1..<distinct.count).map { (Double(distinct[$0 - 1]) + Double(distinct[$0])) / 2 }
        }
        var cuts: [Double] = []
        for q in 1..<valueBins {
            let v = sorted[sorted.count * q / valueBins]
            // the next distinct value above v
            var lo = 0, hi = distinct.count
            while lo < hi { let m = (lo + hi) / 2; if distinct[m] <= v { lo = m + 1 } else { hi = m } }
            if lo >= distinct.count { break }
            let cut = (Double(v) + Double(distinct[lo])) / 2
            if cuts.last.map({ cut > $0 }) ?? true { cuts.append(cut) }
        }
        return cuts
    }

    /// The values other than NaN in ascending order (-0 before +0, which
    /// compare equal): a radix sort of their bits, three passes of 11 bits,
    /// several times faster than a comparison sort on a column of a million.
    static func sortedNumbers(_ values: [Float]) -> [Float] {
        // Keys that order as the numbers do (`Binner.key`).
        var keys: [UInt32] = []
        keys.reserveCapacity(values.count)
        for v in values where !v.isNaN { keys.append(Binner.key(v)) }
        let n = keys.count
        var other = [UInt32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: 3 * 2048)
        var inOther = false
        keys.withUnsafeMutableBufferPointer { a in
            other.withUnsafeMutableBufferPointer { b in
                counts.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        let k = a[i]
                        c[Int(k & 2047)] += 1; c[2048 + Int((k >> 11) & 2047)] += 1; c[4096 + Int(k >> 22)] += 1
                    }
                    for pass in 0..<3 {
                        let digits = c.baseAddress! + pass * 2048, shift = UInt32(11 * pass)
                        let (from, to) = inOther ? (b, a) : (a, b)
                        // a pass in which every key has the same digit leaves them as they are
                        if n == 0 || digits[Int((from[0] >> shift) & 2047)] == n { continue }
                        var start = 0
                        for d in 0..<2048 { let count = digits[d]; digits[d] = start; start += count }
                        for i in 0..<n {
                            let k = from[i], d = Int((k >> shift) & 2047)
                            to[digits[d]] = k; digits[d] += 1
                        }
                        inOther.toggle()
                    }
                }
            }
        }
        return (inOther ? other : keys).map(Binner.value)
    }

    /// A value's bin: 0 for missing, else 1 + the number of cuts below it.
    @inline(__always) static func bin(_ x: Float, _ cuts: UnsafeBufferPointer<Double>) -> UInt8 {
        if x.isNaN { return 0 }
        let v = Double(x)
        var n = cuts.count
        if n == 0 { return 1 }
        // the first cut at or above v, by halving without branches (the comparison becomes a conditional move)
        var base = 0
        while n > 1 {
            let half = n / 2
            base = cuts[base + half - 1] < v ? base + half : base
            n -= half
        }
        return UInt8(1 + base + (cuts[base] < v ? 1 : 0))
    }

    /// Bins values by a column's cuts as `bin` does, faster on a long column:
    /// the top 16 bits of a value's order-keeping key (as in `sortedNumbers`)
    /// index two tables that bound its bin (the cuts below the least value with
    /// those bits, and those at or below the greatest), so the search by halving
    /// covers the few cuts between, usually none or one.
    struct Binner {
        let cuts: [Double]
        private var low: [Int32], high: [Int32]

        init(cuts: [Double]) {
            self.cuts = cuts
            low = [Int32](repeating: 0, count: 1 << 16)
            high = [Int32](repeating: Int32(cuts.count), count: 1 << 16)
            // Keys rise with the values, so one sweep with two counts fills both
            // tables; a least or greatest value that is NaN (the keys at either
            // end) leaves the widest bound.
            var below = 0, atOrBelow = 0
            for prefix in 0..<(1 << 16) {
                let least = Self.value(UInt32(prefix) << 16), greatest = Self.value(UInt32(prefix) << 16 | 0xFFFF)
                if !least.isNaN {
                    while below < cuts.count && cuts[below] < Double(least) { below += 1 }
                    low[prefix] = Int32(below)
                }
                if !greatest.isNaN {
                    while atOrBelow < cuts.count && cuts[atOrBelow] <= Double(greatest) { atOrBelow += 1 }
                    high[prefix] = Int32(atOrBelow)
                }
            }
        }

        /// A key that orders as the numbers do: a negative number's bits
        /// flipped, a positive one's sign bit set (NaN excluded beforehand).
        @inline(__always) static func key(_ v: Float) -> UInt32 {
            let b = v.bitPattern
            return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        }

        @inline(__always) static func value(_ k: UInt32) -> Float {
            Float(bitPattern: k & 0x8000_0000 != 0 ? k & 0x7FFF_FFFF : ~k)
        }

        /// The bins of `values`: 0 for missing, else 1 + the number of cuts below.
        func bins(_ values: [Float]) -> [UInt8] {
            cuts.withUnsafeBufferPointer { cuts in
                low.withUnsafeBufferPointer { low in
                    high.withUnsafeBufferPointer { high in
                        values.map { x -> UInt8 in
                            if x.isNaN { return 0 }
                            let v = Double(x), prefix = Int(Self.key(x) >> 16)
                            var first = Int(low[prefix]), n = Int(high[prefix]) - first
                            // the first cut at or above v among cuts[first ..< first + n], else first + n
                            while n > 0 {
                                let half = n / 2
                                if cuts[first + half] < v { first += half + 1; n -= half + 1 } else { n = half }
                            }
                            return UInt8(1 + first)
                        }
                    }
                }
            }
        }
    }

    /// Cuts a training set's columns into bins (all but the target's).
    static func build(_ set: TrainingSet, selection: ColumnSelection, target: String,
                      maxBins: Int) throws -> (data: TreeData, pipeline: FeaturePipeline) {
        let profile = set.profile, store = set.store, path = set.file
        try selection.checkTarget(target, parameter: TreeConfig.names("target")[0])
        let columns = try FeaturePipeline.unfittedColumns(path: path, profile: set.pipelineProfile, selection: selection, reserved: [target])
        let pipeline = FeaturePipeline(columns: columns, standardize: false)
        let n = profile.rows
        // Each column is binned on its own, on every core; the results keep column order.
        let built: [Result<(Feature, [UInt8]), Error>] = Parallel.map(columns.count) { k in
            Result {
                let c = columns[k]
                let j = profile.columns.firstIndex { $0.name == c.name }!
                let col = store.columns[j]
                if c.type == .categorical {
                    guard let codes = col.codes else {
                        throw PersonaError.data(file: path, columnName: c.name, "mixes numbers and text in a way this release cannot read in one pass",
                                                fix: "Clean the column, or leave it out with --exclude \(c.name)")
                    }
                    let levels = c.levels ?? []
                    var levelIndex: [String: Int] = [:]
                    for (i, l) in levels.enumerated() { levelIndex[l] = i }
                    let map = (0..<col.counter.distinct).map { UInt8(1 + (levelIndex[col.counter.value($0)] ?? levels.count)) }
                    return (Feature(name: c.name, categorical: true, cuts: [], levels: levels),
                            codes.map { $0 >= 0 ? map[Int($0)] : ($0 == -1 ? 0 : UInt8(1 + levels.count)) })
                }
                var values: [Float]
                if let f = col.floats { values = f } else if let codes = col.codes {
                    let words = (0..<col.counter.distinct).map { BooleanWords.value(col.counter.value($0)).map { $0 ? Float(1) : 0 } ?? .nan }
                    values = codes.map { $0 >= 0 ? words[Int($0)] : .nan }
                } else {
                    throw PersonaError.data(file: path, columnName: c.name, "could not be read as numbers", fix: "Leave it out with --exclude \(c.name)")
                }
                let cuts = Self.cuts(values, maxBins: maxBins)
                let column = values.count >= 100_000 ? Binner(cuts: cuts).bins(values)
                    : cuts.withUnsafeBufferPointer { cp in values.map { bin($0, cp) } }
                return (Feature(name: c.name, categorical: false, cuts: cuts, levels: []), column)
            }
        }
        var features: [Feature] = []
        var bins: [[UInt8]] = []
        for r in built {
            let (feature, column) = try r.get()
            features.append(feature)
            bins.append(column)
        }
        return (TreeData(features: features, bins: bins, rows: n), pipeline)
    }
}

/// Sends training rows down a tree by their bins, as the tree saw them while
/// it grew (a numeric bin stands for its upper edge, which compares with every
/// threshold as the bin did): bin 0, a missing value, goes the node's learned
/// way; a category's bin by the node's level set; a numeric bin left when it is
/// at most the last bin of its feature whose edge is at most the threshold,
/// found once per node by a binary search over the cuts.
struct BinRouter {
    let tree: Tree
    let bins: [[UInt8]]
    /// Per node: the last bin of its numeric feature that goes left; -1 at a
    /// category's node and at a leaf.
    private let lastLeftBin: [Int]

    init(_ tree: Tree, _ data: TreeData) {
        self.tree = tree
        bins = data.bins
        lastLeftBin = (0..<tree.count).map { node in
            let f = Int(tree.feature[node])
            guard f >= 0, !data.features[f].categorical else { return -1 }
            // Bin b's edge: cuts[b - 1], or infinity for the bins past the cuts;
            // the edges rise, so the bins that go left come first.
            let cuts = data.features[f].cuts, threshold = tree.threshold[node]
            var lo = 0, hi = data.features[f].bins - 1    // the answer lies in lo...hi
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if (mid - 1 < cuts.count ? cuts[mid - 1] : .infinity) <= threshold { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
    }

    /// The leaf training row `i` reaches.
    @inline(__always) func leaf(_ i: Int) -> Int {
        var node = 0
        while tree.feature[node] >= 0 {
            let b = Int(bins[Int(tree.feature[node])][i])
            let left = b == 0 ? tree.missingLeft[node] : lastLeftBin[node] >= 0 ? b <= lastLeftBin[node] : tree.binGoesLeft(node, b)
            node = Int(left ? tree.left[node] : tree.right[node])
        }
        return node
    }
}
