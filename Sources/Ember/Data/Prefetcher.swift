import Foundation

/// Prepares a loader's batches on background threads and hands them over in order
/// (`DataLoader(numWorkers:)`).
///
/// Up to `capacity` batches are claimed ahead of the consumer (PyTorch's `prefetch_factor` of 2 per
/// worker). Workers claim batch numbers in order, so the consumer sees exactly the batches and
/// order of a single-threaded loader.
///
/// Why `@unchecked Sendable` is safe here:
/// - every mutable property (`nextToClaim`, `nextToDeliver`, `ready`, `running`, `cancelled`) is
///   read and written only while holding `condition`'s lock;
/// - `plan` is immutable;
/// - `fetch` is called concurrently by the workers; ``DataLoader`` documents that a data set's
///   subscript, batch gathering and `collate` must only read shared state, and the built-in data
///   sets only read tensor memory that nothing writes while the loader runs;
/// - each batch value is created by one worker, stored under the lock and removed once by the
///   consumer: it is never used by two threads at a time (an ownership hand-over, like a queue of
///   plain buffers).
final class Prefetcher<Batch>: @unchecked Sendable {
    private let condition = NSCondition()
    private let plan: [[Int]]
    private let fetch: ([Int]) -> Batch
    private let capacity: Int
    private var nextToClaim = 0
    private var nextToDeliver = 0
    private var ready: [Int: Batch] = [:]
    private var running: Int
    private var cancelled = false

    /// Starts `workers` threads preparing the batches of `plan` with `fetch`.
    init(plan: [[Int]], workers: Int, fetch: @escaping ([Int]) -> Batch) {
        self.plan = plan
        self.fetch = fetch
        capacity = 2 * workers
        running = workers
        for _ in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "Ember DataLoader worker"
            thread.start()
        }
    }

    /// A worker's loop: claim the next batch number while the look-ahead allows, fetch, deposit.
    private func work() {
        while true {
            condition.lock()
            while !cancelled && nextToClaim < plan.count && nextToClaim >= nextToDeliver + capacity {
                condition.wait()
            }
            guard !cancelled && nextToClaim < plan.count else {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let number = nextToClaim
            nextToClaim += 1
            condition.unlock()

            let batch = fetch(plan[number])

            condition.lock()
            ready[number] = batch
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next batch in order, waiting for a worker if needed; `nil` after the last.
    func next() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        guard nextToDeliver < plan.count else { return nil }
        while ready[nextToDeliver] == nil { condition.wait() }
        let batch = ready.removeValue(forKey: nextToDeliver)
        nextToDeliver += 1
        condition.broadcast()
        return batch
    }

    /// Stops the workers and waits until none is running (they finish the batch in hand).
    func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        ready.removeAll()
        condition.unlock()
    }
}
