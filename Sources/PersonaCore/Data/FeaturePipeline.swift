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
    /// A number computed from a date column of the input (days since, month,
    /// weekday); nil for a column read as it is.
    public var date: DateFeature?

    /// The input column this column's value is read from.
    public var source: String { date?.source ?? name }

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
        case date
    }
}

/// A number from a date column: the days from the date to the latest date of
/// the training data (`reference`), the month (1-12) or the weekday (1 Monday
/// to 7 Sunday). Dates written with numbers are read in the column's order.
public struct DateFeature: Codable, Equatable, Sendable {
    public enum Part: String, Codable, Sendable, CaseIterable {
        case daysSince = "days_since", month, weekday
    }
    public var source: String
    public var part: Part
    /// Seconds since 1970-01-01 UTC of the latest training date (days_since).
    public var reference: Double?
    public var order: DateOrder?

    /// The number for a date (seconds since 1970-01-01 UTC).
    public func value(_ seconds: Double) -> Double {
        switch part {
        case .daysSince: return ((reference ?? seconds) - seconds) / 86_400
        case .month: return Double(civilFromDays(Int((seconds / 86_400).rounded(.down))).month)
        case .weekday:
            // 1970-01-01 was a Thursday (4).
            let day = Int((seconds / 86_400).rounded(.down))
            return Double(((day + 3) % 7 + 7) % 7 + 1)
        }
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
            try rowBuffer.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress!, mode: raw ? .raw : .features) }
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
        let indexOf = Dictionary(uniqueKeysWithValues: profile.columns.enumerated().map { ($1.name, $0) })

        if let store {
            // One pass was enough when every column was kept: fit on the kept
            // values, then encode them (the levels are known before the fit, and
            // each value code's slot does not depend on medians or scales).
            let unfitted = RowEncoder(pipeline)
            let kept = pipeline.columns.indices.map { unfitted.columnValues($0, store.columns[indexOf[pipeline.columns[$0].source]!], .features) }
            if kept.allSatisfy({ $0 != nil }) {
                let values = kept.map { $0! }
                fitNumericColumns(&pipeline, values.enumerated().compactMap { k, v in
                    if case .numbers(let f) = v { return (k, f) }
                    return nil
                }, standardize: standardize)
                let encoder = RowEncoder(pipeline)
                let storage = [Float](unsafeUninitializedCapacity: n * width) { out, count in
                    encoder.encodeColumns(values, rows: n, into: out, .features)
                    count = n * width
                }
                return (pipeline, FloatMatrix(rows: n, cols: width, storage: storage))
            }
        }
        var m = FloatMatrix(rows: n, cols: width)

        // Second pass: raw values (missing numbers as NaN), one-hot already final.
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(pipeline, header: reader.header, file: path)
        let offsets = bound.encoder.offsets
        var rec = CSVRecord()
        var row = 0, fileRow = 0
        try m.storage.withUnsafeMutableBufferPointer { out in
            while row < n, try reader.next(into: &rec) {
                defer { fileRow += 1 }
                if let fileRows, fileRows[row] != fileRow { continue }     // a row outside the subset
                try bound.encode(rec, into: out.baseAddress! + row * width, mode: .rawNumbers)
                row += 1
            }
            var numeric: [(Int, [Float])] = []
            for (k, c) in pipeline.columns.enumerated() where c.type != .categorical {
                numeric.append((k, (0..<n).map { out[$0 * width + offsets[k]] }))
            }
            fitNumericColumns(&pipeline, numeric, standardize: standardize)
            let encoder = RowEncoder(pipeline)
            for i in 0..<n { encoder.finish(out.baseAddress! + i * width) }
        }
        return (pipeline, m)
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
            if c.type == .date {
                if c.dateOrder == nil, let written = c.formats?.first(where: { $0.format.hasPrefix("dd") }) {
                    throw PersonaError.data(file: path, columnName: c.name,
                                            "dates such as \(written.example) can be day/month or month/day, and no date in the column says which",
                                            fix: "Write the dates as YYYY-MM-DD, or leave the column out with --exclude \(c.name)")
                }
                // Three numbers: days since the latest training date, month, weekday.
                for part in DateFeature.Part.allCases {
                    let feature = DateFeature(source: c.name, part: part, reference: part == .daysSince ? c.max : nil, order: c.dateOrder)
                    columns.append(PipelineColumn(name: "\(c.name)_\(part.rawValue)", type: .numeric, median: nil, missingIndicator: c.missing > 0 && part == .daysSince,
                                                  center: 0, scale: 1, levels: nil, fillValue: nil, date: feature))
                }
                continue
            }
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

    /// Fits every numeric column, in parallel across columns.
    static func fitNumericColumns(_ pipeline: inout FeaturePipeline, _ numeric: [(column: Int, values: [Float])],
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
