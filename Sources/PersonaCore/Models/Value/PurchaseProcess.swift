#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The purchase-process models: how often a customer buys while alive, and when
/// they drop out. Each is fitted by maximum likelihood on the distinct summary
/// rows with their weights, in log-parameter space, with analytic gradients.
public enum PurchaseProcess: String, CaseIterable, Sendable {
    /// BG/NBD (Fader, Hardie and Lee 2005): Poisson purchases at a gamma-distributed
    /// rate, dropping out after any repeat purchase with a beta-distributed chance.
    case bgnbd
    /// MBG/NBD (Batislam, Denizel and Filiztekin 2007): BG/NBD in which a customer
    /// may also drop out at the first purchase, so one without repeats can be gone.
    case mbgnbd
    /// Pareto/NBD (Schmittlein, Morrison and Colombo 1987): Poisson purchases at a
    /// gamma-distributed rate and an exponential lifetime at a gamma-distributed
    /// dropout rate, so a customer can leave at any time.
    case pareto
    /// BG/BB (Fader, Hardie and Shang 2010): discrete opportunities (a donation
    /// drive, an issue), a beta-Bernoulli purchase and a beta-geometric dropout.
    case bgbb

    /// The parameters' names, in the order of the model file.
    public var parameterNames: [String] {
        switch self {
        case .bgnbd, .mbgnbd: return ["r", "alpha", "a", "b"]
        case .pareto: return ["r", "alpha", "s", "beta"]
        case .bgbb: return ["alpha", "beta", "gamma", "delta"]
        }
    }

    public var title: String {
        switch self {
        case .bgnbd: return "BG/NBD"
        case .mbgnbd: return "MBG/NBD"
        case .pareto: return "Pareto/NBD"
        case .bgbb: return "BG/BB"
        }
    }

    /// Whether time is counted in whole opportunities.
    public var discrete: Bool { self == .bgbb }
}

/// Distinct (frequency, recency, T) rows with how many customers share each:
/// what the likelihood reads. For BG/BB, recency and T are whole opportunities.
struct SummaryRows {
    var x: [Int32] = []
    var tx: [Double] = []
    var T: [Double] = []
    var weight: [Double] = []
    /// The rows they were made from (customers, or weighted summary lines).
    var records = 0
    var count: Int { x.count }
    var totalWeight: Double { weight.reduce(0, +) }

    /// The distinct rows of customers' summaries, in a fixed order.
    init(x: [Int], tx: [Double], T: [Double], weight: [Double]? = nil) {
        struct Key: Hashable { let x: Int; let tx: UInt64; let T: UInt64 }
        records = x.count
        var index: [Key: Int] = [:]
        for i in x.indices {
            let key = Key(x: x[i], tx: tx[i].bitPattern, T: T[i].bitPattern)
            let w = weight?[i] ?? 1
            if let k = index[key] { self.weight[k] += w; continue }
            index[key] = self.x.count
            self.x.append(Int32(x[i])); self.tx.append(tx[i]); self.T.append(T[i]); self.weight.append(w)
        }
    }

    init() {}
}

/// A purchase process's parameters and what follows from them for one customer.
struct FittedProcess {
    let process: PurchaseProcess
    /// r, alpha, a, b (or alpha, beta, gamma, delta), in the summary's periods.
    let parameters: [Double]

