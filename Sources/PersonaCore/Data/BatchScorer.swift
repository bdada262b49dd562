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
                             idColumns: [String]?, output: String, progress: ProgressHandler? = nil) throws -> Summary {
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
                        try bound.encode(records[m], into: p.baseAddress! + m * bound.width)
                    }
                    m += 1
                }
                if m == 0 { break }
                let batch = m == chunkRows ? chunk : FloatMatrix(rows: m, cols: bound.width, storage: Array(chunk.storage[0..<(m * bound.width)]))
                let columns = model.score(batch)
                if !headerWritten {
                    names = ids.map { reader.header[$0] } + columns.map(\.name)
                    writer.row(names)
                    headerWritten = true
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
            try writer.commit()
            return Summary(rows: total, columns: names)
        } catch {
            writer.abandon()
            throw error
        }
    }
}
