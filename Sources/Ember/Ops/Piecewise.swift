/// Elementwise functions that keep the input's dtype: `abs`, `sign`, rounding, `relu`, `clamp`.

@inline(__always)  // so that `map1` is specialised for each op's closures
private func mapNumeric(
    _ x: Tensor, float: (Float) -> Float, double: (Double) -> Double, int: (Int64) -> Int64
) -> Tensor {
    switch x.dtype {
    case .float32: map1(x, float)
    case .float64: map1(x, double)
    case .int64: map1(x, int)
    case .bool: map1(x.to(.int64), int).to(.bool)
    }
}

extension Tensor {
    /// Absolute value (`torch.abs`).
    public func abs() -> Tensor {
        let out = mapNumeric(self, float: { Swift.abs($0) }, double: { Swift.abs($0) }, int: { Swift.abs($0) })
        return Tensor.record("AbsBackward0", output: out, inputs: [self], saving: [self]) { g, _ in
            [g * self.sign()]
        }
    }

    /// -1, 0 or 1 by the sign of each element (`torch.sign`); its gradient is zero.
    public func sign() -> Tensor {
        let out = mapNumeric(
            self, float: { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }, double: { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) },
            int: { $0.signum() })
        return Tensor.record("SignBackward0", output: out, inputs: [self]) { g, _ in [Tensor.zerosLike(g)] }
    }

    private func rounding(_ rule: FloatingPointRoundingRule, _ name: String) -> Tensor {
        let out = mapNumeric(
            self, float: { $0.rounded(rule) }, double: { $0.rounded(rule) }, int: { $0 })
        return Tensor.record(name, output: out, inputs: [self]) { g, _ in [Tensor.zerosLike(g)] }
    }

    /// Largest integer not above each element (`torch.floor`).
    public func floor() -> Tensor { rounding(.down, "FloorBackward0") }
    /// Smallest integer not below each element (`torch.ceil`).
    public func ceil() -> Tensor { rounding(.up, "CeilBackward0") }
    /// Nearest integer, halves to even (`torch.round`).
    public func round() -> Tensor { rounding(.toNearestOrEven, "RoundBackward0") }
    /// Integer part, toward zero (`torch.trunc`).
    public func trunc() -> Tensor { rounding(.towardZero, "TruncBackward0") }

    /// `max(x, 0)` (`torch.relu`); the gradient is zero where the output is zero.
    public func relu() -> Tensor {
        let out = mapNumeric(
            self, float: { $0 > 0 || $0.isNaN ? $0 : 0 }, double: { $0 > 0 || $0.isNaN ? $0 : 0 },
            int: { Swift.max($0, 0) })
        let saved = out.detach()
        return Tensor.record("ReluBackward0", output: out, inputs: [self], saving: [saved]) { g, _ in
            [GradMode.isEnabled || g.dtype != saved.dtype ? g * (saved .> 0) : thresholdBackward(g, saved)]
        }
    }

    /// Limits every element to `[min, max]` (`torch.clamp`); either bound may be omitted.
    ///
    /// The gradient passes where `min < x < max` (zero at the bounds), as PyTorch 2.x computes it.
    public func clamp(min lower: Double? = nil, max upper: Double? = nil) -> Tensor {
        precondition(lower != nil || upper != nil, "torch.clamp: At least one of 'min' or 'max' must not be None")
        let lo = lower ?? -.infinity
        let hi = upper ?? .infinity
        func clampValue<T: BinaryFloatingPoint>(_ v: T) -> T {
            v.isNaN ? v : Swift.min(Swift.max(v, T(lo)), T(hi))
        }
        let out = mapNumeric(
            self, float: clampValue, double: clampValue,
            int: { v in
                var r = v
                if let lower { r = Swift.max(r, Int64(fromDouble: lower.rounded(.up))) }
                if let upper { r = Swift.min(r, Int64(fromDouble: upper.rounded(.down))) }
                return r
            })
        return Tensor.record("ClampBackward1", output: out, inputs: [self], saving: [self]) { g, _ in
            [g * ((self .> lo) .& (self .< hi))]
        }
    }

    /// Limits every element to at least `min` (`torch.clamp_min`).
    public func clampMin(_ min: Double) -> Tensor { clamp(min: min) }
    /// Limits every element to at most `max` (`torch.clamp_max`).
    public func clampMax(_ max: Double) -> Tensor { clamp(max: max) }
}

/// `g` where `y > 0`, else 0, in one pass (PyTorch's `threshold_backward`): ReLU's gradient without
/// a mask tensor.
private func thresholdBackward(_ g: Tensor, _ y: Tensor) -> Tensor {
    switch g.dtype {
    case .float64: map2(g, y, shape: y.shape) { (g: Double, y: Double) in y > 0 ? g : 0 }
    default: map2(g, y, shape: y.shape) { (g: Float, y: Float) in y > 0 ? g : 0 }
    }
}
