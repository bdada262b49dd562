#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// A run of whole records cut from the input, and the line it starts on.
struct Block {
    var bytes: [UInt8]
    var firstLine: Int
}

/// Cuts a CSV file, from the first data row on, into blocks of whole records.
/// A block ends after a line break outside quotes, so quoted fields with line
/// breaks stay whole; the line each block starts on is counted the way
/// `CSVReader` counts lines, so errors name the right line.
final class BlockSource {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var pending: [UInt8] = []
    private var line: Int
    private var atEOF = false
    private var quoteLine = 0
    /// A record longer than this is taken for an unclosed quote.
    static let maxRecordBytes = 64 << 20

    init(path: String, offset: Int, firstLine: Int) throws {
        self.path = path
        guard let f = fopen(path, "rb") else {
            throw PersonaError("\(path): cannot be opened (\(String(cString: strerror(errno))))")
        }
        file = f
        fseeko(f, off_t(offset), SEEK_SET)
        line = firstLine
    }

    deinit { fclose(file) }

    func next() throws -> Block? {
        while true {
            if !atEOF {
                let want = BatchScorer.blockBytes
                let old = pending.count
                pending.reserveCapacity(old + want)
                pending.append(contentsOf: repeatElement(0, count: want))
                let n = pending.withUnsafeMutableBytes { fread($0.baseAddress! + old, 1, want, file) }
                pending.removeLast(want - n)
                if n < want { atEOF = true }
            }
            if pending.isEmpty { return nil }
            if atEOF {
                let block = Block(bytes: pending, firstLine: line)
                ReadProgress.shared.add(path: path, bytes: pending.count, lines: pending.reduce(0) { $0 + ($1 == 10 ? 1 : 0) })
                pending = []
                return block
            }
            if let (cut, lines) = boundary() {
                let block = Block(bytes: Array(pending[0..<cut]), firstLine: line)
                ReadProgress.shared.add(path: path, bytes: cut, lines: lines)
                pending.removeFirst(cut)
                line += lines
                return block
            }
            if pending.count > Self.maxRecordBytes {
                throw PersonaError.data(file: path, line: quoteLine > 0 ? quoteLine : line,
                                        "a record runs on for more than \(Self.maxRecordBytes >> 20) MB: a quoted field is most likely never closed",
                                        fix: "Close the quote with \" and write a quote inside a quoted field as \"\"")
            }
        }
    }

    /// The end of the last whole record in `pending` (just after its line
    /// break) and the lines up to there, or nil when no record ends in it.
    private func boundary() -> (Int, Int)? {
        pending.withUnsafeBufferPointer { p -> (Int, Int)? in
            let n = p.count
            let base = p.baseAddress!
            let hasQuote = memchr(base, 34, n) != nil
            let hasCR = memchr(base, 13, n) != nil
            if !hasQuote && !hasCR {
                var last = n - 1
                while last >= 0 && p[last] != 10 { last -= 1 }
                if last < 0 { return nil }
                let cut = last + 1
                // Line feeds counted by pointer, with no index to check on each
                // byte, so that the loop vectorises in a checked release build
                // (counted by index, this pass took twice as long).
                var lines = 0
                var q = base
                let end = base + cut
                while q < end { lines &+= q.pointee == 10 ? 1 : 0; q += 1 }
                return (cut, lines)
            }
            // The general case: follow quotes; count line feeds everywhere and
            // lone carriage returns outside quotes, as the reader does.
            var inQuote = false
            var lines = 0
            var cut = -1, linesAtCut = 0
            var i = 0
            while i < n {
                let b = p[i]
                if b == 34 {
                    inQuote.toggle()
                    if inQuote { quoteLine = line + lines }
                } else if b == 10 {
                    lines += 1
                    if !inQuote { cut = i + 1; linesAtCut = lines }
                } else if b == 13 && !inQuote {
                    if i + 1 == n { break }                        // CR LF may be split across reads
                    if p[i + 1] != 10 { lines += 1; cut = i + 1; linesAtCut = lines }
                }
                i += 1
            }
            if !inQuote { quoteLine = 0 }
            return cut > 0 ? (cut, linesAtCut) : nil
        }
    }
}
