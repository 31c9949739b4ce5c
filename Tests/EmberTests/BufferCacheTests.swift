// The large-block cache behind `Storage`: same-size reuse, the size floor and the capacity bound.

import Testing

@testable import Ember

@Suite struct BufferCacheTests {
    @Test func reusesABlockOfTheSameSizeOnly() {
        let cache = BufferCache(capacity: 1 << 20)
        let bytes = 1 << 17
        let block = cache.allocate(bytes: bytes)
        cache.recycle(block, bytes: bytes)
        #expect(cache.take(bytes: bytes + 64) == nil)
        let again = cache.allocate(bytes: bytes)
        #expect(again == block)
        #expect(cache.take(bytes: bytes) == nil, "a block is handed out once")
        cache.recycle(again, bytes: bytes)
    }

    @Test func smallBlocksAndBlocksBeyondCapacityAreFreed() {
        let cache = BufferCache(capacity: 1 << 18)
        let small = cache.allocate(bytes: 1024)
        cache.recycle(small, bytes: 1024)
        #expect(cache.take(bytes: 1024) == nil)
        let huge = cache.allocate(bytes: 1 << 19)
        cache.recycle(huge, bytes: 1 << 19)
        #expect(cache.take(bytes: 1 << 19) == nil)
    }

    @Test func aFullCacheIsReleasedBeforeTakingANewBlock() {
        let cache = BufferCache(capacity: 3 << 16)
        let blocks = (0..<3).map { _ in cache.allocate(bytes: 1 << 16) }
        for b in blocks { cache.recycle(b, bytes: 1 << 16) }
        let other = cache.allocate(bytes: 1 << 17)
        cache.recycle(other, bytes: 1 << 17)  // does not fit next to three blocks: they go
        #expect(cache.take(bytes: 1 << 16) == nil)
        #expect(cache.take(bytes: 1 << 17) == other)
        other.deallocate()
    }

    @Test func tensorsReusingMemoryStartClean() {
        // A recycled block comes back dirty; zero-initialised tensors must still read zero.
        let count = 1 << 15
        for _ in 0..<3 {
            let filled = Tensor.full([count], 7)
            #expect(filled.sum().item() == Double(7 * count))
        }
        #expect(Tensor.zeros([count]).abs().max().item() == 0)
    }
}
