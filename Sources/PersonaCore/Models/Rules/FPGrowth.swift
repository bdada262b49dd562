import Foundation

/// Frequent itemsets, flat: itemset i is items[offsets[i]..<offsets[i + 1]]
/// (item indices ascending, so sorted by name), seen in counts[i] baskets.
public struct FrequentItemsets: Sendable, Equatable {
    public var items: [Int32] = []
    public var offsets: [Int] = [0]
    public var counts: [Int] = []

    public init() {}
    public var count: Int { counts.count }
    public func range(_ i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }
    public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }
    public func itemset(_ i: Int) -> ArraySlice<Int32> { items[range(i)] }

    mutating func append<C: Collection>(_ set: C, count: Int) where C.Element == Int32 {
        items.append(contentsOf: set); offsets.append(items.count); counts.append(count)
    }

    mutating func append(contentsOf other: FrequentItemsets) {
        let base = items.count
        items.append(contentsOf: other.items)
        offsets.append(contentsOf: other.offsets.dropFirst().lazy.map { $0 + base })
        counts.append(contentsOf: other.counts)
    }

    /// The same itemsets in a canonical order: by length, then by items.
    func sorted() -> FrequentItemsets {
        let order = (0..<count).sorted { a, b in
            let la = length(a), lb = length(b)
            return la != lb ? la < lb : itemset(a).lexicographicallyPrecedes(itemset(b))
        }
        var out = FrequentItemsets()
        out.items.reserveCapacity(items.count); out.counts.reserveCapacity(count); out.offsets.reserveCapacity(count + 1)
        for i in order { out.append(itemset(i), count: counts[i]) }
        return out
    }
}

/// FP-growth (Han, Pei and Yin, 2000) over item indices. Items below the
/// minimum count are dropped before any tree is built; the rest are ranked by
/// count (most frequent first) and each basket becomes a path of the FP-tree,
/// whose shared prefixes share nodes. An item's itemsets come from its
/// conditional tree, built from the paths above its nodes; a tree that is one
/// path yields every combination of that path directly. The top-level items
/// are mined in parallel.
enum FPGrowth {
    /// Thrown when more itemsets than the limit would be kept.
    struct TooMany: Error { let limit: Int }

    /// A prefix tree of weighted paths. Node 0 is the root.
    struct Tree {
        var item: [Int32] = [-1]
        var count: [Int] = [0]
        var parent: [Int32] = [-1]
        /// Items are 0..<items; paths hold them ascending.
        let items: Int
        /// The nodes of each item: nodeList[nodeStart[i]..<nodeStart[i + 1]].
        var nodeStart: [Int] = []
        var nodeList: [Int32] = []
        // Child lookup while building: (parent, item) -> node, open addressing.
        private var keys: [UInt64] = []
        private var values: [Int32] = []
        private var mask = 0

        init(items: Int, expectedNodes: Int, lookup: Bool = true) {
            self.items = items
            item.reserveCapacity(expectedNodes + 1); count.reserveCapacity(expectedNodes + 1); parent.reserveCapacity(expectedNodes + 1)
            guard lookup else { return }
            let capacity = max(16, (expectedNodes * 2).nextPowerOfTwo)
            keys = [UInt64](repeating: .max, count: capacity); values = [Int32](repeating: 0, count: capacity); mask = capacity - 1
        }

        /// Appends a node without the lookup table (`topTree` builds in path order).
        @inline(__always) mutating func append(item it: Int32, parent p: Int32) -> Int32 {
            item.append(it); count.append(0); parent.append(p)
            return Int32(item.count - 1)
        }

        @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
            Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        }

