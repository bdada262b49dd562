import Foundation
/// Exact path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm 2):
/// each feature's Shapley value for one row's prediction by one tree, where a
/// feature left out of a coalition sends the row down both children in
/// proportion to the training rows (`cover`) that went each way. The values
/// and the tree's expected value add up to the row's prediction exactly.
extension Tree {
    /// Whether a row goes left at `node`: numbers against the threshold, a
    /// category bin (0 = missing) by the split's level set, a missing value the
    /// way the split learned.
    @inline(__always) func goesLeft(_ node: Int, numeric: (Int) -> Double, category: (Int) -> Int, categorical: [Bool]) -> Bool {
        let f = Int(feature[node])
        if categorical[f] {
            let b = category(f)
            return b == 0 ? missingLeft[node] : binGoesLeft(node, b)
        }
        let x = numeric(f)
        return x.isNaN ? missingLeft[node] : x <= threshold[node]
    }

    /// The tree's mean prediction over its training rows: leaves weighted by cover.
    func expectedValue(cover: [Double], value: (Int) -> Double) -> Double {
        guard cover[0] > 0 else { return 0 }
        var s = 0.0
        for n in 0..<count where feature[n] < 0 { s += cover[n] * value(n) }
        return s / cover[0]
    }

    struct PathElement {
        var feature: Int
        var zero: Double
        var one: Double
        var weight: Double
    }

    /// Adds each feature's SHAP value for one row to `phi` (indexed by the
    /// tree's feature numbers). The paths live in one scratch buffer, each
    /// level's copy after its parent's, as in the reference implementation;
    /// `maxDepth` is the tree's depth (`depth()`).
    func shap(numeric: (Int) -> Double, category: (Int) -> Int, categorical: [Bool], cover: [Double], maxDepth: Int,
              value: (Int) -> Double, into phi: inout [Double]) {
        guard cover[0] > 0 else { return }
        let levels = maxDepth + 2
        let ratios = levels <= Self.shapRatios.levels ? Self.shapRatios : ShapRatios(levels: levels)
        let stride = ratios.levels
        ratios.values.withUnsafeBufferPointer { rp in
            let table = stride * stride
            let up = rp.baseAddress!, down = up + table, upInverse = up + 2 * table, downInverse = up + 3 * table
            withUnsafeTemporaryAllocation(of: PathElement.self, capacity: levels * (levels + 1) / 2 + levels) { buffer in
                let base = buffer.baseAddress!
                func extend(_ m: UnsafeMutablePointer<PathElement>, _ depth: Int, _ zero: Double, _ one: Double, _ feature: Int) {
                    m[depth] = PathElement(feature: feature, zero: zero, one: one, weight: depth == 0 ? 1 : 0)
                    let up = up + depth * stride, down = down + depth * stride
                    var i = depth - 1
                    while i >= 0 {
                        m[i + 1].weight += one * m[i].weight * up[i]
                        m[i].weight = zero * m[i].weight * down[i]
                        i -= 1
                    }
                }
                func unwind(_ m: UnsafeMutablePointer<PathElement>, _ depth: Int, _ index: Int) {
                    let one = m[index].one, zero = m[index].zero
                    let upInverse = upInverse + depth * stride, downInverse = downInverse + depth * stride, down = down + depth * stride
                    var next = m[depth].weight
                    var j = depth - 1
                    // A path's one fractions are 0 or 1 (the row goes down the hot
                    // branch or not), so where `one` is not 0 it is 1, and dividing
                    // or multiplying by it, as the reference implementation does,
                    // changes no bit: it is left out here and below.
                    while j >= 0 {
                        if one != 0 {
                            let t = m[j].weight
                            m[j].weight = next * upInverse[j]
                            next = t - m[j].weight * zero * down[j]
                        } else {
                            m[j].weight = m[j].weight * downInverse[j] / zero
                        }
                        j -= 1
                    }
                    for k in index..<depth {
                        m[k].feature = m[k + 1].feature; m[k].zero = m[k + 1].zero; m[k].one = m[k + 1].one
                    }
                }
                func unwoundSum(_ m: UnsafeMutablePointer<PathElement>, _ depth: Int, _ index: Int) -> Double {
                    let one = m[index].one, zero = m[index].zero
                    let upInverse = upInverse + depth * stride, downInverse = downInverse + depth * stride, down = down + depth * stride
                    var next = m[depth].weight, total = 0.0
                    var i = depth - 1
                    if one != 0 {
                        while i >= 0 {
                            let t = next * upInverse[i]
                            total += t
                            next = m[i].weight - t * zero * down[i]
                            i -= 1
                        }
                    } else {
                        let inverseZero = 1 / zero
                        while i >= 0 {
                            total += m[i].weight * inverseZero * downInverse[i]
                            i -= 1
                        }
                    }
                    return total
                }
                func recurse(_ node: Int, _ parent: UnsafeMutablePointer<PathElement>, _ parentDepth: Int,
                             _ zero: Double, _ one: Double, _ feature: Int) {
                    var depth = parentDepth
                    let m = parent + depth + 1
                    m.update(from: parent, count: depth)
                    extend(m, depth, zero, one, feature)
                    if self.feature[node] < 0 {
                        let v = value(node)
                        if depth > 0 {
                            for i in 1...depth { phi[m[i].feature] += unwoundSum(m, depth, i) * (m[i].one - m[i].zero) * v }
                        }
                        return
                    }
                    let d = Int(self.feature[node])
                    let left = goesLeft(node, numeric: numeric, category: category, categorical: categorical)
                    let hot = Int(left ? self.left[node] : self.right[node]), cold = Int(left ? self.right[node] : self.left[node])
                    var incomingZero = 1.0, incomingOne = 1.0
                    var k = 0
                    while k <= depth && m[k].feature != d { k += 1 }
                    if k <= depth {
                        incomingZero = m[k].zero; incomingOne = m[k].one
                        unwind(m, depth, k)
                        depth -= 1
                    }
                    let r = cover[node]
                    recurse(hot, m, depth + 1, incomingZero * cover[hot] / r, incomingOne, d)
                    recurse(cold, m, depth + 1, incomingZero * cover[cold] / r, 0, d)
                }
                recurse(0, base, 0, 1, 1, -1)
            }
        }
    }