    /// P(alive) at T given x repeat purchases, the last at t_x (BG/BB: at
    /// opportunity n + 1 given x of n opportunities taken, the last at t_x).
    func pAlive(x: Double, tx: Double, T: Double) -> Double {
        let p = parameters
        switch process {
        case .bgnbd:
            if x == 0 { return 1 }
            let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
            let logOdds = log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx))
            return 1 / (1 + exp(logOdds))
        case .mbgnbd:
            let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
            let logOdds = log(a) - log(b + x) + (r + x) * (log(alpha + T) - log(alpha + tx))
            return 1 / (1 + exp(logOdds))
        case .pareto:
            let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3])
            let a0 = ParetoSeries(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T, gradient: false).logA0
            let logOdds = log(s) - log(r + s + x) + (r + x) * log(alpha + T) + s * log(beta + T) + a0
            return 1 / (1 + exp(logOdds))
        case .bgbb:
            let (al, be, ga, de) = (p[0], p[1], p[2], p[3])
            let n = T
            let alive = ValueMath.logBeta(al + x, be + n - x) - ValueMath.logBeta(al, be)
                + ValueMath.logBeta(ga, de + n + 1) - ValueMath.logBeta(ga, de)
            return exp(alive - bgbbLogLikelihood(x: x, tx: tx, n: n))
        }
    }

    /// Expected purchases in the next t periods.
    func expectedPurchases(t: Double, x: Double, tx: Double, T: Double) -> Double {
        if t <= 0 { return 0 }
        let p = parameters
        switch process {
        case .bgnbd:
            let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
            let z = t / (alpha + T + t)
            let logF = ValueMath.logHyp2f1(r + x, b + x, a + b + x - 1, z)
            let first = (a + b + x - 1) / (a - 1) * -expm1((r + x) * log((alpha + T) / (alpha + T + t)) + logF)
            let odds = x > 0 ? exp(log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx))) : 0
            return first / (1 + odds)
        case .mbgnbd:
            let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
            let z = t / (alpha + T + t)
            let logF = ValueMath.logHyp2f1(r + x, b + x + 1, a + b + x, z)
            let first = (a + b + x) / (a - 1) * -expm1((r + x) * log((alpha + T) / (alpha + T + t)) + logF)
            let odds = exp(log(a) - log(b + x) + (r + x) * (log(alpha + T) - log(alpha + tx)))
            return first / (1 + odds)
        case .pareto:
            let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3])
            // (1 − q^(s−1)) / (s − 1), q = (β + T) / (β + T + t); −ln q at s = 1
            let lnQ = log((beta + T) / (beta + T + t))
            let decay = abs(s - 1) < 1e-12 ? -lnQ : -expm1((s - 1) * lnQ) / (s - 1)
            return (r + x) * (beta + T) / (alpha + T) * decay * pAlive(x: x, tx: tx, T: T)
        case .bgbb:
            let (al, be, ga, de) = (p[0], p[1], p[2], p[3])
            let n = T
            let l = bgbbLogLikelihood(x: x, tx: tx, n: n)
            let p2 = ValueMath.logBeta(al + x + 1, be + n - x) - ValueMath.logBeta(al, be)
            let p3 = de / (ga - 1) * exp(ValueMath.logGamma(ga + de) - ValueMath.logGamma(1 + de))
            let p4 = exp(ValueMath.logGamma(1 + de + n) - ValueMath.logGamma(ga + de + n))
            let p5 = exp(ValueMath.logGamma(1 + de + n + t) - ValueMath.logGamma(ga + de + n + t))
            return exp(p2 - l) * p3 * (p4 - p5)
        }
    }

    /// A BG/BB customer's log-likelihood (x of n opportunities taken, the last at t_x).
    func bgbbLogLikelihood(x: Double, tx: Double, n: Double) -> Double {
        let p = parameters
        let (al, be, ga, de) = (p[0], p[1], p[2], p[3])
        let bab = ValueMath.logBeta(al, be), bgd = ValueMath.logBeta(ga, de)
        var l = ValueMath.logBeta(al + x, be + n - x) - bab + ValueMath.logBeta(ga, de + n) - bgd
        var i = 0.0
        while i < n - tx {
            l = ValueMath.logAddExp(l, ValueMath.logBeta(al + x, be + tx - x + i) - bab + ValueMath.logBeta(ga + 1, de + tx + i) - bgd)
            i += 1
        }
        return l
    }
}

/// The negative log-likelihood of the summary rows, divided by their total
/// weight (Pareto/NBD: by their mean weight), plus `penalty` times the sum of the
/// squared parameters, as lifetimes defines each fitter's penalizer; and its
/// gradient, in log-parameter space.
struct ProcessLikelihood {
    let process: PurchaseProcess
    let rows: SummaryRows
    let penalty: Double
    /// The distinct frequencies and each row's index among them.
    private let frequencies: [Double]
    private let group: [Int32]
    private let groupWeight: [Double]
    private let blocks: [Range<Int>]

