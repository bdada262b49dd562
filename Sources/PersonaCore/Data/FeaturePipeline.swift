import CPersonaKernels
/// One raw input column of the pipeline and everything fitted for it.
public struct PipelineColumn: Codable, Equatable, Sendable {
    public var name: String
    public var type: ColumnType
    /// Numeric and boolean: the training median, used for missing values.
    public var median: Double?
    /// Numeric and boolean: whether a 0/1 "was missing" feature follows the value.
    public var missingIndicator: Bool
    /// Numeric and boolean: value' = (value - center) / scale (0 and 1 without standardisation).
    public var center: Double
    public var scale: Double
    /// Categorical: the one-hot levels, most frequent first. A final extra feature
    /// takes categories never seen in training (and rare ones beyond the cap).
    public var levels: [String]?
    /// Categorical: the value used for missing cells (the most frequent level).
    public var fillValue: String?

    /// Categorical: the one-hot position a missing value takes (the fill
    /// level's, or the unseen bucket's when there is none).
    public var fillIndex: Int {
        let levels = self.levels ?? []
        return fillValue.flatMap { levels.firstIndex(of: $0.trimmingASCIISpaces()) } ?? levels.count
    }

    enum CodingKeys: String, CodingKey {
        case name, type, median, center, scale, levels
        case missingIndicator = "missing_indicator"
        case fillValue = "fill_value"
    }
}

/// The fitted feature pipeline stored in every model: column selection,
/// imputation (median plus a missing indicator for numbers, the most frequent
/// level for categories), one-hot encoding with a bucket for unseen levels, and
/// standardisation. Scoring applies exactly this, nothing refitted.
public struct FeaturePipeline: Codable, Equatable, Sendable {
    public static let maxLevels = 100
    public static let unseenSuffix = "=<other>"

    public var columns: [PipelineColumn]
    public var standardize: Bool

    /// Names of the encoded features, in matrix column order.
    public var featureNames: [String] {
        var names: [String] = []
        for c in columns {
            switch c.type {
            case .categorical:
                for l in c.levels ?? [] { names.append("\(c.name)=\(l)") }
                names.append(c.name + Self.unseenSuffix)
            default:
                names.append(c.name)
                if c.missingIndicator { names.append(c.name + "_missing") }
            }
        }
        return names
    }

    public var width: Int { featureNames.count }

    /// The scaled value of a raw number. Training and scoring both come through
    /// here, on the Float32-rounded input, so they agree bit for bit.
    @inline(__always) static func scaled(_ raw: Float, _ center: Double, _ scale: Double) -> Float {
        Float((Double(raw) - center) / scale)
    }
}

/// Which columns become features.
public struct ColumnSelection: Equatable, Sendable {
    public var features: [String]?
    public var exclude: [String]
    public init(features: [String]? = nil, exclude: [String] = []) {
        self.features = features
        self.exclude = exclude
    }
}

/// A pipeline bound to a file's header: where each input column sits.
public struct BoundPipeline: @unchecked Sendable {
    public let pipeline: FeaturePipeline
    public let file: String
    let indices: [Int]
    let offsets: [Int]
    public let width: Int
    // Per pipeline column, flattened so encoding a row copies no column struct.
    private let isCategorical: [Bool]
    private let isBoolean: [Bool]
    private let medians: [Double]
    private let centers: [Double]
    private let scales: [Double]
    private let indicators: [Bool]
    private let levelCounts: [Int]
    /// Categorical columns: level bytes to level index, looked up without making a String.
    private let levelTables: [ByteCounter]
    private let fillIndex: [Int]

