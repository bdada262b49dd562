#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Streams a CSV file through a model's pipeline and predictions on every core,
/// writing id columns and scores in input order. The file is cut into blocks of
/// whole records; each block is parsed, encoded, scored and formatted on its own
/// core, and the blocks are written in file order. Memory stays bounded by the
/// block size whatever the file size; the output appears at its path only when
/// every row has been scored.
public enum BatchScorer {
    /// Bytes of input per block handed to one core.
    public static var blockBytes = 4 << 20
    /// Rows encoded and scored together inside a block.
    static let batchRows = 4096

    public enum Format: String, CaseIterable, Sendable { case csv, jsonl }

    public struct Settings {
        /// Columns copied to the output; nil means the first column when its
        /// name looks like an identifier.
        public var idColumns: [String]?
        public var options: ScoreOptions
        public var delimiter: UInt8
        public var format: Format
        /// Skip rows that cannot be scored (writing them to `rejects`) instead of stopping.
        public var skipBadRows: Bool
        /// Where skipped rows go, with their line and reason (default: beside the output).
        public var rejects: String?
        public init(idColumns: [String]? = nil, options: ScoreOptions = ScoreOptions(), delimiter: UInt8 = UInt8(ascii: ","),
                    format: Format = .csv, skipBadRows: Bool = false, rejects: String? = nil) {
            self.idColumns = idColumns; self.options = options; self.delimiter = delimiter
            self.format = format; self.skipBadRows = skipBadRows; self.rejects = rejects
        }
    }

    public struct Summary {
        public var rows: Int
        public var columns: [String]
        public var rejected: Int = 0
        public var rejectsPath: String? = nil
    }

    /// The reject file used when none is named: `scores.csv` -> `scores.rejects.csv`.
    public static func defaultRejectsPath(for output: String) -> String {
        let slash = output.lastIndex(of: "/").map { output.index(after: $0) } ?? output.startIndex
        if let dot = output[slash...].lastIndex(of: "."), dot > slash { return output[..<dot] + ".rejects.csv" }
        return output + ".rejects.csv"
    }

    public static func score(model: any PersonaModel, input: String, delimiter: UInt8 = UInt8(ascii: ","),
                             idColumns: [String]?, output: String, options: ScoreOptions = ScoreOptions()) throws -> Summary {
        try score(model: model, input: input, output: output,
                  settings: Settings(idColumns: idColumns, options: options, delimiter: delimiter))
    }

    public static func score(model: any PersonaModel, input: String, output: String, settings: Settings) throws -> Summary {
        let headerReader = try CSVReader(path: input, delimiter: settings.delimiter)
        let header = headerReader.header
        let dataOffset = headerReader.dataOffset
        let firstLine = headerReader.nextLine
        let bound = try BoundPipeline(model.card.pipeline, header: header, file: input)
        var ids: [Int] = []
        if let idColumns = settings.idColumns {
            for name in idColumns {
                guard let i = header.firstIndex(of: name) else {
                    throw PersonaError.data(file: input, line: 1, columnName: name, "is named with --id but the file has no such column",
                                            fix: "Columns are: \(header.joined(separator: ", "))")
                }
                ids.append(i)
            }
        } else if let first = header.first, Profiler.looksLikeIdentifierName(first) {
            ids = [0]
        }
        if let top = settings.options.top {
            guard top >= 1 else { throw PersonaError("--top must be at least 1 (got \(top))") }
            guard model.rankingColumn != nil else {
                throw PersonaError("--top ranks rows by risk, which a \(type(of: model).kind) model does not score")
            }
        }
        let scoreNames = model.score(FloatMatrix(rows: 1, cols: bound.width), options: settings.options).map(\.name)
        let names = ids.map { header[$0] } + scoreNames
        let job = Job(model: model, bound: bound, input: input, header: header, ids: ids, settings: settings,
                      rankIndex: model.rankingColumn.flatMap { scoreNames.firstIndex(of: $0) }, jsonKeys: JSONLine.keys(names))

        let rejectsPath = settings.skipBadRows ? (settings.rejects ?? defaultRejectsPath(for: output)) : nil
        if let rejectsPath, rejectsPath == output || rejectsPath == input {
            throw PersonaError("\(rejectsPath): the reject file must differ from the input and the output; name another with --rejects")
        }
        let out = try AtomicOutput(path: output)
        let rejects = try rejectsPath.map { try CSVWriter(path: $0, delimiter: settings.delimiter) }
        do {
            if settings.format == .csv {
                let w = CSVWriter(memoryDelimiter: settings.delimiter)
                w.row(names)
                out.write(bytes: w.output.takeBytes())
            }
            rejects?.row(["line", "reason"] + header)
            let source = try BlockSource(path: input, offset: dataOffset, firstLine: firstLine)
            var heap = TopRows(capacity: settings.options.top ?? 0)
            var total = 0, rejected = 0
            try Pipeline.run(source: source, job: job) { r in
                out.write(bytes: r.output)
                if let rejects { rejects.output.write(bytes: r.rejects) }
                for kept in r.top { heap.insert(score: kept.score, sequence: total + kept.sequence, fields: kept.fields) }
                total += r.rows
                rejected += r.rejected
            }
            if total == 0 {
                if rejected > 0 {
                    throw PersonaError.data(file: input, "every row was rejected (\(rejected)); nothing was written",
                                            fix: "See the reasons with --on-error fail, which stops at the first bad row")
                }
                throw PersonaError.data(file: input, "the file has a header but no data rows", fix: "Add at least one row to score")
            }
            if settings.options.top != nil {
                let w = CSVWriter(memoryDelimiter: settings.delimiter)
                for row in heap.sortedDescending() {
                    if settings.format == .csv { w.row(row.map(\.text)) } else { JSONLine.write(row, keys: job.jsonKeys, to: w.output) }
                }
                out.write(bytes: w.output.takeBytes())
            }
            try rejects?.commit()
            try out.commit()
            return Summary(rows: total, columns: names, rejected: rejected, rejectsPath: rejectsPath)
        } catch {
            out.abandon()
            rejects?.abandon()
            throw error
        }
    }

