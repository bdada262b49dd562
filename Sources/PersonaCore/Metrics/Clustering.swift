/// Internal clustering quality measures, computed in the model's feature space
/// (after the pipeline), in Double. Definitions follow scikit-learn's.
public enum ClusteringMetrics {
    /// Mean silhouette over the rows given (a seeded sample of at most `sample` rows).
    /// A point alone in its cluster scores 0. Returns nil with fewer than 2 clusters.
    public static func silhouette(_ x: FloatMatrix, labels: [Int32], sample: Int, seed: UInt64) -> (score: Double?, rows: Int) {
        let (rows, values) = silhouettes(x, labels: labels, sample: sample, seed: seed)
        guard let values else { return (nil, rows.count) }
        // summed block by block, in block order, as the values were computed
        let total = Parallel.blocks(values.count, minBlock: 256, maxBlocks: 64)
            .map { range in range.reduce(0.0) { $0 + values[$1] } }.reduce(0, +)
        return (total / Double(values.count), rows.count)
    }

    /// Each sampled row's silhouette (b - a) / max(a, b), with a its mean
    /// distance to its own cluster and b to the nearest other: the rows sampled
    /// (at most `sample`, seeded, in order) and their values (nil with fewer
    /// than 2 clusters among them, or as many clusters as rows).
    static func silhouettes(_ x: FloatMatrix, labels: [Int32], sample: Int, seed: UInt64) -> (rows: [Int], values: [Double]?) {
        let n = x.rows, d = x.cols
        var idx = Array(0..<n)
        if n > sample {
            var rng = PersonaRandom(seed: seed, stream: 0x511)
            for i in 0..<sample { idx.swapAt(i, i + rng.below(n - i)) }
            idx = Array(idx[0..<sample]).sorted()
        }
        let s = idx.count
        let present = Array(Set(idx.map { labels[$0] })).sorted()
        if present.count < 2 || present.count >= s { return (idx, nil) }
        let slot = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
        let lab = idx.map { slot[labels[$0]]! }
        let kk = present.count
        var clusterSize = [Int](repeating: 0, count: kk)
        for l in lab { clusterSize[l] += 1 }
        var sub = DoubleMatrix(rows: s, cols: d)
        for (r, i) in idx.enumerated() { for j in 0..<d { sub[r, j] = Double(x.storage[i * d + j]) } }
        var norms = [Double](repeating: 0, count: s)
        for r in 0..<s { var t = 0.0; for j in 0..<d { t += sub[r, j] * sub[r, j] }; norms[r] = t }
        let blocks = Parallel.blocks(s, minBlock: 256, maxBlocks: 64)
        let parts: [[Double]] = Parallel.map(blocks.count) { b in
            let range = blocks[b]
            var dots = [Double](repeating: 0, count: range.count * s)
            sub.storage.withUnsafeBufferPointer { p in
                dots.withUnsafeMutableBufferPointer { dp in
                    Double._gemm(false, true, range.count, s, d, 1, p.baseAddress! + range.lowerBound * d, d,
                                 p.baseAddress!, d, 0, dp.baseAddress!, s)
                }
            }
            var values: [Double] = []
            var sums = [Double](repeating: 0, count: kk)
            for (r, i) in range.enumerated() {
                for c in 0..<kk { sums[c] = 0 }
                for t in 0..<s where t != i {
                    let sq = norms[i] + norms[t] - 2 * dots[r * s + t]
                    sums[lab[t]] += sq > 0 ? sq.squareRoot() : 0
                }
                let own = lab[i]
                if clusterSize[own] <= 1 { values.append(0); continue }
                let a = sums[own] / Double(clusterSize[own] - 1)
                var bmin = Double.infinity
                for c in 0..<kk where c != own && clusterSize[c] > 0 { bmin = min(bmin, sums[c] / Double(clusterSize[c])) }
                let m = max(a, bmin)
                values.append(m > 0 ? (bmin - a) / m : 0)
            }
            return values
        }
        return (idx, parts.flatMap { $0 })
    }

    /// Centroids of the labelled rows (not the model's centres), for the two indices below.
    static func centroids(_ x: FloatMatrix, labels: [Int32], k: Int) -> (centroids: [[Double]], counts: [Int]) {
        let d = x.cols
        var c = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<x.rows {
            let l = Int(labels[i]); counts[l] += 1
            for j in 0..<d { c[l][j] += Double(x.storage[i * d + j]) }
        }
        for l in 0..<k where counts[l] > 0 { for j in 0..<d { c[l][j] /= Double(counts[l]) } }
        return (c, counts)
    }

    /// Davies-Bouldin index: lower is better. Nil with fewer than 2 non-empty clusters.
    public static func daviesBouldin(_ x: FloatMatrix, labels: [Int32], k: Int) -> Double? {
        let d = x.cols
        let (c, counts) = centroids(x, labels: labels, k: k)
        let live = (0..<k).filter { counts[$0] > 0 }
        if live.count < 2 { return nil }
        var scatter = [Double](repeating: 0, count: k)
        for i in 0..<x.rows {
            let l = Int(labels[i])
            var s = 0.0
            for j in 0..<d { let t = Double(x.storage[i * d + j]) - c[l][j]; s += t * t }
            scatter[l] += s.squareRoot()
        }
        for l in live { scatter[l] /= Double(counts[l]) }
        var total = 0.0
        for a in live {
            var worst = 0.0
            for b in live where b != a {
                var s = 0.0
                for j in 0..<d { let t = c[a][j] - c[b][j]; s += t * t }
                let sep = s.squareRoot()
                let r = sep > 0 ? (scatter[a] + scatter[b]) / sep : .infinity
                worst = max(worst, r)
            }
            total += worst
        }
        return total / Double(live.count)
    }

    /// Calinski-Harabasz index (variance ratio): higher is better. Nil with fewer
    /// than 2 non-empty clusters or no more rows than clusters.
    public static func calinskiHarabasz(_ x: FloatMatrix, labels: [Int32], k: Int) -> Double? {
        let n = x.rows, d = x.cols
        let (c, counts) = centroids(x, labels: labels, k: k)
        let live = (0..<k).filter { counts[$0] > 0 }
        if live.count < 2 || n <= live.count { return nil }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x.storage[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var between = 0.0, within = 0.0
        for l in live {
            var s = 0.0
            for j in 0..<d { let t = c[l][j] - mean[j]; s += t * t }
            between += Double(counts[l]) * s
        }
        for i in 0..<n {
            let l = Int(labels[i])
            for j in 0..<d { let t = Double(x.storage[i * d + j]) - c[l][j]; within += t * t }
        }
        if within == 0 { return .infinity }
        return (between / Double(live.count - 1)) / (within / Double(n - live.count))
    }
}
