import Foundation
/// What one k-means run produced.
public struct KMeansResult {
    public var centres: FloatMatrix
    public var labels: [Int32]
    public var inertia: Double
    public var iterations: Int
    public var converged: Bool
    public var sizes: [Int]
}

/// Lloyd's k-means with k-means++ seeding, following scikit-learn's semantics
/// (convergence test, strict convergence on unchanged labels, relocation of
/// empty clusters to the farthest points) so the two can be compared directly.
public enum KMeans {
    /// Runs `restarts` seeded runs and keeps the one with the lowest inertia.
    public static func fit(_ x: FloatMatrix, config: KMeansConfig, initialCentres: FloatMatrix? = nil,
                           progress: ProgressHandler? = nil) throws -> KMeansResult {
        try config.validate(rows: x.rows)
        // The rows' norms and the tolerance's scale in one pass over the matrix.
        let (norms, meanVariance) = KMeansKernels.normsAndMeanVariance(x)
        let tol = config.tolerance * meanVariance
        var best: KMeansResult? = nil
        let runs = initialCentres == nil ? config.restarts : 1
        for run in 0..<runs {
            var rng = PersonaRandom(seed: config.seed, stream: UInt64(run))
            let start: FloatMatrix
            if let initialCentres {
                start = initialCentres
            } else if config.initialization == .random {
                start = randomRows(x, k: config.k, rng: &rng)
            } else {
                start = plusPlus(x, norms: norms, k: config.k, rng: &rng)
            }
            let useHamerly = config.algorithm == .hamerly || (config.algorithm == .auto && config.k >= 8)
                || (config.algorithm == .minibatch && config.k >= 8)
            let result = useHamerly
                ? Hamerly.run(x, start: start, maxIterations: config.maxIterations, tol: tol, norms: norms)
                : lloyd(x, start: start, maxIterations: config.maxIterations, tol: tol, rowNorms: norms)
            progress?("run \(run + 1)/\(runs): inertia \(formatNumber(result.inertia)) after \(result.iterations) iteration\(result.iterations == 1 ? "" : "s")\(result.converged ? "" : " (not converged; raise --max-iter)")")
            if best == nil || result.inertia < best!.inertia { best = result }
        }
        return best!
    }

    /// tol × mean column variance, as scikit-learn scales it.
    static func scaledTolerance(_ x: FloatMatrix, _ tol: Double) -> Double {
        if tol == 0 || x.rows == 0 { return 0 }
        return tol * KMeansKernels.normsAndMeanVariance(x).meanVariance
    }

    static func randomRows(_ x: FloatMatrix, k: Int, rng: inout PersonaRandom) -> FloatMatrix {
        // Partial Fisher-Yates over row indices: k distinct rows.
        var chosen: [Int: Int] = [:]
        var centres = FloatMatrix(rows: 0, cols: x.cols)
        for i in 0..<k {
            let j = i + rng.below(x.rows - i)
            let pick = chosen[j] ?? j
            chosen[j] = chosen[i] ?? i
            centres.appendRow(x.row(pick))
        }
        return centres
    }