    /// What one block produced: formatted rows, rejected rows, the block's
    /// candidates for --top, or the error that stops the run.
    struct BlockResult {
        var output: [UInt8] = []
        var rejects: [UInt8] = []
        var rows = 0
        var rejected = 0
        var top: [(score: Double, sequence: Int, fields: [Field])] = []
        var error: Error? = nil
    }

    /// An output value, kept for --top until the best rows are known.
    struct Field {
        var text: String
        var isNumber: Bool
    }

    /// Everything a block needs, shared read-only by the worker threads.
    struct Job: @unchecked Sendable {
        let model: any PersonaModel
        let bound: BoundPipeline
        let input: String
        let header: [String]
        let ids: [Int]
        let settings: Settings
        let rankIndex: Int?
        /// JSON Lines: the output columns' keys, escaped once.
        let jsonKeys: [[UInt8]]

        func run(_ block: Block) -> BlockResult {
            var result = BlockResult()
            do {
                try block.bytes.withUnsafeBytes { raw in
                    try scoreBlock(raw, firstLine: block.firstLine, into: &result)
                }
            } catch {
                result.error = error
            }
            return result
        }

        private func scoreBlock(_ raw: UnsafeRawBufferPointer, firstLine: Int, into result: inout BlockResult) throws {
            let reader = try CSVReader(memory: raw, path: input, delimiter: settings.delimiter, header: header, firstLine: firstLine)
            reader.allowsRaggedRows = true
            let out = CSVWriter(memoryDelimiter: settings.delimiter)
            let rejects = CSVWriter(memoryDelimiter: settings.delimiter)
            var top = settings.options.top.map { TopRows(capacity: $0) }
            var records = [CSVRecord](repeating: CSVRecord(), count: batchRows)
            var matrix = FloatMatrix(rows: batchRows, cols: bound.width)
            let readsRaw = model.readsRawValues
            var done = false
            while !done {
                var m = 0
                while m < batchRows {
                    guard try reader.next(into: &records[m]) else { done = true; break }
                    let problem: String?
                    if records[m].count != header.count {
                        problem = CSVReader.raggedRow(records[m].count, header: header.count)
                        if !settings.skipBadRows {
                            throw PersonaError.data(file: input, line: records[m].line, problem!,
                                                    fix: "Every row needs one value per header column; quote values that contain the delimiter, or pass --on-error skip to set such rows aside")
                        }
                    } else {
                        do {
                            try matrix.storage.withUnsafeMutableBufferPointer { p in
                                try bound.encode(records[m], into: p.baseAddress! + m * bound.width, raw: readsRaw, missingCategories: readsRaw)
                            }
                            problem = nil
                        } catch let error as PersonaError {
                            if !settings.skipBadRows {
                                throw PersonaError(error.message + " (or pass --on-error skip to set such rows aside)")
                            }
                            problem = error.rowReason ?? error.message
                        }
                    }
                    if let problem {
                        rejects.field(records[m].line)
                        rejects.field(problem)
                        for j in 0..<records[m].count { rejects.field(record: records[m], j) }
                        rejects.endRow()
                        result.rejected += 1
                        continue
                    }
                    m += 1
                }
                if m == 0 { continue }
                let batch = m == batchRows ? matrix : FloatMatrix(rows: m, cols: bound.width, storage: Array(matrix.storage[0..<(m * bound.width)]))
                let columns = model.score(batch, options: settings.options)
                if top != nil, let rankIndex {
                    for r in 0..<m {
                        let score = columns[rankIndex].values[r]
                        guard top!.wants(score) else { continue }
                        var fields = ids.map { Field(text: records[r].string($0), isNumber: false) }
                        for c in columns { fields.append(Self.field(c, r)) }
                        top!.insert(score: score, sequence: result.rows + r, fields: fields)
                    }
                } else if settings.format == .csv {
                    for r in 0..<m {
                        for i in ids { out.field(record: records[r], i) }
                        for c in columns {
                            if let labels = c.labels { out.field(labels[r]) }
                            else if c.isInteger { out.field(Int(c.values[r])) }
                            else { out.field(shortest: Float(c.values[r])) }
                        }
                        out.endRow()
                    }
                } else {
                    for r in 0..<m {
                        JSONLine.write(record: records[r], ids: ids, columns: columns, row: r, keys: jsonKeys, to: out.output)
                    }
                }
                result.rows += m
            }
            result.output = out.output.takeBytes()
            result.rejects = rejects.output.takeBytes()
            if let top { result.top = top.kept }
        }

