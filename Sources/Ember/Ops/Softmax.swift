/// Numerically stable `softmax` and `logSoftmax` along a dimension, with their gradients.

/// Writes `exp(s[i] - max)` for `n` elements into `d` and returns the shift `max` (NaN if any
/// element is NaN, 0 when all are -inf, so the exponentials stay finite) and their sum: the
/// unnormalised row of a stable softmax, shared with the fused cross-entropy.
@inline(__always)
func shiftedExponentials<T: FloatScalar>(_ s: UnsafePointer<T>, into d: UnsafeMutablePointer<T>, _ n: Int)
    -> (shift: T, total: T)
{
    var m = -T.infinity
    for i in 0..<n where s[i] > m || s[i].isNaN { m = s[i] }
    if m == -T.infinity { m = 0 }
    for i in 0..<n { d[i] = s[i] - m }
    T.apply(.exp, d, d, count: n)
    var total: T = 0
    for i in 0..<n { total += d[i] }
    return (m, total)
}

private func softmaxKernel<T: FloatScalar>(_ x: Tensor, dim: Int, log: Bool, _: T.Type) -> Tensor {
    let layout = ReductionLayout(x, dims: [dim])
    let out = Tensor(empty: layout.data.shape, dtype: x.dtype, zeroed: false)
    let src = layout.data.base(T.self)
    let dst = out.base(T.self)
    let n = layout.inner
    parallelRanges(layout.outer, work: 10 * layout.outer * n, partsPerCore: finePartsPerCore) { rows in
        for o in rows {
            let s = src + o * n
            let d = dst + o * n
            let (m, total) = shiftedExponentials(s, into: d, n)
            if log {
                let lse = T.log(total)
                for i in 0..<n { d[i] = s[i] - m - lse }
            } else {
                let inv = 1 / total
                for i in 0..<n { d[i] *= inv }
            }
        }
    }
    // The layout moved `dim` last; move it back.
    var order = (0..<x.dim).filter { $0 != dim }
    order.append(dim)
    var inverse = [Int](repeating: 0, count: x.dim)
    for (i, d) in order.enumerated() { inverse[d] = i }
    return out.permute(inverse).contiguous()
}

extension Tensor {
    private func softmax(dim: Int, log: Bool) -> Tensor {
        let x = dtype.isFloatingPoint ? self : to(.float32)
        let d = normalizeDim(dim, x.dim)
        let out: Tensor
        if x.dim == 0 {
            out = noGrad { log ? Tensor.zerosLike(x) : Tensor.onesLike(x) }
        } else if x.dtype == .float64 {
            out = softmaxKernel(x.detach(), dim: d, log: log, Double.self)
        } else {
            out = softmaxKernel(x.detach(), dim: d, log: log, Float.self)
        }
        let saved = out.detach()
        let name = log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"
        return Tensor.record(name, output: out, inputs: [x], saving: [saved]) { g, _ in
            let y = GradMode.isEnabled ? x.softmax(dim: d, log: log) : saved
            if log { return [g - y.exp() * g.sum(dim: d, keepdim: true)] }
            return [y * (g - (g * y).sum(dim: d, keepdim: true))]
        }
    }

    /// `exp(x) / sum(exp(x))` along `dim`, computed stably (`softmax`).
    public func softmax(dim: Int) -> Tensor { softmax(dim: dim, log: false) }

    /// `log(softmax(x))` along `dim`, computed stably (`log_softmax`).
    public func logSoftmax(dim: Int) -> Tensor { softmax(dim: dim, log: true) }
}
