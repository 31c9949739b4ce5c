/// Reductions over all elements or over chosen dimensions: `sum`, `mean`, `prod`, `var`, `std`,
/// `logsumexp`, `norm`, `all`, `any`, each with its gradient.

/// The elements summed in one block of a large sum; blocks of a fixed size make the order of
/// the additions, and so the result, independent of the number of cores.
private let sumBlock = 1 << 14

/// Runs `body(block, sums)` for every block, across cores when `work` is large, each block
/// writing `width` partial sums, and returns their totals: the blocks' sums added in block order,
/// so the result does not depend on which thread ran which block.
private func blockSums(
    blocks: Int, width: Int, work: Int, _ body: (_ block: Int, _ sums: UnsafeMutablePointer<Double>) -> Void
) -> [Double] {
    var partial = [Double](repeating: 0, count: blocks * width)
    partial.withUnsafeMutableBufferPointer { partial in
        guard let sums = partial.baseAddress else { return }  // no blocks
        parallelRanges(blocks, work: work, partsPerCore: finePartsPerCore) { range in
            for b in range { body(b, sums + b * width) }
        }
    }
    var totals = [Double](repeating: 0, count: width)
    for b in 0..<blocks {
        for j in 0..<width { totals[j] += partial[b * width + j] }
    }
    return totals
}

/// A reduction's geometry: the input rearranged so reduced dimensions are innermost and contiguous.
struct ReductionLayout {
    /// The input with reduced dimensions moved last, contiguous.
    let data: Tensor
    /// Number of output elements.
    let outer: Int
    /// Number of elements reduced into each output element.
    let inner: Int
    /// Output shape with reduced dimensions kept as size 1.
    let keptShape: [Int]
    /// Output shape with reduced dimensions removed.
    let droppedShape: [Int]
    /// Reduced dimensions, normalised and sorted.
    let dims: [Int]

    /// Whether the reduced dimensions are the leading ones of a contiguous input, which is then
    /// reduced in place row by row (`data` is the input itself, `[inner, outer]` in memory).
    let reducesLeadingDims: Bool

    /// With `geometryOnly`, `data` is left as the input (no transposed copy): for callers that need
    /// only the shapes and counts, such as the gradients of `mean` and `norm`.
    init(_ x: Tensor, dims requested: [Int]?, allowLeading: Bool = false, geometryOnly: Bool = false) {
        let all = requested == nil || requested!.isEmpty
        let dims = all ? Array(0..<x.dim) : Array(Set(requested!.map { normalizeDim($0, x.dim) })).sorted()
        let kept = (0..<x.dim).filter { !dims.contains($0) }
        let moved = kept + dims
        reducesLeadingDims =
            allowLeading && !kept.isEmpty && dims == Array(0..<dims.count) && x.isContiguous
        if reducesLeadingDims || geometryOnly {
            data = x
        } else if all, let dense = x.densePermutation() {
            // Every element meets in one output, in any order: a transposed view is read in place.
            data = dense
        } else {
            let permuted = moved == Array(0..<x.dim) ? x : x.detach().permute(moved)
            data = permuted.isContiguous ? permuted : noGrad { permuted.clone() }
        }
        outer = kept.reduce(1) { $0 * x.shape[$1] }
        inner = dims.reduce(1) { $0 * x.shape[$1] }
        keptShape = (0..<x.dim).map { dims.contains($0) ? 1 : x.shape[$0] }
        droppedShape = kept.map { x.shape[$0] }
        self.dims = dims
    }

    /// The output shape for `keepdim`.
    func shape(keepdim: Bool) -> [Int] { keepdim ? keptShape : droppedShape }

    /// Sums the leading dimensions of a contiguous input: rows of `outer` elements are added up,
    /// so no transposed copy is made (the gradient of a bias, summed over the batch). Large inputs
    /// are cut into blocks of rows, of a fixed size, whose column sums are added in order.
    func sumLeading<T: FloatScalar>(keepdim: Bool, _: T.Type) -> Tensor {
        let (src, cols, rows) = (UnsafePointer(data.base(T.self)), outer, inner)
        let rowsPerBlock = Swift.max(1, sumBlock / Swift.max(cols, 1))
        let totals = blockSums(blocks: (rows + rowsPerBlock - 1) / rowsPerBlock, width: cols, work: rows * cols) {
            b, sums in
            let first = b * rowsPerBlock
            T.columnSums(
                src + first * cols, rows: Swift.min(rowsPerBlock, rows - first), cols: cols, ld: cols, into: sums)
        }
        let out = Tensor(empty: shape(keepdim: keepdim), dtype: T.dtype, zeroed: false)
        let dst = out.base(T.self)
        for j in 0..<cols { dst[j] = T(fromDouble: totals[j]) }
        return out
    }

