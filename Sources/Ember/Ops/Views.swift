/// Shape operations that return views sharing the input's memory: `view`, `reshape`, `permute`,
/// `transpose`, `expand`, `squeeze`, `unsqueeze`, `slice`, `select`, `narrow`, `flatten`.
extension Tensor {
    /// A view of the same storage with new geometry, recorded with `backward`.
    func makeView(
        _ name: String, shape: [Int], strides: [Int], offset: Int? = nil,
        backward: @escaping (Tensor) -> Tensor
    ) -> Tensor {
        let out = Tensor(storage: storage, shape: shape, strides: strides, offset: offset ?? storageOffset)
        out.isView = true
        return Tensor.record(name, output: out, inputs: [self]) { g, _ in [backward(g)] }
    }

    /// Resolves a single -1 entry, with PyTorch's messages for impossible shapes.
    func inferShape(_ requested: [Int]) -> [Int] {
        var shape = requested
        var inferred: Int?
        var known = 1
        for (i, s) in requested.enumerated() {
            if s == -1 {
                precondition(inferred == nil, "only one dimension can be inferred")
                inferred = i
            } else {
                precondition(s >= 0, "invalid shape dimension \(s)")
                known *= s
            }
        }
        let invalid =
            "shape '[\(requested.map(String.init).joined(separator: ", "))]' is invalid for input of size \(count)"
        if let i = inferred {
            precondition(known != 0 && count % known == 0, invalid)
            shape[i] = count / known
        } else {
            precondition(known == count, invalid)
        }
        return shape
    }

