/// Normalisation in the functional API: `F.batchNorm`, `F.layerNorm`, `F.groupNorm`, and channel
/// dropout `F.dropout2d`.
///
/// The three normalisations share one fused kernel (statistics, normalisation and affine in one
/// pass each way) with PyTorch's batch-norm backward formula.

/// How a normalisation sees its contiguous input: `outer × groups × chunks × chunkLength`.
///
/// Statistics are taken per group (over `outer`, `chunks` and `chunkLength`), and the affine
/// parameter of element `(p, q, j, l)` is `(q % affineGroups) * chunks + j`:
/// - batch norm `[N, C, S]`: outer N, groups C, one chunk of S, affine per channel;
/// - layer norm `[R, K]`: groups R, K chunks of one element, affine per element of the row;
/// - group norm `[N, C, S]` with G groups: groups N·G, C/G chunks of S, affine per channel.
struct NormLayout {
    let outer: Int
    let groups: Int
    let chunks: Int
    let chunkLength: Int
    let affineGroups: Int

    /// Elements behind each statistic.
    var groupSize: Int { outer * chunks * chunkLength }
    /// Length of each contiguous run of one group.
    var rowLength: Int { chunks * chunkLength }
    /// Number of affine parameters.
    var affineCount: Int { affineGroups * chunks }
    /// Index of the affine parameter of chunk 0 in group `q`.
    func affineBase(_ q: Int) -> Int { (q % affineGroups) * chunks }
    /// Offset of the run of group `q` in outer block `p`.
    func rowOffset(_ p: Int, _ q: Int) -> Int { (p * groups + q) * rowLength }
}

/// Per-group statistics: the mean and `1 / √(var + eps)` used to normalise.
struct NormStatistics {
    var mean: [Double]
    var invstd: [Double]
}

/// The fused normalisation kernels for one floating-point type. Groups are independent, so every
/// pass is split across cores by group; sums run in `Double` over four interleaved accumulators
/// (independent chains the compiler can vectorise).
private enum NormKernel<T: FloatScalar> {
    /// Calls `body` for the groups of each core's part of the work (inline when it is small);
    /// `body` gets the part's index among `parts` and its groups.
    static func forEachPart(_ layout: NormLayout, parts: Int, _ body: (_ part: Int, _ groups: Range<Int>) -> Void) {
        let groups = layout.groups
        parallelRanges(parts, work: groups * layout.groupSize) { range in
            for part in range { body(part, part * groups / parts..<(part + 1) * groups / parts) }
        }
    }

    /// The number of parts `forEachPart` cuts the groups into.
    static func partCount(_ layout: NormLayout) -> Int { Swift.max(1, Swift.min(kernelThreads, layout.groups)) }

    /// `Σ (a[i] - p)` and `Σ (a[i] - p)·(b[i] - q)` over `n` contiguous elements.
    @inline(__always)
    static func sums(
        _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, _ n: Int, shifts p: Double, _ q: Double
    ) -> (Double, Double) {
        var (sa, sab) = (SIMD4<Double>(), SIMD4<Double>())
        var i = 0
        while i + 4 <= n {
            let av = SIMD4(Double(a[i]), Double(a[i + 1]), Double(a[i + 2]), Double(a[i + 3])) - p
            let bv = SIMD4(Double(b[i]), Double(b[i + 1]), Double(b[i + 2]), Double(b[i + 3])) - q
            sa += av
            sab += av * bv
            i += 4
        }
        var (tailA, tailAB) = (0.0, 0.0)
        while i < n {
            let av = Double(a[i]) - p
            tailA += av
            tailAB += av * (Double(b[i]) - q)
            i += 1
        }
        return (sa.sum() + tailA, sab.sum() + tailAB)
    }

    /// Mean and biased variance of each group (two passes, the second about the mean).
    static func moments(_ x: UnsafeMutablePointer<T>, _ layout: NormLayout) -> (mean: [Double], variance: [Double]) {
        let mean = UnsafeMutableBufferPointer<Double>.allocate(capacity: layout.groups)
        let variance = UnsafeMutableBufferPointer<Double>.allocate(capacity: layout.groups)
        defer {
            mean.deallocate()
            variance.deallocate()
        }
        let n = Double(layout.groupSize)
        forEachPart(layout, parts: partCount(layout)) { _, groups in
            for q in groups {
                var sum = 0.0
                for p in 0..<layout.outer {
                    let row = x + layout.rowOffset(p, q)
                    sum += sums(row, row, layout.rowLength, shifts: 0, 0).0
                }
                let m = sum / n
                var squares = 0.0
                for p in 0..<layout.outer {
                    let row = x + layout.rowOffset(p, q)
                    squares += sums(row, row, layout.rowLength, shifts: m, m).1
                }
                mean[q] = m
                variance[q] = squares / n
            }
        }
        return (Array(mean), Array(variance))
    }

