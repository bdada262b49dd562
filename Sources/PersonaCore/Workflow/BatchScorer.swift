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

    public static func score(model loaded: any PersonaModel, input: String, output: String, settings given: Settings) throws -> Summary {
        guard let model = loaded as? any RowScoring else {
            throw PersonaError("a \(loaded.card.kind) model does not score rows")
        }
        // A floor on the ranking score keeps every row above it, best first.
        var settings = given
        let rankingFloor = model.minimumRanking(settings.options)
        if rankingFloor != nil && settings.options.top == nil { settings.options.top = Int.max }
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
        if settings.options.explain != nil || settings.options.contributions {
            guard let e = model as? any RowExplaining else {
                throw PersonaError("--explain and --contributions explain decision trees, gradient-boosted trees and logistic regression; a \(type(of: model).kind) model has no per-column contributions")
            }
            if let why = e.explanationUnavailable { throw PersonaError(why) }
        }
        let scoreNames = model.scoreExplained(FloatMatrix(rows: 1, cols: bound.width), options: settings.options).map(\.name)
        let names = ids.map { header[$0] } + scoreNames
        let job = Job(model: model, bound: bound, input: input, header: header, ids: ids, settings: settings,
                      rankIndex: model.rankingColumn.flatMap { scoreNames.firstIndex(of: $0) }, rankingFloor: rankingFloor, jsonKeys: JSONLine.keys(names))

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
            try BlockScheduler.run(source: source, job: job) { r in
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
        var top: [TopRows.Item] = []
        var error: Error? = nil
    }

    /// An output value, kept for --top until the best rows are known.
    struct Field {
        var text: String
        var isNumber: Bool
    }

    /// Everything a block needs, shared read-only by the worker threads.
    struct Job: @unchecked Sendable {
        let model: any RowScoring
        let bound: BoundPipeline
        let input: String
        let header: [String]
        let ids: [Int]
        let settings: Settings
        let rankIndex: Int?
        /// Rows ranked at or below this are left out (see `RowScoring.minimumRanking`).
        let rankingFloor: Double?
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
                                try bound.encode(records[m], into: p.baseAddress! + m * bound.width, mode: readsRaw ? .raw : .features)
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
                if top != nil, let rankIndex {
                    // Rows are ranked on their scores alone; only those the
                    // heap may keep are explained (explanations cost far more).
                    let explaining = settings.options.explain != nil || settings.options.contributions
                    let ranked = explaining ? model.score(batch, options: settings.options) : model.scoreExplained(batch, options: settings.options)
                    var candidates: [Int] = []
                    for r in 0..<m {
                        let score = ranked[rankIndex].values[r]
                        if let rankingFloor, !(score > rankingFloor) { continue }
                        if top!.wants(score) { candidates.append(r) }
                    }
                    var columns = ranked
                    if explaining && !candidates.isEmpty {
                        let w = bound.width
                        var rows = FloatMatrix(rows: candidates.count, cols: w)
                        for (k, r) in candidates.enumerated() { for j in 0..<w { rows.storage[k * w + j] = batch.storage[r * w + j] } }
                        columns = model.scoreExplained(rows, options: settings.options)
                    }
                    for (k, r) in candidates.enumerated() {
                        let at = explaining ? k : r
                        let score = columns[rankIndex].values[at]
                        guard top!.wants(score) else { continue }
                        var fields = ids.map { Field(text: records[r].string($0), isNumber: false) }
                        for c in columns { fields.append(Self.field(c, at)) }
                        top!.insert(score: score, sequence: result.rows + r, fields: fields)
                    }
                    result.rows += m
                    continue
                }
                let columns = model.scoreExplained(batch, options: settings.options)
                if settings.format == .csv {
                    for r in 0..<m {
                        for i in ids { out.field(record: records[r], i) }
                        for c in columns {
                            if let labels = c.labels { out.field(labels[r]) }
                            else if c.isInteger { out.field(Int(c.values[r])) }
                            else if c.precise { out.field(shortest: c.values[r]) }
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
            if c.precise { return Field(text: c.values[r].isFinite ? c.values[r].description : "", isNumber: true) }
            let v = Float(c.values[r])
            return Field(text: v.isFinite ? v.description : "", isNumber: true)
        }
    }
}

/// The N highest-scoring rows seen so far (lowest score dropped first; among
/// equal scores, the later row).
struct TopRows {
    struct Item: Ranked {
        var score: Double, sequence: Int, fields: [BatchScorer.Field]
        static func ranksBelow(_ a: Item, _ b: Item) -> Bool { a.score != b.score ? a.score < b.score : a.sequence > b.sequence }
    }
    private var heap: BoundedHeap<Item>

    init(capacity: Int) { heap = BoundedHeap(capacity: capacity) }

    /// Whether a row with this score would be kept (checked before its fields are formatted).
    func wants(_ score: Double) -> Bool { heap.wants(Item(score: score, sequence: .max, fields: [])) }

    mutating func insert(score: Double, sequence: Int, fields: [BatchScorer.Field]) {
        heap.insert(Item(score: score, sequence: sequence, fields: fields))
    }

    /// The kept rows, in no particular order.
    var kept: [Item] { heap.items }

    /// Kept rows, highest score first, ties in input order.
    func sortedDescending() -> [[BatchScorer.Field]] { heap.bestFirst().map(\.fields) }
}