    init(process: PurchaseProcess, rows: SummaryRows, penalty: Double) {
        self.process = process; self.rows = rows; self.penalty = penalty
        var index: [Int32: Int32] = [:], freqs: [Double] = [], weights: [Double] = []
        var group = [Int32](repeating: 0, count: rows.count)
        for i in 0..<rows.count {
            let x = rows.x[i]
            let g: Int32
            if let k = index[x] { g = k } else { g = Int32(freqs.count); index[x] = g; freqs.append(Double(x)); weights.append(0) }
            group[i] = g
            weights[Int(g)] += rows.weight[i]
        }
        frequencies = freqs; self.group = group; groupWeight = weights
        // fixed blocks, so the sums do not depend on the core count
        let size = 32_768
        blocks = stride(from: 0, to: rows.count, by: size).map { $0..<min(rows.count, $0 + size) }
    }

    /// The log-likelihood summed over every customer, and its gradient in the parameters (not their logs).
    func logLikelihood(_ theta: [Double]) -> (value: Double, gradient: [Double])? {
        guard theta.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        switch process {
        case .bgnbd, .mbgnbd: return nbd(theta, modified: process == .mbgnbd)
        case .pareto: return pareto(theta)
        case .bgbb: return bgbb(theta)
        }
    }

    /// The objective the optimiser minimises, of the log parameters.
    func objective(_ phi: [Double]) -> (value: Double, gradient: [Double])? {
        let theta = phi.map { exp($0) }
        guard let (ll, g) = logLikelihood(theta), ll.isFinite, g.allSatisfy({ $0.isFinite }) else { return nil }
        // lifetimes divides by the total weight, except for Pareto/NBD, whose
        // fitter divides by the mean weight: the same minimum as dividing by the
        // total with the penalty divided by the rows, which keeps the value near 1.
        let w = rows.totalWeight
        let penalty = process == .pareto ? self.penalty / Double(max(rows.records, 1)) : self.penalty
        let value = -ll / w + penalty * theta.reduce(0) { $0 + $1 * $1 }
        let gradient = theta.indices.map { theta[$0] * (-g[$0] / w + 2 * penalty * theta[$0]) }
        return (value, gradient)
    }

    private func nbd(_ p: [Double], modified: Bool) -> (Double, [Double]) {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
        var ll = 0.0, g = [0.0, 0.0, 0.0, 0.0]
        // The terms that depend on the frequency alone, once per distinct frequency.
        let shift = modified ? 1.0 : 0.0
        let lnAlpha = log(alpha), psiR = ValueMath.digamma(r), psiAB = ValueMath.digamma(a + b), psiB = ValueMath.digamma(b)
        let lgR = ValueMath.logGamma(r), lgAB = ValueMath.logGamma(a + b), lgB = ValueMath.logGamma(b)
        var lnB = [Double](repeating: 0, count: frequencies.count)     // ln(b + x − 1), or ln(b + x) for MBG/NBD
        for (k, x) in frequencies.enumerated() {
            let w = groupWeight[k]
            let a1 = ValueMath.logGamma(r + x) - lgR + r * lnAlpha
            let a2 = lgAB + ValueMath.logGamma(b + x + shift) - lgB - ValueMath.logGamma(a + b + x + shift)
            ll += w * (a1 + a2)
            g[0] += w * (ValueMath.digamma(r + x) - psiR + lnAlpha)
            g[1] += w * r / alpha
            let psiABX = ValueMath.digamma(a + b + x + shift)
            g[2] += w * (psiAB - psiABX)
            g[3] += w * (psiAB + ValueMath.digamma(b + x + shift) - psiB - psiABX)
            lnB[k] = modified ? log(b + x) : (x > 0 ? log(b + x - 1) : 0)
        }
        let lnA = log(a)
        let parts: [(Double, [Double])] = Parallel.map(blocks.count) { blk in
            var ll = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0, g3 = 0.0
            rows.x.withUnsafeBufferPointer { xs in rows.tx.withUnsafeBufferPointer { txs in rows.T.withUnsafeBufferPointer { Ts in
            rows.weight.withUnsafeBufferPointer { ws in group.withUnsafeBufferPointer { gs in lnB.withUnsafeBufferPointer { lnB in
                for i in blocks[blk] {
                    let x = Double(xs[i]), w = ws[i], rx = r + x
                    let lnT = log(alpha + Ts[i])
                    let l3 = -rx * lnT
                    if x == 0 && !modified {
                        ll += w * l3
                        g0 -= w * lnT; g1 -= w * rx / (alpha + Ts[i])
                        continue
                    }
                    let lnTx = log(alpha + txs[i])
                    let l4 = lnA - lnB[Int(gs[i])] - rx * lnTx
                    let m = max(l3, l4)
                    let e3 = exp(l3 - m), e4 = exp(l4 - m), s = e3 + e4
                    ll += w * (m + log(s))
                    let w3 = e3 / s, w4 = e4 / s
                    g0 -= w * (w3 * lnT + w4 * lnTx)
                    g1 -= w * rx * (w3 / (alpha + Ts[i]) + w4 / (alpha + txs[i]))
                    g2 += w * w4 / a
                    g3 -= w * w4 / (b + x - (modified ? 0 : 1))
                }
            }}}}}}
            return (ll, [g0, g1, g2, g3])
        }
        for (l, pg) in parts { ll += l; for j in 0..<4 { g[j] += pg[j] } }
        return (ll, g)
    }

