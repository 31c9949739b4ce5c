/// The element type of a tensor, chosen at run time as in PyTorch.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    /// 32-bit IEEE float, the default for floating-point tensors (`torch.float32`).
    case float32
    /// 64-bit IEEE float (`torch.float64`).
    case float64
    /// 64-bit signed integer, the default for integer tensors (`torch.int64`).
    case int64
    /// Boolean (`torch.bool`), the result of comparisons.
    case bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        case .int64: 8
        case .bool: 1
        }
    }

    /// Whether the type holds floating-point numbers (and so can require gradients).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// PyTorch's spelling, as printed in reprs and error messages (`torch.float32`).
    public var description: String { "torch.\(rawValue)" }

    /// The category used by type promotion: bool < integer < floating point.
    var category: Int {
        switch self {
        case .bool: 0
        case .int64: 1
        case .float32, .float64: 2
        }
    }

    /// The smallest type that holds both, as `torch.promote_types`.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a.category != b.category { return a.category > b.category ? a : b }
        return a.itemSize >= b.itemSize ? a : b
    }
}

/// A Swift type that can be the element of a tensor: `Float`, `Double`, `Int64` or `Bool`.
public protocol TensorScalar: Sendable, Equatable {
    /// The tensor element type matching this Swift type.
    static var dtype: DType { get }
    /// Converts from `Double`, truncating toward zero for integers as `Tensor.to` does.
    init(fromDouble value: Double)
    /// The value as a `Double`.
    var doubleValue: Double { get }
}

extension Float: TensorScalar {
    /// `.float32`.
    public static var dtype: DType { .float32 }
    /// Rounds to the nearest `Float`.
    public init(fromDouble value: Double) { self = Float(value) }
    /// The value widened to `Double`.
    public var doubleValue: Double { Double(self) }
}

extension Double: TensorScalar {
    /// `.float64`.
    public static var dtype: DType { .float64 }
    /// The value itself.
    public init(fromDouble value: Double) { self = value }
    /// The value itself.
    public var doubleValue: Double { self }
}

extension Int64: TensorScalar {
    /// `.int64`.
    public static var dtype: DType { .int64 }
    /// Truncates toward zero; NaN and out-of-range values give 0 or the nearest bound.
    public init(fromDouble value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223_372_036_854_775_807e18 {
            self = .max
        } else if value <= -9.223_372_036_854_775_808e18 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
    /// The value as a `Double` (rounded above 2^53).
    public var doubleValue: Double { Double(self) }
}

extension Bool: TensorScalar {
    /// `.bool`.
    public static var dtype: DType { .bool }
    /// `true` for any non-zero value.
    public init(fromDouble value: Double) { self = value != 0 }
    /// 1 or 0.
    public var doubleValue: Double { self ? 1 : 0 }
}

/// Element types with arithmetic: `Float`, `Double` and `Int64`.
protocol NumericScalar: TensorScalar, Numeric, Comparable {
    /// Division for this type (floor division for integers, as `torch.floor_divide`).
    static func divide(_ a: Self, _ b: Self) -> Self
    /// `a` raised to `b`.
    static func power(_ a: Self, _ b: Self) -> Self
}

extension Int64: NumericScalar {
    static func divide(_ a: Int64, _ b: Int64) -> Int64 {
        precondition(b != 0, "ZeroDivisionError")
        let q = a / b
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
    }
    static func power(_ a: Int64, _ b: Int64) -> Int64 {
        precondition(b >= 0, "Integers to negative integer powers are not allowed.")
        var result: Int64 = 1
        var base = a
        var e = b
        while e > 0 {
            if e & 1 == 1 { result = result &* base }
            base = base &* base
            e >>= 1
        }
        return result
    }
}
