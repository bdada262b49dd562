#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import CZstd
import Foundation

/// Inputs as every reader expects them: a regular file it can open, seek and
/// read more than once. A plain file is used where it is. Standard input (`-`),
/// a pipe, a FIFO or a character device, and any gzip or zstd file (recognised
/// by its magic bytes, whatever its name) are streamed once into a temporary
/// file (decompressed on the way), which is removed when the process ends.
/// Messages name the input as the user gave it (`displayText`).
///
/// Every input is also remembered by device and inode, so that an output that
/// is the same file as an input is refused before anything is written.
public enum Inputs {
    // Recursive: a conversion runs under it and reports progress, whose line names the input through `displayText`.
    private static let lock = NSRecursiveLock()
    nonisolated(unsafe) private static var resolved: [String: String] = [:]
    nonisolated(unsafe) private static var temporaries: [(path: String, display: String)] = []
    nonisolated(unsafe) private static var folder: String?
    nonisolated(unsafe) private static var identities: [(device: UInt64, inode: UInt64, name: String)] = []

    /// A decompressed input larger than this may expand without limit...
    nonisolated(unsafe) static var bombFloor = 256 << 20
    /// ...up to this many times its compressed size; beyond, it is refused as a decompression bomb.
    static let bombRatio = 1000

    /// The path to read `path` from.
    public static func resolve(_ path: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let done = resolved[path] { return done }
        let result = try resolveLocked(path)
        resolved[path] = result
        return result
    }

    private static func resolveLocked(_ path: String) throws -> String {
        if path == "-" {
            var st = stat()
            if fstat(0, &st) == 0 { remember(st, name: "standard input") }
            return try parquetIfSo(try spool(fd: 0, display: "standard input", base: "stdin.csv"), display: "standard input")
        }
        var st = stat()
        // A path that cannot be read is left to the reader, whose message says why.
        guard stat(path, &st) == 0 else { return path }
        remember(st, name: path)
        let kind = st.st_mode & S_IFMT
        let name = (path as NSString).lastPathComponent
        if kind == S_IFDIR {
            // A folder of Parquet part files (as Spark and DuckDB write) is one data set.
            let parts = ParquetReader.parts(of: path)
            guard !parts.isEmpty, parts.contains(where: isParquet) else { return path }
            for p in parts { var s = stat(); if stat(p, &s) == 0 { remember(s, name: p) } }
            return try convertParquet(parts.filter(isParquet), display: path, base: name + ".csv")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return path }
        defer { close(fd) }
        if kind == S_IFREG {
            if ParquetFile.isParquet(fd: fd) { return try convertParquet([path], display: path, base: name + ".csv") }
            var magic = [UInt8](repeating: 0, count: 4)
            let n = read(fd, &magic, 4)
            guard n >= 2, Compression(magic: Array(magic.prefix(max(0, n)))) != nil else { return path }
            lseek(fd, 0, SEEK_SET)
        }
        let copy = try spool(fd: fd, display: path, base: Compression.stripSuffix(name))
        return try parquetIfSo(copy, display: path)
    }

    private static func isParquet(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return ParquetFile.isParquet(fd: fd)
    }

    /// A spooled stream that turned out to be Parquet, as CSV.
    private static func parquetIfSo(_ copy: String, display: String) throws -> String {
        guard isParquet(copy) else { return copy }
        return try convertParquet([copy], display: display, base: (copy as NSString).lastPathComponent + ".csv")
    }

    /// Parquet files (parts of one data set) as one temporary CSV file.
    private static func convertParquet(_ paths: [String], display: String, base: String) throws -> String {
        let target = try temporaryFile(base: base, display: display)
        guard let out = fopen(target, "wb") else {
            throw PersonaError("\(display): cannot write a temporary copy in \(folder!) (\(String(cString: strerror(errno))))")
        }
        var ok = false
        defer { fclose(out); if !ok { unlink(target) } }
        try ParquetReader.convert(paths, display: display, to: out)
        if fflush(out) != 0 || ferror(out) != 0 {
            throw PersonaError("\(display): writing its temporary copy failed (\(String(cString: strerror(errno)))); set TMPDIR to a folder with more space")
        }
        ok = true
        return target
    }