    /// `y = (x - mean) * invstd * weight + bias`.
    static func forward(
        _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ layout: NormLayout, _ stats: NormStatistics,
        weight: UnsafeMutablePointer<T>?, bias: UnsafeMutablePointer<T>?
    ) {
        forEachPart(layout, parts: partCount(layout)) { _, groups in
            for q in groups {
                let base = layout.affineBase(q)
                let mean = stats.mean[q]
                let invstd = stats.invstd[q]
                for p in 0..<layout.outer {
                    let offset = layout.rowOffset(p, q)
                    for j in 0..<layout.chunks {
                        let scale = invstd * (weight.map { Double($0[base + j]) } ?? 1)
                        let shift = (bias.map { Double($0[base + j]) } ?? 0) - mean * scale
                        let s = T(scale)
                        let b = T(shift)
                        let start = offset + j * layout.chunkLength
                        for i in start..<(start + layout.chunkLength) { y[i] = x[i] * s + b }
                    }
                }
            }
        }
    }

    /// Gradients of input, weight and bias. With `batchStatistics` the mean and variance are
    /// functions of `x` (training batch norm, layer and group norm), otherwise constants. Groups
    /// that share affine parameters (layer and group norm) add into per-part sums, added up last.
    static func backward(
        _ g: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ layout: NormLayout, _ stats: NormStatistics,
        weight: UnsafeMutablePointer<T>?, batchStatistics: Bool, gradInput: UnsafeMutablePointer<T>?
    ) -> (weight: [Double], bias: [Double]) {
        let parts = partCount(layout)
        let count = layout.affineCount
        // Per part: weight sums, then bias sums.
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: parts * 2 * count)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0)
        let n = Double(layout.groupSize)
        forEachPart(layout, parts: parts) { part, groups in
            let (gradWeight, gradBias) = (
                partial.baseAddress! + part * 2 * count, partial.baseAddress! + (part * 2 + 1) * count
            )
            for q in groups {
                let base = layout.affineBase(q)
                let mean = stats.mean[q]
                let invstd = stats.invstd[q]
                // Sums over the group of g·w and g·w·x̂ (the two means in PyTorch's formula).
                var sumGW = 0.0
                var sumGWX = 0.0
                for p in 0..<layout.outer {
                    let offset = layout.rowOffset(p, q)
                    for j in 0..<layout.chunks {
                        let w = weight.map { Double($0[base + j]) } ?? 1
                        let start = offset + j * layout.chunkLength
                        var (sumG, sumGX) = sums(g + start, x + start, layout.chunkLength, shifts: 0, mean)
                        sumGX *= invstd
                        gradBias[base + j] += sumG
                        gradWeight[base + j] += sumGX
                        sumGW += sumG * w
                        sumGWX += sumGX * w
                    }
                }
                guard let gradInput else { continue }
                let meanGW = batchStatistics ? sumGW / n : 0
                let meanGWX = batchStatistics ? sumGWX / n : 0
                // invstd · (g·w − mean(g·w) − x̂ · mean(g·w·x̂)) = g·(invstd·w) + x·k1 + k0.
                let k1 = -invstd * invstd * meanGWX
                let k0 = T(-invstd * meanGW - mean * k1)
                let kx = T(k1)
                for p in 0..<layout.outer {
                    let offset = layout.rowOffset(p, q)
                    for j in 0..<layout.chunks {
                        let scale = T(invstd * (weight.map { Double($0[base + j]) } ?? 1))
                        let start = offset + j * layout.chunkLength
                        for i in start..<(start + layout.chunkLength) { gradInput[i] = g[i] * scale + x[i] * kx + k0 }
                    }
                }
            }
        }
        let sum = { (offset: Int) in
            (0..<count).map { i in (0..<parts).reduce(0.0) { $0 + partial[($1 * 2 + offset) * count + i] } }
        }
        return (sum(0), sum(1))
    }
}

/// A contiguous copy of `values` as a tensor of `shape` and `dtype`.
private func tensor(_ values: [Double], shape: [Int], dtype: DType) -> Tensor {
    Tensor(shape: shape, scalars: values).to(dtype)
}

