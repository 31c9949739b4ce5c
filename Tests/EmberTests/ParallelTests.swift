// Ember's worker threads (Sources/CEmberKernels/parallel.c behind `parallelRanges`): every index
// is visited exactly once, over many back-to-back jobs, nested jobs and jobs posted from several
// threads at once.

import Foundation
import Testing

@testable import Ember

/// Runs `jobs` jobs over `count` indices and returns how often each index was visited.
private func visits(count: Int, jobs: Int, nested: Bool = false) -> [Int] {
    let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
    defer { hits.deallocate() }
    hits.initialize(repeating: 0)
    for _ in 0..<jobs {
        parallelRanges(count, work: .max) { range in
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

    @Test func nestedJobsRunInline() {
        #expect(visits(count: 1_000, jobs: 200, nested: true) == [Int](repeating: 200, count: 1_000))
    }

    @Test func jobsFromSeveralThreadsAtOnce() async {
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { visits(count: 257, jobs: 2_000) } }
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
