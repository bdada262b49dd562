import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The element types the numerical core runs on. Each conforming type forwards
/// to the matching single- or double-precision CBLAS/LAPACKE routine, so code
/// written once against `BLASScalar` runs on both.
public protocol BLASScalar: BinaryFloatingPoint, Codable, Sendable {
    static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func _gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ x: UnsafePointer<Self>, _ beta: Self, _ y: UnsafeMutablePointer<Self>)
    static func _syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func _dot(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>) -> Self
    static func _axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
    static func _nrm2(_ n: Int, _ x: UnsafePointer<Self>) -> Self
    static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Self>) -> Int32
    static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Self>, _ b: UnsafeMutablePointer<Self>) -> Int32
    static func _syev(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ w: UnsafeMutablePointer<Self>) -> Int32
}

@inline(__always) private func tr(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    public static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, tr(transA), tr(transB), blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func _gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ x: UnsafePointer<Float>, _ beta: Float, _ y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, tr(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
    public static func _syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, tr(trans), blasint(n), blasint(k), alpha, a, blasint(lda), beta, c, blasint(ldc))
    }
    public static func _dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(blasint(n), x, 1, y, 1)
    }
    public static func _axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }
    public static func _nrm2(_ n: Int, _ x: UnsafePointer<Float>) -> Float { cblas_snrm2(blasint(n), x, 1) }
    public static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_spotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n))
    }
    public static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), Int32(nrhs), a, Int32(n), b, Int32(nrhs))
    }
    public static func _syev(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n), w)
    }
}

extension Double: BLASScalar {
    public static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dgemm(CblasRowMajor, tr(transA), tr(transB), blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func _gemv(_ trans: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ x: UnsafePointer<Double>, _ beta: Double, _ y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, tr(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
    public static func _syrk(_ trans: Bool, _ n: Int, _ k: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, tr(trans), blasint(n), blasint(k), alpha, a, blasint(lda), beta, c, blasint(ldc))
    }
    public static func _dot(_ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>) -> Double {
        cblas_ddot(blasint(n), x, 1, y, 1)
    }
    public static func _axpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(blasint(n), alpha, x, 1, y, 1)
    }
    public static func _nrm2(_ n: Int, _ x: UnsafePointer<Double>) -> Double { cblas_dnrm2(blasint(n), x, 1) }
    public static func _potrf(_ n: Int, _ a: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n))
    }
    public static func _posv(_ n: Int, _ nrhs: Int, _ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), Int32(nrhs), a, Int32(n), b, Int32(nrhs))
    }
    public static func _syev(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyev(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), a, Int32(n), w)
    }
}

/// Failures LAPACK reports through its `info` return value.
public enum LinalgError: Error, Equatable, CustomStringConvertible {
    /// The leading minor of this order is not positive: the matrix is not positive definite.
    case notPositiveDefinite(order: Int)
    case noConvergence(info: Int)
    case invalidArgument(info: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let o): return "matrix is not positive definite (leading minor of order \(o))"
        case .noConvergence(let i): return "eigensolver did not converge (\(i) off-diagonal elements)"
        case .invalidArgument(let i): return "LAPACK rejected argument \(-i)"
        }
    }
}

/// Typed wrappers over the BLAS and LAPACK calls the models use. All matrices
/// are row-major; shapes are checked before the call, since BLAS itself would
/// read out of bounds rather than complain.
public enum BLAS {
    /// Sets the number of threads OpenBLAS may use. Persona's own parallel loops
    /// set this to 1 while they run so the two never oversubscribe the cores.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// How long, in powers of two of processor ticks, an idle OpenBLAS worker
    /// polls for work before it sleeps: 2^20, about half a millisecond, instead
    /// of OpenBLAS's 2^28 (a tenth of a second). The workers come back to life
    /// at every change of the thread count, so with the default one of them
    /// polled, yielding its core in a loop, through the first tenth of a
    /// second of every parallel loop that follows a BLAS call: in `perf`, 2-9%
    /// of the samples of a training read on two cores.
    static let idleThreadTimeout = "20"

    /// Makes OpenBLAS's idle workers sleep after `idleThreadTimeout` instead
    /// of polling, unless the user set `OPENBLAS_THREAD_TIMEOUT`: sets it,
    /// has OpenBLAS read its environment again, and stops the workers it
    /// started when it loaded (the next call that needs them starts them with
    /// the new timeout). Call before any other thread runs. A no-op with a
    /// BLAS that has no such threads.
    public static func quietIdleThreads() {
        typealias Call = @convention(c) () -> Void
        typealias Shutdown = @convention(c) () -> Int32
        guard let read = dlsym(nil, "openblas_read_env"), let shutdown = dlsym(nil, "blas_thread_shutdown_") else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", idleThreadTimeout, 0)
        unsafeBitCast(read, to: Call.self)()
        _ = unsafeBitCast(shutdown, to: Shutdown.self)()
    }