    /// A new temporary file's path in this process's folder, registered for removal.
    private static func temporaryFile(base: String, display: String) throws -> String {
        if folder == nil {
            let template = (FileManager.default.temporaryDirectory.path as NSString).appendingPathComponent("persona-input-XXXXXX")
            var bytes = Array(template.utf8CString)
            guard let made = mkdtemp(&bytes) else {
                throw PersonaError("\(display): cannot make a temporary folder to read it into (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
            }
            folder = String(cString: made)
        }
        let name = base.isEmpty ? "input.csv" : base
        var target = folder! + "/" + name
        var suffix = 1
        while temporaries.contains(where: { $0.path == target }) { suffix += 1; target = folder! + "/\(suffix)-" + name }
        temporaries.append((target, display))
        return target
    }

    /// Records a file the command reads that is not data (a model file), so that
    /// no output of the command can overwrite it.
    public static func rememberInput(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        lock.lock(); defer { lock.unlock() }
        remember(st, name: path)
    }

    /// Lets a command replace a file it read (`persona label` rewrites its model in place).
    public static func forgetInput(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        lock.lock(); defer { lock.unlock() }
        identities.removeAll { $0.device == UInt64(st.st_dev) && $0.inode == UInt64(st.st_ino) }
    }

    /// Records an input's identity (device and inode).
    private static func remember(_ st: stat, name: String) {
        identities.append((UInt64(st.st_dev), UInt64(st.st_ino), name))
    }

    /// The input (by the name the user gave) that is the same file as `st`, if any.
    static func input(sameAs st: stat) -> String? {
        lock.lock(); defer { lock.unlock() }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else { return nil }     // a pipe or terminal may be shared harmlessly
        return identities.first { $0.device == UInt64(st.st_dev) && $0.inode == UInt64(st.st_ino) }?.name
    }

    /// A message with every temporary copy named as the user named the input.
    public static func displayText(_ message: String) -> String {
        lock.lock(); defer { lock.unlock() }
        var m = message
        for t in temporaries { m = m.replacingOccurrences(of: t.path, with: t.display) }
        return m
    }

    /// Removes the temporary copies and forgets the inputs (called at exit).
    public static func removeTemporaries() {
        lock.lock(); defer { lock.unlock() }
        for t in temporaries { unlink(t.path) }
        if let folder { rmdir(folder) }
        temporaries = []
        folder = nil
        resolved = [:]
        identities = []
    }

    /// Streams `fd` into a temporary file, decompressing gzip or zstd.
    private static func spool(fd: Int32, display: String, base: String) throws -> String {
        let target = try temporaryFile(base: base, display: display)
        guard let out = fopen(target, "wb") else {
            throw PersonaError("\(display): cannot write a temporary copy in \(folder!) (\(String(cString: strerror(errno))))")
        }
        var ok = false
        defer {
            fclose(out)
            if !ok { unlink(target) }
        }
        var sink = SpoolSink(file: out, display: display, folder: folder!)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var decoder: Decompressor? = nil
        var first = true
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PersonaError("\(display): reading failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 { break }
            let chunk = UnsafeBufferPointer(start: buffer.withUnsafeBufferPointer { $0.baseAddress }, count: n)
            if first {
                first = false
                if let c = Compression(magic: Array(chunk.prefix(4))) { decoder = try Decompressor(c, display: display) }
            }
            if let d = decoder {
                try d.feed(chunk, into: &sink)
            } else {
                try sink.write(chunk)
            }
        }
        try decoder?.finish()
        if fflush(out) != 0 || ferror(out) != 0 {
            throw PersonaError("\(display): writing its temporary copy failed (\(String(cString: strerror(errno)))); free some space in \(folder!) or set TMPDIR")
        }
        ok = true
        return target
    }
}

/// gzip or zstd, recognised by the first bytes of a stream.
enum Compression {
    case gzip, zstd

    init?(magic: [UInt8]) {
        if magic.count >= 2 && magic[0] == 0x1F && magic[1] == 0x8B { self = .gzip }
        else if magic.count >= 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F && magic[3] == 0xFD { self = .zstd }
        else { return nil }
    }

    /// The compression an output path asks for by its suffix.
    init?(suffixOf path: String) {
        let lower = path.lowercased()
        if lower.hasSuffix(".gz") || lower.hasSuffix(".gzip") { self = .gzip }
        else if lower.hasSuffix(".zst") || lower.hasSuffix(".zstd") { self = .zstd }
        else { return nil }
    }

