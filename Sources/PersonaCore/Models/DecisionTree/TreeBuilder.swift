import COpenBLAS
import CPersonaKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Grows a CART tree on binned data with histograms: per node, the statistics
/// of each feature's bins (class weights, or weight, Σwy, Σwy²), from which
/// every split is scored in one sweep. A child's histogram is built only for
/// the smaller child; the larger one's is its parent's minus its sibling's.
/// Features are scanned in parallel; rows stay in file order within each node,
/// so the tree does not depend on the core count.
struct TreeBuilder {
    let data: TreeData
    let config: TreeConfig
    let classes: Int                 // 0 for regression
    let label: [Int32]               // class per row (classification)
    let target: [Double]             // value per row (regression)
    let weights: [Double]
    let stride: Int                  // statistics per bin, the last one a row count
    let offsets: [Int]               // first bin of each feature in a histogram
    let totalBins: Int
    let totalWeight: Double
    /// The bins again, row by row (a row's features side by side, then its
    /// class for a classifier), so that a histogram reads one place per row.
    let rowBins: [UInt8]
    let rowWidth: Int
    /// Whether every row weighs 1 (the histogram then reads no weights).
    let unitWeights: Bool

    init(data: TreeData, config: TreeConfig, classes: Int, label: [Int32], target: [Double], weights: [Double]) {
        self.data = data; self.config = config; self.classes = classes
        self.label = label; self.target = target; self.weights = weights
        stride = (classes > 0 ? classes : 3) + 1
        var o: [Int] = [], total = 0
        for f in data.features { o.append(total); total += f.bins }
        offsets = o; totalBins = total
        totalWeight = weights.reduce(0, +)
        let features = data.features.count, n = data.rows
        let width = features + (classes > 0 ? 1 : 0)
        var rows = [UInt8](repeating: 0, count: n * width)
        rows.withUnsafeMutableBufferPointer { out in
            let box = UnsafeSendableBox(out)
            let blocks = Parallel.blocks(n, minBlock: 65_536)
            Parallel.forEach(blocks.count) { b in
                for f in 0..<features {
                    data.bins[f].withUnsafeBufferPointer { column in
                        for i in blocks[b] { box.value[i * width + f] = column[i] }
                    }
                }
                if classes > 0 { for i in blocks[b] { box.value[i * width + features] = UInt8(label[i]) } }
            }
        }
        rowBins = rows
        rowWidth = width
        unitWeights = weights.allSatisfy { $0 == 1 }
    }

    // MARK: statistics

    func impurity(_ s: UnsafePointer<Double>) -> Double {
        if classes == 0 {
            let w = s[0]
            if w <= 0 { return 0 }
            let mean = s[1] / w
            return max(0, s[2] / w - mean * mean)
        }
        var w = 0.0
        for c in 0..<classes { w += s[c] }
        if w <= 0 { return 0 }
        if config.resolvedCriterion == .entropy {
            var e = 0.0
            for c in 0..<classes where s[c] > 0 { let p = s[c] / w; e -= p * log2(p) }
            return e
        }
        var g = 1.0
        for c in 0..<classes { let p = s[c] / w; g -= p * p }
        return g
    }

    func weightOf(_ s: UnsafePointer<Double>) -> Double {
        if classes == 0 { return s[0] }
        var w = 0.0
        for c in 0..<classes { w += s[c] }
        return w
    }

    func value(_ s: [Double]) -> [Double] {
        if classes == 0 { return [s[0] > 0 ? s[1] / s[0] : 0] }
        let w = s[0..<classes].reduce(0, +)
        return (0..<classes).map { w > 0 ? s[$0] / w : 0 }
    }

