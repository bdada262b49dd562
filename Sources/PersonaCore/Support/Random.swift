#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: a tiny generator used to seed others and for quick shuffles.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Xoshiro256**: Persona's seeded generator. The same seed gives the same stream
/// on every platform and release, which is what makes `--seed` reproducible.
public struct PersonaRandom: RandomNumberGenerator {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// An independent stream for part `index` of a job (a chunk, a restart).
    public init(seed: UInt64, stream index: UInt64) {
        self.init(seed: seed ^ (index &* 0xD1B5_4A32_D192_ED03) &+ index)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always) public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), 53 random bits.
    @inline(__always) public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<n without modulo bias (Lemire's method).
    @inline(__always) public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal by the Box-Muller transform (one of the pair; simple and deterministic).
    public mutating func normal() -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        let v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    public mutating func normal(mean: Double, sd: Double) -> Double { mean + sd * normal() }

    public mutating func exponential(mean: Double) -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        return -mean * log(u)
    }

    /// Poisson count: inversion for small means, a rounded normal for large ones.
    public mutating func poisson(_ mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean > 40 { return max(0, Int((mean + mean.squareRoot() * normal()).rounded())) }
        let l = exp(-mean)
        var k = 0
        var p = uniform()
        while p > l { k += 1; p *= uniform() }
        return k
    }

    /// Index drawn with probability proportional to `weights` (cumulative, last = total).
    public mutating func pick(cumulative: [Double]) -> Int {
        let u = uniform() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}

public func cumulativeWeights(_ w: [Double]) -> [Double] {
    var acc = 0.0
    return w.map { acc += $0; return acc }
}
