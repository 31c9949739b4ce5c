/// Gradient clipping (`torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`).

/// Scales the gradients of `parameters` in place so that their joint `normType`-norm is at most
/// `maxNorm`, and returns that norm before clipping (`clip_grad_norm_`).
///
/// As PyTorch: the total norm is the norm of the per-gradient norms, every gradient is multiplied
/// by `min(maxNorm / (total + 1e-6), 1)`, parameters without a gradient are skipped, and
/// `normType` may be `.infinity` (the largest absolute entry).
///
/// ```swift
/// loss.backward()
/// clipGradNorm(model.parameters(), maxNorm: 1.0)
/// optimizer.step()
/// ```
@discardableResult
public func clipGradNorm(
    _ parameters: [Tensor], maxNorm: Double, normType: Double = 2, errorIfNonfinite: Bool = false
) -> Tensor {
    let grads = parameters.compactMap { $0.grad?.detach() }
    guard !grads.isEmpty else { return Tensor(0.0) }
    return noGrad {
        let norms = grads.map { $0.norm(p: normType) }
        let dtype = norms.dropFirst().reduce(norms[0].dtype) { DType.promote($0, $1.dtype) }
        let total = Tensor.stack(norms.map { $0.to(dtype) }).norm(p: normType)
        precondition(
            !errorIfNonfinite || total.item().isFinite,
            "The total norm of order \(normType) for gradients from `parameters` is non-finite, so it cannot be "
                + "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
                + "`error_if_nonfinite=False`"
        )
        let coefficient = (maxNorm / (total + 1e-6)).clamp(max: 1)
        for g in grads { g.mulInPlace(coefficient.to(g.dtype)) }
        return total
    }
}

/// Clamps every gradient of `parameters` in place to `[-clipValue, clipValue]` (`clip_grad_value_`).
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    noGrad {
        for g in parameters.compactMap({ $0.grad?.detach() }) {
            g.copy(from: g.clamp(min: -clipValue, max: clipValue))
        }
    }
}
