import CPersonaKernels

/// SHA-256 (FIPS 180-4), used for the model file's checksums. Whole 64-byte
/// blocks are compressed straight from the caller's bytes: by the processor's
/// SHA instructions where it has them (several times faster), else here, with
/// the message schedule in one scratch buffer. A recommender's model file is
/// tens of megabytes, hashed once when written and once when read.
public struct SHA256 {
    /// Whether blocks go to the SHA instructions; tests turn it off to check the portable code.
    static var usesHardware = persona_sha256_hardware() != 0

    /// The round constants, from the C kernels (one table for both ways).
    private static let k = withUnsafeBytes(of: persona_sha256_k) { Array($0.bindMemory(to: UInt32.self)) }
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    /// Bytes waiting for a whole block (fewer than 64).
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() { pending.reserveCapacity(64) }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// Compresses `blocks` whole 64-byte blocks starting at `p`.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        guard blocks > 0 else { return }
        if Self.usesHardware {
            h.withUnsafeMutableBufferPointer { persona_sha256_blocks($0.baseAddress!, p.assumingMemoryBound(to: UInt8.self), blocks) }
            return
        }
        Self.k.withUnsafeBufferPointer { kp in
        h.withUnsafeMutableBufferPointer { hp in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            let k = kp.baseAddress!, h = hp.baseAddress!, w = w.baseAddress!
            for block in 0..<blocks {
                let b = p + 64 * block
                for i in 0..<16 { w[i] = UInt32(bigEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                for i in 16..<64 {
                    let s0 = Self.rotr(w[i - 15], 7) ^ Self.rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                    let s1 = Self.rotr(w[i - 2], 17) ^ Self.rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                    w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                }
                var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
                for i in 0..<64 {
                    let s1 = Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)
                    let maj = (a & bb) ^ (a & c) ^ (bb & c)
                    let t2 = s0 &+ maj
                    hh = g; g = f; f = e; e = d &+ t1; d = c; c = bb; bb = a; a = t1 &+ t2
                }
                h[0] &+= a; h[1] &+= bb; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
            }
        }
        }
        }
    }

    /// Adds bytes in memory: tops up the pending block, compresses whole blocks in place, keeps the rest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        length &+= UInt64(n)
        if !pending.isEmpty {
            let take = min(64 - pending.count, n)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: p, count: take))
            p += take; n -= take
            if pending.count < 64 { return }
            pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        compress(p, blocks: n / 64)
        pending.append(contentsOf: UnsafeRawBufferPointer(start: p + (n / 64) * 64, count: n % 64))
    }

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        tail.withUnsafeBytes { compress($0.baseAddress!, blocks: $0.count / 64) }
        pending.removeAll()
        var out: [UInt8] = []
        for v in h { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        return out
    }

    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = SHA256()
        s.update(bytes)
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: s.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
