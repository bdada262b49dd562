#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a logistic-regression fit produced, and how it got there.
struct LogisticFit {
    var beta: [Double]              // d + 1, intercept first
    var iterations: Int
    var gradientNorm: Double        // largest (pseudo-)gradient component at the end
    var converged: Bool
    var separable: Bool
    var objective: Double
    var loss: Double
    var aliased: [Bool]             // coefficients fixed at 0 because their column is a combination of others
    var solver: LogisticSolver
}

enum LogisticSolvers {
    static func fit(_ data: LogisticData, config: LogisticConfig, progress: ProgressHandler?) throws -> LogisticFit {
        let d1 = data.d + 1
        let unpenalised = config.l1 == 0 && config.l2 == 0
        var aliased = [Bool](repeating: false, count: d1)
        if unpenalised {
            if d1 > data.n {
                throw PersonaError("there are more encoded features (\(data.d)) than rows (\(data.n)), so an unpenalised model is not identifiable. Add a penalty, for example --l2 1e-3, or use fewer features")
            }
            aliased = aliasedColumns(data.gram())
        }
        // Start from the intercept alone: the log-odds of the weighted positive rate.
        var positive = 0.0, total = 0.0
        for i in 0..<data.n { positive += data.w[i] * data.y[i]; total += data.w[i] }
        let rate = min(max(positive / total, 1e-12), 1 - 1e-12)
        var beta = [Double](repeating: 0, count: d1)
        beta[0] = log(rate / (1 - rate))
        let solver = config.resolvedSolver(features: data.d)
        var fit: LogisticFit
        switch solver {
        case .newton: fit = newton(data, config: config, beta: beta, aliased: aliased, progress: progress)
        default: fit = owlqn(data, config: config, beta: beta, aliased: aliased, progress: progress)
        }
        fit.solver = solver
        return fit
    }

    /// The smooth part of the objective and its gradient (ℓ2 on all but the intercept).
    /// With `gradient: false` (a line search's trial points) only f and the loss
    /// are computed, and g is empty.
    static func smooth(_ data: LogisticData, _ beta: [Double], l2: Double, aliased: [Bool], hessian: Bool = false, gradient: Bool = true)
        -> (f: Double, g: [Double], h: DoubleMatrix?, loss: Double) {
        let r = data.evaluate(beta, hessian: hessian, gradient: gradient || hessian)
        var f = r.loss
        var g = r.gradient
        var h = r.hessian
        for j in 1..<beta.count {
            f += 0.5 * l2 * beta[j] * beta[j]
            if !g.isEmpty { g[j] += l2 * beta[j] }
            if hessian { h![j, j] += l2 }
        }
        if !g.isEmpty { for j in aliased.indices where aliased[j] { g[j] = 0 } }
        return (f, g, h, r.loss)
    }

    static func l1Norm(_ beta: [Double]) -> Double {
        var s = 0.0
        for j in 1..<beta.count { s += abs(beta[j]) }
        return s
    }

    /// True when the coefficients run away, the sign of perfectly separable classes.
    static func runaway(_ beta: [Double]) -> Bool {
        for j in 1..<beta.count where abs(beta[j]) > 60 { return true }
        return false
    }

    // MARK: Newton