    public init(_ pipeline: FeaturePipeline, header: [String], file: String) throws {
        self.pipeline = pipeline
        self.file = file
        let missing = pipeline.columns.map(\.name).filter { !header.contains($0) }
        if !missing.isEmpty {
            throw PersonaError.data(file: file, line: 1,
                                    "the model needs column\(missing.count > 1 ? "s" : "") \(missing.map { "\"\($0)\"" }.joined(separator: ", ")), missing from the header",
                                    fix: "Score a file with the same columns the model was trained on (see `persona inspect MODEL`)")
        }
        indices = pipeline.columns.map { c in header.firstIndex(of: c.name)! }
        levelTables = pipeline.columns.map { c in
            var t = ByteCounter()
            for l in c.levels ?? [] { var l = l; l.withUTF8 { _ = t.add($0) } }
            return t
        }
        fillIndex = pipeline.columns.map(\.fillIndex)
        isCategorical = pipeline.columns.map { $0.type == .categorical }
        isBoolean = pipeline.columns.map { $0.type == .boolean }
        medians = pipeline.columns.map { $0.median ?? 0 }
        centers = pipeline.columns.map(\.center)
        scales = pipeline.columns.map(\.scale)
        indicators = pipeline.columns.map(\.missingIndicator)
        levelCounts = pipeline.columns.map { $0.levels?.count ?? 0 }
        var offs: [Int] = []
        var w = 0
        for c in pipeline.columns {
            offs.append(w)
            w += c.type == .categorical ? (c.levels?.count ?? 0) + 1 : (c.missingIndicator ? 2 : 1)
        }
        offsets = offs
        width = w
    }

    /// Writes the encoded features of one record into `out` (width values).
    /// `raw` mode leaves numbers unimputed (NaN) and unscaled, for fitting.
    /// With `missingCategories`, a missing category leaves its one-hot block all zero
    /// instead of taking the most frequent level (trees route missing values themselves).
    func encode(_ rec: CSVRecord, into out: UnsafeMutablePointer<Float>, raw: Bool = false, missingCategories: Bool = false) throws {
        for k in 0..<indices.count {
            let j = indices[k]
            let o = offsets[k]
            if isCategorical[k] {
                let n = levelCounts[k]
                for t in 0...n { out[o + t] = 0 }
                let slot: Int? = rec.withField(j) { f -> Int? in
                    if MissingMarkers.isMissing(f) { return missingCategories ? nil : fillIndex[k] }
                    return levelTables[k].find(trimmedSpaces(f)) ?? n
                }
                if let slot { out[o + slot] = 1 }
                continue
            }
            let boolean = isBoolean[k]
            let parsed: Double?? = rec.withField(j) { f -> Double?? in
                if MissingMarkers.isMissing(f) { return .some(nil) }
                if let v = NumberParser.parse(f) { return .some(v) }
                if boolean, let b = BooleanWords.value(f) { return .some(b ? 1 : 0) }
                return nil
            }
            guard let value = parsed else {
                throw PersonaError.data(file: file, line: rec.line, column: j + 1, columnName: pipeline.columns[k].name,
                                        "expected a number, found \"\(rec.string(j))\"",
                                        fix: "Fix the value, or leave the cell empty (or NA) to mark it missing")
            }
            if raw {
                out[o] = value.map { Float($0) } ?? .nan
            } else {
                out[o] = FeaturePipeline.scaled(Float(value ?? medians[k]), centers[k], scales[k])
            }
            if indicators[k] { out[o + 1] = value == nil ? 1 : 0 }
        }
    }
}

