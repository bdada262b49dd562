#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a CSV file is written: its field delimiter and whether its numbers use a
/// decimal comma (`59,39`, `1.234,56`), as spreadsheets in much of Europe write
/// them. Found from the first 64 KiB of the file, as Python's `csv.Sniffer`
/// and DuckDB's reader do: the delimiter is the one of comma, semicolon, tab and
/// pipe that splits every line (quotes respected) into the header's number of
/// fields, more than one; a file that two of them split so is ambiguous and
/// the error names `--delimiter`. A file that none splits is one column.
///
/// Decimal commas are looked for in files not separated by commas: fields of
/// digits with one comma and, before it, optional groups of thousands with
/// points (`1.234,56`), and no field with a decimal point that is not such a
/// group. A reader of such a file hands out those fields in the usual form
/// (`1234.56`), so that every reader of numbers sees them as numbers.
public struct CSVDialect: Equatable, Sendable {
    public var delimiter: UInt8
    public var decimalComma: Bool

    public init(delimiter: UInt8 = UInt8(ascii: ","), decimalComma: Bool = false) {
        self.delimiter = delimiter; self.decimalComma = decimalComma
    }

    /// The delimiters looked for, in the order a tie is reported.
    static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]

    public static func name(of delimiter: UInt8) -> String {
        switch delimiter {
        case UInt8(ascii: ","): return "comma"
        case UInt8(ascii: ";"): return "semicolon"
        case UInt8(ascii: "\t"): return "tab"
        case UInt8(ascii: "|"): return "pipe"
        case UInt8(ascii: " "): return "space"
        default: return "'\(String(UnicodeScalar(delimiter)))'"
        }
    }

    /// `semicolon-separated, decimal comma` (what `describe` prints).
    public var description: String {
        "\(Self.name(of: delimiter))-separated" + (decimalComma ? ", decimal comma" : "")
    }

    /// The first 64 KiB of a file, without a byte-order mark, cut after its last
    /// whole line (unless the file ends within them).
    static func sample(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes = [UInt8](repeating: 0, count: 1 << 16)
        let n = bytes.withUnsafeMutableBufferPointer { fread($0.baseAddress, 1, $0.count, f) }
        bytes.removeLast(bytes.count - n)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if n == 1 << 16, let last = bytes.lastIndex(of: 10) { bytes.removeLast(bytes.count - last - 1) }
        return bytes
    }

    /// Splits sample bytes into records of fields (quotes respected: a quoted
    /// field may hold the delimiter and line breaks), at most `limit` records.
    static func records(_ bytes: [UInt8], delimiter d: UInt8, limit: Int = 400) -> [[ArraySlice<UInt8>]] {
        var out: [[ArraySlice<UInt8>]] = []
        var fields: [ArraySlice<UInt8>] = []
        var start = 0, i = 0, quoted = false
        let n = bytes.count
        while i < n && out.count < limit {
            let c = bytes[i]
            if quoted {
                if c == 34 { if i + 1 < n && bytes[i + 1] == 34 { i += 1 } else { quoted = false } }
            } else if c == 34 {
                quoted = true
            } else if c == d {
                fields.append(bytes[start..<i]); start = i + 1
            } else if c == 10 || c == 13 {
                fields.append(bytes[start..<i])
                if !(fields.count == 1 && fields[0].isEmpty) { out.append(fields) }
                fields = []
                if c == 13 && i + 1 < n && bytes[i + 1] == 10 { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if out.count < limit && start < n && !quoted {
            fields.append(bytes[start..<n])
            if !(fields.count == 1 && fields[0].isEmpty) { out.append(fields) }
        }
        return out
    }

    /// The dialect of the file at `path`. `delimiter`, when given, is used as
    /// it is (only decimal commas are looked for).
    public static func sniff(path: String, delimiter given: UInt8? = nil) throws -> CSVDialect {
        guard let bytes = sample(path) else { return CSVDialect(delimiter: given ?? UInt8(ascii: ",")) }
        if let what = bytes.withUnsafeBufferPointer({ CSVReader.notText($0) }) {
            throw PersonaError.data(file: path, "is \(what.kind), not a CSV text file", fix: what.fix)
        }
        return try sniff(bytes: bytes, path: path, delimiter: given)
    }

    static func sniff(bytes: [UInt8], path: String, delimiter given: UInt8? = nil) throws -> CSVDialect {
        var delimiter = given ?? UInt8(ascii: ",")
        if given == nil {
            // Each candidate: whether it splits every record into the header's count of fields (> 1).
            var fits: [(delimiter: UInt8, columns: Int)] = []
            var best: (delimiter: UInt8, share: Double, columns: Int)? = nil
            for d in candidates {
                let recs = records(bytes, delimiter: d)
                guard let header = recs.first, header.count > 1 else { continue }
                let same = recs.filter { $0.count == header.count }.count
                let share = Double(same) / Double(recs.count)
                if same == recs.count { fits.append((d, header.count)) }
                if best == nil || share > best!.share { best = (d, share, header.count) }
            }
            if fits.count > 1 {
                let ways = fits.map { "\($0.columns) columns split by \(name(of: $0.delimiter))" }.joined(separator: " or ")
                throw PersonaError.data(file: path, line: 1, "the delimiter is ambiguous: every line reads as \(ways)",
                                        fix: "Say which with --delimiter (comma, semicolon, tab, pipe or the character)")
            }
            if let only = fits.first {
                delimiter = only.delimiter
            } else if let best, best.share >= 0.5 {
                // Most lines agree: the reader names the ragged ones.
                delimiter = best.delimiter
            }
        }
        var dialect = CSVDialect(delimiter: delimiter)
        if delimiter != UInt8(ascii: ",") {
            var commas = 0, points = 0
            for record in records(bytes, delimiter: delimiter).dropFirst() {
                for field in record {
                    var f = field
                    if f.first == 34 && f.last == 34 && f.count >= 2 { f = f.dropFirst().dropLast() }
                    switch numberForm(f) {
                    case .decimalComma: commas += 1
                    case .decimalPoint: points += 1
                    default: break
                    }
                }
            }
            dialect.decimalComma = commas > 0 && points == 0
        }
        return dialect
    }

    enum NumberForm { case decimalComma, decimalPoint, groupedPoints, other }

    /// How a field writes a number: `12,5` or `1.234,5` (decimal comma), `12.5`
    /// (a decimal point that cannot be a thousands group), `1.234` (either), or
    /// not a plain number.
    static func numberForm<C: Collection>(_ f: C) -> NumberForm where C.Element == UInt8 {
        var digits = 0, afterPoint = -1, points = 0, commas = 0, afterComma = 0
        var groupsOK = true, first = true, leadingZero = false
        for c in f {
            if first { first = false; if c == 45 || c == 43 { continue } }
            if c &- 48 < 10 {
                if digits == 0 { leadingZero = c == 48 }
                digits += 1
                if commas > 0 { afterComma += 1 } else if afterPoint >= 0 { afterPoint += 1 }
            } else if c == 46 {
                if commas > 0 { return .other }
                if afterPoint >= 0 && afterPoint != 3 { groupsOK = false }
                if afterPoint < 0 && digits > 3 { groupsOK = false }
                if afterPoint < 0 && digits == 0 { return .other }
                if afterPoint < 0 && leadingZero { groupsOK = false }   // 0.123 is a fraction
                points += 1; afterPoint = 0
            } else if c == 44 {
                if commas > 0 || digits == 0 { return .other }
                if afterPoint >= 0 && afterPoint != 3 { groupsOK = false }
                commas = 1
            } else {
                return .other
            }
        }
        if digits == 0 { return .other }
        if commas == 1 { return afterComma > 0 && (points == 0 || groupsOK) ? .decimalComma : .other }
        if points == 0 { return .other }
        if points == 1 && afterPoint != 3 { return afterPoint > 0 ? .decimalPoint : .other }
        return groupsOK && afterPoint == 3 ? .groupedPoints : (points == 1 ? .decimalPoint : .other)
    }

    /// Rewrites a number of a decimal-comma file in place in the usual form
    /// (`1.234,5` to `1234.5`, `1.234` to `1234`); returns its new length, or
    /// nil when the field is not such a number.
    static func normalize(_ p: UnsafeMutablePointer<UInt8>, count: Int) -> Int? {
        // the number within its sign, a currency sign and spaces (`12,50 €`, `-€3,5`)
        guard let (negative, _, lo, hi) = NumberParser.withoutCurrency(UnsafeBufferPointer(start: p, count: count)) else { return nil }
        let form = numberForm(UnsafeBufferPointer(start: p + lo, count: hi - lo))
        guard form == .decimalComma || form == .groupedPoints else { return nil }
        var w = 0
        if negative { p[0] = 45; w = 1 }
        for r in lo..<hi {
            let c = p[r]
            if c == 46 { continue }
            p[w] = c == 44 ? 46 : c
            w += 1
        }
        return w
    }

    // MARK: files already looked at

    private struct FileKey: Hashable { var path: String; var device: UInt64; var inode: UInt64; var size: Int64; var modified: Int }
    nonisolated(unsafe) private static var decimalCommas: [FileKey: Bool] = [:]
    private static let lock = NSLock()

    /// Whether the file at `path`, split by `delimiter`, writes decimal commas
    /// (looked at once per file and delimiter).
    static func usesDecimalComma(path: String, delimiter: UInt8) -> Bool {
        if delimiter == UInt8(ascii: ",") { return false }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        let key = FileKey(path: path + "\u{0}\(delimiter)", device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                          modified: Int(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(st.st_mtim.tv_nsec))
        lock.lock()
        if let known = decimalCommas[key] { lock.unlock(); return known }
        lock.unlock()
        let found = (try? sniff(path: path, delimiter: delimiter))?.decimalComma ?? false
        lock.lock(); decimalCommas[key] = found; lock.unlock()
        return found
    }
}

/// Parses a delimiter given on the command line: one character, `comma`,
/// `semicolon`, `tab` (or `\t`), `pipe`; nil for `auto` (found from the file).
public func parseDelimiterOption(_ text: String) throws -> UInt8? {
    switch text.lowercased() {
    case "auto": return nil
    case "comma": return UInt8(ascii: ",")
    case "semicolon": return UInt8(ascii: ";")
    case "tab", "\\t": return UInt8(ascii: "\t")
    case "pipe": return UInt8(ascii: "|")
    case "space": return UInt8(ascii: " ")
    default: break
    }
    let bytes = Array(text.utf8)
    guard bytes.count == 1, bytes[0] != UInt8(ascii: "\""), bytes[0] != UInt8(ascii: "\n"), bytes[0] != UInt8(ascii: "\r") else {
        throw PersonaError("--delimiter must be auto, comma, semicolon, tab, pipe or a single character other than a quote or line break, got \"\(text)\"")
    }
    return bytes[0]
}

/// The delimiter of the file at `path`: the one given, or (for `auto`) the one
/// `CSVDialect.sniff` finds.
public func resolveDelimiter(_ text: String, path: String) throws -> UInt8 {
    if let given = try parseDelimiterOption(text) { return given }
    return try CSVDialect.sniff(path: path).delimiter
}