        static func field(_ c: ScoreColumn, _ r: Int) -> Field {
            if let labels = c.labels { return Field(text: labels[r], isNumber: false) }
            if c.isInteger { return Field(text: String(Int(c.values[r])), isNumber: true) }
            let v = Float(c.values[r])
            return Field(text: v.isFinite ? v.description : "", isNumber: true)
        }
    }
}

/// Reads blocks on one thread, scores them on every core, and hands the
/// results to `consume` on the calling thread in file order. At most a few
/// blocks per core are in flight, so memory stays bounded. The first error in
/// file order stops the run (later blocks are dropped unread).
enum Pipeline {
    static func run(source: BlockSource, job: BatchScorer.Job, consume: (BatchScorer.BlockResult) throws -> Void) throws {
        let cores = max(1, Parallel.cores)
        let slots = DispatchSemaphore(value: 2 * cores + 1)
        let state = PipelineState()
        let group = DispatchGroup()
        let workers = DispatchQueue(label: "persona.score", attributes: .concurrent)
        let previous = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previous) }
        // At most `cores` blocks are scored at once (the concurrent queue may
        // start more threads than cores); the reader only waits for a free slot.
        let running = DispatchSemaphore(value: cores)
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            var sequence = 0
            while true {
                slots.wait()
                if state.isCancelled { break }
                let block: Block?
                do { block = try source.next() } catch {
                    state.finish(blocks: sequence, error: error)
                    return
                }
                guard let block else { break }
                let s = sequence
                sequence += 1
                group.enter()
                workers.async {
                    running.wait()
                    let result = state.isCancelled ? BatchScorer.BlockResult() : job.run(block)
                    running.signal()
                    state.store(s, result)
                    group.leave()
                }
            }
            state.finish(blocks: sequence, error: nil)
        }
        defer {
            state.cancel()
            for _ in 0..<(2 * cores + 1) { slots.signal() }
            group.wait()
        }
        var next = 0
        while let result = try state.take(next) {
            slots.signal()
            if let error = result.error { throw error }
            try consume(result)
            next += 1
        }
    }
}