extension FeaturePipeline {
    /// Reads a whole CSV file through the fitted pipeline into a Float32 matrix.
    public func transform(path: String, delimiter: UInt8 = UInt8(ascii: ","),
                          keep: [String] = [], raw: Bool = false) throws -> (matrix: FloatMatrix, kept: [[String]]) {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(self, header: reader.header, file: path)
        let keepIdx = try keep.map { name -> Int in
            guard let i = reader.columnIndex(name) else {
                throw PersonaError.data(file: path, line: 1, columnName: name, "no such column in the header",
                                        fix: "Columns are: \(reader.header.joined(separator: ", "))")
            }
            return i
        }
        var m = FloatMatrix(rows: 0, cols: bound.width)
        var kept: [[String]] = keep.map { _ in [] }
        var rowBuffer = [Float](repeating: 0, count: bound.width)
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            try rowBuffer.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress!, raw: raw, missingCategories: raw) }
            m.appendRow(rowBuffer)
            for (t, i) in keepIdx.enumerated() { kept[t].append(rec.string(i)) }
        }
        if reader.recordsRead == 0 {
            throw PersonaError.data(file: path, "the file has a header but no data rows", fix: "Add at least one row of data")
        }
        return (m, kept)
    }

    /// Chooses the feature columns, fits the pipeline and returns the encoded training matrix.
    public static func fit(path: String, profile: DataProfile, selection: ColumnSelection,
                           reserved: [String] = [], standardize: Bool = true,
                           delimiter: UInt8 = UInt8(ascii: ",")) throws -> (pipeline: FeaturePipeline, matrix: FloatMatrix) {
        try fit(path: path, profile: profile, store: nil, selection: selection, reserved: reserved,
                standardize: standardize, delimiter: delimiter)
    }

    /// Profiles the file and fits the pipeline, reading the file once when it can.
    public static func profileAndFit(path: String, selection: ColumnSelection, reserved: [String] = [],
                                     standardize: Bool = true, delimiter: UInt8 = UInt8(ascii: ","),
                                     check: (DataProfile) throws -> Void = { _ in })
        throws -> (profile: DataProfile, pipeline: FeaturePipeline, matrix: FloatMatrix) {
        let r = try profileAndFit(path: path, selection: selection, reserved: reserved, standardize: standardize,
                                  delimiter: delimiter, extract: nil, check: check)
        return (r.profile, r.pipeline, r.matrix)
    }

    /// The same, also returning the labels of one more column (a target), from
    /// the same read when possible: nil marks a missing value, and integral
    /// numbers are written without a fraction ("1", not "1.0").
    public static func profileAndFit(path: String, selection: ColumnSelection, reserved: [String] = [],
                                     standardize: Bool = true, delimiter: UInt8 = UInt8(ascii: ","),
                                     extract: String?, check: (DataProfile) throws -> Void = { _ in })
        throws -> (profile: DataProfile, pipeline: FeaturePipeline, matrix: FloatMatrix, extracted: [String?]?) {
        var (profile, store) = try Profiler.profileKeepingValues(path: path, delimiter: delimiter, keep: true)
        try check(profile)
        var extracted: [String?]? = nil
        if let extract {
            guard let j = profile.columns.firstIndex(where: { $0.name == extract }) else {
                throw PersonaError.data(file: path, line: 1, columnName: extract, "the target column is not in the header",
                                        fix: "Columns are: \(profile.columns.map(\.name).joined(separator: ", "))")
            }
            extracted = try store!.columns[j].labels() ?? BinaryTarget.labels(of: extract, path: path, delimiter: delimiter)
        }
        let (pipeline, matrix) = try fit(path: path, profile: profile, store: store, selection: selection,
                                         reserved: reserved, standardize: standardize, delimiter: delimiter)
        store = nil
        return (profile, pipeline, matrix, extracted)
    }

    /// Chooses the feature columns of a training set, fits the pipeline on its
    /// rows and returns their encoded matrix.
    public static func fit(_ data: TrainingSet, selection: ColumnSelection, reserved: [String] = [],
                           standardize: Bool = true) throws -> (pipeline: FeaturePipeline, matrix: FloatMatrix) {
        if let whole = data.pipelineBasis?.set {
            let (pipeline, _) = try fit(whole, selection: selection, reserved: reserved, standardize: standardize)
            return (pipeline, try pipeline.transform(data).matrix)
        }
        return try fit(path: data.file, profile: data.profile, store: data.store, selection: selection, reserved: reserved,
                       standardize: standardize, delimiter: data.delimiter, fileRows: data.fileRows)
    }

    static func fit(path: String, profile: DataProfile, store: ColumnStore?, selection: ColumnSelection,
                    reserved: [String], standardize: Bool,
                    delimiter: UInt8, fileRows: [Int]? = nil) throws -> (pipeline: FeaturePipeline, matrix: FloatMatrix) {
        let columns = try unfittedColumns(path: path, profile: profile, selection: selection, reserved: reserved)
        var pipeline = FeaturePipeline(columns: columns, standardize: standardize)
        let width = pipeline.width
        let n = profile.rows
        let offsets = pipeline.columnOffsets
        let indexOf = Dictionary(uniqueKeysWithValues: profile.columns.enumerated().map { ($1.name, $0) })

        if let store, pipeline.columns.allSatisfy({ canBuild($0, store.columns[indexOf[$0.name]!]) }) {
            // One pass was enough: build the matrix from the kept column values.
            var numeric: [(Int, Int, [Float])] = []
            var oneHot: [OneHot] = []
            for (k, c) in pipeline.columns.enumerated() {
                let col = store.columns[indexOf[c.name]!]
                let o = offsets[k]
                if c.type == .categorical {
                    let levels = c.levels ?? []
                    var levelIndex: [String: Int] = [:]
                    for (t, l) in levels.enumerated() { levelIndex[l] = t }
                    let codeToLevel = (0..<col.counter.distinct).map { levelIndex[col.counter.value($0)] ?? levels.count }
                    oneHot.append(OneHot(offset: o, slotOfCode: codeToLevel, missing: c.fillIndex, other: levels.count, codes: col.codes!))
                } else {
                    var values: [Float]
                    if let f = col.floats { values = f } else {
                        // boolean words (yes/no, true/false) kept as codes
                        let words = (0..<col.counter.distinct).map { BooleanWords.value(col.counter.value($0)).map { $0 ? Float(1) : 0 } ?? .nan }
                        values = col.codes!.map { $0 >= 0 ? words[Int($0)] : .nan }
                    }
                    numeric.append((k, o, values))
                }
            }
            fitNumericColumns(&pipeline, numeric, standardize: standardize)
            // Every row written once, in row blocks on every core (each block
            // zeroes its own rows first, so no thread clears the whole matrix).
            let storage = [Float](unsafeUninitializedCapacity: n * width) { out, count in
                writeRows(numeric, oneHot, pipeline: pipeline, out: out, rows: n, width: width, clear: true)
                count = n * width
            }
            return (pipeline, FloatMatrix(rows: n, cols: width, storage: storage))
        }
        var m = FloatMatrix(rows: n, cols: width)

        // Second pass: raw values (missing numbers as NaN), one-hot already final.
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(pipeline, header: reader.header, file: path)
        var rec = CSVRecord()
        var row = 0, fileRow = 0
        try m.storage.withUnsafeMutableBufferPointer { out in
            while row < n, try reader.next(into: &rec) {
                defer { fileRow += 1 }
                if let fileRows, fileRows[row] != fileRow { continue }     // a row outside the subset
                try bound.encode(rec, into: out.baseAddress! + row * width, raw: true)
                row += 1
            }
            var numeric: [(Int, Int, [Float])] = []
            for (k, c) in pipeline.columns.enumerated() where c.type != .categorical {
                let o = offsets[k]
                let values = (0..<n).map { out[$0 * width + o] }
                numeric.append((k, o, values))
            }
            fitNumericColumns(&pipeline, numeric, standardize: standardize)
            writeRows(numeric, [], pipeline: pipeline, out: out, rows: n, width: width, clear: false)
        }
        return (pipeline, m)
    }

    /// A categorical column's one-hot block: where it starts in the row, the
    /// slot of each value code, the slots of a missing and of an unknown value.
    struct OneHot {
        var offset: Int
        var slotOfCode: [Int]
        var missing: Int
        var other: Int
        var codes: [Int32]
    }

    /// The chosen feature columns, typed and with their levels, before anything numeric is fitted.
    static func unfittedColumns(path: String, profile: DataProfile, selection: ColumnSelection,
                                reserved: [String]) throws -> [PipelineColumn] {
        let names = profile.columns.map(\.name)
        for name in (selection.features ?? []) + selection.exclude where !names.contains(name) {
            throw PersonaError.data(file: path, line: 1, columnName: name,
                                    "is named on the command line but the file has no such column",
                                    fix: "Columns are: \(names.joined(separator: ", "))")
        }
        var chosen: [ColumnProfile]
        if let features = selection.features {
            chosen = features.map { f in profile.columns.first { $0.name == f }! }
        } else {
            chosen = profile.columns.filter { $0.type != .identifier && !selection.exclude.contains($0.name) && !reserved.contains($0.name) }
        }
        chosen = chosen.filter { !selection.exclude.contains($0.name) }
        if chosen.isEmpty {
            throw PersonaError.data(file: path, "no feature columns are left to train on",
                                    fix: "Name them with --features, or exclude fewer with --exclude")
        }
        var columns: [PipelineColumn] = []
        for c in chosen {
            if c.missing == c.count {
                throw PersonaError.data(file: path, columnName: c.name,
                                        "every value is missing (\(c.count) rows), so it cannot be a feature",
                                        fix: "Fill it in, or leave it out with --exclude \(c.name)")
            }
            let textIdentifier = c.type == .identifier && !c.allIntegers
            switch c.type {
            case _ where c.type == .categorical || textIdentifier:
                let levels = c.topValues.prefix(maxLevels).map(\.value)
                columns.append(PipelineColumn(name: c.name, type: .categorical, median: nil, missingIndicator: false,
                                              center: 0, scale: 1, levels: Array(levels), fillValue: levels.first))
            default:
                columns.append(PipelineColumn(name: c.name, type: c.type == .boolean ? .boolean : .numeric, median: nil,
                                              missingIndicator: c.missing > 0, center: 0, scale: 1, levels: nil, fillValue: nil))
            }
        }
        return columns
    }

    static func canBuild(_ c: PipelineColumn, _ col: ColumnStore.Column) -> Bool {
        c.type == .categorical ? col.codes != nil : (col.floats != nil || col.codes != nil)
    }

    /// Fits every numeric column, in parallel across columns.
    static func fitNumericColumns(_ pipeline: inout FeaturePipeline, _ numeric: [(column: Int, offset: Int, values: [Float])],
                                  standardize: Bool) {
        let fitted: [PipelineColumn] = Parallel.map(numeric.count) { t in
            var c = pipeline.columns[numeric[t].column]
            fitNumeric(&c, numeric[t].values, standardize: standardize)
            return c
        }
        for (t, item) in numeric.enumerated() { pipeline.columns[item.column] = fitted[t] }
    }

    /// Fits imputation (median) and scaling for one numeric column from its raw
    /// values (NaN = missing).
    static func fitNumeric(_ c: inout PipelineColumn, _ values: [Float], standardize: Bool) {
        let n = values.count
        let median = values.withUnsafeBufferPointer { Statistics.median(present: $0) }
        c.median = median
        let fill = Float(median)
        var center = 0.0, scale = 1.0
        if standardize {
            // Two-pass mean and variance in Double: exact enough for any column
            // whose values sit far from zero, unlike the one-pass sum of squares.
            var sum = 0.0
            for v in values { sum += Double(v.isNaN ? fill : v) }
            let mean = sum / Double(n)
            var ss = 0.0
            for v in values { let d = Double(v.isNaN ? fill : v) - mean; ss += d * d }
            let std = (ss / Double(n)).squareRoot()
            center = mean
            scale = std > 0 && std.isFinite ? std : 1
        }
        c.center = center
        c.scale = scale
    }

    /// Writes the imputed, scaled numeric features (and missing indicators) and
    /// the one-hot blocks row by row, reading each column's values in order:
    /// one sequential sweep of the matrix instead of one strided sweep per
    /// column. With `clear`, each row is zeroed first (the matrix's memory is
    /// then written for the first time by the core that fills it).
    static func writeRows(_ numeric: [(column: Int, offset: Int, values: [Float])], _ oneHot: [OneHot], pipeline: FeaturePipeline,
                          out: UnsafeMutableBufferPointer<Float>, rows n: Int, width: Int, clear: Bool) {
        let params = numeric.map { item -> (Int, Float, Double, Double, Bool) in
            let c = pipeline.columns[item.column]
            return (item.offset, Float(c.median ?? 0), c.center, c.scale, c.missingIndicator)
        }
        let blocks = Parallel.blocks(n, minBlock: 8192)
        let box = UnsafeSendableBox(out)
        Parallel.forEach(blocks.count) { b in
            if clear, let start = blocks[b].first {
                persona_prefault(box.value.baseAddress! + start * width, blocks[b].count * width * MemoryLayout<Float>.stride)
                (box.value.baseAddress! + start * width).initialize(repeating: 0, count: blocks[b].count * width)
            }
            for i in blocks[b] {
                let row = box.value.baseAddress! + i * width
                for (t, p) in params.enumerated() {
                    let v = numeric[t].values[i]
                    row[p.0] = FeaturePipeline.scaled(v.isNaN ? p.1 : v, p.2, p.3)
                    if p.4 { row[p.0 + 1] = v.isNaN ? 1 : 0 }
                }
                for t in oneHot.indices {
                    let code = Int(oneHot[t].codes[i])
                    row[oneHot[t].offset + (code >= 0 ? oneHot[t].slotOfCode[code] : (code == -1 ? oneHot[t].missing : oneHot[t].other))] = 1
                }
            }
        }
    }
}

