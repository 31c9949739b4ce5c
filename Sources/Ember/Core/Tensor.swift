/// An n-dimensional array with PyTorch's semantics: a view over shared `Storage` described by a
/// shape, strides and a storage offset, with a run-time `dtype` and reverse-mode autograd.
///
/// `Tensor` is a class, as in PyTorch: views alias their base's memory, `grad` lives on the leaf,
/// and in-place operations (`+=`, `fill(_:)`) change every view of the same storage.
///
/// Threading: a tensor and the graph that produced it belong to one thread at a time. That is
/// also why its mutable fields skip Swift's run-time exclusivity checks (`@exclusivity(unchecked)`):
/// they were a sixth of the cost of a small op.
public final class Tensor: @unchecked Sendable {
    /// The memory this tensor views.
    @exclusivity(unchecked) var storage: Storage
    /// Sizes of each dimension (`torch.Tensor.shape`).
    @exclusivity(unchecked) public internal(set) var shape: [Int]
    /// Element steps between neighbours along each dimension (`torch.Tensor.stride()`).
    @exclusivity(unchecked) public internal(set) var strides: [Int]
    /// Index of the first element in the storage (`torch.Tensor.storage_offset()`).
    @exclusivity(unchecked) public internal(set) var storageOffset: Int

    /// Leaf flag set by the user (`requires_grad=True` on a leaf).
    @exclusivity(unchecked) var leafRequiresGrad = false
    /// The node that produced this tensor, or `nil` for a leaf (`grad_fn`).
    @exclusivity(unchecked) public internal(set) var gradFn: Node?
    /// Whether a non-leaf keeps its gradient after backward (see `retainGrad()`).
    @exclusivity(unchecked) var retainsGrad = false
    /// Whether a module registers this tensor as a parameter or buffer (see `Parameter`, `Buffer`).
    var moduleRole: ModuleRole?
    /// Set on views made by view ops (they share memory with a base tensor).
    @exclusivity(unchecked) var isView = false
    /// Set for tensors made from Swift numbers, which take part in type promotion like Python scalars.
    @exclusivity(unchecked) var isWrappedNumber = false
    /// The accumulated gradient (`.grad`): set by `backward()`, summed across calls, settable.
    public var grad: Tensor? {
        get { gradStorage }
        set {
            if let g = newValue {
                precondition(
                    g.shape == shape,
                    "assigned grad has data of a different size: expected \(shape), got \(g.shape)")
                precondition(
                    g.dtype == dtype,
                    "assigned grad has data of a different type: expected \(dtype), got \(g.dtype)")
            }
            gradStorage = newValue
        }
    }
    @exclusivity(unchecked) var gradStorage: Tensor?

