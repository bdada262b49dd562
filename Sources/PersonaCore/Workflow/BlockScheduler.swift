#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Reads blocks on one thread, scores them on every core, and hands the
/// results to `consume` on the calling thread in file order. At most a few
/// blocks per core are in flight, so memory stays bounded. The first error in
/// file order stops the run (later blocks are dropped unread).
enum BlockScheduler {
    static func run(source: BlockSource, job: BatchScorer.Job, consume: (BatchScorer.BlockResult) throws -> Void) throws {
        let cores = max(1, Parallel.cores)
        let slots = DispatchSemaphore(value: 2 * cores + 1)
        let state = PipelineState()
        let group = DispatchGroup()
        let workers = DispatchQueue(label: "persona.score", attributes: .concurrent)
        let previous = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previous) }
        // At most `cores` blocks are scored at once (the concurrent queue may
        // start more threads than cores); the reader only waits for a free slot.
        let running = DispatchSemaphore(value: cores)
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            var sequence = 0
            while true {
                slots.wait()
                if state.isCancelled { break }
                let block: Block?
                do { block = try source.next() } catch {
                    state.finish(blocks: sequence, error: error)
                    return
                }
                guard let block else { break }
                let s = sequence
                sequence += 1
                group.enter()
                workers.async {
                    running.wait()
                    let result = state.isCancelled ? BatchScorer.BlockResult() : job.run(block)
                    running.signal()
                    state.store(s, result)
                    group.leave()
                }
            }
            state.finish(blocks: sequence, error: nil)
        }
        defer {
            state.cancel()
            // Hand back every slot the reader may hold and one more: it can hold
            // all 2 x cores + 1 (and be waiting for another) when the consumer
            // stops at an error, and then takes one more slot before it sees the
            // cancellation. libdispatch stops the process when a semaphore is
            // released with a value below its initial one, so the count must
            // never fall short (it did: a bad first row of a long file, under load).
            for _ in 0..<(2 * cores + 2) { slots.signal() }
            group.wait()
        }
        var next = 0
        while let result = try state.take(next) {
            slots.signal()
            if let error = result.error { throw error }
            try consume(result)
            next += 1
        }
    }
}

/// What the reader, the workers and the consumer share, under one lock.
final class PipelineState: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Int: BatchScorer.BlockResult] = [:]
    private var blocks: Int? = nil
    private var readError: Error? = nil
    private var cancelled = false

    var isCancelled: Bool { condition.lock(); defer { condition.unlock() }; return cancelled }

    func cancel() { condition.lock(); cancelled = true; condition.broadcast(); condition.unlock() }

    func store(_ sequence: Int, _ result: BatchScorer.BlockResult) {
        condition.lock(); results[sequence] = result; condition.broadcast(); condition.unlock()
    }

    func finish(blocks n: Int, error: Error?) {
        condition.lock(); blocks = n; readError = error; condition.broadcast(); condition.unlock()
    }

    /// The result of block `sequence` once it is ready; nil after the last block.
    func take(_ sequence: Int) throws -> BatchScorer.BlockResult? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let r = results.removeValue(forKey: sequence) { return r }
            if let blocks, sequence >= blocks {
                if let readError { throw readError }
                return nil
            }
            condition.wait()
        }
    }
}
