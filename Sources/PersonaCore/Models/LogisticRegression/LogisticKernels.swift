#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data side of logistic regression: loss, gradient and Hessian of the
/// weighted mean log-loss, computed block by block in Double from the Float32
/// design matrix. Each block of rows is widened to Double once, then the
/// linear predictor is one GEMV, the gradient one transposed GEMV and the
/// Hessian one SYRK on rows scaled by √(w p (1−p)). Blocks are fixed by the
/// row count and summed in order, so results do not depend on the core count.
struct LogisticData {
    let x: FloatMatrix          // n x d, encoded features (no intercept column)
    let y: [Double]             // 0 or 1
    let w: [Double]             // row weights (class weights)
    var n: Int { x.rows }
    var d: Int { x.cols }
    static let chunk = 2048

    /// The sigmoid, written so neither branch overflows.
    @inline(__always) static func sigmoid(_ t: Double) -> Double {
        t >= 0 ? 1 / (1 + exp(-t)) : { let e = exp(t); return e / (1 + e) }()
    }

    /// log(1 + e^t) without overflow or cancellation.
    @inline(__always) static func softplus(_ t: Double) -> Double {
        t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))
    }

    struct Result {
        var loss: Double            // (1/n) Σ w ℓ
        var gradient: [Double]      // d + 1, intercept first
        var hessian: DoubleMatrix?  // (d + 1) x (d + 1)
    }

    /// beta: d + 1 coefficients, intercept first.
    func evaluate(_ beta: [Double], hessian: Bool, gradient: Bool = true) -> Result {
        let d1 = d + 1
        let blocks = Parallel.blocks(n, minBlock: 8192)
        let parts: [(Double, [Double], [Double])] = Parallel.map(blocks.count) { b in
            var loss = 0.0
            var grad = [Double](repeating: 0, count: gradient ? d1 : 0)
            var h = [Double](repeating: 0, count: hessian ? d1 * d1 : 0)
            let m0 = min(Self.chunk, blocks[b].count)
            var a = [Double](repeating: 0, count: m0 * d1)
            var eta = [Double](repeating: 0, count: m0)
            var r = [Double](repeating: 0, count: m0)
            var start = blocks[b].lowerBound
            while start < blocks[b].upperBound {
                let m = min(Self.chunk, blocks[b].upperBound - start)
                x.storage.withUnsafeBufferPointer { xp in
                    for i in 0..<m {
                        a[i * d1] = 1
                        let row = xp.baseAddress! + (start + i) * d
                        for j in 0..<d { a[i * d1 + 1 + j] = Double(row[j]) }
                    }
                }
                a.withUnsafeBufferPointer { ap in
                    beta.withUnsafeBufferPointer { bp in
                        eta.withUnsafeMutableBufferPointer { ep in
                            Double._gemv(false, m, d1, 1, ap.baseAddress!, d1, bp.baseAddress!, 0, ep.baseAddress!)
                        }
                    }
                }
                var scales = [Double](repeating: 0, count: hessian ? m : 0)
                for i in 0..<m {
                    let t = eta[i], yi = y[start + i], wi = w[start + i]
                    loss += wi * (Self.softplus(t) - yi * t)
                    let p = Self.sigmoid(t)
                    r[i] = wi * (p - yi)
                    if hessian { scales[i] = (wi * p * (1 - p)).squareRoot() }
                }
                if gradient {
                    a.withUnsafeBufferPointer { ap in
                        r.withUnsafeBufferPointer { rp in
                            grad.withUnsafeMutableBufferPointer { gp in
                                Double._gemv(true, m, d1, 1, ap.baseAddress!, d1, rp.baseAddress!, 1, gp.baseAddress!)
                            }
                        }
                    }
                }
                if hessian {
                    // Rows scaled by √(w p (1 − p)), so that AᵀA is the Hessian term.
                    for i in 0..<m { let s = scales[i]; for j in 0..<d1 { a[i * d1 + j] *= s } }
                }
                if hessian {
                    a.withUnsafeBufferPointer { ap in
                        h.withUnsafeMutableBufferPointer { hp in
                            Double._syrk(true, d1, m, 1, ap.baseAddress!, d1, 1, hp.baseAddress!, d1)
                        }
                    }
                }
                start += m
            }
            return (loss, grad, h)
        }
        var loss = 0.0
        var grad = [Double](repeating: 0, count: gradient ? d1 : 0)
        var h = [Double](repeating: 0, count: hessian ? d1 * d1 : 0)
        for (l, g, hh) in parts {
            loss += l
            for j in grad.indices { grad[j] += g[j] }
            for j in h.indices { h[j] += hh[j] }
        }
        let scale = 1 / Double(n)
        loss *= scale
        for j in grad.indices { grad[j] *= scale }
        var hm: DoubleMatrix? = nil
        if hessian {
            for j in h.indices { h[j] *= scale }
            // SYRK filled the upper triangle; mirror it.
            for i in 0..<d1 { for j in 0..<i { h[i * d1 + j] = h[j * d1 + i] } }
            hm = DoubleMatrix(rows: d1, cols: d1, storage: h)
        }
        return Result(loss: loss, gradient: grad, hessian: hm)
    }

    /// Gram matrix of [1, x] (unweighted, mean), used to find aliased columns.
    func gram() -> DoubleMatrix {
        let saved = LogisticData(x: x, y: [Double](repeating: 0, count: n), w: [Double](repeating: 4, count: n))
        // With y = 0 and w = 4 at β = 0, w p (1 − p) = 4 · ¼ = 1: the Hessian is the Gram matrix.
        return saved.evaluate([Double](repeating: 0, count: d + 1), hessian: true, gradient: false).hessian!
    }
}