    private func pareto(_ p: [Double]) -> (Double, [Double]) {
        let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3])
        let lnAlpha = log(alpha), lnBeta = log(beta), psiR = ValueMath.digamma(r), lgR = ValueMath.logGamma(r)
        let parts: [(Double, [Double])] = Parallel.map(blocks.count) { blk in
            var ll = 0.0, g = [0.0, 0.0, 0.0, 0.0]
            for i in blocks[blk] {
                let x = Double(rows.x[i]), tx = rows.tx[i], T = rows.T[i], w = rows.weight[i]
                let k = r + s + x
                let c = ValueMath.logGamma(r + x) - lgR + r * lnAlpha + s * lnBeta
                let pT = -(r + x) * log(alpha + T) - s * log(beta + T)
                let series = ParetoSeries(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T, gradient: true)
                let b0 = log(s) - log(k) + series.logA0
                let m = max(pT, b0)
                let eP = exp(pT - m), eB = b0 == -.infinity ? 0 : exp(b0 - m), sum = eP + eB
                ll += w * (c + m + log(sum))
                let wP = eP / sum, wB = eB / sum
                // d C
                g[0] += w * (ValueMath.digamma(r + x) - psiR + lnAlpha)
                g[1] += w * r / alpha
                g[2] += w * lnBeta
                g[3] += w * s / beta
                // d of the first term
                g[0] -= w * wP * log(alpha + T)
                g[1] -= w * wP * (r + x) / (alpha + T)
                g[2] -= w * wP * log(beta + T)
                g[3] -= w * wP * s / (beta + T)
                // d of the second: ln s − ln k + ln A0
                if wB > 0 {
                    let d = series.dLogA0
                    g[0] += w * wB * (-1 / k + d[0])
                    g[1] += w * wB * d[1]
                    g[2] += w * wB * (1 / s - 1 / k + d[2])
                    g[3] += w * wB * d[3]
                }
            }
            return (ll, g)
        }
        var ll = 0.0, g = [0.0, 0.0, 0.0, 0.0]
        for (l, pg) in parts { ll += l; for j in 0..<4 { g[j] += pg[j] } }
        return (ll, g)
    }

    private func bgbb(_ p: [Double]) -> (Double, [Double]) {
        let (al, be, ga, de) = (p[0], p[1], p[2], p[3])
        let psi = ValueMath.digamma
        let bab = ValueMath.logBeta(al, be), bgd = ValueMath.logBeta(ga, de)
        // d ln B(α, β) and d ln B(γ, δ)
        let dAB = (psi(al) - psi(al + be), psi(be) - psi(al + be)), dGD = (psi(ga) - psi(ga + de), psi(de) - psi(ga + de))
        var ll = 0.0, g = [0.0, 0.0, 0.0, 0.0]
        for i in 0..<rows.count {
            let x = Double(rows.x[i]), tx = rows.tx[i], n = rows.T[i], w = rows.weight[i]
            var terms: [Double] = [], grads: [[Double]] = []
            terms.append(ValueMath.logBeta(al + x, be + n - x) - bab + ValueMath.logBeta(ga, de + n) - bgd)
            grads.append([psi(al + x) - psi(al + be + n) - dAB.0, psi(be + n - x) - psi(al + be + n) - dAB.1,
                          psi(ga) - psi(ga + de + n) - dGD.0, psi(de + n) - psi(ga + de + n) - dGD.1])
            var j = 0.0
            while j < n - tx {
                terms.append(ValueMath.logBeta(al + x, be + tx - x + j) - bab + ValueMath.logBeta(ga + 1, de + tx + j) - bgd)
                grads.append([psi(al + x) - psi(al + be + tx + j) - dAB.0, psi(be + tx - x + j) - psi(al + be + tx + j) - dAB.1,
                              psi(ga + 1) - psi(ga + 1 + de + tx + j) - dGD.0, psi(de + tx + j) - psi(ga + 1 + de + tx + j) - dGD.1])
                j += 1
            }
            let m = terms.max()!
            let e = terms.map { exp($0 - m) }, s = e.reduce(0, +)
            ll += w * (m + log(s))
            for (k, gk) in grads.enumerated() { for q in 0..<4 { g[q] += w * e[k] / s * gk[q] } }
        }
        return (ll, g)
    }
}

