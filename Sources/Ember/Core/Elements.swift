/// Reading and writing elements, copies and dtype conversion.
extension Tensor {
    /// The value of a one-element tensor as a `Double` (`item()`).
    public func item() -> Double {
        precondition(
            count == 1, "a Tensor with \(count) elements cannot be converted to Scalar")
        return element(at: [Int](repeating: 0, count: dim))
    }

    /// The value of a one-element tensor as `T`.
    public func item<T: TensorScalar>(as _: T.Type) -> T { T(fromDouble: item()) }

    /// All elements in row-major order, converted to `T` (`tolist()` flattened).
    public func toArray<T: TensorScalar>(as _: T.Type) -> [T] {
        let c = to(T.dtype).contiguous()
        return Array(UnsafeBufferPointer(start: c.base(T.self), count: c.count))
    }

    /// All elements in row-major order as `Double`s.
    public var scalars: [Double] { toArray(as: Double.self) }

    /// The element at a multi-index, as a `Double`.
    public func element(at index: [Int]) -> Double {
        precondition(index.count == dim, "element(at:): expected \(dim) indices, got \(index.count)")
        var offset = storageOffset
        for d in 0..<dim {
            let i = index[d] < 0 ? index[d] + shape[d] : index[d]
            precondition(
                i >= 0 && i < shape[d],
                "index \(index[d]) is out of bounds for dimension \(d) with size \(shape[d])")
            offset += i * strides[d]
        }
        return Tensor.readElement(storage, offset)
    }

    static func readElement(_ storage: Storage, _ offset: Int) -> Double {
        switch storage.dtype {
        case .float32: Double(storage.pointer(as: Float.self)[offset])
        case .float64: storage.pointer(as: Double.self)[offset]
        case .int64: Double(storage.pointer(as: Int64.self)[offset])
        case .bool: storage.pointer(as: Bool.self)[offset] ? 1 : 0
        }
    }

    /// Writes element `linear` (row-major index into this contiguous tensor's storage).
    func setElement(_ linear: Int, _ value: Double) { writeElement(offset: storageOffset + linear, value) }

    // MARK: Copies

    /// A tensor sharing this one's memory but cut from the graph (`detach()`): it never requires
    /// grad, and in-place changes to either are seen by both.
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: storageOffset)
    }

    /// A contiguous copy with its own memory; differentiable (`clone()`).
    public func clone() -> Tensor {
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        copyElements(into: out, from: self)
        return Tensor.record("CloneBackward0", output: out, inputs: [self]) { g, _ in [g] }
    }

    /// This tensor if already contiguous, else a contiguous copy (`contiguous()`).
    public func contiguous() -> Tensor {
        isContiguous ? self : clone()
    }

    /// A copy converted to `dtype` (`to(dtype)`); returns `self` when the type already matches.
    public func to(_ dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        copyElements(into: out, from: self)
        guard dtype.isFloatingPoint && self.dtype.isFloatingPoint else { return out }
        let source = self.dtype
        return Tensor.record("ToCopyBackward0", output: out, inputs: [self]) { g, _ in [g.to(source)] }
    }

    /// A `.float32` copy (`float()`).
    public func float() -> Tensor { to(.float32) }
    /// A `.float64` copy (`double()`).
    public func double() -> Tensor { to(.float64) }
    /// An `.int64` copy (`long()`).
    public func long() -> Tensor { to(.int64) }
}

/// Copies `source` (broadcast to `out`'s shape) into `out`, converting the element type.
func copyElements(into out: Tensor, from source: Tensor) {
    switch source.dtype {
    case .float32: copyElements(into: out, from: source, as: Float.self)
    case .float64: copyElements(into: out, from: source, as: Double.self)
    case .int64: copyElements(into: out, from: source, as: Int64.self)
    case .bool: copyElements(into: out, from: source, as: Bool.self)
    }
}

private func copyElements<A: TensorScalar>(into out: Tensor, from source: Tensor, as _: A.Type) {
    switch out.dtype {
    case .float32:
        map1(into: out, source) { (x: A) in A.self == Float.self ? x as! Float : Float(fromDouble: x.doubleValue) }
    case .float64: map1(into: out, source) { (x: A) in Double(fromDouble: x.doubleValue) }
    case .int64:
        map1(into: out, source) { (x: A) in A.self == Int64.self ? x as! Int64 : Int64(fromDouble: x.doubleValue) }
    case .bool: map1(into: out, source) { (x: A) in x.doubleValue != 0 }
    }
}
