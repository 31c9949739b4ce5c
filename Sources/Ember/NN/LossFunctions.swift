/// How a loss combines per-element losses (`reduction=`).
public enum Reduction: String, Sendable {
    /// No reduction: one loss per element.
    case none
    /// The average (the default).
    case mean
    /// The sum.
    case sum
}

extension Tensor {
    /// Applies a loss reduction.
    func reduced(_ reduction: Reduction) -> Tensor {
        switch reduction {
        case .none: self
        case .mean: mean()
        case .sum: sum()
        }
    }
}

extension F {
    private static func checkSameShape(_ input: Tensor, _ target: Tensor, _ name: String) {
        precondition(
            input.shape == target.shape,
            "\(name): Using a target size (\(target.shape.torchSize)) that is different to the input size (\(input.shape.torchSize)). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size."
        )
    }

    /// Mean squared error (`F.mse_loss`).
    public static func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(input, target, "mse_loss")
        let d = input - target
        return (d * d).reduced(reduction)
    }

    /// Mean absolute error (`F.l1_loss`).
    public static func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(input, target, "l1_loss")
        return (input - target).abs().reduced(reduction)
    }

    /// Smooth L1: quadratic below `beta`, linear above (`F.smooth_l1_loss`).
    public static func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Double = 1)
        -> Tensor
    {
        checkSameShape(input, target, "smooth_l1_loss")
        let d = (input - target).abs()
        if beta == 0 { return d.reduced(reduction) }
        return Tensor.where(d .< beta, d * d * (0.5 / beta), d - 0.5 * beta).reduced(reduction)
    }

    /// Huber loss: quadratic below `delta`, linear above (`F.huber_loss`).
    public static func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Double = 1)
        -> Tensor
    {
        checkSameShape(input, target, "huber_loss")
        let d = (input - target).abs()
        return Tensor.where(d .< delta, d * d * 0.5, (d - 0.5 * delta) * delta).reduced(reduction)
    }

    /// Binary cross-entropy on probabilities, log clamped at -100 (`F.binary_cross_entropy`).
    public static func binaryCrossEntropy(
        _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean
    ) -> Tensor {
        checkSameShape(input, target, "binary_cross_entropy")
        let logP = input.log().clamp(min: -100)
        let log1mP = (1 - input).log().clamp(min: -100)
        var loss = -(target * logP + (1 - target) * log1mP)
        if let weight { loss = loss * weight }
        return loss.reduced(reduction)
    }

    /// Binary cross-entropy on logits, computed stably (`F.binary_cross_entropy_with_logits`).
    public static func binaryCrossEntropyWithLogits(
        _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, posWeight: Tensor? = nil,
        reduction: Reduction = .mean
    ) -> Tensor {
        checkSameShape(input, target, "binary_cross_entropy_with_logits")
        // softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)
        let softplusNeg = noGrad { (-input.detach().abs()).exp().log1p() + (-input.detach()).relu() }
        let logWeight = posWeight.map { pw in noGrad { (pw.detach() - 1) * target.detach() + 1 } }
        var loss = noGrad {
            (1 - target.detach()) * input.detach() + (logWeight.map { $0 * softplusNeg } ?? softplusNeg)
        }
        loss = Tensor.record(
            "BinaryCrossEntropyWithLogitsBackward0", output: loss, inputs: [input, target], saving: [input, target]
        ) { g, needs in
            let sig = input.sigmoid()
            var gradInput: Tensor?
            if needs[0] {
                if let posWeight {
                    let t = posWeight * target
                    gradInput = ((t + 1 - target) * sig - t) * g
                } else {
                    gradInput = (sig - target) * g
                }
            }
            var gradTarget: Tensor?
            if needs[1] {
                let sp = (-input.abs()).exp().log1p() + (-input).relu()
                gradTarget = (posWeight.map { ($0 - 1) * sp } ?? Tensor.zerosLike(input)) - input
                gradTarget = gradTarget! * g
            }
            return [gradInput, gradTarget]
        }
        if let weight { loss = loss * weight }
        return loss.reduced(reduction)
    }

    /// Negative log-likelihood of class indices under log-probabilities `[N, C, ...]` or `[C]`
    /// (`F.nll_loss`); targets equal to `ignoreIndex` count for nothing.
    public static func nllLoss(
        _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
        reduction: Reduction = .mean
    ) -> Tensor {
        precondition(target.dtype == .int64, "expected scalar type Long but found \(target.dtype.pytorchName)")
        let batched = input.dim >= 2
        let logp = batched ? input : input.unsqueeze(0)
        let tgt = batched ? target : target.unsqueeze(0)
        let classes = logp.shape[1]
        precondition(
            tgt.shape == [logp.shape[0]] + Array(logp.shape.dropFirst(2)),
            "Expected input batch_size (\(logp.shape[0])) to match target batch_size (\(tgt.dim > 0 ? tgt.shape[0] : 1))."
        )
        let ignored = tgt .== Double(ignoreIndex)
        let safeTarget = Tensor.where(ignored, Tensor.zerosLike(tgt), tgt)
        for v in safeTarget.toArray(as: Int64.self) {
            precondition(v >= 0 && v < classes, "Target \(v) is out of bounds.")
        }
        let picked = logp.gather(dim: 1, index: safeTarget.unsqueeze(1)).squeeze(dim: 1)
        var w = (1 - ignored.to(logp.dtype))
        if let weight { w = w * weight.indexSelect(dim: 0, index: safeTarget.reshape([-1])).reshape(safeTarget.shape) }
        let losses = -picked * w
        switch reduction {
        case .none: return batched ? losses : losses.squeeze(dim: 0)
        case .sum: return losses.sum()
        case .mean: return losses.sum() / w.sum()
        }
    }

    /// Cross-entropy of logits `[N, C, ...]` (or `[C]`) against class indices or class
    /// probabilities (`F.cross_entropy`), with optional class weights, ignored index and label
    /// smoothing, as PyTorch computes it.
    public static func crossEntropy(
        _ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
        reduction: Reduction = .mean, labelSmoothing: Double = 0
    ) -> Tensor {
        precondition(
            labelSmoothing >= 0 && labelSmoothing <= 1,
            "label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
        if canFuseCrossEntropy(input, target, weight: weight, labelSmoothing: labelSmoothing) {
            return fusedCrossEntropy(input, target, ignoreIndex: ignoreIndex, reduction: reduction)
        }
        let classDim = input.dim == 1 ? 0 : 1
        let logp = input.logSoftmax(dim: classDim)
        let classes = Double(input.shape[classDim])
        let weightShape = (0..<input.dim).map { $0 == classDim ? input.shape[classDim] : 1 }
        if target.dtype.isFloatingPoint {
            // Class probabilities.
            precondition(target.shape == input.shape, "Expected target size \(input.shape), got \(target.shape)")
            var t = target
            if labelSmoothing > 0 { t = t * (1 - labelSmoothing) + labelSmoothing / classes }
            var terms = logp * t
            if let weight { terms = terms * weight.reshape(weightShape) }
            let losses = -terms.sum(dim: classDim)
            switch reduction {
            case .none: return losses
            case .sum: return losses.sum()
            case .mean: return input.dim == 1 ? losses : losses.sum() / Double(input.count / input.shape[classDim])
            }
        }
        let nll = nllLoss(logp, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
        guard labelSmoothing > 0 else { return nll }
        let ignored = target .== Double(ignoreIndex)
        var smooth = weight.map { -(logp * $0.reshape(weightShape)).sum(dim: classDim) } ?? -logp.sum(dim: classDim)
        smooth = Tensor.where(ignored, Tensor.zerosLike(smooth), smooth)
        let smoothReduced: Tensor
        switch reduction {
        case .none: smoothReduced = smooth
        case .sum: smoothReduced = smooth.sum()
        case .mean:
            if let weight {
                let safe = Tensor.where(ignored, Tensor.zerosLike(target), target)
                let w =
                    weight.indexSelect(dim: 0, index: safe.reshape([-1])) * (1 - ignored.to(weight.dtype)).reshape([-1])
                smoothReduced = smooth.sum() / w.sum()
            } else {
                smoothReduced = smooth.sum() / (1 - ignored.to(smooth.dtype)).sum()
            }
        }
        return nll * (1 - labelSmoothing) + smoothReduced * (labelSmoothing / classes)
    }

    /// Kullback-Leibler divergence with log-probability input (`F.kl_div`); `batchmean` divides
    /// the sum by the batch size.
    public static func klDiv(_ input: Tensor, _ target: Tensor, reduction: String = "mean", logTarget: Bool = false)
        -> Tensor
    {
        // xlogy(target, target) − target · input, as PyTorch: 0 where the target is 0 (unless the
        // input is −∞), NaN for a negative target. The log reads 1 at 0, so its gradient is finite.
        let pointwise =
            logTarget
            ? target.exp() * (target - input)
            : target * Tensor.where(target .== 0, Tensor.onesLike(target), target).log() - target * input
        switch reduction {
        case "none": return pointwise
        case "sum": return pointwise.sum()
        case "batchmean": return pointwise.sum() / Double(input.dim > 0 ? input.shape[0] : 1)
        case "mean": return pointwise.mean()
        default: preconditionFailure("\(reduction) is not a valid value for reduction")
        }
    }
}
