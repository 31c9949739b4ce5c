/// Binary arithmetic with broadcasting and type promotion: `+ - * /`, `pow`, `maximum`,
/// `minimum`, each with its gradient, plus the Swift operators and scalar overloads.

import CEmberKernels

/// The binary arithmetic kernels.
enum ArithmeticOp {
    case add, sub, mul, div, pow, maximum, minimum
}

/// Computes `op` elementwise in `dtype` over the broadcast shape of `a` and `b` (no autograd).
func arithmetic(_ op: ArithmeticOp, _ a: Tensor, _ b: Tensor, dtype: DType) -> Tensor {
    let shape = broadcastShapes(a.shape, b.shape)
    let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
    arithmetic(op, into: out, a, b)
    return out
}

/// Computes `op` of `a` and `b` (broadcast to `out`'s shape) into `out`, converting to its dtype.
func arithmetic(_ op: ArithmeticOp, into out: Tensor, _ a: Tensor, _ b: Tensor) {
    if ONNXTracer.isActive { ONNXTracer.current?.arithmetic(op, output: out, a, b) }
    switch out.dtype {
    case .float32:
        let (x, y) = (a.to(.float32), b.to(.float32))
        if !vectorArithmetic(op, into: out, x, y) { arithmetic(op, into: out, x, y, Float.self) }
    case .float64: arithmetic(op, into: out, a.to(.float64), b.to(.float64), Double.self)
    case .int64: arithmetic(op, into: out, a.to(.int64), b.to(.int64), Int64.self)
    case .bool:
        precondition(
            op != .sub,
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
        )
        let wide = arithmetic(op, a.to(.int64), b.to(.int64), dtype: .int64)
        copyElements(into: out, from: wide)
    }
}

/// `+ - * /` of float32 operands that are contiguous in `out`'s shape or single elements, through
/// the AVX2 loops of CEmberKernels, split across cores when large. False when it does not apply.
private func vectorArithmetic(_ op: ArithmeticOp, into out: Tensor, _ a: Tensor, _ b: Tensor) -> Bool {
    let code: Int32
    switch op {
    case .add: code = 0
    case .sub: code = 1
    case .mul: code = 2
    case .div: code = 3
    default: return false
    }
    let aFull = a.isContiguous && a.shape == out.shape
    let bFull = b.isContiguous && b.shape == out.shape
    // Two single values go to `map2`, which computes the one result once.
    guard out.isContiguous, aFull || bFull, aFull || a.isSingleValue, bFull || b.isSingleValue else { return false }
    let (pa, pb, po) = (UnsafePointer(a.base(Float.self)), UnsafePointer(b.base(Float.self)), out.base(Float.self))
    let (sa, sb) = (aFull ? 1 : 0, bFull ? 1 : 0)
    parallelRanges(out.count, work: out.count, partsPerCore: finePartsPerCore) { r in
        ember_varith_s(
            code, pa + r.lowerBound * sa, Int64(sa), pb + r.lowerBound * sb, Int64(sb), po + r.lowerBound,
            Int64(r.count))
    }
    return true
}

private func arithmetic<T: NumericScalar>(
    _ op: ArithmeticOp, into out: Tensor, _ a: Tensor, _ b: Tensor, _: T.Type
) {
    switch op {
    case .add: map2(into: out, a, b) { (x: T, y: T) in x + y }
    case .sub: map2(into: out, a, b) { (x: T, y: T) in x - y }
    case .mul: map2(into: out, a, b) { (x: T, y: T) in x * y }
    case .div: map2(into: out, a, b) { (x: T, y: T) in T.divide(x, y) }
    case .pow: map2(into: out, a, b) { (x: T, y: T) in T.power(x, y) }
    // NaN-propagating, as torch.maximum / torch.minimum.
    case .maximum: map2(into: out, a, b) { (x: T, y: T) in x > y || x != x ? x : y }
    case .minimum: map2(into: out, a, b) { (x: T, y: T) in x < y || x != x ? x : y }
    }
}

extension Tensor {
    /// `self + alpha * other` with broadcasting (`torch.add`).
    public func add(_ other: Tensor, alpha: Double = 1) -> Tensor {
        let rhs = alpha == 1 ? other : other * alpha
        let out = arithmetic(.add, self, rhs, dtype: resultType(self, other))
        // Without alpha, the rule captures nothing, so recording it allocates no closure context.
        guard alpha != 1 else { return Tensor.record("AddBackward0", output: out, self, other) { g, _ in [g, g] } }
        return Tensor.record("AddBackward0", output: out, self, other) { g, needs in [g, needs[1] ? g * alpha : nil] }
    }