/// The Gamma-Gamma model of spend (Fader, Hardie and Lee 2005, "RFM and CLV"):
/// a customer's purchases have gamma-distributed amounts whose mean varies
/// across customers; fitted on repeat customers' mean spend and purchase counts.
struct SpendModel {
    /// p, q, gamma.
    let parameters: [Double]

    /// The expected mean spend per purchase of a customer with x repeat
    /// purchases of mean m (the population's mean for x = 0).
    func expectedSpend(x: Double, m: Double) -> Double {
        let (p, q, g) = (parameters[0], parameters[1], parameters[2])
        let population = p * g / (q - 1)
        if x <= 0 { return population }
        let w = p * x / (p * x + q - 1)
        return (1 - w) * population + w * m
    }

    /// The summed log-likelihood of (x, m, weight) rows and its gradient in (p, q, gamma).
    static func logLikelihood(_ theta: [Double], x: [Double], m: [Double], weight: [Double]) -> (value: Double, gradient: [Double])? {
        guard theta.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let (p, q, g) = (theta[0], theta[1], theta[2])
        let psi = ValueMath.digamma
        let lgQ = ValueMath.logGamma(q), psiQ = psi(q), lnG = log(g)
        var ll = 0.0, dp = 0.0, dq = 0.0, dg = 0.0
        for i in x.indices {
            let xi = x[i], mi = m[i], w = weight[i]
            let px = p * xi, lnM = log(mi), lnX = log(xi), lnD = log(g + mi * xi)
            ll += w * (ValueMath.logGamma(px + q) - ValueMath.logGamma(px) - lgQ + q * lnG + (px - 1) * lnM + px * lnX - (px + q) * lnD)
            let psiPXQ = psi(px + q)
            dp += w * xi * (psiPXQ - psi(px) + lnM + lnX - lnD)
            dq += w * (psiPXQ - psiQ + lnG - lnD)
            dg += w * (q / g - (px + q) / (g + mi * xi))
        }
        return (ll, [dp, dq, dg])
    }
}

