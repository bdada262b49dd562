#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sample sizes for a two-arm test. A proportion's effect is Cohen's h
/// (2 asin sqrt p2 - 2 asin sqrt p1) with the normal approximation, as
/// statsmodels' `NormalIndPower` with `proportion_effectsize`; a mean's effect is
/// Cohen's d (difference / sd) with the noncentral t, as `TTestIndPower`.
/// `ratio` is the treatment arm's size over the control arm's.
public enum PowerAnalysis {
    public enum Metric: String, Sendable { case proportion, mean }

    public struct Request: Sendable {
        public var metric: Metric
        /// The control arm's rate (proportion) or mean (mean; needed only for a relative effect).
        public var baseline: Double?
        /// The smallest effect worth detecting: an absolute difference, or a relative lift when `relative`.
        public var mde: Double
        public var relative = false
        /// The outcome's standard deviation (mean metric).
        public var sd: Double?
        public var alpha = 0.05
        public var power = 0.8
        public var sides = 2
        public var ratio = 1.0

        public init(metric: Metric, baseline: Double?, mde: Double, relative: Bool = false, sd: Double? = nil,
                    alpha: Double = 0.05, power: Double = 0.8, sides: Int = 2, ratio: Double = 1) {
            self.metric = metric; self.baseline = baseline; self.mde = mde; self.relative = relative; self.sd = sd
            self.alpha = alpha; self.power = power; self.sides = sides; self.ratio = ratio
        }
    }

    public struct Result: Sendable {
        /// Cohen's h or d, as a positive number.
        public var effectSize: Double
        /// The absolute difference the test is powered for (treatment minus control).
        public var difference: Double
        /// The treatment arm's rate or mean under the alternative, when a baseline is known.
        public var treatmentValue: Double?
        /// The control arm's size before rounding up (what statsmodels' `solve_power` returns).
        public var exactControl: Double
        public var nControl: Int
        public var nTreatment: Int
        /// The larger arm when the ratio is not 1.
        public var nPerArm: Int { max(nControl, nTreatment) }
    }

    /// 2 asin(sqrt(p1)) - 2 asin(sqrt(p2)), statsmodels' `proportion_effectsize(p1, p2)`.
    public static func cohenH(_ p1: Double, _ p2: Double) -> Double {
        2 * asin(p1.squareRoot()) - 2 * asin(p2.squareRoot())
    }

    /// Power of the two-sample z test with effect `d`, `n1` in the control arm.
    public static func normalPower(effect d: Double, n1: Double, ratio: Double, alpha: Double, sides: Int) -> Double {
        let nobs = 1 / (1 / n1 + 1 / (n1 * ratio))
        let shift = d * nobs.squareRoot()
        if sides == 2 {
            let crit = Distributions.normalQuantile(1 - alpha / 2)
            return Distributions.normalSF(crit - shift) + Distributions.normalCDF(-crit - shift)
        }
        return Distributions.normalSF(Distributions.normalQuantile(1 - alpha) - shift)
    }

    /// Power of the two-sample (pooled) t test with effect `d`, `n1` in the control arm.
    public static func tPower(effect d: Double, n1: Double, ratio: Double, alpha: Double, sides: Int) -> Double {
        let n2 = n1 * ratio
        let df = n1 + n2 - 2
        guard df > 0 else { return .nan }
        let nc = d * (1 / (1 / n1 + 1 / n2)).squareRoot()
        if sides == 2 {
            let crit = Distributions.tQuantile(1 - alpha / 2, df: df)
            return (1 - Distributions.noncentralTCDF(crit, df: df, delta: nc))
                + Distributions.noncentralTCDF(-crit, df: df, delta: nc)
        }
        let crit = Distributions.tQuantile(1 - alpha, df: df)
        return 1 - Distributions.noncentralTCDF(crit, df: df, delta: nc)
    }

    public static func solve(_ r: Request) throws -> Result {
        guard r.alpha > 0 && r.alpha < 1 else { throw PersonaError("--alpha must lie between 0 and 1 (got \(r.alpha))") }
        guard r.power > 0 && r.power < 1 else { throw PersonaError("--power must lie between 0 and 1 (got \(r.power))") }
        guard r.power > r.alpha / Double(r.sides) else {
            throw PersonaError("--power \(r.power) is not above the false-positive rate; ask for more power (0.8 is usual)")
        }
        guard r.ratio > 0 && r.ratio.isFinite else { throw PersonaError("--ratio must be a positive number (got \(r.ratio))") }
        guard r.sides == 1 || r.sides == 2 else { throw PersonaError("a test is one- or two-sided") }
        guard r.mde != 0 && r.mde.isFinite else { throw PersonaError("--mde must be a non-zero effect (got \(r.mde))") }
        let effect: Double, difference: Double, treatment: Double?
        switch r.metric {
        case .proportion:
            guard let p1 = r.baseline else { throw PersonaError("a conversion-rate plan needs --baseline-rate (the control arm's rate, e.g. 0.05)") }
            guard p1 > 0 && p1 < 1 else { throw PersonaError("--baseline-rate must lie strictly between 0 and 1 (got \(p1))") }
            let p2 = r.relative ? p1 * (1 + r.mde) : p1 + r.mde
            guard p2 > 0 && p2 < 1 else {
                throw PersonaError("the treatment rate under the --mde would be \(p2), outside (0, 1); choose a smaller effect")
            }
            effect = abs(cohenH(p2, p1)); difference = p2 - p1; treatment = p2
        case .mean:
            guard let sd = r.sd else { throw PersonaError("a plan for a mean needs --sd (the outcome's standard deviation)") }
            guard sd > 0 && sd.isFinite else { throw PersonaError("--sd must be positive (got \(sd))") }
            if r.relative {
                guard let m = r.baseline, m != 0 else {
                    throw PersonaError("a relative --mde for a mean needs --baseline-mean (the control arm's mean); or give the --mde in the outcome's units")
                }
                difference = m * r.mde; treatment = m + difference
            } else {
                difference = r.mde; treatment = r.baseline.map { $0 + r.mde }
            }
            effect = abs(difference) / sd
        }
        let powerAt: (Double) -> Double = { n in
            r.metric == .proportion
                ? normalPower(effect: effect, n1: n, ratio: r.ratio, alpha: r.alpha, sides: r.sides)
                : tPower(effect: effect, n1: n, ratio: r.ratio, alpha: r.alpha, sides: r.sides)
        }
        // The t test needs a degree of freedom; no arm is planned below two customers.
        var lo = r.metric == .mean ? max(2, 3 / (1 + r.ratio)) : 1e-6
        if powerAt(lo) >= r.power { return rounded(effect, difference, treatment, lo, r.ratio) }
        var hi = max(2 * lo, 2.0)
        while powerAt(hi) < r.power {
            hi *= 2
            if hi > 1e13 { throw PersonaError("the effect is too small to detect with any feasible sample; choose a larger --mde") }
        }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if powerAt(mid) < r.power { lo = mid } else { hi = mid }
            if hi - lo <= 1e-10 * hi { break }
        }
        return rounded(effect, difference, treatment, hi, r.ratio)
    }

    private static func rounded(_ effect: Double, _ difference: Double, _ treatment: Double?, _ n1: Double, _ ratio: Double) -> Result {
        Result(effectSize: effect, difference: difference, treatmentValue: treatment, exactControl: n1,
               nControl: roundUp(n1), nTreatment: roundUp(n1 * ratio))
    }

    /// A sample size rounded up, but not past an integer the solver only missed by its tolerance.
    static func roundUp(_ x: Double) -> Int { Int((x - 1e-7 * max(1, x)).rounded(.up)) }
}