    /// `base.csv.gz` -> `base.csv`.
    static func stripSuffix(_ name: String) -> String {
        for s in [".gz", ".gzip", ".zst", ".zstd"] where name.lowercased().hasSuffix(s) { return String(name.dropLast(s.count)) }
        return name
    }
}

/// Where decompressed bytes go: a temporary file, watched for runaway growth.
struct SpoolSink {
    let file: UnsafeMutablePointer<FILE>
    let display: String
    let folder: String
    var written = 0
    var compressedIn = 0
    var nextSpaceCheck = 256 << 20

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard bytes.count > 0 else { return }
        if fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count {
            throw PersonaError("\(display): writing its temporary copy failed (\(String(cString: strerror(errno)))); free some space in \(folder) or set TMPDIR")
        }
        written += bytes.count
        if compressedIn > 0 && written > Inputs.bombFloor && written / compressedIn > Inputs.bombRatio {
            throw PersonaError("\(display): expands more than \(Inputs.bombRatio)-fold when decompressed (\(compressedIn) bytes to over \(written)); refusing it as a likely decompression bomb. Decompress it yourself if it is genuine")
        }
        if written >= nextSpaceCheck {
            nextSpaceCheck = written + (256 << 20)
            var fs = statvfs()
            if statvfs(folder, &fs) == 0, UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < 256 << 20 {
                throw PersonaError("\(display): the temporary copy is filling the disk of \(folder) (\(written) bytes so far); set TMPDIR to a folder with more space")
            }
        }
    }
}

/// Streaming gzip (one or more members) or zstd (one or more frames) decoding.
/// A class, so the decoder's memory is freed however decoding ends.
final class Decompressor {
    let kind: Compression
    let display: String
    private var z: UnsafeMutablePointer<z_stream>?
    private var zstd: OpaquePointer?
    private var output = [UInt8](repeating: 0, count: 1 << 20)
    private var ended = true

    init(_ kind: Compression, display: String) throws {
        self.kind = kind
        self.display = display
        switch kind {
        case .gzip:
            z = .allocate(capacity: 1)
            z!.initialize(to: z_stream())
            // 15 + 32: a gzip or zlib header, detected automatically
            guard inflateInit2_(z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw PersonaError("\(display): cannot start gzip decompression")
            }
        case .zstd:
            zstd = ZSTD_createDStream()
            guard zstd != nil, ZSTD_isError(ZSTD_initDStream(zstd)) == 0 else { throw PersonaError("\(display): cannot start zstd decompression") }
        }
    }

    deinit {
        if let z { inflateEnd(z); z.deallocate() }
        if let zstd { ZSTD_freeDStream(zstd) }
    }

    func feed(_ input: UnsafeBufferPointer<UInt8>, into sink: inout SpoolSink) throws {
        sink.compressedIn += input.count
        switch kind {
        case .gzip: try feedGzip(input, &sink)
        case .zstd: try feedZstd(input, &sink)
        }
    }

    private func feedGzip(_ input: UnsafeBufferPointer<UInt8>, _ sink: inout SpoolSink) throws {
        guard let z else { return }
        z.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        z.pointee.avail_in = uInt(input.count)
        while z.pointee.avail_in > 0 {
            let produced: Int
            let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                z.pointee.next_out = out.baseAddress
                z.pointee.avail_out = uInt(out.count)
                return inflate(z, Z_NO_FLUSH)
            }
            produced = output.count - Int(z.pointee.avail_out)
            ended = false
            try output.withUnsafeBufferPointer { try sink.write(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                if status == Z_BUF_ERROR && produced == 0 { return }
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files, as `cat a.gz b.gz` makes).
                ended = true
                inflateReset(z)
            default:
                throw PersonaError("\(display): is not valid gzip data (\(z.pointee.msg.map { String(cString: $0) } ?? "error \(status)")); check the file, or decompress it yourself")
            }
        }
    }

    private func feedZstd(_ input: UnsafeBufferPointer<UInt8>, _ sink: inout SpoolSink) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuffer.pos < inBuffer.size {
            var produced = 0
            let code: Int = output.withUnsafeMutableBufferPointer { out in
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let r = ZSTD_decompressStream(zstd, &outBuffer, &inBuffer)
                produced = outBuffer.pos
                return r
            }
            if ZSTD_isError(code) != 0 {
                throw PersonaError("\(display): is not valid zstd data (\(String(cString: ZSTD_getErrorName(code)))); check the file, or decompress it yourself")
            }
            ended = code == 0
            try output.withUnsafeBufferPointer { try sink.write(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
        }
    }

    /// Checks that the stream ended where a member or frame ends (not truncated).
    func finish() throws {
        if !ended {
            throw PersonaError("\(display): the \(kind == .gzip ? "gzip" : "zstd") data ends early (the file is truncated); check the file")
        }
    }
}
