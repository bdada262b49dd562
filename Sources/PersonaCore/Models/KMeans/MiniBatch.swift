import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mini-batch k-means that streams the CSV file in passes, for bases larger
/// than memory (Sculley, 2010, with scikit-learn's per-centre learning rate):
/// each batch is assigned to the nearest centres, and each centre moves toward
/// the mean of its batch members by count_batch / count_total. Two streamed
/// Lloyd steps follow, each moving every centre to the exact mean of its rows.
///
/// Memory holds one batch, the centres, and the initialisation sample; the
/// pipeline is fitted in one streaming pass, with medians taken from a seeded
/// sample of up to 100,000 values per column (exact below that). That pass
/// also writes the encoded rows to a temporary binary file (4 bytes per
/// feature and row), so later passes read Float32 blocks instead of parsing
/// the CSV again; the file is deleted at the end.
public enum MiniBatchKMeans {
    public static let medianSample = 100_000
    /// Streamed Lloyd steps after the mini-batch passes.
    public static let refinementPasses = 2

    /// Fits the pipeline in one streaming pass and keeps a seeded sample of rows (raw encodings).
    static func streamingPipeline(path: String, profile: DataProfile, selection: ColumnSelection, standardize: Bool,
                                  delimiter: UInt8, sampleRows: Int, seed: UInt64, cache: RowCache) throws -> (FeaturePipeline, FloatMatrix) {
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
            try row.withUnsafeMutableBufferPointer { try bound.encode(rec, into: $0.baseAddress!, mode: .rawNumbers) }
            try cache.append(row)
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
        try cache.finish()
        // The sample, now through the fitted imputation and scaling.
        var x = FloatMatrix(rows: sample.count / max(1, w), cols: w, storage: sample)
        finishRows(&x, pipeline)
        return (pipeline, x)
    }

    /// Imputes and scales the numeric features of raw encoded rows in place.
    static func finishRows(_ x: inout FloatMatrix, _ pipeline: FeaturePipeline) {
        let encoder = RowEncoder(pipeline), w = x.cols, n = x.rows
        x.storage.withUnsafeMutableBufferPointer { p in for i in 0..<n { encoder.finish(p.baseAddress! + i * w) } }
    }

    /// Streams batches of encoded rows through `body`, from the binary cache.
    static func forEachBatch(cache: RowCache, pipeline: FeaturePipeline, batchSize: Int,
                             _ body: (FloatMatrix) -> Void) throws {
        try cache.forEachBatch(rows: batchSize) { raw in
            var x = raw
            finishRows(&x, pipeline)
            body(x)
        }
    }

    public static func train(path: String, config: KMeansConfig, selection: ColumnSelection,
                             delimiter: UInt8, progress: ProgressHandler?) throws -> KMeansModel {
        let (batchSize, passes) = (config.batchSize, config.passes)
        let start = Date()
        let profile = try Profiler.profile(path: path, delimiter: delimiter)
        try config.validate(rows: profile.rows)
        let initRows = min(profile.rows, max(3 * batchSize, 3 * config.k))
        let cache = try RowCache()
        defer { cache.remove() }
        let (pipeline, sample) = try streamingPipeline(path: path, profile: profile, selection: selection, standardize: config.standardize,
                                                       delimiter: delimiter, sampleRows: initRows, seed: config.seed, cache: cache)
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
            try forEachBatch(cache: cache, pipeline: pipeline, batchSize: batchSize) { batch in
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
            try forEachBatch(cache: cache, pipeline: pipeline, batchSize: max(batchSize, 8192)) { batch in
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
        let card = ModelCard(kind: KMeansModel.kind, pipeline: pipeline, hyperparameters: config.card,
                             trainingMetrics: .object(["inertia": .number(inertia), "iterations": .number(Double(done)),
                                                       "converged": .bool(converged), "cluster_sizes": .array(sizes.map { .number(Double($0)) })]),
                             trainingData: DataFingerprintInfo(path: path, profile: profile))
        return KMeansModel(card: card, config: config, centres: centres, clusterSizes: sizes)
    }
}

/// Encoded rows on disk: a temporary file of Float32 rows, written once and
/// read back in blocks.
final class RowCache {
    let path: String
    private var handle: UnsafeMutablePointer<FILE>?
    private(set) var width = 0
    private(set) var rows = 0

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("persona-rows-\(UUID().uuidString).f32").path
        guard let h = fopen(path, "w+b") else {
            throw PersonaError("cannot create a temporary file in \(FileManager.default.temporaryDirectory.path) (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
        }
        handle = h
    }

    deinit { remove() }

    func append(_ row: [Float]) throws {
        width = row.count
        let n = row.withUnsafeBufferPointer { fwrite($0.baseAddress, 4, row.count, handle) }
        if n != row.count { throw PersonaError("writing the temporary file \(path) failed (disk full?)") }
        rows += 1
    }

    func finish() throws { fflush(handle) }

    func forEachBatch(rows batch: Int, _ body: (FloatMatrix) throws -> Void) throws {
        guard let handle, width > 0 else { return }
        fseeko(handle, 0, SEEK_SET)
        var buffer = [Float](repeating: 0, count: batch * width)
        var left = rows
        while left > 0 {
            let m = min(batch, left)
            let got = buffer.withUnsafeMutableBufferPointer { fread($0.baseAddress, 4, m * width, handle) }
            if got != m * width { throw PersonaError("reading the temporary file \(path) failed") }
            try body(FloatMatrix(rows: m, cols: width, storage: m == batch ? buffer : Array(buffer[0..<(m * width)])))
            left -= m
        }
    }

    func remove() {
        if let h = handle { fclose(h); handle = nil }
        unlink(path)
    }
}
