import XCTest
@testable import PersonaCore

final class KMeansTests: XCTestCase {
    func testHandComputedTwoClusters() throws {
        // Two obvious groups; starting from two points, Lloyd converges to the group means.
        let x = FloatMatrix([[0, 0], [0, 2], [10, 10], [10, 12], [1, 1]])
        let r = KMeans.lloyd(x, start: FloatMatrix([[0, 0], [10, 10]]), maxIterations: 50, tol: 0)
        XCTAssertEqual(r.labels, [0, 0, 1, 1, 0])
        XCTAssertEqual(r.centres.row(0).map { $0 }, [1.0 / 3, 1], accuracy: 1e-6)
        XCTAssertEqual(r.centres.row(1).map { $0 }, [10, 11], accuracy: 1e-6)
        // inertia: (1/9+1) + (1/9+1) + (4/9+0) + 1 + 1 = 4 + 2/3
        XCTAssertEqual(r.inertia, 4 + 2.0 / 3, accuracy: 1e-5)
        XCTAssertTrue(r.converged)
    }

    func testInertiaNeverIncreasesAndEmptyClustersAreReseeded() throws {
        var rng = PersonaRandom(seed: 9)
        var x = FloatMatrix(rows: 0, cols: 3)
        for i in 0..<3000 {
            let c = Float(i % 4) * 3
            x.appendRow([c + Float(rng.normal()), Float(rng.normal()), c - Float(rng.normal())])
        }
        var previous = Double.infinity
        var centres = KMeans.randomRows(x, k: 6, rng: &rng)
        for _ in 0..<15 {
            let r = KMeans.lloyd(x, start: centres, maxIterations: 1, tol: 0)
            XCTAssertLessThanOrEqual(r.inertia, previous * (1 + 1e-6))
            previous = r.inertia
            centres = r.centres
        }
        // Start with a centre far from all data: it must be re-seeded, not left empty.
        let start = FloatMatrix([[0, 0, 0], [3, 0, 3], [6, 0, 6], [1000, 1000, 1000]])
        let r = KMeans.lloyd(x, start: start, maxIterations: 100, tol: 0)
        XCTAssertTrue(r.sizes.allSatisfy { $0 > 0 }, "sizes \(r.sizes)")
    }

    func testSeededRunsAreReproducibleAndRestartsKeepTheBest() throws {
        var rng = PersonaRandom(seed: 2)
        var x = FloatMatrix(rows: 0, cols: 2)
        for i in 0..<2000 { x.appendRow([Float(i % 5) * 4 + Float(rng.normal()), Float(rng.normal())]) }
        var c = KMeansConfig(k: 5); c.seed = 3
        let a = try KMeans.fit(x, config: c), b = try KMeans.fit(x, config: c)
        XCTAssertEqual(a.centres, b.centres)
        c.restarts = 5
        let best = try KMeans.fit(x, config: c)
        XCTAssertLessThanOrEqual(best.inertia, a.inertia + 1e-9)
        c.initialization = .random
        XCTAssertNoThrow(try KMeans.fit(x, config: c))
    }

    /// The kernels that run eight rows side by side give each row the bits of a
    /// plain loop over its columns; the one-pass variance matches two passes.
    func testKernelsMatchPlainLoops() {
        var rng = PersonaRandom(seed: 21)
        for (n, d) in [(1003, 13), (517, 8), (300, 5), (7, 30), (40_000, 31)] {
            var x = FloatMatrix(rows: 0, cols: d)
            // Values far from zero, with the first row an outlier, test the shift.
            for i in 0..<n { x.appendRow((0..<d).map { j in (i == 0 ? 5000 : 1000) + Float(j) + Float(rng.normal()) * Float(1 + j % 3) }) }
            var plainNorms = [Float](repeating: 0, count: n)
            for i in 0..<n { var s: Float = 0; for j in 0..<d { let v = x[i, j]; s += v * v }; plainNorms[i] = s }
            let (norms, meanVariance) = KMeansKernels.normsAndMeanVariance(x)
            XCTAssertEqual(norms, plainNorms, "n=\(n) d=\(d)")
            XCTAssertEqual(KMeansKernels.squaredNorms(x), plainNorms, "n=\(n) d=\(d)")
            var total = 0.0
            for j in 0..<d {
                var mean = 0.0
                for i in 0..<n { mean += Double(x[i, j]) }
                mean /= Double(n)
                var q = 0.0
                for i in 0..<n { let c = Double(x[i, j]) - mean; q += c * c }
                total += q / Double(n)
            }
            XCTAssertEqual(meanVariance, total / Double(d), accuracy: 1e-9 * total / Double(d), "n=\(n) d=\(d)")
            XCTAssertEqual(KMeans.scaledTolerance(x, 1e-4), 1e-4 * meanVariance)
            // Exact distances to the chosen one of three centres, summed in column order.
            let centres = FloatMatrix([x.row(1).map { $0 }, x.row(n / 2).map { $0 }, x.row(n - 1).map { $0 }])
            let a = KMeansKernels.assign(x, centres: centres)
            var inertia = 0.0
            for i in 0..<n {
                let c = Int(a.labels[i])
                var s = 0.0
                for j in 0..<d { let diff = Double(x[i, j] - centres[c, j]); s += diff * diff }
                XCTAssertEqual(a.distances[i], Float(s))
                inertia += s
            }
            XCTAssertEqual(a.inertia, inertia, accuracy: 1e-9 * inertia)
        }
    }