    static func newton(_ data: LogisticData, config: LogisticConfig, beta start: [Double], aliased: [Bool],
                       progress: ProgressHandler?) -> LogisticFit {
        var beta = start
        let active = aliased.indices.filter { !aliased[$0] }
        var iterations = 0
        var converged = false, separable = false
        // The Hessian pass's arithmetic rate, reported with each iteration.
        let hessianFlops = 2.0 * Double(data.n) * Double(data.d + 1) * Double(data.d + 2) / 2
        var clock = Date()
        var current = smooth(data, beta, l2: config.l2, aliased: aliased, hessian: true)
        var hessianSeconds = Date().timeIntervalSince(clock)
        var gmax = current.g.map(abs).max() ?? 0
        while iterations < config.maxIterations {
            if gmax <= config.tolerance { converged = true; break }
            iterations += 1
            // Solve H δ = g on the active coefficients, adding a little ridge if the
            // Hessian is numerically singular (as it becomes near separation).
            let k = active.count
            var h = DoubleMatrix(rows: k, cols: k)
            var g = DoubleMatrix(rows: k, cols: 1)
            for (a, i) in active.enumerated() {
                g[a, 0] = current.g[i]
                for (b, j) in active.enumerated() { h[a, b] = current.h![i, j] }
            }
            var step: DoubleMatrix? = nil
            var ridge = 0.0
            let diagonalScale = max(1e-300, (0..<k).map { h[$0, $0] }.max() ?? 1)
            for _ in 0..<12 {
                var hr = h
                for a in 0..<k { hr[a, a] += ridge }
                if let s = try? BLAS.solvePositiveDefinite(hr, g) { step = s; break }
                ridge = ridge == 0 ? 1e-10 * diagonalScale : ridge * 100
            }
            guard let delta = step else { break }
            var direction = [Double](repeating: 0, count: beta.count)
            for (a, i) in active.enumerated() { direction[i] = delta[a, 0] }
            let slope = zip(direction, current.g).reduce(0) { $0 + $1.0 * $1.1 }
            // Backtracking (Armijo) line search on the objective. The full step is
            // tried with one pass that also gives the gradient and Hessian there, so
            // an accepted full step (the usual case) costs one pass, not two; shorter
            // steps are tried on the objective alone.
            var t = 1.0
            var accepted: (beta: [Double], f: Double)? = nil
            var atFullStep: (f: Double, g: [Double], h: DoubleMatrix?, loss: Double)? = nil
            var fullStepSeconds = 0.0
            for _ in 0..<40 {
                let candidate = zip(beta, direction).map { $0 - t * $1 }
                let f: Double
                if t == 1 {
                    clock = Date()
                    atFullStep = smooth(data, candidate, l2: config.l2, aliased: aliased, hessian: true)
                    fullStepSeconds = Date().timeIntervalSince(clock)
                    f = atFullStep!.f
                } else {
                    f = smooth(data, candidate, l2: config.l2, aliased: aliased, gradient: false).f
                }
                if f <= current.f - 1e-4 * t * slope || (f <= current.f && t < 1e-6) { accepted = (candidate, f); break }
                t *= 0.5
            }
            guard let next = accepted else { break }   // no further decrease is possible in floating point
            let improvement = current.f - next.f
            beta = next.beta
            if t == 1, let full = atFullStep {
                current = full
                hessianSeconds = fullStepSeconds
            } else {
                clock = Date()
                current = smooth(data, beta, l2: config.l2, aliased: aliased, hessian: true)
                hessianSeconds = Date().timeIntervalSince(clock)
            }
            gmax = current.g.map(abs).max() ?? 0
            progress?("newton iteration \(iterations): objective \(formatNumber(current.f, digits: 10)), max |gradient| \(formatNumber(gmax, digits: 3))"
                      + String(format: "; pass with Hessian %.2f s, %.1f GFLOP/s in its SYRK arithmetic", hessianSeconds, hessianFlops / max(hessianSeconds, 1e-9) / 1e9))
            if config.l2 == 0 && runaway(beta) { separable = true; break }
            if improvement <= 1e-15 * max(1, abs(current.f)) && gmax <= config.tolerance * 1e3 { converged = true; break }
        }
        if gmax <= config.tolerance { converged = true }
        return LogisticFit(beta: beta, iterations: iterations, gradientNorm: gmax, converged: converged, separable: separable,
                           objective: current.f, loss: current.loss, aliased: aliased, solver: .newton)
    }

    // MARK: L-BFGS and OWL-QN

