import CPersonaKernels

extension PipelineColumn {
    /// How many features this column becomes in an encoded row: a category's
    /// one-hot block and its bucket for unseen levels, or a number and its
    /// missing indicator. The encoded layout is computed from this alone.
    public var encodedWidth: Int { type == .categorical ? (levels?.count ?? 0) + 1 : (missingIndicator ? 2 : 1) }
}

extension FeaturePipeline {
    /// Where each input column's features start in the encoded row.
    public var columnOffsets: [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(columns.count)
        var w = 0
        for c in columns { offsets.append(w); w += c.encodedWidth }
        return offsets
    }

    /// Features per encoded row.
    public var width: Int { columns.reduce(0) { $0 + $1.encodedWidth } }
}

/// One value of an in-memory row, as a server or a binding receives it.
public enum RowValue: Equatable, Sendable {
    case missing
    case number(Double)
    case text(String)
    case bool(Bool)
}

/// The one encoder from a fitted pipeline's raw input columns to model rows.
/// A row reaches it from a CSV record (`BoundPipeline`), from a training set's
/// stored columns, or as named values in memory (a request to a server); every
/// value, whatever its source, is encoded by the same few functions below
/// (`slot` for a category, `write` for a number), so the three give the same bits.
public struct RowEncoder: @unchecked Sendable {
    /// What the model reads.
    public enum Mode: Sendable {
        /// Imputed (the median, the most frequent level), standardised numbers with
        /// their missing indicators: linear models and k-means.
        case features
        /// Numbers as read (NaN when missing) and a missing category as an all-zero
        /// block: trees route missing values themselves.
        case raw
        /// Numbers as read (NaN when missing), a missing category at its fill level:
        /// the pass that fits the medians and scales (and k-means' segment profiles).
        case rawNumbers
    }

    public let pipeline: FeaturePipeline
    public let width: Int
    /// Where each pipeline column's features start.
    public let offsets: [Int]
    /// What encoding needs of each pipeline column, read by index for every field.
    let table: ColumnTable
    /// Categorical columns: level bytes to level index, looked up without making a String.
    let levelTables: [ByteCounter]
    /// The date features of the columns computed from dates (`Column.date` indexes them).
    let dates: [DateFeature]

    /// What encoding needs of one pipeline column.
    struct Column {
        var categorical: Bool, boolean: Bool, indicator: Bool
        var offset: Int, levels: Int, fill: Int
        var median: Float, center: Double, scale: Double
        /// Index into `dates` of the column's date feature, or -1.
        var date: Int
    }

    /// The columns in one buffer that the per-field functions index without a
    /// bounds check (the index is a pipeline column's, always in range): with
    /// checked release builds, the checks on seven arrays per field cost scoring
    /// about a tenth of its time (bench/RESULTS.md, One build against another).
    final class ColumnTable: @unchecked Sendable {
        let columns: UnsafeMutableBufferPointer<Column>
        init(_ columns: [Column]) {
            self.columns = .allocate(capacity: columns.count)
            _ = self.columns.initialize(from: columns)
        }
        deinit { columns.deallocate() }
        @inline(__always) subscript(_ k: Int) -> Column { columns[k] }
    }

    public init(_ pipeline: FeaturePipeline) {
        self.pipeline = pipeline
        offsets = pipeline.columnOffsets
        width = pipeline.width
        let offsets = self.offsets
        var dates: [DateFeature] = []
        table = ColumnTable(pipeline.columns.enumerated().map { k, c in
            if let d = c.date { dates.append(d) }
            return Column(categorical: c.type == .categorical, boolean: c.type == .boolean, indicator: c.missingIndicator,
                          offset: offsets[k], levels: c.levels?.count ?? 0, fill: c.fillIndex,
                          median: Float(c.median ?? 0), center: c.center, scale: c.scale, date: c.date == nil ? -1 : dates.count - 1)
        })
        self.dates = dates
        levelTables = pipeline.columns.map { c in
            var t = ByteCounter()
            for l in c.levels ?? [] { var l = l; l.withUTF8 { _ = t.add($0) } }
            return t
        }
    }

    // MARK: the value encoders, the same for every source

    /// The one-hot slot of categorical column `k`'s value (bytes as written in a
    /// CSV field, spaces around it ignored): its level, the fill level for a
    /// missing value (nil, an all-zero block, in `.raw` mode), else the unseen bucket.
    @inline(__always) func slot(_ k: Int, _ f: UnsafeBufferPointer<UInt8>, _ mode: Mode) -> Int? {
        if MissingMarkers.isMissing(f) { return missingSlot(k, mode) }
        return levelTables[k].find(trimmedSpaces(f)) ?? table[k].levels
    }

    /// The slot a missing value of categorical column `k` takes.
    @inline(__always) func missingSlot(_ k: Int, _ mode: Mode) -> Int? { mode == .raw ? nil : table[k].fill }

    /// The slot of a value beyond the distinct values a training set kept (the unseen bucket).
    @inline(__always) func otherSlot(_ k: Int) -> Int { table[k].levels }

