/// A dense, contiguous, row-major matrix. Element (i, j) lives at `i * cols + j`,
/// which is the layout CBLAS calls `CblasRowMajor` with leading dimension `cols`.
public struct Matrix<Scalar: BLASScalar>: Equatable {
    public private(set) var rows: Int
    public let cols: Int
    public var storage: [Scalar]

    public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Scalar](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Scalar]) {
        precondition(storage.count == rows * cols, "storage holds \(storage.count) values, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Builds a matrix from nested rows; every row must have the same length.
    public init(_ nested: [[Scalar]]) {
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "ragged rows")
        self.init(rows: nested.count, cols: c, storage: nested.flatMap { $0 })
    }

    public subscript(row: Int, col: Int) -> Scalar {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    public func row(_ i: Int) -> ArraySlice<Scalar> {
        storage[(i * cols)..<((i + 1) * cols)]
    }

    /// Appends one row (used while building a matrix from a stream of records).
    public mutating func appendRow<C: Collection>(_ values: C) where C.Element == Scalar {
        precondition(values.count == cols, "row has \(values.count) values, matrix has \(cols) columns")
        storage.append(contentsOf: values)
        rows += 1
    }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows {
            for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] }
        }
        return t
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// `self * other` through one GEMM.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.cols == rhs.rows, "shape mismatch \(lhs.rows)x\(lhs.cols) * \(rhs.rows)x\(rhs.cols)")
        var out = Matrix(rows: lhs.rows, cols: rhs.cols)
        BLAS.gemm(lhs, rhs, into: &out)
        return out
    }
}

public typealias FloatMatrix = Matrix<Float>
public typealias DoubleMatrix = Matrix<Double>
