import Foundation

/// A fitted k-means segmentation: the centres live in the pipeline's encoded
/// space; `segment` for a row is its nearest centre.
public struct KMeansModel: RowModel, RowScoring {
    public static let kind = "kmeans"
    public static let title = "k-means segmentation"

    public var card: ModelCard { didSet { segmentNames = Self.segmentNames(card, k: k) } }
    public let config: KMeansConfig
    public var centres: FloatMatrix
    public var clusterSizes: [Int]

    public var k: Int { centres.rows }

    /// Names given with `persona label`, by segment (nil where none): read from
    /// the card once (and again whenever the card changes), never per row.
    public private(set) var segmentNames: [String?] = []

    static func segmentNames(_ card: ModelCard, k: Int) -> [String?] {
        let names = card.details["segment_names"]?.object ?? [:]
        return (0..<k).map { names[String($0)]?.string }
    }

    /// Names segment `segment` (an empty name removes it).
    public mutating func setName(_ name: String, segment: Int) throws {
        guard (0..<k).contains(segment) else {
            throw PersonaError("--segment \(segment) does not exist; this model has segments 0 to \(k - 1)")
        }
        var details = card.details.object ?? [:]
        var names = details["segment_names"]?.object ?? [:]
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        names[String(segment)] = trimmed.isEmpty ? nil : .string(trimmed)
        details["segment_names"] = .object(names)
        card.details = .object(details)
    }

    public init(card: ModelCard, config: KMeansConfig, centres: FloatMatrix, clusterSizes: [Int]) {
        self.card = card
        self.config = config
        self.centres = centres
        self.clusterSizes = clusterSizes
        self.segmentNames = Self.segmentNames(card, k: centres.rows)
    }

    public init(card: ModelCard, tensors: [String: Tensor], path: String) throws {
        guard let t = tensors["centroids"], let values = t.floats, t.shape.count == 2,
              let sizes = tensors["cluster_sizes"]?.int64s, sizes.count == t.shape[0] else {
            throw PersonaError("\(path): corrupted k-means model (the centroids or cluster_sizes tensor is missing or malformed)")
        }
        guard t.shape[1] == card.pipeline.width else {
            throw PersonaError("\(path): corrupted k-means model (centroids have \(t.shape[1]) features, the pipeline makes \(card.pipeline.width))")
        }
        self.card = card
        self.config = try KMeansConfig(card: card.hyperparameters, file: path)
        self.centres = FloatMatrix(rows: t.shape[0], cols: t.shape[1], storage: values)
        self.clusterSizes = sizes.map { Int($0) }
        self.segmentNames = Self.segmentNames(card, k: t.shape[0])
    }

    public func tensors() -> [String: Tensor] {
        ["centroids": Tensor(centres.storage, shape: [centres.rows, centres.cols]),
         "cluster_sizes": Tensor(clusterSizes.map { Int64($0) }, shape: [clusterSizes.count])]
    }

    /// Nearest centre and the Euclidean distance to it, per row.
    public func assign(_ x: FloatMatrix) -> (segments: [Int32], squaredDistances: [Float], inertia: Double) {
        let a = KMeansKernels.assign(x, centres: centres, accumulate: false)
        return (a.labels, a.distances, a.inertia)
    }

