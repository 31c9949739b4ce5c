#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A reference-counted block of memory holding tensor elements, shared by every view of it.
///
/// The version counter is bumped by every in-place write, so autograd can tell when a tensor it
/// saved for backward has been modified (PyTorch's `_version`).
final class Storage: @unchecked Sendable {
    /// Start of the elements: 64-byte aligned for large buffers, 16 for small ones (which then come
    /// from plain `malloc`, the fast path for the many tiny tensors of a training step). Large
    /// blocks are reused through `BufferCache`.
    let data: UnsafeMutableRawPointer
    /// Number of elements.
    let count: Int
    /// Element type.
    let dtype: DType
    /// In-place modification counter shared by all views.
    @exclusivity(unchecked) var version = 0

    /// Allocates `count` elements of `dtype`; zero-filled unless the caller overwrites them all.
    init(count: Int, dtype: DType, zeroed: Bool = true) {
        self.count = count
        self.dtype = dtype
        let bytes = max(count * dtype.itemSize, 1)
        data = BufferCache.storageBlock(bytes: bytes)
        if zeroed { memset(data, 0, bytes) }
    }

    deinit { BufferCache.release(storageBlock: data, bytes: max(count * dtype.itemSize, 1)) }

    /// The elements as typed memory; `T` must match `dtype`.
    @inline(__always)
    func pointer<T: TensorScalar>(as _: T.Type) -> UnsafeMutablePointer<T> {
        data.assumingMemoryBound(to: T.self)
    }
}

extension UnsafeMutablePointer where Pointee: TensorScalar {
    /// Sets `count` elements to zero with one `memset` (all bits zero is zero for every element
    /// type). Unspecialised generic code, such as the kernels that take their element type at run
    /// time, would otherwise initialise element by element through the type's value witness.
    func initializeToZero(count: Int) {
        memset(self, 0, count * MemoryLayout<Pointee>.stride)
    }
}
