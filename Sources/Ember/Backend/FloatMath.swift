import CEmberKernels

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `Float` and `Double`, with the C math library's functions as static members so kernels can
/// be written once, generically.
protocol FloatScalar: NumericScalar, BinaryFloatingPoint {
    /// `exp`, `sigmoid` or `tanh` of `count` contiguous elements from `x` into `y` (which may be
    /// `x`): vectorised C kernels for `Float`, the C library element by element for `Double`.
    static func apply(_ f: ArrayFunction, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)
    /// The sum of `count` contiguous elements, accumulated in double precision (vectorised).
    static func sum(_ x: UnsafePointer<Self>, count: Int) -> Double
    /// The column sums of `rows` rows of `cols` elements, `ld` apart, in double precision.
    static func columnSums(
        _ x: UnsafePointer<Self>, rows: Int, cols: Int, ld: Int, into sums: UnsafeMutablePointer<Double>)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func erf(_ x: Self) -> Self
}

/// The functions `FloatScalar.apply` computes over whole arrays.
enum ArrayFunction {
    case exp, sigmoid, tanh
}

extension Float: FloatScalar {
    static func apply(_ f: ArrayFunction, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch f {
        case .exp: ember_vexp_s(x, y, Int64(count))
        case .sigmoid: ember_vsigmoid_s(x, y, Int64(count))
        case .tanh: ember_vtanh_s(x, y, Int64(count))
        }
    }
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double { ember_sum_s(x, Int64(count)) }
    static func columnSums(
        _ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, into sums: UnsafeMutablePointer<Double>
    ) { ember_column_sums_s(x, Int64(rows), Int64(cols), Int64(ld), sums) }
    static func divide(_ a: Float, _ b: Float) -> Float { a / b }
    static func power(_ a: Float, _ b: Float) -> Float { powf(a, b) }
    static func exp(_ x: Float) -> Float { expf(x) }
    static func log(_ x: Float) -> Float { logf(x) }
    static func log1p(_ x: Float) -> Float { log1pf(x) }
    static func expm1(_ x: Float) -> Float { expm1f(x) }
    static func sin(_ x: Float) -> Float { sinf(x) }
    static func cos(_ x: Float) -> Float { cosf(x) }
    static func tanh(_ x: Float) -> Float { tanhf(x) }
    static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    static func erf(_ x: Float) -> Float { erff(x) }
}

extension Double: FloatScalar {
    static func apply(_ f: ArrayFunction, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        switch f {
        case .exp: for i in 0..<count { y[i] = libmexp(x[i]) }
        case .sigmoid: for i in 0..<count { y[i] = 1 / (1 + libmexp(-x[i])) }
        case .tanh: for i in 0..<count { y[i] = libmtanh(x[i]) }
        }
    }
    static func sum(_ x: UnsafePointer<Double>, count: Int) -> Double { ember_sum_d(x, Int64(count)) }
    static func columnSums(
        _ x: UnsafePointer<Double>, rows: Int, cols: Int, ld: Int, into sums: UnsafeMutablePointer<Double>
    ) { ember_column_sums_d(x, Int64(rows), Int64(cols), Int64(ld), sums) }
    static func divide(_ a: Double, _ b: Double) -> Double { a / b }
    static func power(_ a: Double, _ b: Double) -> Double { libmpow(a, b) }
    static func exp(_ x: Double) -> Double { libmexp(x) }
    static func log(_ x: Double) -> Double { libmlog(x) }
    static func log1p(_ x: Double) -> Double { libmlog1p(x) }
    static func expm1(_ x: Double) -> Double { libmexpm1(x) }
    static func sin(_ x: Double) -> Double { libmsin(x) }
    static func cos(_ x: Double) -> Double { libmcos(x) }
    static func tanh(_ x: Double) -> Double { libmtanh(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { libmpow(x, y) }
    static func erf(_ x: Double) -> Double { libmerf(x) }
}

// The C functions under names that do not collide with the static members above.
@inline(__always) private func libmexp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmlog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmlog1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) private func libmexpm1(_ x: Double) -> Double { expm1(x) }
@inline(__always) private func libmsin(_ x: Double) -> Double { sin(x) }
@inline(__always) private func libmcos(_ x: Double) -> Double { cos(x) }
@inline(__always) private func libmtanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) private func libmpow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) private func libmerf(_ x: Double) -> Double { erf(x) }