    /// Histogram of the rows order[range], in one pass over the rows for all
    /// features (on several cores, each taking some of the features). A node of
    /// PERSONA_TREE_PAIRED_ROWS rows or more (as in the booster's C histogram)
    /// sums its even and its odd rows apart and adds the two at the end, so that
    /// a run of rows in one bin (common in a column of few levels) does not wait
    /// on each update. Every bin adds its rows in row order whatever the cores,
    /// so the tree is the same on any machine.
    func histogram(_ order: [Int32], _ range: Range<Int>) -> [Double] {
        var hist = [Double](repeating: 0, count: totalBins * stride)
        let width = data.features.count
        let paired = range.count >= Int(PERSONA_TREE_PAIRED_ROWS)
        // Small nodes are not worth the threads.
        let parts = range.count < 20_000 ? 1 : min(width, Parallel.cores)
        hist.withUnsafeMutableBufferPointer { hp in
            let box = UnsafeSendableBox(hp)
            order.withUnsafeBufferPointer { order in
            rowBins.withUnsafeBufferPointer { rowBins in
            weights.withUnsafeBufferPointer { weights in
            target.withUnsafeBufferPointer { target in
            offsets.withUnsafeBufferPointer { offsets in
                let inputs = UnsafeSendableBox((order, rowBins, weights, target, offsets))
                Parallel.forEach(parts) { part in
                    let (order, rowBins, weights, target, offsets) = inputs.value
                    let lo = width * part / parts, hi = width * (part + 1) / parts
                    guard lo < hi else { return }
                    let first = offsets[lo] * stride
                    let size = (hi < width ? offsets[hi] : totalBins) * stride - first
                    let base = box.value.baseAddress!
                    let odd = UnsafeMutablePointer<Double>.allocate(capacity: paired ? size : 1)
                    defer { odd.deallocate() }
                    if paired { odd.initialize(repeating: 0, count: size) }
                    // Both addressed from this part's first bin.
                    let own = base + first, start = offsets[lo]
                    let classes = classes, stride = stride
                    let rowWidth = rowWidth, unitWeights = unitWeights
                    // A deep node's rows lie far apart: each row is fetched
                    // some rows ahead, so that the loads overlap.
                    let ahead = 16, end = range.upperBound
                    for t in range {
                        if t + ahead < end { persona_prefetch(rowBins.baseAddress! + Int(order[t + ahead]) * rowWidth) }
                        let i = Int(order[t])
                        let row = rowBins.baseAddress! + i * rowWidth
                        let h = paired && (t - range.lowerBound) & 1 == 1 ? odd : own
                        if classes > 0 {
                            let c = Int(row[width]), w = unitWeights ? 1 : weights[i]
                            for f in lo..<hi {
                                let p = h + (offsets[f] - start + Int(row[f])) * stride
                                p[c] += w
                                p[stride - 1] += 1
                            }
                        } else {
                            let w = weights[i], y = target[i]
                            for f in lo..<hi {
                                let p = h + (offsets[f] - start + Int(row[f])) * stride
                                p[0] += w; p[1] += w * y; p[2] += w * y * y
                                p[stride - 1] += 1
                            }
                        }
                    }
                    if paired { for k in 0..<size { own[k] += odd[k] } }
                }
            }
            }
            }
            }
            }
        }
        return hist
    }

    struct Split {
        var feature: Int
        var gain: Double              // weighted impurity decrease (not divided by the total)
        var threshold: Double
        var thresholdBin: Int
        var categories: [UInt64]
        var missingLeft: Bool
        var leftStats: [Double]
        var rightStats: [Double]
    }

    /// The best split of a node, or nil.
    func bestSplit(_ hist: [Double], totals: [Double], rows: Int, depth: Int) -> Split? {
        if rows < config.minSamplesSplit || rows < 2 * config.minSamplesLeaf { return nil }
        if let d = config.maxDepth, depth >= d { return nil }
        let parentImpurity = totals.withUnsafeBufferPointer { impurity($0.baseAddress!) }
        if parentImpurity <= 1e-12 { return nil }
        let parentWeight = totals.withUnsafeBufferPointer { weightOf($0.baseAddress!) }
        let search = { (f: Int) -> Split? in
            hist.withUnsafeBufferPointer { hp in
                bestSplit(feature: f, hist: hp.baseAddress! + offsets[f] * stride, totals: totals,
                          parentImpurity: parentImpurity, parentWeight: parentWeight)
            }
        }
        var best: Split? = nil
        let consider = { (c: Split?) in if let c, c.gain > (best?.gain ?? 1e-12 * parentWeight) + 1e-12 * parentWeight { best = c } }
        if rows < 20_000 {
            // A small node: the features one after the other, nothing gathered.
            hist.withUnsafeBufferPointer { hp in
                for f in 0..<data.features.count {
                    consider(bestSplit(feature: f, hist: hp.baseAddress! + offsets[f] * stride, totals: totals,
                                       parentImpurity: parentImpurity, parentWeight: parentWeight))
                }
            }
        } else {
            for c in Parallel.map(data.features.count, search) { consider(c) }
        }
        guard let best else { return nil }
        if best.gain / weightTotal < config.minImpurityDecrease { return nil }
        return best
    }