/// What the reader, the workers and the consumer share, under one lock.
final class PipelineState: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: BatchScorer.BlockResult] = [:]
    private var blocks: Int? = nil
    private var readError: Error? = nil
    private var cancelled = false

    var isCancelled: Bool { condition.lock(); defer { condition.unlock() }; return cancelled }

    func cancel() { condition.lock(); cancelled = true; condition.broadcast(); condition.unlock() }

    func store(_ sequence: Int, _ result: BatchScorer.BlockResult) {
        condition.lock(); results[sequence] = result; condition.broadcast(); condition.unlock()
    }

    func finish(blocks n: Int, error: Error?) {
        condition.lock(); blocks = n; readError = error; condition.broadcast(); condition.unlock()
    }

    /// The result of block `sequence` once it is ready; nil after the last block.
    func take(_ sequence: Int) throws -> BatchScorer.BlockResult? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let r = results.removeValue(forKey: sequence) { return r }
            if let blocks, sequence >= blocks {
                if let readError { throw readError }
                return nil
            }
            condition.wait()
        }
    }
}

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
                pending = []
                return block
            }
            if let (cut, lines) = boundary() {
                let block = Block(bytes: Array(pending[0..<cut]), firstLine: line)
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
                var lines = 0
                for i in 0..<cut { lines &+= p[i] == 10 ? 1 : 0 }
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

/// Formats score rows as JSON Lines: one object per row, ids as strings,
/// scores as numbers (null when not a number), labels as strings.
enum JSONLine {
    /// Each column's key as it opens its member: `{"id":` for the first, `,"name":` after.
    static func keys(_ names: [String]) -> [[UInt8]] {
        names.enumerated().map { k, name in
            let out = AtomicOutput(memory: ())
            out.writeByte(k == 0 ? 123 : 44)
            var s = name
            s.withUTF8 { string($0, out) }
            out.writeByte(58)
            return out.takeBytes()
        }
    }

    static func write(record: CSVRecord, ids: [Int], columns: [ScoreColumn], row r: Int, keys: [[UInt8]], to out: AtomicOutput) {
        var k = 0
        for i in ids {
            out.write(bytes: keys[k]); k += 1
            record.withField(i) { string($0, out) }
        }
        for c in columns {
            out.write(bytes: keys[k]); k += 1
            if let labels = c.labels { var s = labels[r]; s.withUTF8 { string($0, out) } }
            else if c.isInteger { out.write(String(Int(c.values[r]))) }
            else { number(Float(c.values[r]), out) }
        }
        out.write(bytes: [125, 10])
    }

    static func write(_ fields: [BatchScorer.Field], keys: [[UInt8]], to out: AtomicOutput) {
        for (k, f) in fields.enumerated() {
            out.write(bytes: keys[k])
            if f.isNumber { out.write(f.text.isEmpty ? "null" : f.text) }
            else { var s = f.text; s.withUTF8 { string($0, out) } }
        }
        out.write(bytes: [125, 10])
    }

    private static func number(_ v: Float, _ out: AtomicOutput) {
        out.write(v.isFinite ? v.description : "null")
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ out: AtomicOutput) {
        out.writeByte(34)
        var plain = true
        for b in bytes where b < 32 || b == 34 || b == 92 { plain = false; break }
        if plain {
            out.write(bytes)
        } else {
            for b in bytes {
                switch b {
                case 34: out.write(bytes: [92, 34])
                case 92: out.write(bytes: [92, 92])
                case 10: out.write(bytes: [92, 110])
                case 13: out.write(bytes: [92, 114])
                case 9: out.write(bytes: [92, 116])
                case 0..<32: out.write(bytes: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
                default: out.writeByte(b)
                }
            }
        }
        out.writeByte(34)
    }
}

/// The N highest-scoring rows seen so far: a min-heap whose root is the row
/// to drop next (lowest score; among equal scores, the later row).
struct TopRows {
    typealias Item = (score: Double, sequence: Int, fields: [BatchScorer.Field])
    let capacity: Int
    private(set) var kept: [Item] = []

    init(capacity: Int) { self.capacity = capacity }

    private func worse(_ a: Int, _ b: Int) -> Bool {
        kept[a].score != kept[b].score ? kept[a].score < kept[b].score : kept[a].sequence > kept[b].sequence
    }

    func wants(_ score: Double) -> Bool { kept.count < capacity || score > kept[0].score }

    mutating func insert(score: Double, sequence: Int, fields: [BatchScorer.Field]) {
        if kept.count < capacity {
            kept.append((score, sequence, fields))
            var i = kept.count - 1
            while i > 0 { let p = (i - 1) / 2; if worse(i, p) { kept.swapAt(i, p); i = p } else { break } }
        } else if score > kept[0].score {
            kept[0] = (score, sequence, fields)
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < kept.count && worse(l, m) { m = l }
                if r < kept.count && worse(r, m) { m = r }
                if m == i { break }
                kept.swapAt(i, m); i = m
            }
        }
    }

    /// Kept rows, highest score first, ties in input order.
    func sortedDescending() -> [[BatchScorer.Field]] {
        kept.sorted { $0.score != $1.score ? $0.score > $1.score : $0.sequence < $1.sequence }.map(\.fields)
    }
}