    /// Greedy k-means++: each new centre is the best of 2 + ln k candidates drawn
    /// with probability proportional to the squared distance to the nearest centre.
    static func plusPlus(_ x: FloatMatrix, norms: [Float], k: Int, rng: inout PersonaRandom) -> FloatMatrix {
        let n = x.rows
        let trials = 2 + Int(log(Double(k)))
        var centres = FloatMatrix(rows: 0, cols: x.cols)
        let first = rng.below(n)
        centres.appendRow(x.row(first))
        var closest = KMeansKernels.distancesToRows(x, norms: norms, candidates: [first])
        for _ in 1..<max(1, k) {
            var cumulative = [Double](repeating: 0, count: n)
            var acc = 0.0
            for i in 0..<n { acc += Double(closest[i]); cumulative[i] = acc }
            var candidates: [Int] = []
            for _ in 0..<trials {
                let target = rng.uniform() * (acc > 0 ? acc : 1)
                var lo = 0, hi = n - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] <= target { lo = mid + 1 } else { hi = mid } }
                candidates.append(acc > 0 ? lo : rng.below(n))
            }
            let dist = KMeansKernels.distancesToRows(x, norms: norms, candidates: candidates)
            var bestTrial = 0
            var bestPotential = Double.infinity
            for a in 0..<trials {
                var pot = 0.0
                for i in 0..<n { pot += Double(min(closest[i], dist[i * trials + a])) }
                if pot < bestPotential { bestPotential = pot; bestTrial = a }
            }
            for i in 0..<n { closest[i] = min(closest[i], dist[i * trials + bestTrial]) }
            centres.appendRow(x.row(candidates[bestTrial]))
        }
        return centres
    }

    /// Lloyd iterations from the given centres.
    public static func lloyd(_ x: FloatMatrix, start: FloatMatrix, maxIterations: Int, tol: Double,
                             rowNorms: [Float]? = nil) -> KMeansResult {
        let norms = rowNorms ?? KMeansKernels.squaredNorms(x)
        let k = start.rows
        var centres = start
        var previousLabels: [Int32]? = nil
        var converged = false
        var iterations = 0
        for it in 1...maxIterations {
            iterations = it
            var a = KMeansKernels.assign(x, centres: centres, exact: false, rowNorms: norms)
            relocateEmpty(x, &a, k: k)
            let shift = moveCentres(&centres, sums: a.sums, counts: a.counts).shift
            // Strict convergence: no row changed segment, so the centres are final.
            if let previousLabels, previousLabels == a.labels { converged = true; break }
            if shift <= tol { converged = true; break }
            previousLabels = a.labels
        }
        return finish(x, centres: centres, iterations: iterations, converged: converged)
    }

    /// The update step of Lloyd and Hamerly alike: each centre moves to the mean
    /// of its rows (from Double sums); a centre without rows stays. Returns the
    /// total squared shift and each centre's distance moved.
    static func moveCentres(_ centres: inout FloatMatrix, sums: [Double], counts: [Int]) -> (shift: Double, moves: [Double]) {
        let k = centres.rows, d = centres.cols
        var moves = [Double](repeating: 0, count: k)
        var shift = 0.0
        for c in 0..<k where counts[c] > 0 {
            var move = 0.0
            for j in 0..<d {
                let v = Float(sums[c * d + j] / Double(counts[c]))
                let delta = Double(v - centres[c, j])
                move += delta * delta
                centres[c, j] = v
            }
            shift += move
            moves[c] = move.squareRoot()
        }
        return (shift, moves)
    }

    /// Labels consistent with the final centres, and exact distances for the inertia.
    static func finish(_ x: FloatMatrix, centres: FloatMatrix, iterations: Int, converged: Bool) -> KMeansResult {
        let final = KMeansKernels.assign(x, centres: centres, accumulate: false)
        return KMeansResult(centres: centres, labels: final.labels, inertia: final.inertia, iterations: iterations,
                            converged: converged, sizes: final.counts)
    }

    /// Gives each empty cluster the point currently farthest from its centre,
    /// taking that point out of its old cluster (scikit-learn's rule).
    static func relocateEmpty(_ x: FloatMatrix, _ a: inout KMeansKernels.Assignment, k: Int) {
        let empty = (0..<k).filter { a.counts[$0] == 0 }
        if empty.isEmpty { return }
        let d = x.cols
        let far = a.distances.indices.sorted { a.distances[$0] != a.distances[$1] ? a.distances[$0] > a.distances[$1] : $0 < $1 }
        var used = 0
        for c in empty {
            while used < far.count && a.counts[Int(a.labels[far[used]])] <= 1 { used += 1 }
            guard used < far.count else { return }
            let i = far[used]; used += 1
            let old = Int(a.labels[i])
            for j in 0..<d {
                let v = Double(x.storage[i * d + j])
                a.sums[old * d + j] -= v
                a.sums[c * d + j] = v
            }
            a.counts[old] -= 1
            a.counts[c] = 1
            a.labels[i] = Int32(c)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A compact human-readable number: 4 significant digits, no exponent for ordinary sizes.
public func formatNumber(_ v: Double, digits: Int = 4) -> String {
    if !v.isFinite { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    if v == 0 { return "0" }
    let mag = abs(v)
    if mag >= 1e15 || mag < 1e-4 { return String(format: "%.\(digits - 1)e", v) }
    let decimals = max(0, digits - 1 - Int(floor(log10(mag))))
    var s = String(format: "%.\(decimals)f", v)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s
}
