/// Comparisons and logical ops: results are `.bool` tensors and carry no gradient.

/// The comparison kernels.
enum ComparisonOp {
    case eq, ne, lt, le, gt, ge
}

private func compare(_ op: ComparisonOp, _ a: Tensor, _ b: Tensor) -> Tensor {
    var dtype = resultType(a, b)
    if dtype == .bool { dtype = .int64 }
    let shape = broadcastShapes(a.shape, b.shape)
    let x = a.to(dtype)
    let y = b.to(dtype)
    switch dtype {
    case .float32: return compare(op, x, y, shape, Float.self)
    case .float64: return compare(op, x, y, shape, Double.self)
    default: return compare(op, x, y, shape, Int64.self)
    }
}

private func compare<T: NumericScalar>(_ op: ComparisonOp, _ a: Tensor, _ b: Tensor, _ shape: [Int], _: T.Type)
    -> Tensor
{
    switch op {
    case .eq: map2(a, b, shape: shape) { (x: T, y: T) in x == y }
    case .ne: map2(a, b, shape: shape) { (x: T, y: T) in x != y }
    case .lt: map2(a, b, shape: shape) { (x: T, y: T) in x < y }
    case .le: map2(a, b, shape: shape) { (x: T, y: T) in x <= y }
    case .gt: map2(a, b, shape: shape) { (x: T, y: T) in x > y }
    case .ge: map2(a, b, shape: shape) { (x: T, y: T) in x >= y }
    }
}

private func logical(_ a: Tensor, _ b: Tensor, _ f: (Bool, Bool) -> Bool) -> Tensor {
    map2(a.to(.bool), b.to(.bool), shape: broadcastShapes(a.shape, b.shape), f)
}

extension Tensor {
    /// Elementwise `==` (`torch.eq`).
    public func eq(_ other: Tensor) -> Tensor { compare(.eq, self, other) }
    /// Elementwise `!=` (`torch.ne`).
    public func ne(_ other: Tensor) -> Tensor { compare(.ne, self, other) }
    /// Elementwise `<` (`torch.lt`).
    public func lt(_ other: Tensor) -> Tensor { compare(.lt, self, other) }
    /// Elementwise `<=` (`torch.le`).
    public func le(_ other: Tensor) -> Tensor { compare(.le, self, other) }
    /// Elementwise `>` (`torch.gt`).
    public func gt(_ other: Tensor) -> Tensor { compare(.gt, self, other) }
    /// Elementwise `>=` (`torch.ge`).
    public func ge(_ other: Tensor) -> Tensor { compare(.ge, self, other) }

    /// Elementwise `==` against a number.
    public func eq(_ value: Double) -> Tensor { eq(.wrapping(value, dtype: .float64)) }
    /// Elementwise `!=` against a number.
    public func ne(_ value: Double) -> Tensor { ne(.wrapping(value, dtype: .float64)) }
    /// Elementwise `<` against a number.
    public func lt(_ value: Double) -> Tensor { lt(.wrapping(value, dtype: .float64)) }
    /// Elementwise `<=` against a number.
    public func le(_ value: Double) -> Tensor { le(.wrapping(value, dtype: .float64)) }
    /// Elementwise `>` against a number.
    public func gt(_ value: Double) -> Tensor { gt(.wrapping(value, dtype: .float64)) }
    /// Elementwise `>=` against a number.
    public func ge(_ value: Double) -> Tensor { ge(.wrapping(value, dtype: .float64)) }

    /// Whether two tensors have the same shape and elements (`torch.equal`).
    public func equal(_ other: Tensor) -> Bool {
        shape == other.shape && eq(other).all().item() != 0
    }

    /// Whether all elements are close: `|a - b| <= atol + rtol * |b|` (`torch.allclose`).
    public func allclose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNan: Bool = false)
        -> Bool
    {
        let a = self.to(.float64)
        let b = other.to(.float64)
        let shape = broadcastShapes(a.shape, b.shape)
        let close: Tensor = map2(a, b, shape: shape) { (x: Double, y: Double) in
            if x.isNaN || y.isNaN { return equalNan && x.isNaN && y.isNaN }
            if x == y { return true }
            return Swift.abs(x - y) <= atol + rtol * Swift.abs(y)
        }
        return close.all().item() != 0
    }

    /// Elementwise logical and of the truth values (`torch.logical_and`).
    public func logicalAnd(_ other: Tensor) -> Tensor { logical(self, other) { $0 && $1 } }
    /// Elementwise logical or (`torch.logical_or`).
    public func logicalOr(_ other: Tensor) -> Tensor { logical(self, other) { $0 || $1 } }
    /// Elementwise logical exclusive or (`torch.logical_xor`).
    public func logicalXor(_ other: Tensor) -> Tensor { logical(self, other) { $0 != $1 } }
    /// Elementwise logical not (`torch.logical_not`).
    public func logicalNot() -> Tensor { map1(to(.bool)) { (x: Bool) in !x } }

    /// Elementwise `==`, returning a bool tensor.
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.eq(rhs) }
    /// Elementwise `!=`, returning a bool tensor.
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ne(rhs) }
    /// Elementwise `<`, returning a bool tensor.
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.lt(rhs) }
    /// Elementwise `<=`, returning a bool tensor.
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.le(rhs) }
    /// Elementwise `>`, returning a bool tensor.
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.gt(rhs) }
    /// Elementwise `>=`, returning a bool tensor.
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.ge(rhs) }
    /// Elementwise `==` against a number.
    public static func .== (lhs: Tensor, rhs: Double) -> Tensor { lhs.eq(rhs) }
    /// Elementwise `!=` against a number.
    public static func .!= (lhs: Tensor, rhs: Double) -> Tensor { lhs.ne(rhs) }
    /// Elementwise `<` against a number.
    public static func .< (lhs: Tensor, rhs: Double) -> Tensor { lhs.lt(rhs) }
    /// Elementwise `<=` against a number.
    public static func .<= (lhs: Tensor, rhs: Double) -> Tensor { lhs.le(rhs) }
    /// Elementwise `>` against a number.
    public static func .> (lhs: Tensor, rhs: Double) -> Tensor { lhs.gt(rhs) }
    /// Elementwise `>=` against a number.
    public static func .>= (lhs: Tensor, rhs: Double) -> Tensor { lhs.ge(rhs) }
    /// Elementwise logical and.
    public static func .& (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalAnd(rhs) }
    /// Elementwise logical or.
    public static func .| (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalOr(rhs) }
    /// Elementwise logical exclusive or.
    public static func .^ (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.logicalXor(rhs) }
    /// Elementwise logical not.
    public static prefix func .! (x: Tensor) -> Tensor { x.logicalNot() }
}
