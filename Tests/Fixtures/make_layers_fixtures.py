#!/usr/bin/env python3
"""Writes Tests/Fixtures/layers.json: PyTorch reference results for Ember's normalisation,
embedding and recurrent layers (NormalizationTests, EmbeddingTests, RecurrentTests).

Run with PyTorch installed (`python3 Tests/Fixtures/make_layers_fixtures.py`); the output is
committed, so CI does not need PyTorch. Every case is deterministic (fixed seeds).

"modules": one case per layer configuration:
  {"name", "module" (Ember class name), "args" (constructor arguments under Ember's labels),
   "dtype", "repr" (PyTorch's repr), "state_keys" (state_dict order), "state" (the initial state
   dict, loaded into Ember's module), "steps", "final_state" (state dict after all steps)}.
  Each step: {"train": bool, "call": "plain" | "h" | "hc", "inputs": [x, h0?, c0?],
   "outputs": [...], "upstream": [...], "input_grads": [...], "param_grads": {name: grad}}.
  A step zeroes the gradients, runs the module (call "h": module(x, h0); "hc": module(x, (h0, c0));
  outputs flattened: RNN/GRU (output, h_n), LSTM (output, h_n, c_n), LSTMCell (h, c)), and calls
  backward of sum(output_i * upstream_i). input_grads[i] is inputs[i].grad (null for indices).

"functional": {"name", "function", "params", "inputs", "output", "upstream", "grads", "after"}:
  one call of a torch.nn.functional function; "after" holds the running statistics after a
  training-mode batch_norm call.

Tensors are {"shape", "dtype", "data"} with row-major data, as in ops.json.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
F32, F64, I64 = torch.float32, torch.float64, torch.int64
DTYPE_NAMES = {F32: "float32", F64: "float64", I64: "int64"}


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == F32:
        data = [float(str(np.float32(v))) for v in t.reshape(-1).tolist()]
    elif t.dtype == F64:
        data = [float(v) for v in t.reshape(-1).tolist()]
    else:
        data = [int(v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype], "data": data}


def enc_state(module):
    return {k: enc(v) for k, v in module.state_dict().items()}


# ----------------------------------------------------------------------------- modules

def build(kind, args, dtype):
    """The PyTorch module for an Ember class name and Ember-labelled arguments."""
    a = dict(args)
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        m = getattr(nn, kind)(a.pop("numFeatures"), eps=a.pop("eps", 1e-5), momentum=a.pop("momentum", 0.1),
                              affine=a.pop("affine", True), track_running_stats=a.pop("trackRunningStats", True),
                              bias=a.pop("bias", True))
    elif kind == "LayerNorm":
        m = nn.LayerNorm(a.pop("normalizedShape"), eps=a.pop("eps", 1e-5),
                         elementwise_affine=a.pop("elementwiseAffine", True), bias=a.pop("bias", True))
    elif kind == "GroupNorm":
        m = nn.GroupNorm(a.pop("numGroups"), a.pop("numChannels"), eps=a.pop("eps", 1e-5),
                         affine=a.pop("affine", True), bias=a.pop("bias", True))
    elif kind == "Embedding":
        m = nn.Embedding(a.pop("numEmbeddings"), a.pop("embeddingDim"), padding_idx=a.pop("paddingIdx", None))
    elif kind in ("RNN", "LSTM", "GRU"):
        kw = {"num_layers": a.pop("numLayers", 1), "bias": a.pop("bias", True),
              "batch_first": a.pop("batchFirst", False), "dropout": a.pop("dropout", 0.0),
              "bidirectional": a.pop("bidirectional", False)}
        if kind == "RNN":
            kw["nonlinearity"] = a.pop("nonlinearity", "tanh")
        m = getattr(nn, kind)(a.pop("inputSize"), a.pop("hiddenSize"), **kw)
    elif kind in ("RNNCell", "LSTMCell", "GRUCell"):
        kw = {"bias": a.pop("bias", True)}
        if kind == "RNNCell":
            kw["nonlinearity"] = a.pop("nonlinearity", "tanh")
        m = getattr(nn, kind)(a.pop("inputSize"), a.pop("hiddenSize"), **kw)
    else:
        raise ValueError(kind)
    assert not a, f"unused args {a}"
    return m.to(dtype)


def flatten_outputs(result):
    if isinstance(result, torch.Tensor):
        return [result]
    out = []
    for r in result:
        out.extend(flatten_outputs(r))
    return out


MODULES = []


def module_case(name, kind, args, steps, dtype=F32, randomize_affine=True):
    """steps: list of (train, call, inputs) with inputs as tensors (floats get requires_grad)."""
    torch.manual_seed(len(MODULES) + 1)
    m = build(kind, args, dtype)
    if randomize_affine and kind in ("BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"):
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p is getattr(m, "weight", None) else 0.0))
    case = {"name": name, "module": kind, "args": args, "dtype": DTYPE_NAMES[dtype], "repr": repr(m),
            "state_keys": list(m.state_dict().keys()), "state": enc_state(m), "steps": []}
    for train, call, inputs in steps:
        m.train(train)
        m.zero_grad()
        leaves = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
        if call == "plain":
            result = m(leaves[0])
        elif call == "h":
            result = m(leaves[0], leaves[1])
        else:
            result = m(leaves[0], (leaves[1], leaves[2]))
        outputs = flatten_outputs(result)
        upstream = [torch.randn_like(o) for o in outputs]
        sum((o * u).sum() for o, u in zip(outputs, upstream)).backward()
        case["steps"].append({
            "train": train, "call": call, "inputs": [enc(x) for x in leaves],
            "outputs": [enc(o) for o in outputs], "upstream": [enc(u) for u in upstream],
            "input_grads": [enc(x.grad) if x.grad is not None else None for x in leaves],
            "param_grads": {k: enc(p.grad) for k, p in m.named_parameters() if p.grad is not None},
        })
    case["final_state"] = enc_state(m)
    MODULES.append(case)


def rn(*shape, dtype=F32):
    return torch.randn(*shape, dtype=dtype)


torch.manual_seed(0)

# Batch norm: two training steps (running statistics, num_batches_tracked), then evaluation.
module_case("batchnorm1d_2d_input", "BatchNorm1d", {"numFeatures": 4},
            [(True, "plain", [rn(6, 4)]), (True, "plain", [rn(6, 4)]), (False, "plain", [rn(3, 4)])])
module_case("batchnorm1d_3d_input", "BatchNorm1d", {"numFeatures": 3},
            [(True, "plain", [rn(4, 3, 5)]), (True, "plain", [rn(4, 3, 5)]), (False, "plain", [rn(2, 3, 5)])])
module_case("batchnorm2d_train_eval", "BatchNorm2d", {"numFeatures": 3},
            [(True, "plain", [rn(2, 3, 4, 4)]), (True, "plain", [rn(2, 3, 4, 4) * 2 + 1]),
             (False, "plain", [rn(2, 3, 4, 4)])])
module_case("batchnorm2d_momentum_none", "BatchNorm2d", {"numFeatures": 2, "momentum": None},
            [(True, "plain", [rn(3, 2, 2, 3)]), (True, "plain", [rn(3, 2, 2, 3)]),
             (True, "plain", [rn(3, 2, 2, 3)]), (False, "plain", [rn(1, 2, 2, 3)])])
module_case("batchnorm2d_no_affine", "BatchNorm2d", {"numFeatures": 3, "affine": False},
            [(True, "plain", [rn(2, 3, 3, 3)]), (False, "plain", [rn(2, 3, 3, 3)])])
module_case("batchnorm2d_no_bias", "BatchNorm2d", {"numFeatures": 3, "bias": False},
            [(True, "plain", [rn(2, 3, 2, 2)]), (False, "plain", [rn(2, 3, 2, 2)])])
module_case("batchnorm1d_untracked", "BatchNorm1d", {"numFeatures": 3, "trackRunningStats": False},
            [(True, "plain", [rn(5, 3)]), (False, "plain", [rn(5, 3)])])
module_case("batchnorm2d_f64_momentum_eps", "BatchNorm2d", {"numFeatures": 2, "momentum": 0.3, "eps": 0.001},
            [(True, "plain", [rn(2, 2, 3, 3, dtype=F64)]), (True, "plain", [rn(2, 2, 3, 3, dtype=F64)]),
             (False, "plain", [rn(2, 2, 3, 3, dtype=F64)])], dtype=F64)

# Layer and group norm.
module_case("layernorm_last_dim", "LayerNorm", {"normalizedShape": [6]}, [(True, "plain", [rn(3, 4, 6)])])
module_case("layernorm_two_dims_f64", "LayerNorm", {"normalizedShape": [4, 6], "eps": 0.001},
            [(True, "plain", [rn(2, 4, 6, dtype=F64)])], dtype=F64)
module_case("layernorm_no_affine", "LayerNorm", {"normalizedShape": [5], "elementwiseAffine": False},
            [(True, "plain", [rn(4, 5)])])
module_case("layernorm_no_bias", "LayerNorm", {"normalizedShape": [5], "bias": False}, [(True, "plain", [rn(4, 5)])])
module_case("groupnorm_2_of_6", "GroupNorm", {"numGroups": 2, "numChannels": 6}, [(True, "plain", [rn(2, 6, 5)])])
module_case("groupnorm_3_of_6_no_affine_4d", "GroupNorm", {"numGroups": 3, "numChannels": 6, "affine": False},
            [(True, "plain", [rn(2, 6, 2, 3)])])
module_case("groupnorm_1_group_2d_f64", "GroupNorm", {"numGroups": 1, "numChannels": 4, "eps": 0.01},
            [(True, "plain", [rn(3, 4, dtype=F64)])], dtype=F64)

# Embedding.
idx = torch.tensor([[1, 3, 3, 9], [0, 2, 1, 0]])
module_case("embedding_plain", "Embedding", {"numEmbeddings": 10, "embeddingDim": 3}, [(True, "plain", [idx])])
module_case("embedding_padding_idx", "Embedding", {"numEmbeddings": 10, "embeddingDim": 3, "paddingIdx": 0},
            [(True, "plain", [idx])])
module_case("embedding_negative_padding_3d", "Embedding", {"numEmbeddings": 6, "embeddingDim": 2, "paddingIdx": -1},
            [(True, "plain", [torch.tensor([[[5, 1, 5], [0, 0, 2]], [[4, 5, 3], [1, 1, 1]]])])])

# Recurrent networks.
module_case("rnn_tanh_2layers", "RNN", {"inputSize": 3, "hiddenSize": 4, "numLayers": 2},
            [(True, "plain", [rn(5, 2, 3)])])
module_case("rnn_relu_bidirectional_batch_first_h0", "RNN",
            {"inputSize": 3, "hiddenSize": 4, "numLayers": 2, "nonlinearity": "relu", "batchFirst": True,
             "bidirectional": True},
            [(True, "h", [rn(2, 5, 3), rn(4, 2, 4)])])
module_case("rnn_unbatched_batch_first_h0_f64", "RNN",
            {"inputSize": 3, "hiddenSize": 4, "batchFirst": True},
            [(True, "h", [rn(6, 3, dtype=F64), rn(1, 4, dtype=F64)])], dtype=F64)
module_case("rnn_no_bias", "RNN", {"inputSize": 2, "hiddenSize": 3, "bias": False}, [(True, "plain", [rn(4, 2, 2)])])
module_case("lstm_2layers_batch_first", "LSTM", {"inputSize": 5, "hiddenSize": 7, "numLayers": 2, "batchFirst": True},
            [(True, "plain", [rn(3, 4, 5)])])
module_case("lstm_bidirectional_2layers_hc0_f64", "LSTM",
            {"inputSize": 3, "hiddenSize": 4, "numLayers": 2, "bidirectional": True},
            [(True, "hc", [rn(5, 2, 3, dtype=F64), rn(4, 2, 4, dtype=F64), rn(4, 2, 4, dtype=F64)])], dtype=F64)
module_case("lstm_unbatched_hc0", "LSTM", {"inputSize": 3, "hiddenSize": 4},
            [(True, "hc", [rn(5, 3), rn(1, 4), rn(1, 4)])])
module_case("lstm_unbatched_batch_first_bidirectional", "LSTM",
            {"inputSize": 3, "hiddenSize": 2, "batchFirst": True, "bidirectional": True},
            [(True, "plain", [rn(4, 3)])])
module_case("lstm_dropout_eval_no_bias", "LSTM",
            {"inputSize": 3, "hiddenSize": 4, "numLayers": 2, "dropout": 0.5, "bias": False},
            [(False, "plain", [rn(3, 2, 3)])])
module_case("gru_bidirectional_2layers_batch_first_h0", "GRU",
            {"inputSize": 3, "hiddenSize": 4, "numLayers": 2, "batchFirst": True, "bidirectional": True},
            [(True, "h", [rn(2, 5, 3), rn(4, 2, 4)])])
module_case("gru_no_bias_f64", "GRU", {"inputSize": 3, "hiddenSize": 4, "bias": False},
            [(True, "plain", [rn(4, 3, 3, dtype=F64)])], dtype=F64)
module_case("gru_unbatched_h0", "GRU", {"inputSize": 3, "hiddenSize": 4, "numLayers": 2},
            [(True, "h", [rn(5, 3), rn(2, 4)])])
module_case("rnncell_relu_hx", "RNNCell", {"inputSize": 3, "hiddenSize": 4, "nonlinearity": "relu"},
            [(True, "h", [rn(2, 3), rn(2, 4)])])
module_case("lstmcell_hc", "LSTMCell", {"inputSize": 3, "hiddenSize": 4}, [(True, "hc", [rn(2, 3), rn(2, 4), rn(2, 4)])])
module_case("lstmcell_unbatched_no_bias", "LSTMCell", {"inputSize": 3, "hiddenSize": 4, "bias": False},
            [(True, "plain", [rn(3)])])
module_case("grucell_f64", "GRUCell", {"inputSize": 3, "hiddenSize": 4}, [(True, "plain", [rn(2, 3, dtype=F64)])],
            dtype=F64)
# Large enough that Ember cuts the batch into one band per core (odd sizes: uneven bands, vector tails).
module_case("lstm_batch_bands", "LSTM", {"inputSize": 3, "hiddenSize": 9}, [(True, "plain", [rn(8, 15, 3)])])
module_case("gru_batch_bands_bidirectional_h0", "GRU", {"inputSize": 3, "hiddenSize": 9, "bidirectional": True},
            [(True, "h", [rn(8, 17, 3), rn(2, 17, 9)])])
module_case("rnn_batch_bands_batch_first", "RNN", {"inputSize": 3, "hiddenSize": 15, "batchFirst": True},
            [(True, "plain", [rn(15, 10, 3)])])
module_case("rnn_relu_batch_bands_f64", "RNN", {"inputSize": 3, "hiddenSize": 15, "nonlinearity": "relu"},
            [(True, "plain", [rn(10, 15, 3, dtype=F64)])], dtype=F64)


# ----------------------------------------------------------------------------- functional

FUNCTIONAL = []


def functional_case(name, function, params, inputs, call):
    """inputs: list of tensors or None; floats get requires_grad unless params["constant"] lists them."""
    constant = params.get("constant", [])
    leaves = [None if x is None else x.detach().clone().requires_grad_(x.is_floating_point() and i not in constant)
              for i, x in enumerate(inputs)]
    encoded_inputs = [None if x is None else enc(x) for x in leaves]
    out = call(leaves, params)
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    FUNCTIONAL.append({
        "name": name, "function": function, "params": params, "inputs": encoded_inputs,
        "output": enc(out), "upstream": enc(upstream),
        "grads": [None if x is None or x.grad is None else enc(x.grad) for x in leaves],
        "after": [None if x is None else enc(x) for x in leaves],
    })


def batch_norm(xs, p):
    return F.batch_norm(xs[0], xs[1], xs[2], xs[3], xs[4], training=p["training"], momentum=p.get("momentum", 0.1),
                        eps=p.get("eps", 1e-5))


# inputs: x, running_mean, running_var, weight, bias (running statistics are constants)
functional_case("batch_norm_eval_bias_only", "batch_norm", {"training": False, "constant": [1, 2]},
                [rn(4, 3, 2), rn(3) * 0.1, torch.rand(3) + 0.5, None, rn(3)], batch_norm)
functional_case("batch_norm_train_no_running_stats", "batch_norm", {"training": True},
                [rn(5, 3), None, None, rn(3), rn(3)], batch_norm)
functional_case("batch_norm_train_updates_running_stats_f64", "batch_norm",
                {"training": True, "momentum": 0.2, "eps": 0.01, "constant": [1, 2]},
                [rn(3, 2, 4, dtype=F64), rn(2, dtype=F64), torch.rand(2, dtype=F64) + 0.5, rn(2, dtype=F64), None],
                batch_norm)
functional_case("layer_norm_no_affine", "layer_norm", {"normalized_shape": [2, 3]}, [rn(4, 2, 3)],
                lambda xs, p: F.layer_norm(xs[0], p["normalized_shape"]))
functional_case("group_norm_weight_only", "group_norm", {"num_groups": 2},
                [rn(3, 4, 2), rn(4), None], lambda xs, p: F.group_norm(xs[0], p["num_groups"], xs[1], xs[2]))
functional_case("embedding_padding_idx", "embedding", {"padding_idx": 2},
                [torch.tensor([[2, 0], [1, 2], [0, 0]]), rn(4, 3)],
                lambda xs, p: F.embedding(xs[0], xs[1], padding_idx=p["padding_idx"]))


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
    with open(path, "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_layers_fixtures.py", "torch": torch.__version__.split("+")[0],
                   "modules": MODULES, "functional": FUNCTIONAL}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(MODULES)} module and {len(FUNCTIONAL)} functional cases to {path} "
          f"({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
