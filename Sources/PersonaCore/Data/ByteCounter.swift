#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts occurrences of distinct byte strings (CSV field values) without
/// building a String per field: an open-addressing table keyed by a 64-bit hash
/// of the bytes, with each distinct value stored once in an arena. Strings are
/// made only for the distinct values, when asked for.
struct ByteCounter {
    private var slots: [Int32]            // index into entries, -1 when empty
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var ends: [Int] = []
    private(set) var counts: [Int] = []
    private var arena: [UInt8] = []
    private var mask: Int
    /// While the table holds at most `packedLimit` values of at most 15 bytes
    /// each (a category's levels, a yes/no column, months, ages, states), each
    /// value is also kept packed into two words, in the entries' order, and a
    /// small table of its own finds them by a hash of the two words: a lookup
    /// compares words instead of hashing bytes and visiting the arena. Dropped
    /// for good once a value does not fit, so a table of millions of ids pays
    /// nothing for it.
    private var packedFirst: [UInt64] = [], packedSecond: [UInt64] = []
    /// Entry + 1, 0 when empty: 16 slots at the first value, doubled to keep
    /// them at most a quarter full (1,024 at the limit), so that a wide file's
    /// many small columns hold small tables.
    private var packedSlots: [UInt16] = []
    private var packedShift: UInt64 = 60     // 64 - log2(slots)
    private var packed = true
    static let packedLimit = 256

    init() {
        slots = [Int32](repeating: -1, count: 64)
        mask = 63
    }

    var distinct: Int { counts.count }

    /// A 64-bit hash of the bytes. Short values (most category levels) are read
    /// in at most two overlapping loads instead of byte by byte.
    @inline(__always) static func hash(_ f: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(f.count)
        let n = f.count
        if let base = f.baseAddress, n > 0 {
            let raw = UnsafeRawPointer(base)
            if n >= 8 {
                var i = 0
                while i + 8 <= n {
                    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01B3
                    h ^= h >> 32
                    i += 8
                }
                if i < n {
                    h = (h ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) &* 0x100_0000_01B3
                    h ^= h >> 32
                }
            } else {
                let word: UInt64
                if n >= 4 {
                    word = UInt64(raw.loadUnaligned(as: UInt32.self))
                        | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
                } else {
                    word = UInt64(base[0]) | UInt64(base[n / 2]) << 8 | UInt64(base[n - 1]) << 16
                }
                h = (h ^ word) &* 0x100_0000_01B3
            }
        }
        h ^= h >> 29; h = h &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 32
        return h
    }

