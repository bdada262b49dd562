#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CSV field without leading and trailing spaces and tabs, as every reader of
/// fields takes it.
@inline(__always) func trimmedSpaces(_ f: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var lo = 0, hi = f.count
    while lo < hi && (f[lo] == 32 || f[lo] == 9) { lo += 1 }
    while hi > lo && (f[hi - 1] == 32 || f[hi - 1] == 9) { hi -= 1 }
    return UnsafeBufferPointer(rebasing: f[lo..<hi])
}

/// Values that mean "missing" in a CSV field, compared case-insensitively after
/// trimming spaces: empty, NA, N/A, NaN, null, None.
public enum MissingMarkers {
    public static let all = ["", "NA", "N/A", "NaN", "null", "None"]

    public static func isMissing(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        let f = trimmedSpaces(f)
        let n = f.count
        if n == 0 { return true }
        // Every other marker starts with n or N, which no number does: most fields stop here.
        if n > 4 || f[0] | 0x20 != 0x6E { return false }
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b | 0x20 : b }
        var word: UInt32 = 0
        for b in f { word = word << 8 | UInt32(lower(b)) }
        switch n {
        case 2: return word == 0x6E61                          // na
        case 3: return word == 0x6E2F61 || word == 0x6E616E    // n/a, nan
        case 4: return word == 0x6E756C6C || word == 0x6E6F6E65 // null, none
        default: return false
        }
    }

    public static func isMissing(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isMissing($0) }
    }
}

/// Parses decimal numbers from CSV bytes without building a String.
///
/// The fast path handles up to 15 significant digits with a decimal exponent of
/// at most 22 in magnitude: both the digits and the power of ten are then exact
/// doubles, so one multiplication or division is correctly rounded (Clinger's
/// fast path). Everything else goes to `strtod`, which is correctly rounded too.
public enum NumberParser {
    public static func parse(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        parse(trimmed: trimmedSpaces(f))
    }

    /// The same for a field without spaces or tabs at either end. The common
    /// case is handled inline: at most 19 digits (so the mantissa cannot
    /// overflow), an optional fraction, no exponent. Below 10^15 the digits are
    /// the significant ones the general parser counts, so this gives its
    /// result exactly; anything else goes to it.
    @inline(__always)
    public static func parse(trimmed f: UnsafeBufferPointer<UInt8>) -> Double? {
        let hi = f.count
        var i = 0
        guard hi > 0 else { return nil }
        let negative = f[0] == UInt8(ascii: "-")
        if negative || f[0] == UInt8(ascii: "+") { i = 1 }
        var mantissa: UInt64 = 0
        let digitsStart = i
        while i < hi, f[i] &- 48 < 10 { mantissa = mantissa &* 10 &+ UInt64(f[i] &- 48); i += 1 }
        var digits = i - digitsStart, fraction = 0
        if i < hi && f[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < hi, f[i] &- 48 < 10 { mantissa = mantissa &* 10 &+ UInt64(f[i] &- 48); i += 1 }
            fraction = i - fractionStart
            digits += fraction
        }
        if i == hi && digits > 0 && digits <= 19 && mantissa < 1_000_000_000_000_000 && fraction <= 22 {
            let v = fraction == 0 ? Double(mantissa) : Double(mantissa) / exactPowerOfTen(fraction)
            return negative ? -v : v
        }
        return general(f)
    }

    /// Any decimal number: more digits, an exponent, or not a number at all.
    @inline(never)
    static func general(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        let lo = 0, hi = f.count
        if lo == hi { return nil }
        var i = lo
        var negative = false
        if f[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if f[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, significant = 0, exponent = 0
        var sawDigit = false
        while i < hi, f[i] &- 48 < 10 {
            sawDigit = true
            if significant > 0 || f[i] != 48 { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(f[i] &- 48) } else { exponent += 1 }
            digits += 1; i += 1
        }
        if i < hi && f[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi, f[i] &- 48 < 10 {
                sawDigit = true
                if significant > 0 || f[i] != 48 { significant += 1 }
                if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(f[i] &- 48); exponent -= 1 }
                digits += 1; i += 1
            }
        }
        if !sawDigit { return nil }
        if i < hi && (f[i] == UInt8(ascii: "e") || f[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < hi && (f[i] == UInt8(ascii: "-") || f[i] == UInt8(ascii: "+")) { expNegative = f[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0, expDigits = 0
            while i < hi, f[i] &- 48 < 10 { if e < 100_000 { e = e * 10 + Int(f[i] &- 48) }; i += 1; expDigits += 1 }
            if expDigits == 0 { return nil }
            exponent += expNegative ? -e : e
        }
        if i != hi { return nil }
        if significant <= 15 && exponent >= -22 && exponent <= 22 {
            let p = exactPowerOfTen(exponent < 0 ? -exponent : exponent)
            let v = exponent >= 0 ? Double(mantissa) * p : Double(mantissa) / p
            return negative ? -v : v
        }
        return slowPath(f, lo, hi)
    }

    /// 10^e for 0 <= e <= 22, every one exactly representable in Double.
    @inline(__always) static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: return 1
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    private static func slowPath(_ f: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Double? {
        var tmp = [CChar](repeating: 0, count: hi - lo + 1)
        for k in lo..<hi { tmp[k - lo] = CChar(bitPattern: f[k]) }
        return tmp.withUnsafeMutableBufferPointer { p -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(p.baseAddress!, &end)
            guard let end, end - p.baseAddress! == hi - lo, v.isFinite else { return nil }
            return v
        }
    }

    public static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { parse($0) }
    }
}

/// A 64-bit fingerprint of a byte stream, independent of how the stream is cut
/// into blocks. It identifies training data in the model card; it is a
/// checksum against accidents, not a cryptographic hash.
public struct DataFingerprint: Equatable {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var pending: UInt64 = 0
    private var pendingCount = 0
    public private(set) var byteCount: UInt64 = 0

    public init() {}

    @inline(__always) private mutating func mix(_ w: UInt64) {
        state = (state ^ w) &* 0x100_0000_01B3
        state ^= state >> 29
    }

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        byteCount += UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while pendingCount != 0 && i < n {
            pending |= UInt64(bytes[i]) << (8 * UInt64(pendingCount))
            pendingCount += 1; i += 1
            if pendingCount == 8 { mix(pending); pending = 0; pendingCount = 0 }
        }
        guard let base = bytes.baseAddress else { return }
        while i + 8 <= n {
            mix(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self).littleEndian)
            i += 8
        }
        while i < n { pending |= UInt64(bytes[i]) << (8 * UInt64(pendingCount)); pendingCount += 1; i += 1 }
    }

    public var hex: String {
        var s = state
        if pendingCount > 0 { s = (s ^ pending) &* 0x100_0000_01B3; s ^= s >> 29 }
        s = (s ^ byteCount) &* 0xFF51_AFD7_ED55_8CCD
        s ^= s >> 33
        let h = String(s, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }
}