    /// Writes numeric column `k`'s features for a value (NaN: missing) at `row`'s offset.
    @inline(__always) func write(_ k: Int, _ v: Float, into row: UnsafeMutablePointer<Float>, _ mode: Mode) {
        let c = table[k]
        row[c.offset] = mode == .features ? FeaturePipeline.scaled(v.isNaN ? c.median : v, c.center, c.scale) : v
        if c.indicator { row[c.offset + 1] = v.isNaN ? 1 : 0 }
    }

    /// Turns a `.rawNumbers` row into a `.features` row in place (its numbers
    /// imputed and scaled; categories are already final).
    @inline(__always) func finish(_ row: UnsafeMutablePointer<Float>) {
        for k in 0..<offsets.count where !table[k].categorical { write(k, row[table[k].offset], into: row, .features) }
    }

    /// Writes categorical column `k`'s block for a slot (nil: all zero).
    @inline(__always) func write(_ k: Int, slot: Int?, into row: UnsafeMutablePointer<Float>) {
        let c = table[k]
        for t in 0...c.levels { row[c.offset + t] = 0 }
        if let slot { row[c.offset + slot] = 1 }
    }

    /// A numeric or boolean column's value from field bytes: nil when missing,
    /// NaN-free; `.none` of the outer optional when the field is not a number.
    @inline(__always) func number(_ k: Int, _ f: UnsafeBufferPointer<UInt8>) -> Float?? {
        if MissingMarkers.isMissing(f) { return .some(nil) }
        if table[k].date >= 0 { return dateNumber(k, f) }
        if let v = NumberParser.parse(f) { return .some(Float(v)) }
        if table[k].boolean, let b = BooleanWords.value(f) { return .some(b ? 1 : 0) }
        return nil
    }

    /// A date feature's number from a date field; `.none` when it is not a date.
    @inline(never) func dateNumber(_ k: Int, _ f: UnsafeBufferPointer<UInt8>) -> Float?? {
        let d = dates[table[k].date]
        guard let seconds = Timestamps.parse(f, order: d.order) else { return nil }
        return .some(Float(d.value(seconds)))
    }

    /// Encodes column `k`'s field (its bytes as in a CSV file) into `row`; false
    /// when a numeric column's field is not a number.
    @inline(__always) func encodeField(_ k: Int, _ f: UnsafeBufferPointer<UInt8>, into row: UnsafeMutablePointer<Float>, _ mode: Mode) -> Bool {
        if table[k].categorical { write(k, slot: slot(k, f, mode), into: row); return true }
        guard let value = number(k, f) else { return false }
        write(k, value ?? .nan, into: row, mode)
        return true
    }

    // MARK: rows in memory

