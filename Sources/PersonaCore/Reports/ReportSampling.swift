import Foundation

/// A deterministic sample of row indices (all of them when there are few).
func reportSample(_ n: Int, _ size: Int, seed: UInt64) -> [Int] {
    guard n > size else { return Array(0..<n) }
    var rng = PersonaRandom(seed: seed, stream: 0x5E7)
    var idx = Array(0..<n)
    rng.shuffle(&idx)
    return Array(idx.prefix(size)).sorted()
}

extension FloatMatrix {
    /// A matrix of the given rows, in that order.
    func selecting(rows idx: [Int]) -> FloatMatrix {
        var out = FloatMatrix(rows: idx.count, cols: cols)
        for (r, i) in idx.enumerated() { for j in 0..<cols { out.storage[r * cols + j] = storage[i * cols + j] } }
        return out
    }
}
