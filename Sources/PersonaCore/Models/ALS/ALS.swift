#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenBLAS
import CPersonaKernels
import Foundation

/// Hyperparameters of alternating least squares.
public struct ALSConfig: Hyperparameters {
    public var user = ""
    public var item = ""
    public var rating: String?
    public var implicit: Bool = false
    public var alpha: Double = 1
    public var factors: Int = 32
    public var regularization: Double = 0.01
    public var iterations: Int = 15
    public var solver: ALSLinearSolver = .cg               // implicit: cg or cholesky
    public var cgSteps: Int = 3
    public var seed: UInt64 = 0
    public var duplicates: DuplicatePolicy? = nil

    public init() {}
    public init(user: String, item: String) { self.user = user; self.item = item }

    public static let parameters: [Parameter<ALSConfig>] = [
        .text(\.user, "user", key: "user", required: true, help: "The user id column."),
        .text(\.item, "item", key: "item", required: true, help: "The item id column."),
        .text(\.rating, "rating", key: "rating", absent: "each row counts once (implicit data only)", help: "The rating or count column."),
        .flag(\.implicit, "implicit", key: "implicit", help: "Implicit feedback (views, clicks, purchases) rather than ratings."),
        .real(\.alpha, "alpha", key: "alpha", range: .nonNegative, help: "Implicit: confidence = 1 + alpha x value."),
        .integer(\.factors, "factors", key: "factors", min: 1, help: "Latent factors per user and item."),
        .real(\.regularization, "regularization", key: "reg", range: .nonNegative, help: "Regularisation (explicit: times each user's or item's count)."),
        .integer(\.iterations, "iterations", key: "iterations", min: 1, help: "Alternations of the user and item updates."),
        .choice(\.solver, "solver", key: "solver", help: "Implicit: conjugate gradient (cg) or exact (cholesky)."),
        .integer(\.cgSteps, "cgSteps", key: "cg_steps", min: 1, help: "Implicit: conjugate-gradient steps per update."),
        .seed(\.seed, help: "Random seed for the starting factors."),
        .choice(\.duplicates, "duplicates", key: "duplicates", absent: "sum for implicit, error for ratings", help: "What to do with repeated (user, item) rows."),
    ]

    public func combinationError() -> ParameterError? {
        if !implicit && rating == nil {
            return ParameterError(Self.names("rating", "implicit")) { "explicit ALS needs \($0[0]) COL (or turn on \($0[1]) for counts)" }
        }
        return nil
    }

    var resolvedDuplicates: DuplicatePolicy { duplicates ?? (implicit ? .sum : .error) }
}

public enum ALSLinearSolver: String, Sendable, CaseIterable { case cg, cholesky }

