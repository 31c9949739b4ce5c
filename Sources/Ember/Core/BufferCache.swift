import Synchronization

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

    /// A new block: from the cache when one of this size is free, else from `malloc`.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        take(bytes: bytes) ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: bytes >= 4096 ? 64 : 16)
    }
}