    /// Sums each run of `inner` elements in double precision, across cores when large. A single
    /// long run is cut into blocks of a fixed size whose partial sums are added in order, so the
    /// result does not depend on the number of cores.
    func sum<T: FloatScalar>(keepdim: Bool, _: T.Type) -> Tensor {
        let out = Tensor(empty: shape(keepdim: keepdim), dtype: T.dtype, zeroed: false)
        let (src, dst, inner) = (UnsafePointer(data.base(T.self)), out.base(T.self), inner)
        guard outer == 1 && inner > sumBlock else {
            parallelRanges(outer, work: outer * inner, partsPerCore: finePartsPerCore) { rows in
                for i in rows { dst[i] = T(fromDouble: T.sum(src + i * inner, count: inner)) }
            }
            return out
        }
        let total = blockSums(blocks: (inner + sumBlock - 1) / sumBlock, width: 1, work: inner) { b, sum in
            sum[0] = T.sum(src + b * sumBlock, count: Swift.min(sumBlock, inner - b * sumBlock))
        }
        dst[0] = T(fromDouble: total[0])
        return out
    }

    /// Reduces each run of `inner` elements of type `T` to one value of type `R`.
    func reduce<T: TensorScalar, R: TensorScalar>(
        keepdim: Bool, _ body: (UnsafeMutablePointer<T>, Int) -> R
    ) -> Tensor {
        let out = Tensor(empty: shape(keepdim: keepdim), dtype: R.dtype, zeroed: false)
        let src = data.base(T.self)
        let dst = out.base(R.self)
        for i in 0..<outer { dst[i] = body(src + i * inner, inner) }
        return out
    }
}

extension Tensor {
    /// The gradient of a reduction broadcast back over the reduced dimensions.
    func expandReduced(_ g: Tensor, _ layout: ReductionLayout, keepdim: Bool, to shape: [Int]) -> Tensor {
        (keepdim ? g : g.reshape(layout.keptShape)).expand(shape)
    }

    /// Sum of all elements (`sum()`); integers and bools sum to int64.
    public func sum() -> Tensor { sum(dims: nil, keepdim: false, name: "SumBackward0") }

    /// Sum over `dim` (`sum(dim=1, keepdim=True)`).
    public func sum(dim: Int, keepdim: Bool = false) -> Tensor { sum(dim: [dim], keepdim: keepdim) }

    /// Sum over several dimensions.
    public func sum(dim: [Int], keepdim: Bool = false) -> Tensor {
        sum(dims: dim, keepdim: keepdim, name: "SumBackward1")
    }

    private func sum(dims: [Int]?, keepdim: Bool, name: String) -> Tensor {
        let layout = ReductionLayout(self, dims: dims, allowLeading: dtype.isFloatingPoint)
        let out: Tensor
        switch dtype {
        case .float32 where layout.reducesLeadingDims: out = layout.sumLeading(keepdim: keepdim, Float.self)
        case .float64 where layout.reducesLeadingDims: out = layout.sumLeading(keepdim: keepdim, Double.self)
        case .float32: out = layout.sum(keepdim: keepdim, Float.self)
        case .float64: out = layout.sum(keepdim: keepdim, Double.self)
        case .int64, .bool:
            out = ReductionLayout(to(.int64), dims: dims).reduce(keepdim: keepdim) {
                (p: UnsafeMutablePointer<Int64>, n: Int) -> Int64 in
                var acc: Int64 = 0
                for i in 0..<n { acc &+= p[i] }
                return acc
            }
        }
        let inputShape = shape
        return Tensor.record(name, output: out, inputs: [self]) { g, _ in
            [self.expandReduced(g, layout, keepdim: keepdim, to: inputShape)]
        }
    }

    /// Mean of all elements (`mean()`); floating-point tensors only, as in PyTorch.
    public func mean() -> Tensor { mean(dims: nil, keepdim: false, name: "MeanBackward0") }

    /// Mean over `dim`.
    public func mean(dim: Int, keepdim: Bool = false) -> Tensor { mean(dim: [dim], keepdim: keepdim) }

    /// Mean over several dimensions (`mean(dim=[0, 1])`).
    public func mean(dim: [Int], keepdim: Bool = false) -> Tensor {
        mean(dims: dim, keepdim: keepdim, name: "MeanBackward1")
    }

