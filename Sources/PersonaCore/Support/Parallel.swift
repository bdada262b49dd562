import Dispatch
import Foundation

/// Runs work over fixed blocks on every core. Block boundaries depend only on the
/// problem size, never on the core count or on scheduling, and results are
/// combined in block order, so parallel runs are bit-for-bit reproducible.
public enum Parallel {
    /// PERSONA_THREADS when set, else the processors this process may use. Read on
    /// every call (tests change it), with getenv: building ProcessInfo's whole
    /// environment dictionary each time cost 4% of a boosting run.
    public static var cores: Int {
        if let s = getenv("PERSONA_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return processors
    }
    private static let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Splits 0..<n into at most `maxBlocks` contiguous ranges of at least `minBlock` items.
    public static func blocks(_ n: Int, minBlock: Int = 1024, maxBlocks: Int = 16) -> [Range<Int>] {
        if n == 0 { return [] }
        let count = max(1, min(maxBlocks, n / max(1, minBlock)))
        return (0..<count).map { b in (n * b / count)..<(n * (b + 1) / count) }
    }

    /// Calls body(blockIndex) for every block, in parallel. While it runs, BLAS is
    /// limited to one thread so our threads and BLAS threads never oversubscribe.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        // BLAS runs single-threaded inside our loops, also when they run serially,
        // so a block's floating-point result never depends on the core count.
        let previous = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previous) }
        if count <= 1 || cores == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: count) { i in work.value(i) }
        }
    }

    /// Maps blocks in parallel and returns the results in block order.
    public static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBox(buffer)
            forEach(count) { i in out.value[i] = body(i) }
        }
        return results.map { $0! }
    }
}

/// Carries a value into concurrent code that writes disjoint parts of it.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
