/// Factory functions: constant, range, identity and random tensors.
extension Tensor {
    /// A tensor filled with zeros (`torch.zeros`).
    public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        checkShape(shape, function: "zeros")
        return Tensor(empty: shape, dtype: dtype).requiresGrad(requiresGrad)
    }

    /// A tensor filled with ones (`torch.ones`).
    public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value` (`torch.full`).
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, requiresGrad: Bool = false)
        -> Tensor
    {
        checkShape(shape, function: "full")
        let t = Tensor(empty: shape, dtype: dtype, zeroed: false)
        t.fillStorage(value)
        return t.requiresGrad(requiresGrad)
    }

    /// Zeros with `other`'s shape and dtype (`torch.zeros_like`).
    public static func zerosLike(_ other: Tensor, dtype: DType? = nil) -> Tensor {
        zeros(other.shape, dtype: dtype ?? other.dtype)
    }

    /// Ones with `other`'s shape and dtype (`torch.ones_like`).
    public static func onesLike(_ other: Tensor, dtype: DType? = nil) -> Tensor {
        ones(other.shape, dtype: dtype ?? other.dtype)
    }

    /// `value` with `other`'s shape and dtype (`torch.full_like`).
    public static func fullLike(_ other: Tensor, _ value: Double, dtype: DType? = nil) -> Tensor {
        full(other.shape, value, dtype: dtype ?? other.dtype)
    }

    /// An `n × m` matrix with ones on the diagonal (`torch.eye`).
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) -> Tensor {
        let cols = m ?? n
        let t = zeros([n, cols], dtype: dtype)
        for i in 0..<Swift.min(n, cols) { t.setElement(i * cols + i, 1) }
        return t
    }

    /// Integers `start, start + step, ...` below `end`, as int64 (`torch.arange(0, 10)`).
    public static func arange(_ start: Int, _ end: Int, step: Int = 1, dtype: DType = .int64) -> Tensor {
        precondition(step != 0, "step must be nonzero")
        let n = Swift.max(0, (end - start + step - step.signum()) / step)
        return Tensor(shape: [n], scalars: (0..<n).map { Int64(start + $0 * step) }).to(dtype)
    }

    /// Integers `0 ..< end`, as int64 (`torch.arange(10)`).
    public static func arange(_ end: Int, dtype: DType = .int64) -> Tensor { arange(0, end, dtype: dtype) }

    /// Numbers `start, start + step, ...` below `end`, float32 by default (`torch.arange(0., 1., 0.1)`).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        precondition(step != 0, "step must be nonzero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n], scalars: (0..<n).map { start + Double($0) * step }).to(dtype)
    }

    /// `steps` evenly spaced numbers from `start` to `end` inclusive (`torch.linspace`).
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32) -> Tensor {
        precondition(steps >= 0, "number of steps must be non-negative")
        let step = steps > 1 ? (end - start) / Double(steps - 1) : 0
        // Like PyTorch, the second half is computed from the end so both endpoints are exact.
        let values = (0..<steps).map { i in
            i < steps / 2 ? start + step * Double(i) : end - step * Double(steps - 1 - i)
        }
        return Tensor(shape: [steps], scalars: values).to(dtype)
    }

    // MARK: Random

    /// Uniform samples in [0, 1) (`torch.rand`).
    public static func rand(
        _ shape: [Int], dtype: DType = .float32, generator: Generator = .current, requiresGrad: Bool = false
    ) -> Tensor {
        precondition(dtype.isFloatingPoint, "\"check_uniform_bounds\" not implemented for '\(dtype)'")
        let n = shape.reduce(1, *)
        let values = generator.withSource { s in (0..<n).map { _ in s.uniform() } }
        return Tensor(shape: shape, scalars: values).to(dtype).requiresGrad(requiresGrad)
    }

    /// Standard normal samples (`torch.randn`).
    public static func randn(
        _ shape: [Int], dtype: DType = .float32, generator: Generator = .current, requiresGrad: Bool = false
    ) -> Tensor {
        precondition(dtype.isFloatingPoint, "\"normal_kernel_cpu\" not implemented for '\(dtype)'")
        let n = shape.reduce(1, *)
        var values = [Double]()
        values.reserveCapacity(n + 1)
        generator.withSource { s in
            while values.count < n {
                let (a, b) = s.normalPair()
                values.append(a)
                values.append(b)
            }
        }
        return Tensor(shape: shape, scalars: Array(values.prefix(n))).to(dtype).requiresGrad(requiresGrad)
    }

    /// Integers uniform in `low ..< high`, int64 (`torch.randint(low, high, size)`).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], generator: Generator = .current) -> Tensor {
        precondition(low < high, "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
        let n = shape.reduce(1, *)
        let span = UInt64(high - low)
        let values = generator.withSource { s in (0..<n).map { _ in Int64(low) + Int64(s.below(span)) } }
        return Tensor(shape: shape, scalars: values)
    }

    /// A random permutation of `0 ..< n`, int64 (`torch.randperm`).
    public static func randperm(_ n: Int, generator: Generator = .current) -> Tensor {
        var values = (0..<n).map { Int64($0) }
        generator.withSource { s in
            for i in Swift.stride(from: n - 1, to: 0, by: -1) {
                values.swapAt(i, Int(s.below(UInt64(i + 1))))
            }
        }
        return Tensor(shape: [n], scalars: values)
    }

    /// Uniform samples in [0, 1) with `other`'s shape and dtype (`torch.rand_like`).
    public static func randLike(_ other: Tensor, generator: Generator = .current) -> Tensor {
        rand(other.shape, dtype: other.dtype, generator: generator)
    }

    /// Standard normal samples with `other`'s shape and dtype (`torch.randn_like`).
    public static func randnLike(_ other: Tensor, generator: Generator = .current) -> Tensor {
        randn(other.shape, dtype: other.dtype, generator: generator)
    }
}
