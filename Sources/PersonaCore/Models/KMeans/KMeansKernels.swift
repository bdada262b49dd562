/// The hot loops of k-means, kept small and separate from the algorithm.
///
/// Squared distances come from the expansion |x - c|² = |x|² - 2 x·c + |c|², so
/// the dominant cost is one SGEMM per block of rows. The expansion cancels badly
/// when x and c are close relative to their norms, so it is used only to pick
/// the nearest centre; the distance reported for that centre is recomputed
/// directly as Σ (x - c)², accumulated in Double.
enum KMeansKernels {
    /// Rows per GEMM: large enough to amortise BLAS packing, small enough that
    /// the block of dot products (rows x k floats) stays within about 512 KB.
    static func chunkRows(k: Int) -> Int { max(256, min(4096, 131_072 / max(1, k))) }

    struct Assignment {
        var labels: [Int32]
        var distances: [Float]     // squared distance to the assigned centre
        var sums: [Double]         // per-centre coordinate sums (k x d)
        var counts: [Int]
        var inertia: Double
    }

    static func squaredNorms(_ x: FloatMatrix) -> [Float] {
        var norms = [Float](repeating: 0, count: x.rows)
        let d = x.cols
        // Each row's sum in column order, as one loop would; blocks of rows on every core.
        let blocks = Parallel.blocks(x.rows, minBlock: 16_384)
        x.storage.withUnsafeBufferPointer { p in
            norms.withUnsafeMutableBufferPointer { out in
                let box = UnsafeSendableBox((p, out))
                Parallel.forEach(blocks.count) { b in
                    let (p, out) = box.value
                    for i in blocks[b] {
                        var s: Float = 0
                        for j in 0..<d { let v = p[i * d + j]; s += v * v }
                        out[i] = s
                    }
                }
            }
        }
        return norms
    }