    var weightTotal: Double { totalWeight }

    private func bestSplit(feature f: Int, hist h: UnsafePointer<Double>, totals: [Double],
                           parentImpurity: Double, parentWeight: Double) -> Split? {
        let feat = data.features[f]
        if !feat.categorical {
            return bestNumericSplit(feature: f, hist: h, totals: totals, parentImpurity: parentImpurity, parentWeight: parentWeight)
        }
        let nb = feat.bins
        // Levels in scan order: those with at least min_category_rows rows here,
        // by their smoothed target statistic; rarer levels, unseen ones and those
        // absent here go right.
        let minRows = Double(config.resolvedMinCategoryRows(rows: data.rows)), smoothing = config.categorySmoothing
        var order = (1..<nb).filter { $0 != nb - 1 && h[$0 * stride + stride - 1] >= minRows }
        let key: (Int) -> Double
        if classes == 0 {
            let mean = totals[1] / max(totals[0], 1e-300)
            key = { b in let p = h + b * stride; return (p[1] + smoothing * mean) / (p[0] + smoothing) }
        } else {
            var majority = 0
            for c in 0..<classes where totals[c] > totals[majority] { majority = c }
            let cls = classes == 2 ? 1 : majority
            let prior = totals.withUnsafeBufferPointer { totals[cls] / max(weightOf($0.baseAddress!), 1e-300) }
            key = { b in let p = h + b * stride; return (p[cls] + smoothing * prior) / (weightOf(p) + smoothing) }
        }
        order.sort { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        let hasMissing = h[stride - 1] > 0.5     // bin 0: the missing values
        if order.isEmpty { return nil }
        let minLeaf = Double(config.minSamplesLeaf)
        // Candidate left sides: prefixes of the scan order and of its reverse, at
        // most max_category_levels levels; with several classes and at most 10
        // levels, every subset of levels (ordering by one statistic is only
        // exact for two classes or regression). Each candidate is (the bin that
        // closes it, how many bins of its scan it takes, or a subset mask over
        // `order`).
        var candidates: [(last: Int, prefix: Int, mask: Int, reversed: Bool)] = []
        let exhaustive = classes > 2 && order.count <= 10
        if exhaustive {
            let m = order.count
            for mask in 1..<(1 << m) { candidates.append((order[63 - mask.leadingZeroBitCount], 0, mask, false)) }
        } else {
            for reversed in [false, true] {
                for position in 0..<min(order.count, config.maxCategoryLevels) {
                    candidates.append(((reversed ? order.reversed()[position] : order[position]), position + 1, 0, reversed))
                }
            }
        }
        let reversedOrder = Array(order.reversed())
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * stride) { buffer -> Split? in
            let left = buffer.baseAddress!, lv = left + stride, rv = lv + stride
            for s in 0..<stride { left[s] = 0 }
            var best: Split? = nil
            var taken = 0, takenReversed = false
            totals.withUnsafeBufferPointer { totals in
                for candidate in candidates {
                    let scan = candidate.reversed ? reversedOrder : order
                    if candidate.mask != 0 {
                        for s in 0..<stride { left[s] = 0 }
                        for (i, b) in order.enumerated() where candidate.mask & (1 << i) != 0 { for s in 0..<stride { left[s] += h[b * stride + s] } }
                        taken = 0   // `left` no longer holds a prefix
                    } else {
                        // prefixes grow one bin at a time
                        if taken == 0 || takenReversed != candidate.reversed || taken > candidate.prefix {
                            for s in 0..<stride { left[s] = 0 }
                            taken = 0
                            takenReversed = candidate.reversed
                        }
                        while taken < candidate.prefix { let b = scan[taken]; for s in 0..<stride { left[s] += h[b * stride + s] }; taken += 1 }
                    }
                    let b = candidate.last
                    for side in 0..<(hasMissing ? 2 : 1) {
                        let missingLeft = side == 0
                        guard let gain = sides(left: left, missingLeft: missingLeft, missing: h, hasMissing: hasMissing, totals: totals.baseAddress!,
                                               into: lv, rv, minLeaf: minLeaf, parentImpurity: parentImpurity, parentWeight: parentWeight) else { continue }
                        if gain > (best?.gain ?? 0) + 1e-12 * parentWeight {
                            var mask: [UInt64] = [0, 0, 0, 0]
                            if candidate.mask != 0 {
                                for (i, c) in order.enumerated() where candidate.mask & (1 << i) != 0 { mask[c >> 6] |= 1 << UInt64(c & 63) }
                            } else {
                                for c in scan.prefix(candidate.prefix) { mask[c >> 6] |= 1 << UInt64(c & 63) }
                            }
                            let ml = hasMissing ? missingLeft : lv[stride - 1] >= rv[stride - 1]
                            best = Split(feature: f, gain: gain, threshold: 0, thresholdBin: b, categories: mask, missingLeft: ml,
                                         leftStats: Array(UnsafeBufferPointer(start: lv, count: stride)),
                                         rightStats: Array(UnsafeBufferPointer(start: rv, count: stride)))
                        }
                    }
                }
            }
            return best
        }
    }