    /// Encodes one row of named values (a server's request) into `out` (width
    /// values). Names the model does not use are ignored; a column the model needs
    /// and the row lacks, or a number column holding text that is not a number, is
    /// an error naming `source`, the row and the column.
    public func encode(_ row: [String: RowValue], into out: UnsafeMutablePointer<Float>, mode: Mode = .features,
                       source: String, row index: Int = 0) throws {
        for (k, c) in pipeline.columns.enumerated() {
            guard let value = row[c.source] else {
                throw PersonaError.data(file: source, columnName: c.source, "row \(index + 1) has no value for \"\(c.source)\", which the model needs",
                                        fix: "Send every input column of the model (see `persona inspect MODEL`); send null for a missing value")
            }
            var text: String
            switch value {
            case .missing: text = ""
            case .text(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            case .number(let d):
                if !table[k].categorical && table[k].date < 0 {
                    // A number is read as a CSV field's number would be: rounded to Float (NaN is missing).
                    write(k, Float(d), into: out, mode)
                    continue
                }
                text = d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
            }
            let ok = text.withUTF8 { encodeField(k, $0, into: out, mode) }
            if !ok {
                throw PersonaError.data(file: source, columnName: c.source, "row \(index + 1): expected \(c.date == nil ? "a number" : "a date"), found \"\(text)\"",
                                        fix: "Send a number, or null to mark the value missing")
            }
        }
    }

    /// Encodes rows of named values into a matrix (one row each).
    public func encode(_ rows: [[String: RowValue]], mode: Mode = .features, source: String) throws -> FloatMatrix {
        var m = FloatMatrix(rows: rows.count, cols: width)
        try m.storage.withUnsafeMutableBufferPointer { out in
            for (i, r) in rows.enumerated() { try encode(r, into: out.baseAddress! + i * width, mode: mode, source: source, row: i) }
        }
        return m
    }

    // MARK: columns in memory

    /// One pipeline column's values for every row of a training set: numbers
    /// (NaN when missing), or value codes (-1 missing, -2 beyond the kept values)
    /// with each code's slot.
    enum ColumnValues {
        case numbers([Float])
        case codes([Int32], slotOfCode: [Int?])
    }

    /// A stored column's values for pipeline column `k`, each distinct value
    /// through the same encoders as a CSV field; nil when the training set did
    /// not keep the column whole (it is then read from the file).
    func columnValues(_ k: Int, _ s: ColumnStore.Column, _ mode: Mode) -> ColumnValues? {
        if table[k].date >= 0 {
            // A date column's distinct values, each through the same encoder as a CSV field.
            guard let codes = s.codes, !codes.contains(-2) else { return nil }
            var values: [Float] = []
            for code in 0..<s.counter.distinct {
                var v = s.counter.value(code)
                guard let n = v.withUTF8({ number(k, $0) }) else { return nil }    // not a date: the file pass names it
                values.append(n ?? .nan)
            }
            return .numbers(codes.map { $0 >= 0 ? values[Int($0)] : .nan })
        }
        if table[k].categorical {
            guard let codes = s.codes else { return nil }
            let slotOfCode = (0..<s.counter.distinct).map { code -> Int? in
                var v = s.counter.value(code)
                return v.withUTF8 { slot(k, $0, mode) }
            }
            return .codes(codes, slotOfCode: slotOfCode)
        }
        if let f = s.floats { return .numbers(f) }
        guard table[k].boolean, let codes = s.codes else { return nil }
        let words = (0..<s.counter.distinct).map { code -> Float in
            var v = s.counter.value(code)
            return v.withUTF8 { BooleanWords.value($0).map { $0 ? 1 : 0 } ?? .nan }
        }
        return .numbers(codes.map { $0 >= 0 ? words[Int($0)] : .nan })
    }

    /// Writes every row from its columns' values into `out` (rows x width), in row
    /// blocks on every core: one sequential sweep of the matrix instead of one
    /// strided sweep per column. Each block's memory is asked for in one call and
    /// zeroed by the core that fills it.
    func encodeColumns(_ values: [ColumnValues], rows n: Int, into out: UnsafeMutableBufferPointer<Float>, _ mode: Mode) {
        precondition(values.count == pipeline.columns.count && out.count >= n * width)
        let width = self.width
        let numeric = values.enumerated().compactMap { k, v -> (Int, [Float])? in if case .numbers(let f) = v { return (k, f) }; return nil }
        let oneHot = values.enumerated().compactMap { k, v -> (Int, [Int32], [Int?])? in
            if case .codes(let c, let s) = v { return (k, c, s) }
            return nil
        }
        let blocks = Parallel.blocks(n, minBlock: 8192)
        let box = UnsafeSendableBox(out)
        Parallel.forEach(blocks.count) { b in
            guard let start = blocks[b].first else { return }
            persona_prefault(box.value.baseAddress! + start * width, blocks[b].count * width * MemoryLayout<Float>.stride)
            (box.value.baseAddress! + start * width).initialize(repeating: 0, count: blocks[b].count * width)
            for i in blocks[b] {
                let row = box.value.baseAddress! + i * width
                for (k, v) in numeric { write(k, v[i], into: row, mode) }
                for (k, codes, slotOfCode) in oneHot {
                    let code = Int(codes[i])
                    let slot = code >= 0 ? slotOfCode[code] : code == -1 ? missingSlot(k, mode) : otherSlot(k)
                    if let slot { row[offsets[k] + slot] = 1 }
                }
            }
        }
    }
}

/// The encoder bound to a CSV file's header: where each input column sits.
public struct BoundPipeline: @unchecked Sendable {
    public let encoder: RowEncoder
    public let file: String
    let indices: [Int]
    public var pipeline: FeaturePipeline { encoder.pipeline }
    public var width: Int { encoder.width }

    public init(_ pipeline: FeaturePipeline, header: [String], file: String) throws {
        try self.init(RowEncoder(pipeline), header: header, file: file)
    }

    public init(_ encoder: RowEncoder, header: [String], file: String) throws {
        self.encoder = encoder
        self.file = file
        var missing: [String] = []
        for c in encoder.pipeline.columns where !header.contains(c.source) && !missing.contains(c.source) { missing.append(c.source) }
        if !missing.isEmpty {
            throw PersonaError.data(file: file, line: 1,
                                    "the model needs column\(missing.count > 1 ? "s" : "") \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), missing from the header",
                                    fix: "Score a file with the same columns the model was trained on (see `persona inspect MODEL`)")
        }
        indices = encoder.pipeline.columns.map { c in header.firstIndex(of: c.source)! }
    }

    /// Writes the encoded features of one record into `out` (width values).
    func encode(_ rec: CSVRecord, into out: UnsafeMutablePointer<Float>, mode: RowEncoder.Mode = .features) throws {
        for k in 0..<indices.count {
            let j = indices[k]
            let ok = rec.withField(j) { encoder.encodeField(k, $0, into: out, mode) }
            if !ok {
                let c = encoder.pipeline.columns[k]
                throw PersonaError.data(file: file, line: rec.line, column: j + 1, columnName: c.source,
                                        c.date.map { "expected a date\($0.order.map { " (\($0.rawValue))" } ?? ""), found \"\(rec.string(j))\"" }
                                            ?? "expected a number, found \"\(rec.string(j))\"",
                                        fix: "Fix the value, or leave the cell empty (or NA) to mark it missing")
            }
        }
    }
}
