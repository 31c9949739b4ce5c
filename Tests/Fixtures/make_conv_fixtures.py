#!/usr/bin/env python3
"""Writes Tests/Fixtures/conv.json: PyTorch reference results for Ember's convolutions and pooling.

Run with PyTorch installed (`python3 Tests/Fixtures/make_conv_fixtures.py`); the output is committed,
so CI does not need PyTorch. Every case is deterministic (fixed seeds).

The file holds:
  "cases": [{"name", "op", "params", "inputs", "upstream", "output", "grads"}], the same format as
    ops.json (see make_fixtures.py): output = op(inputs, params), then output.backward(upstream) and
    grads[i] = inputs[i].grad. Ops:
      conv1d, conv2d, conv_transpose1d, conv_transpose2d: inputs [x, weight, bias?]; params are the
        keyword arguments of F.<op> (ints, lists, or a padding string).
      Conv1d, Conv2d, ConvTranspose2d: a module built from params (its constructor's keyword
        arguments), whose weight and bias are inputs[1] and inputs[2]; inputs[0] is x.
      max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
      adaptive_max_pool1d, adaptive_max_pool2d: inputs [x]; params are F.<op>'s keyword arguments.
      max_pool2d_indices, adaptive_max_pool2d_indices: the indices returned with return_indices=True.
    params["transpose_input"] = true: x is used as x.transpose(-2, -1) (a non-contiguous view); the
      leaf is stored with its last two dimensions swapped.
  "reprs": {name: repr(module)} for the modules built in ConvolutionTests / PoolingTests.
  "cnn": the seed's CNN Sequential(Conv2d(1, 6, 5, padding=2), ReLU(), MaxPool2d(2), Flatten(),
    Linear(6 * 14 * 14, 10)): its state_dict, a fixed input, the output, and after
    output.backward(upstream) the gradients of the input and of the conv layer's parameters.
"""

import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


def enc_number(v, dtype):
    if dtype in (torch.float32, torch.float64):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return float(str(np.float32(v))) if dtype == torch.float32 else float(v)
    return int(v)


def enc_tensor(t, requires_grad=None):
    t = t.detach().contiguous()
    d = {"shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype],
         "data": [enc_number(v, t.dtype) for v in t.reshape(-1).tolist()]}
    if requires_grad is not None:
        d["requires_grad"] = requires_grad
    return d


FUNCTIONAL = {
    "conv1d": F.conv1d, "conv2d": F.conv2d, "conv_transpose1d": F.conv_transpose1d,
    "conv_transpose2d": F.conv_transpose2d, "max_pool1d": F.max_pool1d, "max_pool2d": F.max_pool2d,
    "avg_pool1d": F.avg_pool1d, "avg_pool2d": F.avg_pool2d, "adaptive_avg_pool1d": F.adaptive_avg_pool1d,
    "adaptive_avg_pool2d": F.adaptive_avg_pool2d, "adaptive_max_pool1d": F.adaptive_max_pool1d,
    "adaptive_max_pool2d": F.adaptive_max_pool2d,
}
CASES = []
NAMES = set()


def run(op, xs, params):
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items() if k != "transpose_input"}
    x = xs[0].transpose(-2, -1) if params.get("transpose_input") else xs[0]
    if op in ("Conv1d", "Conv2d", "ConvTranspose2d"):
        m = getattr(nn, op)(**kw).to(xs[1].dtype)
        with torch.no_grad():
            m.weight.copy_(xs[1])
            if m.bias is not None:
                m.bias.copy_(xs[2])
        out = m(x)
        return out, lambda: [m.weight.grad] + ([m.bias.grad] if m.bias is not None else [])
    if op.endswith("_indices"):
        return FUNCTIONAL[op[:-len("_indices")]](x, return_indices=True, **kw)[1], None
    return FUNCTIONAL[op](x, *xs[1:2], **({"bias": xs[2]} if len(xs) > 2 else {}), **kw), None


