#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The special functions and the optimiser the customer-value models need, in
/// double precision.
enum ValueMath {
    /// ln Γ(x) for x > 0.
    @inline(__always) static func logGamma(_ x: Double) -> Double { lgamma(x) }

    /// ln B(a, b).
    @inline(__always) static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// ψ(x), the derivative of ln Γ, for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x
    /// up to x ≥ 10, then the asymptotic series to x⁻¹⁴ (error below 1e-16 there).
    static func digamma(_ x: Double) -> Double {
        var x = x, result = 0.0
        while x < 10 { result -= 1 / x; x += 1 }
        let f = 1 / (x * x)
        let series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))))
        return result + log(x) - 0.5 / x - series
    }

    /// ln(e^a + e^b) without overflow.
    @inline(__always) static func logAddExp(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
    }

    /// ln ₂F₁(a, b; c; z) for 0 ≤ z < 1, c > 0 and a series of positive terms
    /// (a, b > 0, as in the value models' expectations), by its power series:
    /// each term is the last times (a + k)(b + k) / ((c + k)(k + 1)) z, summed
    /// until a term no longer changes the sum. The running sum is rescaled when
    /// it grows large (a frequent buyer's series rises by e^50 and more before
    /// it falls), so nothing overflows.
    static func logHyp2f1(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        if z == 0 { return 0 }
        var term = 1.0, sum = 1.0, k = 0.0, offset = 0.0
        while k < 10_000_000 {
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            k += 1
            let next = sum + term
            if next == sum { break }
            sum = next
            if sum > 1e250 { sum *= 1e-250; term *= 1e-250; offset += 250 * M_LN10 }
            if !sum.isFinite || term == 0 { break }
        }
        return log(sum) + offset
    }

    /// ₂F₁(a, b; c; z), as `logHyp2f1`.
    static func hyp2f1(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double { exp(logHyp2f1(a, b, c, z)) }

    /// Minimises f over a few parameters by BFGS with a backtracking line search
    /// until the gradient is below `newtonFrom`, then polishes with Newton steps
    /// on a Hessian from differences of the gradient (towards `tolerance`, or
    /// until no step lowers the value: a sum over a million customers has a
    /// gradient whose rounding alone is about 1e-12). `f` returns the value and gradient, or nil where it is not
    /// defined (a step there is shortened). Returns the minimiser, the value and
    /// whether the gradient became small.
    static let runaway = 14.0

    static func minimize(_ x0: [Double], tolerance: Double = 1e-10, newtonFrom: Double = 1e-7, maxIterations: Int = 2_000,
                         _ f: ([Double]) -> (value: Double, gradient: [Double])?) -> (x: [Double], value: Double, converged: Bool) {
        let n = x0.count
        var x = x0
        guard var current = f(x) else { return (x0, .nan, false) }
        var h = identity(n)     // the inverse Hessian's estimate
        var converged = false, stalls = 0
        for _ in 0..<maxIterations {
            let g = current.gradient
            // close enough for Newton's steps, which then square the error
            if g.map(abs).max()! < newtonFrom { converged = true; break }
            var direction = (0..<n).map { i in -(0..<n).reduce(0.0) { $0 + h[i][$1] * g[$1] } }
            var slope = zip(direction, g).reduce(0.0) { $0 + $1.0 * $1.1 }
            if !(slope < 0) {
                // not a descent direction: start again from the gradient
                h = identity(n)
                direction = g.map { -$0 }
                slope = -g.reduce(0.0) { $0 + $1 * $1 }
            }
            // at most a step of 5 in any log parameter
            var step = min(1.0, 5 / max(direction.map(abs).max()!, 1e-300))
            var accepted: (x: [Double], f: (value: Double, gradient: [Double]))? = nil
            for _ in 0..<60 {
                let trial = (0..<n).map { x[$0] + step * direction[$0] }
                if let ft = f(trial), ft.value.isFinite, ft.value <= current.value + 1e-4 * step * slope {
                    accepted = (trial, ft); break
                }
                step *= 0.5
            }
            guard let (next, fn) = accepted else { break }
            // steps that no longer lower the value (rounding): over to Newton
            stalls = fn.value < current.value - 1e-15 * abs(current.value) ? 0 : stalls + 1
            if stalls >= 3 { break }
            // a parameter running off to 0 or infinity (beyond e^±14 in the scaled
            // time): the likelihood has no optimum inside
            if next.contains(where: { abs($0) > runaway }) { x = next; current = fn; return (x, current.value, false) }
            let s = (0..<n).map { next[$0] - x[$0] }
            let y = (0..<n).map { fn.gradient[$0] - g[$0] }
            let sy = zip(s, y).reduce(0.0) { $0 + $1.0 * $1.1 }
            let previous = current.value
            x = next; current = fn
            if sy > 1e-300 {
                // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
                let rho = 1 / sy
                let hy = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + h[i][$1] * y[$1] } }
                let yhy = zip(y, hy).reduce(0.0) { $0 + $1.0 * $1.1 }
                for i in 0..<n {
                    for j in 0..<n {
                        h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
                    }
                }
            }
            if abs(previous - current.value) <= 1e-16 * max(1, abs(current.value)) && g.map(abs).max()! < 1e-6 { converged = true; break }
        }
        // Newton polish: the last digits, where BFGS's estimate is coarse (and a
        // likelihood flat along a ridge stops its line search). A Hessian that is
        // not positive definite is shifted until the step descends; each step is
        // halved until it lowers the value.
        // At most a few rounds: each costs a Hessian (2n gradients), and a point
        // where no step lowers the value ends it.
        for _ in 0..<4 {
            if current.gradient.map(abs).max()! < tolerance { converged = true; break }
            guard let hessian = hessian(x, f) else { break }
            let g = current.gradient
            var improved = false
            let diagonal = (0..<n).map { abs(hessian[$0][$0]) }.max() ?? 1
            var shift = 0.0
            for _ in 0..<4 {
                var shifted = hessian
                for i in 0..<n { shifted[i][i] += shift }
                if let inverse = invert(shifted) {
                    let delta = (0..<n).map { i in -(0..<n).reduce(0.0) { $0 + inverse[i][$1] * g[$1] } }
                    if zip(delta, g).reduce(0.0, { $0 + $1.0 * $1.1 }) < 0 {
                        var step = min(1.0, 2 / max(delta.map(abs).max()!, 1e-300))
                        for _ in 0..<8 {
                            let trial = (0..<n).map { x[$0] + step * delta[$0] }
                            if let ft = f(trial), ft.value < current.value { x = trial; current = ft; improved = true; break }
                            step *= 0.5
                        }
                        if improved { break }
                    }
                }
                shift = shift == 0 ? 1e-6 * max(diagonal, 1e-300) : shift * 1000
            }
            if current.gradient.map(abs).max()! < tolerance { converged = true }
            if !improved { break }
        }
        return (x, current.value, converged)
    }

    static func identity(_ n: Int) -> [[Double]] { (0..<n).map { i in (0..<n).map { $0 == i ? 1 : 0 } } }

    /// The Hessian at x from central differences of the gradient, made symmetric.
    static func hessian(_ x: [Double], _ f: ([Double]) -> (value: Double, gradient: [Double])?) -> [[Double]]? {
        let n = x.count
        var h = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for j in 0..<n {
            let e = 1e-5 * max(1, abs(x[j]))
            var up = x, down = x
            up[j] += e; down[j] -= e
            guard let gu = f(up)?.gradient, let gd = f(down)?.gradient else { return nil }
            for i in 0..<n { h[i][j] = (gu[i] - gd[i]) / (2 * e) }
        }
        for i in 0..<n { for j in 0..<i { let m = (h[i][j] + h[j][i]) / 2; h[i][j] = m; h[j][i] = m } }
        return h
    }

    /// The inverse of a small matrix by Gauss-Jordan elimination with partial
    /// pivoting, or nil when it is singular.
    static func invert(_ m: [[Double]]) -> [[Double]]? {
        let n = m.count
        var a = m, inv = identity(n)
        for c in 0..<n {
            var p = c
            for r in c..<n where abs(a[r][c]) > abs(a[p][c]) { p = r }
            guard abs(a[p][c]) > 1e-300, a[p][c].isFinite else { return nil }
            a.swapAt(p, c); inv.swapAt(p, c)
            let d = a[c][c]
            for j in 0..<n { a[c][j] /= d; inv[c][j] /= d }
            for r in 0..<n where r != c {
                let k = a[r][c]
                if k == 0 { continue }
                for j in 0..<n { a[r][j] -= k * a[c][j]; inv[r][j] -= k * inv[c][j] }
            }
        }
        return inv
    }
}
