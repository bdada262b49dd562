#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fitted tree as flat arrays (node 0 is the root). A split node sends a row
/// left when its value is <= `threshold` (numeric) or its category is in
/// `leftCategories` (a bit per bin); missing values go left when `missingLeft`.
struct Tree: Equatable {
    var feature: [Int32] = []           // -1 for a leaf
    var threshold: [Double] = []
    var missingLeft: [Bool] = []
    var leftCategories: [[UInt64]] = [] // 4 words = 256 bins
    var left: [Int32] = []
    var right: [Int32] = []
    var value: [[Double]] = []          // class probabilities, or [mean]
    var samples: [Double] = []          // rows reaching the node
    var weight: [Double] = []           // weighted rows
    var impurity: [Double] = []
    var gain: [Double] = []             // weighted impurity decrease of the split (0 at leaves)

    var count: Int { feature.count }
    var leaves: Int { feature.filter { $0 < 0 }.count }

    mutating func addLeaf(value v: [Double], samples n: Double, weight w: Double, impurity i: Double) -> Int {
        feature.append(-1); threshold.append(0); missingLeft.append(true); leftCategories.append([0, 0, 0, 0])
        left.append(-1); right.append(-1); value.append(v); samples.append(n); weight.append(w); impurity.append(i); gain.append(0)
        return count - 1
    }

    /// Whether category bin `bin` (level index + 1; the last bin takes unseen
    /// levels) goes left at a categorical split.
    @inline(__always) func binGoesLeft(_ node: Int, _ bin: Int) -> Bool {
        (leftCategories[node][bin >> 6] >> UInt64(bin & 63)) & 1 == 1
    }

    func depth(_ node: Int = 0) -> Int {
        feature[node] < 0 ? 0 : 1 + max(depth(Int(left[node])), depth(Int(right[node])))
    }

    /// The leaf a row reaches; `numeric(f)` gives feature f's value (NaN if missing),
    /// `category(f)` its bin (0 if missing).
    @inline(__always)
    func leaf(numeric: (Int) -> Double, category: (Int) -> Int, categorical: [Bool]) -> Int {
        var node = 0
        while feature[node] >= 0 {
            node = Int(goesLeft(node, numeric: numeric, category: category, categorical: categorical) ? left[node] : right[node])
        }
        return node
    }

    /// The leaf of the raw-encoded row starting at `row` in `x`.
    @inline(__always)
    func leaf(_ x: UnsafeBufferPointer<Float>, row: Int, _ layout: RawRowLayout) -> Int {
        leaf(numeric: { layout.numeric(x, row, $0) }, category: { layout.category(x, row, $0) }, categorical: layout.categorical)
    }

    /// Weighted impurity decrease per feature, normalised to sum to 1.
    func importances(features: Int) -> [Double] {
        var imp = [Double](repeating: 0, count: features)
        for n in 0..<count where feature[n] >= 0 { imp[Int(feature[n])] += gain[n] }
        let total = imp.reduce(0, +)
        return total > 0 ? imp.map { $0 / total } : imp
    }

    /// A copy with only the nodes reachable from the root (after pruning), renumbered.
    func compacted() -> Tree {
        var out = Tree()
        func copy(_ n: Int) -> Int {
            let i = out.addLeaf(value: value[n], samples: samples[n], weight: weight[n], impurity: impurity[n])
            if feature[n] >= 0 {
                out.feature[i] = feature[n]; out.threshold[i] = threshold[n]; out.missingLeft[i] = missingLeft[n]
                out.leftCategories[i] = leftCategories[n]; out.gain[i] = gain[n]
                let l = copy(Int(left[n])), r = copy(Int(right[n]))
                out.left[i] = Int32(l); out.right[i] = Int32(r)
            }
            return i
        }
        _ = copy(0)
        return out
    }
}

/// Minimal cost-complexity pruning (Breiman et al.): repeatedly collapse the
/// internal node whose subtree buys the least impurity per extra leaf,
///   α(t) = (R(t) − R(T_t)) / (|leaves(T_t)| − 1),   R(t) = impurity(t) · weight(t) / total weight,
/// while α ≤ ccp_alpha. `path` lists each α reached and the leaves left.
enum Pruning {
    static func prune(_ tree: Tree, alpha: Double) -> Tree {
        var t = tree
        run(&t, upTo: alpha)
        return t.compacted()
    }

    static func path(_ tree: Tree) -> [(alpha: Double, leaves: Int, tree: Tree)] {
        var t = tree
        var out: [(Double, Int, Tree)] = [(0, t.leaves, t.compacted())]
        while t.feature[0] >= 0 {
            let a = run(&t, upTo: .infinity, steps: 1)
            let c = t.compacted()
            out.append((a, c.leaves, c))
        }
        return out
    }

    /// Prunes weakest links while α ≤ limit (or for `steps` steps); returns the last α.
    @discardableResult
    static func run(_ t: inout Tree, upTo limit: Double, steps: Int = .max) -> Double {
        let total = t.weight[0]
        var lastAlpha = 0.0
        var done = 0
        while done < steps && t.feature[0] >= 0 {
            // Subtree risk and leaf counts, bottom-up from the root.
            var risk = [Double](repeating: 0, count: t.count), leaves = [Int](repeating: 0, count: t.count)
            func visit(_ n: Int) {
                if t.feature[n] < 0 { risk[n] = t.impurity[n] * t.weight[n] / total; leaves[n] = 1; return }
                let l = Int(t.left[n]), r = Int(t.right[n])
                visit(l); visit(r)
                risk[n] = risk[l] + risk[r]; leaves[n] = leaves[l] + leaves[r]
            }
            visit(0)
            var weakest = -1, weakestAlpha = Double.infinity
            func scan(_ n: Int) {
                if t.feature[n] < 0 { return }
                let a = (t.impurity[n] * t.weight[n] / total - risk[n]) / Double(leaves[n] - 1)
                if a < weakestAlpha - 1e-15 { weakestAlpha = a; weakest = n }
                scan(Int(t.left[n])); scan(Int(t.right[n]))
            }
            scan(0)
            if weakest < 0 || weakestAlpha > limit { break }
            t.feature[weakest] = -1
            t.gain[weakest] = 0
            lastAlpha = max(0, weakestAlpha)
            done += 1
        }
        return lastAlpha
    }
}

/// Where each pipeline column sits in a raw-encoded row, as trees read rows:
/// a number as it is (NaN when missing), a category as a one-hot block of its
/// levels and the unseen bucket (all zero when missing).
struct RawRowLayout {
    let offsets: [Int]
    let levels: [Int]            // slots per categorical block: levels + the unseen bucket
    let categorical: [Bool]

    init(_ pipeline: FeaturePipeline) {
        offsets = pipeline.columnOffsets
        levels = pipeline.columns.map { ($0.levels?.count ?? 0) + 1 }
        categorical = pipeline.columns.map { $0.type == .categorical }
    }

    @inline(__always) func numeric(_ x: UnsafeBufferPointer<Float>, _ row: Int, _ f: Int) -> Double { Double(x[row + offsets[f]]) }

    /// A category's bin: 0 when missing, 1 + its level, the last bin for unseen levels.
    @inline(__always) func category(_ x: UnsafeBufferPointer<Float>, _ row: Int, _ f: Int) -> Int {
        for b in 0..<levels[f] where x[row + offsets[f] + b] == 1 { return b + 1 }
        return 0
    }
}
