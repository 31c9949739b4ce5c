/// Elementwise math functions, each with its derivative. Integer inputs of the transcendental
/// functions are promoted to float32, as in PyTorch.

/// The floating-point unary kernels.
enum UnaryFloatOp {
    case exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, reciprocal, erf

    /// The whole-array kernel computing this op, if there is one.
    var arrayFunction: ArrayFunction? {
        switch self {
        case .exp: .exp
        case .tanh: .tanh
        case .sigmoid: .sigmoid
        default: nil
        }
    }
}

private func kernel<T: FloatScalar>(_ op: UnaryFloatOp, _ x: Tensor, _: T.Type) -> Tensor {
    switch op {
    case .exp: map1(x) { (v: T) in T.exp(v) }
    case .log: map1(x) { (v: T) in T.log(v) }
    case .log1p: map1(x) { (v: T) in T.log1p(v) }
    case .expm1: map1(x) { (v: T) in T.expm1(v) }
    case .sqrt: map1(x) { (v: T) in v.squareRoot() }
    case .rsqrt: map1(x) { (v: T) in 1 / v.squareRoot() }
    case .sin: map1(x) { (v: T) in T.sin(v) }
    case .cos: map1(x) { (v: T) in T.cos(v) }
    case .tanh: map1(x) { (v: T) in T.tanh(v) }
    case .sigmoid: map1(x) { (v: T) in 1 / (1 + T.exp(-v)) }
    case .reciprocal: map1(x) { (v: T) in 1 / v }
    case .erf: map1(x) { (v: T) in T.erf(v) }
    }
}

/// `op` of every element in `x`'s float type (ints promoted to float32), without autograd.
func unaryFloat(_ op: UnaryFloatOp, _ x: Tensor) -> Tensor {
    if x.dtype == .float32, x.isContiguous, let function = op.arrayFunction {
        let out = Tensor(empty: x.shape, dtype: .float32, zeroed: false)
        let (source, destination) = (UnsafePointer(x.base(Float.self)), out.base(Float.self))
        // A transcendental costs about as much as ten additions: split across cores sooner.
        parallelRanges(x.count, work: 10 * x.count, partsPerCore: finePartsPerCore) { range in
            Float.apply(function, source + range.lowerBound, destination + range.lowerBound, count: range.count)
        }
        return out
    }
    return switch x.dtype {
    case .float64: kernel(op, x, Double.self)
    case .float32: kernel(op, x, Float.self)
    default: kernel(op, x.to(.float32), Float.self)
    }
}

extension Tensor {
    /// Applies a float unary op and records its derivative. `rule(g, x, y)` gets the output
    /// gradient, the input and the output (recomputed with history when building a graph for
    /// higher-order gradients, the saved values otherwise).
    private func unary(
        _ op: UnaryFloatOp, _ name: String,
        rule: @escaping (_ g: Tensor, _ x: Tensor, _ y: Tensor) -> Tensor
    ) -> Tensor {
        let out = unaryFloat(op, self)
        let saved = out.detach()
        return Tensor.record(name, output: out, inputs: [self], saving: [self, saved]) { g, _ in
            let y = GradMode.isEnabled ? self.applying(op) : saved
            return [rule(g, self, y)]
        }
    }

    /// `self` with `op` applied, differentiably.
    func applying(_ op: UnaryFloatOp) -> Tensor {
        switch op {
        case .exp: exp()
        case .log: log()
        case .log1p: log1p()
        case .expm1: expm1()
        case .sqrt: sqrt()
        case .rsqrt: rsqrt()
        case .sin: sin()
        case .cos: cos()
        case .tanh: tanh()
        case .sigmoid: sigmoid()
        case .reciprocal: reciprocal()
        case .erf: erf()
        }
    }

    /// e raised to each element (`torch.exp`).
    public func exp() -> Tensor { unary(.exp, "ExpBackward0") { g, _, y in g * y } }
    /// Natural logarithm (`torch.log`).
    public func log() -> Tensor { unary(.log, "LogBackward0") { g, x, _ in g / x } }
    /// `log(1 + x)`, accurate near zero (`torch.log1p`).
    public func log1p() -> Tensor { unary(.log1p, "Log1PBackward0") { g, x, _ in g / (x + 1) } }
    /// `exp(x) - 1`, accurate near zero (`torch.expm1`).
    public func expm1() -> Tensor { unary(.expm1, "Expm1Backward0") { g, _, y in g * (y + 1) } }
    /// Square root (`torch.sqrt`).
    public func sqrt() -> Tensor { unary(.sqrt, "SqrtBackward0") { g, _, y in g / (y * 2) } }
    /// Reciprocal square root (`torch.rsqrt`).
    public func rsqrt() -> Tensor {
        unary(.rsqrt, "RsqrtBackward0") { g, _, y in g * y.pow(3) * -0.5 }
    }
    /// Sine (`torch.sin`).
    public func sin() -> Tensor { unary(.sin, "SinBackward0") { g, x, _ in g * x.cos() } }
    /// Cosine (`torch.cos`).
    public func cos() -> Tensor { unary(.cos, "CosBackward0") { g, x, _ in -g * x.sin() } }
    /// Hyperbolic tangent (`torch.tanh`).
    public func tanh() -> Tensor { unary(.tanh, "TanhBackward0") { g, _, y in g * (1 - y * y) } }
    /// Logistic sigmoid `1 / (1 + exp(-x))` (`torch.sigmoid`).
    public func sigmoid() -> Tensor {
        unary(.sigmoid, "SigmoidBackward0") { g, _, y in g * y * (1 - y) }
    }
    /// `1 / x` (`torch.reciprocal`).
    public func reciprocal() -> Tensor {
        unary(.reciprocal, "ReciprocalBackward0") { g, _, y in -g * y * y }
    }
    /// Gauss error function (`torch.erf`).
    public func erf() -> Tensor {
        unary(.erf, "ErfBackward0") { g, x, _ in g * (-(x * x)).exp() * (2 / Double.pi.squareRoot()) }
    }
}
