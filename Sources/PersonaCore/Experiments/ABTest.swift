#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running moments of an outcome Y and a covariate X (Welford, merged with Chan's
/// formula): everything a two-sample test and CUPED need, in one streaming pass.
public struct Moments: Sendable {
    public private(set) var n = 0.0
    public private(set) var meanY = 0.0, meanX = 0.0
    private(set) var m2y = 0.0, m2x = 0.0, cxy = 0.0

    public init() {}

    public mutating func add(_ y: Double, _ x: Double = 0) {
        n += 1
        let dy = y - meanY, dx = x - meanX
        meanY += dy / n
        meanX += dx / n
        m2y += dy * (y - meanY)
        m2x += dx * (x - meanX)
        cxy += dx * (y - meanY)
    }

    public mutating func merge(_ o: Moments) {
        guard o.n > 0 else { return }
        guard n > 0 else { self = o; return }
        let total = n + o.n
        let dy = o.meanY - meanY, dx = o.meanX - meanX
        m2y += o.m2y + dy * dy * n * o.n / total
        m2x += o.m2x + dx * dx * n * o.n / total
        cxy += o.cxy + dx * dy * n * o.n / total
        meanY += dy * o.n / total
        meanX += dx * o.n / total
        n = total
    }

    /// Sample variances and covariance (n - 1 in the denominator).
    public var varY: Double { n > 1 ? m2y / (n - 1) : 0 }
    public var varX: Double { n > 1 ? m2x / (n - 1) : 0 }
    public var covXY: Double { n > 1 ? cxy / (n - 1) : 0 }
    /// The count of ones for a 0/1 outcome.
    public var successes: Double { (meanY * n).rounded() }

    /// The moments of Y - theta (X - centre): mean and sample variance.
    public func adjusted(theta: Double, centre: Double) -> (mean: Double, variance: Double) {
        (meanY - theta * (meanX - centre), max(0, varY - 2 * theta * covXY + theta * theta * varX))
    }
}

/// Two-sample tests and intervals, each as its reference library defines it.
public enum TwoSample {
    public struct Comparison: Sendable, Equatable {
        public var difference: Double
        public var ciLow: Double
        public var ciHigh: Double
        public var pValue: Double
        public var statistic: Double
        public var standardError: Double
    }

    /// The Wilson score interval of a proportion (statsmodels' `proportion_confint(method="wilson")`).
    public static func wilson(successes: Double, n: Double, alpha: Double) -> (low: Double, high: Double) {
        let z = Distributions.normalQuantile(1 - alpha / 2), z2 = z * z
        let p = successes / n
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (centre - half, centre + half)
    }

    /// Treatment minus control for proportions: Newcombe's hybrid score interval
    /// (statsmodels' `confint_proportions_2indep(method="newcomb")`) and the pooled
    /// two-proportion z test (`proportions_ztest`).
    public static func proportions(treatment c1: Double, _ n1: Double, control c2: Double, _ n2: Double,
                                   alpha: Double) -> Comparison {
        let p1 = c1 / n1, p2 = c2 / n2, d = p1 - p2
        let (l1, u1) = wilson(successes: c1, n: n1, alpha: alpha)
        let (l2, u2) = wilson(successes: c2, n: n2, alpha: alpha)
        let low = d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let high = d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        let pooled = (c1 + c2) / (n1 + n2)
        let se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        let z = se > 0 ? d / se : 0
        let p = se > 0 ? 2 * Distributions.normalSF(abs(z)) : 1
        return Comparison(difference: d, ciLow: low, ciHigh: high, pValue: p, statistic: z, standardError: se)
    }

    /// Treatment minus control for means: Welch's t test and interval (scipy's
    /// `ttest_ind(equal_var=False)` and its `confidence_interval`).
    public static func welch(treatment m1: Double, v1: Double, n1: Double, control m2: Double, v2: Double, n2: Double,
                             alpha: Double) -> Comparison {
        let d = m1 - m2
        let a = v1 / n1, b = v2 / n2
        let se = (a + b).squareRoot()
        guard se > 0 else {
            return Comparison(difference: d, ciLow: d, ciHigh: d, pValue: d == 0 ? 1 : 0, statistic: d == 0 ? 0 : (d > 0 ? .infinity : -.infinity), standardError: 0)
        }
        let df = (a + b) * (a + b) / (a * a / (n1 - 1) + b * b / (n2 - 1))
        let t = d / se
        let q = Distributions.tQuantile(1 - alpha / 2, df: df)
        return Comparison(difference: d, ciLow: d - q * se, ciHigh: d + q * se,
                          pValue: min(1, 2 * Distributions.tSF(abs(t), df: df)), statistic: t, standardError: se)
    }

    /// Holm's step-down adjustment (statsmodels' `multipletests(method="holm")`).
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Benjamini-Hochberg adjustment (statsmodels' `multipletests(method="fdr_bh")`).
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var adjusted = [Double](repeating: 0, count: m)
        var running = 1.0
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let i = order[rank]
            running = min(running, Double(m) / Double(rank + 1) * p[i])
            adjusted[i] = min(1, running)
        }
        return adjusted
    }

    /// Pearson's chi-square goodness of fit of counts against expected shares.
    public static func sampleRatioMismatch(counts: [Double], shares: [Double]) -> (chiSquare: Double, pValue: Double) {
        let total = counts.reduce(0, +), weight = shares.reduce(0, +)
        var chi = 0.0
        for (o, s) in zip(counts, shares) {
            let e = total * s / weight
            chi += (o - e) * (o - e) / e
        }
        return (chi, Distributions.chiSquareSF(chi, df: Double(counts.count - 1)))
    }
}