/// ln A₀ of the Pareto/NBD likelihood (Fader and Hardie 2005, "A note on deriving
/// the Pareto/NBD model and related expressions") and its gradient in
/// (r, α, s, β), without the cancellation of its closed form. With M the larger
/// of α and β and m the smaller, k = r + s + x and u = s + 1 when α ≥ β, else
/// r + x, the closed form is a difference of two ₂F₁(k, u; k + 1; ·) terms at
/// t_x and at T. Expanding both series and pairing their n-th terms gives
///
///     A₀ = Σₙ k/(k + n) · (u)ₙ/n! · (M − m)ⁿ (M + t_x)^−(k+n) · (1 − ((M + t_x)/(M + T))^(k+n)),
///
/// a sum of positive terms (each difference taken by expm1), which loses nothing
/// when t_x is close to T or the purchases are many. Where that series would
/// need more than `seriesTerms` terms (many purchases early in a long life: the
/// terms rise for as many steps as there are purchases), A₀ is taken from its
/// integral instead (`quadrature`).
struct ParetoSeries {
    static let seriesTerms = 400
    private(set) var logA0 = -Double.infinity
    /// ∂ ln A₀ / ∂(r, α, s, β); zeros when not asked for.
    private(set) var dLogA0 = [0.0, 0.0, 0.0, 0.0]

    init(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double, gradient: Bool, integral: Bool = false) {
        if integral || !series(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T, gradient: gradient) {
            quadrature(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T)
        }
    }

    /// A₀ from the paired series; false when it needs more than `seriesTerms` terms.
    private mutating func series(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double, gradient: Bool) -> Bool {
        let alphaLarger = alpha >= beta
        let M = alphaLarger ? alpha : beta, m = alphaLarger ? beta : alpha
        let k = r + s + x, u = alphaLarger ? s + 1 : r + x
        let L = log(M + T) - log(M + tx)            // ≥ 0
        if !(L > 0) { return true }                 // t_x = T: the customer's last purchase is now
        let lnMtx = log(M + tx), dL_dM = 1 / (M + T) - 1 / (M + tx)
        let diff = M - m, lnDiff = diff > 0 ? log(diff) : -Double.infinity
        let psiU = ValueMath.digamma(u)
        // Terms in logs, summed relative to the first (rescaled as they grow).
        var logScale = 0.0, sum = 0.0
        var dk = 0.0, du = 0.0, dM = 0.0, dm = 0.0
        var logC = 0.0                                // ln (u)ₙ/n!, without k/(k + n)
        var psiUN = psiU                              // ψ(u + n)
        var n = 0.0
        var first = true
        while true {
            if n > Double(Self.seriesTerms) { return false }
            let e = -(k + n) * L
            let logD = log(-expm1(e))
            let powerTerm = n == 0 ? 0 : n * lnDiff
            let logTerm = log(k) - log(k + n) + logC + powerTerm - (k + n) * lnMtx + logD
            if first { logScale = logTerm; first = false }
            if logTerm - logScale > 600 {
                let shift = logTerm - logScale
                sum *= exp(-shift); dk *= exp(-shift); du *= exp(-shift); dM *= exp(-shift); dm *= exp(-shift)
                logScale = logTerm
            }
            let t = exp(logTerm - logScale)
            sum += t
            if gradient {
                // ∂ ln D / ∂(k + n) and ∂ ln D / ∂M
                let ratio = exp(e) / -expm1(e)      // e^−(k+n)L / D
                dk += t * (1 / k - 1 / (k + n) - lnMtx + L * ratio)
                du += t * (psiUN - psiU)
                dM += t * (-(k + n) / (M + tx) + (k + n) * ratio * dL_dM)
                if n >= 1 {
                    if diff > 0 { dM += t * n / diff; dm -= t * n / diff }
                }
            }
            if n == 0 && diff <= 0 { break }          // α = β: only the first term
            // next term's ln (u)ₙ/n!
            logC += log(u + n) - log(n + 1)
            if gradient { psiUN += 1 / (u + n) }
            n += 1
            // stop once the terms fall and no longer count
            if n > 1 && t < 1e-17 * sum && (u + n) / (n + 1) * diff / (M + tx) < 1 { break }
            if t == 0 && n > u + 10 { break }
        }
        if diff <= 0 && gradient {
            // at α = β the n = 1 term vanishes, but its derivative in M − m does not
            let logT1 = log(k) - log(k + 1) + log(u) - (k + 1) * lnMtx + log(-expm1(-(k + 1) * L))
            let t1 = exp(logT1 - logScale)
            dM += t1; dm -= t1
        }
        logA0 = log(sum) + logScale
        guard gradient, sum > 0 else { return true }
        let (gk, gu, gM, gm) = (dk / sum, du / sum, dM / sum, dm / sum)
        // back to (r, α, s, β): k = r + s + x; u = s + 1 (α ≥ β) or r + x
        if alphaLarger {
            dLogA0 = [gk, gM, gk + gu, gm]
        } else {
            dLogA0 = [gk + gu, gm, gk, gM]
        }
        return true
    }

