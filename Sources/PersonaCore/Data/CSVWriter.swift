#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import CZstd
import Foundation

/// A file written under a temporary name beside its destination and renamed into
/// place by `commit()`. Until then the destination is untouched, so a failed run
/// never leaves half an output behind. Dropping it without committing deletes
/// the temporary file.
///
/// Only regular files are replaced: a symbolic link is followed and its target
/// replaced (the link stays); `-` is standard output, and a pipe, a FIFO or a
/// character device (`/dev/stdout`, `/dev/null`) is written into directly, as
/// a stream. An output that is the same file as an input of the command is
/// refused before anything is written. A path ending in `.gz` or `.zst` is
/// compressed (gzip, zstd). Missing folders of the path are created, and removed
/// again when the output is abandoned. Nothing else is created, renamed or removed.
public final class AtomicOutput {
    public let path: String
    public let temporaryPath: String
    /// True when the output is a stream (standard output, a pipe, a device): written directly, never renamed.
    public let isStream: Bool
    /// Where the finished file goes (a symbolic link's target).
    private let destination: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var buffer: [UInt8] = []
    private var done = false
    private var compressor: Compressor?
    /// The CSV written so far becomes Parquet at commit (the path ends in `.parquet`).
    private var parquet = false

    /// Temporary files being written, removed by `removeTemporaries()` if the
    /// process is interrupted before they are committed.
    nonisolated(unsafe) private static var pending = Set<String>()
    private static let pendingLock = NSLock()
    /// Folders created for outputs not yet committed (removed with them when empty).
    nonisolated(unsafe) private static var pendingFolders: [String] = []
    /// The folders this output created for itself (removed again if it is abandoned).
    private var createdFolders: [String] = []

    /// Removes every uncommitted temporary file (on Ctrl-C or termination).
    public static func removeTemporaries() {
        pendingLock.lock(); defer { pendingLock.unlock() }
        for p in pending { unlink(p) }
        pending = []
        for folder in pendingFolders.reversed() { rmdir(folder) }
        pendingFolders = []
    }

    private static func track(_ path: String, _ add: Bool) {
        pendingLock.lock(); defer { pendingLock.unlock() }
        if add { pending.insert(path) } else { pending.remove(path) }
    }

    /// True when `path` names standard output.
    public static func isStandardOutput(_ path: String) -> Bool { path == "-" }

