import CPersonaKernels
import Foundation

/// Grows one regression tree on gradients and hessians, leaf-wise (the leaf
/// whose best split gains most is split next) over binned columns. Each leaf's
/// histogram holds, per bin, Σg, Σh, the row count and a zero (four doubles,
/// so that one four-wide add updates a bin); the smaller child's
/// is built from its rows and the larger one's is the parent's minus it.
/// Sums run over rows in a fixed order (index order, or for large leaves the
/// even rows' sum plus the odd rows'), feature by feature, so the tree is the
/// same on one core or two.
///
/// A leaf's rows sit in one range of a workspace, in ascending order, with
/// their gradient and hessian side by side and their bins row by row, so that
/// a histogram or a partition reads memory in order (LightGBM's ordered
/// gradients; moving a row's 32 bytes in order costs less than gathering its
/// gradients and bins from scattered places for every histogram). Splitting a
/// leaf writes its children into the same range of the other half of the
/// workspace; ranges of live leaves never overlap, so nothing is overwritten.
/// The workspace is allocated once per grower and reused by every tree.
final class TreeGrower {
    let data: TreeData
    let config: GBDTConfig
    let offsets: [Int]
    let totalBins: Int
    /// Every row's bins, row by row (the columns of `data.bins` side by side),
    /// from which each tree's root fills the workspace one row at a time.
    let rowBins: [UInt8]
    let width: Int
    /// The two halves of the workspace: row numbers, (g, h) pairs, bins.
    /// Gradients stay in double precision (single precision, as LightGBM keeps
    /// them, moved a regression leaf off its exact mean by 4e-7 and gained
    /// little time).
    private var rows: [[Int32]], gh: [[Double]], bins: [[UInt8]]
    /// Doubles per histogram bin: Σg, Σh, count, 0.
    static let binStride = 4
    typealias HistogramKernel = @convention(c) (UnsafePointer<UInt8>?, UnsafePointer<Double>?, Int, Int, UnsafePointer<Int32>?,
                                                UnsafePointer<Int64>?, UnsafePointer<Int64>?, Int, UnsafeMutablePointer<Double>?,
                                                UnsafeMutablePointer<Double>?) -> Void
    /// The histogram loop (C, CPersonaKernels/trees.c), in AVX2 where the
    /// processor has it: the same sums either way (tests switch it).
    static var histogramKernel: HistogramKernel = Processor.hasAVX2 ? persona_tree_histogram_avx2 : persona_tree_histogram_generic

    init(data: TreeData, config: GBDTConfig) {
        self.data = data; self.config = config
        var o: [Int] = [], total = 0
        for f in data.features { o.append(total); total += f.bins }
        offsets = o; totalBins = total
        let width = data.features.count, n = data.rows
        self.width = width
        var rowBins = [UInt8](repeating: 0, count: n * width)
        rowBins.withUnsafeMutableBufferPointer { out in
            for f in 0..<width {
                data.bins[f].withUnsafeBufferPointer { column in
                    for i in 0..<n { out[i * width + f] = column[i] }
                }
            }
        }
        self.rowBins = rowBins
        // one spare row at the end of each half (see `partition`)
        rows = [[Int32](repeating: 0, count: n + 1), [Int32](repeating: 0, count: n + 1)]
        gh = [[Double](repeating: 0, count: 2 * n + 2), [Double](repeating: 0, count: 2 * n + 2)]
        bins = [[UInt8](repeating: 0, count: (n + 1) * width), [UInt8](repeating: 0, count: (n + 1) * width)]
    }

    struct Split {
        var feature: Int
        var gain: Double
        var lastLeftBin: Int            // numeric: bins 1...lastLeftBin go left
        var categories: [UInt64]        // categorical: bins that go left
        var missingLeft: Bool
        var left: (g: Double, h: Double, n: Double)
        var right: (g: Double, h: Double, n: Double)
    }

    /// A leaf: its rows are `start..<start + count` of workspace half `half`.
    struct Leaf {
        var node: Int
        var start: Int, count: Int, half: Int
        var hist: [Double]
        var g: Double, h: Double
        var depth: Int
        var best: Split?
    }