    /// Assigns every row to its nearest centre, and gathers what the update step needs.
    /// With `exact: false` (Lloyd's inner iterations) the distance kept is the
    /// expanded one, |x|² + min(|c|² - 2x·c), which is all the update step and the
    /// empty-cluster rule need; the final assignment uses exact distances.
    static func assign(_ x: FloatMatrix, centres: FloatMatrix, accumulate: Bool = true,
                       exact: Bool = true, rowNorms: [Float]? = nil) -> Assignment {
        let n = x.rows, d = x.cols, k = centres.rows
        let centreNorms = squaredNorms(centres)
        var labels = [Int32](repeating: 0, count: n)
        var distances = [Float](repeating: 0, count: n)
        let blocks = Parallel.blocks(n, minBlock: 4096)
        let partials: [(sums: [Double], counts: [Int], inertia: Double)] = labels.withUnsafeMutableBufferPointer { lp in
            distances.withUnsafeMutableBufferPointer { dp in
                let labelsOut = UnsafeSendableBox(lp), distOut = UnsafeSendableBox(dp)
                return Parallel.map(blocks.count) { b -> (sums: [Double], counts: [Int], inertia: Double) in
                    var sums = [Double](repeating: 0, count: accumulate ? k * d : 0)
                    var counts = [Int](repeating: 0, count: k)
                    var inertia = 0.0
                    let chunkRows = chunkRows(k: k)
                    let dots = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * k)
                    defer { dots.deallocate() }
                    let range = blocks[b]
                    sums.withUnsafeMutableBufferPointer { sp in
                    counts.withUnsafeMutableBufferPointer { countp in
                    centreNorms.withUnsafeBufferPointer { cn in
                    x.storage.withUnsafeBufferPointer { xp in
                        centres.storage.withUnsafeBufferPointer { cp in
                            var start = range.lowerBound
                            while start < range.upperBound {
                                let m = min(chunkRows, range.upperBound - start)
                                // dots = -2 X Cᵀ, so |c|² + dots is the distance less |x|²
                                Float._gemm(false, true, m, k, d, -2, xp.baseAddress! + start * d, d,
                                            cp.baseAddress!, d, 0, dots, k)
                                for r in 0..<m {
                                    let i = start + r
                                    let (best, bestValue) = nearest(dots + r * k, cn.baseAddress!, k)
                                    let xi = xp.baseAddress! + i * d
                                    var distance: Double
                                    if exact || rowNorms == nil {
                                        distance = 0
                                        let cj = cp.baseAddress! + best * d
                                        for j in 0..<d { let diff = Double(xi[j] - cj[j]); distance += diff * diff }
                                    } else {
                                        distance = Double(max(0, rowNorms![i] + bestValue))
                                    }
                                    labelsOut.value[i] = Int32(best)
                                    distOut.value[i] = Float(distance)
                                    countp[best] += 1
                                    inertia += distance
                                    if accumulate { addRow(xi, to: sp.baseAddress! + best * d, d) }
                                }
                                start += m
                            }
                        }
                    }
                    }
                    }
                    }
                    return (sums, counts, inertia)
                }
            }
        }
        var sums = [Double](repeating: 0, count: accumulate ? k * d : 0)
        var counts = [Int](repeating: 0, count: k)
        var inertia = 0.0
        for p in partials {
            for t in sums.indices { sums[t] += p.sums[t] }
            for c in 0..<k { counts[c] += p.counts[c] }
            inertia += p.inertia
        }
        return Assignment(labels: labels, distances: distances, sums: sums, counts: counts, inertia: inertia)
    }

    /// Index and value of the smallest |c|² - 2x·c over the k centres, eight at a
    /// time; ties go to the lowest index, as in the plain loop.
    @inline(__always)
    static func nearest(_ row: UnsafePointer<Float>, _ centreNorms: UnsafePointer<Float>, _ k: Int) -> (Int, Float) {
        var c = 0
        var best = 0
        var bestValue = Float.infinity
        if k >= 8 {
            var lanesValue = SIMD8<Float>(repeating: .infinity)
            var lanesIndex = SIMD8<Int32>(repeating: 0)
            var index = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
            while c + 8 <= k {
                let v = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
                    + UnsafeRawPointer(centreNorms + c).loadUnaligned(as: SIMD8<Float>.self)
                let better = v .< lanesValue
                lanesValue.replace(with: v, where: better)
                lanesIndex.replace(with: index, where: better)
                index &+= 8
                c += 8
            }
            bestValue = lanesValue.min()
            best = Int.max
            for lane in 0..<8 where lanesValue[lane] == bestValue { best = min(best, Int(lanesIndex[lane])) }
            if best == Int.max { best = 0 }   // every value NaN
        }
        while c < k {
            let v = centreNorms[c] + row[c]
            if v < bestValue { bestValue = v; best = c }
            c += 1
        }
        return (best, bestValue)
    }

    /// target += x, accumulated in Double.
    @inline(__always)
    static func addRow(_ x: UnsafePointer<Float>, to target: UnsafeMutablePointer<Double>, _ d: Int) {
        for j in 0..<d { target[j] += Double(x[j]) }
    }

    /// Squared distances from every row to each of the given candidate rows (n x t, row-major).
    static func distancesToRows(_ x: FloatMatrix, norms: [Float], candidates: [Int]) -> [Float] {
        let n = x.rows, d = x.cols, t = candidates.count
        var cand = [Float](repeating: 0, count: t * d)
        for (a, idx) in candidates.enumerated() { for j in 0..<d { cand[a * d + j] = x.storage[idx * d + j] } }
        var out = [Float](repeating: 0, count: n * t)
        let blocks = Parallel.blocks(n, minBlock: 4096)
        out.withUnsafeMutableBufferPointer { op in
            let outBox = UnsafeSendableBox(op)
            Parallel.forEach(blocks.count) { b in
                let range = blocks[b]
                x.storage.withUnsafeBufferPointer { xp in
                    cand.withUnsafeBufferPointer { cp in
                        Float._gemm(false, true, range.count, t, d, -2, xp.baseAddress! + range.lowerBound * d, d,
                                    cp.baseAddress!, d, 0, outBox.value.baseAddress! + range.lowerBound * t, t)
                    }
                }
                for i in range {
                    for a in 0..<t {
                        let v = outBox.value[i * t + a] + norms[i] + norms[candidates[a]]
                        outBox.value[i * t + a] = max(0, v)
                    }
                }
            }
        }
        return out
    }
}
