import Foundation

/// Grows one regression tree on gradients and hessians, leaf-wise (the leaf
/// whose best split gains most is split next) over binned columns. Each leaf's
/// histogram holds, per bin, Σg, Σh and the row count; the smaller child's
/// is built from its rows and the larger one's is the parent's minus it.
/// Sums run over rows in index order, feature by feature, so the tree is the
/// same on one core or two.
struct TreeGrower {
    let data: TreeData
    let config: GBDTConfig
    let offsets: [Int]
    let totalBins: Int

    init(data: TreeData, config: GBDTConfig) {
        self.data = data; self.config = config
        var o: [Int] = [], total = 0
        for f in data.features { o.append(total); total += f.bins }
        offsets = o; totalBins = total
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

    struct Leaf {
        var node: Int
        var rows: [Int32]
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

    func histogram(_ rows: [Int32], gradients: [Double], hessians: [Double], features: [Int]) -> [Double] {
        // The leaf's gradients and hessians gathered once, in row order, so each
        // feature's pass reads them contiguously (LightGBM's ordered gradients);
        // the sums per bin run in the same row order as before, to the bit.
        var g = [Double](repeating: 0, count: rows.count), h = g
        for (k, r) in rows.enumerated() { g[k] = gradients[Int(r)]; h[k] = hessians[Int(r)] }
        var hist = [Double](repeating: 0, count: totalBins * 3)
        hist.withUnsafeMutableBufferPointer { hp in
            let box = UnsafeSendableBox(hp)
            let work = { (t: Int) in
                let f = features[t]
                let base = box.value.baseAddress! + offsets[f] * 3
                data.bins[f].withUnsafeBufferPointer { bins in
                    g.withUnsafeBufferPointer { gp in
                        h.withUnsafeBufferPointer { hp in
                            rows.withUnsafeBufferPointer { rp in
                                for k in 0..<rp.count {
                                    let p = base + Int(bins[Int(rp[k])]) * 3
                                    p[0] += gp[k]; p[1] += hp[k]; p[2] += 1
                                }
                            }
                        }
                    }
                }
            }
            if rows.count < 10_000 { for t in features.indices { work(t) } } else { Parallel.forEach(features.count, work) }
        }
        return hist
    }

    /// The best split of a leaf over the allowed features, or nil.
    func bestSplit(_ hist: [Double], g: Double, h: Double, n: Int, depth: Int, features: [Int]) -> Split? {
        if n < 2 * config.minSamplesLeaf { return nil }
        if let d = config.maxDepth, depth >= d { return nil }
        let search = { (t: Int) -> Split? in
            hist.withUnsafeBufferPointer { hp in self.bestSplit(feature: features[t], hp.baseAddress! + self.offsets[features[t]] * 3, g: g, h: h, n: Double(n)) }
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
                lg += hist[b * 3]; lh += hist[b * 3 + 1]; ln += hist[b * 3 + 2]
                if hist[b * 3 + 2] == 0 { continue }
                consider(lg, lh, ln, lastLeftBin: b, categories: [], missingLeft: false)
                if missing.n > 0 { consider(lg + missing.g, lh + missing.h, ln + missing.n, lastLeftBin: b, categories: [], missingLeft: true) }
            }
            return best
        }
        // Categorical: levels with enough rows, ordered by their smoothed mean
        // gradient; prefixes of that order (at most maxCategoryLevels levels)
        // go left, everything else (rare and unseen levels) goes right.
        var levels: [Int] = []
        for b in 1..<nb where hist[b * 3 + 2] >= Double(config.minCategoryRows) && b != nb - 1 { levels.append(b) }
        guard levels.count >= 1 else { return nil }
        let key = { (b: Int) in hist[b * 3] / (hist[b * 3 + 1] + self.config.categorySmoothing) }
        levels.sort { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        // Scan from both ends, as LightGBM does: the prefix and the suffix of the order.
        for order in [levels, levels.reversed()] {
            var lg = 0.0, lh = 0.0, ln = 0.0
            var mask: [UInt64] = [0, 0, 0, 0]
            for (i, b) in order.enumerated() where i < config.maxCategoryLevels {
                lg += hist[b * 3]; lh += hist[b * 3 + 1]; ln += hist[b * 3 + 2]
                mask[b >> 6] |= 1 << UInt64(b & 63)
                consider(lg, lh, ln, lastLeftBin: 0, categories: mask, missingLeft: false)
                if missing.n > 0 { consider(lg + missing.g, lh + missing.h, ln + missing.n, lastLeftBin: 0, categories: mask, missingLeft: true) }
            }
        }
        return best
    }

    /// Grows a tree on `rows` (ascending) with the given gradients; returns it
    /// with each leaf's value, and each leaf's rows (so the caller updates those
    /// rows' scores without walking the tree).
    func grow(rows: [Int32], gradients: [Double], hessians: [Double], features: [Int], treeIndex: Int = 0) -> (tree: Tree, leafRows: [(node: Int, rows: [Int32])]) {
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
        var gSum = 0.0, hSum = 0.0
        for r in rows { gSum += gradients[Int(r)]; hSum += hessians[Int(r)] }
        let root = tree.addLeaf(value: [leafValue(gSum, hSum)], samples: Double(rows.count), weight: hSum, impurity: 0)
        let rootHist = histogram(rows, gradients: gradients, hessians: hessians, features: features)
        var leaves = [Leaf(node: root, rows: rows, hist: rootHist, g: gSum, h: hSum, depth: 0,
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
            let bins = data.bins[s.feature]
            var leftRows: [Int32] = [], rightRows: [Int32] = []
            leftRows.reserveCapacity(Int(s.left.n)); rightRows.reserveCapacity(Int(s.right.n))
            for r in leaf.rows {
                let b = Int(bins[Int(r)])
                let goLeft = b == 0 ? s.missingLeft : feat.categorical ? (s.categories[b >> 6] >> UInt64(b & 63)) & 1 == 1 : b <= s.lastLeftBin
                if goLeft { leftRows.append(r) } else { rightRows.append(r) }
            }
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
            let leftSmaller = leftRows.count <= rightRows.count
            let small = histogram(leftSmaller ? leftRows : rightRows, gradients: gradients, hessians: hessians, features: features)
            var large = leaf.hist
            for t in large.indices { large[t] -= small[t] }
            let (lh, rh) = leftSmaller ? (small, large) : (large, small)
            let depth = leaf.depth + 1
            let leftLeaf = Leaf(node: l, rows: leftRows, hist: lh, g: s.left.g, h: s.left.h, depth: depth,
                                best: bestSplit(lh, g: s.left.g, h: s.left.h, n: leftRows.count, depth: depth, features: allowed(l)))
            let rightLeaf = Leaf(node: r, rows: rightRows, hist: rh, g: s.right.g, h: s.right.h, depth: depth,
                                 best: bestSplit(rh, g: s.right.g, h: s.right.h, n: rightRows.count, depth: depth, features: allowed(r)))
            leaves[pick] = leftLeaf
            leaves.append(rightLeaf)
        }
        return (tree, leaves.map { ($0.node, $0.rows) })
    }
}