    /// `self - alpha * other` with broadcasting (`torch.sub`).
    public func sub(_ other: Tensor, alpha: Double = 1) -> Tensor {
        let rhs = alpha == 1 ? other : other * alpha
        let out = arithmetic(.sub, self, rhs, dtype: resultType(self, other))
        guard alpha != 1 else {
            return Tensor.record("SubBackward0", output: out, self, other) { g, needs in [g, needs[1] ? -g : nil] }
        }
        return Tensor.record("SubBackward0", output: out, self, other) { g, needs in [g, needs[1] ? g * -alpha : nil] }
    }

    /// Elementwise product with broadcasting (`torch.mul`).
    public func mul(_ other: Tensor) -> Tensor {
        let out = arithmetic(.mul, self, other, dtype: resultType(self, other))
        return Tensor.record("MulBackward0", output: out, self, other, saving: [self, other]) {
            g, needs in
            [needs[0] ? g * other : nil, needs[1] ? g * self : nil]
        }
    }

    /// True division with broadcasting (`torch.div`); integer inputs give a float32 result.
    public func div(_ other: Tensor) -> Tensor {
        var dtype = resultType(self, other)
        if !dtype.isFloatingPoint { dtype = .float32 }
        let out = arithmetic(.div, self, other, dtype: dtype)
        return Tensor.record("DivBackward0", output: out, self, other, saving: [self, other]) {
            g, needs in
            [needs[0] ? g / other : nil, needs[1] ? -g * self / (other * other) : nil]
        }
    }

    /// Floor division (`torch.floor_divide`); not differentiable.
    public func floorDivide(_ other: Tensor) -> Tensor {
        let dtype = resultType(self, other)
        let out = arithmetic(.div, self, other, dtype: dtype)
        return dtype.isFloatingPoint ? out.floor() : out
    }

    /// Elementwise power with a tensor exponent (`torch.pow`).
    public func pow(_ exponent: Tensor) -> Tensor {
        let out = arithmetic(.pow, self, exponent, dtype: resultType(self, exponent))
        let result = out.detach()
        return Tensor.record(
            "PowBackward1", output: out, inputs: [self, exponent], saving: [self, exponent, result]
        ) { g, needs in
            let base: Tensor? =
                needs[0]
                ? Tensor.where(exponent .== 0, Tensor.zerosLike(g), g * exponent * self.pow(exponent - 1))
                : nil
            var expGrad: Tensor?
            if needs[1] {
                let y = GradMode.isEnabled ? self.pow(exponent) : result
                let safe = (self .== 0) .& (exponent .>= 0)
                expGrad = Tensor.where(safe, Tensor.zerosLike(g), g * y * self.log())
            }
            return [base, expGrad]
        }
    }

    /// Elementwise power with a number exponent (`x.pow(0.5)`); integer tensors become float32.
    public func pow(_ exponent: Double) -> Tensor {
        pow(scalar: .wrapping(exponent, dtype: .float64), exponent)
    }

    /// Elementwise power with an integer exponent (`x.pow(2)`); integer tensors stay integer.
    public func pow(_ exponent: Int) -> Tensor {
        pow(scalar: .wrapping(Double(exponent), dtype: .int64), Double(exponent))
    }

    private func pow(scalar e: Tensor, _ exponent: Double) -> Tensor {
        let dtype = resultType(self, e)
        let out: Tensor
        if dtype == self.dtype && dtype.isFloatingPoint && [1, 2, 3].contains(exponent) {
            // PyTorch's fast path for small integer exponents: products, not `pow` calls
            // (x * 1 for a fresh copy, x * x, (x * x) * x).
            let factor = exponent == 1 ? Tensor.wrapping(1, dtype: .int64) : self
            let first = arithmetic(.mul, self, factor, dtype: dtype)
            out = exponent == 3 ? arithmetic(.mul, first, self, dtype: dtype) : first
        } else {
            out = arithmetic(.pow, self, e, dtype: dtype)
        }
        return Tensor.record("PowBackward0", output: out, inputs: [self], saving: [self]) { g, _ in
            if exponent == 0 { return [Tensor.zerosLike(g)] }
            // PyTorch's order, g · (e · x^(e-1)); x^1 is x itself.
            return [g * ((exponent == 2 ? self : self.pow(exponent - 1)) * exponent)]
        }
    }

    /// Elementwise maximum of two tensors, propagating NaN (`torch.maximum`).
    public func maximum(_ other: Tensor) -> Tensor {
        minMax(.maximum, other, name: "MaximumBackward0")
    }

    /// Elementwise minimum of two tensors, propagating NaN (`torch.minimum`).
    public func minimum(_ other: Tensor) -> Tensor {
        minMax(.minimum, other, name: "MinimumBackward0")
    }

