"""Writes Tests/Fixtures/nnextra.json for Tests/EmberTests/NNExtraTests.swift (PyTorch 2.15).

Format: {"functional": [...], "modules": [...], "reprs": {...}}. Tensors are
{"shape", "dtype", "data"}. A functional case has "fn", "params", "inputs", "output", "upstream"
and "grads" (the gradient of sum(output * upstream) for each input). A module case has "module",
"args", "state" (PyTorch's state dict), "state_keys", "repr", "call" options, "inputs",
"outputs", "upstream" (one per output) and "input_grads"/"param_grads".
"""

import json
import math
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F


def enc(t):
    t = t.detach()
    data = [x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
            for x in t.reshape(-1).tolist()] if t.dtype.is_floating_point else t.reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


def functional(name, fn, call, params, inputs):
    inputs = [x.clone().requires_grad_(x.dtype.is_floating_point and d) for x, d in inputs]
    out = call(*inputs)
    up = torch.randn_like(out)
    (out * up).sum().backward()
    return {"name": name, "fn": fn, "params": params, "inputs": [enc(x) for x in inputs], "output": enc(out),
            "upstream": enc(up), "grads": [enc(x.grad) if x.grad is not None else None for x in inputs]}


def functional_cases():
    torch.manual_seed(0)
    d = torch.float64
    cases = []
    x4 = torch.randn(2, 3, 4, 5, dtype=d)
    for mode, pad in [("constant", [1, 2]), ("constant", [2, 0, -1, 1]), ("constant", [1, 1, 0, 2, 1, 0]),
                      ("reflect", [2, 1, 1, 2]), ("replicate", [3, 1, 0, 2]), ("circular", [1, 2, 2, 1])]:
        value = 0.5 if mode == "constant" else None
        kwargs = {"value": value} if value is not None else {}
        cases.append(functional(f"pad_{mode}_{len(pad)}", "pad", lambda x: F.pad(x, pad, mode=mode, **kwargs),
                                {"pad": pad, "mode": mode, "value": value or 0}, [(x4, True)]))
    x = torch.randn(3, 4, 2, dtype=d)
    for p, dim in [(2, 1), (1, -1), (3, 0)]:
        cases.append(functional(f"normalize_p{p}_d{dim}", "normalize", lambda x: F.normalize(x, p=p, dim=dim),
                                {"p": p, "dim": dim}, [(x, True)]))
    a, b = torch.randn(4, 5, dtype=d), torch.randn(4, 5, dtype=d)
    for dim in [1, 0]:
        cases.append(functional(f"cosine_similarity_d{dim}", "cosineSimilarity",
                                lambda a, b: F.cosine_similarity(a, b, dim=dim), {"dim": dim}, [(a, True), (b, True)]))
    cases.append(functional("cosine_similarity_broadcast", "cosineSimilarity",
                            lambda a, b: F.cosine_similarity(a, b, dim=1), {"dim": 1},
                            [(a, True), (torch.randn(1, 5, dtype=d), True)]))
    y = torch.tensor([1, -1, 1, -1], dtype=d)
    for red in ["mean", "sum", "none"]:
        cases.append(functional(f"cosine_embedding_{red}", "cosineEmbeddingLoss",
                                lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2, reduction=red),
                                {"margin": 0.2, "reduction": red}, [(a, True), (b, True), (y, False)]))
        r1, r2 = torch.randn(6, dtype=d), torch.randn(6, dtype=d)
        ry = torch.tensor([1, -1, 1, 1, -1, -1], dtype=d)
        cases.append(functional(f"margin_ranking_{red}", "marginRankingLoss",
                                lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=red),
                                {"margin": 0.3, "reduction": red}, [(r1, True), (r2, True), (ry, False)]))
    anc, pos, neg = (torch.randn(4, 5, dtype=d) for _ in range(3))
    for red, p, swap, margin in [("mean", 2, False, 1.0), ("sum", 1, True, 2.0), ("none", 3, True, 3.0),
                                 ("mean", 2, True, 0.5)]:
        cases.append(functional(f"triplet_{red}_p{p}_swap{swap}", "tripletMarginLoss",
                                lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=margin, p=p, swap=swap,
                                                                      reduction=red),
                                {"margin": margin, "p": p, "swap": swap, "reduction": red, "eps": 1e-6},
                                [(anc, True), (pos, True), (neg, True)]))
    return cases


