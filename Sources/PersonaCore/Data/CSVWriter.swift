#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name beside its destination and renamed into
/// place by `commit()`. Until then the destination is untouched, so a failed run
/// never leaves half an output behind. Dropping it without committing deletes
/// the temporary file.
public final class AtomicOutput {
    public let path: String
    public let temporaryPath: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var buffer: [UInt8] = []
    private var done = false

    public init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if base.isEmpty { throw PersonaError("\(path): the output path names a directory, not a file") }
        var st = stat()
        if !dir.isEmpty, stat(dir, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
            throw PersonaError("\(path): the folder \(dir) does not exist. Create it first")
        }
        temporaryPath = (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())"
        guard let h = fopen(temporaryPath, "wb") else {
            throw PersonaError("\(path): cannot write here (\(String(cString: strerror(errno))))")
        }
        handle = h
        buffer.reserveCapacity(1 << 20)
    }

    /// An output that only collects bytes in memory (`takeBytes()`), for rows
    /// formatted on one thread and written in order by another.
    public init(memory: ()) {
        path = ""
        temporaryPath = ""
        handle = nil
        inMemory = true
        buffer.reserveCapacity(1 << 16)
    }
    private var inMemory = false

    /// The bytes collected by a memory output, which starts empty again.
    public func takeBytes() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }

    deinit { if !done && !inMemory { abandon() } }

    @inline(__always) public func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 && !inMemory { flushBuffer() }
    }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { write($0) }
    }

    public func write(bytes: [UInt8]) { bytes.withUnsafeBufferPointer { write($0) } }

    @inline(__always) public func writeByte(_ b: UInt8) {
        buffer.append(b)
        if buffer.count >= 1 << 20 && !inMemory { flushBuffer() }
    }

    private func flushBuffer() {
        guard let handle, !buffer.isEmpty else { return }
        _ = buffer.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, handle) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes a whole file at once, atomically.
    public static func write(bytes: [UInt8], to path: String) throws {
        let out = try AtomicOutput(path: path)
        out.write(bytes: bytes)
        try out.commit()
    }

    public static func write(_ text: String, to path: String) throws {
        try write(bytes: Array(text.utf8), to: path)
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    public func commit() throws {
        guard let h = handle, !done else { return }
        flushBuffer()
        let failed = fflush(h) != 0 || ferror(h) != 0
        fsync(fileno(h))
        fclose(h)
        handle = nil
        if failed {
            unlink(temporaryPath); done = true
            throw PersonaError("\(path): writing failed (\(String(cString: strerror(errno)))); nothing was written")
        }
        if rename(temporaryPath, path) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temporaryPath); done = true
            throw PersonaError("\(path): could not move the finished file into place (\(why))")
        }
        done = true
    }

    /// Deletes the temporary file; the destination is left as it was.
    public func abandon() {
        if let h = handle { fclose(h); handle = nil }
        if !done { unlink(temporaryPath) }
        done = true
    }
}

/// Writes CSV records (RFC 4180 quoting: a field holding the delimiter, a quote
/// or a line break is quoted, and quotes are doubled) to an `AtomicOutput`.
public final class CSVWriter {
    public let output: AtomicOutput
    public let delimiter: UInt8
    private var firstInRow = true
    private var scratch = [UInt8](repeating: 0, count: 64)

    public init(path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        output = try AtomicOutput(path: path)
        self.delimiter = delimiter
    }

    /// A writer that collects its rows in memory (see `AtomicOutput.takeBytes`).
    public init(memoryDelimiter delimiter: UInt8) {
        output = AtomicOutput(memory: ())
        self.delimiter = delimiter
    }

    public var path: String { output.path }

    @inline(__always) private func separator() {
        if !firstInRow { output.writeByte(delimiter) }
        firstInRow = false
    }

    public func field(_ s: String) {
        separator()
        var s = s
        s.withUTF8 { writeEscaped($0) }
    }

    /// Copies field i of a record read from a CSV file, quoting it again if needed.
    public func field(record: CSVRecord, _ i: Int) {
        separator()
        record.withField(i) { writeEscaped($0) }
    }

    /// Quotes a field holding the delimiter, a quote or a line break, doubling its quotes.
    private func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var needsQuotes = false
        for b in bytes where b == delimiter || b == 34 || b == 10 || b == 13 { needsQuotes = true; break }
        if !needsQuotes { output.write(bytes); return }
        output.writeByte(34)
        for b in bytes { if b == 34 { output.writeByte(34) }; output.writeByte(b) }
        output.writeByte(34)
    }

    public func field(_ v: Int) {
        separator()
        var x = v.magnitude
        var n = 0
        repeat { scratch[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
        if v < 0 { output.writeByte(45) }
        while n > 0 { n -= 1; output.writeByte(scratch[n]) }
    }

    /// Writes a number with a fixed count of decimals (trailing zeros trimmed).
    /// Fast, and exact enough for generated data and reports; for values that
    /// must round-trip use `field(shortest:)`.
    public func field(_ v: Double, decimals: Int) {
        guard v.isFinite else { separator(); return }
        let scale = pow(10.0, Double(decimals))
        let scaled = (abs(v) * scale).rounded()
        if scaled >= 9.0e15 { field(shortest: v); return }
        separator()
        var q = UInt64(scaled)
        if v < 0 && q != 0 { output.writeByte(45) }
        var n = 0
        var fractionDigits = decimals
        // drop trailing zeros of the fraction
        while fractionDigits > 0 && q % 10 == 0 { q /= 10; fractionDigits -= 1 }
        var written = 0
        repeat {
            if written == fractionDigits && fractionDigits > 0 { scratch[n] = 46; n += 1 }
            scratch[n] = UInt8(48 + q % 10); q /= 10; n += 1; written += 1
        } while q > 0 || written <= fractionDigits
        while n > 0 { n -= 1; output.writeByte(scratch[n]) }
    }

    /// Writes the shortest decimal that reads back as exactly `v` (empty for NaN).
    public func field(shortest v: Double) {
        if !v.isFinite { separator(); return }
        field(v.description)
    }

    public func field(shortest v: Float) {
        if !v.isFinite { separator(); return }
        field(v.description)
    }

    /// Writes an identifier such as C0000042: a prefix and a zero-padded number.
    public func field(prefix: [UInt8], number: Int, width: Int) {
        separator()
        for b in prefix { output.writeByte(b) }
        var x = number
        var n = 0
        repeat { scratch[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
        for _ in n..<max(n, width) { output.writeByte(48) }
        while n > 0 { n -= 1; output.writeByte(scratch[n]) }
    }

    public func missing() { separator() }

    public func endRow() {
        output.writeByte(10)
        firstInRow = true
    }

    public func row(_ fields: [String]) {
        for f in fields { field(f) }
        endRow()
    }

    public func commit() throws { try output.commit() }
    public func abandon() { output.abandon() }
}
