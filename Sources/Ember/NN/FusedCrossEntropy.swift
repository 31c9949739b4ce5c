/// Cross-entropy of `[N, C]` logits against class indices as one pass over each row: the
/// log-sum-exp, the picked logit and the softmax the backward pass needs, instead of a
/// `log_softmax` tensor, a gather and a masked reduction.

/// Forward pass over contiguous logits: per-row losses (0 for ignored rows) and the softmax
/// probabilities (a zero row for ignored rows), so that the gradient is `probs - onehot`, scaled.
private func crossEntropyRows<T: FloatScalar>(
    _ logits: Tensor, _ targets: UnsafePointer<Int64>, ignoreIndex: Int64, _: T.Type
) -> (losses: Tensor, probs: Tensor) {
    let rows = logits.shape[0]
    let classes = logits.shape[1]
    let losses = Tensor(empty: [rows], dtype: logits.dtype, zeroed: true)
    let probs = Tensor(empty: [rows, classes], dtype: logits.dtype, zeroed: true)
    let x = logits.base(T.self)
    let p = probs.base(T.self)
    let loss = losses.base(T.self)
    for r in 0..<rows {
        let target = targets[r]
        if target == ignoreIndex { continue }
        precondition(target >= 0 && target < classes, "Target \(target) is out of bounds.")
        let row = x + r * classes
        let prob = p + r * classes
        let (m, total) = shiftedExponentials(row, into: prob, classes)
        let inverse = 1 / total
        for c in 0..<classes { prob[c] *= inverse }
        loss[r] = m + T.log(total) - row[Int(target)]
    }
    return (losses, probs)
}

/// Backward pass: `(probs - onehot(target)) * scale[r]` per row, ignored rows zero.
private func crossEntropyRowsBackward<T: FloatScalar>(
    probs: Tensor, _ targets: UnsafePointer<Int64>, ignoreIndex: Int64, scales: [Double], _: T.Type
) -> Tensor {
    let rows = probs.shape[0]
    let classes = probs.shape[1]
    let grad = Tensor(empty: probs.shape, dtype: probs.dtype, zeroed: false)
    let p = probs.base(T.self)
    let g = grad.base(T.self)
    for r in 0..<rows {
        let scale = T(scales[r])
        for c in 0..<classes { g[r * classes + c] = p[r * classes + c] * scale }
        if targets[r] != ignoreIndex { g[r * classes + Int(targets[r])] -= scale }
    }
    return grad
}

extension F {
    /// Whether `crossEntropy` can take the fused path: `[N, C]` floating logits, `[N]` class
    /// indices, no class weights and no label smoothing.
    static func canFuseCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor?, labelSmoothing: Double) -> Bool
    {
        weight == nil && labelSmoothing == 0 && input.dim == 2 && input.dtype.isFloatingPoint
            && target.dtype == .int64 && target.shape == [input.shape[0]]
    }

    /// `log_softmax` + `nll_loss` in one kernel, with PyTorch's results, gradient and
    /// `NllLossBackward0` history; differentiable twice through the composite formula.
    static func fusedCrossEntropy(_ input: Tensor, _ target: Tensor, ignoreIndex: Int, reduction: Reduction) -> Tensor {
        let x = input.detach().contiguous()
        let t = target.contiguous()
        let ignore = Int64(ignoreIndex)
        let targets = UnsafePointer(t.base(Int64.self))
        let (losses, probs) =
            x.dtype == .float64
            ? crossEntropyRows(x, targets, ignoreIndex: ignore, Double.self)
            : crossEntropyRows(x, targets, ignoreIndex: ignore, Float.self)
        let valid = t.toArray(as: Int64.self).map { $0 != ignore }
        let count = Double(valid.count { $0 })
        let output: Tensor
        switch reduction {
        case .none: output = losses
        case .sum: output = losses.sum()
        case .mean: output = losses.sum() / count
        }
        return Tensor.record("NllLossBackward0", output: output, inputs: [input], saving: [probs]) { g, _ in
            let perRow: Tensor
            switch reduction {
            case .none: perRow = g
            case .sum: perRow = g.expand([valid.count])
            case .mean: perRow = (g / count).expand([valid.count])
            }
            let mask = Tensor(shape: [valid.count], scalars: valid).to(g.dtype)
            if GradMode.isEnabled {
                let onehot = F.oneHot(
                    Tensor.where(t .== Double(ignore), Tensor.zerosLike(t), t), numClasses: x.shape[1])
                let scale = (perRow * mask).unsqueeze(1)
                return [(input.softmax(dim: 1) - onehot.to(g.dtype)) * scale]
            }
            let scales = (perRow * mask).toArray(as: Double.self)
            let targets = UnsafePointer(t.base(Int64.self))
            return [
                x.dtype == .float64
                    ? crossEntropyRowsBackward(probs: probs, targets, ignoreIndex: ignore, scales: scales, Double.self)
                    : crossEntropyRowsBackward(probs: probs, targets, ignoreIndex: ignore, scales: scales, Float.self)
            ]
        }
    }
}
