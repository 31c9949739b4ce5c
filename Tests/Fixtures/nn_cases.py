"""nn.functional cases for ops.json: activations, linear and losses (imported by make_fixtures.py).

Op keys and params mirror Tests/EmberTests/NNFixtureOps.swift. Inputs are positional:
losses take (input, target[, weight[, pos_weight]]) with params {"reduction", ...} and
"weight"/"pos_weight" flags saying which optional inputs are present.
"""

import torch
import torch.nn.functional as F


def _optional(xs, p, *names):
    """Maps the optional trailing inputs named in params to keyword arguments."""
    kw, i = {}, 2
    for n in names:
        if p.get(n):
            kw[n] = xs[i]
            i += 1
    return kw


NN_OPS = {
    "linear": lambda xs, p: F.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None),
    "bilinear": lambda xs, p: F.bilinear(xs[0], xs[1], xs[2], xs[3] if len(xs) > 3 else None),
    "relu6": lambda xs, p: F.relu6(xs[0]),
    "hardtanh": lambda xs, p: F.hardtanh(xs[0], p["min"], p["max"]),
    "leaky_relu": lambda xs, p: F.leaky_relu(xs[0], p["slope"]),
    "elu": lambda xs, p: F.elu(xs[0], p["alpha"]),
    "gelu": lambda xs, p: F.gelu(xs[0], approximate=p["approximate"]),
    "silu": lambda xs, p: F.silu(xs[0]),
    "mish": lambda xs, p: F.mish(xs[0]),
    "softplus": lambda xs, p: F.softplus(xs[0], beta=p["beta"], threshold=p["threshold"]),
    "mse_loss": lambda xs, p: F.mse_loss(xs[0], xs[1], reduction=p["reduction"]),
    "l1_loss": lambda xs, p: F.l1_loss(xs[0], xs[1], reduction=p["reduction"]),
    "smooth_l1_loss": lambda xs, p: F.smooth_l1_loss(xs[0], xs[1], reduction=p["reduction"], beta=p["beta"]),
    "huber_loss": lambda xs, p: F.huber_loss(xs[0], xs[1], reduction=p["reduction"], delta=p["delta"]),
    "binary_cross_entropy": lambda xs, p: F.binary_cross_entropy(
        xs[0], xs[1], reduction=p["reduction"], **_optional(xs, p, "weight")),
    "bce_with_logits": lambda xs, p: F.binary_cross_entropy_with_logits(
        xs[0], xs[1], reduction=p["reduction"], **_optional(xs, p, "weight", "pos_weight")),
    "cross_entropy": lambda xs, p: F.cross_entropy(
        xs[0], xs[1], reduction=p["reduction"], ignore_index=p.get("ignore_index", -100),
        label_smoothing=p.get("label_smoothing", 0.0), **_optional(xs, p, "weight")),
    "nll_loss": lambda xs, p: F.nll_loss(
        xs[0], xs[1], reduction=p["reduction"], ignore_index=p.get("ignore_index", -100),
        **_optional(xs, p, "weight")),
    "kl_div": lambda xs, p: F.kl_div(xs[0], xs[1], reduction=p["reduction"], log_target=p["log_target"]),
}