    /// Strides that let `newShape` view this tensor's memory without copying, if any (PyTorch's
    /// `computeStride`).
    private func viewStrides(_ newShape: [Int]) -> [Int]? {
        if shape.isEmpty { return [Int](repeating: 1, count: newShape.count) }
        if count == 0 { return shape == newShape ? strides : contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBaseStride = strides.last!
        var tensorNumel = 1
        var viewNumel = 1
        for tensorD in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            tensorNumel *= shape[tensorD]
            if tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride) {
                while viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
                    newStrides[viewD] = viewNumel * chunkBaseStride
                    viewNumel *= newShape[viewD]
                    viewD -= 1
                }
                if viewNumel != tensorNumel { return nil }
                if tensorD > 0 {
                    chunkBaseStride = strides[tensorD - 1]
                    tensorNumel = 1
                    viewNumel = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    /// A view with a new shape; one dimension may be -1 (`view`). Stops when the memory layout
    /// does not allow a view, as PyTorch does; use `reshape` then.
    public func view(_ shape: [Int]) -> Tensor {
        let newShape = inferShape(shape)
        guard let newStrides = viewStrides(newShape) else {
            fatalError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        }
        let inputShape = self.shape
        return makeView("ViewBackward0", shape: newShape, strides: newStrides) { $0.reshape(inputShape) }
    }

    /// A view with a new shape (`view(2, -1)`).
    public func view(_ shape: Int...) -> Tensor { view(shape) }

    /// A view with a new shape when the layout allows, a copy otherwise (`reshape`).
    public func reshape(_ shape: [Int]) -> Tensor {
        let newShape = inferShape(shape)
        return viewStrides(newShape) != nil ? view(newShape) : contiguous().view(newShape)
    }

    /// A view or copy with a new shape (`reshape(3, -1)`).
    public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }

    /// Flattens dimensions `startDim ... endDim` into one (`flatten`).
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if dim == 0 { return reshape([1]) }
        let s = normalizeDim(startDim, dim)
        let e = normalizeDim(endDim, dim)
        precondition(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim")
        let merged = shape[s...e].reduce(1, *)
        return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Reorders dimensions (`permute(1, 0)`).
    public func permute(_ dims: [Int]) -> Tensor {
        precondition(
            dims.count == dim,
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(dim) is not equal to len(dims) = \(dims.count)"
        )
        let order = dims.map { normalizeDim($0, dim) }
        precondition(Set(order).count == dim, "permute(): duplicate dims are not allowed.")
        var inverse = [Int](repeating: 0, count: dim)
        for (i, d) in order.enumerated() { inverse[d] = i }
        return makeView(
            "PermuteBackward0", shape: order.map { shape[$0] }, strides: order.map { strides[$0] }
        ) { $0.permute(inverse) }
    }

    /// Reorders dimensions (`permute(1, 0)`).
    public func permute(_ dims: Int...) -> Tensor { permute(dims) }

    /// A view of the same elements in memory order (dimensions by decreasing stride) when that
    /// view is contiguous, as for a transposed contiguous tensor; nil when the elements have gaps
    /// or overlap. Not recorded for autograd.
    func densePermutation() -> Tensor? {
        if isContiguous { return self }
        let view = detach().permute((0..<dim).sorted { strides[$0] > strides[$1] })
        return view.isContiguous ? view : nil
    }

    /// Swaps two dimensions (`transpose(0, 1)`).
    public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor {
        let a = normalizeDim(dim0, dim)
        let b = normalizeDim(dim1, dim)
        var newShape = shape
        var newStrides = strides
        newShape.swapAt(a, b)
        newStrides.swapAt(a, b)
        return makeView("TransposeBackward0", shape: newShape, strides: newStrides) { $0.transpose(a, b) }
    }

    /// Transpose of a matrix; vectors and scalars are returned as they are (`t()`).
    public func t() -> Tensor {
        precondition(dim <= 2, "t() expects a tensor with <= 2 dimensions, but self is \(dim)D")
        if dim < 2 { return makeView("TBackward0", shape: shape, strides: strides) { $0 } }
        return makeView("TBackward0", shape: [shape[1], shape[0]], strides: [strides[1], strides[0]]) { $0.t() }
    }

    // swift-format-ignore: AlwaysUseLowerCamelCase
    /// All dimensions reversed (PyTorch's `.T`).
    public var T: Tensor { dim < 2 ? self : permute(Array((0..<dim).reversed())) }

    /// Broadcasts size-1 dimensions to larger sizes without copying; -1 keeps a size (`expand`).
    public func expand(_ sizes: [Int]) -> Tensor {
        precondition(
            sizes.count >= dim,
            "expand(\(typeDescription.split(separator: " ")[0]){[\(shape.map(String.init).joined(separator: ", "))]}, size=[\(sizes.map(String.init).joined(separator: ", "))]): the number of sizes provided (\(sizes.count)) must be greater or equal to the number of dimensions in the tensor (\(dim))"
        )
        let lead = sizes.count - dim
        var newShape = [Int](repeating: 0, count: sizes.count)
        var newStrides = [Int](repeating: 0, count: sizes.count)
        for i in 0..<sizes.count {
            if i < lead {
                precondition(
                    sizes[i] >= 0,
                    "The expanded size of the tensor (\(sizes[i])) isn't allowed in a leading, non-existing dimension \(i)"
                )
                newShape[i] = sizes[i]
                continue
            }
            let old = shape[i - lead]
            let target = sizes[i] == -1 ? old : sizes[i]
            if old == target {
                newShape[i] = old
                newStrides[i] = strides[i - lead]
            } else {
                precondition(
                    old == 1,
                    "The expanded size of the tensor (\(target)) must match the existing size (\(old)) at non-singleton dimension \(i).  Target sizes: [\(sizes.map(String.init).joined(separator: ", "))].  Tensor sizes: [\(shape.map(String.init).joined(separator: ", "))]"
                )
                newShape[i] = target
            }
        }
        let inputShape = shape
        return makeView("ExpandBackward0", shape: newShape, strides: newStrides) { $0.sumToShape(inputShape) }
    }

    /// Broadcasts to larger sizes without copying (`expand(4, 5, 6)`).
    public func expand(_ sizes: Int...) -> Tensor { expand(sizes) }

    /// Broadcasts to `other`'s shape (`expand_as`).
    public func expandAs(_ other: Tensor) -> Tensor { expand(other.shape) }

    /// Removes size-1 dimensions: all of them, or only `dim` (`squeeze`).
    public func squeeze(dim d: Int? = nil) -> Tensor {
        var keep = Array(0..<dim)
        if let d {
            let n = normalizeDim(d, dim)
            if dim > 0 && shape[n] == 1 { keep.remove(at: n) }
        } else {
            keep = keep.filter { shape[$0] != 1 }
        }
        let inputShape = shape
        return makeView("SqueezeBackward0", shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }) {
            $0.reshape(inputShape)
        }
    }

    /// Inserts a size-1 dimension at `dim` (`unsqueeze`).
    public func unsqueeze(_ d: Int) -> Tensor {
        let n = normalizeDim(d, dim + 1)
        var newShape = shape
        var newStrides = strides
        newShape.insert(1, at: n)
        newStrides.insert(n < dim ? strides[n] * shape[n] : 1, at: n)
        return makeView("UnsqueezeBackward0", shape: newShape, strides: newStrides) { $0.squeeze(dim: n) }
    }

    /// Elements `start ..< end` by `step` along `dim` (`x[:, start:end:step]`); bounds are clamped
    /// and may be negative, as in Python.
    public func slice(dim d: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> Tensor {
        precondition(step > 0, "slice step must be positive")
        let n = normalizeDim(d, dim)
        let size = shape[n]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let s = clampIndex(start ?? 0)
        let e = Swift.max(clampIndex(end ?? size), s)
        var newShape = shape
        var newStrides = strides
        newShape[n] = (e - s + step - 1) / step
        newStrides[n] = strides[n] * step
        let inputShape = shape
        return makeView(
            "SliceBackward0", shape: newShape, strides: newStrides, offset: storageOffset + s * strides[n]
        ) { g in
            g.embedded(in: inputShape, "SliceBackwardBackward0") { $0.slice(dim: n, start: s, end: e, step: step) }
        }
    }

    /// `length` elements from `start` along `dim` (`narrow`).
    public func narrow(dim d: Int, start: Int, length: Int) -> Tensor {
        let n = normalizeDim(d, dim)
        let s = start < 0 ? start + shape[n] : start
        precondition(
            s >= 0 && length >= 0 && s + length <= shape[n],
            "start (\(start)) + length (\(length)) exceeds dimension size (\(shape[n]))."
        )
        return slice(dim: n, start: s, end: s + length)
    }

    /// The sub-tensor at `index` along `dim`, which is removed (`select`, `x[i]`).
    public func select(dim d: Int, index: Int) -> Tensor {
        precondition(dim > 0, "select() cannot be applied to a 0-dim tensor.")
        let n = normalizeDim(d, dim)
        let i = index < 0 ? index + shape[n] : index
        precondition(
            i >= 0 && i < shape[n],
            "select(): index \(index) out of range for tensor of size [\(shape.map(String.init).joined(separator: ", "))] at dimension \(n)"
        )
        var newShape = shape
        var newStrides = strides
        newShape.remove(at: n)
        newStrides.remove(at: n)
        let inputShape = shape
        return makeView(
            "SelectBackward0", shape: newShape, strides: newStrides, offset: storageOffset + i * strides[n]
        ) { g in
            g.embedded(in: inputShape, "SelectBackwardBackward0") { $0.select(dim: n, index: i) }
        }
    }

    /// Zeros of `shape` with this tensor written into the region `region` picks out: the gradient
    /// of a view. Differentiable (its gradient is `region` of the incoming gradient).
    func embedded(in shape: [Int], _ name: String, region: @escaping (Tensor) -> Tensor) -> Tensor {
        let out = Tensor.zeros(shape, dtype: dtype)
        noGrad { region(out).copy(from: self) }
        return Tensor.record(name, output: out, inputs: [self]) { g, _ in [region(g)] }
    }
}