def module_case(name, module, kind, args, call, inputs):
    module.eval()
    state = module.state_dict()
    inputs = [x.clone().requires_grad_(x.dtype.is_floating_point and grad) for x, grad in inputs]
    if kind == "MultiheadAttention":
        q, k, v = inputs[:3]
        outs = module(q, k, v, key_padding_mask=call.get("kpm"), need_weights=call["need_weights"],
                      attn_mask=call.get("mask"), average_attn_weights=call["average"])
        outs = [o for o in outs if o is not None]
    else:
        outs = [module(inputs[0], src_mask=call.get("mask"), src_key_padding_mask=call.get("kpm"))]
    ups = [torch.randn_like(o) for o in outs]
    sum((o * u).sum() for o, u in zip(outs, ups)).backward()
    jcall = {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in call.items()}
    return {"name": name, "module": kind, "args": args, "call": jcall,
            "state": {k: enc(v) for k, v in state.items()}, "state_keys": list(state.keys()), "repr": repr(module),
            "inputs": [enc(x) for x in inputs], "outputs": [enc(o) for o in outs], "upstream": [enc(u) for u in ups],
            "input_grads": [enc(x.grad) if x.grad is not None else None for x in inputs],
            "param_grads": {n: enc(p.grad) for n, p in module.named_parameters()}}


def module_cases():
    torch.manual_seed(1)
    cases = []
    E, H, L, S, N = 8, 2, 3, 4, 2
    for batch_first in [False, True]:
        for variant in ["plain", "bool_masks", "float_masks", "no_weights", "heads_weights", "no_bias"]:
            bias = variant != "no_bias"
            m = nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first)
            shape = (lambda T: (N, T, E)) if batch_first else (lambda T: (T, N, E))
            q, k, v = torch.randn(*shape(L)), torch.randn(*shape(S)), torch.randn(*shape(S))
            call = {"need_weights": variant != "no_weights", "average": variant != "heads_weights"}
            if variant in ("bool_masks", "no_weights"):
                call["kpm"] = torch.tensor([[False, False, True, False], [False, False, False, True]])
                call["mask"] = torch.tensor([[False, True, False, False], [False, False, False, True],
                                             [True, False, False, False]])
            if variant == "float_masks":
                call["kpm"] = torch.randn(N, S)
                call["mask"] = torch.randn(N * H, L, S)
            cases.append(module_case(f"mha_{variant}_bf{batch_first}", m, "MultiheadAttention",
                                     {"embed_dim": E, "num_heads": H, "bias": bias, "batch_first": batch_first},
                                     call, [(q, True), (k, True), (v, True)]))
    for batch_first, norm_first, act, masks in [(False, False, "relu", False), (True, False, "gelu", True),
                                                (False, True, "gelu", True), (True, True, "relu", False)]:
        m = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.1, activation=act, layer_norm_eps=1e-6,
                                       batch_first=batch_first, norm_first=norm_first)
        x = torch.randn(N, S, E) if batch_first else torch.randn(S, N, E)
        call = {}
        if masks:
            call["kpm"] = torch.tensor([[False, False, True, False], [False, False, False, False]])
            call["mask"] = torch.triu(torch.full((S, S), float("-inf")), diagonal=1)
        cases.append(module_case(f"encoder_bf{batch_first}_nf{norm_first}_{act}", m, "TransformerEncoderLayer",
                                 {"d_model": E, "nhead": H, "dim_feedforward": 16, "activation": act,
                                  "layer_norm_eps": 1e-6, "batch_first": batch_first, "norm_first": norm_first},
                                 call, [(x, True)]))
    return cases


def reprs():
    return {
        "hardtanh": repr(nn.Hardtanh()), "hardtanh_args": repr(nn.Hardtanh(-2.0, 0.5)),
        "cosine_embedding": repr(nn.CosineEmbeddingLoss(margin=0.5)),
        "margin_ranking": repr(nn.MarginRankingLoss()), "triplet": repr(nn.TripletMarginLoss()),
        "encoder_default": repr(nn.TransformerEncoderLayer(8, 2)),
        "encoder_default_keys": list(nn.TransformerEncoderLayer(8, 2).state_dict().keys()),
    }


def hardtanh_case():
    torch.manual_seed(2)
    x = (torch.randn(3, 5) * 2).requires_grad_()
    out = nn.Hardtanh(-0.5, 1.5)(x)
    out.sum().backward()
    return {"input": enc(x), "output": enc(out), "grad": enc(x.grad)}


if __name__ == "__main__":
    path = pathlib.Path(__file__).with_name("nnextra.json")
    doc = {"functional": functional_cases(), "modules": module_cases(), "reprs": reprs(),
           "hardtanh": hardtanh_case()}
    path.write_text(json.dumps(doc, separators=(",", ":")))
    print(path, path.stat().st_size)