    /// The ratios TreeSHAP's path updates multiply by, for each path length d + 1
    /// and position i: (i + 1) / (d + 1), (d - i) / (d + 1) and their inverses,
    /// four tables side by side, so that no step divides by a constant.
    struct ShapRatios {
        let levels: Int
        let values: [Double]

        init(levels: Int) {
            self.levels = levels
            var v = [Double](repeating: 0, count: 4 * levels * levels)
            let table = levels * levels
            for d in 0..<levels {
                for i in 0..<levels {
                    v[d * levels + i] = Double(i + 1) / Double(d + 1)
                    v[table + d * levels + i] = Double(d - i) / Double(d + 1)
                    v[2 * table + d * levels + i] = Double(d + 1) / Double(i + 1)
                    v[3 * table + d * levels + i] = Double(d + 1) / Double(d - i)
                }
            }
            values = v
        }
    }

    /// Paths of up to 64 levels (deeper trees build their own).
    static let shapRatios = ShapRatios(levels: 64)
}

/// The same SHAP values from tables made once per tree (in the manner of
/// Yang's Fast TreeSHAP v2), for many rows. For a leaf with the unique features
/// P on its path (d of them, each with z_k, the product of the cover fractions
/// of its splits on the path) and a row that satisfies the splits of the
/// features O ⊆ P, the Shapley formula reduces to
///
///     φ_i += v (1 - z_i) Z T(O \ {i})   for i in O
///     φ_i -= v Z T(O)                   for i not in O
///
/// where Z is the product of z_k over P \ O and T(A) = Σ_{S ⊆ A} w(|S|) Π_{k ∈ A \ S} z_k
/// with w(s) = s! (d - s - 1)! / d!. T is tabled per leaf for every subset
/// (2^d values), so each row costs a decision per node and a few operations
/// per path step, instead of the recursion's d² per leaf. The values equal
/// the recursion's up to rounding.
struct ShapTable {
    /// Leaves, each with its value, its path's nodes (node, whether the leaf
    /// lies to its left, the unique feature's slot) and unique features.
    var leaves: [Int32] = []
    var pathStart: [Int32] = [0]
    var pathNode: [Int32] = [], pathLeft: [Bool] = [], pathSlot: [Int32] = []
    var featureStart: [Int32] = [0]
    var feature: [Int32] = [], z: [Double] = []
    var tableStart: [Int] = [0]
    var table: [Double] = []

