/// Hamerly's exact k-means (Hamerly, 2010): the same iterations as Lloyd, with
/// most distance computations ruled out by bounds.
///
/// Each point keeps an upper bound u on the distance to its own centre and a
/// lower bound l on the distance to any other centre. If u ≤ max(l, s), where
/// s is half the distance from its centre to the nearest other centre, the
/// point cannot change segment and is skipped. After the centres move, u grows
/// by its centre's move and l shrinks by the largest move of any other centre.
/// Points that fail the test are searched in batches with one SGEMM each.
///
/// Distances from the |x|² − 2x·c + |c|² expansion carry Float32 rounding, so
/// the bounds are widened by an error margin: a wrong skip would change the
/// result, a needless search only costs time.
enum Hamerly {
    struct State {
        var labels: [Int32]
        var upper: [Float]
        var lower: [Float]
    }

    /// Rounding margin for squared distances of a row with squared norm `xn`.
    @inline(__always) static func margin(_ xn: Float, _ maxCentreNorm: Float, _ d: Int) -> Float {
        Float(d + 8) * 1.2e-7 * (xn + maxCentreNorm) * 4
    }

    /// Nearest and second-nearest centres of the given rows (full search), as
    /// conservative Euclidean bounds.
    /// Returns the rows whose segment changed, with their old segment.
    @discardableResult
    static func search(_ x: FloatMatrix, rows: [Int], norms: [Float], centres: FloatMatrix, centreNorms: [Float],
                       into state: UnsafeSendableBox<(labels: UnsafeMutablePointer<Int32>, upper: UnsafeMutablePointer<Float>, lower: UnsafeMutablePointer<Float>)>)
        -> [(row: Int, from: Int32)] {
        let d = x.cols, k = centres.rows
        var changed: [(row: Int, from: Int32)] = []
        if rows.isEmpty { return changed }
        let chunk = KMeansKernels.chunkRows(k: k)
        let maxCentreNorm = centreNorms.max() ?? 0
        var gathered = [Float](repeating: 0, count: min(chunk, rows.count) * d)
        var dots = [Float](repeating: 0, count: min(chunk, rows.count) * k)
        var start = 0
        x.storage.withUnsafeBufferPointer { xp in
            centres.storage.withUnsafeBufferPointer { cp in
                while start < rows.count {
                    let m = min(chunk, rows.count - start)
                    for r in 0..<m {
                        let src = xp.baseAddress! + rows[start + r] * d
                        for j in 0..<d { gathered[r * d + j] = src[j] }
                    }
                    gathered.withUnsafeBufferPointer { gp in
                        dots.withUnsafeMutableBufferPointer { dp in
                            Float._gemm(false, true, m, k, d, -2, gp.baseAddress!, d, cp.baseAddress!, d, 0, dp.baseAddress!, k)
                        }
                    }
                    for r in 0..<m {
                        let i = rows[start + r]
                        var best = 0, bestValue = Float.infinity, second = Float.infinity
                        for c in 0..<k {
                            let v = centreNorms[c] + dots[r * k + c]
                            if v < bestValue { second = bestValue; bestValue = v; best = c } else if v < second { second = v }
                        }
                        let e = margin(norms[i], maxCentreNorm, d)
                        if state.value.labels[i] != Int32(best) { changed.append((i, state.value.labels[i])) }
                        state.value.labels[i] = Int32(best)
                        state.value.upper[i] = max(0, norms[i] + bestValue + e).squareRoot()
                        state.value.lower[i] = k > 1 ? max(0, norms[i] + second - e).squareRoot() : .infinity
                    }
                    start += m
                }
            }
        }
        return changed
    }