        /// The child of `node` holding `it`, made if missing.
        @inline(__always) mutating func child(_ node: Int32, _ it: Int32) -> Int32 {
            let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: it))
            var s = Self.slot(key, mask)
            while true {
                let k = keys[s]
                if k == key { return values[s] }
                if k == .max { break }
                s = (s + 1) & mask
            }
            let n = Int32(item.count)
            item.append(it); count.append(0); parent.append(node)
            keys[s] = key; values[s] = n
            if item.count * 2 > keys.count { grow() }
            return n
        }

        private mutating func grow() {
            let old = keys, oldValues = values
            let capacity = keys.count * 2
            keys = [UInt64](repeating: .max, count: capacity); values = [Int32](repeating: 0, count: capacity); mask = capacity - 1
            for (k, v) in zip(old, oldValues) where k != .max {
                var s = Self.slot(k, mask)
                while keys[s] != .max { s = (s + 1) & mask }
                keys[s] = k; values[s] = v
            }
        }

        mutating func insert(_ path: UnsafeBufferPointer<Int32>, weight: Int) {
            var node: Int32 = 0
            for it in path {
                node = child(node, it)
                count[Int(node)] += weight
            }
        }

        /// Drops the lookup table and lists each item's nodes.
        mutating func finish() {
            keys = []; values = []
            nodeStart = [Int](repeating: 0, count: items + 1)
            for n in 1..<item.count { nodeStart[Int(item[n]) + 1] += 1 }
            for i in 0..<items { nodeStart[i + 1] += nodeStart[i] }
            var next = nodeStart
            nodeList = [Int32](repeating: 0, count: item.count - 1)
            for n in 1..<item.count { let i = Int(item[n]); nodeList[next[i]] = Int32(n); next[i] += 1 }
        }

        /// True when the tree is one chain from the root (each item once).
        var isSinglePath: Bool {
            guard item.count - 1 == items else { return false }
            for n in 1..<item.count where parent[n] != Int32(n - 1) { return false }
            return true
        }
    }

    struct Settings {
        /// What an itemset of two or more items needs (items: `minItemCount` in `mine`).
        var minCount: Int
        var maxLength: Int
        var budget: Budget
    }

    /// The itemsets every mining task may still emit, shared: a task adds what it
    /// emitted every few thousand itemsets, and every task stops once one finds
    /// the limit passed, so memory stays near the limit however many tasks run.
    final class Budget: @unchecked Sendable {
        let limit: Int
        private var used = 0
        private var exceeded = false
        private let lock = NSLock()
        init(limit: Int) { self.limit = limit }

        /// Records `count` more itemsets; false once the total passed the limit (by any task).
        func spend(_ count: Int) -> Bool {
            lock.lock(); defer { lock.unlock() }
            used += count
            if used > limit { exceeded = true }
            return !exceeded
        }
    }

    /// Every item in at least `minItemCount` baskets and every larger itemset in
    /// at least `minCount` (of at most `maxLength` items), in canonical order.
    static func mine(_ baskets: Baskets, minItemCount: Int, minCount: Int, maxLength: Int?, limit: Int) throws -> FrequentItemsets {
        let settings = Settings(minCount: max(minCount, minItemCount), maxLength: maxLength ?? Int.max, budget: Budget(limit: limit))
        var support = [Int](repeating: 0, count: baskets.itemNames.count)
        for it in baskets.items { support[Int(it)] += 1 }
        // Frequent items ranked by count, ties by name.
        let frequent = support.indices.filter { support[$0] >= minItemCount }
            .sorted { support[$0] != support[$1] ? support[$0] > support[$1] : $0 < $1 }
        if frequent.isEmpty { return FrequentItemsets() }
        var rankOf = [Int32](repeating: -1, count: support.count)
        for (r, it) in frequent.enumerated() { rankOf[it] = Int32(r) }
        let global = frequent.map(Int32.init)

        let tree = topTree(baskets, rankOf: rankOf, items: frequent.count)

        // Each top-level item's itemsets, in parallel; most frequent items have the
        // shortest paths, so the work is spread by taking items in turn.
        let tasks = min(frequent.count, max(1, Parallel.cores * 4))
        let parts: [Result<FrequentItemsets, Error>] = Parallel.map(tasks) { t in
            Result {
                var out = FrequentItemsets()
                var prefix: [Int32] = []
                var reported = 0
                for i in stride(from: frequent.count - 1 - t, through: 0, by: -tasks) {
                    try mineItem(i, of: tree, global: global, prefix: &prefix, settings: settings, into: &out, reported: &reported)
                }
                if !settings.budget.spend(out.count - reported) { throw TooMany(limit: limit) }
                return out
            }
        }
        var all = FrequentItemsets()
        for p in parts {
            all.append(contentsOf: try p.get())
            if all.count > limit { throw TooMany(limit: limit) }
        }
        return all.sorted()
    }

    /// The FP-tree of every basket, its frequent items as ranks, built without
    /// looking up any child (no table the size of the data): the paths are
    /// partitioned by their item at each depth (a counting sort over the items
    /// present), each group one child with the group's size as its count; a
    /// small group is sorted and its paths added in order, each sharing its
    /// prefix with the one before.
    private static func topTree(_ baskets: Baskets, rankOf: [Int32], items: Int) -> Tree {
        var paths: [Int32] = [], offsets: [Int] = [0]
        paths.reserveCapacity(baskets.items.count); offsets.reserveCapacity(baskets.count + 1)
        for b in 0..<baskets.count {
            let start = paths.count
            for k in baskets.range(b) { let r = rankOf[Int(baskets.items[k])]; if r >= 0 { paths.append(r) } }
            if paths.count == start { continue }
            paths[start...].sort()
            offsets.append(paths.count)
        }
        var tree = Tree(items: items, expectedNodes: min(paths.count, 1 << 20), lookup: false)
        let count = offsets.count - 1
        var order = Array(0..<Int32(count)), scratch = [Int32](repeating: 0, count: count)
        var tally = [Int](repeating: 0, count: items), place = [Int](repeating: 0, count: items)
        var keys: [Int32] = [], stack: [Int32] = []
        // A range of `order` whose paths share their first `depth` items, ending at `parent`.
        var jobs: [(lo: Int, hi: Int, depth: Int, parent: Int32)] = [(0, count, 0, 0)]
        paths.withUnsafeBufferPointer { p in
            offsets.withUnsafeBufferPointer { off in
                func length(_ o: Int32) -> Int { off[Int(o) + 1] - off[Int(o)] }
                while let job = jobs.popLast() {
                    // Paths that end here were counted at their last node.
                    var lo = job.lo
                    for i in job.lo..<job.hi where length(order[i]) == job.depth { order.swapAt(i, lo); lo += 1 }
                    let hi = job.hi, depth = job.depth
                    if hi - lo == 0 { continue }
                    if hi - lo < 32 {
                        order[lo..<hi].sort { a, b in
                            let pa = off[Int(a)] + depth, pb = off[Int(b)] + depth
                            let la = off[Int(a) + 1] - pa, lb = off[Int(b) + 1] - pb
                            for k in 0..<min(la, lb) where p[pa + k] != p[pb + k] { return p[pa + k] < p[pb + k] }
                            return la < lb
                        }
                        stack.removeAll(keepingCapacity: true); stack.append(job.parent)
                        var previous = (start: 0, count: 0)
                        for i in lo..<hi {
                            let o = Int(order[i]), start = off[o] + depth, n = off[o + 1] - start
                            var shared = 0
                            while shared < min(previous.count, n) && p[previous.start + shared] == p[start + shared] { shared += 1 }
                            stack.removeLast(stack.count - 1 - shared)
                            for k in shared..<n { stack.append(tree.append(item: p[start + k], parent: stack[stack.count - 1])) }
                            for d in 1..<stack.count { tree.count[Int(stack[d])] += 1 }
                            previous = (start, n)
                        }
                        continue
                    }
                    keys.removeAll(keepingCapacity: true)
                    for i in lo..<hi {
                        let key = Int(p[off[Int(order[i])] + depth])
                        if tally[key] == 0 { keys.append(Int32(key)) }
                        tally[key] += 1
                    }
                    keys.sort()
                    var at = lo
                    for key in keys { place[Int(key)] = at; at += tally[Int(key)] }
                    for i in lo..<hi {
                        let o = order[i], key = Int(p[off[Int(o)] + depth])
                        scratch[place[key]] = o; place[key] += 1
                    }
                    for i in lo..<hi { order[i] = scratch[i] }
                    // One child per item, then its group below it (the smallest item first).
                    var groupStart = lo
                    let firstJob = jobs.count
                    for key in keys {
                        let size = tally[Int(key)]
                        let node = tree.append(item: key, parent: job.parent)
                        tree.count[Int(node)] = size
                        jobs.append((groupStart, groupStart + size, depth + 1, node))
                        groupStart += size
                        tally[Int(key)] = 0
                    }
                    jobs[firstJob...].reverse()
                }
            }
        }
        tree.finish()
        return tree
    }

    /// The itemsets that end in item `i` of `tree` (below `prefix`).
    private static func mineItem(_ i: Int, of tree: Tree, global: [Int32], prefix: inout [Int32], settings: Settings,
                                 into out: inout FrequentItemsets, reported: inout Int) throws {
        let nodes = tree.nodeList[tree.nodeStart[i]..<tree.nodeStart[i + 1]]
        var support = 0
        for n in nodes { support += tree.count[Int(n)] }
        prefix.append(global[i])
        defer { prefix.removeLast() }
        emit(prefix, support, into: &out)
        try check(settings, out, &reported)
        guard prefix.count < settings.maxLength, i > 0 else { return }

        // The conditional pattern base: the path above each node, weighted by its count.
        var condCount = [Int](repeating: 0, count: i)
        for n in nodes {
            let w = tree.count[Int(n)]
            var p = Int(tree.parent[Int(n)])
            while p != 0 { condCount[Int(tree.item[p])] += w; p = Int(tree.parent[p]) }
        }
        var local = [Int32](repeating: -1, count: i)
        var condGlobal: [Int32] = []
        for j in 0..<i where condCount[j] >= settings.minCount { local[j] = Int32(condGlobal.count); condGlobal.append(global[j]) }
        if condGlobal.isEmpty { return }

        var cond = Tree(items: condGlobal.count, expectedNodes: min(nodes.count * condGlobal.count, 1 << 16))
        var path: [Int32] = []
        for n in nodes {
            path.removeAll(keepingCapacity: true)
            var p = Int(tree.parent[Int(n)])
            while p != 0 { let l = local[Int(tree.item[p])]; if l >= 0 { path.append(l) }; p = Int(tree.parent[p]) }
            if path.isEmpty { continue }
            path.reverse()
            path.withUnsafeBufferPointer { cond.insert($0, weight: tree.count[Int(n)]) }
        }
        cond.finish()
        if cond.isSinglePath {
            try emitCombinations(of: cond, global: condGlobal, from: 1, prefix: &prefix, settings: settings, into: &out, reported: &reported)
        } else {
            for j in stride(from: cond.items - 1, through: 0, by: -1) {
                try mineItem(j, of: cond, global: condGlobal, prefix: &prefix, settings: settings, into: &out, reported: &reported)
            }
        }
    }

    /// Every combination of the nodes from `from` on of a single-path tree, each
    /// with the count of its deepest node, below `prefix`.
    private static func emitCombinations(of tree: Tree, global: [Int32], from: Int, prefix: inout [Int32], settings: Settings,
                                         into out: inout FrequentItemsets, reported: inout Int) throws {
        guard prefix.count < settings.maxLength else { return }
        for n in from..<tree.item.count {
            prefix.append(global[Int(tree.item[n])])
            emit(prefix, tree.count[n], into: &out)
            try check(settings, out, &reported)
            try emitCombinations(of: tree, global: global, from: n + 1, prefix: &prefix, settings: settings, into: &out, reported: &reported)
            prefix.removeLast()
        }
    }

    /// Reports this task's itemsets to the shared budget every 4,096, and stops
    /// it once the budget is spent (by it or another task).
    @inline(__always) private static func check(_ settings: Settings, _ out: FrequentItemsets, _ reported: inout Int) throws {
        guard out.count - reported >= 4096 else { return }
        let ok = settings.budget.spend(out.count - reported)
        reported = out.count
        if !ok { throw TooMany(limit: settings.budget.limit) }
    }

    @inline(__always) private static func emit(_ prefix: [Int32], _ count: Int, into out: inout FrequentItemsets) {
        let start = out.items.count
        out.items.append(contentsOf: prefix)
        out.items[start...].sort()
        out.offsets.append(out.items.count); out.counts.append(count)
    }
}

extension Int {
    /// The smallest power of two at least this (1 for 0 or less).
    var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