    /// Up to 15 bytes in two words: bytes 0-7 in the first, the rest in the
    /// second's low bytes and the length in its top byte (no byte read twice
    /// into different places, none read outside the value).
    @inline(__always) static func packed(_ f: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let n = f.count
        guard n > 0, let base = f.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(base)
        var first: UInt64 = 0, second: UInt64 = 0
        if n >= 8 {
            first = raw.loadUnaligned(as: UInt64.self)
            if n > 8 { second = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (16 - n)) }
        } else if n >= 4 {
            first = UInt64(raw.loadUnaligned(as: UInt32.self))
                | UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << UInt64(8 * (n - 4))
        } else {
            first = UInt64(base[0]) | UInt64(base[n / 2]) << UInt64(8 * (n / 2)) | UInt64(base[n - 1]) << UInt64(8 * (n - 1))
        }
        return (first, second | UInt64(n) << 56)
    }

    /// The packed table's slot for a value's two words.
    @inline(__always) private static func packedSlot(_ first: UInt64, _ second: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: ((first ^ (second &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9) >> shift)
    }

    /// The entry of a packed value, or the free slot where it would go.
    @inline(__always) private func findPacked(_ first: UInt64, _ second: UInt64) -> (entry: Int?, slot: Int) {
        packedSlots.withUnsafeBufferPointer { slots in
            packedFirst.withUnsafeBufferPointer { a in
                packedSecond.withUnsafeBufferPointer { b in
                    var s = Self.packedSlot(first, second, shift: packedShift)
                    let mask = slots.count - 1
                    while true {
                        let e = Int(slots[s]) - 1
                        if e < 0 { return (nil, s) }
                        if a[e] == first && b[e] == second { return (e, s) }
                        s = (s + 1) & mask
                    }
                }
            }
        }
    }

    /// Counts one occurrence and returns the value's index (stable, in order of first appearance).
    @discardableResult
    mutating func add(_ f: UnsafeBufferPointer<UInt8>, count: Int = 1) -> Int {
        if packed && f.count <= 15 {
            let (first, second) = Self.packed(f)
            if packedSlots.isEmpty { packedSlots = [UInt16](repeating: 0, count: 16) }
            var (found, slot) = findPacked(first, second)
            if let e = found { counts[e] += count; return e }
            if counts.count < Self.packedLimit {
                if (counts.count + 1) * 4 > packedSlots.count {
                    growPacked()
                    slot = findPacked(first, second).slot
                }
                packedSlots[slot] = UInt16(counts.count + 1)
                packedFirst.append(first); packedSecond.append(second)
                return insert(f, hash: Self.hash(f), count: count)
            }
        }
        if packed { packed = false; packedFirst = []; packedSecond = []; packedSlots = [] }
        let h = Self.hash(f)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if hashes[e] == h && equal(e, f) { counts[e] += count; return e }
            s = (s + 1) & mask
        }
        return insert(f, hash: h, count: count)
    }

    /// Doubles the packed table's slots and places its entries again.
    private mutating func growPacked() {
        packedSlots = [UInt16](repeating: 0, count: packedSlots.count * 2)
        packedShift -= 1
        let mask = packedSlots.count - 1
        for e in packedFirst.indices {
            var s = Self.packedSlot(packedFirst[e], packedSecond[e], shift: packedShift)
            while packedSlots[s] != 0 { s = (s + 1) & mask }
            packedSlots[s] = UInt16(e + 1)
        }
    }

    /// Stores a new value (not yet in the table) and returns its index.
    private mutating func insert(_ f: UnsafeBufferPointer<UInt8>, hash h: UInt64, count: Int) -> Int {
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        let index = counts.count
        slots[s] = Int32(index)
        hashes.append(h)
        starts.append(arena.count)
        arena.append(contentsOf: f)
        ends.append(arena.count)
        counts.append(count)
        if counts.count * 2 > slots.count { grow() }
        return index
    }

    /// The index of a value already counted, without counting it again.
    func find(_ f: UnsafeBufferPointer<UInt8>) -> Int? {
        if packed && f.count <= 15 {
            if packedSlots.isEmpty { return nil }
            let (first, second) = Self.packed(f)
            return findPacked(first, second).entry
        }
        let h = Self.hash(f)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { return nil }
            if hashes[e] == h && equal(e, f) { return e }
            s = (s + 1) & mask
        }
    }

    @inline(__always) private func equal(_ e: Int, _ f: UnsafeBufferPointer<UInt8>) -> Bool {
        let len = ends[e] - starts[e]
        if len != f.count { return false }
        if len == 0 { return true }
        let s = starts[e]
        return arena.withUnsafeBufferPointer { Self.same(UnsafeRawPointer($0.baseAddress! + s), UnsafeRawPointer(f.baseAddress!), len) }
    }

    /// Whether `n` (at least 1) bytes at `a` and `b` are equal, in word loads
    /// (short values are the common case; a call to memcmp costs more).
    @inline(__always) static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
                i += 8
            }
            return i == n || a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        let p = a.assumingMemoryBound(to: UInt8.self), q = b.assumingMemoryBound(to: UInt8.self)
        return p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for e in 0..<counts.count {
            var s = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
    }

    func withValue<R>(_ e: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[starts[e]..<ends[e]])) }
    }

    func value(_ e: Int) -> String {
        arena.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[starts[e]..<ends[e]]), as: UTF8.self) }
    }

    /// Distinct values with their counts, most frequent first, ties by value.
    func top(_ n: Int) -> [(String, Int)] {
        if n <= 0 { return [] }
        let order = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : value($0) < value($1) }
        return order.prefix(n).map { (value($0), counts[$0]) }
    }

    /// The first `n` distinct values in order of first appearance.
    func firstSeen(_ n: Int) -> [(String, Int)] { (0..<min(n, counts.count)).map { (value($0), counts[$0]) } }
}