    func testPlusPlusSpreadsCentresAcrossSeparatedGroups() {
        var rng = PersonaRandom(seed: 4)
        var x = FloatMatrix(rows: 0, cols: 2)
        for g in 0..<4 { for _ in 0..<250 { x.appendRow([Float(g) * 100 + Float(rng.normal()), Float(rng.normal())]) } }
        let centres = KMeans.plusPlus(x, norms: KMeansKernels.squaredNorms(x), k: 4, rng: &rng)
        let groups = Set((0..<4).map { Int((centres[$0, 0] / 100).rounded()) })
        XCTAssertEqual(groups, [0, 1, 2, 3])
    }

    func testConfigValidation() {
        var c = KMeansConfig(k: 0)
        XCTAssertThrowsParameterError(try c.validate(), naming: "k", containing: ["k must be at least 1"])
        c.k = 10
        XCTAssertThrowsParameterError(try c.validate(rows: 4), naming: "k", containing: ["k 10 is larger than the number of rows (4)"])
        c.k = 2; c.maxIterations = 0
        XCTAssertThrowsParameterError(try c.validate(), naming: "max_iter", containing: ["maxIterations must be at least 1"])
    }

    func testClusteringMetricsOnHandComputedCase() {
        // Two clusters on a line: {0, 1} and {4, 5}.
        let x = FloatMatrix([[0], [1], [4], [5]])
        let labels: [Int32] = [0, 0, 1, 1]
        // silhouette: point 0: a=1, b=mean(4,5)=4.5 -> 3.5/4.5; point 1: a=1, b=mean(3,4)=3.5 -> 2.5/3.5; symmetric.
        let expected = (3.5 / 4.5 + 2.5 / 3.5) / 2
        XCTAssertEqual(ClusteringMetrics.silhouette(x, labels: labels, sample: 100, seed: 0).score!, expected, accuracy: 1e-12)
        // Davies-Bouldin: scatter 0.5 each, centroid distance 4 -> (0.5+0.5)/4 = 0.25
        XCTAssertEqual(ClusteringMetrics.daviesBouldin(x, labels: labels, k: 2)!, 0.25, accuracy: 1e-12)
        // Calinski-Harabasz: B = 2*2^2 + 2*2^2 = 16, W = 4*0.25 = 1 -> (16/1)/(1/2) = 32
        XCTAssertEqual(ClusteringMetrics.calinskiHarabasz(x, labels: labels, k: 2)!, 32, accuracy: 1e-9)
        XCTAssertNil(ClusteringMetrics.silhouette(x, labels: [0, 0, 0, 0], sample: 100, seed: 0).score)
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: accuracy, file: file, line: line) }
}

final class HamerlyTests: XCTestCase {
    /// Hamerly's bounds only skip work: the iterations, labels and centres are Lloyd's.
    func testHamerlyFollowsLloyd() throws {
        var rng = PersonaRandom(seed: 17)
        for (n, d, k) in [(3000, 2, 8), (4000, 10, 16), (2000, 5, 40)] {
            var x = FloatMatrix(rows: 0, cols: d)
            for i in 0..<n {
                let g = Float(i % 7) * 2.5
                x.appendRow((0..<d).map { j in (j % 2 == 0 ? g : -g) + Float(rng.normal()) })
            }
            let start = KMeans.randomRows(x, k: k, rng: &rng)
            let norms = KMeansKernels.squaredNorms(x)
            let tol = KMeans.scaledTolerance(x, 1e-4)
            let lloyd = KMeans.lloyd(x, start: start, maxIterations: 100, tol: tol, rowNorms: norms)
            let hamerly = Hamerly.run(x, start: start, maxIterations: 100, tol: tol, norms: norms)
            let same = zip(lloyd.labels, hamerly.labels).filter { $0 == $1 }.count
            XCTAssertGreaterThanOrEqual(Double(same) / Double(n), 0.999, "n=\(n) d=\(d) k=\(k)")
            XCTAssertEqual(hamerly.inertia, lloyd.inertia, accuracy: 1e-5 * lloyd.inertia)
            XCTAssertEqual(hamerly.iterations, lloyd.iterations, accuracy: 1)
            XCTAssertEqual(hamerly.centres.storage, lloyd.centres.storage, accuracy: 1e-3)
        }
        // A far-away starting centre empties its segment; it is relocated as in Lloyd.
        let x = FloatMatrix((0..<400).map { i in [Float(i % 4) * 10 + Float(i % 7) * 0.1, Float(i % 3)] })
        let start = FloatMatrix([[0, 0], [10, 0], [20, 0], [30, 0], [5000, 5000], [-5000, 0], [0, -5000], [7000, 1], [1, 7000]])
        let h = Hamerly.run(x, start: start, maxIterations: 50, tol: 0, norms: KMeansKernels.squaredNorms(x))
        XCTAssertTrue(h.sizes.allSatisfy { $0 > 0 }, "\(h.sizes)")
    }
}