    private func minMax(_ op: ArithmeticOp, _ other: Tensor, name: String) -> Tensor {
        let out = arithmetic(op, self, other, dtype: resultType(self, other))
        return Tensor.record(name, output: out, inputs: [self, other], saving: [self, other]) { g, _ in
            // Ties share the gradient equally, as PyTorch does.
            let selfWins = op == .maximum ? self .> other : self .< other
            let tie = self .== other
            let half = g * 0.5
            let zero = Tensor.zerosLike(g)
            return [
                Tensor.where(tie, half, Tensor.where(selfWins, g, zero)),
                Tensor.where(tie, half, Tensor.where(selfWins, zero, g)),
            ]
        }
    }

    /// Elementwise negation (`torch.neg`).
    public func neg() -> Tensor {
        precondition(
            dtype != .bool,
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
        let out = arithmetic(.sub, Tensor.zeros([], dtype: dtype), self, dtype: dtype)
        return Tensor.record("NegBackward0", output: out, inputs: [self]) { g, _ in [-g] }
    }

    // MARK: Operators

    /// Elementwise sum with broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.add(rhs) }
    /// Elementwise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.sub(rhs) }
    /// Elementwise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.mul(rhs) }
    /// Elementwise true division with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.div(rhs) }
    /// Elementwise negation.
    public static prefix func - (x: Tensor) -> Tensor { x.neg() }

    /// Adds a number to every element.
    public static func + (lhs: Tensor, rhs: Double) -> Tensor { lhs.add(.wrapping(rhs, dtype: .float64)) }
    /// Adds a number to every element.
    public static func + (lhs: Double, rhs: Tensor) -> Tensor { rhs.add(.wrapping(lhs, dtype: .float64)) }
    /// Subtracts a number from every element.
    public static func - (lhs: Tensor, rhs: Double) -> Tensor { lhs.sub(.wrapping(rhs, dtype: .float64)) }
    /// Subtracts every element from a number.
    public static func - (lhs: Double, rhs: Tensor) -> Tensor { Tensor.wrapping(lhs, dtype: .float64).sub(rhs) }
    /// Multiplies every element by a number.
    public static func * (lhs: Tensor, rhs: Double) -> Tensor { lhs.mul(.wrapping(rhs, dtype: .float64)) }
    /// Multiplies every element by a number.
    public static func * (lhs: Double, rhs: Tensor) -> Tensor { rhs.mul(.wrapping(lhs, dtype: .float64)) }
    /// Divides every element by a number.
    public static func / (lhs: Tensor, rhs: Double) -> Tensor { lhs.div(.wrapping(rhs, dtype: .float64)) }
    /// Divides a number by every element.
    public static func / (lhs: Double, rhs: Tensor) -> Tensor { Tensor.wrapping(lhs, dtype: .float64).div(rhs) }

    /// Adds an integer to every element (keeps integer tensors integer).
    public static func + (lhs: Tensor, rhs: Int) -> Tensor { lhs.add(.wrapping(Double(rhs), dtype: .int64)) }
    /// Adds an integer to every element.
    public static func + (lhs: Int, rhs: Tensor) -> Tensor { rhs.add(.wrapping(Double(lhs), dtype: .int64)) }
    /// Subtracts an integer from every element.
    public static func - (lhs: Tensor, rhs: Int) -> Tensor { lhs.sub(.wrapping(Double(rhs), dtype: .int64)) }
    /// Subtracts every element from an integer.
    public static func - (lhs: Int, rhs: Tensor) -> Tensor { Tensor.wrapping(Double(lhs), dtype: .int64).sub(rhs) }
    /// Multiplies every element by an integer.
    public static func * (lhs: Tensor, rhs: Int) -> Tensor { lhs.mul(.wrapping(Double(rhs), dtype: .int64)) }
    /// Multiplies every element by an integer.
    public static func * (lhs: Int, rhs: Tensor) -> Tensor { rhs.mul(.wrapping(Double(lhs), dtype: .int64)) }
    /// Divides every element by an integer (true division).
    public static func / (lhs: Tensor, rhs: Int) -> Tensor { lhs.div(.wrapping(Double(rhs), dtype: .int64)) }
    /// Divides an integer by every element (true division).
    public static func / (lhs: Int, rhs: Tensor) -> Tensor { Tensor.wrapping(Double(lhs), dtype: .int64).div(rhs) }
}

/// Elementwise maximum of two tensors (`torch.maximum`).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { a.maximum(b) }
/// Elementwise minimum of two tensors (`torch.minimum`).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { a.minimum(b) }