    /// L-BFGS with 10 correction pairs; with an L1 penalty, OWL-QN (Andrew and
    /// Gao, 2007): the pseudo-gradient replaces the gradient, the direction is
    /// kept in the orthant it starts in, and steps that cross zero stop at zero.
    static func owlqn(_ data: LogisticData, config: LogisticConfig, beta start: [Double], aliased: [Bool],
                      progress: ProgressHandler?) -> LogisticFit {
        let l1 = config.l1
        let memory = 10
        var beta = start
        var current = smooth(data, beta, l2: config.l2, aliased: aliased)
        var total = current.f + l1 * l1Norm(beta)
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rho: [Double] = []
        var iterations = 0
        var converged = false, separable = false
        var pg = pseudoGradient(beta, current.g, l1)
        var gmax = pg.map(abs).max() ?? 0
        while iterations < config.maxIterations {
            if gmax <= config.tolerance { converged = true; break }
            iterations += 1
            // Two-loop recursion: direction = −H·pg.
            var q = pg
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                alphas[k] = rho[k] * dot(sHistory[k], q)
                for j in q.indices { q[j] -= alphas[k] * yHistory[k][j] }
            }
            if let s = sHistory.last, let y = yHistory.last {
                let gamma = dot(s, y) / max(dot(y, y), 1e-300)
                for j in q.indices { q[j] *= gamma }
            }
            for k in 0..<sHistory.count {
                let b = rho[k] * dot(yHistory[k], q)
                for j in q.indices { q[j] += sHistory[k][j] * (alphas[k] - b) }
            }
            var direction = q.map { -$0 }
            if l1 > 0 { for j in 1..<direction.count where direction[j] * pg[j] >= 0 { direction[j] = 0 } }
            for j in aliased.indices where aliased[j] { direction[j] = 0 }
            if dot(direction, pg) >= 0 {
                direction = pg.map { -$0 }
                sHistory = []; yHistory = []; rho = []
            }
            let orthant = beta.indices.map { j -> Double in beta[j] != 0 ? (beta[j] > 0 ? 1 : -1) : (pg[j] > 0 ? -1 : 1) }
            var t = sHistory.isEmpty ? min(1, 1 / max(1e-12, dot(pg, pg).squareRoot())) : 1
            var accepted: (beta: [Double], s: (f: Double, g: [Double], h: DoubleMatrix?, loss: Double), total: Double)? = nil
            for _ in 0..<50 {
                var candidate = zip(beta, direction).map { $0 + t * $1 }
                if l1 > 0 { for j in 1..<candidate.count where candidate[j] * orthant[j] <= 0 { candidate[j] = 0 } }
                let s = smooth(data, candidate, l2: config.l2, aliased: aliased)
                let f = s.f + l1 * l1Norm(candidate)
                var decrease = 0.0
                for j in beta.indices { decrease += pg[j] * (candidate[j] - beta[j]) }
                if f <= total + 1e-4 * decrease { accepted = (candidate, s, f); break }
                t *= 0.5
            }
            guard let next = accepted else { break }
            let sVec = zip(next.beta, beta).map { $0 - $1 }
            let yVec = zip(next.s.g, current.g).map { $0 - $1 }
            let sy = dot(sVec, yVec)
            if sy > 1e-16 {
                sHistory.append(sVec); yHistory.append(yVec); rho.append(1 / sy)
                if sHistory.count > memory { sHistory.removeFirst(); yHistory.removeFirst(); rho.removeFirst() }
            }
            let improvement = total - next.total
            beta = next.beta
            current = next.s
            total = next.total
            pg = pseudoGradient(beta, current.g, l1)
            gmax = pg.map(abs).max() ?? 0
            if iterations % 10 == 0 {
                progress?("l-bfgs iteration \(iterations): objective \(formatNumber(total, digits: 10)), max |gradient| \(formatNumber(gmax, digits: 3))")
            }
            if config.l2 == 0 && l1 == 0 && runaway(beta) { separable = true; break }
            if improvement <= 1e-16 * max(1, abs(total)) { converged = gmax <= config.tolerance * 1e3; break }
        }
        if gmax <= config.tolerance { converged = true }
        return LogisticFit(beta: beta, iterations: iterations, gradientNorm: gmax, converged: converged, separable: separable,
                           objective: total, loss: current.loss, aliased: aliased, solver: .lbfgs)
    }

    /// The minimum-norm subgradient of the full objective (the gradient when l1 = 0).
    static func pseudoGradient(_ beta: [Double], _ g: [Double], _ l1: Double) -> [Double] {
        if l1 == 0 { return g }
        var pg = g
        for j in 1..<beta.count {
            if beta[j] > 0 { pg[j] = g[j] + l1 }
            else if beta[j] < 0 { pg[j] = g[j] - l1 }
            else if g[j] + l1 < 0 { pg[j] = g[j] + l1 }
            else if g[j] - l1 > 0 { pg[j] = g[j] - l1 }
            else { pg[j] = 0 }
        }
        return pg
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    /// Columns of the Gram matrix that are (numerically) combinations of earlier
    /// ones: a Cholesky factorisation in column order that skips any column whose
    /// pivot has lost all but 1e-9 of its size. The intercept comes first, so a
    /// full set of one-hot levels loses its last level, and an all-zero column
    /// (an unseen-category bucket, a constant feature) is dropped.
    static func aliasedColumns(_ gram: DoubleMatrix) -> [Bool] {
        let n = gram.rows
        var l = DoubleMatrix(rows: n, cols: n)
        var aliased = [Bool](repeating: false, count: n)
        var kept: [Int] = []
        for j in 0..<n {
            let diag = gram[j, j]
            if diag <= 1e-300 { aliased[j] = true; continue }
            var v = diag
            for k in kept { v -= l[j, k] * l[j, k] }
            if v <= 1e-9 * diag { aliased[j] = true; continue }
            let pivot = v.squareRoot()
            l[j, j] = pivot
            for i in (j + 1)..<max(j + 1, n) {
                var s = gram[i, j]
                for k in kept { s -= l[i, k] * l[j, k] }
                l[i, j] = s / pivot
            }
            kept.append(j)
        }
        return aliased
    }
}