/// Runs `body` with typed pointers for a float tensor's dtype.
private func withFloatKernel<R>(
    _ dtype: DType, _ op: String, float: () -> R, double: () -> R
) -> R {
    switch dtype {
    case .float32: return float()
    case .float64: return double()
    default: fatalError("\"\(op)\" not implemented for '\(dtype.pytorchName)'")
    }
}

/// Normalises `input` as `layout` describes, with optional affine parameters, recording one
/// backward node. `given` statistics (evaluation batch norm) are constants; otherwise they are
/// computed from the input and returned with the biased variance.
func normalize(
    _ input: Tensor, layout: NormLayout, weight: Tensor?, bias: Tensor?, given: NormStatistics?, eps: Double,
    name: String, op: String
) -> (output: Tensor, mean: [Double], variance: [Double]) {
    let dtype = input.dtype
    let x = input.detach().contiguous()
    let w = weight.map { $0.detach().to(dtype).contiguous() }
    let b = bias.map { $0.detach().to(dtype).contiguous() }
    let out = Tensor(empty: input.shape, dtype: dtype, zeroed: false)
    var moments: (mean: [Double], variance: [Double]) = ([], [])
    let stats: NormStatistics
    func run<T: FloatScalar>(_: T.Type) -> NormStatistics {
        if let given {
            NormKernel<T>.forward(
                x.base(T.self), out.base(T.self), layout, given, weight: w?.base(T.self), bias: b?.base(T.self))
            return given
        }
        moments = NormKernel<T>.moments(x.base(T.self), layout)
        let computed = NormStatistics(mean: moments.mean, invstd: moments.variance.map { 1 / ($0 + eps).squareRoot() })
        NormKernel<T>.forward(
            x.base(T.self), out.base(T.self), layout, computed, weight: w?.base(T.self), bias: b?.base(T.self))
        return computed
    }
    stats = withFloatKernel(dtype, op, float: { run(Float.self) }, double: { run(Double.self) })

    let affineShape = weight?.shape ?? bias?.shape ?? []
    let inputs = [input] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
    let hasWeight = weight != nil
    let batchStatistics = given == nil
    Tensor.record(name, output: out, inputs: inputs, saving: inputs) { g, needs in
        let grad = g.detach().to(dtype).contiguous()
        let gradInput = needs[0] ? Tensor(empty: x.shape, dtype: dtype, zeroed: false) : nil
        func run<T: FloatScalar>(_: T.Type) -> (weight: [Double], bias: [Double]) {
            NormKernel<T>.backward(
                grad.base(T.self), x.base(T.self), layout, stats, weight: w?.base(T.self),
                batchStatistics: batchStatistics, gradInput: gradInput?.base(T.self))
        }
        let (gw, gb) = withFloatKernel(dtype, op, float: { run(Float.self) }, double: { run(Double.self) })
        var grads: [Tensor?] = [gradInput]
        if hasWeight { grads.append(needs[grads.count] ? tensor(gw, shape: affineShape, dtype: dtype) : nil) }
        if inputs.count > grads.count {
            grads.append(needs[grads.count] ? tensor(gb, shape: affineShape, dtype: dtype) : nil)
        }
        return grads
    }
    return (out, moments.mean, moments.variance)
}

/// Checks that an optional per-channel tensor has `count` elements (PyTorch's batch-norm wording).
private func checkChannels(_ t: Tensor?, _ name: String, _ count: Int) {
    guard let t else { return }
    precondition(t.count == count, "\(name) should contain \(count) elements not \(t.count)")
}