    /// A₀ = (r + s + x) ∫ from t_x to T of (α + τ)^−(r+x) (β + τ)^−(s+1) dτ (the
    /// density of dropping out at τ with no purchase after t_x), and its gradient
    /// under the integral sign. In v = k ln((α + τ)/(α + t_x)), k = r + s + x, the
    /// integrand falls about as e^−v where purchases dominate, so 20-point
    /// Gauss-Legendre panels about two units of its log wide cover it until the
    /// rest no longer counts.
    private mutating func quadrature(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double) {
        let k = r + s + x
        let base = alpha + tx, total = log((alpha + T) / base) * k     // v runs over [0, total]
        guard total > 0 else { return }
        var logScale = -Double.infinity
        var sums = [0.0, 0.0, 0.0, 0.0, 0.0]      // ∫f, ∫f ln(α+τ), ∫f/(α+τ), ∫f ln(β+τ), ∫f/(β+τ), relative to e^logScale
        var lo = 0.0, panels = 0
        while lo < total && panels < 400 {
            panels += 1
            // Panels over which the integrand's log changes by about 2 at their
            // start, and α + τ by at most a factor e: two units where it falls as
            // e^−v, wider where it is flat (a dropout rate that hardly varies).
            let start = base * exp(lo / k)
            let slope = ((r + x - 1) + (s + 1) * start / (start - alpha + beta)) / k
            let hi = min(total, lo + min(2 / max(abs(slope), 1e-12), k, max(2, total)))
            var panel = 0.0
            for (node, weight) in GaussLegendre.twenty {
                let v = lo + (hi - lo) * (node + 1) / 2
                let w = weight * (hi - lo) / 2
                let ap = base * exp(v / k)                     // α + τ
                let bp = ap - alpha + beta                     // β + τ
                // ln of f(τ) dτ/dv: dτ = (α + τ) dv / k
                let logF = -(r + x - 1) * log(ap) - (s + 1) * log(bp) - log(k)
                if logF > logScale {
                    let shift = logScale == -.infinity ? 0 : exp(logScale - logF)
                    for j in sums.indices { sums[j] *= shift }
                    panel *= shift
                    logScale = logF
                }
                let f = w * exp(logF - logScale)
                sums[0] += f; sums[1] += f * log(ap); sums[2] += f / ap; sums[3] += f * log(bp); sums[4] += f / bp
                panel += f
            }
            if panel < 1e-18 * sums[0] { break }
            lo = hi
        }
        let I = sums[0]
        logA0 = log(k) + log(I) + logScale
        dLogA0 = [1 / k - sums[1] / I, -(r + x) * sums[2] / I, 1 / k - sums[3] / I, -(s + 1) * sums[4] / I]
    }
}

/// The nodes and weights of 20-point Gauss-Legendre quadrature on [−1, 1].
enum GaussLegendre {
    static let twenty: [(Double, Double)] = {
        let half: [(Double, Double)] = [
            (0.0765265211334973337546404, 0.1527533871307258506980843), (0.2277858511416450780804962, 0.1491729864726037467878287),
            (0.3737060887154195606725482, 0.1420961093183820513292983), (0.5108670019508270980043641, 0.1316886384491766268984945),
            (0.6360536807265150254528367, 0.1181945319615184173123774), (0.7463319064601507926143051, 0.1019301198172404350367501),
            (0.8391169718222188233945291, 0.0832767415767047487247581), (0.9122344282513259058677524, 0.0626720483341090635695065),
            (0.9639719272779137912676661, 0.0406014298003869413310400), (0.9931285991850949247861224, 0.0176140071391521183118620),
        ]
        return half.map { (-$0.0, $0.1) }.reversed() + half
    }()
}