    /// Soft-thresholded gradient sum (the L1 penalty).
    @inline(__always) func threshold(_ g: Double) -> Double {
        config.l1 == 0 ? g : (g > config.l1 ? g - config.l1 : g < -config.l1 ? g + config.l1 : 0)
    }

    @inline(__always) func score(_ g: Double, _ h: Double, _ l2: Double) -> Double {
        let t = threshold(g)
        return t * t / (h + l2)
    }

    func leafValue(_ g: Double, _ h: Double) -> Double { -threshold(g) / (h + config.l2) * (config.isForest ? 1 : config.learningRate) }

    /// Per bin of every column: Σ gradient, Σ hessian and the row count of a
    /// leaf's rows. Cores split the columns, and each bin's sums run in a
    /// fixed order (see `persona_tree_histogram`): the same bits on one core or two.
    func histogram(_ leaf: (start: Int, count: Int, half: Int), features: [Int]) -> [Double] {
        let count = leaf.count
        var hist = [Double](repeating: 0, count: totalBins * Self.binStride)
        let groups = count < 10_000 ? 1 : min(Parallel.cores, features.count)
        let width = self.width, kernel = Self.histogramKernel
        // the odd rows' sums of a large leaf (each group fills its own columns' ranges)
        var odd = count >= Int(PERSONA_TREE_PAIRED_ROWS) ? [Double](repeating: 0, count: hist.count) : []
        hist.withUnsafeMutableBufferPointer { hp in odd.withUnsafeMutableBufferPointer { op in
            bins[leaf.half].withUnsafeBufferPointer { bp in
                gh[leaf.half].withUnsafeBufferPointer { ghp in
                    let box = UnsafeSendableBox((hp, bp.baseAddress! + leaf.start * width, ghp.baseAddress! + 2 * leaf.start, op))
                    let work = { (group: Int) in
                        let (hist, rowBins, gh, odd) = box.value
                        let mine = features[(features.count * group / groups)..<(features.count * (group + 1) / groups)].map { Int32($0) }
                        let base = mine.map { Int64(self.offsets[Int($0)] * Self.binStride) }
                        let lengths = mine.map { Int64(self.data.features[Int($0)].bins * Self.binStride) }
                        kernel(rowBins, gh, width, count, mine, base, lengths, mine.count, hist.baseAddress, odd.baseAddress)
                    }
                    if groups == 1 { work(0) } else { Parallel.forEach(groups, work) }
                }
            }
        }}
        return hist
    }

    /// The best split of a leaf over the allowed features, or nil.
    func bestSplit(_ hist: [Double], g: Double, h: Double, n: Int, depth: Int, features: [Int]) -> Split? {
        if n < 2 * config.minSamplesLeaf { return nil }
        if let d = config.maxDepth, depth >= d { return nil }
        let search = { (t: Int) -> Split? in
            hist.withUnsafeBufferPointer { hp in self.bestSplit(feature: features[t], hp.baseAddress! + self.offsets[features[t]] * Self.binStride, g: g, h: h, n: Double(n)) }
        }
        let candidates: [Split?] = n < 10_000 ? features.indices.map(search) : Parallel.map(features.count, search)
        var best: Split? = nil
        for c in candidates { if let c, c.gain > (best?.gain ?? 1e-12) { best = c } }
        return best
    }

