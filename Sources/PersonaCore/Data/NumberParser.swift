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
        // No digit before the first other byte: text, which the general parser
        // refuses too, unless it starts with a currency sign.
        if digits == 0 { return i < hi && (f[i] == 0x24 || f[i] >= 0xC2) ? decorated(f) : nil }
        return general(f) ?? decorated(f)
    }

    /// A number written for people: a currency sign before or after it (`$`,
    /// `€`, `£`, `¥`, spaces between allowed, the sign of the number before or
    /// after the currency's) and commas between groups of three digits
    /// (`-$1,124.78`, `1,124.78 €`). Nil for anything else.
    @inline(never)
    static func decorated(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let (negative, currency, lo, hi) = withoutCurrency(f) else { return nil }
        // Digits, with commas between groups of three before any point.
        var digits: [UInt8] = []
        digits.reserveCapacity(hi - lo + 1)
        var run = 0, groups = 0, i = lo
        while i < hi, f[i] != 46 {
            let c = f[i]
            if c &- 48 < 10 { digits.append(c); run += 1 }
            else if c == 44 {
                if run == 0 || (groups == 0 && run > 3) || (groups > 0 && run != 3) { return nil }
                groups += 1; run = 0
            } else { return nil }
            i += 1
        }
        if groups > 0 && run != 3 { return nil }
        if groups == 0 && !currency { return nil }
        if digits.isEmpty { return nil }
        while i < hi { digits.append(f[i]); i += 1 }
        guard let v = digits.withUnsafeBufferPointer({ parse(trimmed: $0) }) else { return nil }
        return negative ? -v : v
    }

    /// A field's number without its sign, a currency sign before or after it
    /// and the spaces between: whether it was negative, whether a currency sign
    /// was there, and where the rest lies. Nil when something else surrounds it.
    static func withoutCurrency(_ f: UnsafeBufferPointer<UInt8>) -> (negative: Bool, currency: Bool, lo: Int, hi: Int)? {
        var lo = 0, hi = f.count
        var negative = false, signs = 0
        func sign() { if lo < hi && (f[lo] == 45 || f[lo] == 43) { negative = negative || f[lo] == 45; lo += 1; signs += 1 } }
        func currencyAtStart() -> Bool {
            if lo < hi && f[lo] == 0x24 { lo += 1; return true }
            if lo + 1 < hi && f[lo] == 0xC2 && (f[lo + 1] == 0xA3 || f[lo + 1] == 0xA5) { lo += 2; return true }
            if lo + 2 < hi && f[lo] == 0xE2 && f[lo + 1] == 0x82 && f[lo + 2] == 0xAC { lo += 3; return true }
            return false
        }
        func currencyAtEnd() -> Bool {
            if lo < hi && f[hi - 1] == 0x24 { hi -= 1; return true }
            if hi - 2 >= lo && f[hi - 2] == 0xC2 && (f[hi - 1] == 0xA3 || f[hi - 1] == 0xA5) { hi -= 2; return true }
            if hi - 3 >= lo && f[hi - 3] == 0xE2 && f[hi - 2] == 0x82 && f[hi - 1] == 0xAC { hi -= 3; return true }
            return false
        }
        func spaces() { while lo < hi && f[lo] == 32 { lo += 1 }; while hi > lo && f[hi - 1] == 32 { hi -= 1 } }
        sign()
        var currency = currencyAtStart()
        spaces()
        if currency { sign() } else { currency = currencyAtEnd(); spaces() }
        if signs > 1 || lo >= hi || f[lo] &- 48 >= 10 { return nil }
        return (negative, currency, lo, hi)
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
/// into pieces. It identifies training data in the model card; it is a
/// checksum against accidents, not a cryptographic hash.
///
/// The stream is hashed in blocks of `blockSize` bytes counted from its first
/// byte, each block in four lanes (word k of a block goes to lane k mod 4, so
/// the four multiplications run side by side), and the blocks' values are
/// chained in order. Parts of a file can therefore hash their own blocks on
/// different cores (`blockValue`) and give, chained (`combining`), what one
/// sequential pass gives.
public struct DataFingerprint: Equatable {
    /// Bytes per block; a multiple of 32. Tests lower it to cover many blocks.
    nonisolated(unsafe) static var blockSize = 1 << 20

    private var chain: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var block = Block()
    public private(set) var byteCount: UInt64 = 0

    public init() {}

    /// One block's state: four lanes, the lane the next word goes to, and the
    /// bytes of a word not yet complete.
    struct Block: Equatable {
        var l0: UInt64 = 0x9E37_79B9_7F4A_7C15, l1: UInt64 = 0x3C6E_F372_FE94_F82A
        var l2: UInt64 = 0xDAA6_6D2C_7DDF_743F, l3: UInt64 = 0x78DD_E6E5_FD29_F054
        var lane = 0
        var pending: UInt64 = 0, pendingCount = 0
        var count = 0

        @inline(__always) static func mix(_ s: UInt64, _ w: UInt64) -> UInt64 {
            let t = (s ^ w) &* 0x100_0000_01B3
            return t ^ (t >> 29)
        }

        @inline(__always) mutating func word(_ w: UInt64) {
            switch lane {
            case 0: l0 = Self.mix(l0, w)
            case 1: l1 = Self.mix(l1, w)
            case 2: l2 = Self.mix(l2, w)
            default: l3 = Self.mix(l3, w)
            }
            lane = (lane + 1) & 3
        }

        mutating func feed(_ base: UnsafePointer<UInt8>, _ n: Int) {
            count += n
            var i = 0
            while pendingCount != 0 && i < n {
                pending |= UInt64(base[i]) << (8 * UInt64(pendingCount))
                pendingCount += 1; i += 1
                if pendingCount == 8 { word(pending); pending = 0; pendingCount = 0 }
            }
            while lane != 0 && i + 8 <= n {
                word(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self).littleEndian); i += 8
            }
            // Whole stripes of four words, one per lane.
            var a = l0, b = l1, c = l2, d = l3
            while i + 32 <= n {
                let r = UnsafeRawPointer(base + i)
                a = Self.mix(a, r.loadUnaligned(as: UInt64.self).littleEndian)
                b = Self.mix(b, r.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian)
                c = Self.mix(c, r.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
                d = Self.mix(d, r.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian)
                i += 32
            }
            l0 = a; l1 = b; l2 = c; l3 = d
            while i + 8 <= n { word(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self).littleEndian); i += 8 }
            while i < n { pending |= UInt64(base[i]) << (8 * UInt64(pendingCount)); pendingCount += 1; i += 1 }
        }

        /// The block's value (a last word shorter than eight bytes is padded with zeros).
        var value: UInt64 {
            var s = self
            if s.pendingCount > 0 { s.word(s.pending) }
            var v = s.l0 ^ ((s.l1 << 17) | (s.l1 >> 47)) ^ ((s.l2 << 31) | (s.l2 >> 33)) ^ ((s.l3 << 47) | (s.l3 >> 17))
            v = (v ^ UInt64(s.count)) &* 0xFF51_AFD7_ED55_8CCD
            return v ^ (v >> 33)
        }
    }

    @inline(__always) private static func chained(_ chain: UInt64, _ value: UInt64) -> UInt64 {
        let t = (chain ^ value) &* 0xC2B2_AE3D_27D4_EB4F
        return t ^ (t >> 31)
    }

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        byteCount += UInt64(bytes.count)
        let size = Self.blockSize
        var i = 0
        while i < bytes.count {
            let n = min(bytes.count - i, size - block.count)
            block.feed(base + i, n)
            i += n
            if block.count == size { chain = Self.chained(chain, block.value); block = Block() }
        }
    }

    /// The value of one block of a stream: `bytes` is the whole block (or, for
    /// the stream's last block, all that is left of it).
    static func blockValue(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var b = Block()
        if let base = bytes.baseAddress { b.feed(base, bytes.count) }
        return b.value
    }

    /// The fingerprint of a stream of `byteCount` bytes from its blocks' values, in order.
    init(combining values: [UInt64], byteCount: Int) {
        for v in values { chain = Self.chained(chain, v) }
        self.byteCount = UInt64(byteCount)
    }

    public var hex: String {
        var s = chain
        if block.count > 0 { s = Self.chained(s, block.value) }
        s = (s ^ byteCount) &* 0xFF51_AFD7_ED55_8CCD
        s ^= s >> 33
        let h = String(s, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }
}
