/// Streams a CSV file through a model's pipeline and predictions, a chunk of
/// rows at a time, writing id columns and scores in input order. Memory stays
/// bounded by the chunk size whatever the file size; the output appears at its
/// path only when every row has been scored.
public enum BatchScorer {
    public static let chunkRows = 8192

    public struct Summary { public var rows: Int; public var columns: [String] }

    /// - Parameter idColumns: columns copied to the output; nil means the first
    ///   column when its name looks like an identifier.
    public static func score(model: any PersonaModel, input: String, delimiter: UInt8 = UInt8(ascii: ","),
                             idColumns: [String]?, output: String, options: ScoreOptions = ScoreOptions(),
                             progress: ProgressHandler? = nil) throws -> Summary {
        let reader = try CSVReader(path: input, delimiter: delimiter)
        let bound = try BoundPipeline(model.card.pipeline, header: reader.header, file: input)
        var ids: [Int] = []
        if let idColumns {
            for name in idColumns {
                guard let i = reader.columnIndex(name) else {
                    throw PersonaError.data(file: input, line: 1, columnName: name, "is named with --id but the file has no such column",
                                            fix: "Columns are: \(reader.header.joined(separator: ", "))")
                }
                ids.append(i)
            }
        } else if let first = reader.header.first, Profiler.looksLikeIdentifierName(first) {
            ids = [0]
        }
        var rankIndex: Int? = nil
        if let top = options.top {
            guard top >= 1 else { throw PersonaError("--top must be at least 1 (got \(top))") }
            guard model.rankingColumn != nil else {
                throw PersonaError("--top ranks rows by risk, which a \(type(of: model).kind) model does not score")
            }
        }
        var heap = TopRows(capacity: options.top ?? 0)
        let writer = try CSVWriter(path: output, delimiter: delimiter)
        do {
            var records = [CSVRecord](repeating: CSVRecord(), count: chunkRows)
            var chunk = FloatMatrix(rows: chunkRows, cols: bound.width)
            var total = 0
            var headerWritten = false
            var names: [String] = []
            while true {
                var m = 0
                while m < chunkRows, try reader.next(into: &records[m]) {
                    try chunk.storage.withUnsafeMutableBufferPointer { p in
                        try bound.encode(records[m], into: p.baseAddress! + m * bound.width, raw: model.readsRawValues,
                                         missingCategories: model.readsRawValues)
                    }
                    m += 1
                }
                if m == 0 { break }
                let batch = m == chunkRows ? chunk : FloatMatrix(rows: m, cols: bound.width, storage: Array(chunk.storage[0..<(m * bound.width)]))
                let columns = model.score(batch, options: options)
                if !headerWritten {
                    names = ids.map { reader.header[$0] } + columns.map(\.name)
                    writer.row(names)
                    headerWritten = true
                    rankIndex = model.rankingColumn.flatMap { name in columns.firstIndex { $0.name == name } }
                }
                if options.top != nil, let rankIndex {
                    for r in 0..<m {
                        let score = columns[rankIndex].values[r]
                        guard heap.wants(score) else { continue }
                        var fields = ids.map { records[r].string($0) }
                        for c in columns {
                            if let labels = c.labels { fields.append(labels[r]) }
                            else if c.isInteger { fields.append(String(Int(c.values[r]))) }
                            else { fields.append(Float(c.values[r]).description) }
                        }
                        heap.insert(score: score, sequence: total + r, fields: fields)
                    }
                    total += m
                    if m < chunkRows { break }
                    continue
                }
                for r in 0..<m {
                    for i in ids { writer.field(record: records[r], i) }
                    for c in columns {
                        if let labels = c.labels { writer.field(labels[r]) }
                        else if c.isInteger { writer.field(Int(c.values[r])) }
                        else { writer.field(shortest: Float(c.values[r])) }
                    }
                    writer.endRow()
                }
                total += m
                if m < chunkRows { break }
            }
            if total == 0 {
                throw PersonaError.data(file: input, "the file has a header but no data rows", fix: "Add at least one row to score")
            }
            for row in heap.sortedDescending() { writer.row(row) }
            try writer.commit()
            return Summary(rows: total, columns: names)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

/// The N highest-scoring rows seen so far: a min-heap whose root is the row
/// to drop next (lowest score; among equal scores, the later row).
struct TopRows {
    let capacity: Int
    private var items: [(score: Double, sequence: Int, fields: [String])] = []

    init(capacity: Int) { self.capacity = capacity }

    private func worse(_ a: Int, _ b: Int) -> Bool {
        items[a].score != items[b].score ? items[a].score < items[b].score : items[a].sequence > items[b].sequence
    }

    func wants(_ score: Double) -> Bool { items.count < capacity || score > items[0].score }

    mutating func insert(score: Double, sequence: Int, fields: [String]) {
        if items.count < capacity {
            items.append((score, sequence, fields))
            var i = items.count - 1
            while i > 0 { let p = (i - 1) / 2; if worse(i, p) { items.swapAt(i, p); i = p } else { break } }
        } else if score > items[0].score {
            items[0] = (score, sequence, fields)
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && worse(l, m) { m = l }
                if r < items.count && worse(r, m) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
    }

    /// Kept rows, highest score first, ties in input order.
    func sortedDescending() -> [[String]] {
        items.sorted { $0.score != $1.score ? $0.score > $1.score : $0.sequence < $1.sequence }.map(\.fields)
    }
}
