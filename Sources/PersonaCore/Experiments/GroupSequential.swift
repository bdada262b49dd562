#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Group-sequential boundaries from Lan-DeMets alpha-spending functions, for
/// looks at equally spaced information fractions t = k/K.
///
/// - O'Brien-Fleming type: a(t) = 2 - 2 Phi(z_{1-a/2} / sqrt t)
/// - Pocock type: a(t) = a ln(1 + (e - 1) t)
///
/// A one-sided test spends its level alpha through a(t). A two-sided test is two
/// one-sided tests at alpha/2 (boundaries +-c_k), each side spending alpha/2 by its
/// own function, as in the published tables (DeMets and Lan 1994) and gsDesign's
/// symmetric designs. The probability of first crossing
/// at each look under no effect is computed by recursive numerical integration
/// (Armitage, McPherson and Rowe 1969; Jennison and Turnbull 2000, chapter 19)
/// with Simpson's rule over the continuation region, and c_k is solved so that it
/// equals what the spending function allots to that look.
public enum GroupSequential {
    public enum Spending: String, CaseIterable, Sendable {
        case obrienFleming = "obrien-fleming"
        case pocock

        public var title: String { self == .pocock ? "Pocock" : "O'Brien-Fleming" }

        public func spent(_ t: Double, alpha: Double) -> Double {
            if t <= 0 { return 0 }
            switch self {
            case .obrienFleming:
                return 2 * Distributions.normalSF(Distributions.normalQuantile(1 - alpha / 2) / t.squareRoot())
            case .pocock:
                return alpha * log(1 + (exp(1) - 1) * min(t, 1))
            }
        }
    }

    public struct Look: Sendable {
        public var information: Double
        /// The z boundary: stop when |Z| (two-sided) or Z (one-sided) reaches it.
        public var boundary: Double
        /// The p-value a look's test must be below to stop there.
        public var nominalAlpha: Double
        public var cumulativeAlpha: Double
    }

    public struct Design: Sendable {
        public var spending: Spending
        public var alpha: Double
        public var sides: Int
        public var looks: [Look]
        /// The maximum sample size over the fixed design's, for the same power.
        public var inflation: Double
    }

    /// A grid over an interval with Simpson weights.
    struct Grid {
        var z: [Double]
        var w: [Double]
        init(_ lo: Double, _ hi: Double, points: Int) {
            let n = points | 1
            let h = (hi - lo) / Double(n - 1)
            z = (0..<n).map { lo + Double($0) * h }
            w = (0..<n).map { i in (i == 0 || i == n - 1 ? 1 : (i % 2 == 1 ? 4 : 2)) * h / 3 }
        }
    }


    /// First-crossing probabilities at each look for drift `theta` (Z_k ~ N(theta sqrt t_k, 1)),
    /// given the boundaries; `solve` fills boundaries in as it goes when given spending targets.
    static func crossings(t: [Double], boundaries: inout [Double], targets: [Double]?, theta: Double, sides: Int,
                          points: Int = 1601) -> [Double] {
        var result: [Double] = []
        var grid: Grid? = nil
        var density: [Double] = []
        for k in 0..<t.count {
            let sk = t[k].squareRoot()
            let mean = theta * sk
            // Crossing probability for boundary c at this look, and the density below it.
            func cross(_ c: Double) -> Double {
                guard let g = grid else {
                    let up = Distributions.normalSF(c - mean)
                    return sides == 2 ? up + Distributions.normalCDF(-c - mean) : up
                }
                let sp = t[k - 1].squareRoot(), delta = t[k] - t[k - 1], sd = delta.squareRoot()
                var total = 0.0
                for j in 0..<g.z.count where density[j] != 0 {
                    let centre = g.z[j] * sp + theta * delta
                    var p = Distributions.normalSF((c * sk - centre) / sd)
                    if sides == 2 { p += Distributions.normalCDF((-c * sk - centre) / sd) }
                    total += g.w[j] * density[j] * p
                }
                return total
            }
            if let targets {
                let target = targets[k]
                var lo = 0.0, hi = 40.0
                if target <= 0 { boundaries.append(.infinity) } else {
                    for _ in 0..<64 {
                        let mid = (lo + hi) / 2
                        if cross(mid) > target { lo = mid } else { hi = mid }
                    }
                    boundaries.append((lo + hi) / 2)
                }
            }
            let c = boundaries[k]
            result.append(c.isFinite ? cross(c) : 0)
            if k == t.count - 1 { break }
            // The density of Z_k over the continuation region.
            let upper = c.isFinite ? c : mean + 12
            let lower = sides == 2 ? -upper : min(upper - 1, mean - 12)
            let next = Grid(lower, upper, points: points)
            var nd = [Double](repeating: 0, count: next.z.count)
            if let g = grid {
                let sp = t[k - 1].squareRoot(), delta = t[k] - t[k - 1], sd = delta.squareRoot()
                for i in 0..<next.z.count {
                    var s = 0.0
                    for j in 0..<g.z.count where density[j] != 0 {
                        let u = (next.z[i] * sk - g.z[j] * sp - theta * delta) / sd
                        if abs(u) < 40 { s += g.w[j] * density[j] * exp(-0.5 * u * u) }
                    }
                    nd[i] = s * sk / (sd * (2 * Double.pi).squareRoot())
                }
            } else {
                for i in 0..<next.z.count { nd[i] = Distributions.normalPDF(next.z[i] - mean) }
            }
            grid = next
            density = nd
        }
        return result
    }

    public static func design(looks: Int, spending: Spending, alpha: Double, sides: Int, power: Double) throws -> Design {
        guard looks >= 1 && looks <= 20 else { throw PersonaError("--looks must be between 1 and 20 (got \(looks))") }
        guard alpha > 0 && alpha < 1 else { throw PersonaError("--alpha must lie between 0 and 1 (got \(alpha))") }
        let t = (1...looks).map { Double($0) / Double(looks) }
        let cumulative = t.map { Double(sides) * spending.spent($0, alpha: alpha / Double(sides)) }
        let targets = cumulative.enumerated().map { k, a in a - (k == 0 ? 0 : cumulative[k - 1]) }
        var boundaries: [Double] = []
        _ = crossings(t: t, boundaries: &boundaries, targets: targets, theta: 0, sides: sides)
        // Drift giving the requested power, for this design and for one look.
        func drift(_ b: [Double], _ tt: [Double]) -> Double {
            var lo = 0.0, hi = 20.0
            for _ in 0..<44 {
                let mid = (lo + hi) / 2
                var bb = b
                let p = crossings(t: tt, boundaries: &bb, targets: nil, theta: mid, sides: sides, points: 401).reduce(0, +)
                if p < power { lo = mid } else { hi = mid }
            }
            return (lo + hi) / 2
        }
        let fixedCrit = Distributions.normalQuantile(1 - alpha / Double(sides))
        let inflation = looks == 1 ? 1 : pow(drift(boundaries, t) / drift([fixedCrit], [1]), 2)
        let result = (0..<looks).map { k in
            Look(information: t[k], boundary: boundaries[k],
                 nominalAlpha: Double(sides) * Distributions.normalSF(boundaries[k]), cumulativeAlpha: cumulative[k])
        }
        return Design(spending: spending, alpha: alpha, sides: sides, looks: result, inflation: inflation)
    }
}