    /// Leaves' paths of at most this many unique features are tabled.
    static let maxFeatures = 12
    /// Table entries (doubles) for all the trees of one model, at most: the
    /// trees past this many use the recursion.
    static let budget = 1 << 18

    /// The number of table entries a tree needs (its leaves' 2^d), or nil when
    /// a path has more than `maxFeatures` unique features.
    static func entries(_ tree: Tree) -> Int? {
        var total = 0
        var path: [Int32] = []
        func visit(_ node: Int) -> Bool {
            if tree.feature[node] < 0 {
                let d = Set(path).count
                guard d <= maxFeatures else { return false }
                total += 1 << d
                return true
            }
            path.append(tree.feature[node])
            defer { path.removeLast() }
            return visit(Int(tree.left[node])) && visit(Int(tree.right[node]))
        }
        return visit(0) ? total : nil
    }

    /// Tables for the trees that fit in `budget` entries together (taken in
    /// order), nil for the others.
    static func tables(_ trees: [Tree], covers: [[Double]]) -> [ShapTable?] {
        var left = budget
        return trees.indices.map { k in
            guard let table = ShapTable(trees[k], cover: covers[k], maxEntries: left) else { return nil }
            left -= table.table.count
            return table
        }
    }

    /// Nil when a leaf's path has more than `maxFeatures` unique features, the
    /// tables would exceed `maxEntries`, or a node on a path has no cover.
    init?(_ tree: Tree, cover: [Double], maxEntries: Int = budget) {
        guard cover.first.map({ $0 > 0 }) ?? false, let size = Self.entries(tree), size <= maxEntries else { return nil }
        // Arrays of their final size from the start (no doubling to hold on to).
        let leafCount = tree.leaves
        table.reserveCapacity(size)
        leaves.reserveCapacity(leafCount); pathStart.reserveCapacity(leafCount + 1)
        featureStart.reserveCapacity(leafCount + 1); tableStart.reserveCapacity(leafCount + 1)
        var path: [(node: Int32, left: Bool)] = []
        var ok = true
        func visit(_ node: Int) {
            guard ok else { return }
            if tree.feature[node] >= 0 {
                path.append((Int32(node), true)); visit(Int(tree.left[node]))
                path[path.count - 1].left = false; visit(Int(tree.right[node]))
                path.removeLast()
                return
            }
            // A leaf: its unique features, each one's cover fraction, and its table.
            var features: [Int32] = [], zs: [Double] = []
            for step in path {
                let n = Int(step.node)
                let child = Int(step.left ? tree.left[n] : tree.right[n])
                guard cover[n] > 0 else { ok = false; return }
                let fraction = cover[child] / cover[n]
                let f = tree.feature[n]
                let slot: Int
                if let s = features.firstIndex(of: f) { slot = s; zs[s] *= fraction } else { slot = features.count; features.append(f); zs.append(fraction) }
                pathNode.append(step.node); pathLeft.append(step.left); pathSlot.append(Int32(slot))
            }
            leaves.append(Int32(node))
            pathStart.append(Int32(pathNode.count))
            feature += features; z += zs
            featureStart.append(Int32(feature.count))
            table += Self.subsetTable(zs)
            tableStart.append(table.count)
        }
        visit(0)
        guard ok else { return nil }
    }

    /// T(A) for every subset A (as a bit mask) of features with fractions z.
    static func subsetTable(_ z: [Double]) -> [Double] {
        let d = z.count, size = 1 << d
        // w(s) = s! (d - s - 1)! / d!, for s < d (a subset of d - 1 features at most is asked for)
        var w = [Double](repeating: 0, count: d + 1)
        for s in 0..<d {
            var v = 1.0 / Double(d)
            // s! (d-1-s)! / (d-1)!  =  1 / C(d-1, s)
            var c = 1.0
            for j in 0..<s { c = c * Double(d - 1 - j) / Double(j + 1) }
            v /= c
            w[s] = v
        }
        // Elementary symmetric polynomials e_j of each subset's fractions, built
        // up along a depth-first walk that adds features in increasing order
        // (every subset once; one vector per level of the walk, not per subset).
        var t = [Double](repeating: 0, count: size)
        var stack = [Double](repeating: 0, count: (d + 1) * (d + 1))
        stack[0] = 1
        func visit(_ mask: Int, _ m: Int, _ next: Int) {
            let e = m * (d + 1)
            var total = 0.0
            for s in 0...m { total += w[s] * stack[e + m - s] }
            t[mask] = total
            var k = next
            while k < d {
                let child = e + d + 1
                stack[child] = 1
                for j in 1...(m + 1) { stack[child + j] = stack[e + j] + z[k] * stack[e + j - 1] }
                visit(mask | 1 << k, m + 1, k + 1)
                k += 1
            }
        }
        visit(0, 0, 0)
        return t
    }

