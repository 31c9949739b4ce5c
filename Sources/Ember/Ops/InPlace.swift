/// In-place operations (`add_`, `+=`, `fill_`, `copy_`, ...). They write into this tensor's memory,
/// bump its version counter, and rewrite its autograd history so gradients stay correct.
extension Tensor {
    /// Checks that an in-place op may run here and returns whether it must be recorded.
    private func prepareInPlace(_ inputs: [Tensor]) -> Bool {
        let recording = GradMode.isEnabled && (requiresGrad || inputs.contains(where: \.requiresGrad))
        if recording {
            precondition(
                !(isLeaf && leafRequiresGrad),
                "a leaf Variable that requires grad is being used in an in-place operation.")
            precondition(
                !isView,
                "in-place operations on views that take part in autograd are not supported yet; use an out-of-place op (e.g. `x = x + y`) instead"
            )
        }
        return recording
    }

    /// After an in-place write: bumps the version and records `backward` if needed.
    private func commitInPlace(
        _ name: String, inputs: [Tensor], recording: Bool, backward: @escaping (Tensor, [Bool]) -> [Tensor?]
    ) -> Tensor {
        bumpVersion()
        if recording {
            Tensor.record(name, output: self, inputs: [self] + inputs, backward: backward)
        } else if ONNXTracer.isActive {
            ONNXTracer.current?.operation(name, output: self, inputs: [self] + inputs)
        }
        return self
    }

    private func checkInPlaceShape(_ other: Tensor) {
        let b = broadcastShapes(shape, other.shape)
        precondition(
            b == shape,
            "output with shape [\(shape.map(String.init).joined(separator: ", "))] doesn't match the broadcast shape [\(b.map(String.init).joined(separator: ", "))]"
        )
    }

    private func checkCast(_ result: DType) {
        precondition(
            result == dtype || DType.promote(result, dtype) == dtype,
            "result type \(result.pytorchName) can't be cast to the desired output type \(dtype.pytorchName)")
    }

    private func arithmeticInPlace(_ op: ArithmeticOp, _ other: Tensor, _ name: String) -> Tensor {
        checkInPlaceShape(other)
        var result = resultType(self, other)
        if op == .div && !result.isFloatingPoint { result = .float32 }
        checkCast(result)
        let recording = prepareInPlace([other])
        // Multiplication and division need the original values for their gradients.
        let original = recording && (op == .mul || op == .div) ? noGrad { self.detach().clone() } : nil
        arithmetic(op, into: self, self, other)
        return commitInPlace(name, inputs: [other], recording: recording) { g, needs in
            switch op {
            case .add: return [g, g]
            case .sub: return [g, needs[1] ? -g : nil]
            case .mul: return [needs[0] ? g * other : nil, needs[1] ? g * original! : nil]
            case .div:
                return [needs[0] ? g / other : nil, needs[1] ? -g * original! / (other * other) : nil]
            default: fatalError("unsupported in-place op")
            }
        }
    }

    /// Adds `other` in place (`add_`).
    @discardableResult public func addInPlace(_ other: Tensor) -> Tensor {
        arithmeticInPlace(.add, other, "AddBackward0")
    }
    /// Subtracts `other` in place (`sub_`).
    @discardableResult public func subInPlace(_ other: Tensor) -> Tensor {
        arithmeticInPlace(.sub, other, "SubBackward0")
    }
    /// Multiplies by `other` in place (`mul_`).
    @discardableResult public func mulInPlace(_ other: Tensor) -> Tensor {
        arithmeticInPlace(.mul, other, "MulBackward0")
    }
    /// Divides by `other` in place (`div_`).
    @discardableResult public func divInPlace(_ other: Tensor) -> Tensor {
        arithmeticInPlace(.div, other, "DivBackward0")
    }

    /// Adds `other` in place (the seed's `x += residual`); autograd stays correct.
    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.addInPlace(rhs) }
    /// Subtracts `other` in place.
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs.subInPlace(rhs) }
    /// Multiplies in place.
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs.mulInPlace(rhs) }
    /// Divides in place.
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs.divInPlace(rhs) }
    /// Adds a number in place.
    public static func += (lhs: inout Tensor, rhs: Double) { lhs.addInPlace(.wrapping(rhs, dtype: .float64)) }
    /// Subtracts a number in place.
    public static func -= (lhs: inout Tensor, rhs: Double) { lhs.subInPlace(.wrapping(rhs, dtype: .float64)) }
    /// Multiplies by a number in place.
    public static func *= (lhs: inout Tensor, rhs: Double) { lhs.mulInPlace(.wrapping(rhs, dtype: .float64)) }
    /// Divides by a number in place.
    public static func /= (lhs: inout Tensor, rhs: Double) { lhs.divInPlace(.wrapping(rhs, dtype: .float64)) }
    /// Adds an integer in place.
    public static func += (lhs: inout Tensor, rhs: Int) { lhs.addInPlace(.wrapping(Double(rhs), dtype: .int64)) }
    /// Subtracts an integer in place.
    public static func -= (lhs: inout Tensor, rhs: Int) { lhs.subInPlace(.wrapping(Double(rhs), dtype: .int64)) }
    /// Multiplies by an integer in place.
    public static func *= (lhs: inout Tensor, rhs: Int) { lhs.mulInPlace(.wrapping(Double(rhs), dtype: .int64)) }
    /// Divides by an integer in place.
    public static func /= (lhs: inout Tensor, rhs: Int) { lhs.divInPlace(.wrapping(Double(rhs), dtype: .int64)) }

    /// Sets every element to `value` in place (`fill_`).
    @discardableResult
    public func fill(_ value: Double) -> Tensor {
        let recording = prepareInPlace([])
        fillStorage(value)
        return commitInPlace("FillBackward0", inputs: [], recording: recording) { g, _ in [Tensor.zerosLike(g)] }
    }

    /// Sets every element to zero in place (`zero_`).
    @discardableResult
    public func zero() -> Tensor { fill(0) }

    /// Copies `source` (broadcast, converted to this dtype) into this tensor in place (`copy_`).
    @discardableResult
    public func copy(from source: Tensor) -> Tensor {
        checkInPlaceShape(source)
        let recording = prepareInPlace([source])
        let sourceType = source.dtype
        copyElements(into: self, from: source)
        return commitInPlace("CopyBackwards", inputs: [source], recording: recording) { g, needs in
            [Tensor.zerosLike(g), needs[1] ? g.to(sourceType) : nil]
        }
    }

    /// Writes `value` into every element (no autograd, no version bump).
    func fillStorage(_ value: Double) {
        switch dtype {
        case .float32:
            let v = Float(value)
            map1(into: self, self) { (_: Float) in v }
        case .float64: map1(into: self, self) { (_: Double) in value }
        case .int64:
            let v = Int64(fromDouble: value)
            map1(into: self, self) { (_: Int64) in v }
        case .bool:
            let v = value != 0
            map1(into: self, self) { (_: Bool) in v }
        }
    }
}

extension DType {
    /// PyTorch's short type name used in casting errors (`Float`, `Long`).
    var pytorchName: String {
        switch self {
        case .float32: "Float"
        case .float64: "Double"
        case .int64: "Long"
        case .bool: "Bool"
        }
    }
}
