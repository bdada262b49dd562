#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The distribution functions the experiment statistics need, to double
/// precision: the normal, Student's t (central and noncentral) and chi-square.
public enum Distributions {
    // MARK: normal

    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    /// Upper tail, 1 - CDF, without cancellation.
    public static func normalSF(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }
    public static func normalPDF(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// The normal quantile: Acklam's rational approximation (relative error
    /// 1.2e-9), then two Halley steps on erfc, which bring it to full precision.
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "a probability lies in [0, 1]")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        for _ in 0..<2 {
            // Work in the nearer tail so the error term keeps its precision.
            let e = p < 0.5 ? normalCDF(x) - p : (1 - p) - normalSF(x)
            let u = e * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
            x -= u / (1 + 0.5 * x * u)
        }
        return x
    }

    // MARK: gamma and beta functions

    /// The regularized lower incomplete gamma function P(a, x) and its complement Q.
    public static func gammaP(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x)
    }

    public static func gammaQ(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x)
    }

    private static func gammaSeries(_ a: Double, _ x: Double) -> Double {
        var sum = 1 / a, term = sum, ap = a
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    /// Q(a, x) by Lentz's continued fraction (x >= a + 1).
    private static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }

    /// The regularized incomplete beta function I_x(a, b).
    public static func betaRegularized(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x, a, b) / a }
        return 1 - front * betaContinuedFraction(1 - x, b, a) / b
    }

    private static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0, d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }

    // MARK: Student's t

    /// P(T > t) for Student's t with `df` degrees of freedom.
    public static func tSF(_ t: Double, df: Double) -> Double {
        if t.isInfinite { return t > 0 ? 0 : 1 }
        if df.isInfinite { return normalSF(t) }
        let tail = 0.5 * betaRegularized(df / (df + t * t), df / 2, 0.5)
        return t > 0 ? tail : 1 - tail
    }

    public static func tCDF(_ t: Double, df: Double) -> Double { tSF(-t, df: df) }

    /// The t quantile: Newton's method from the normal quantile, kept inside a bracket.
    public static func tQuantile(_ p: Double, df: Double) -> Double {
        precondition(p > 0 && p < 1 && df > 0)
        if df.isInfinite { return normalQuantile(p) }
        if p == 0.5 { return 0 }
        if p < 0.5 { return -tQuantile(1 - p, df: df) }
        // Upper tail: find t > 0 with tSF(t) = 1 - p.
        let target = 1 - p
        var lo = 0.0, hi = max(1.0, normalQuantile(p))
        while tSF(hi, df: df) > target { lo = hi; hi *= 2 }
        var t = min(max(normalQuantile(p), lo), hi)
        for _ in 0..<200 {
            let f = tSF(t, df: df) - target
            if f > 0 { lo = t } else { hi = t }
            let logNorm: Double = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * log(df * Double.pi)
            let logKernel: Double = -(df + 1) / 2 * log1p(t * t / df)
            let density = exp(logNorm + logKernel)
            var next = t + f / density
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            if abs(next - t) <= 1e-15 * max(1, abs(t)) { t = next; break }
            t = next
        }
        return t
    }

    /// P(T <= t) for the noncentral t with `df` degrees of freedom and
    /// noncentrality `delta`: Lenth's algorithm AS 243 (Guenther's twin series).
    public static func noncentralTCDF(_ t: Double, df: Double, delta: Double) -> Double {
        let negate = t < 0
        let tt = negate ? -t : t, del = negate ? -delta : delta
        if df > 4e5 || del * del > 2 * log(2.0) * 1021 {
            // Abramowitz and Stegun 26.7.10.
            let s = 1 / (4 * df)
            let p = normalCDF((tt * (1 - s) - del) / (1 + tt * tt * 2 * s).squareRoot())
            return negate ? 1 - p : p
        }
        var tnc = 0.0
        let x = tt * tt / (tt * tt + df)
        if x > 0 {
            let lambda = del * del
            var p = 0.5 * exp(-0.5 * lambda)
            var q = (2 / Double.pi).squareRoot() * p * del
            var s = 0.5 - p
            if s < 1e-7 { s = -0.5 * expm1(-0.5 * lambda) }
            var a = 0.5
            let b = 0.5 * df
            let rxb = pow(1 - x, b)
            let albeta = 0.5 * log(Double.pi) + lgamma(b) - lgamma(0.5 + b)
            var xodd = betaRegularized(x, a, b)
            var godd = 2 * rxb * exp(a * log(x) - albeta)
            let bx = b * x
            var xeven = bx < Double.ulpOfOne ? bx : 1 - rxb
            var geven = bx * rxb
            tnc = p * xodd + q * xeven
            for it in 1...1000 {
                a += 1
                xodd -= godd
                xeven -= geven
                godd *= x * (a + b - 1) / a
                geven *= x * (a + b - 0.5) / (a + 0.5)
                p *= lambda / Double(2 * it)
                q *= lambda / Double(2 * it + 1)
                tnc += p * xodd + q * xeven
                s -= p
                if s < -1e-10 { break }
                if s <= 0 && it > 1 { break }
                if abs(2 * s * (xodd - godd)) < 1e-12 { break }
            }
        }
        tnc += normalCDF(-del)
        tnc = min(tnc, 1)
        return negate ? 1 - tnc : tnc
    }

    // MARK: chi-square

    /// P(X > x) for chi-square with `df` degrees of freedom.
    public static func chiSquareSF(_ x: Double, df: Double) -> Double { gammaQ(df / 2, x / 2) }
}