    private func mean(dims: [Int]?, keepdim: Bool, name: String) -> Tensor {
        precondition(
            dtype.isFloatingPoint,
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(dtype.pytorchName)"
        )
        let layout = ReductionLayout(self, dims: dims, geometryOnly: true)
        let n = Double(layout.inner)
        let out = noGrad { self.sum(dims: dims, keepdim: keepdim, name: name) / n }
        let inputShape = shape
        return Tensor.record(name, output: out, inputs: [self]) { g, _ in
            [self.expandReduced(g / n, layout, keepdim: keepdim, to: inputShape)]
        }
    }

    /// Product of all elements (`prod()`).
    public func prod() -> Tensor { prod(dims: nil, keepdim: false) }

    /// Product over `dim` (`prod(dim)`).
    public func prod(dim: Int, keepdim: Bool = false) -> Tensor { prod(dims: [dim], keepdim: keepdim) }

    private func prod(dims: [Int]?, keepdim: Bool) -> Tensor {
        let source = dtype.isFloatingPoint ? self : to(.int64)
        let layout = ReductionLayout(source, dims: dims)
        let out: Tensor
        switch source.dtype {
        case .float32: out = layout.reduce(keepdim: keepdim) { (p: UnsafeMutablePointer<Float>, n) in product(p, n) }
        case .float64: out = layout.reduce(keepdim: keepdim) { (p: UnsafeMutablePointer<Double>, n) in product(p, n) }
        default: out = layout.reduce(keepdim: keepdim) { (p: UnsafeMutablePointer<Int64>, n) in product(p, n) }
        }
        let inputShape = shape
        return Tensor.record("ProdBackward0", output: out, inputs: [self], saving: [self]) { g, _ in
            // Product of the other elements, computed without dividing so zeros are handled.
            let others = productOfOthers(ReductionLayout(self.detach(), dims: dims))
            return [self.expandReduced(g, layout, keepdim: keepdim, to: inputShape) * others]
        }
    }

    /// Unbiased (or `correction`-adjusted) variance over all elements (`var()`).
    public func `var`(unbiased: Bool = true) -> Tensor {
        variance(dims: nil, correction: unbiased ? 1 : 0, keepdim: false)
    }

    /// Variance over `dim` (`var(dim, unbiased, keepdim)`).
    public func `var`(dim: Int, unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        variance(dims: [dim], correction: unbiased ? 1 : 0, keepdim: keepdim)
    }

    /// Variance over several dimensions with an explicit `correction` (`var(dim, correction=)`).
    public func `var`(dim: [Int], correction: Int = 1, keepdim: Bool = false) -> Tensor {
        variance(dims: dim, correction: correction, keepdim: keepdim)
    }

    /// Standard deviation over all elements (`std()`).
    public func std(unbiased: Bool = true) -> Tensor { `var`(unbiased: unbiased).sqrt() }

    /// Standard deviation over `dim` (`std(dim, unbiased, keepdim)`).
    public func std(dim: Int, unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        `var`(dim: dim, unbiased: unbiased, keepdim: keepdim).sqrt()
    }

    /// Standard deviation over several dimensions with an explicit `correction`.
    public func std(dim: [Int], correction: Int = 1, keepdim: Bool = false) -> Tensor {
        `var`(dim: dim, correction: correction, keepdim: keepdim).sqrt()
    }

    private func variance(dims: [Int]?, correction: Int, keepdim: Bool) -> Tensor {
        precondition(dtype.isFloatingPoint, "std and var only support floating point and complex dtypes")
        let layout = ReductionLayout(self, dims: dims, geometryOnly: true)
        let denominator = Double(Swift.max(0, layout.inner - correction))
        let centered = self - mean(dims: dims, keepdim: true, name: "MeanBackward1")
        let squares = centered * centered
        return squares.sum(dims: dims, keepdim: keepdim, name: "VarBackward0") / denominator
    }

    /// `log(sum(exp(x)))` over `dim`, computed stably (`logsumexp`).
    public func logsumexp(dim: Int, keepdim: Bool = false) -> Tensor {
        logsumexp(dim: [dim], keepdim: keepdim)
    }

    /// `log(sum(exp(x)))` over several dimensions, computed stably.
    public func logsumexp(dim: [Int], keepdim: Bool = false) -> Tensor {
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let m = noGrad { x.detach().amax(dim: dim, keepdim: true) }
        let finiteMax = noGrad { Tensor.where(m.abs() .== .infinity, Tensor.zerosLike(m), m) }
        let lse = (x - finiteMax).exp().sum(dim: dim, keepdim: true).log() + finiteMax
        return keepdim ? lse : lse.squeeze(dims: dim.map { normalizeDim($0, x.dim) })
    }