/// Alternating least squares on Float32 factors. Each half-step fixes one side
/// and solves every row of the other independently, in parallel blocks.
///
/// Implicit feedback (Hu, Koren and Volinsky, 2008): confidence c = 1 + α·r on
/// observed pairs (preference 1) and 1 elsewhere (preference 0). With YᵀY
/// precomputed by one SYRK, a user's system is (YᵀY + λI + Σᵢ (cᵢ − 1) yᵢyᵢᵀ) x = Σᵢ cᵢ yᵢ,
/// solved by a few conjugate-gradient steps warm-started from the previous x
/// (Takács, Pilászy and Tikk, 2011), or exactly by Cholesky.
///
/// Explicit ratings (Zhou et al., 2008): x = (Σᵢ yᵢyᵢᵀ + λ nᵤ I)⁻¹ Σᵢ rᵢ yᵢ over
/// the user's rated items, by Cholesky: each half-step minimises the loss exactly.
enum ALSSolver {
    /// Dot product with eight-wide accumulators: a plain loop would add one float
    /// at a time, as strict floating point forbids reordering the sum.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var j = 0
        while j + 16 <= n {
            acc0 += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            acc1 += UnsafeRawPointer(a + j + 8).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + j + 8).loadUnaligned(as: SIMD8<Float>.self)
            j += 16
        }
        var s = (acc0 + acc1).sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    /// y += alpha x.
    @inline(__always) static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for j in 0..<n { y[j] += alpha * x[j] }
    }

    static func confidence(_ r: Float, _ config: ALSConfig) -> Float { 1 + Float(config.alpha) * r }

    /// How many interactions ahead a factor row is fetched (one constant for the
    /// C passes and these loops).
    static let prefetchDistance = Int(PERSONA_ALS_PREFETCH_DISTANCE)

    /// Fetches the factor row of the interaction `prefetchDistance` ahead of t, if
    /// there is one: rows are gathered in the order of the item (or user) ids, at
    /// random in memory.
    @inline(__always) static func prefetchAhead(_ t: Int, indices: UnsafeBufferPointer<Int32>, factors y: UnsafePointer<Float>, k: Int) {
        let ahead = t + prefetchDistance
        guard ahead < indices.count else { return }
        let row = UnsafeRawPointer(y + Int(indices[ahead]) * k)
        var offset = 0
        while offset < k * MemoryLayout<Float>.size { persona_prefetch(row + offset); offset += 64 }
    }

    /// The conjugate-gradient passes, in C (CPersonaKernels): the same operations
    /// in the same order as `dot` and `axpy` here, in AVX2 where the processor has
    /// it, so the factors are the same bits on every processor.
    struct Kernels {
        let firstPass: @convention(c) (UnsafePointer<Float>?, UnsafePointer<Int32>?, Int, Int, UnsafePointer<Float>?, Float,
                                       UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Double) -> Double
        let cgPass: @convention(c) (UnsafePointer<Float>?, UnsafePointer<Int32>?, Int, Int, UnsafePointer<Float>?, Float,
                                    UnsafePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Void
        static let generic = Kernels(firstPass: persona_als_first_pass_generic, cgPass: persona_als_cg_pass_generic)
        static let avx2 = Kernels(firstPass: persona_als_first_pass_avx2, cgPass: persona_als_cg_pass_avx2)
    }
    /// The kernels `update` uses (tests switch them).
    static var kernels = Processor.hasAVX2 ? Kernels.avx2 : Kernels.generic

    /// The most factor values (4 MB) a conjugate-gradient solve copies side by
    /// side for its passes; a longer row (an item with more users) gathers them
    /// from the factor matrix on every pass.
    static let gatheredCapacity = 1 << 20

    /// One row's normal equations A x = b, for the exact solves of training and
    /// for fold-in alike. Explicit: A = Σ yᵢyᵢᵀ + λ n I and b = Σ rᵢ yᵢ over the n
    /// rated items. Implicit: A = YᵀY + λ I + Σ (cᵢ − 1) yᵢyᵢᵀ and b = Σ cᵢ yᵢ, with
    /// `gram` = YᵀY. The upper triangle is accumulated, then mirrored, so A is
    /// exactly symmetric for the Cholesky solve.
    @inline(__always)
    static func normalEquations(count n: Int, item: (Int) -> Int, value: (Int) -> Float, factors y: UnsafePointer<Float>, k: Int,
                                gram: UnsafePointer<Float>?, config: ALSConfig,
                                a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
        let reg = Float(config.regularization)
        if config.implicit {
            for t in 0..<(k * k) { a[t] = gram![t] }
            for i in 0..<k { a[i * k + i] += reg; b[i] = 0 }
            for t in 0..<n {
                let yi = y + item(t) * k
                let c = confidence(value(t), config)
                for i in 0..<k { b[i] += c * yi[i]; for j in i..<k { a[i * k + j] += (c - 1) * yi[i] * yi[j] } }
            }
        } else {
            for t in 0..<(k * k) { a[t] = 0 }
            for j in 0..<k { b[j] = 0 }
            for t in 0..<n {
                let yi = y + item(t) * k
                let v = value(t)
                for i in 0..<k { b[i] += v * yi[i]; for j in i..<k { a[i * k + j] += yi[i] * yi[j] } }
            }
            let lambda = reg * Float(n)
            for i in 0..<k { a[i * k + i] += lambda }
        }
        for i in 0..<k { for j in 0..<i { a[i * k + j] = a[j * k + i] } }
    }

    /// Builds and solves one row's normal equations; x is left at zero when the system is singular.
    static func solveRow(count n: Int, item: (Int) -> Int, value: (Int) -> Float, factors y: UnsafePointer<Float>, k: Int,
                         gram: UnsafePointer<Float>?, config: ALSConfig, a: inout [Float], b: inout [Float]) {
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                normalEquations(count: n, item: item, value: value, factors: y, k: k, gram: gram, config: config,
                                a: ap.baseAddress!, b: bp.baseAddress!)
            }
        }
        solve(&a, &b, k)
    }

    /// Whether a half-step can report the loss of the factors it starts from
    /// (`update`'s result): the conjugate-gradient solve computes every observed
    /// xᵤ·yᵢ and YᵀY xᵤ of the current factors in its first pass anyway.
    static func reportsLoss(_ config: ALSConfig) -> Bool { config.implicit && config.solver == .cg }

    /// One half-step: recompute every row of `x` from the fixed `y`. When
    /// `reportsLoss(config)`, returns the data part of the objective (`loss` without
    /// the penalty) at the factors before the step, summed over blocks in order;
    /// otherwise nil.
    @discardableResult
    static func update(_ x: inout FloatMatrix, fixed y: FloatMatrix, rows data: SparseRows, config: ALSConfig) -> Double? {
        let k = y.cols
        var gram = FloatMatrix(rows: k, cols: k)
        if config.implicit { BLAS.syrk(y, into: &gram) }
        let reg = Float(config.regularization)
        let blocks = Parallel.blocks(data.rows, minBlock: 256, maxBlocks: 64)
        var partials = [Double](repeating: 0, count: blocks.count)
        x.storage.withUnsafeMutableBufferPointer { xp in
            let box = UnsafeSendableBox(xp)
            y.storage.withUnsafeBufferPointer { yp in
            data.indices.withUnsafeBufferPointer { ip in
            data.values.withUnsafeBufferPointer { vp in
            partials.withUnsafeMutableBufferPointer { pp in
                let totals = UnsafeSendableBox(pp)
                Parallel.forEach(blocks.count) { b in
                    var total = 0.0
                    defer { totals.value[b] = total }
                    var a = [Float](repeating: 0, count: k * k)
                    var rhs = [Float](repeating: 0, count: k)
                    var r = [Float](repeating: 0, count: k), p = r, ap = r
                    var gathered = UnsafeMutableBufferPointer<Float>.allocate(capacity: 0)
                    defer { gathered.deallocate() }
                    for u in blocks[b] {
                        let xu = box.value.baseAddress! + u * k
                        let range = data.range(u)
                        if !config.implicit || config.solver == .cholesky {
                            // Explicit ratings, or implicit solved exactly: the row's normal equations.
                            if !config.implicit && range.isEmpty { for j in 0..<k { xu[j] = 0 }; continue }
                            let first = range.lowerBound
                            gram.storage.withUnsafeBufferPointer { gb in
                                solveRow(count: range.count, item: { Int(data.indices[first + $0]) }, value: { data.values[first + $0] },
                                         factors: yp.baseAddress!, k: k, gram: gb.baseAddress!, config: config, a: &a, b: &rhs)
                            }
                            for j in 0..<k { xu[j] = rhs[j] }
                            continue
                        }
                        // Conjugate gradient from the current x: r = b − A x.
                        r.withUnsafeMutableBufferPointer { rb in
                        p.withUnsafeMutableBufferPointer { pb in
                        ap.withUnsafeMutableBufferPointer { apb in
                        gram.storage.withUnsafeBufferPointer { gb in
                            let r = rb.baseAddress!, p = pb.baseAddress!, ap = apb.baseAddress!, g = gb.baseAddress!
                            Float._gemv(false, k, k, -1, g, k, xu, 0, r)
                            total -= Double(dot(r, xu, k))                  // xᵀ(YᵀY)x
                            axpy(-reg, xu, r, k)
                            // The row's factor rows are copied side by side as the first pass
                            // gathers them, so the conjugate-gradient passes read them in order.
                            let m = range.count, first = range.lowerBound
                            let copied = m * k <= gatheredCapacity
                            if copied && m * k > gathered.count {
                                gathered.deallocate()
                                gathered = .allocate(capacity: min(gatheredCapacity, max(m * k, 2 * gathered.count)))
                            }
                            let alpha = Float(config.alpha), available = ip.count - first
                            let items = ip.baseAddress.map { $0 + first }, values = vp.baseAddress.map { $0 + first }
                            total = kernels.firstPass(yp.baseAddress, items, m, available, values, alpha, xu, k, r,
                                                      copied ? gathered.baseAddress : nil, total)
                            for j in 0..<k { p[j] = r[j] }
                            var rsold = dot(r, r, k)
                            if rsold < 1e-20 { return }
                            for _ in 0..<config.cgSteps {
                                Float._gemv(false, k, k, 1, g, k, p, 0, ap)
                                axpy(reg, p, ap, k)
                                if copied {
                                    kernels.cgPass(gathered.baseAddress, nil, m, 0, values, alpha, p, k, ap)
                                } else {
                                    kernels.cgPass(yp.baseAddress, items, m, available, values, alpha, p, k, ap)
                                }
                                let pap = dot(p, ap, k)
                                if pap <= 0 { break }
                                let step = rsold / pap
                                axpy(step, p, xu, k)
                                axpy(-step, ap, r, k)
                                let rsnew = dot(r, r, k)
                                if rsnew < 1e-20 { break }
                                let beta = rsnew / rsold
                                for j in 0..<k { p[j] = r[j] + beta * p[j] }
                                rsold = rsnew
                            }
                        }
                        }
                        }
                        }
                    }
                }
            }
            }
            }
            }
        }
        return reportsLoss(config) ? partials.reduce(0, +) : nil
    }

    /// Solves the symmetric positive definite k x k system in place (rhs becomes x).
    static func solve(_ a: inout [Float], _ rhs: inout [Float], _ k: Int) {
        let info = a.withUnsafeMutableBufferPointer { ap in
            rhs.withUnsafeMutableBufferPointer { bp in Float._posv(k, 1, ap.baseAddress!, bp.baseAddress!) }
        }
        if info != 0 { for j in 0..<k { rhs[j] = 0 } }
    }

    /// The training objective: implicit, Σ c (p − x·y)² over every cell plus the
    /// penalty; explicit, Σ (r − x·y)² over the ratings plus λ Σ n‖x‖².
    static func loss(x: FloatMatrix, y: FloatMatrix, byUser: SparseRows, byItem: SparseRows, config: ALSConfig) -> Double {
        let k = x.cols
        var gram = FloatMatrix(rows: k, cols: k)
        if config.implicit { BLAS.syrk(y, into: &gram) }
        // xᵀ(YᵀY)x for every user at once: (X · YᵀY) ⊙ X, one SGEMM.
        var xg = FloatMatrix(rows: x.rows, cols: k)
        if config.implicit { BLAS.gemm(x, gram, into: &xg) }
        let blocks = Parallel.blocks(x.rows, minBlock: 512, maxBlocks: 32)
        let parts: [Double] = Parallel.map(blocks.count) { b in
            var total = 0.0
            x.storage.withUnsafeBufferPointer { xp in
            y.storage.withUnsafeBufferPointer { yp in
            xg.storage.withUnsafeBufferPointer { gp in
            byUser.indices.withUnsafeBufferPointer { ip in
                for u in blocks[b] {
                    let xu = xp.baseAddress! + u * k
                    if config.implicit { total += Double(dot(gp.baseAddress! + u * k, xu, k)) }
                    for t in byUser.range(u) {
                        prefetchAhead(t, indices: ip, factors: yp.baseAddress!, k: k)
                        let d = Double(dot(xu, yp.baseAddress! + Int(ip[t]) * k, k))
                        if config.implicit {
                            let c = Double(confidence(byUser.values[t], config))
                            total += c * (1 - d) * (1 - d) - d * d
                        } else {
                            let e = Double(byUser.values[t]) - d
                            total += e * e
                        }
                    }
                }
            }
            }
            }
            }
            return total
        }
        return parts.reduce(0, +) + penalty(x: x, y: y, byUser: byUser, byItem: byItem, config: config)
    }

    /// The objective's penalty: λ Σ ‖x‖² over both sides (explicit: each row's
    /// squared norm times its count).
    static func penalty(x: FloatMatrix, y: FloatMatrix, byUser: SparseRows, byItem: SparseRows, config: ALSConfig) -> Double {
        func norms(_ m: FloatMatrix, _ rows: SparseRows) -> Double {
            var s = 0.0
            for r in 0..<m.rows {
                var n = 0.0
                for v in m.row(r) { n += Double(v) * Double(v) }
                s += config.implicit ? n : n * Double(rows.range(r).count)
            }
            return s
        }
        return config.regularization * (norms(x, byUser) + norms(y, byItem))
    }
}