def add(name, op, shapes, params=None, dtype=torch.float32, bias=True, values=None):
    """shapes: [x] or [x, weight] (+ bias of the layer's size when `bias`); values: x's data."""
    assert name not in NAMES, name
    NAMES.add(name)
    params = params or {}
    g = torch.Generator().manual_seed(len(CASES) + 1)
    # Inputs rounded to two decimals keep the file small.
    xs = [torch.randn(s, generator=g, dtype=dtype).round(decimals=2) for s in shapes]
    if values is not None:
        xs[0] = torch.tensor(values, dtype=dtype).reshape(shapes[0])
    if bias:
        transposed = "transpose" in op.lower()
        groups = params.get("groups", 1)
        size = shapes[1][1] * groups if transposed else shapes[1][0]
        xs.append(torch.randn(size, generator=g, dtype=dtype).round(decimals=2))
    leaves = [x.clone().requires_grad_() for x in xs]
    out, module_grads = run(op, leaves, params)
    upstream, grads = None, [None] * len(leaves)
    if out.requires_grad:
        upstream = torch.randn(out.shape, generator=g, dtype=torch.float64).round(decimals=2).to(out.dtype)
        out.backward(upstream)
        grads = [leaves[0].grad] + (module_grads() if module_grads else [t.grad for t in leaves[1:]])
    CASES.append({
        "name": name, "op": op, "params": params,
        "inputs": [enc_tensor(t, requires_grad=not op.endswith("_indices")) for t in xs],
        "upstream": enc_tensor(upstream) if upstream is not None else None,
        "output": enc_tensor(out),
        "grads": [enc_tensor(t) if t is not None else None for t in grads],
    })


# ----------------------------------------------------------------------------- convolutions

add("conv2d_basic", "conv2d", [[2, 3, 6, 6], [4, 3, 3, 3]])
add("conv2d_stride2_pad1", "conv2d", [[2, 4, 7, 7], [3, 4, 3, 3]], {"stride": 2, "padding": 1})
add("conv2d_dilation2_groups2", "conv2d", [[2, 4, 5, 5], [4, 2, 3, 3]],
    {"padding": 2, "dilation": 2, "groups": 2}, bias=False)
add("conv2d_mixed_pairs", "conv2d", [[2, 3, 7, 8], [4, 3, 3, 2]],
    {"stride": [2, 1], "padding": [1, 0], "dilation": [1, 2]})
add("conv2d_stride3_pad2", "conv2d", [[1, 2, 8, 7], [3, 2, 2, 3]], {"stride": 3, "padding": 2})
add("conv2d_same_odd", "conv2d", [[2, 3, 5, 6], [4, 3, 3, 3]], {"padding": "same"})
add("conv2d_same_even_dilated", "conv2d", [[2, 2, 6, 5], [3, 2, 4, 2]], {"padding": "same", "dilation": [1, 3]})
add("conv2d_valid", "conv2d", [[2, 3, 5, 5], [2, 3, 3, 3]], {"padding": "valid"})
add("conv2d_depthwise", "conv2d", [[2, 3, 4, 4], [6, 1, 3, 3]], {"groups": 3, "padding": 1})
add("conv2d_groups3", "conv2d", [[2, 6, 5, 4], [9, 2, 2, 2]], {"groups": 3, "stride": [1, 2]})
add("conv2d_pointwise", "conv2d", [[2, 3, 4, 5], [4, 3, 1, 1]])
add("conv2d_pointwise_groups", "conv2d", [[3, 4, 3, 3], [6, 2, 1, 1]], {"groups": 2})
add("conv2d_pointwise_stride2", "conv2d", [[2, 3, 5, 5], [4, 3, 1, 1]], {"stride": 2})
add("conv2d_batch1", "conv2d", [[1, 3, 6, 6], [4, 3, 3, 3]], {"padding": 1})
add("conv2d_unbatched", "conv2d", [[3, 6, 6], [4, 3, 3, 3]], {"padding": 1})
add("conv2d_kernel_fills_input", "conv2d", [[2, 2, 3, 4], [3, 2, 3, 4]])
add("conv2d_noncontiguous_input", "conv2d", [[2, 3, 5, 6], [4, 3, 3, 3]], {"padding": 1, "transpose_input": True})
add("conv2d_float64", "conv2d", [[2, 3, 5, 5], [4, 3, 3, 3]], {"stride": 2, "padding": 1}, dtype=torch.float64)
add("conv1d_pad1", "conv1d", [[2, 3, 10], [5, 3, 3]], {"padding": 1})
add("conv1d_stride2_dilation2", "conv1d", [[2, 4, 11], [6, 2, 3]], {"stride": 2, "dilation": 2, "groups": 2})
add("conv1d_same_even", "conv1d", [[2, 3, 7], [4, 3, 4]], {"padding": "same"}, bias=False)
add("conv1d_list_args", "conv1d", [[2, 2, 9], [3, 2, 3]], {"stride": [2], "padding": [2]})
add("conv1d_unbatched", "conv1d", [[3, 8], [4, 3, 3]], {"padding": 1})
add("conv1d_float64", "conv1d", [[2, 3, 8], [2, 3, 3]], {"stride": 2}, dtype=torch.float64)
add("conv_transpose2d_basic", "conv_transpose2d", [[2, 4, 4, 4], [4, 3, 3, 3]])
add("conv_transpose2d_stride2_outpad", "conv_transpose2d", [[2, 3, 3, 3], [3, 2, 3, 3]],
    {"stride": 2, "padding": 1, "output_padding": 1})