    /// Removes the given size-1 dimensions.
    func squeeze(dims: [Int]) -> Tensor {
        var result = self
        for d in dims.sorted(by: >) { result = result.squeeze(dim: d) }
        return result
    }

    /// The p-norm of all elements, or over `dim` (`torch.norm` / `linalg.vector_norm`).
    ///
    /// `p` may be any positive number or `.infinity`. The gradient at an all-zero input is zero,
    /// as in PyTorch.
    public func norm(p: Double = 2, dim: [Int]? = nil, keepdim: Bool = false) -> Tensor {
        precondition(dtype.isFloatingPoint, "norm(): input dtype should be floating point")
        let dims = dim ?? Array(0..<self.dim)
        if p == .infinity { return abs().amax(dim: dims, keepdim: keepdim) }
        if p == 1 { return abs().sum(dim: dims, keepdim: keepdim) }
        let layout = ReductionLayout(self, dims: dims, geometryOnly: true)
        let out = noGrad { self.abs().pow(p).sum(dim: dims, keepdim: keepdim).pow(1 / p) }
        let saved = out.detach()
        let inputShape = shape
        return Tensor.record("LinalgVectorNormBackward0", output: out, inputs: [self], saving: [self, saved]) {
            g, _ in
            let n = GradMode.isEnabled ? self.norm(p: p, dim: dims, keepdim: keepdim) : saved
            let scale = Tensor.where(n .== 0, Tensor.zerosLike(n), g / n.pow(p - 1))
            let expanded = self.expandReduced(scale, layout, keepdim: keepdim, to: inputShape)
            let local = p == 2 ? self : self * self.abs().pow(p - 2)
            return [local * expanded]
        }
    }

    /// Whether every element is non-zero (`all()`), as a bool tensor.
    public func all() -> Tensor {
        ReductionLayout(to(.bool), dims: nil).reduce(keepdim: false) { (p: UnsafeMutablePointer<Bool>, n) in
            (0..<n).allSatisfy { p[$0] }
        }
    }

    /// Whether every element along `dim` is non-zero.
    public func all(dim: Int, keepdim: Bool = false) -> Tensor {
        ReductionLayout(to(.bool), dims: [dim]).reduce(keepdim: keepdim) { (p: UnsafeMutablePointer<Bool>, n) in
            (0..<n).allSatisfy { p[$0] }
        }
    }

    /// Whether any element is non-zero (`any()`), as a bool tensor.
    public func any() -> Tensor {
        ReductionLayout(to(.bool), dims: nil).reduce(keepdim: false) { (p: UnsafeMutablePointer<Bool>, n) in
            (0..<n).contains { p[$0] }
        }
    }

    /// Whether any element along `dim` is non-zero.
    public func any(dim: Int, keepdim: Bool = false) -> Tensor {
        ReductionLayout(to(.bool), dims: [dim]).reduce(keepdim: keepdim) { (p: UnsafeMutablePointer<Bool>, n) in
            (0..<n).contains { p[$0] }
        }
    }
}

private func product<T: NumericScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> T {
    var acc: T = 1
    for i in 0..<n { acc *= p[i] }
    return acc
}

/// For each element, the product of the other elements in its reduction group, via prefix and
/// suffix products (exact with zeros). Returned in the input's original shape.
private func productOfOthers(_ layout: ReductionLayout) -> Tensor {
    let x = layout.data.to(.float64)
    let out = Tensor(empty: x.shape, dtype: .float64, zeroed: false)
    let src = x.base(Double.self)
    let dst = out.base(Double.self)
    let n = layout.inner
    for o in 0..<layout.outer {
        let s = src + o * n
        let d = dst + o * n
        var prefix = 1.0
        for i in 0..<n {
            d[i] = prefix
            prefix *= s[i]
        }
        var suffix = 1.0
        for i in Swift.stride(from: n - 1, through: 0, by: -1) {
            d[i] *= suffix
            suffix *= s[i]
        }
    }
    // Undo the permutation that moved reduced dimensions last.
    let rank = layout.keptShape.count
    let kept = (0..<rank).filter { !layout.dims.contains($0) }
    let moved = kept + layout.dims
    var inverse = [Int](repeating: 0, count: rank)
    for (i, d) in moved.enumerated() { inverse[d] = i }
    return out.permute(inverse).to(layout.data.dtype)
}
