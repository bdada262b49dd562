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
                    normsOfRows(p.baseAddress!, d, blocks[b], into: out.baseAddress!)
                }
            }
        }
        return norms
    }

    /// Each row's squared norm for the rows in `rows`, summed in column order as
    /// a plain loop per row would (the same bits), eight rows side by side: one
    /// row's sum is a chain of dependent additions, which eight chains hide.
    @inline(__always)
    static func normsOfRows(_ p: UnsafePointer<Float>, _ d: Int, _ rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        var i = rows.lowerBound
        while i + 8 <= rows.upperBound {
            let q = p + i * d
            var s = SIMD8<Float>()
            for j in 0..<d {
                let v = SIMD8<Float>(q[j], q[d + j], q[2 * d + j], q[3 * d + j],
                                     q[4 * d + j], q[5 * d + j], q[6 * d + j], q[7 * d + j])
                s += v * v
            }
            UnsafeMutableRawPointer(out + i).storeBytes(of: s, as: SIMD8<Float>.self)
            i += 8
        }
        while i < rows.upperBound {
            var s: Float = 0
            for j in 0..<d { let v = p[i * d + j]; s += v * v }
            out[i] = s
            i += 1
        }
    }

    /// Adds, for each column j, Σ (x_ij - shift_j) to sums[j] and Σ (x_ij - shift_j)²
    /// to sums[d + j] over the rows in `rows`, in Double. Eight columns at a time,
    /// their sums held in registers; the last eight overlap the ones before,
    /// whose lanes are weighted 0 (rows narrower than 8 go one by one).
    @inline(__always)
    static func shiftedColumnSums(_ p: UnsafePointer<Float>, _ d: Int, _ rows: Range<Int>, shift: UnsafePointer<Double>,
                                  into sums: UnsafeMutablePointer<Double>) {
        if d < 8 {
            for i in rows {
                for j in 0..<d { let c = Double(p[i * d + j]) - shift[j]; sums[j] += c; sums[d + j] += c * c }
            }
            return
        }
        var j0 = 0
        while j0 < d {
            let at = min(j0, d - 8), counted = j0 - at
            var shifts = SIMD8<Double>(), weights = SIMD8<Double>(repeating: 1)
            for l in 0..<8 { shifts[l] = shift[at + l]; if l < counted { weights[l] = 0 } }
            var sum = SIMD8<Double>(), squares = SIMD8<Double>()
            var q = p + rows.lowerBound * d + at
            for _ in rows {
                let c = SIMD8<Double>(UnsafeRawPointer(q).loadUnaligned(as: SIMD8<Float>.self)) - shifts
                sum += c
                squares += c * c
                q += d
            }
            sum *= weights; squares *= weights
            for l in counted..<8 { sums[at + l] += sum[l]; sums[d + at + l] += squares[l] }
            j0 = at + 8
        }
    }

    /// In one pass over the rows: each row's squared norm (as `squaredNorms`
    /// gives it) and the mean of the columns' variances (population variance,
    /// as scikit-learn scales its tolerance). The variances come from sums of
    /// each value less the first row's, in Double: with that shift the sums
    /// stay near the spread of the data, not its distance from zero.
    static func normsAndMeanVariance(_ x: FloatMatrix) -> (norms: [Float], meanVariance: Double) {
        let n = x.rows, d = x.cols
        var norms = [Float](repeating: 0, count: n)
        guard n > 0 && d > 0 else { return (norms, 0) }
        let shift = (0..<d).map { Double(x.storage[$0]) }
        let blocks = Parallel.blocks(n, minBlock: 16_384)
        let partial: [[Double]] = x.storage.withUnsafeBufferPointer { p in
            norms.withUnsafeMutableBufferPointer { out in
                let box = UnsafeSendableBox((p, out))
                return Parallel.map(blocks.count) { b -> [Double] in
                    let (p, out) = box.value
                    // Sums of (x - shift) then of their squares, column by column.
                    var sums = [Double](repeating: 0, count: 2 * d)
                    sums.withUnsafeMutableBufferPointer { s in
                        shift.withUnsafeBufferPointer { shift in
                            // A block of rows at a time, so that its norms and sums
                            // read it from the cache.
                            var start = blocks[b].lowerBound
                            while start < blocks[b].upperBound {
                                let rows = start..<min(start + 256, blocks[b].upperBound)
                                normsOfRows(p.baseAddress!, d, rows, into: out.baseAddress!)
                                shiftedColumnSums(p.baseAddress!, d, rows, shift: shift.baseAddress!, into: s.baseAddress!)
                                start = rows.upperBound
                            }
                        }
                    }
                    return sums
                }
            }
        }
        var total = 0.0
        for j in 0..<d {
            var sum = 0.0, squares = 0.0
            for part in partial { sum += part[j]; squares += part[d + j] }
            let mean = sum / Double(n)
            total += max(0, squares / Double(n) - mean * mean)
        }
        return (norms, total / Double(d))
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
                    let chosen = UnsafeMutablePointer<Int>.allocate(capacity: chunkRows)
                    let chunkDistances = UnsafeMutablePointer<Double>.allocate(capacity: chunkRows)
                    defer { dots.deallocate(); chosen.deallocate(); chunkDistances.deallocate() }
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
                                let rows = xp.baseAddress! + start * d
                                if exact || rowNorms == nil {
                                    for r in 0..<m { chosen[r] = nearest(dots + r * k, cn.baseAddress!, k).0 }
                                    exactDistances(rows, d, m, centres: cp.baseAddress!, chosen, into: chunkDistances)
                                } else {
                                    rowNorms!.withUnsafeBufferPointer { norms in
                                        for r in 0..<m {
                                            let (best, bestValue) = nearest(dots + r * k, cn.baseAddress!, k)
                                            chosen[r] = best
                                            chunkDistances[r] = Double(max(0, norms[start + r] + bestValue))
                                        }
                                    }
                                }
                                for r in 0..<m {
                                    let i = start + r, best = chosen[r], distance = chunkDistances[r]
                                    labelsOut.value[i] = Int32(best)
                                    distOut.value[i] = Float(distance)
                                    countp[best] += 1
                                    inertia += distance
                                    if accumulate { addRow(rows + r * d, to: sp.baseAddress! + best * d, d) }
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

    /// Σ_j (x_ij - c_j)² in Double for each of `m` rows at `rows`, c being the
    /// row's centre (`chosen`), summed in column order as a plain loop per row
    /// would (the same bits), eight rows side by side so that their chains of
    /// dependent additions overlap.
    @inline(__always)
    static func exactDistances(_ rows: UnsafePointer<Float>, _ d: Int, _ m: Int, centres: UnsafePointer<Float>,
                               _ chosen: UnsafePointer<Int>, into out: UnsafeMutablePointer<Double>) {
        var r = 0
        while r + 8 <= m {
            let x = rows + r * d
            let c0 = centres + chosen[r] * d, c1 = centres + chosen[r + 1] * d
            let c2 = centres + chosen[r + 2] * d, c3 = centres + chosen[r + 3] * d
            let c4 = centres + chosen[r + 4] * d, c5 = centres + chosen[r + 5] * d
            let c6 = centres + chosen[r + 6] * d, c7 = centres + chosen[r + 7] * d
            var s = SIMD8<Double>()
            for j in 0..<d {
                let xv = SIMD8<Float>(x[j], x[d + j], x[2 * d + j], x[3 * d + j],
                                      x[4 * d + j], x[5 * d + j], x[6 * d + j], x[7 * d + j])
                let cv = SIMD8<Float>(c0[j], c1[j], c2[j], c3[j], c4[j], c5[j], c6[j], c7[j])
                let diff = SIMD8<Double>(xv - cv)
                s += diff * diff
            }
            for lane in 0..<8 { out[r + lane] = s[lane] }
            r += 8
        }
        while r < m {
            let x = rows + r * d, c = centres + chosen[r] * d
            var s = 0.0
            for j in 0..<d { let diff = Double(x[j] - c[j]); s += diff * diff }
            out[r] = s
            r += 1
        }
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
