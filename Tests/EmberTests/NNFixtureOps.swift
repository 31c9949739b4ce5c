// The nn.functional op keys of ops.json (written by Tests/Fixtures/nn_cases.py).
@testable import Ember

private func reduction(_ p: FixtureParams) -> Reduction { Reduction(rawValue: p.string("reduction") ?? "mean")! }

/// The optional trailing loss inputs (`weight`, `pos_weight`) named by the params, in order.
private func optionalInputs(_ xs: [Tensor], _ p: FixtureParams, _ names: String...) -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    var i = 2
    for n in names where p.bool(n) {
        result[n] = xs[i]
        i += 1
    }
    return result
}

let nnFixtureOps: [String: FixtureOp] = [
    "linear": { xs, _ in F.linear(xs[0], xs[1], bias: xs.count > 2 ? xs[2] : nil) },
    "bilinear": { xs, _ in F.bilinear(xs[0], xs[1], xs[2], bias: xs.count > 3 ? xs[3] : nil) },
    "relu6": { xs, _ in F.relu6(xs[0]) },
    "hardtanh": { xs, p in F.hardtanh(xs[0], minVal: p.double("min")!, maxVal: p.double("max")!) },
    "leaky_relu": { xs, p in F.leakyRelu(xs[0], negativeSlope: p.double("slope")!) },
    "elu": { xs, p in F.elu(xs[0], alpha: p.double("alpha")!) },
    "gelu": { xs, p in F.gelu(xs[0], approximate: p.string("approximate")!) },
    "silu": { xs, _ in F.silu(xs[0]) },
    "mish": { xs, _ in F.mish(xs[0]) },
    "softplus": { xs, p in F.softplus(xs[0], beta: p.double("beta")!, threshold: p.double("threshold")!) },
    "mse_loss": { xs, p in F.mseLoss(xs[0], xs[1], reduction: reduction(p)) },
    "l1_loss": { xs, p in F.l1Loss(xs[0], xs[1], reduction: reduction(p)) },
    "smooth_l1_loss": { xs, p in F.smoothL1Loss(xs[0], xs[1], reduction: reduction(p), beta: p.double("beta")!) },
    "huber_loss": { xs, p in F.huberLoss(xs[0], xs[1], reduction: reduction(p), delta: p.double("delta")!) },
    "binary_cross_entropy": { xs, p in
        F.binaryCrossEntropy(xs[0], xs[1], weight: optionalInputs(xs, p, "weight")["weight"], reduction: reduction(p))
    },
    "bce_with_logits": { xs, p in
        let o = optionalInputs(xs, p, "weight", "pos_weight")
        return F.binaryCrossEntropyWithLogits(
            xs[0], xs[1], weight: o["weight"], posWeight: o["pos_weight"], reduction: reduction(p))
    },
    "cross_entropy": { xs, p in
        F.crossEntropy(
            xs[0], xs[1], weight: optionalInputs(xs, p, "weight")["weight"],
            ignoreIndex: p.int("ignore_index", default: -100), reduction: reduction(p),
            labelSmoothing: p.double("label_smoothing") ?? 0)
    },
    "nll_loss": { xs, p in
        F.nllLoss(
            xs[0], xs[1], weight: optionalInputs(xs, p, "weight")["weight"],
            ignoreIndex: p.int("ignore_index", default: -100), reduction: reduction(p))
    },
    "kl_div": { xs, p in
        F.klDiv(xs[0], xs[1], reduction: p.string("reduction")!, logTarget: p.bool("log_target"))
    },
]