    private func bestSplit(feature f: Int, _ hist: UnsafePointer<Double>, g: Double, h: Double, n totalRows: Double) -> Split? {
        let feat = data.features[f]
        let nb = feat.bins
        let minLeaf = Double(config.minSamplesLeaf)
        let missing = (g: hist[0], h: hist[1], n: hist[2])
        let s = Self.binStride
        var best: Split? = nil
        let l2 = feat.categorical ? config.l2 + config.categoryL2 : config.l2
        let parent = score(g, h, l2)
        func consider(_ lg: Double, _ lh: Double, _ ln: Double, lastLeftBin: Int, categories: [UInt64], missingLeft: Bool) {
            let rg = g - lg, rh = h - lh, rn = totalRows - ln
            guard ln >= minLeaf, rn >= minLeaf, lh >= config.minHessian, rh >= config.minHessian else { return }
            let gain = score(lg, lh, l2) + score(rg, rh, l2) - parent
            if gain > (best?.gain ?? 1e-12) {
                best = Split(feature: f, gain: gain, lastLeftBin: lastLeftBin, categories: categories, missingLeft: missingLeft,
                             left: (lg, lh, ln), right: (rg, rh, rn))
            }
        }
        if !feat.categorical {
            var lg = 0.0, lh = 0.0, ln = 0.0
            for b in 1..<(nb - 1) {
                lg += hist[b * s]; lh += hist[b * s + 1]; ln += hist[b * s + 2]
                if hist[b * s + 2] == 0 { continue }
                consider(lg, lh, ln, lastLeftBin: b, categories: [], missingLeft: false)
                if missing.n > 0 { consider(lg + missing.g, lh + missing.h, ln + missing.n, lastLeftBin: b, categories: [], missingLeft: true) }
            }
            return best
        }
        // Categorical: levels with enough rows, ordered by their smoothed mean
        // gradient; prefixes of that order (at most maxCategoryLevels levels)
        // go left, everything else (rare and unseen levels) goes right.
        var levels: [Int] = []
        for b in 1..<nb where hist[b * s + 2] >= Double(config.minCategoryRows) && b != nb - 1 { levels.append(b) }
        guard levels.count >= 1 else { return nil }
        let key = { (b: Int) in hist[b * s] / (hist[b * s + 1] + self.config.categorySmoothing) }
        levels.sort { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        // Scan from both ends, as LightGBM does: the prefix and the suffix of the order.
        for order in [levels, levels.reversed()] {
            var lg = 0.0, lh = 0.0, ln = 0.0
            var mask: [UInt64] = [0, 0, 0, 0]
            for (i, b) in order.enumerated() where i < config.maxCategoryLevels {
                lg += hist[b * s]; lh += hist[b * s + 1]; ln += hist[b * s + 2]
                mask[b >> 6] |= 1 << UInt64(b & 63)
                consider(lg, lh, ln, lastLeftBin: 0, categories: mask, missingLeft: false)
                if missing.n > 0 { consider(lg + missing.g, lh + missing.h, ln + missing.n, lastLeftBin: 0, categories: mask, missingLeft: true) }
            }
        }
        return best
    }

    /// Grows a tree on `rows` (ascending) with the given gradients; returns it,
    /// after calling `leafRows` with each leaf's value and rows (so the caller
    /// updates those rows' scores without walking the tree).
    func grow(rows: [Int32], gradients: [Double], hessians: [Double], features: [Int], treeIndex: Int = 0,
              leafRows: (_ value: Double, _ rows: UnsafeBufferPointer<Int32>) -> Void = { _, _ in }) -> Tree {
        var tree = Tree()
        // The columns a node's split may use: all of the tree's, or a seeded share per node.
        let fraction = config.resolvedColsampleBynode(columns: data.features.count)
        func allowed(_ node: Int) -> [Int] {
            guard fraction < 1 else { return features }
            var rng = PersonaRandom(seed: config.seed ^ 0xB7_0DE5, stream: UInt64(treeIndex) << 24 | UInt64(node))
            var f = features
            rng.shuffle(&f)
            return Array(f.prefix(max(1, Int((Double(features.count) * fraction).rounded())))).sorted()
        }
        // The root's rows, gradients and hessians (summed in row order) and bins, into the workspace.
        var gSum = 0.0, hSum = 0.0
        let width = self.width
        rows.withUnsafeBufferPointer { rp in
            self.rows[0].withUnsafeMutableBufferPointer { rw in
                gh[0].withUnsafeMutableBufferPointer { out in
                    gradients.withUnsafeBufferPointer { gp in
                        hessians.withUnsafeBufferPointer { hp in
                            for k in 0..<rp.count {
                                let r = Int(rp[k])
                                let g = gp[r], h = hp[r]
                                rw[k] = rp[k]; out[2 * k] = g; out[2 * k + 1] = h
                                gSum += g; hSum += h
                            }
                        }
                    }
                }
            }
            bins[0].withUnsafeMutableBufferPointer { bw in
                rowBins.withUnsafeBufferPointer { source in
                    // a copy, in blocks on every core
                    let blocks = Parallel.blocks(rp.count, minBlock: 16_384)
                    let box = UnsafeSendableBox((source, bw, rp))
                    Parallel.forEach(blocks.count) { b in
                        let (source, to, rows) = box.value
                        persona_tree_gather_bins(source.baseAddress, width, rows.baseAddress! + blocks[b].lowerBound, blocks[b].count,
                                                 to.baseAddress! + blocks[b].lowerBound * width)
                    }
                }
            }
        }
        let root = tree.addLeaf(value: [leafValue(gSum, hSum)], samples: Double(rows.count), weight: hSum, impurity: 0)
        let rootHist = histogram((0, rows.count, 0), features: features)
        var leaves = [Leaf(node: root, start: 0, count: rows.count, half: 0, hist: rootHist, g: gSum, h: hSum, depth: 0,
                           best: bestSplit(rootHist, g: gSum, h: hSum, n: rows.count, depth: 0, features: allowed(root)))]
        while leaves.count < config.resolvedNumLeaves {
            var pick = -1
            for (i, l) in leaves.enumerated() where l.best != nil {
                if pick < 0 || l.best!.gain > leaves[pick].best!.gain { pick = i }
            }
            if pick < 0 { break }
            let leaf = leaves[pick]
            let s = leaf.best!
            let feat = data.features[s.feature]
            // Partition rows, gradients and bins in order into the other half; the split's counts are exact.
            let nLeft = Int(s.left.n), nRight = Int(s.right.n)
            precondition(nLeft + nRight == leaf.count, "a split's counts add up to its leaf's rows")
            let from = leaf.half, to = 1 - leaf.half
            // which way each bin goes, as a table (bin 0 holds missing values)
            let goesLeft = (0..<256).map { b -> UInt8 in
                let left = b == 0 ? s.missingLeft : feat.categorical ? (s.categories[b >> 6] >> UInt64(b & 63)) & 1 == 1 : b <= s.lastLeftBin
                return left ? 1 : 0
            }
            // The children of a tree's last split are never split: they need their rows, not their histograms.
            let last = leaves.count + 1 == config.resolvedNumLeaves
            partition(leaf, from: from, to: to, nLeft: nLeft, goesLeft: goesLeft, rowsOnly: last)
            let l = tree.addLeaf(value: [leafValue(s.left.g, s.left.h)], samples: s.left.n, weight: s.left.h, impurity: 0)
            let r = tree.addLeaf(value: [leafValue(s.right.g, s.right.h)], samples: s.right.n, weight: s.right.h, impurity: 0)
            let n = leaf.node
            tree.feature[n] = Int32(s.feature)
            tree.left[n] = Int32(l); tree.right[n] = Int32(r)
            tree.missingLeft[n] = s.missingLeft
            tree.gain[n] = s.gain
            if feat.categorical {
                tree.leftCategories[n] = s.categories
            } else {
                // bins 1...b go left: values up to the cut after bin b
                tree.threshold[n] = feat.cuts[s.lastLeftBin - 1]
            }
            // The smaller child's histogram from its rows, the larger one's by subtraction.
            let leftSmaller = nLeft <= nRight
            var lh: [Double] = [], rh: [Double] = []
            if !last {
                let small = histogram(leftSmaller ? (leaf.start, nLeft, to) : (leaf.start + nLeft, nRight, to), features: features)
                var large = leaf.hist
                for t in large.indices { large[t] -= small[t] }
                (lh, rh) = leftSmaller ? (small, large) : (large, small)
            }
            let depth = leaf.depth + 1
            var leftLeaf = Leaf(node: l, start: leaf.start, count: nLeft, half: to, hist: lh, g: s.left.g, h: s.left.h, depth: depth,
                                best: last ? nil : bestSplit(lh, g: s.left.g, h: s.left.h, n: nLeft, depth: depth, features: allowed(l)))
            var rightLeaf = Leaf(node: r, start: leaf.start + nLeft, count: nRight, half: to, hist: rh, g: s.right.g, h: s.right.h, depth: depth,
                                 best: last ? nil : bestSplit(rh, g: s.right.g, h: s.right.h, n: nRight, depth: depth, features: allowed(r)))
            // A leaf without a split is never split: its histogram is not needed again (a deep forest's many small leaves).
            if leftLeaf.best == nil { leftLeaf.hist = [] }
            if rightLeaf.best == nil { rightLeaf.hist = [] }
            leaves[pick] = leftLeaf
            leaves.append(rightLeaf)
        }
        for leaf in leaves {
            self.rows[leaf.half].withUnsafeBufferPointer { leafRows(tree.value[leaf.node][0], UnsafeBufferPointer(rebasing: $0[leaf.start..<(leaf.start + leaf.count)])) }
        }
        return tree
    }

    /// Moves a leaf's rows, (g, h) pairs and bins from one half of the
    /// workspace to the same range of the other, those going left first, each
    /// side in the order it had. Large leaves go in fixed blocks on every core
    /// (each block's lefts counted first, so every row lands where the
    /// sequential pass would put it). The loop is C (`persona_tree_partition`):
    /// each row's slot is chosen without a branch and its bins are copied in a
    /// few word-sized moves; a side that is full writes to the spare slot at
    /// the end of the workspace instead, and the split is refused. `rowsOnly`
    /// moves the row numbers alone, for children that are never split.
    private func partition(_ leaf: Leaf, from: Int, to: Int, nLeft: Int, goesLeft table: [UInt8], rowsOnly: Bool) {
        let width = self.width
        let feature = leaf.best!.feature
        let (start, count) = (leaf.start, leaf.count)
        let spare = data.rows
        let blocks = count >= 16_384 ? Parallel.blocks(count, minBlock: 8_192) : [0..<count]
        // the halves are distinct arrays: read one, write the other
        var dr = rows[to], dg = gh[to], db = bins[to]
        rows[to] = []; gh[to] = []; bins[to] = []
        table.withUnsafeBufferPointer { goesLeft in
            rows[from].withUnsafeBufferPointer { sr in gh[from].withUnsafeBufferPointer { sg in bins[from].withUnsafeBufferPointer { sb in
                dr.withUnsafeMutableBufferPointer { dr in dg.withUnsafeMutableBufferPointer { dg in db.withUnsafeMutableBufferPointer { db in
                    let box = UnsafeSendableBox((sr, sg, sb, dr, dg, db, goesLeft))
                    var lefts = [Int](repeating: 0, count: blocks.count)
                    if blocks.count == 1 {
                        lefts[0] = nLeft
                    } else {
                        lefts.withUnsafeMutableBufferPointer { lp in
                            let counts = UnsafeSendableBox(lp)
                            Parallel.forEach(blocks.count) { b in
                                let (_, _, sb, _, _, _, goesLeft) = box.value
                                var c = 0
                                for k in blocks[b] { c += Int(goesLeft[Int(sb[(start + k) * width + feature])]) }
                                counts.value[b] = c
                            }
                        }
                        precondition(lefts.reduce(0, +) == nLeft, "a split's counts match its rows")
                    }
                    var leftStart: [Int] = [], rightStart: [Int] = []
                    var l = start, r = start + nLeft
                    for (b, block) in blocks.enumerated() { leftStart.append(l); rightStart.append(r); l += lefts[b]; r += block.count - lefts[b] }
                    let work = { (b: Int) in
                        let (sr, sg, sb, dr, dg, db, goesLeft) = box.value
                        let li = leftStart[b], ri = rightStart[b]
                        let full = persona_tree_partition(sr.baseAddress, sg.baseAddress, sb.baseAddress, width, start + blocks[b].lowerBound,
                                                          start + blocks[b].upperBound, feature, goesLeft.baseAddress, dr.baseAddress,
                                                          rowsOnly ? nil : dg.baseAddress, db.baseAddress, li, li + lefts[b], ri,
                                                          ri + blocks[b].count - lefts[b], spare)
                        precondition(full != 0, "a split's counts match its rows")
                    }
                    if blocks.count == 1 { work(0) } else { Parallel.forEach(blocks.count, work) }
                }}}
            }}}
        }
        rows[to] = dr; gh[to] = dg; bins[to] = db
    }
}
