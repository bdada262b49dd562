/// Something a bounded heap can rank: `ranksBelow` orders candidates, worst first.
protocol Ranked {
    /// True when `a` is the worse of the two (dropped first when the heap is full).
    static func ranksBelow(_ a: Self, _ b: Self) -> Bool
}

/// The best `capacity` items seen so far, by a min-heap whose root is the item
/// to drop next: O(n log k) for n candidates, never a full sort. One kernel
/// for every top-k in Persona (recommendations, similar items, `score --top`).
struct BoundedHeap<Element: Ranked> {
    let capacity: Int
    private(set) var items: [Element] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        items.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// Whether `candidate` would be kept: there is room, or it beats the root.
    @inline(__always) func wants(_ candidate: Element) -> Bool {
        items.count < capacity || (capacity > 0 && Element.ranksBelow(items[0], candidate))
    }

    @inline(__always) mutating func insert(_ candidate: Element) {
        if items.count < capacity {
            items.append(candidate)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Element.ranksBelow(items[c], items[p]) else { break }
                items.swapAt(c, p); c = p
            }
        } else if capacity > 0 && Element.ranksBelow(items[0], candidate) {
            items[0] = candidate
            var c = 0
            while true {
                let l = 2 * c + 1, r = l + 1
                var m = c
                if l < items.count && Element.ranksBelow(items[l], items[m]) { m = l }
                if r < items.count && Element.ranksBelow(items[r], items[m]) { m = r }
                if m == c { break }
                items.swapAt(c, m); c = m
            }
        }
    }

    /// The kept items, best first.
    func bestFirst() -> [Element] { items.sorted { Element.ranksBelow($1, $0) } }
}

/// An index with its score; among equal scores the lower index ranks higher.
struct ScoredIndex: Ranked {
    var index: Int
    var score: Float
    @inline(__always) static func ranksBelow(_ a: ScoredIndex, _ b: ScoredIndex) -> Bool {
        a.score != b.score ? a.score < b.score : a.index > b.index
    }
}

/// The k largest values of one row of scores, best first (ties by index).
/// NaN and -inf (excluded items) are never returned.
enum TopK {
    static func largest(_ scores: [Float], from start: Int, count: Int, k: Int, excluding: Set<Int>) -> [(Int, Float)] {
        scores.withUnsafeBufferPointer { largest($0, from: start, count: count, k: k, excluding: excluding) }
    }

    static func largest(_ scores: UnsafeBufferPointer<Float>, from start: Int, count: Int, k: Int, excluding: Set<Int> = []) -> [(Int, Float)] {
        var heap = BoundedHeap<ScoredIndex>(capacity: k)
        for i in 0..<count {
            let s = scores[start + i]
            if s.isNaN || s == -.infinity || (!excluding.isEmpty && excluding.contains(i)) { continue }
            let candidate = ScoredIndex(index: i, score: s)
            if heap.wants(candidate) { heap.insert(candidate) }
        }
        return heap.bestFirst().map { ($0.index, $0.score) }
    }
}