    /// Each leaf's value, in the order of `leaves`, for `add`.
    func leafValues(_ value: (Int) -> Double) -> [Double] { leaves.map { value(Int($0)) } }

    /// Adds one row's SHAP values to `phi`, given every split node's direction
    /// for the row (`left[node]`) and the leaves' values (`leafValues`).
    func add(left goesLeft: UnsafeBufferPointer<Bool>, values: UnsafeBufferPointer<Double>, into phi: UnsafeMutableBufferPointer<Double>) {
        pathStart.withUnsafeBufferPointer { pathStart in
        pathNode.withUnsafeBufferPointer { pathNode in
        pathLeft.withUnsafeBufferPointer { pathLeft in
        pathSlot.withUnsafeBufferPointer { pathSlot in
        featureStart.withUnsafeBufferPointer { featureStart in
        feature.withUnsafeBufferPointer { feature in
        z.withUnsafeBufferPointer { z in
        tableStart.withUnsafeBufferPointer { tableStart in
        table.withUnsafeBufferPointer { table in
            for l in 0..<values.count {
                let f0 = Int(featureStart[l]), d = Int(featureStart[l + 1]) - f0
                if d == 0 { continue }
                var satisfied = (1 << d) - 1
                // Without branches: whether a row follows a split is as good as random.
                for p in Int(pathStart[l])..<Int(pathStart[l + 1]) {
                    let strays = goesLeft[Int(pathNode[p])] != pathLeft[p] ? 1 : 0
                    satisfied &= ~(strays << Int(pathSlot[p]))
                }
                var unsatisfied = 1.0
                for k in 0..<d { unsatisfied *= satisfied & (1 << k) == 0 ? z[f0 + k] : 1 }
                let v = values[l], t = tableStart[l]
                let vz = v * unsatisfied, whole = vz * table[t + satisfied]
                for k in 0..<d {
                    // (for a feature outside O the entry read is T(O) itself, and unused)
                    let within = vz * (1 - z[f0 + k]) * table[t + (satisfied & ~(1 << k))]
                    phi[Int(feature[f0 + k])] += satisfied & (1 << k) != 0 ? within : -whole
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        }
    }
}

/// A model's TreeSHAP tables, made by the first call that wants them and shared
/// by the later ones (the blocks of a scoring job, on every core), so they are
/// held once. Kept for the trees they were made from (their count and sizes);
/// other trees get tables of their own.
final class ShapTableCache: @unchecked Sendable {
    private let lock = NSLock()
    private var key: [Int] = []
    private var tables: [ShapTable?] = []

    func tables(_ trees: [Tree], covers: [[Double]]) -> [ShapTable?] {
        let key = trees.map(\.count)
        lock.lock()
        defer { lock.unlock() }
        if key != self.key {
            tables = ShapTable.tables(trees, covers: covers)
            self.key = key
        }
        return tables
    }
}

extension Tree {
    /// Training rows for a model card's mean |contribution|: TreeSHAP costs
    /// leaves x depth² per tree and row, so many, large or deep trees
    /// summarise on fewer rows (2,000 at most; 50 at least, unless 50 rows
    /// would cost more than 5 x 10⁹, about a second: an unlimited-depth tree
    /// on a million rows has 3.6 x 10⁸ per row, and takes 13).
    static func summaryRows(_ trees: [Tree]) -> Int {
        let cost = max(1, trees.reduce(0.0) { $0 + Double($1.leaves) * pow(Double($1.depth()), 2) })
        let floor = max(1, min(50, Int(5e9 / cost)))
        return max(floor, min(2000, Int(1e9 / cost)))
    }
}
