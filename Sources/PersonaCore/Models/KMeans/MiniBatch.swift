import Foundation

/// Mini-batch k-means that streams the CSV file in passes, for bases larger
/// than memory (Sculley, 2010, with scikit-learn's per-centre learning rate):
/// each batch is assigned to the nearest centres, and each centre moves toward
/// the mean of its batch members by count_batch / count_total. Two streamed
/// Lloyd steps follow, each moving every centre to the exact mean of its rows.
///
/// Memory holds one batch, the centres, and the initialisation sample; the
/// pipeline is fitted in one streaming pass, with medians taken from a seeded
/// sample of up to 100,000 values per column (exact below that).
public enum MiniBatchKMeans {
    public static let medianSample = 100_000
    /// Streamed Lloyd steps after the mini-batch passes.
    public static let refinementPasses = 2

    /// Fits the pipeline in one streaming pass and keeps a seeded sample of rows (raw encodings).
    static func streamingPipeline(path: String, profile: DataProfile, selection: ColumnSelection, standardize: Bool,
                                  delimiter: UInt8, sampleRows: Int, seed: UInt64) throws -> (FeaturePipeline, FloatMatrix) {
        var pipeline = FeaturePipeline(columns: try FeaturePipeline.unfittedColumns(path: path, profile: profile, selection: selection, reserved: []),
                                       standardize: standardize)
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(pipeline, header: reader.header, file: path)
        let w = bound.width
        let offsets = pipeline.columnOffsets
        let numeric = pipeline.columns.indices.filter { pipeline.columns[$0].type != .categorical }
        var reservoirs = [[Float]](repeating: [], count: pipeline.columns.count)
        var seen = [Int](repeating: 0, count: pipeline.columns.count)
        var shift = [Double](repeating: .nan, count: pipeline.columns.count)
        var sum = [Double](repeating: 0, count: pipeline.columns.count), sumSq = sum
        var rng = PersonaRandom(seed: seed, stream: 0xA11)
        var sample = [Float](), sampleCount = 0
        var row = [Float](repeating: 0, count: w)
        var rec = CSVRecord()
        while try reader.next(into: &rec) {
            try row.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress!, raw: true) }
            for c in numeric {
                let v = row[offsets[c]]
                if v.isNaN { continue }
                seen[c] += 1
                if reservoirs[c].count < medianSample { reservoirs[c].append(v) }
                else { let j = rng.below(seen[c]); if j < medianSample { reservoirs[c][j] = v } }
                if shift[c].isNaN { shift[c] = Double(v) }
                let d = Double(v) - shift[c]
                sum[c] += d; sumSq[c] += d * d
            }
            // Reservoir of whole rows for the k-means++ start.
            sampleCount += 1
            if sampleCount <= sampleRows { sample.append(contentsOf: row) }
            else { let j = rng.below(sampleCount); if j < sampleRows { for t in 0..<w { sample[j * w + t] = row[t] } } }
        }
        let n = Double(reader.recordsRead)
        for c in numeric {
            let median = Statistics.median(&reservoirs[c])
            pipeline.columns[c].median = median
            if standardize {
                // Imputed column: the present values plus (n − present) copies of the median.
                let missing = n - Double(seen[c])
                let s = shift[c].isNaN ? median : shift[c]
                let dm = median - s
                let total = sum[c] + missing * dm, totalSq = sumSq[c] + missing * dm * dm
                let mean = total / n
                let variance = max(0, totalSq / n - mean * mean)
                pipeline.columns[c].center = s + mean
                let sd = variance.squareRoot()
                pipeline.columns[c].scale = sd > 0 && sd.isFinite ? sd : 1
            }
        }
        // The sample, now through the fitted imputation and scaling.
        let rows = sample.count / max(1, w)
        var x = FloatMatrix(rows: rows, cols: w, storage: sample)
        for c in numeric {
            let col = pipeline.columns[c], o = offsets[c]
            let fill = Float(col.median ?? 0)
            for i in 0..<rows {
                let v = x.storage[i * w + o]
                x.storage[i * w + o] = FeaturePipeline.scaled(v.isNaN ? fill : v, col.center, col.scale)
            }
        }
        return (pipeline, x)
    }

    /// Streams batches of encoded rows through `body`.
    static func forEachBatch(path: String, pipeline: FeaturePipeline, delimiter: UInt8, batchSize: Int,
                             _ body: (FloatMatrix) -> Void) throws {
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let bound = try BoundPipeline(pipeline, header: reader.header, file: path)
        let w = bound.width
        var batch = FloatMatrix(rows: batchSize, cols: w)
        var rec = CSVRecord()
        while true {
            var m = 0
            while m < batchSize, try reader.next(into: &rec) {
                try batch.storage.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress! + m * w) }
                m += 1
            }
            if m == 0 { break }
            body(m == batchSize ? batch : FloatMatrix(rows: m, cols: w, storage: Array(batch.storage[0..<(m * w)])))
            if m < batchSize { break }
        }
    }

    public static func train(path: String, config: KMeansConfig, selection: ColumnSelection, batchSize: Int, passes: Int,
                             delimiter: UInt8, progress: ProgressHandler?) throws -> KMeansModel {
        guard batchSize >= 1 else { throw PersonaError("--batch-size must be at least 1 (got \(batchSize))") }
        guard passes >= 1 else { throw PersonaError("--passes must be at least 1 (got \(passes))") }
        let start = Date()
        let profile = try Profiler.profile(path: path, delimiter: delimiter)
        try config.validate(rows: profile.rows)
        let initRows = min(profile.rows, max(3 * batchSize, 3 * config.k))
        let (pipeline, sample) = try streamingPipeline(path: path, profile: profile, selection: selection, standardize: config.standardize,
                                                       delimiter: delimiter, sampleRows: initRows, seed: config.seed)
        progress?("profiled and fitted the pipeline on \(profile.rows) rows in \(String(format: "%.3f", Date().timeIntervalSince(start))) s; k-means++ on a sample of \(sample.rows)")
        // Start: the best of at least three k-means++ starts, each polished by Lloyd
        // on the sample; cheap next to a pass over the file, and it steers clear of
        // the poorer local optima a single start can land in.
        var startConfig = config
        startConfig.maxIterations = 50
        startConfig.restarts = max(3, config.restarts)
        var centres = try KMeans.fit(sample, config: startConfig).centres
        let k = config.k, d = pipeline.width
        var counts = [Double](repeating: 0, count: k)
        var converged = false
        var done = 0
        let tol = KMeans.scaledTolerance(sample, config.tolerance)
        for pass in 1...passes {
            let before = centres
            try forEachBatch(path: path, pipeline: pipeline, delimiter: delimiter, batchSize: batchSize) { batch in
                let a = KMeansKernels.assign(batch, centres: centres)
                for c in 0..<k where a.counts[c] > 0 {
                    counts[c] += Double(a.counts[c])
                    let rate = Double(a.counts[c]) / counts[c]
                    for j in 0..<d {
                        let mean = a.sums[c * d + j] / Double(a.counts[c])
                        centres[c, j] = Float(Double(centres[c, j]) + rate * (mean - Double(centres[c, j])))
                    }
                }
            }
            var shift = 0.0
            for t in centres.storage.indices { let v = Double(centres.storage[t] - before.storage[t]); shift += v * v }
            done = pass
            progress?("pass \(pass)/\(passes): centres moved \(formatNumber(shift.squareRoot(), digits: 3))")
            if shift <= tol { converged = true; break }
        }
        // Then full Lloyd steps, streamed: each pass assigns every row and moves each
        // centre to the exact mean of its rows, which can only lower the inertia.
        // The last pass also gives the training inertia and segment sizes.
        var inertia = 0.0
        var sizes = [Int](repeating: 0, count: k)
        for step in 0...Self.refinementPasses {
            inertia = 0
            sizes = [Int](repeating: 0, count: k)
            var sums = [Double](repeating: 0, count: k * d)
            try forEachBatch(path: path, pipeline: pipeline, delimiter: delimiter, batchSize: max(batchSize, 8192)) { batch in
                let a = KMeansKernels.assign(batch, centres: centres)
                inertia += a.inertia
                for c in 0..<k { sizes[c] += a.counts[c] }
                for t in sums.indices { sums[t] += a.sums[t] }
            }
            if step == Self.refinementPasses { break }
            for c in 0..<k where sizes[c] > 0 {
                for j in 0..<d { centres[c, j] = Float(sums[c * d + j] / Double(sizes[c])) }
            }
            progress?("refinement pass \(step + 1)/\(Self.refinementPasses): inertia \(formatNumber(inertia))")
        }
        progress?("fitted mini-batch k-means in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        var hyper = try JSONValue(encoding: config)
        if case .object(var o) = hyper { o["batch_size"] = .number(Double(batchSize)); o["passes"] = .number(Double(passes)); hyper = .object(o) }
        let card = ModelCard(kind: KMeansModel.kind, pipeline: pipeline, hyperparameters: hyper,
                             trainingMetrics: .object(["inertia": .number(inertia), "iterations": .number(Double(done)),
                                                       "converged": .bool(converged), "cluster_sizes": .array(sizes.map { .number(Double($0)) })]),
                             trainingData: DataFingerprintInfo(file: (path as NSString).lastPathComponent, rows: profile.rows,
                                                               columns: profile.columns.count, hash: profile.fingerprint))
        return KMeansModel(card: card, centres: centres, clusterSizes: sizes)
    }
}