    /// A candidate split's two sides into `lv` and `rv` (the missing values,
    /// `missing`, on the left with `missingLeft`) and its gain; nil when a side
    /// has fewer than min_samples_leaf rows.
    @inline(__always) private func sides(left: UnsafePointer<Double>, missingLeft: Bool, missing: UnsafePointer<Double>, hasMissing: Bool,
                                         totals: UnsafePointer<Double>, into lv: UnsafeMutablePointer<Double>, _ rv: UnsafeMutablePointer<Double>,
                                         minLeaf: Double, parentImpurity: Double, parentWeight: Double) -> Double? {
        for s in 0..<stride {
            lv[s] = left[s] + (missingLeft && hasMissing ? missing[s] : 0)
            rv[s] = totals[s] - lv[s]
        }
        if lv[stride - 1] < minLeaf || rv[stride - 1] < minLeaf { return nil }
        return parentWeight * parentImpurity - weightOf(lv) * impurity(lv) - weightOf(rv) * impurity(rv)
    }


    /// The best split of a numeric feature: the left sides are its bins up to
    /// each one in value order, with the missing values on either side when
    /// there are any. No arrays per call: a deep tree asks this of every
    /// feature in hundreds of thousands of small nodes, whose bins are mostly
    /// empty.
    private func bestNumericSplit(feature f: Int, hist h: UnsafePointer<Double>, totals: [Double],
                                  parentImpurity: Double, parentWeight: Double) -> Split? {
        let feat = data.features[f]
        let nb = feat.bins, stride = stride
        let missing = h     // bin 0
        let hasMissing = missing[stride - 1] > 0.5
        // Bins 1..<nb in value order; the last one closes a left side only when
        // the missing values can go right.
        if nb - 1 < 2 && !(hasMissing && nb - 1 >= 1) { return nil }
        let lastBin = hasMissing ? nb - 1 : nb - 2
        let minLeaf = Double(config.minSamplesLeaf)
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 5 * stride) { buffer -> Split? in
            let left = buffer.baseAddress!, lv = left + stride, rv = lv + stride, bestLeft = rv + stride, bestRight = bestLeft + stride
            for s in 0..<stride { left[s] = 0 }
            var bestGain = 0.0, found = false, bestBin = 0, bestMissingLeft = false
            totals.withUnsafeBufferPointer { totals in
                // A bin whose statistics are all zero (no rows in this node, and
                // no rounding left by the subtraction that made a larger child's
                // histogram) closes a left side equal, bit for bit, to the one
                // before it: the same gain, which never beats that one's (a split
                // must gain strictly more). Such bins are skipped, many at a time
                // in a small node's empty stretches, and their zeros are not
                // added to `left`, which they would not change (no statistic is
                // ever a negative zero: sums from +0 and differences of equal
                // values are +0).
                var b = 0
                while true {
                    b = b == 0 ? 1 : nextNonZeroBin(h, from: b + 1, to: lastBin + 1)
                    if b > lastBin { break }
                    let p = h + b * stride
                    for s in 0..<stride { left[s] += p[s] }
                    for side in 0..<(hasMissing ? 2 : 1) {
                        let missingLeft = side == 0
                        guard let gain = sides(left: left, missingLeft: missingLeft, missing: missing, hasMissing: hasMissing, totals: totals.baseAddress!,
                                               into: lv, rv, minLeaf: minLeaf, parentImpurity: parentImpurity, parentWeight: parentWeight) else { continue }
                        if gain > (found ? bestGain : 0) + 1e-12 * parentWeight {
                            found = true; bestGain = gain; bestBin = b
                            bestMissingLeft = hasMissing ? missingLeft : lv[stride - 1] >= rv[stride - 1]
                            bestLeft.update(from: lv, count: stride); bestRight.update(from: rv, count: stride)
                        }
                    }
                }
            }
            guard found else { return nil }
            return Split(feature: f, gain: bestGain, threshold: bestBin - 1 < feat.cuts.count ? feat.cuts[bestBin - 1] : .infinity,
                         thresholdBin: bestBin, categories: [0, 0, 0, 0], missingLeft: bestMissingLeft,
                         leftStats: Array(UnsafeBufferPointer(start: bestLeft, count: stride)),
                         rightStats: Array(UnsafeBufferPointer(start: bestRight, count: stride)))
        }
    }

    /// The first bin in `from..<to` with a statistic whose bits are not all
    /// zero, or `to`: eight statistics compared at a time.
    @inline(__always) private func nextNonZeroBin(_ h: UnsafePointer<Double>, from: Int, to: Int) -> Int {
        let words = UnsafeRawPointer(h).assumingMemoryBound(to: UInt64.self)
        var i = from * stride
        let end = to * stride
        while i + 8 <= end {
            if words[i] | words[i + 1] | words[i + 2] | words[i + 3] | words[i + 4] | words[i + 5] | words[i + 6] | words[i + 7] != 0 { break }
            i += 8
        }
        while i < end && words[i] == 0 { i += 1 }
        return i == end ? to : i / stride
    }

    /// `large` less `small`, the histogram of `order[rows]`. A small node's
    /// histogram is zero outside the bins its rows fall in, and subtracting
    /// zero changes nothing, so for a small node only those bins are visited,
    /// each once (`visited` holds the stamp of the subtraction that last saw
    /// a bin).
    private func subtract(_ small: [Double], rows: Range<Int>, of order: [Int32], from large: inout [Double],
                          visited: inout [Int32], stamp: Int32) {
        let features = data.features.count
        guard rows.count * features * 4 < totalBins else {
            for i in large.indices { large[i] -= small[i] }
            return
        }
        for t in rows {
            let row = Int(order[t]) * rowWidth
            for f in 0..<features {
                let bin = offsets[f] + Int(rowBins[row + f])
                if visited[bin] == stamp { continue }
                visited[bin] = stamp
                for s in (bin * stride)..<((bin + 1) * stride) { large[s] -= small[s] }
            }
        }
    }

    // MARK: growth

    func grow(rows: [Int]? = nil) -> Tree {
        var tree = Tree()
        var order = (rows ?? Array(0..<data.rows)).map { Int32($0) }
        var scratch = order
        let n = order.count
        let rootHist = histogram(order, 0..<n)
        var totals = [Double](repeating: 0, count: stride)
        // Totals of the root from the first feature's bins.
        for b in 0..<data.features[0].bins { for s in 0..<stride { totals[s] += rootHist[(offsets[0] + b) * stride + s] } }
        let root = tree.addLeaf(value: value(totals), samples: totals[stride - 1], weight: totals.withUnsafeBufferPointer { weightOf($0.baseAddress!) },
                                impurity: totals.withUnsafeBufferPointer { impurity($0.baseAddress!) })
        struct Candidate { var node: Int; var range: Range<Int>; var hist: [Double]; var totals: [Double]; var depth: Int; var split: Split? }
        var frontier = [Candidate(node: root, range: 0..<n, hist: rootHist, totals: totals, depth: 0,
                                  split: bestSplit(rootHist, totals: totals, rows: n, depth: 0))]
        var leaves = 1
        let bestFirst = config.maxLeafNodes != nil
        var visited = [Int32](repeating: 0, count: totalBins), splits: Int32 = 0
        while !frontier.isEmpty {
            let pick: Int
            if bestFirst {
                var b = 0
                for (i, c) in frontier.enumerated() where (c.split?.gain ?? -1) > (frontier[b].split?.gain ?? -1) { b = i }
                pick = b
            } else {
                pick = frontier.count - 1
            }
            var cand = frontier.remove(at: pick)
            guard let split = cand.split else { continue }
            if let m = config.maxLeafNodes, leaves >= m { break }
            // Partition the node's rows, keeping file order on each side.
            var l = cand.range.lowerBound, r = 0
            let categorical = data.features[split.feature].categorical
            let missingLeft = split.missingLeft, thresholdBin = split.thresholdBin
            data.bins[split.feature].withUnsafeBufferPointer { column in
            split.categories.withUnsafeBufferPointer { levels in
            order.withUnsafeMutableBufferPointer { order in
            scratch.withUnsafeMutableBufferPointer { scratch in
                let ahead = 32, end = cand.range.upperBound
                for t in cand.range {
                    if t + ahead < end { persona_prefetch(column.baseAddress! + Int(order[t + ahead])) }
                    let i = order[t], b = Int(column[Int(i)])
                    let left = b == 0 ? missingLeft
                        : categorical ? (levels[b >> 6] >> UInt64(b & 63)) & 1 == 1 : b <= thresholdBin
                    if left { order[l] = i; l += 1 } else { scratch[r] = i; r += 1 }
                }
                for t in 0..<r { order[l + t] = scratch[t] }
            }
            }
            }
            }
            let leftRange = cand.range.lowerBound..<l, rightRange = l..<cand.range.upperBound
            let ln = tree.addLeaf(value: value(split.leftStats), samples: split.leftStats[stride - 1],
                                  weight: split.leftStats.withUnsafeBufferPointer { weightOf($0.baseAddress!) },
                                  impurity: split.leftStats.withUnsafeBufferPointer { impurity($0.baseAddress!) })
            let rn = tree.addLeaf(value: value(split.rightStats), samples: split.rightStats[stride - 1],
                                  weight: split.rightStats.withUnsafeBufferPointer { weightOf($0.baseAddress!) },
                                  impurity: split.rightStats.withUnsafeBufferPointer { impurity($0.baseAddress!) })
            let n = cand.node
            tree.feature[n] = Int32(split.feature); tree.threshold[n] = split.threshold; tree.missingLeft[n] = split.missingLeft
            tree.leftCategories[n] = split.categories; tree.left[n] = Int32(ln); tree.right[n] = Int32(rn); tree.gain[n] = split.gain
            leaves += 1
            // Histograms: build the smaller child's, subtract for the larger.
            let smallLeft = leftRange.count <= rightRange.count
            let small = histogram(order, smallLeft ? leftRange : rightRange)
            // The parent's histogram becomes the larger child's in place.
            var large = cand.hist
            cand.hist = []
            splits += 1
            subtract(small, rows: smallLeft ? leftRange : rightRange, of: order, from: &large, visited: &visited, stamp: splits)
            let (lh, rh) = smallLeft ? (small, large) : (large, small)
            let right = Candidate(node: rn, range: rightRange, hist: rh, totals: split.rightStats, depth: cand.depth + 1,
                                  split: bestSplit(rh, totals: split.rightStats, rows: rightRange.count, depth: cand.depth + 1))
            let left = Candidate(node: ln, range: leftRange, hist: lh, totals: split.leftStats, depth: cand.depth + 1,
                                 split: bestSplit(lh, totals: split.leftStats, rows: leftRange.count, depth: cand.depth + 1))
            frontier.append(right)
            frontier.append(left)
        }
        return tree
    }
}
