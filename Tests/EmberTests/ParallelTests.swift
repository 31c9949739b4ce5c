// Ember's worker threads (Sources/CEmberKernels/parallel.c behind `parallelRanges`): every index
// is visited exactly once, over many back-to-back jobs, nested jobs and jobs posted from several
// threads at once.

import Foundation
import Testing

@testable import Ember

/// Runs `jobs` jobs over `count` indices and returns how often each index was visited.
private func visits(count: Int, jobs: Int, partsPerCore: Int = 1, nested: Bool = false) -> [Int] {
    let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
    defer { hits.deallocate() }
    hits.initialize(repeating: 0)
    for _ in 0..<jobs {
        parallelRanges(count, work: .max, partsPerCore: partsPerCore) { range in
            guard nested else {
                for i in range { hits[i] += 1 }
                return
            }
            // A job inside a part runs inline, on the part's own thread.
            parallelRanges(range.count, work: .max) { inner in
                for i in inner { hits[range.lowerBound + i] += 1 }
            }
        }
    }
    return Array(hits)
}

@Suite struct ParallelTests {
    @Test(arguments: [1, 2, 3, 7, 100, 65_537])
    func everyIndexOnceAcrossManyJobs(count: Int) {
        #expect(visits(count: count, jobs: 2_000) == [Int](repeating: 2_000, count: count))
    }

    /// Several parts per thread: each thread runs its own share and then takes parts from the
    /// others' (odd counts give shares of unequal size).
    @Test(arguments: [5, 9, 100, 65_537])
    func everyIndexOnceWithSeveralPartsPerThread(count: Int) {
        let jobs = 2_000
        #expect(visits(count: count, jobs: jobs, partsPerCore: 7) == [Int](repeating: jobs, count: count))
    }

    /// A thread held up in a part is relieved of the rest of its share, from the back: while the
    /// caller waits in its first part for every other part to finish, other threads run its other
    /// parts, last one first. Runs where the caller did not get to its first part first
    /// (descheduled under the parallel tests) or where the job ran inline (another test's job held
    /// the workers) are retried.
    @Test func aHeldUpThreadsPartsAreTakenFromTheBack() {
        guard kernelThreads > 1 else { return }
        let caller = Thread.current
        let parts = 4 * kernelThreads
        let lock = NSLock()
        var onCaller = [Bool](repeating: true, count: parts)
        var order: [Int] = []
        for _ in 0..<50 {
            order = []
            parallelRanges(parts, work: .max, partsPerCore: 4) { range in
                for i in range {
                    let here = Thread.current == caller
                    lock.withLock {
                        onCaller[i] = here
                        order.append(i)
                    }
                    // (An inline run is one range of every part, which must not wait for itself.)
                    guard i == 0 && here && range.count == 1 else { continue }
                    let deadline = Date().addingTimeInterval(5)
                    while lock.withLock({ order.count }) < parts && Date() < deadline {
                        Thread.sleep(forTimeInterval: 0.001)
                    }
                }
            }
            if order.first == 0 && onCaller[0] && !onCaller.allSatisfy({ $0 }) { break }
        }
        #expect(onCaller[0])
        #expect(!onCaller[1] && !onCaller[2] && !onCaller[3])
        #expect(order.filter { (1...3).contains($0) } == [3, 2, 1])
    }

    @Test func nestedJobsRunInline() {
        #expect(visits(count: 1_000, jobs: 200, nested: true) == [Int](repeating: 200, count: 1_000))
    }

    @Test func jobsFromSeveralThreadsAtOnce() async {
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { visits(count: 257, jobs: 2_000, partsPerCore: 3) } }
            return await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.count == 4)
        for result in results { #expect(result == [Int](repeating: 2_000, count: 257)) }
    }

    @Test func smallWorkRunsInlineOnTheCaller() {
        let caller = Thread.current
        var sameThread = true
        parallelRanges(8, work: parallelWorkThreshold - 1) { _ in sameThread = sameThread && Thread.current == caller }
        #expect(sameThread)
    }
}
