import XCTest
@testable import PersonaCore

final class LinalgTests: XCTestCase {
    func testGemmMatchesHandComputedProduct() {
        let a = DoubleMatrix([[1, 2, 3], [4, 5, 6]])
        let b = DoubleMatrix([[7, 8], [9, 10], [11, 12]])
        XCTAssertEqual(a * b, DoubleMatrix([[58, 64], [139, 154]]))
        var c = DoubleMatrix(rows: 3, cols: 3, repeating: 1)
        // A^T A with beta = 1 adds to the ones already there
        BLAS.gemm(a, a, into: &c, transA: true, beta: 1)
        XCTAssertEqual(c, DoubleMatrix([[18, 23, 28], [23, 30, 37], [28, 37, 46]]))
        let f = FloatMatrix([[1, 2], [3, 4]]) * FloatMatrix([[0, 1], [1, 0]])
        XCTAssertEqual(f, FloatMatrix([[2, 1], [4, 3]]))
    }

    /// BLAS works after its idle threads are quieted (the process does so at
    /// start-up): a product large enough for OpenBLAS to split among threads,
    /// of small integers (exact in Double), equals the one summed by hand,
    /// twice over (the threads start again for the first and are stopped again).
    func testProductsAfterIdleThreadsAreQuieted() {
        let previous = BLAS.threads
        defer { BLAS.setThreads(previous) }
        BLAS.setThreads(2)
        let (m, k, n) = (200, 131, 150)
        let a = DoubleMatrix(rows: m, cols: k, storage: (0..<m * k).map { Double($0 % 7) - 3 })
        let b = DoubleMatrix(rows: k, cols: n, storage: (0..<k * n).map { Double($0 % 5) - 2 })
        var expected = DoubleMatrix(rows: m, cols: n)
        for i in 0..<m { for j in 0..<n { expected[i, j] = (0..<k).reduce(0) { $0 + a[i, $1] * b[$1, j] } } }
        for _ in 0..<2 {
            BLAS.quietIdleThreads()
            XCTAssertEqual(a * b, expected)
        }
        XCTAssertEqual(BLAS.threads, 2)
    }

    func testGemvDotAxpyNrm2() {
        let a = DoubleMatrix([[1, 2], [3, 4], [5, 6]])
        var y = [Double](repeating: 0, count: 3)
        BLAS.gemv(a, [1, -1], into: &y)
        XCTAssertEqual(y, [-1, -1, -1])
        var z = [Double](repeating: 1, count: 2)
        BLAS.gemv(a, [1, 1, 1], into: &z, trans: true, alpha: 2, beta: 1)
        XCTAssertEqual(z, [19, 25])
        XCTAssertEqual(BLAS.dot([1.0, 2, 3], [4, 5, 6]), 32)
        var w: [Float] = [1, 1]
        BLAS.axpy(3, [1, 2], &w)
        XCTAssertEqual(w, [4, 7])
        XCTAssertEqual(BLAS.nrm2([3.0, 4.0]), 5, accuracy: 1e-15)
        XCTAssertEqual(BLAS.nrm2([Float]()), 0)
    }

    func testSyrkGivesFullSymmetricGram() {
        let a = DoubleMatrix([[1, 2], [3, 4], [5, 6]])
        var g = DoubleMatrix(rows: 2, cols: 2)
        BLAS.syrk(a, into: &g)
        XCTAssertEqual(g, DoubleMatrix([[35, 44], [44, 56]]))
        var outer = DoubleMatrix(rows: 3, cols: 3)
        BLAS.syrk(a, into: &outer, transA: false)
        XCTAssertEqual(outer, DoubleMatrix([[5, 11, 17], [11, 25, 39], [17, 39, 61]]))
    }

    func testCholeskyAndSolve() throws {
        let a = DoubleMatrix([[4, 2], [2, 3]])
        let u = try BLAS.cholesky(a)
        XCTAssertEqual(u[0, 0], 2, accuracy: 1e-12)
        XCTAssertEqual(u[0, 1], 1, accuracy: 1e-12)
        XCTAssertEqual(u[1, 0], 0)
        XCTAssertEqual(u[1, 1], 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual((u.transposed * u).storage, a.storage, accuracy: 1e-12)
        // [4 2; 2 3] x = [10; 8] -> x = [1.75, 1.5]
        let x = try BLAS.solvePositiveDefinite(a, DoubleMatrix([[10], [8]]))
        XCTAssertEqual(x[0, 0], 1.75, accuracy: 1e-12)
        XCTAssertEqual(x[1, 0], 1.5, accuracy: 1e-12)
        XCTAssertThrowsError(try BLAS.cholesky(DoubleMatrix([[1, 2], [2, 1]]))) { e in
            XCTAssertEqual(e as? LinalgError, .notPositiveDefinite(order: 2))
        }
        let xf = try BLAS.solvePositiveDefinite(FloatMatrix([[2, 0], [0, 4]]), FloatMatrix([[2, 4], [8, 4]]))
        XCTAssertEqual(xf.storage, [1, 2, 2, 1], accuracy: 1e-6)
    }

    func testSymmetricEigen() throws {
        // [2 1; 1 2] has eigenvalues 1 and 3 with vectors (1,-1)/√2 and (1,1)/√2
        let (values, vectors) = try BLAS.symmetricEigen(DoubleMatrix([[2, 1], [1, 2]]))
        XCTAssertEqual(values[0], 1, accuracy: 1e-12)
        XCTAssertEqual(values[1], 3, accuracy: 1e-12)
        XCTAssertEqual(abs(vectors[0, 1]), 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(vectors[0, 1], vectors[1, 1], accuracy: 1e-12)
        XCTAssertEqual(vectors[0, 0], -vectors[1, 0], accuracy: 1e-12)
    }

    func testEmptyShapesAreHarmless() {
        var c = FloatMatrix(rows: 2, cols: 2, repeating: 5)
        BLAS.gemm(FloatMatrix(rows: 2, cols: 0), FloatMatrix(rows: 0, cols: 2), into: &c)
        XCTAssertEqual(c, FloatMatrix(rows: 2, cols: 2, repeating: 0))
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: accuracy, file: file, line: line) }
}