    public func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        let a = assign(batch)
        var columns = [ScoreColumn(name: "segment", values: a.segments.map { Double($0) }, isInteger: true)]
        let names = segmentNames
        if names.contains(where: { $0 != nil }) {
            columns.append(ScoreColumn(name: "segment_name", values: a.segments.map { Double($0) },
                                       labels: a.segments.map { names[Int($0)] ?? "" }))
        }
        columns.append(ScoreColumn(name: "distance", values: a.squaredDistances.map { Double($0).squareRoot() }))
        return columns
    }

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        try evaluate(encoded: card.pipeline.transform(path: path, delimiter: options.delimiter).matrix, options: options)
    }

    public func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation {
        try evaluate(encoded: card.pipeline.transform(data).matrix, options: options)
    }

    func evaluate(encoded x: FloatMatrix, options: EvaluationOptions) throws -> Evaluation {
        let metrics = evaluate(x, options: options)
        var evaluation = Evaluation(task: .segmentation, metrics: metrics, text: Self.render(metrics, model: self))
        evaluation.rows = .encoded(x)
        return evaluation
    }

    /// Clustering metrics of encoded rows.
    public func evaluate(_ x: FloatMatrix, options: EvaluationOptions) -> JSONValue {
        let a = assign(x)
        var sizes = [Int](repeating: 0, count: k)
        for s in a.segments { sizes[Int(s)] += 1 }
        let sil = ClusteringMetrics.silhouette(x, labels: a.segments, sample: options.silhouetteSample, seed: options.seed)
        func num(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
        return JSONValue.object([
            "kind": .string(Self.kind),
            "rows": .number(Double(x.rows)),
            "k": .number(Double(k)),
            "inertia": .number(a.inertia),
            "silhouette": num(sil.score),
            "silhouette_sample": .number(Double(sil.rows)),
            "davies_bouldin": num(ClusteringMetrics.daviesBouldin(x, labels: a.segments, k: k)),
            "calinski_harabasz": num(ClusteringMetrics.calinskiHarabasz(x, labels: a.segments, k: k)),
            "cluster_sizes": .array(sizes.map { .number(Double($0)) }),
        ])
    }

    static func render(_ metrics: JSONValue, model: KMeansModel) -> String {
        var lines: [String] = []
        let o = metrics.object ?? [:]
        lines.append("\(o["rows"]?.int ?? 0) rows, \(model.k) segments")
        for key in ["inertia", "silhouette", "davies_bouldin", "calinski_harabasz"] {
            let v = o[key]?.double.map { formatNumber($0, digits: 6) } ?? "n/a (needs 2 or more segments)"
            lines.append(key.padding(toLength: 20, withPad: " ", startingAt: 0) + v)
        }
        if let sizes = o["cluster_sizes"]?.array?.compactMap(\.int) {
            let total = max(1, sizes.reduce(0, +))
            let widest = max(1, sizes.max() ?? 1)
            lines.append("segment sizes:")
            for (i, s) in sizes.enumerated() {
                let bar = String(repeating: "█", count: Int((Double(s) / Double(widest) * 30).rounded()))
                let share = formatNumber(Double(s) / Double(total) * 100, digits: 3) + "%"
                lines.append("  " + String(i).leftPadded(3) + "  " + String(s).leftPadded(8) + "  " + share.leftPadded(6) + "  " + bar)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Each centre in original units: numbers un-standardised, categories as the
    /// share of the segment in each level.
    public func centreInOriginalUnits(_ c: Int) -> [(feature: String, value: String)] {
        var out: [(String, String)] = []
        for (col, offset) in zip(card.pipeline.columns, card.pipeline.columnOffsets) {
            switch col.type {
            case .categorical:
                let levels = (col.levels ?? []) + ["<other>"]
                var shares: [(String, Float)] = []
                for (t, l) in levels.enumerated() { shares.append((l, centres[c, offset + t])) }
                let top = shares.sorted { $0.1 > $1.1 }.prefix(3).filter { $0.1 > 0.005 }
                out.append((col.name, top.map { "\($0.0) \(Int(($0.1 * 100).rounded()))%" }.joined(separator: ", ")))
            default:
                let v = Double(centres[c, offset]) * col.scale + col.center
                out.append((col.name, formatNumber(v)))
            }
        }
        return out
    }

    public func summary() -> String {
        var lines: [String] = []
        let total = max(1, clusterSizes.reduce(0, +))
        lines.append("\(k) segments over \(card.pipeline.columns.count) input columns (\(card.pipeline.width) encoded features)")
        if let inertia = card.trainingMetrics["inertia"]?.double {
            lines.append("training inertia \(formatNumber(inertia)), \(card.trainingMetrics["iterations"]?.int ?? 0) iterations, converged: \(card.trainingMetrics["converged"] == .bool(true) ? "yes" : "no")")
        }
        lines.append("")
        lines.append("segment centres in original units:")
        for c in 0..<k {
            let share = Double(clusterSizes[c]) / Double(total) * 100
            let name = segmentNames[c].map { " \"\($0)\"" } ?? ""
            lines.append("  segment \(c)\(name): \(clusterSizes[c]) rows (\(formatNumber(share, digits: 3))%)")
            for (f, v) in centreInOriginalUnits(c) { lines.append("    \(f): \(v)") }
        }
        return lines.joined(separator: "\n")
    }

    /// Trains on a CSV file: read it into memory and fit, or with the mini-batch
    /// algorithm stream it in passes.
    public static func train(path: String, config: KMeansConfig, selection: ColumnSelection,
                             delimiter: UInt8 = UInt8(ascii: ","), progress: ProgressHandler? = nil) throws -> KMeansModel {
        if config.algorithm == .minibatch {
            return try MiniBatchKMeans.train(path: path, config: config, selection: selection, delimiter: delimiter, progress: progress)
        }
        try config.validate()
        let start = Date()
        let data = try TrainingSet.read(path: path, delimiter: delimiter)
        progress?("read \(data.rows) rows, \(data.profile.columns.count) columns in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        return try fit(data, config: config, selection: selection, progress: progress)
    }

    /// Fits the pipeline on the rows, runs k-means, builds the card. (The
    /// mini-batch algorithm is for files larger than memory; on rows already in
    /// memory it is Lloyd's.)
    public static func fit(_ data: TrainingSet, config: KMeansConfig, selection: ColumnSelection,
                           progress: ProgressHandler? = nil) throws -> KMeansModel {
        try config.validate(rows: data.rows)
        let readStart = Date()
        let (pipeline, x) = try FeaturePipeline.fit(data, selection: selection, standardize: config.standardize)
        let profile = data.profile, path = data.file, delimiter = data.delimiter
        progress?("\(pipeline.columns.count) columns -> \(x.cols) features in \(String(format: "%.3f", Date().timeIntervalSince(readStart))) s")
        var start: FloatMatrix? = nil
        if case .file(let initPath) = config.initialization {
            let (m, _) = try pipeline.transform(path: try Inputs.resolve(initPath), delimiter: delimiter)
            if m.rows != config.k {
                let (rows, k) = (m.rows, config.k)
                throw ParameterError(KMeansConfig.names("k", "init")) {
                    "\($0[0]) is \(k) but \($0[1]) \(initPath) holds \(rows) starting centres. Give one row per centre, or set \($0[0]) \(rows)"
                }
            }
            start = m
        }
        let fitStart = Date()
        let result = try KMeans.fit(x, config: config, initialCentres: start, progress: progress)
        progress?("fitted k-means in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s")
        let card = ModelCard(
            kind: kind, pipeline: pipeline,
            hyperparameters: config.card,
            trainingMetrics: .object([
                "inertia": .number(result.inertia),
                "iterations": .number(Double(result.iterations)),
                "converged": .bool(result.converged),
                "cluster_sizes": .array(result.sizes.map { .number(Double($0)) }),
            ]),
            trainingData: DataFingerprintInfo(path: path, profile: profile))
        return KMeansModel(card: card, config: config, centres: result.centres, clusterSizes: result.sizes)
    }
}
