/// Indexing by tensors and masks: `indexSelect`, `gather`, `scatter`, `scatterAdd`, `maskedFill`,
/// `where`, `oneHot`, and the subscripts `x[i]`, `x[a..<b]`.

/// Reads an int64 index tensor into Swift integers, wrapping negatives and checking bounds.
private func indexValues(_ index: Tensor, bound: Int, op: String) -> [Int] {
    precondition(index.dtype == .int64, "\(op)(): Expected dtype int64 for index")
    return index.toArray(as: Int64.self).map { raw in
        let i = Int(raw)
        precondition(i >= -bound && i < bound, "index \(i) is out of bounds for dimension with size \(bound)")
        return i < 0 ? i + bound : i
    }
}

/// Walks `index`'s elements with the matching element offsets of `positional` tensors (indexed
/// by position, same rank, at least as large) and of `indexed` tensors (whose `dim` stride is left
/// out: the caller adds `value * stride`), calling `body(indexValue, offsets)`.
private func forEachIndexed(
    _ index: Tensor, dim: Int, bound: Int, positional: [Tensor], indexed: [Tensor],
    _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void
) {
    for t in positional + indexed {
        precondition(
            t.dim == index.dim
                && (0..<index.dim).allSatisfy { $0 == dim || index.shape[$0] <= t.shape[$0] }
                && (positional.contains { $0 === t } ? index.shape[dim] <= t.shape[dim] : true),
            "Size does not match at dimension \(dim) expected index \(index.shape) to be smaller than self \(t.shape) apart from dimension \(dim)"
        )
    }
    let strides =
        [index.strides] + positional.map(\.strides)
        + indexed.map { t in
            var s = t.strides
            s[dim] = 0
            return s
        }
    let p = index.base(Int64.self)
    let operands = positional.count + indexed.count
    var offsets = [Int](repeating: 0, count: operands)
    StridedLoop(shape: index.shape, strides: strides).forEachRun { off, n, inner in
        offsets.withUnsafeMutableBufferPointer { o in
            for i in 0..<n {
                var v = Int(p[off[0] + i * inner[0]])
                precondition(
                    v >= -bound && v < bound, "index \(v) is out of bounds for dimension \(dim) with size \(bound)")
                if v < 0 { v += bound }
                for k in 0..<operands { o[k] = off[k + 1] + i * inner[k + 1] }
                body(v, o)
            }
        }
    }
}

/// Reads and writes single elements of any dtype through raw offsets.
private func moveElement(_ dst: Tensor, _ dstOffset: Int, _ src: Tensor, _ srcOffset: Int, accumulate: Bool) {
    func move<T: TensorScalar>(_: T.Type, _ combine: (T, T) -> T) {
        let d = dst.base(T.self) + dstOffset
        let s = src.base(T.self)[srcOffset]
        d.pointee = accumulate ? combine(d.pointee, s) : s
    }
    switch dst.dtype {
    case .float32: move(Float.self, +)
    case .float64: move(Double.self, +)
    case .int64: move(Int64.self, +)
    case .bool: move(Bool.self) { $0 || $1 }
    }
}

extension Tensor {
    private func checkIndexRank(_ index: Tensor, _ op: String) {
        precondition(
            index.dim == dim || (index.dim <= 1 && dim <= 1),
            "Index tensor must have the same number of dimensions as input tensor")
    }