def add_nn_cases(ops, add_case, randn, tensor):
    ops.update(NN_OPS)
    F32, F64, I64 = torch.float32, torch.float64, torch.int64
    for dn, dt in {"f32": F32, "f64": F64}.items():
        add_case(f"linear_bias_{dn}", "linear", [randn([4, 3], dt), randn([2, 3], dt), randn([2], dt)])
        add_case(f"linear_3d_{dn}", "linear", [randn([2, 4, 3], dt), randn([5, 3], dt)])
        add_case(f"bilinear_bias_{dn}", "bilinear",
                 [randn([4, 3], dt), randn([4, 2], dt), randn([5, 3, 2], dt), randn([5], dt)])
        add_case(f"bilinear_3d_{dn}", "bilinear", [randn([2, 3, 3], dt), randn([2, 3, 4], dt), randn([2, 3, 4], dt)])
        x = randn([3, 5], dt, away=0.05)
        add_case(f"relu6_{dn}", "relu6", [randn([3, 5], dt, lo=-2, hi=8)])
        add_case(f"hardtanh_{dn}", "hardtanh", [x], {"min": -0.5, "max": 0.7})
        add_case(f"leaky_relu_{dn}", "leaky_relu", [x], {"slope": 0.1})
        add_case(f"elu_{dn}", "elu", [x], {"alpha": 1.5})
        add_case(f"gelu_exact_{dn}", "gelu", [x], {"approximate": "none"})
        add_case(f"gelu_tanh_{dn}", "gelu", [x], {"approximate": "tanh"})
        add_case(f"silu_{dn}", "silu", [x])
        add_case(f"mish_{dn}", "mish", [x])
        add_case(f"softplus_{dn}", "softplus", [randn([3, 5], dt) * 8], {"beta": 2.0, "threshold": 10.0})
        for red in ["mean", "sum", "none"]:
            add_case(f"mse_{red}_{dn}", "mse_loss", [randn([4, 3], dt), randn([4, 3], dt)], {"reduction": red})
            add_case(f"l1_{red}_{dn}", "l1_loss", [randn([4, 3], dt), randn([4, 3], dt, away=0.0)], {"reduction": red})
            add_case(f"smooth_l1_{red}_{dn}", "smooth_l1_loss", [randn([4, 3], dt), randn([4, 3], dt)],
                     {"reduction": red, "beta": 0.5})
            add_case(f"huber_{red}_{dn}", "huber_loss", [randn([4, 3], dt), randn([4, 3], dt)],
                     {"reduction": red, "delta": 0.8})
            probs = randn([4, 3], dt, lo=0.05, hi=0.95)
            add_case(f"bce_{red}_{dn}", "binary_cross_entropy", [probs, randn([4, 3], dt, lo=0, hi=1)],
                     {"reduction": red})
            add_case(f"bce_logits_{red}_{dn}", "bce_with_logits", [randn([4, 3], dt), randn([4, 3], dt, lo=0, hi=1)],
                     {"reduction": red})
            logits = randn([5, 4], dt)
            target = torch.tensor([0, 3, 1, 3, 2])
            add_case(f"ce_{red}_{dn}", "cross_entropy", [logits, target], {"reduction": red})
            add_case(f"nll_{red}_{dn}", "nll_loss", [torch.log_softmax(randn([5, 4], dt), 1), target],
                     {"reduction": red})
            add_case(f"kl_div_{red}_{dn}", "kl_div",
                     [torch.log_softmax(randn([3, 4], dt), 1), torch.softmax(randn([3, 4], dt), 1)],
                     {"reduction": red, "log_target": False})
        add_case(f"bce_weight_{dn}", "binary_cross_entropy",
                 [randn([4, 3], dt, lo=0.05, hi=0.95), randn([4, 3], dt, lo=0, hi=1), randn([3], dt, lo=0.5, hi=2)],
                 {"reduction": "mean", "weight": True}, grad=[0, 1])
        add_case(f"bce_logits_weights_{dn}", "bce_with_logits",
                 [randn([4, 3], dt), randn([4, 3], dt, lo=0, hi=1), randn([3], dt, lo=0.5, hi=2),
                  randn([3], dt, lo=0.5, hi=3)],
                 {"reduction": "mean", "weight": True, "pos_weight": True}, grad=[0, 1])
        add_case(f"bce_logits_at_zero_{dn}", "bce_with_logits", [tensor([0.0, 0.0, 1.0], dt), tensor([1.0, 0.0, 0.5], dt)],
                 {"reduction": "sum"})
        w = randn([4], dt, lo=0.5, hi=2)
        t = torch.tensor([0, 3, -100, 3, 2])
        add_case(f"ce_weight_ignore_{dn}", "cross_entropy", [randn([5, 4], dt), t, w],
                 {"reduction": "mean", "weight": True, "ignore_index": -100}, grad=[0])
        for red in ("mean", "sum", "none"):
            add_case(f"ce_ignore_{red}_{dn}", "cross_entropy", [randn([5, 4], dt), torch.tensor([0, 3, 1, 3, 2])],
                     {"reduction": red, "ignore_index": 3}, grad=[0])
        add_case(f"ce_smoothing_{dn}", "cross_entropy", [randn([5, 4], dt), torch.tensor([0, 3, 1, 3, 2])],
                 {"reduction": "mean", "label_smoothing": 0.1})
        add_case(f"ce_smoothing_weight_ignore_{dn}", "cross_entropy", [randn([5, 4], dt), t, w],
                 {"reduction": "mean", "label_smoothing": 0.2, "weight": True}, grad=[0])
        add_case(f"ce_smoothing_sum_{dn}", "cross_entropy", [randn([5, 4], dt), t],
                 {"reduction": "sum", "label_smoothing": 0.3})
        add_case(f"ce_probabilities_{dn}", "cross_entropy",
                 [randn([3, 4], dt), torch.softmax(randn([3, 4], dt), 1)], {"reduction": "mean"}, grad=[0])
        add_case(f"ce_probabilities_smoothing_{dn}", "cross_entropy",
                 [randn([3, 4], dt), torch.softmax(randn([3, 4], dt), 1)],
                 {"reduction": "sum", "label_smoothing": 0.1}, grad=[0])
        add_case(f"ce_unbatched_{dn}", "cross_entropy", [randn([4], dt), torch.tensor(2)], {"reduction": "mean"})
        add_case(f"ce_kdim_{dn}", "cross_entropy", [randn([2, 3, 2, 2], dt), torch.randint(0, 3, [2, 2, 2],
                 generator=torch.Generator().manual_seed(7))], {"reduction": "mean"})
        add_case(f"nll_weight_ignore_{dn}", "nll_loss", [torch.log_softmax(randn([5, 4], dt), 1), t, w],
                 {"reduction": "mean", "weight": True, "ignore_index": -100}, grad=[0])
        add_case(f"kl_div_batchmean_log_target_{dn}", "kl_div",
                 [torch.log_softmax(randn([3, 4], dt), 1), torch.log_softmax(randn([3, 4], dt), 1)],
                 {"reduction": "batchmean", "log_target": True})