    /// Creates a view over `storage`.
    init(storage: Storage, shape: [Int], strides: [Int], offset: Int = 0) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.storageOffset = offset
    }

    /// Creates a contiguous tensor over freshly allocated (zeroed unless `zeroed` is false) memory.
    convenience init(empty shape: [Int], dtype: DType, zeroed: Bool = true) {
        let storage = Storage(count: shape.reduce(1, *), dtype: dtype, zeroed: zeroed)
        self.init(storage: storage, shape: shape, strides: contiguousStrides(shape))
    }

    /// Creates a tensor of the given shape from row-major scalars (`Float`, `Double`, `Int64`, `Bool`).
    public convenience init<T: TensorScalar>(shape: [Int], scalars: [T]) {
        checkShape(shape, function: "Tensor(shape:scalars:)")
        let count = shape.reduce(1, *)
        precondition(
            count == scalars.count,
            "Tensor(shape:scalars:): shape \(shape) holds \(count) elements but \(scalars.count) scalars were given"
        )
        self.init(empty: shape, dtype: T.dtype, zeroed: false)
        let p = storage.pointer(as: T.self)
        scalars.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            p.update(from: base, count: count)
        }
    }

    /// Creates an `.int64` tensor from Swift `Int`s.
    public convenience init(shape: [Int], scalars: [Int]) {
        self.init(shape: shape, scalars: scalars.map { Int64($0) })
    }

    /// Creates a 1-D tensor from scalars.
    public convenience init<T: TensorScalar>(_ scalars: [T]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// Creates a 0-dimensional tensor holding one number (`torch.tensor(3.0)`), float32 by default.
    public convenience init(_ value: Double, dtype: DType = .float32) {
        self.init(empty: [], dtype: dtype, zeroed: false)
        setElement(0, value)
    }

    /// A 0-dim tensor standing for a Swift number in an arithmetic expression (a "wrapped number").
    static func wrapping(_ value: Double, dtype: DType) -> Tensor {
        let t = Tensor(value, dtype: dtype)
        t.isWrappedNumber = true
        return t
    }

    // MARK: Basic properties

    /// The element type.
    public var dtype: DType { storage.dtype }
    /// The number of dimensions (`ndim`).
    public var dim: Int { shape.count }
    /// The total number of elements (`numel()`).
    public var count: Int { shape.reduce(1, *) }
    /// The number of elements (`numel()`), PyTorch's spelling.
    public func numel() -> Int { count }

    /// The size of one dimension; negative dimensions count from the end.
    public func size(_ dim: Int) -> Int { shape[normalizeDim(dim, self.dim)] }
    /// The stride of one dimension; negative dimensions count from the end.
    public func stride(_ dim: Int) -> Int { strides[normalizeDim(dim, self.dim)] }

    /// Whether the elements are laid out row-major without gaps (`is_contiguous()`).
    public var isContiguous: Bool {
        var expected = 1
        for d in Swift.stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Whether this tensor is a leaf of the autograd graph (created by the user, not by an op).
    public var isLeaf: Bool { gradFn == nil }

    /// Whether operations on this tensor are recorded for differentiation (`requires_grad`).
    ///
    /// Settable on leaves only, and only for floating-point tensors, as in PyTorch.
    public var requiresGrad: Bool {
        get { leafRequiresGrad || gradFn != nil }
        set {
            precondition(
                gradFn == nil,
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
            precondition(
                !newValue || dtype.isFloatingPoint,
                "only Tensors of floating point dtype can require gradients")
            leafRequiresGrad = newValue
        }
    }

    /// Sets `requiresGrad` and returns the tensor, like `requires_grad_()`.
    @discardableResult
    public func requiresGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// Keeps `grad` for this non-leaf tensor after `backward()` (`retain_grad()`).
    public func retainGrad() {
        guard let node = gradFn else { return }
        if !retainsGrad {
            retainsGrad = true
            node.retainedTensors.append(WeakTensor(self))
        }
    }

    /// Bumps the version counter after an in-place write.
    func bumpVersion() { storage.version += 1 }

    /// The in-place modification count of the underlying memory (`_version`).
    public var version: Int { storage.version }
}

/// A weak reference to a tensor, for non-leaves whose gradient is retained.
struct WeakTensor {
    weak var tensor: Tensor?
    init(_ tensor: Tensor) { self.tensor = tensor }
}

/// The strides of every one-dimensional contiguous tensor, shared: a new array costs an
/// allocation and a runtime metadata lookup, a large part of a small op.
private let unitStrides = [1]

/// Row-major strides for a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    if shape.count <= 1 { return shape.isEmpty ? [] : unitStrides }
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for d in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
        strides[d] = acc
        acc *= max(shape[d], 1)
    }
    return strides
}

/// Wraps a possibly negative dimension into `0..<rank`, with PyTorch's error otherwise.
func normalizeDim(_ dim: Int, _ rank: Int) -> Int {
    let r = max(rank, 1)
    precondition(
        dim >= -r && dim < r,
        "Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
    return dim < 0 ? dim + r : dim
}

/// Rejects negative sizes.
func checkShape(_ shape: [Int], function: String) {
    for s in shape {
        precondition(s >= 0, "\(function): negative dimension \(s) in shape \(shape)")
    }
}
