import Synchronization

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Large freed storage blocks kept for the next allocation of the same size.
///
/// A training step allocates the same activation and gradient sizes every time; handing a block
/// back to `malloc` and asking again costs page faults and zeroing by the kernel for every large
/// buffer. Blocks of at least `minimumBytes` are kept by exact size, up to `capacity` bytes in
/// all; when a block does not fit, the whole cache is released first, so a change of workload
/// (other sizes) does not pin old blocks.
final class BufferCache: Sendable {
    /// The cache every `Storage` uses.
    static let shared = BufferCache(capacity: 128 << 20)

    /// Smaller blocks go straight back to `malloc`, which already reuses them cheaply.
    static let minimumBytes = 1 << 16

    /// Block addresses by size (as integers: raw pointers are not `Sendable`).
    private struct State {
        var blocks: [Int: [UInt]] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// A cached block of exactly `bytes` bytes (64-byte aligned), or `nil`.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= Self.minimumBytes else { return nil }
        let address = state.withLock { s -> UInt? in
            guard let block = s.blocks[bytes]?.popLast() else { return nil }
            s.bytes -= bytes
            return block
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Keeps `block` (`bytes` long, from `allocate(bytes:)`) for reuse, or frees it.
    func recycle(_ block: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= Self.minimumBytes, bytes <= capacity else {
            block.deallocate()
            return
        }
        let address = UInt(bitPattern: block)
        let released = state.withLock { s -> [UInt] in
            var released: [UInt] = []
            if s.bytes + bytes > capacity {
                released = s.blocks.values.flatMap { $0 }
                s.blocks.removeAll(keepingCapacity: true)
                s.bytes = 0
            }
            s.blocks[bytes, default: []].append(address)
            s.bytes += bytes
            return released
        }
        for b in released { UnsafeMutableRawPointer(bitPattern: b)?.deallocate() }
    }

    /// A new block: from the cache when one of this size is free, else from the allocator,
    /// 64-byte aligned.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        take(bytes: bytes) ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Blocks from this size up come from `shared` (64-byte aligned, large ones reused); smaller
    /// ones from plain `malloc` (16-byte aligned), the fast path for the many tiny tensors of a
    /// training step: Swift's aligned allocation goes through `posix_memalign` even for the
    /// default alignment.
    static let alignedBytes = 4096

    /// A block of `bytes` bytes for a tensor's storage.
    static func storageBlock(bytes: Int) -> UnsafeMutableRawPointer {
        guard bytes >= alignedBytes else {
            guard let block = malloc(bytes) else { fatalError("out of memory allocating \(bytes) bytes") }
            return block
        }
        return shared.allocate(bytes: bytes)
    }

    /// Frees (or keeps for reuse) a block from `storageBlock(bytes:)`.
    static func release(storageBlock block: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= alignedBytes else { return free(block) }
        shared.recycle(block, bytes: bytes)
    }
}