    static func run(_ x: FloatMatrix, start: FloatMatrix, maxIterations: Int, tol: Double, norms: [Float]) -> KMeansResult {
        let n = x.rows, d = x.cols, k = start.rows
        var centres = start
        var labels = [Int32](repeating: 0, count: n)
        var upper = [Float](repeating: 0, count: n)
        var lower = [Float](repeating: 0, count: n)
        let blocks = Parallel.blocks(n, minBlock: 4096)
        var previousLabels: [Int32]? = nil
        var converged = false
        var iterations = 0
        var moves = [Double](repeating: 0, count: k)
        var sums: [Double] = [], counts: [Int] = []
        var changes: [[(row: Int, from: Int32)]] = []
        for it in 1...maxIterations {
            iterations = it
            let centreNorms = KMeansKernels.squaredNorms(centres)
            // Half the distance from each centre to its nearest other centre.
            var half = [Float](repeating: .infinity, count: k)
            for a in 0..<k {
                for b in 0..<k where b != a {
                    var s = 0.0
                    for j in 0..<d { let t = Double(centres[a, j]) - Double(centres[b, j]); s += t * t }
                    half[a] = min(half[a], Float(s.squareRoot() / 2))
                }
            }
            // The largest and second-largest moves, for the lower bounds.
            var first = 0
            for j in 0..<k where moves[j] > moves[first] { first = j }
            var secondMove = 0.0
            for j in 0..<k where j != first { secondMove = max(secondMove, moves[j]) }
            let firstMove = moves[first]
            labels.withUnsafeMutableBufferPointer { lp in
                upper.withUnsafeMutableBufferPointer { up in
                    lower.withUnsafeMutableBufferPointer { lo in
                        let box = UnsafeSendableBox((labels: lp.baseAddress!, upper: up.baseAddress!, lower: lo.baseAddress!))
                        changes = Parallel.map(blocks.count) { b -> [(row: Int, from: Int32)] in
                            var todo: [Int] = []
                            if it == 1 {
                                todo = Array(blocks[b])
                            } else {
                                x.storage.withUnsafeBufferPointer { xp in
                                    centres.storage.withUnsafeBufferPointer { cp in
                                        for i in blocks[b] {
                                            let a = Int(box.value.labels[i])
                                            // Move the bounds with the centres.
                                            let u = box.value.upper[i] + Float(moves[a]) * (1 + 1e-6)
                                            let l = box.value.lower[i] - Float(a == first ? secondMove : firstMove) * (1 + 1e-6)
                                            box.value.upper[i] = u
                                            box.value.lower[i] = l
                                            let bound = max(half[a], l)
                                            if u <= bound { continue }
                                            // Tighten the upper bound with the exact distance.
                                            var s = 0.0
                                            let xi = xp.baseAddress! + i * d, ca = cp.baseAddress! + a * d
                                            for j in 0..<d { let t = Double(xi[j] - ca[j]); s += t * t }
                                            let exact = Float(s.squareRoot()) * (1 + 1e-6) + 1e-30
                                            box.value.upper[i] = exact
                                            if exact <= bound { continue }
                                            todo.append(i)
                                        }
                                    }
                                }
                            }
                            return search(x, rows: todo, norms: norms, centres: centres, centreNorms: centreNorms, into: box)
                        }
                    }
                }
            }
            // Update step: the mean of each segment (empty segments keep their centre
            // unless relocated to the farthest points, as in Lloyd).
            // Segment sums: computed once, then moved along with the rows that change
            // segment (in block order, so the result does not depend on the core count).
            if it == 1 {
                (sums, counts) = segmentSums(x, labels: labels, k: k, blocks: blocks)
            } else {
                x.storage.withUnsafeBufferPointer { xp in
                    for block in changes {
                        for (i, from) in block {
                            let to = Int(labels[i]), old = Int(from)
                            counts[old] -= 1; counts[to] += 1
                            for j in 0..<d {
                                let v = Double(xp[i * d + j])
                                sums[old * d + j] -= v
                                sums[to * d + j] += v
                            }
                        }
                    }
                }
            }
            if counts.contains(0) {
                var a = KMeansKernels.Assignment(labels: labels, distances: upper.map { $0 * $0 }, sums: sums, counts: counts, inertia: 0)
                let before = a.labels
                KMeans.relocateEmpty(x, &a, k: k)
                sums = a.sums; counts = a.counts
                for i in 0..<n where a.labels[i] != before[i] { labels[i] = a.labels[i]; upper[i] = 0; lower[i] = 0 }
            }
            let shift: Double
            (shift, moves) = KMeans.moveCentres(&centres, sums: sums, counts: counts)
            if let previousLabels, previousLabels == labels { converged = true; break }
            if shift <= tol { converged = true; break }
            previousLabels = labels
        }
        return KMeans.finish(x, centres: centres, iterations: iterations, converged: converged)
    }

    /// Per-segment coordinate sums (Double) and sizes, summed over fixed blocks in order.
    static func segmentSums(_ x: FloatMatrix, labels: [Int32], k: Int, blocks: [Range<Int>]) -> ([Double], [Int]) {
        let d = x.cols
        let parts: [([Double], [Int])] = Parallel.map(blocks.count) { b in
            var sums = [Double](repeating: 0, count: k * d)
            var counts = [Int](repeating: 0, count: k)
            x.storage.withUnsafeBufferPointer { xp in
                sums.withUnsafeMutableBufferPointer { sp in
                    for i in blocks[b] {
                        let c = Int(labels[i])
                        counts[c] += 1
                        KMeansKernels.addRow(xp.baseAddress! + i * d, to: sp.baseAddress! + c * d, d)
                    }
                }
            }
            return (sums, counts)
        }
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for (s, c) in parts {
            for t in sums.indices { sums[t] += s[t] }
            for j in 0..<k { counts[j] += c[j] }
        }
        return (sums, counts)
    }
}
