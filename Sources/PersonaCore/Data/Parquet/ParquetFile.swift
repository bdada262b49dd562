#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A Parquet file's footer: the flat schema and where each row group's column
/// chunks are. Nested schemas (structs, lists, maps) are refused, naming the column.
struct ParquetFile {
    enum Physical: Int64 { case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLenByteArray }

    /// How a column's stored values read as text.
    enum Meaning: Equatable {
        case plain
        case string
        case date                  // INT32 days since 1970-01-01
        case timestamp(Int64)      // INT64 in units per second (1e3, 1e6, 1e9)
        case decimal(Int)          // scale
    }

    struct Column {
        var name: String
        var physical: Physical
        var optional: Bool
        var meaning: Meaning
        var typeLength: Int
    }

    struct Chunk {
        var codec: Int64
        var start: Int
        var length: Int
        var values: Int64
    }

    struct RowGroup {
        var rows: Int
        var chunks: [Chunk]      // one per column, in schema order
    }

    let path: String
    let display: String
    let data: UnsafeRawBufferPointer        // the whole file, memory-mapped
    let columns: [Column]
    let rowGroups: [RowGroup]
    private let mapping: UnsafeMutableRawPointer?
    private let size: Int

    /// Footers larger than this are refused (real ones are kilobytes to a few megabytes).
    static let maxFooter = 256 << 20

    static func isParquet(fd: Int32) -> Bool {
        var magic = [UInt8](repeating: 0, count: 4)
        return pread(fd, &magic, 4, 0) == 4 && magic == Array("PAR1".utf8)
    }

    init(path: String, display: String) throws {
        self.path = path
        self.display = display
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PersonaError("\(display): cannot be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        size = Int(st.st_size)
        guard size >= 12 else { throw PersonaError("\(display): too short to be a Parquet file (\(size) bytes)") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw PersonaError("\(display): cannot be mapped into memory (\(String(cString: strerror(errno))))")
        }
        mapping = m
        data = UnsafeRawBufferPointer(start: m, count: size)
        let bytes = data.bindMemory(to: UInt8.self)
        guard Array(bytes[(size - 4)...]) == Array("PAR1".utf8), Array(bytes[0..<4]) == Array("PAR1".utf8) else {
            munmap(m, size)
            throw PersonaError("\(display): not a complete Parquet file (the PAR1 marker is missing at its end: truncated?)")
        }
        let footerLength = Int(bytes[size - 8]) | Int(bytes[size - 7]) << 8 | Int(bytes[size - 6]) << 16 | Int(bytes[size - 5]) << 24
        guard footerLength > 0, footerLength <= size - 12, footerLength <= Self.maxFooter else {
            munmap(m, size)
            throw PersonaError("\(display): the Parquet footer announces \(footerLength) bytes in a file of \(size); the file is damaged")
        }
        do {
            var reader = Thrift.Reader(UnsafeBufferPointer(rebasing: bytes[(size - 8 - footerLength)..<(size - 8)]))
            let meta = try reader.structure()
            (columns, rowGroups) = try Self.layout(meta, display: display, fileSize: size)
        } catch let e as Thrift.DecodeError {
            munmap(m, size)
            throw PersonaError("\(display): the Parquet footer is damaged (\(e.what))")
        } catch {
            munmap(m, size)
            throw error
        }
    }

    func unmap() { if let mapping { munmap(mapping, size) } }

    private static func layout(_ meta: Thrift.Value, display: String, fileSize: Int) throws -> ([Column], [RowGroup]) {
        guard let schema = meta[2]?.list, let root = schema.first else {
            throw PersonaError("\(display): the Parquet footer has no schema")
        }
        let children = Int(root[5]?.int ?? 0)
        guard children == schema.count - 1 else {
            // A child with children of its own: a struct, list or map.
            var name = "?"
            for e in schema.dropFirst() where (e[5]?.int ?? 0) > 0 { name = e[4]?.string ?? "?"; break }
            throw PersonaError("\(display): column \"\(name)\" is nested (a struct, list or map); Persona reads flat tables. Flatten it (for example SELECT s.a AS s_a) or leave it out")
        }
        var columns: [Column] = []
        for e in schema.dropFirst() {
            let name = e[4]?.string ?? "column\(columns.count + 1)"
            if (e[3]?.int ?? 0) == 2 {
                throw PersonaError("\(display): column \"\(name)\" is repeated (a list); Persona reads flat tables. Flatten it or leave it out")
            }
            guard let t = e[1]?.int, let physical = Physical(rawValue: t) else {
                throw PersonaError("\(display): column \"\(name)\" has no physical type the Parquet format defines")
            }
            var meaning = Meaning.plain
            let converted = e[6]?.int
            let logical = e[10]
            if converted == 0 || logical?[1] != nil || logical?[4] != nil || logical?[12] != nil { meaning = .string }
            if converted == 6 || logical?[6] != nil { meaning = .date }
            if converted == 9 { meaning = .timestamp(1_000) }
            if converted == 10 { meaning = .timestamp(1_000_000) }
            if let ts = logical?[8] {
                let unit = ts[2]
                meaning = .timestamp(unit?[1] != nil ? 1_000 : unit?[2] != nil ? 1_000_000 : 1_000_000_000)
            }
            if physical == .int96 { meaning = .timestamp(0) }
            if converted == 5 || logical?[5] != nil {
                let scale = Int(logical?[5]?[1]?.int ?? e[7]?.int ?? 0)
                guard physical == .int32 || physical == .int64 else {
                    throw PersonaError("\(display): column \"\(name)\" is a decimal stored as bytes, which this release does not read; cast it to DOUBLE")
                }
                meaning = .decimal(scale)
            }
            columns.append(Column(name: name, physical: physical, optional: (e[3]?.int ?? 1) == 1, meaning: meaning,
                                  typeLength: Int(e[2]?.int ?? 0)))
        }
        var groups: [RowGroup] = []
        for g in meta[4]?.list ?? [] {
            let chunks = g[1]?.list ?? []
            guard chunks.count == columns.count else {
                throw PersonaError("\(display): a row group has \(chunks.count) column chunks for \(columns.count) columns; the file is damaged")
            }
            var out: [Chunk] = []
            for (j, c) in chunks.enumerated() {
                if let other = c[1]?.string, !other.isEmpty {
                    throw PersonaError("\(display): column \"\(columns[j].name)\" is stored in another file (\(other)), which Persona does not follow")
                }
                guard let m = c[3], let codec = m[4]?.int, let values = m[5]?.int, let compressed = m[7]?.int,
                      let dataOffset = m[9]?.int else {
                    throw PersonaError("\(display): column \"\(columns[j].name)\" has incomplete metadata; the file is damaged")
                }
                let start = Int(min(dataOffset, m[11]?.int.flatMap { $0 > 0 ? $0 : nil } ?? dataOffset))
                let length = Int(compressed)
                guard start >= 4, length >= 0, start + length <= fileSize - 8 else {
                    throw PersonaError("\(display): column \"\(columns[j].name)\" points outside the file; the file is damaged or truncated")
                }
                out.append(Chunk(codec: codec, start: start, length: length, values: values))
            }
            let rows = Int(g[3]?.int ?? 0)
            guard rows >= 0 else { throw PersonaError("\(display): a row group has a negative row count; the file is damaged") }
            groups.append(RowGroup(rows: rows, chunks: out))
        }
        return (columns, groups)
    }
}