add("conv_transpose2d_groups_dilation", "conv_transpose2d", [[2, 4, 4, 3], [4, 2, 3, 2]],
    {"groups": 2, "dilation": 2, "padding": 1}, bias=False)
add("conv_transpose2d_outpad_below_dilation", "conv_transpose2d", [[1, 2, 3, 3], [2, 2, 2, 2]],
    {"output_padding": 1, "dilation": 3})
add("conv_transpose2d_mixed_pairs", "conv_transpose2d", [[2, 3, 3, 4], [3, 2, 3, 2]],
    {"stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2]})
add("conv_transpose2d_unbatched", "conv_transpose2d", [[4, 3, 3], [4, 2, 3, 3]], {"stride": 2})
add("conv_transpose1d_stride2_outpad", "conv_transpose1d", [[2, 3, 5], [3, 2, 3]],
    {"stride": 2, "padding": 1, "output_padding": 1})
add("conv_transpose2d_float64", "conv_transpose2d", [[2, 2, 3, 3], [2, 3, 2, 2]], {"stride": 2},
    dtype=torch.float64)


def module(name, cls, x_shape, dtype=torch.float32, **kwargs):
    """A module case; the weight and bias come from a seeded module of the same shape."""
    torch.manual_seed(len(CASES) + 100)
    m = getattr(nn, cls)(**kwargs)
    shapes = [x_shape, list(m.weight.shape)]
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    add(name, cls, shapes, params, dtype=dtype, bias=m.bias is not None)


module("Conv2d_default", "Conv2d", [2, 3, 6, 6], in_channels=3, out_channels=4, kernel_size=3)
module("Conv2d_reflect", "Conv2d", [2, 3, 6, 5], in_channels=3, out_channels=4, kernel_size=3, padding=1,
       padding_mode="reflect")
module("Conv2d_reflect_same_even", "Conv2d", [2, 2, 6, 6], in_channels=2, out_channels=2, kernel_size=[4, 3],
       padding="same", padding_mode="reflect", bias=False)
module("Conv2d_replicate_stride", "Conv2d", [2, 2, 7, 7], in_channels=2, out_channels=4, kernel_size=3,
       stride=2, padding=[2, 1], padding_mode="replicate", groups=2)
module("Conv2d_circular", "Conv2d", [1, 2, 5, 5], in_channels=2, out_channels=3, kernel_size=3, padding=2,
       dilation=2, padding_mode="circular")
module("Conv2d_reflect_unbatched", "Conv2d", [2, 5, 5], in_channels=2, out_channels=3, kernel_size=3,
       padding=1, padding_mode="reflect")
module("Conv1d_reflect", "Conv1d", [2, 3, 8], in_channels=3, out_channels=2, kernel_size=3, padding=2,
       padding_mode="reflect")
module("Conv1d_same", "Conv1d", [2, 3, 8], in_channels=3, out_channels=2, kernel_size=4, padding="same")
module("ConvTranspose2d_module", "ConvTranspose2d", [2, 4, 3, 3], in_channels=4, out_channels=4, kernel_size=3,
       stride=2, padding=1, output_padding=1, groups=2)

# ----------------------------------------------------------------------------- pooling

TIES = [float(v % 3) for v in range(2 * 3 * 6 * 6)]
add("max_pool2d_k2", "max_pool2d", [[2, 3, 6, 6]], {"kernel_size": 2}, bias=False)
add("max_pool2d_k3_s2_p1", "max_pool2d", [[2, 3, 7, 7]], {"kernel_size": 3, "stride": 2, "padding": 1}, bias=False)
add("max_pool2d_ceil", "max_pool2d", [[2, 2, 8, 7]], {"kernel_size": 3, "stride": 2, "ceil_mode": True}, bias=False)
add("max_pool2d_ceil_pad", "max_pool2d", [[1, 2, 6, 6]],
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, bias=False)
add("max_pool2d_dilation", "max_pool2d", [[2, 2, 9, 8]], {"kernel_size": 3, "stride": 1, "dilation": 2}, bias=False)
add("max_pool2d_rect", "max_pool2d", [[2, 2, 6, 9]], {"kernel_size": [2, 3], "stride": [1, 2], "padding": [1, 0]},
    bias=False)
add("max_pool2d_ties", "max_pool2d", [[2, 3, 6, 6]], {"kernel_size": 3, "stride": 2, "padding": 1}, bias=False,
    values=TIES)
add("max_pool2d_nan", "max_pool2d", [[1, 1, 4, 4]], {"kernel_size": 2}, bias=False,
    values=[1, float("nan"), 2, 3, float("nan"), 0, 5, 4, -1, -2, 7, float("nan"), -3, -4, 8, 9])
add("max_pool2d_unbatched", "max_pool2d", [[3, 5, 5]], {"kernel_size": 2, "stride": 1}, bias=False)
add("max_pool2d_float64", "max_pool2d", [[2, 2, 5, 5]], {"kernel_size": 2, "ceil_mode": True},
    dtype=torch.float64, bias=False)
add("max_pool2d_indices_ties", "max_pool2d_indices", [[2, 3, 6, 6]], {"kernel_size": 2}, bias=False, values=TIES)
add("max_pool2d_indices_nan", "max_pool2d_indices", [[1, 1, 4, 4]], {"kernel_size": 2}, bias=False,
    values=[1, float("nan"), 2, 3, float("nan"), float("nan"), 5, 4, -1, -2, 7, float("nan"), -3, -4, 8, 9])
add("max_pool2d_odd_size", "max_pool2d", [[2, 2, 7, 5]], {"kernel_size": 2}, bias=False)
add("max_pool1d_k3_s2_p1_ceil", "max_pool1d", [[2, 3, 10]], {"kernel_size": 3, "stride": 2, "padding": 1,
                                                              "ceil_mode": True}, bias=False)
add("max_pool1d_dilation", "max_pool1d", [[2, 2, 11]], {"kernel_size": 2, "dilation": 3}, bias=False)
add("max_pool1d_unbatched", "max_pool1d", [[3, 9]], {"kernel_size": 2}, bias=False)
add("avg_pool2d_k2", "avg_pool2d", [[2, 3, 6, 6]], {"kernel_size": 2}, bias=False)
add("avg_pool2d_k3_s2_p1", "avg_pool2d", [[2, 2, 7, 7]], {"kernel_size": 3, "stride": 2, "padding": 1}, bias=False)
add("avg_pool2d_exclude_pad", "avg_pool2d", [[2, 2, 7, 7]],
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, bias=False)
add("avg_pool2d_ceil_pad", "avg_pool2d", [[1, 2, 6, 7]],
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, bias=False)
add("avg_pool2d_ceil_exclude_pad", "avg_pool2d", [[1, 2, 6, 7]],
    {"kernel_size": [3, 2], "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, bias=False)
add("avg_pool2d_divisor_override", "avg_pool2d", [[2, 2, 5, 5]], {"kernel_size": 2, "divisor_override": 3}, bias=False)
add("avg_pool2d_unbatched", "avg_pool2d", [[3, 6, 5]], {"kernel_size": [2, 3], "stride": 1}, bias=False)
add("avg_pool2d_float64", "avg_pool2d", [[2, 2, 5, 5]], {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    dtype=torch.float64, bias=False)
add("avg_pool1d_k3_s2_p1_ceil", "avg_pool1d", [[2, 3, 10]],
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, bias=False)
add("avg_pool1d_unbatched", "avg_pool1d", [[2, 9]], {"kernel_size": 4, "stride": 2, "padding": 2}, bias=False)
add("adaptive_avg_pool2d_1x1", "adaptive_avg_pool2d", [[2, 3, 5, 5]], {"output_size": [1, 1]}, bias=False)
add("adaptive_avg_pool2d_nondivisible", "adaptive_avg_pool2d", [[2, 2, 7, 5]], {"output_size": [3, 2]}, bias=False)
add("adaptive_avg_pool2d_upsample", "adaptive_avg_pool2d", [[1, 2, 3, 4]], {"output_size": 5}, bias=False)
add("adaptive_avg_pool2d_unbatched", "adaptive_avg_pool2d", [[3, 6, 7]], {"output_size": [4, 3]}, bias=False)
add("adaptive_avg_pool2d_float64", "adaptive_avg_pool2d", [[2, 2, 5, 7]], {"output_size": [2, 3]},
    dtype=torch.float64, bias=False)
add("adaptive_avg_pool1d_nondivisible", "adaptive_avg_pool1d", [[2, 3, 7]], {"output_size": 3}, bias=False)
add("adaptive_max_pool2d_nondivisible", "adaptive_max_pool2d", [[2, 2, 7, 5]], {"output_size": [3, 2]}, bias=False)
add("adaptive_max_pool2d_ties", "adaptive_max_pool2d", [[2, 3, 6, 6]], {"output_size": [4, 4]}, bias=False,
    values=TIES)
add("adaptive_max_pool2d_unbatched", "adaptive_max_pool2d", [[2, 5, 6]], {"output_size": 4}, bias=False)
add("adaptive_max_pool2d_indices", "adaptive_max_pool2d_indices", [[2, 2, 7, 5]], {"output_size": [3, 2]},
    bias=False)
add("adaptive_max_pool1d_nondivisible", "adaptive_max_pool1d", [[2, 3, 8]], {"output_size": 3}, bias=False)

# 3×3 stride-1 convolutions (and transposed convolutions, so input gradients) with at least 16
# channels on both sides and at least 32 tiles (2×2 output blocks over the batch) run as Winograd
# F(2×2, 3×3) (Sources/Ember/Backend/Winograd.swift): odd sizes leave partial tiles, 20 and 17
# output channels partial panels. The batches give every forward pass, input gradient and weight
# gradient 32 tiles or more. Added last, so the cases above keep their seeds.
add("conv2d_winograd_pad1", "conv2d", [[3, 16, 5, 7], [20, 16, 3, 3]], {"padding": 1})
add("conv2d_winograd_valid", "conv2d", [[8, 16, 6, 5], [16, 16, 3, 3]], bias=False)
add("conv2d_winograd_pad2", "conv2d", [[8, 16, 4, 3], [17, 16, 3, 3]], {"padding": 2})
add("conv2d_winograd_float64", "conv2d", [[6, 16, 5, 4], [16, 16, 3, 3]], {"padding": "same"}, dtype=torch.float64)
module("Conv2d_winograd", "Conv2d", [4, 16, 6, 6], in_channels=16, out_channels=16, kernel_size=3, padding=1)
add("conv_transpose2d_winograd", "conv_transpose2d", [[6, 16, 4, 5], [16, 18, 3, 3]], {"padding": 1})

# ----------------------------------------------------------------------------- reprs

REPRS = {
    "conv2d_1_32_3": nn.Conv2d(1, 32, 3),
    "conv2d_padding": nn.Conv2d(1, 6, 5, padding=2),
    "conv2d_stride_nobias": nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
    "conv2d_everything": nn.Conv2d(4, 6, (3, 5), padding="same", dilation=2, groups=2, padding_mode="reflect"),
    "conv2d_valid": nn.Conv2d(4, 6, 3, padding="valid"),
    "conv2d_rect": nn.Conv2d(2, 4, (1, 3), stride=(2, 1), padding=(0, 1)),
    "conv1d_padding": nn.Conv1d(3, 5, 3, padding=1),
    "conv1d_circular": nn.Conv1d(3, 5, 3, stride=2, padding_mode="circular"),
    "conv_transpose2d_outpad": nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
    "conv_transpose2d_groups": nn.ConvTranspose2d(4, 6, 3, groups=2, dilation=2, bias=False),
    "max_pool2d_2": nn.MaxPool2d(2),
    "max_pool2d_3_2_1": nn.MaxPool2d(3, 2, 1),
    "max_pool2d_rect_ceil": nn.MaxPool2d((2, 3), ceil_mode=True),
    "max_pool1d_3": nn.MaxPool1d(3),
    "avg_pool2d_2": nn.AvgPool2d(2),
    "avg_pool2d_full": nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool1d_3": nn.AvgPool1d(3),
    "adaptive_avg_pool2d_pair": nn.AdaptiveAvgPool2d((1, 1)),
    "adaptive_avg_pool2d_int": nn.AdaptiveAvgPool2d(3),
    "adaptive_avg_pool1d_4": nn.AdaptiveAvgPool1d(4),
    "adaptive_max_pool2d_pair": nn.AdaptiveMaxPool2d((2, 3)),
    "adaptive_max_pool1d_2": nn.AdaptiveMaxPool1d(2),
    "cnn": None,
}

# ----------------------------------------------------------------------------- the seed's CNN

torch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=2), nn.Flatten(),
                    nn.Linear(6 * 14 * 14, 10))
REPRS["cnn"] = cnn
with torch.no_grad():
    for p in cnn.parameters():
        p.copy_(p.round(decimals=3))  # short decimals keep the file small
cnn_x = torch.randn(2, 1, 28, 28).round(decimals=2).requires_grad_()
cnn_out = cnn(cnn_x)
cnn_up = torch.randn(cnn_out.shape).round(decimals=2)
cnn_out.backward(cnn_up)
CNN = {
    "state_dict": {k: enc_tensor(v) for k, v in cnn.state_dict().items()},
    "keys": list(cnn.state_dict().keys()),
    "input": enc_tensor(cnn_x),
    "output": enc_tensor(cnn_out),
    "upstream": enc_tensor(cnn_up),
    "input_grad": enc_tensor(cnn_x.grad),
    "conv_weight_grad": enc_tensor(cnn[0].weight.grad),
    "conv_bias_grad": enc_tensor(cnn[0].bias.grad),
    "linear_bias_grad": enc_tensor(cnn[4].bias.grad),
}

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv.json")
with open(out_path, "w") as f:
    json.dump({"generator": "Tests/Fixtures/make_conv_fixtures.py", "torch": torch.__version__.split("+")[0],
               "cases": CASES, "reprs": {k: repr(v) for k, v in REPRS.items()}, "cnn": CNN}, f,
              separators=(",", ":"))
print(f"wrote {len(CASES)} cases, {len(REPRS)} reprs to {out_path} ({os.path.getsize(out_path) // 1024} KB)")