extension F {
    /// Batch normalisation over the channel dimension 1 of `[N, C, *]` (`F.batch_norm`).
    ///
    /// In `training`, each channel is normalised with the batch mean and biased variance, and
    /// `runningMean` / `runningVar` (when given) are updated in place with `momentum`, the running
    /// variance from the unbiased batch variance. Otherwise the running statistics normalise.
    public static func batchNorm(
        _ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
        training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5
    ) -> Tensor {
        let channels = input.size(1)
        checkChannels(runningMean, "running_mean", channels)
        checkChannels(runningVar, "running_var", channels)
        checkChannels(weight, "weight", channels)
        checkChannels(bias, "bias", channels)
        let outer = input.shape[0]
        let spatial = input.shape.dropFirst(2).reduce(1, *)
        let layout = NormLayout(outer: outer, groups: channels, chunks: 1, chunkLength: spatial, affineGroups: channels)
        if !training {
            guard let runningMean else { fatalError("running_mean must be defined in evaluation mode") }
            guard let runningVar else { fatalError("running_var must be defined in evaluation mode") }
            let stats = NormStatistics(
                mean: runningMean.scalars, invstd: runningVar.scalars.map { 1 / ($0 + eps).squareRoot() })
            return Ember.normalize(
                input, layout: layout, weight: weight, bias: bias, given: stats, eps: eps,
                name: "NativeBatchNormBackward0", op: "batch_norm"
            ).output
        }
        precondition(
            outer * spatial > 1,
            "Expected more than 1 value per channel when training, got input size torch.Size(\(input.shape))")
        let (out, mean, variance) = Ember.normalize(
            input, layout: layout, weight: weight, bias: bias, given: nil, eps: eps,
            name: "NativeBatchNormBackward0", op: "batch_norm")
        let n = Double(outer * spatial)
        noGrad {
            if let runningMean {
                let updated = zip(runningMean.scalars, mean).map { (1 - momentum) * $0 + momentum * $1 }
                runningMean.copy(from: Tensor(shape: runningMean.shape, scalars: updated))
            }
            if let runningVar {
                let updated = zip(runningVar.scalars, variance).map {
                    (1 - momentum) * $0 + momentum * $1 * n / (n - 1)
                }
                runningVar.copy(from: Tensor(shape: runningVar.shape, scalars: updated))
            }
        }
        return out
    }

    /// Layer normalisation over the trailing `normalizedShape` dimensions (`F.layer_norm`),
    /// with optional elementwise `weight` and `bias` of that shape.
    public static func layerNorm(
        _ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5
    ) -> Tensor {
        let k = normalizedShape.count
        precondition(
            input.dim >= k && Array(input.shape.suffix(k)) == normalizedShape,
            "Given normalized_shape=\(normalizedShape), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(input.shape)"
        )
        for (t, name) in [(weight, "weight"), (bias, "bias")] {
            guard let t else { continue }
            precondition(
                t.shape == normalizedShape,
                "Expected \(name) to be of same shape as normalized_shape, but got \(name) of shape \(t.shape) and normalized_shape = \(normalizedShape)"
            )
        }
        let inner = normalizedShape.reduce(1, *)
        let rows = input.shape.dropLast(k).reduce(1, *)
        let layout = NormLayout(outer: 1, groups: rows, chunks: inner, chunkLength: 1, affineGroups: 1)
        return Ember.normalize(
            input, layout: layout, weight: weight, bias: bias, given: nil, eps: eps,
            name: "NativeLayerNormBackward0", op: "layer_norm"
        ).output
    }

    /// Group normalisation of `[N, C, *]` over `numGroups` groups of channels (`F.group_norm`),
    /// with optional per-channel `weight` and `bias`.
    public static func groupNorm(
        _ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5
    ) -> Tensor {
        let channels = input.size(1)
        precondition(
            numGroups > 0 && channels % numGroups == 0,
            "Expected number of channels in input to be divisible by num_groups, but got input of shape \(input.shape) and num_groups=\(numGroups)"
        )
        for (t, name) in [(weight, "weight"), (bias, "bias")] {
            guard let t else { continue }
            precondition(
                t.dim == 1 && t.count == channels,
                "Expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(t.shape) and input of shape \(input.shape)"
            )
        }
        let spatial = input.shape.dropFirst(2).reduce(1, *)
        let layout = NormLayout(
            outer: 1, groups: input.shape[0] * numGroups, chunks: channels / numGroups, chunkLength: spatial,
            affineGroups: numGroups)
        return Ember.normalize(
            input, layout: layout, weight: weight, bias: bias, given: nil, eps: eps,
            name: "NativeGroupNormBackward0", op: "group_norm"
        ).output
    }

    /// Zeroes whole channels (dimension 1) with probability `p` and scales the rest by
    /// `1 / (1 - p)` when `training` (`F.dropout2d`); every element of a dropped channel of a sample
    /// is zero. As in PyTorch, a 3-D input is read as `[N, C, L]`.
    public static func dropout2d(_ input: Tensor, p: Double = 0.5, training: Bool = true) -> Tensor {
        precondition(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        precondition(input.dim >= 2, "dropout2d: expected an input with at least 2 dimensions, got \(input.dim)-D")
        guard training && p > 0 else { return input }
        let maskShape = Array(input.shape.prefix(2)) + [Int](repeating: 1, count: input.dim - 2)
        if p == 1 { return input * Tensor.zeros(maskShape, dtype: input.dtype) }
        let keep = Tensor.rand(maskShape, dtype: input.dtype.isFloatingPoint ? input.dtype : .float32) .>= p
        return input * (keep.to(input.dtype) * (1 / (1 - p)))
    }
}