    public init(path: String) throws {
        self.path = path
        if path == "-" {
            guard let h = fdopen(dup(1), "wb") else { throw PersonaError("standard output cannot be written (\(String(cString: strerror(errno))))") }
            handle = h; isStream = true; temporaryPath = ""; destination = path
            buffer.reserveCapacity(1 << 20)
            return
        }
        var target = path
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
            // Follow the link (through any chain) to the file it names; replace that file.
            guard let real = realpath(path, nil) else {
                throw PersonaError("\(path): is a symbolic link to a folder that does not exist. Fix the link or write elsewhere")
            }
            target = String(cString: real)
            free(real)
        }
        if stat(target, &st) == 0 {
            if let input = Inputs.input(sameAs: st) {
                throw PersonaError("\(path): is also an input of this command (\(input)); writing it would destroy the input. Write the output to another file")
            }
            let kind = st.st_mode & S_IFMT
            if kind == S_IFDIR { throw PersonaError("\(path): is a folder; name a file to write") }
            if kind == S_IFIFO || kind == S_IFCHR || kind == S_IFSOCK {
                if path.lowercased().hasSuffix(".parquet") {
                    throw PersonaError("\(path): Parquet is written whole, at the end, so it needs a regular file; write CSV to a stream")
                }
                guard let h = fopen(target, "wb") else {
                    throw PersonaError("\(path): cannot be written (\(String(cString: strerror(errno))))")
                }
                handle = h; isStream = true; temporaryPath = ""; destination = target
                compressor = Compression(suffixOf: path).map { Compressor($0) }
                buffer.reserveCapacity(1 << 20)
                return
            }
        }
        isStream = false
        destination = target
        let slash = target.lastIndex(of: "/")
        let dir = slash.map { String(target[..<$0]) } ?? "."
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        if base.isEmpty { throw PersonaError("\(path): the output path names a directory, not a file") }
        createdFolders = dir.isEmpty ? [] : try Self.makeFolders(dir, for: path)
        temporaryPath = (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())"
        guard let h = fopen(temporaryPath, "wb") else {
            let why = String(cString: strerror(errno))
            Self.removeFolders(createdFolders)
            throw PersonaError("\(path): cannot write here (\(why))")
        }
        handle = h
        Self.track(temporaryPath, true)
        parquet = path.lowercased().hasSuffix(".parquet")
        compressor = parquet ? nil : Compression(suffixOf: path).map { Compressor($0) }
        buffer.reserveCapacity(1 << 20)
    }

    /// An output that only collects bytes in memory (`takeBytes()`), for rows
    /// formatted on one thread and written in order by another.
    public init(memory: ()) {
        path = ""
        temporaryPath = ""
        destination = ""
        isStream = false
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

    private func flushBuffer(final: Bool = false) {
        guard let handle else { return }
        if compressor != nil {
            buffer.withUnsafeBufferPointer { compressor!.compress($0, final: final, to: handle) }
        } else if !buffer.isEmpty {
            _ = buffer.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, handle) }
        }
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

    /// Flushes, syncs and renames the temporary file to the destination (a
    /// stream is flushed and closed).
    public func commit() throws {
        guard let h = handle, !done else { return }
        flushBuffer(final: true)
        let failed = fflush(h) != 0 || ferror(h) != 0 || compressor?.failed == true
        if isStream {
            fclose(h); handle = nil; done = true
            if failed { throw PersonaError("\(path): writing failed (\(String(cString: strerror(errno))))") }
            return
        }
        fsync(fileno(h))
        fclose(h)
        handle = nil
        defer { Self.track(temporaryPath, false) }
        // The folders made for this output stay if it lands, and go if it does not.
        var landed = false
        defer {
            if landed { Self.keepFolders(createdFolders) } else { Self.removeFolders(createdFolders) }
        }
        if failed {
            unlink(temporaryPath); done = true
            throw PersonaError("\(path): writing failed (\(String(cString: strerror(errno)))); nothing was written")
        }
        var finished = temporaryPath
        if parquet {
            // The CSV just written, as Parquet, in a second temporary file beside it.
            finished = temporaryPath + ".parquet"
            Self.track(finished, true)
            defer { Self.track(finished, false); unlink(temporaryPath) }
            guard let out = fopen(finished, "wb") else {
                done = true
                throw PersonaError("\(path): cannot write here (\(String(cString: strerror(errno))))")
            }
            do {
                defer { fclose(out) }
                try ParquetWriter.convert(csv: temporaryPath, to: out, display: path)
                if fflush(out) != 0 || ferror(out) != 0 {
                    throw PersonaError("\(path): writing failed (\(String(cString: strerror(errno)))); nothing was written")
                }
                fsync(fileno(out))
            } catch {
                unlink(finished); done = true
                throw error
            }
        }
        if rename(finished, destination) != 0 {
            let why = String(cString: strerror(errno))
            unlink(finished); done = true
            throw PersonaError("\(path): could not move the finished file into place (\(why))")
        }
        landed = true
        done = true
    }

    /// Deletes the temporary file; the destination is left as it was.
    public func abandon() {
        if isStream {
            // A stream cannot be taken back; what was written stays written.
            if let h = handle { fflush(h); fclose(h); handle = nil }
            done = true
            return
        }
        if let h = handle { fclose(h); handle = nil }
        if !done && !temporaryPath.isEmpty {
            unlink(temporaryPath); Self.track(temporaryPath, false)
            Self.removeFolders(createdFolders)
        }
        done = true
    }

    /// Checks, before any work, that `path` can be written: every existing part
    /// of its folder is a folder, and the path itself is not one. Creates nothing.
    public static func check(_ path: String) throws {
        if path == "-" { return }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw PersonaError("\(path): is a folder; name a file to write") }
        if path.hasSuffix("/") { throw PersonaError("\(path): the output path names a directory, not a file") }
        var dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        while !dir.isEmpty {
            if stat(dir, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR { throw PersonaError("\(path): \(dir) is a file, not a folder. Write elsewhere") }
                if access(dir, W_OK) != 0 { throw PersonaError("\(path): the folder \(dir) cannot be written (\(String(cString: strerror(errno))))") }
                return
            }
            dir = dir.lastIndex(of: "/").map { String(dir[..<$0]) } ?? ""
        }
    }

    /// Creates the missing folders of `dir` (as `mkdir -p`), returning those it
    /// made, deepest last, so that a failed run can remove them again.
    private static func makeFolders(_ dir: String, for path: String) throws -> [String] {
        var missing: [String] = []
        var d = dir
        var st = stat()
        while !d.isEmpty {
            if stat(d, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR { throw PersonaError("\(path): \(d) is a file, not a folder. Write elsewhere") }
                break
            }
            missing.append(d)
            d = d.lastIndex(of: "/").map { String(d[..<$0]) } ?? ""
        }
        var made: [String] = []
        for folder in missing.reversed() {
            if mkdir(folder, 0o777) != 0 && errno != EEXIST {
                let why = String(cString: strerror(errno))
                removeFolders(made)
                throw PersonaError("\(path): the folder \(folder) cannot be created (\(why))")
            }
            made.append(folder)
        }
        if !made.isEmpty {
            pendingLock.lock(); pendingFolders.append(contentsOf: made); pendingLock.unlock()
        }
        return made
    }

    private static func keepFolders(_ folders: [String]) {
        pendingLock.lock(); pendingFolders.removeAll { folders.contains($0) }; pendingLock.unlock()
    }

    /// Removes folders this run created, deepest first, where they are still empty.
    private static func removeFolders(_ folders: [String]) {
        for folder in folders.reversed() { rmdir(folder) }
        pendingLock.lock(); pendingFolders.removeAll { folders.contains($0) }; pendingLock.unlock()
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

/// Streaming gzip or zstd compression of an output. A class, so the encoder's
/// memory is freed however writing ends.
final class Compressor {
    let kind: Compression
    private var z: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private var out = [UInt8](repeating: 0, count: 1 << 18)
    private(set) var failed = false

    init(_ kind: Compression) {
        self.kind = kind
        switch kind {
        case .gzip:
            z = .allocate(capacity: 1)
            z!.initialize(to: z_stream())
            // 15 + 16: a gzip header and trailer; level 6, as gzip's default
            if deflateInit2_(z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) != Z_OK { failed = true }
        case .zstd:
            zstd = ZSTD_createCStream()
            if zstd == nil || ZSTD_isError(ZSTD_initCStream(zstd, 3)) != 0 { failed = true }
        }
    }

    deinit {
        if let z { deflateEnd(z); z.deallocate() }
        if let zstd { ZSTD_freeCStream(zstd) }
    }

    func compress(_ input: UnsafeBufferPointer<UInt8>, final: Bool, to file: UnsafeMutablePointer<FILE>) {
        if failed { return }
        switch kind {
        case .gzip:
            guard let z else { return }
            z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            z.pointee.avail_in = uInt(input.count)
            while true {
                var produced = 0
                let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                    z.pointee.next_out = o.baseAddress
                    z.pointee.avail_out = uInt(o.count)
                    let s = deflate(z, final ? Z_FINISH : Z_NO_FLUSH)
                    produced = o.count - Int(z.pointee.avail_out)
                    return s
                }
                if produced > 0 { out.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, produced, file) } }
                if status == Z_STREAM_END { deflateEnd(z); z.deallocate(); self.z = nil; return }
                if status != Z_OK && status != Z_BUF_ERROR { failed = true; return }
                if !final && z.pointee.avail_in == 0 && z.pointee.avail_out > 0 { return }
            }
        case .zstd:
            guard let zstd else { return }
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            while true {
                var produced = 0
                let remaining: Int = out.withUnsafeMutableBufferPointer { o in
                    var outBuffer = ZSTD_outBuffer(dst: o.baseAddress, size: o.count, pos: 0)
                    let r = ZSTD_compressStream2(zstd, &outBuffer, &inBuffer, final ? ZSTD_e_end : ZSTD_e_continue)
                    produced = outBuffer.pos
                    return r
                }
                if ZSTD_isError(remaining) != 0 { failed = true; return }
                if produced > 0 { out.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, produced, file) } }
                if final ? remaining == 0 : inBuffer.pos == inBuffer.size {
                    if final { ZSTD_freeCStream(zstd); self.zstd = nil }
                    return
                }
            }
        }
    }
}