extension FeaturePipeline {
    /// Where each input column's features start in the encoded row.
    var columnOffsets: [Int] {
        var offs: [Int] = []
        var w = 0
        for c in columns {
            offs.append(w)
            w += c.type == .categorical ? (c.levels?.count ?? 0) + 1 : (c.missingIndicator ? 2 : 1)
        }
        return offs
    }
}

public enum Statistics {
    /// Median of the values (mean of the two middle ones for an even count).
    public static func median(_ values: inout [Float]) -> Double {
        values.withUnsafeBufferPointer { median(present: $0) }
    }

    /// Median of the values that are not NaN (0 when there are none), by radix
    /// selection on the values' bit patterns ordered as numbers: one pass counts
    /// the top 16 bits, one more pass over the bucket holding each middle value
    /// counts its low 16 bits. Linear, nothing copied or reordered. Zero of
    /// either sign counts as +0.
    public static func median(present values: UnsafeBufferPointer<Float>) -> Double {
        @inline(__always) func key(_ v: Float) -> UInt32 {
            let bits = (v == 0 ? Float(0) : v).bitPattern
            return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        }
        @inline(__always) func value(_ k: UInt32) -> Float {
            Float(bitPattern: k & 0x8000_0000 != 0 ? k & 0x7FFF_FFFF : ~k)
        }
        var counts = [Int32](repeating: 0, count: 1 << 16)
        var n = 0
        counts.withUnsafeMutableBufferPointer { c in
            for v in values where !v.isNaN { c[Int(key(v) >> 16)] += 1; n += 1 }
        }
        if n == 0 { return 0 }
        /// The bucket holding rank r (0-based) and the rank within it.
        func bucket(_ r: Int, _ c: UnsafeBufferPointer<Int32>) -> (Int, Int) {
            var below = 0
            for b in 0..<c.count {
                let next = below + Int(c[b])
                if r < next { return (b, r - below) }
                below = next
            }
            fatalError("rank beyond the count")
        }
        /// The keys of ranks r and s among all present values, in one pass over
        /// the values for both (the two middle ranks of an even count).
        func select(_ r: Int, _ s: Int) -> (UInt32, UInt32) {
            let (highR, rankR) = counts.withUnsafeBufferPointer { bucket(r, $0) }, (highS, rankS) = counts.withUnsafeBufferPointer { bucket(s, $0) }
            let second = highR == highS ? 0 : 1 << 16
            var low = [Int32](repeating: 0, count: second + (1 << 16))
            return low.withUnsafeMutableBufferPointer { l in
                for v in values where !v.isNaN {
                    let k = key(v), high = Int(k >> 16)
                    if high == highR { l[Int(k & 0xFFFF)] += 1 } else if high == highS { l[second + Int(k & 0xFFFF)] += 1 }
                }
                let lowR = bucket(rankR, UnsafeBufferPointer(rebasing: l[0..<(1 << 16)])).0
                let lowS = bucket(rankS, UnsafeBufferPointer(rebasing: l[second..<(second + (1 << 16))])).0
                return (UInt32(highR) << 16 | UInt32(lowR), UInt32(highS) << 16 | UInt32(lowS))
            }
        }
        if n % 2 == 1 { return Double(value(select(n / 2, n / 2).0)) }
        let (upper, lower) = select(n / 2, n / 2 - 1)
        return (Double(value(lower)) + Double(value(upper))) / 2
    }
}

extension ColumnSelection {
    /// A model cannot use its target as a feature.
    func checkTarget(_ target: String, parameter: ParameterName) throws {
        if let f = features, f.contains(target) {
            throw ParameterError(parameter, "\"\(target)\" is also among the features; a model cannot use its target as a feature")
        }
    }
}