    /// C = alpha * op(A) * op(B) + beta * C.
    public static func gemm<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>, into c: inout Matrix<T>,
                                           transA: Bool = false, transB: Bool = false,
                                           alpha: T = 1, beta: T = 0) {
        let m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols
        let kb = transB ? b.cols : b.rows, n = transB ? b.rows : b.cols
        precondition(k == kb && c.rows == m && c.cols == n, "gemm shape mismatch")
        if m == 0 || n == 0 { return }
        if k == 0 { for i in c.storage.indices { c.storage[i] *= beta }; return }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    T._gemm(transA, transB, m, n, k, alpha, pa.baseAddress!, a.cols, pb.baseAddress!, b.cols,
                            beta, pc.baseAddress!, n)
                }
            }
        }
    }

    /// y = alpha * op(A) * x + beta * y.
    public static func gemv<T: BLASScalar>(_ a: Matrix<T>, _ x: [T], into y: inout [T], trans: Bool = false,
                                           alpha: T = 1, beta: T = 0) {
        precondition(x.count == (trans ? a.rows : a.cols) && y.count == (trans ? a.cols : a.rows), "gemv shape mismatch")
        if a.rows == 0 || a.cols == 0 { for i in y.indices { y[i] *= beta }; return }
        a.storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    T._gemv(trans, a.rows, a.cols, alpha, pa.baseAddress!, a.cols, px.baseAddress!, beta, py.baseAddress!)
                }
            }
        }
    }

    /// C = alpha * A^T A + beta * C (or A A^T with `trans: false`), with C symmetric.
    /// BLAS writes only the upper triangle; this mirrors it so C is a full matrix.
    public static func syrk<T: BLASScalar>(_ a: Matrix<T>, into c: inout Matrix<T>, transA: Bool = true,
                                           alpha: T = 1, beta: T = 0) {
        let n = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols
        precondition(c.rows == n && c.cols == n, "syrk shape mismatch")
        if n == 0 { return }
        if k == 0 { for i in c.storage.indices { c.storage[i] *= beta }; return }
        a.storage.withUnsafeBufferPointer { pa in
            c.storage.withUnsafeMutableBufferPointer { pc in
                T._syrk(transA, n, k, alpha, pa.baseAddress!, a.cols, beta, pc.baseAddress!, n)
            }
        }
        for i in 0..<n { for j in 0..<i { c.storage[i * n + j] = c.storage[j * n + i] } }
    }

    public static func dot<T: BLASScalar>(_ x: [T], _ y: [T]) -> T {
        precondition(x.count == y.count, "dot length mismatch")
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in T._dot(x.count, px.baseAddress!, py.baseAddress!) } }
    }

    /// y += alpha * x.
    public static func axpy<T: BLASScalar>(_ alpha: T, _ x: [T], _ y: inout [T]) {
        precondition(x.count == y.count, "axpy length mismatch")
        if x.isEmpty { return }
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in T._axpy(x.count, alpha, px.baseAddress!, py.baseAddress!) } }
    }

    /// Euclidean norm, computed by BLAS with scaling so it neither overflows nor underflows.
    public static func nrm2<T: BLASScalar>(_ x: [T]) -> T {
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { T._nrm2(x.count, $0.baseAddress!) }
    }

    /// Cholesky factor: returns upper-triangular U with A = U^T U (lower part zeroed).
    public static func cholesky<T: BLASScalar>(_ a: Matrix<T>) throws -> Matrix<T> {
        precondition(a.rows == a.cols, "cholesky needs a square matrix")
        var u = a
        let info = u.storage.withUnsafeMutableBufferPointer { T._potrf(a.rows, $0.baseAddress!) }
        try check(info, positiveMeans: { .notPositiveDefinite(order: $0) })
        for i in 0..<a.rows { for j in 0..<i { u[i, j] = 0 } }
        return u
    }

    /// Solves A X = B for symmetric positive definite A (Cholesky, LAPACK posv).
    public static func solvePositiveDefinite<T: BLASScalar>(_ a: Matrix<T>, _ b: Matrix<T>) throws -> Matrix<T> {
        precondition(a.rows == a.cols && b.rows == a.rows, "posv shape mismatch")
        var factor = a, x = b
        let info = factor.storage.withUnsafeMutableBufferPointer { pa in
            x.storage.withUnsafeMutableBufferPointer { px in T._posv(a.rows, b.cols, pa.baseAddress!, px.baseAddress!) }
        }
        try check(info, positiveMeans: { .notPositiveDefinite(order: $0) })
        return x
    }

    /// Eigen-decomposition of a symmetric matrix: eigenvalues ascending, and
    /// eigenvectors as the columns of the returned matrix.
    public static func symmetricEigen<T: BLASScalar>(_ a: Matrix<T>) throws -> (values: [T], vectors: Matrix<T>) {
        precondition(a.rows == a.cols, "syev needs a square matrix")
        var v = a
        var w = [T](repeating: 0, count: a.rows)
        if a.rows == 0 { return (w, v) }
        let info = v.storage.withUnsafeMutableBufferPointer { pv in
            w.withUnsafeMutableBufferPointer { pw in T._syev(a.rows, pv.baseAddress!, pw.baseAddress!) }
        }
        try check(info, positiveMeans: { .noConvergence(info: $0) })
        return (w, v)
    }

    private static func check(_ info: Int32, positiveMeans: (Int) -> LinalgError) throws {
        if info < 0 { throw LinalgError.invalidArgument(info: Int(info)) }
        if info > 0 { throw positiveMeans(Int(info)) }
    }
}