    /// Elements picked along `dim` by an int64 index of the same rank (`gather`).
    public func gather(dim: Int, index: Tensor) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        checkIndexRank(index, "gather")
        let out = Tensor(empty: index.shape, dtype: dtype, zeroed: false)
        let step = self.dim == 0 ? 0 : strides[d]
        let bound = self.dim == 0 ? 1 : shape[d]
        let src = self.dim == 0 ? reshape([1]) : self
        precondition(index.dtype == .int64, "gather(): Expected dtype int64 for index")
        forEachIndexed(index, dim: d, bound: bound, positional: [out], indexed: [src]) { v, o in
            moveElement(out, o[0], src, o[1] + v * step, accumulate: false)
        }
        let inputShape = shape
        return Tensor.record("GatherBackward0", output: out, inputs: [self], saving: [index]) { g, _ in
            [Tensor.zeros(inputShape, dtype: g.dtype).scatterAdd(dim: d, index: index, src: g)]
        }
    }

    private func scattering(dim: Int, index: Tensor, src: Tensor, accumulate: Bool) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        checkIndexRank(index, "scatter")
        let out = noGrad { self.detach().clone() }
        let source = src.to(dtype)
        let step = out.strides[d]
        precondition(index.dtype == .int64, "scatter(): Expected dtype int64 for index")
        forEachIndexed(index, dim: d, bound: shape[d], positional: [source], indexed: [out]) { v, o in
            moveElement(out, o[1] + v * step, source, o[0], accumulate: accumulate)
        }
        return out
    }

    /// A copy with `src` written at the positions `index` gives along `dim` (`scatter`).
    public func scatter(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        let out = scattering(dim: d, index: index, src: src, accumulate: false)
        return Tensor.record("ScatterBackward0", output: out, inputs: [self, src], saving: [index]) { g, needs in
            [
                needs[0] ? g.scatter(dim: d, index: index, value: 0) : nil,
                needs[1] ? g.gather(dim: d, index: index) : nil,
            ]
        }
    }

    /// A copy with `value` written at the positions `index` gives along `dim` (`scatter(value=)`).
    public func scatter(dim: Int, index: Tensor, value: Double) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        let src = Tensor.full(index.shape, value, dtype: dtype)
        let out = scattering(dim: d, index: index, src: src, accumulate: false)
        return Tensor.record("ScatterBackward1", output: out, inputs: [self], saving: [index]) { g, _ in
            [g.scatter(dim: d, index: index, value: 0)]
        }
    }

    /// A copy with `src` added at the positions `index` gives along `dim` (`scatter_add`).
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        let out = scattering(dim: d, index: index, src: src, accumulate: true)
        return Tensor.record("ScatterAddBackward0", output: out, inputs: [self, src], saving: [index]) {
            g, needs in
            [needs[0] ? g : nil, needs[1] ? g.gather(dim: d, index: index) : nil]
        }
    }

    /// Slices along `dim` picked by a 1-D int64 index (`index_select`).
    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        precondition(index.dim <= 1, "index_select(): Index is supposed to be a vector")
        let d = normalizeDim(dim, self.dim)
        let idx = indexValues(index, bound: shape[d], op: "index_select")
        var shape = self.shape
        shape[d] = idx.count
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        if d == 0 && isContiguous {
            // Whole rows: one memcpy each (the DataLoader's batch gather).
            let row = count / Swift.max(self.shape[0], 1) * dtype.itemSize
            let src = storage.data + storageOffset * dtype.itemSize
            for (i, r) in idx.enumerated() {
                (out.storage.data + i * row).copyMemory(from: src + r * row, byteCount: row)
            }
        } else {
            for (i, r) in idx.enumerated() {
                copyElements(into: out.detach().select(dim: d, index: i), from: detach().select(dim: d, index: r))
            }
        }
        let inputShape = self.shape
        return Tensor.record("IndexSelectBackward0", output: out, inputs: [self], saving: [index]) { g, _ in
            [Tensor.zeros(inputShape, dtype: g.dtype).indexAdd(dim: d, index: index, source: g)]
        }
    }

    /// A copy with `source`'s slices added at the positions a 1-D index gives along `dim` (`index_add`).
    public func indexAdd(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        let d = normalizeDim(dim, self.dim)
        let idx = indexValues(index, bound: shape[d], op: "index_add")
        let out = noGrad { self.detach().clone() }
        noGrad {
            for (i, r) in idx.enumerated() {
                out.select(dim: d, index: r).addInPlace(source.detach().select(dim: d, index: i))
            }
        }
        return Tensor.record("IndexAddBackward0", output: out, inputs: [self, source], saving: [index]) {
            g, needs in
            [needs[0] ? g : nil, needs[1] ? g.indexSelect(dim: d, index: index) : nil]
        }
    }

    /// A copy with `value` where `mask` is true (`masked_fill`); `mask` broadcasts.
    public func maskedFill(_ mask: Tensor, value: Double) -> Tensor {
        precondition(
            mask.dtype == .bool,
            "masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype.pytorchName)")
        return Tensor.where(mask, Tensor.wrapping(value, dtype: dtype.isFloatingPoint ? .float64 : dtype), self)
            .to(dtype)
    }

    /// Elements of `a` where `condition` is true, else of `b`, all broadcast (`torch.where`).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let dtype = resultType(a, b)
        let shape = broadcastShapes(condition.shape, broadcastShapes(a.shape, b.shape))
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        let c = condition.to(.bool)
        let x = a.to(dtype)
        let y = b.to(dtype)
        switch dtype {
        case .float32: map3(into: out, c, x, y) { (m: Bool, p: Float, q: Float) in m ? p : q }
        case .float64: map3(into: out, c, x, y) { (m: Bool, p: Double, q: Double) in m ? p : q }
        case .int64: map3(into: out, c, x, y) { (m: Bool, p: Int64, q: Int64) in m ? p : q }
        case .bool: map3(into: out, c, x, y) { (m: Bool, p: Bool, q: Bool) in m ? p : q }
        }
        return Tensor.record("WhereBackward0", output: out, inputs: [a, b], saving: [c]) { g, needs in
            let zero = Tensor.zerosLike(g)
            return [
                needs[0] ? Tensor.where(c, g, zero) : nil,
                needs[1] ? Tensor.where(c, zero, g) : nil,
            ]
        }
    }

    /// One-hot encoding of int64 class indices, as int64 with a new last dimension
    /// (`F.one_hot`); `numClasses` of -1 means `max + 1`.
    public static func oneHot(_ tensor: Tensor, numClasses: Int = -1) -> Tensor {
        precondition(tensor.dtype == .int64, "one_hot is only applicable to index tensor of type LongTensor.")
        let values = tensor.toArray(as: Int64.self)
        let classes = numClasses >= 0 ? numClasses : Int(values.max() ?? -1) + 1
        precondition(values.allSatisfy { $0 >= 0 }, "Class values must be non-negative.")
        precondition(values.allSatisfy { $0 < classes }, "Class values must be smaller than num_classes.")
        let out = Tensor.zeros(tensor.shape + [classes], dtype: .int64)
        let p = out.base(Int64.self)
        for (i, v) in values.enumerated() { p[i * classes + Int(v)] = 1 }
        return out
    }

    // MARK: Subscripts

    /// The sub-tensor at `index` along the first dimension (`x[i]`), a view; assigning copies
    /// into it.
    public subscript(_ index: Int) -> Tensor {
        get { select(dim: 0, index: index) }
        set { noGradIfNeeded(newValue) { self.select(dim: 0, index: index).copy(from: newValue) } }
    }

    /// Nested integer indexing (`x[i, j]`), a view.
    public subscript(_ i: Int, _ j: Int, _ rest: Int...) -> Tensor {
        var v = select(dim: 0, index: i).select(dim: 0, index: j)
        for k in rest { v = v.select(dim: 0, index: k) }
        return v
    }

    /// A range along the first dimension (`x[a:b]`), a view; assigning copies into it.
    public subscript(_ range: Range<Int>) -> Tensor {
        get { slice(dim: 0, start: range.lowerBound, end: range.upperBound) }
        set {
            noGradIfNeeded(newValue) {
                self.slice(dim: 0, start: range.lowerBound, end: range.upperBound).copy(from: newValue)
            }
        }
    }

    /// A closed range along the first dimension (`x[a:b+1]`), a view.
    public subscript(_ range: ClosedRange<Int>) -> Tensor {
        slice(dim: 0, start: range.lowerBound, end: range.upperBound + 1)
    }

    /// Runs an assignment; assignments of values that need no gradient into tensors that need none
    /// skip autograd (views then need no graph).
    private func noGradIfNeeded(_ value: Tensor, _ body: () -> Void) {
        if requiresGrad || value.requiresGrad { body() } else { noGrad(body) }
    }
}
