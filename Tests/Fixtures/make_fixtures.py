#!/usr/bin/env python3
"""Writes Tests/Fixtures/ops.json: PyTorch reference results for Ember's tensor ops and autograd.

Run from anywhere with PyTorch installed (`python3 Tests/Fixtures/make_fixtures.py`); the output is
committed, so CI does not need PyTorch. Every case is deterministic (fixed seeds).

Each case: {"name", "op", "params", "inputs", "upstream", "output", "grads"}.
  - inputs[i] = {"shape", "dtype", "data" (row-major), "requires_grad"}: the *leaf* tensors.
  - Generic pre-processing, applied to the leaves before the op, in PyTorch and in Swift alike:
      params["transpose"] = [i, ...]: input i is replaced by input_i.transpose(-2, -1) (a
        non-contiguous view); the leaf is stored with its last two dims swapped.
      params["step2"] = [i, ...]: input i is replaced by input_i[..., ::2] (a strided view along
        the last dim); the leaf is stored with twice the last dim.
  - output = op(inputs); if any input requires grad, output.backward(upstream) is called with a
    seeded randn upstream of the output's shape, and grads[i] is inputs[i].grad (null otherwise).
  - Non-finite floats are written as the strings "nan", "inf", "-inf".

The op keys and their parameters are documented in OPS below; the Swift table in
Tests/EmberTests/OpFixtureTests.swift mirrors it.
"""

import json
import math
import operator
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)

CASES = []
NAMES = set()


# ----------------------------------------------------------------------------- encoding

def enc_number(v, dtype):
    if isinstance(v, bool):
        return v
    if dtype in (torch.float32, torch.float64):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if dtype == torch.float32:
            # Shortest decimal that round-trips the float32 value (keeps the file small).
            return float(str(np.float32(v)))
        return float(v)
    return int(v)


DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def enc_tensor(t, requires_grad=None):
    t = t.detach().contiguous()
    d = {
        "shape": list(t.shape),
        "dtype": DTYPE_NAMES[t.dtype],
        "data": [enc_number(v, t.dtype) for v in t.reshape(-1).tolist()],
    }
    if requires_grad is not None:
        d["requires_grad"] = requires_grad
    return d


# ----------------------------------------------------------------------------- ops

def scalar_of(p):
    s = p["scalar"]
    return int(s) if p.get("scalar_type") == "int" else float(s)


def arith(fn):
    def f(xs, p):
        if "scalar" in p:
            s = scalar_of(p)
            return fn(s, xs[0]) if p.get("side") == "left" else fn(xs[0], s)
        return fn(xs[0], xs[1])
    return f


def slicer(x, p):
    idx = [slice(None)] * x.dim()
    idx[p["dim"]] = slice(p.get("start"), p.get("end"), p.get("step", 1))
    return x[tuple(idx)]


def reduce_dim_kw(p):
    kw = {}
    if "dim" in p:
        kw["dim"] = p["dim"]
    if "keepdim" in p:
        kw["keepdim"] = p["keepdim"]
    return kw


def var_like(fn):
    def f(xs, p):
        if "correction" in p:
            return fn(xs[0], dim=p["dim"], correction=p["correction"], keepdim=p.get("keepdim", False))
        c = 1 if p.get("unbiased", True) else 0
        if "dim" in p:
            return fn(xs[0], dim=p["dim"], correction=c, keepdim=p.get("keepdim", False))
        return fn(xs[0], correction=c)
    return f


def norm_op(xs, p):
    order = p.get("p", 2)
    order = math.inf if order == "inf" else order
    return torch.linalg.vector_norm(xs[0], ord=order, dim=p.get("dim"), keepdim=p.get("keepdim", False))


UNARY = ["neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
         "reciprocal", "erf", "relu", "sign", "floor", "ceil", "round", "trunc"]

OPS = {
    # binary arithmetic: 2 tensor inputs, or 1 input + params {"scalar", "scalar_type": "float"|"int",
    # "side": "right"|"left"}
    "add": arith(operator.add),
    "sub": arith(operator.sub),
    "mul": arith(operator.mul),
    "div": arith(operator.truediv),
    # pow: 2 inputs (tensor exponent) or params {"scalar", "scalar_type"} (x.pow(scalar))
    "pow": lambda xs, p: xs[0].pow(scalar_of(p)) if "scalar" in p else xs[0].pow(xs[1]),
    "maximum": lambda xs, p: torch.maximum(xs[0], xs[1]),
    "minimum": lambda xs, p: torch.minimum(xs[0], xs[1]),
    # comparisons: 2 inputs or params {"scalar"} (float scalar on the right)
    "eq": lambda xs, p: xs[0].eq(scalar_of(p) if "scalar" in p else xs[1]),
    "ne": lambda xs, p: xs[0].ne(scalar_of(p) if "scalar" in p else xs[1]),
    "lt": lambda xs, p: xs[0].lt(scalar_of(p) if "scalar" in p else xs[1]),
    "le": lambda xs, p: xs[0].le(scalar_of(p) if "scalar" in p else xs[1]),
    "gt": lambda xs, p: xs[0].gt(scalar_of(p) if "scalar" in p else xs[1]),
    "ge": lambda xs, p: xs[0].ge(scalar_of(p) if "scalar" in p else xs[1]),
    # clamp: params {"min"?, "max"?}
    "clamp": lambda xs, p: torch.clamp(xs[0], min=p.get("min"), max=p.get("max")),
    # reductions: params {"dim"?: int | [int], "keepdim"?: bool}
    "sum": lambda xs, p: xs[0].sum(**reduce_dim_kw(p)),
    "mean": lambda xs, p: xs[0].mean(**reduce_dim_kw(p)),
    "prod": lambda xs, p: xs[0].prod(**reduce_dim_kw(p)),
    "max_dim": lambda xs, p: torch.max(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)).values,
    "max_dim_indices": lambda xs, p: torch.max(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)).indices,
    "min_dim": lambda xs, p: torch.min(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)).values,
    "min_dim_indices": lambda xs, p: torch.min(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)).indices,
    "max_all": lambda xs, p: xs[0].max(),
    "min_all": lambda xs, p: xs[0].min(),
    "amax": lambda xs, p: torch.amax(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)),
    "amin": lambda xs, p: torch.amin(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)),
    "argmax": lambda xs, p: torch.argmax(xs[0], **reduce_dim_kw(p)),
    "argmin": lambda xs, p: torch.argmin(xs[0], **reduce_dim_kw(p)),
    # var/std: params {"dim"?: int, "unbiased"?: bool, "keepdim"?} or {"dim": [int], "correction": int}
    "var": var_like(torch.var),
    "std": var_like(torch.std),
    "logsumexp": lambda xs, p: torch.logsumexp(xs[0], dim=p["dim"], keepdim=p.get("keepdim", False)),
    # norm: params {"p": number | "inf", "dim"?: [int], "keepdim"?}
    "norm": norm_op,
    "all": lambda xs, p: xs[0].all(**reduce_dim_kw(p)),
    "any": lambda xs, p: xs[0].any(**reduce_dim_kw(p)),
    "softmax": lambda xs, p: torch.softmax(xs[0], dim=p["dim"]),
    "log_softmax": lambda xs, p: torch.log_softmax(xs[0], dim=p["dim"]),
    # views and shape ops
    "view": lambda xs, p: xs[0].view(p["shape"]),
    "reshape": lambda xs, p: xs[0].reshape(p["shape"]),
    "flatten": lambda xs, p: xs[0].flatten(p.get("start", 0), p.get("end", -1)),
    "squeeze": lambda xs, p: xs[0].squeeze(p["dim"]) if "dim" in p else xs[0].squeeze(),
    "unsqueeze": lambda xs, p: xs[0].unsqueeze(p["dim"]),
    "permute": lambda xs, p: xs[0].permute(p["dims"]),
    "transpose": lambda xs, p: xs[0].transpose(p["dim0"], p["dim1"]),
    "t": lambda xs, p: xs[0].t(),
    "expand": lambda xs, p: xs[0].expand(p["sizes"]),
    # slice: params {"dim", "start"?, "end"?, "step"?} = x[..., start:end:step, ...]
    "slice": lambda xs, p: slicer(xs[0], p),
    "select": lambda xs, p: xs[0].select(p["dim"], p["index"]),
    "narrow": lambda xs, p: xs[0].narrow(p["dim"], p["start"], p["length"]),
    "contiguous": lambda xs, p: xs[0].contiguous(),
    # cat/stack: all inputs, params {"dim"}
    "cat": lambda xs, p: torch.cat(xs, dim=p["dim"]),
    "stack": lambda xs, p: torch.stack(xs, dim=p["dim"]),
    # split: params {"size", "dim", "index"}: torch.split(x, size, dim)[index]
    "split": lambda xs, p: torch.split(xs[0], p["size"], dim=p["dim"])[p["index"]],
    # chunk: params {"chunks", "dim", "index"}: torch.chunk(x, chunks, dim)[index]
    "chunk": lambda xs, p: torch.chunk(xs[0], p["chunks"], dim=p["dim"])[p["index"]],
    # index_select/gather: inputs (x, index), params {"dim"}
    "index_select": lambda xs, p: torch.index_select(xs[0], p["dim"], xs[1]),
    "gather": lambda xs, p: torch.gather(xs[0], p["dim"], xs[1]),
    # scatter: inputs (self, index, src), params {"dim"} (out of place)
    "scatter": lambda xs, p: torch.scatter(xs[0], p["dim"], xs[1], xs[2]),
    # masked_fill: inputs (x, bool mask), params {"value"}
    "masked_fill": lambda xs, p: xs[0].masked_fill(xs[1], float(p["value"])),
    # where: inputs (bool cond, a, b)
    "where": lambda xs, p: torch.where(xs[0], xs[1], xs[2]),
    # one_hot: input int64 indices, params {"num_classes"}
    "one_hot": lambda xs, p: F.one_hot(xs[0], p["num_classes"]),
    # linear algebra
    "matmul": lambda xs, p: torch.matmul(xs[0], xs[1]),
    "mm": lambda xs, p: torch.mm(xs[0], xs[1]),
    "bmm": lambda xs, p: torch.bmm(xs[0], xs[1]),
    # addmm: inputs (input, mat1, mat2), params {"beta", "alpha"}
    "addmm": lambda xs, p: torch.addmm(xs[0], xs[1], xs[2], beta=p["beta"], alpha=p["alpha"]),
}
for _u in UNARY:
    OPS[_u] = (lambda name: lambda xs, p: getattr(torch, name)(xs[0]))(_u)


# ----------------------------------------------------------------------------- case building

_seed = [1000]


def next_seed():
    _seed[0] += 1
    return _seed[0]


def randn(shape, dtype=torch.float32, lo=None, hi=None, away=None):
    """Seeded values: normal by default, uniform in [lo, hi] if given; `away` pushes |x| >= away."""
    g = torch.Generator().manual_seed(next_seed())
    if lo is not None:
        t = torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo
    else:
        t = torch.randn(shape, generator=g, dtype=torch.float64)
    if away is not None:
        t = torch.where(t.abs() < away, torch.sign(t + 1e-12) * (away + t.abs()), t)
    return t.to(dtype)


def tensor(values, dtype=torch.float32, shape=None):
    t = torch.tensor(values, dtype=dtype)
    return t.reshape(shape) if shape is not None else t


def add_case(name, op, inputs, params=None, grad=None):
    """inputs: leaf tensors (float ones require grad unless grad=False or listed in grad)."""
    assert name not in NAMES, name
    NAMES.add(name)
    params = dict(params or {})
    leaves = []
    for i, t in enumerate(inputs):
        t = t.detach().clone()
        if isinstance(grad, (list, tuple)):
            rg = i in grad
        else:
            rg = t.is_floating_point() and grad is not False
        if rg:
            t.requires_grad_(True)
        leaves.append(t)
    xs = list(leaves)
    for i in params.get("transpose", []):
        xs[i] = xs[i].transpose(-2, -1)
    for i in params.get("step2", []):
        xs[i] = xs[i][..., ::2]
    out = OPS[op](xs, params)
    upstream = None
    grads = [None] * len(leaves)
    if out.requires_grad:
        g = torch.Generator().manual_seed(next_seed())
        upstream = torch.randn(out.shape, generator=g, dtype=torch.float64).to(out.dtype)
        out.backward(upstream)
        grads = [enc_tensor(l.grad) if l.grad is not None else None for l in leaves]
        # every leaf that requires grad must receive one (PyTorch leaves it None only if unused)
        for l, gr in zip(leaves, grads):
            if l.requires_grad and gr is None:
                raise AssertionError(f"{name}: leaf received no grad")
    CASES.append({
        "name": name,
        "op": op,
        "params": params,
        "inputs": [enc_tensor(l, l.requires_grad) for l in leaves],
        "upstream": enc_tensor(upstream) if upstream is not None else None,
        "output": enc_tensor(out),
        "grads": grads,
    })


F32, F64, I64, B = torch.float32, torch.float64, torch.int64, torch.bool
DT = {"f32": F32, "f64": F64}


def swap_last(shape):
    return shape[:-2] + [shape[-1], shape[-2]]


# ----------------------------------------------------------------------------- binary

for op in ["add", "sub", "mul", "div"]:
    for dn, dt in DT.items():
        pos = dict(lo=0.5, hi=2.0) if op == "div" else {}
        add_case(f"{op}_same_{dn}", op, [randn([2, 3], dt), randn([2, 3], dt, **pos)])
        add_case(f"{op}_bcast_row_{dn}", op, [randn([2, 3], dt), randn([3], dt, **pos)])
        add_case(f"{op}_bcast_outer_{dn}", op, [randn([4, 1], dt), randn([1, 5], dt, **pos)])
        add_case(f"{op}_scalar_right_{dn}", op, [randn([2, 3], dt)], {"scalar": 2.5, "scalar_type": "float"})
        add_case(f"{op}_scalar_left_{dn}", op, [randn([2, 3], dt, lo=0.5, hi=2.0)],
                 {"scalar": 2.5, "scalar_type": "float", "side": "left"})
    add_case(f"{op}_scalar_int_f32", op, [randn([3, 2])], {"scalar": 3, "scalar_type": "int"})
    add_case(f"{op}_bcast_3d_f32", op, [randn([2, 1, 3]), randn([4, 1], **(dict(lo=0.5, hi=2.0) if op == "div" else {}))])
    add_case(f"{op}_transposed_lhs_f32", op, [randn([4, 3]), randn([3, 4], **(dict(lo=0.5, hi=2.0) if op == "div" else {}))],
             {"transpose": [0]})
    add_case(f"{op}_strided_rhs_f64", op, [randn([2, 3], F64), randn([2, 6], F64, lo=0.5, hi=2.0)], {"step2": [1]})
    add_case(f"{op}_0dim_rhs_f32", op, [randn([2, 3]), randn([], lo=0.5, hi=2.0)])

for dn, dt in DT.items():
    add_case(f"pow_tensor_{dn}", "pow", [randn([2, 3], dt, lo=0.5, hi=2.0), randn([2, 3], dt)])
    add_case(f"pow_tensor_bcast_{dn}", "pow", [randn([2, 3], dt, lo=0.5, hi=2.0), randn([3], dt)])
    add_case(f"pow_scalar_float_{dn}", "pow", [randn([2, 3], dt, lo=0.5, hi=2.0)], {"scalar": 2.5, "scalar_type": "float"})
    add_case(f"pow_scalar_int_{dn}", "pow", [randn([2, 3], dt)], {"scalar": 3, "scalar_type": "int"})
    add_case(f"pow_scalar_neg_{dn}", "pow", [randn([2, 3], dt, lo=0.5, hi=2.0)], {"scalar": -1.5, "scalar_type": "float"})
    add_case(f"pow_scalar_half_{dn}", "pow", [randn([5], dt, lo=0.5, hi=3.0)], {"scalar": 0.5, "scalar_type": "float"})
    add_case(f"pow_scalar_two_{dn}", "pow", [randn([2, 3], dt)], {"scalar": 2, "scalar_type": "int"})
    add_case(f"pow_scalar_two_float_{dn}", "pow", [randn([2, 3], dt)], {"scalar": 2.0, "scalar_type": "float"})
    add_case(f"pow_scalar_one_{dn}", "pow", [randn([2, 3], dt)], {"scalar": 1, "scalar_type": "int"})
add_case("pow_scalar_zero_f32", "pow", [randn([4])], {"scalar": 0, "scalar_type": "int"})
add_case("pow_tensor_transposed_lhs_f32", "pow", [randn([3, 2], lo=0.5, hi=2.0), randn([2, 3])], {"transpose": [0]})
add_case("pow_int_int_int64", "pow", [tensor([1, 2, 3, -2], I64), tensor([3, 0, 2, 3], I64)])
add_case("pow_int_scalar_int64", "pow", [tensor([1, 2, 3, -2], I64)], {"scalar": 2, "scalar_type": "int"})

for op in ["maximum", "minimum"]:
    for dn, dt in DT.items():
        add_case(f"{op}_same_{dn}", op, [randn([2, 3], dt), randn([2, 3], dt)])
        add_case(f"{op}_bcast_{dn}", op, [randn([4, 1], dt), randn([1, 3], dt)])
    # ties: PyTorch splits the gradient equally
    add_case(f"{op}_ties_f32", op, [tensor([1.0, 2.0, -3.0, 0.5, 4.0, -1.0]), tensor([1.0, 3.0, -3.0, 0.25, 4.0, -2.0])])
    add_case(f"{op}_transposed_rhs_f64", op, [randn([2, 3], F64), randn([3, 2], F64)], {"transpose": [1]})

# type promotion (no grad)
ia = tensor([1, -2, 3, 4, 0, 7], I64, [2, 3])
ib = tensor([2, 3, -4, 1, 5, 2], I64, [2, 3])
add_case("promote_int64_plus_float32", "add", [ia, randn([2, 3])], grad=False)
add_case("promote_float32_plus_int64", "add", [randn([3]), ia], grad=False)
add_case("promote_int64_plus_int64", "add", [ia, ib])
add_case("promote_int64_mul_int64", "mul", [ia, ib])
add_case("promote_int64_sub_int64", "sub", [ia, ib])
add_case("promote_int64_div_int64", "div", [ia, ib])
add_case("promote_int64_plus_pyfloat", "add", [ia], {"scalar": 2.5, "scalar_type": "float"})
add_case("promote_int64_mul_pyfloat", "mul", [ia], {"scalar": 0.5, "scalar_type": "float"})
add_case("promote_int64_plus_pyint", "add", [ia], {"scalar": 3, "scalar_type": "int"})
add_case("promote_int64_div_pyint", "div", [ia], {"scalar": 2, "scalar_type": "int"})
add_case("promote_float64_plus_pyfloat", "add", [randn([2, 3], F64)], {"scalar": 2.5, "scalar_type": "float"}, grad=False)
add_case("promote_float32_plus_float64", "add", [randn([2, 3]), randn([2, 3], F64)], grad=False)
add_case("promote_float32_plus_0dim_float64", "add", [randn([2, 3]), randn([], F64)], grad=False)
add_case("promote_int64_plus_0dim_float64", "add", [ia, randn([], F64)], grad=False)
add_case("promote_bool_plus_int64", "add", [tensor([True, False, True], B), tensor([1, 2, 3], I64)])
add_case("promote_bool_plus_float32", "add", [tensor([True, False, True], B), randn([3])], grad=False)
add_case("promote_float32_plus_float64_grad", "mul", [randn([2, 3]), randn([3], F64)])

# comparisons (with ties in the data)
ca = tensor([1.0, 2.0, 3.0, -1.0, 0.5, 2.0], F32, [2, 3])
cb = tensor([1.0, 1.0, 4.0, -1.0, 0.25, 3.0], F32, [2, 3])
for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    add_case(f"cmp_{op}_f32", op, [ca, cb], grad=False)
    add_case(f"cmp_{op}_bcast_f64", op, [ca.to(F64), tensor([1.0, 2.0, 3.0], F64)], grad=False)
    add_case(f"cmp_{op}_scalar_f32", op, [ca], {"scalar": 2.0, "scalar_type": "float"}, grad=False)
    add_case(f"cmp_{op}_int64", op, [ia, ib])
    add_case(f"cmp_{op}_int64_float32", op, [ia, randn([2, 3]) * 3], grad=False)

# ----------------------------------------------------------------------------- unary

SAFE = {
    "log": dict(lo=0.2, hi=3.0), "sqrt": dict(lo=0.2, hi=3.0), "rsqrt": dict(lo=0.2, hi=3.0),
    "reciprocal": dict(lo=0.3, hi=3.0), "log1p": dict(lo=-0.5, hi=3.0),
}
ROUNDING = ["floor", "ceil", "round", "trunc", "sign"]
for op in UNARY:
    for dn, dt in DT.items():
        kw = SAFE.get(op, {})
        if op in ("abs", "relu"):
            kw = dict(away=0.05)
        x = randn([2, 3], dt, **kw)
        if op in ROUNDING:
            x = x * 3
        add_case(f"{op}_{dn}", op, [x])
    kw = SAFE.get(op, {})
    add_case(f"{op}_transposed_f32", op, [randn([3, 4], **kw)], {"transpose": [0]})
    add_case(f"{op}_strided_f64", op, [randn([2, 6], F64, **kw)], {"step2": [0]})

# special values
add_case("abs_zero_f32", "abs", [tensor([-2.0, 0.0, 3.0, -0.0])])
add_case("relu_zero_f32", "relu", [tensor([-2.0, 0.0, 3.0, -0.5])])
add_case("sign_zero_f32", "sign", [tensor([-2.0, 0.0, 3.0, -0.5])])
halves = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51, 2.51]
add_case("round_half_even_f32", "round", [tensor(halves)])
add_case("round_half_even_f64", "round", [tensor(halves, F64)])
add_case("floor_halves_f32", "floor", [tensor(halves)])
add_case("ceil_halves_f32", "ceil", [tensor(halves)])
add_case("trunc_halves_f64", "trunc", [tensor(halves, F64)])
add_case("exp_large_f32", "exp", [tensor([-100.0, -20.0, 0.0, 20.0, 88.0])])
add_case("sigmoid_large_f32", "sigmoid", [tensor([-30.0, -10.0, 0.0, 10.0, 30.0])])
add_case("tanh_large_f64", "tanh", [tensor([-30.0, -5.0, 0.0, 5.0, 30.0], F64)])
add_case("log_special_f32", "log", [tensor([0.0, 1.0, math.e])], grad=False)
add_case("sqrt_negative_nan_f32", "sqrt", [tensor([-1.0, 0.0, 4.0])], grad=False)
add_case("neg_int64", "neg", [tensor([1, -2, 0], I64)])
add_case("abs_int64", "abs", [tensor([1, -2, 0], I64)])
add_case("exp_int64_promotes", "exp", [tensor([0, 1, 2], I64)])
add_case("sqrt_int64_promotes", "sqrt", [tensor([0, 1, 4], I64)])

for dn, dt in DT.items():
    add_case(f"clamp_min_max_{dn}", "clamp", [randn([3, 4], dt)], {"min": -0.5, "max": 0.5})
    add_case(f"clamp_min_only_{dn}", "clamp", [randn([3, 4], dt)], {"min": 0.1})
    add_case(f"clamp_max_only_{dn}", "clamp", [randn([3, 4], dt)], {"max": 0.1})
# values exactly at the bounds: PyTorch passes the gradient there
add_case("clamp_at_bounds_f32", "clamp", [tensor([-1.0, -0.5, 0.0, 0.5, 1.0])], {"min": -0.5, "max": 0.5})
add_case("clamp_transposed_f32", "clamp", [randn([3, 2])], {"min": -0.3, "max": 0.3, "transpose": [0]})
add_case("clamp_int64", "clamp", [tensor([-3, -1, 0, 2, 5], I64)], {"min": -1, "max": 3})

# ----------------------------------------------------------------------------- reductions

for op in ["sum", "mean"]:
    for dn, dt in DT.items():
        add_case(f"{op}_all_{dn}", op, [randn([2, 3, 4], dt)])
        add_case(f"{op}_dim0_{dn}", op, [randn([2, 3, 4], dt)], {"dim": 0})
        add_case(f"{op}_dim1_keepdim_{dn}", op, [randn([2, 3, 4], dt)], {"dim": 1, "keepdim": True})
        add_case(f"{op}_dimneg_{dn}", op, [randn([2, 3, 4], dt)], {"dim": -1})
        add_case(f"{op}_dims_list_{dn}", op, [randn([2, 3, 4], dt)], {"dim": [0, 2]})
        add_case(f"{op}_dims_list_keepdim_{dn}", op, [randn([2, 3, 4], dt)], {"dim": [0, -1], "keepdim": True})
    add_case(f"{op}_transposed_dim0_f32", op, [randn([4, 3])], {"dim": 0, "transpose": [0]})
    add_case(f"{op}_strided_dim1_f64", op, [randn([3, 8], F64)], {"dim": 1, "step2": [0]})
add_case("sum_int64", "sum", [ia])
add_case("sum_int64_dim", "sum", [ia], {"dim": 1})
add_case("sum_bool", "sum", [tensor([True, False, True, True], B)])

for dn, dt in DT.items():
    add_case(f"prod_all_{dn}", "prod", [randn([2, 3], dt, lo=0.5, hi=1.5)])
    add_case(f"prod_dim1_{dn}", "prod", [randn([3, 4], dt)], {"dim": 1})
    add_case(f"prod_dim0_keepdim_{dn}", "prod", [randn([3, 4], dt)], {"dim": 0, "keepdim": True})
add_case("prod_one_zero_f32", "prod", [tensor([1.5, 0.0, -2.0, 0.5])])
add_case("prod_two_zeros_f32", "prod", [tensor([1.5, 0.0, -2.0, 0.0])])
add_case("prod_zero_dim1_f64", "prod", [tensor([[1.5, 0.0, -2.0], [0.5, 2.0, 3.0], [0.0, 0.0, 1.0]], F64)], {"dim": 1})
add_case("prod_int64", "prod", [ia])

for op in ["max", "min"]:
    for dn, dt in DT.items():
        add_case(f"{op}_dim1_{dn}", f"{op}_dim", [randn([3, 4], dt)], {"dim": 1})
        add_case(f"{op}_dim0_keepdim_{dn}", f"{op}_dim", [randn([3, 4], dt)], {"dim": 0, "keepdim": True})
        add_case(f"{op}_dim1_indices_{dn}", f"{op}_dim_indices", [randn([3, 4], dt)], {"dim": 1})
        add_case(f"{op}_all_{dn}", f"{op}_all", [randn([3, 4], dt)])
    add_case(f"{op}_dim_3d_f32", f"{op}_dim", [randn([2, 3, 4])], {"dim": -2})
    add_case(f"{op}_dim0_indices_keepdim_f32", f"{op}_dim_indices", [randn([3, 4])], {"dim": 0, "keepdim": True})
    add_case(f"{op}_dim_transposed_f32", f"{op}_dim", [randn([4, 3])], {"dim": 1, "transpose": [0]})
    add_case(f"{op}_all_ties_f32", f"{op}_all", [tensor([1.0, 3.0, -3.0, 3.0, -3.0, 0.0], F32, [2, 3])])
    add_case(f"{op}_dim_int64", f"{op}_dim", [ia], {"dim": 1})
    add_case(f"a{op}_dims_f32", f"a{op}", [randn([2, 3, 4])], {"dim": [0, 2]})
    add_case(f"a{op}_dim1_keepdim_f64", f"a{op}", [randn([3, 4], F64)], {"dim": [1], "keepdim": True})
    add_case(f"a{op}_ties_f32", f"a{op}", [tensor([1.0, 3.0, 3.0, -3.0, -3.0, 0.0], F32, [2, 3])], {"dim": [1]})
for op in ["argmax", "argmin"]:
    add_case(f"{op}_all_f32", op, [randn([3, 4])])
    add_case(f"{op}_dim1_f32", op, [randn([3, 4])], {"dim": 1})
    add_case(f"{op}_dim0_keepdim_f64", op, [randn([3, 4], F64)], {"dim": 0, "keepdim": True})
    add_case(f"{op}_ties_first_f32", op, [tensor([1.0, 3.0, 3.0, -3.0, -3.0, 0.0], F32, [2, 3])], {"dim": 1})
    add_case(f"{op}_ties_all_f32", op, [tensor([1.0, 3.0, -3.0, 3.0, -3.0, 0.0], F32, [2, 3])])
    add_case(f"{op}_int64", op, [ia], {"dim": 0})

for op in ["var", "std"]:
    for dn, dt in DT.items():
        add_case(f"{op}_all_{dn}", op, [randn([3, 4], dt)])
        add_case(f"{op}_all_biased_{dn}", op, [randn([3, 4], dt)], {"unbiased": False})
        add_case(f"{op}_dim1_{dn}", op, [randn([3, 4], dt)], {"dim": 1})
        add_case(f"{op}_dim0_biased_keepdim_{dn}", op, [randn([3, 4], dt)], {"dim": 0, "unbiased": False, "keepdim": True})
    add_case(f"{op}_dims_correction_f64", op, [randn([2, 3, 4], F64)], {"dim": [0, 2], "correction": 1})
    add_case(f"{op}_dims_correction0_keepdim_f32", op, [randn([2, 3, 4])], {"dim": [1, 2], "correction": 0, "keepdim": True})
    add_case(f"{op}_transposed_f32", op, [randn([4, 3])], {"dim": 1, "transpose": [0]})

for dn, dt in DT.items():
    add_case(f"logsumexp_dim1_{dn}", "logsumexp", [randn([3, 4], dt)], {"dim": 1})
    add_case(f"logsumexp_dim0_keepdim_{dn}", "logsumexp", [randn([3, 4], dt)], {"dim": 0, "keepdim": True})
add_case("logsumexp_large_f32", "logsumexp", [tensor([[100.0, 101.0, 99.0], [-100.0, -101.0, -99.0]])], {"dim": 1})
add_case("logsumexp_transposed_f32", "logsumexp", [randn([4, 3])], {"dim": -1, "transpose": [0]})

for dn, dt in DT.items():
    add_case(f"norm_p2_all_{dn}", "norm", [randn([3, 4], dt)], {"p": 2})
    add_case(f"norm_p2_dim1_{dn}", "norm", [randn([3, 4], dt)], {"p": 2, "dim": [1]})
    add_case(f"norm_p1_all_{dn}", "norm", [randn([3, 4], dt, away=0.05)], {"p": 1})
    add_case(f"norm_p3_all_{dn}", "norm", [randn([3, 4], dt)], {"p": 3})
    add_case(f"norm_pinf_all_{dn}", "norm", [randn([3, 4], dt)], {"p": "inf"})
add_case("norm_p1_dim0_keepdim_f32", "norm", [randn([3, 4], away=0.05)], {"p": 1, "dim": [0], "keepdim": True})
add_case("norm_p3_dim1_f64", "norm", [randn([3, 4], F64)], {"p": 3, "dim": [1]})
add_case("norm_pinf_dim1_f32", "norm", [randn([3, 4])], {"p": "inf", "dim": [1]})
add_case("norm_p2_dims_f32", "norm", [randn([2, 3, 4])], {"p": 2, "dim": [0, 2]})
add_case("norm_p1_5_f64", "norm", [randn([5], F64, away=0.05)], {"p": 1.5})
add_case("norm_p2_zero_f32", "norm", [torch.zeros(4)], {"p": 2})
add_case("norm_p2_transposed_f32", "norm", [randn([4, 3])], {"p": 2, "dim": [1], "transpose": [0]})

bools = tensor([True, False, True, True, True, True], B, [2, 3])
add_case("all_bool", "all", [bools])
add_case("all_bool_true", "all", [tensor([True, True, True], B)])
add_case("any_bool", "any", [bools])
add_case("any_bool_false", "any", [tensor([False, False], B)])
add_case("all_float_zero", "all", [tensor([1.0, 0.0, 2.0])])
add_case("any_float_zero", "any", [tensor([0.0, 0.0, 2.0])])
add_case("all_int64", "all", [ia])
add_case("all_bool_dim1", "all", [bools], {"dim": 1})
add_case("any_bool_dim0_keepdim", "any", [tensor([False, False, True, False, False, False], B, [2, 3])], {"dim": 0, "keepdim": True})

# ----------------------------------------------------------------------------- softmax

for op in ["softmax", "log_softmax"]:
    for dn, dt in DT.items():
        for d in [0, 1, -1]:
            add_case(f"{op}_dim{d}_{dn}".replace("-", "neg"), op, [randn([3, 4], dt)], {"dim": d})
    add_case(f"{op}_3d_dim1_f32", op, [randn([2, 3, 4])], {"dim": 1})
    add_case(f"{op}_large_f32", op, [tensor([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]])], {"dim": 1})
    add_case(f"{op}_transposed_f32", op, [randn([4, 3])], {"dim": -1, "transpose": [0]})

# ----------------------------------------------------------------------------- views

for dn, dt in DT.items():
    add_case(f"view_infer_{dn}", "view", [randn([2, 6], dt)], {"shape": [-1, 4]})
    add_case(f"reshape_infer_{dn}", "reshape", [randn([2, 3, 4], dt)], {"shape": [4, -1]})
    add_case(f"permute_{dn}", "permute", [randn([2, 3, 4], dt)], {"dims": [2, 0, 1]})
    add_case(f"transpose_{dn}", "transpose", [randn([2, 3, 4], dt)], {"dim0": 0, "dim1": 2})
    add_case(f"cat_dim0_{dn}", "cat", [randn([2, 3], dt), randn([1, 3], dt)], {"dim": 0})
    add_case(f"cat_dim1_{dn}", "cat", [randn([2, 3], dt), randn([2, 2], dt), randn([2, 1], dt)], {"dim": 1})
    add_case(f"stack_dim0_{dn}", "stack", [randn([2, 3], dt), randn([2, 3], dt)], {"dim": 0})
    add_case(f"matmul_2d_2d_{dn}", "matmul", [randn([2, 3], dt), randn([3, 4], dt)])
add_case("view_flat_f32", "view", [randn([2, 3, 2])], {"shape": [12]})
add_case("view_add_dims_f32", "view", [randn([12])], {"shape": [2, 1, -1, 3]})
add_case("reshape_transposed_f32", "reshape", [randn([3, 4])], {"shape": [-1], "transpose": [0]})
add_case("reshape_strided_f64", "reshape", [randn([2, 6], F64)], {"shape": [3, 2], "step2": [0]})
add_case("reshape_int64", "reshape", [ia], {"shape": [3, 2]})
add_case("flatten_all_f32", "flatten", [randn([2, 3, 2])])
add_case("flatten_1_2_f32", "flatten", [randn([2, 3, 2, 2])], {"start": 1, "end": 2})
add_case("flatten_neg_f64", "flatten", [randn([2, 3, 2], F64)], {"start": -2, "end": -1})
add_case("flatten_transposed_f32", "flatten", [randn([3, 4])], {"transpose": [0]})
add_case("squeeze_all_f32", "squeeze", [randn([2, 1, 3, 1])])
add_case("squeeze_dim_f32", "squeeze", [randn([2, 1, 3, 1])], {"dim": 1})
add_case("squeeze_dim_noop_f64", "squeeze", [randn([2, 1, 3], F64)], {"dim": 0})
add_case("squeeze_neg_f32", "squeeze", [randn([2, 3, 1])], {"dim": -1})
add_case("unsqueeze_0_f32", "unsqueeze", [randn([2, 3])], {"dim": 0})
add_case("unsqueeze_end_f32", "unsqueeze", [randn([2, 3])], {"dim": 2})
add_case("unsqueeze_neg_f64", "unsqueeze", [randn([2, 3], F64)], {"dim": -2})
add_case("unsqueeze_transposed_f32", "unsqueeze", [randn([3, 2])], {"dim": 1, "transpose": [0]})
add_case("permute_transposed_f32", "permute", [randn([2, 4, 3])], {"dims": [1, 2, 0], "transpose": [0]})
add_case("transpose_neg_f32", "transpose", [randn([2, 3, 4])], {"dim0": -1, "dim1": -2})
add_case("t_2d_f32", "t", [randn([2, 3])])
add_case("t_2d_f64", "t", [randn([3, 2], F64)])
add_case("t_1d_f32", "t", [randn([4])])
add_case("expand_f32", "expand", [randn([3, 1])], {"sizes": [3, 4]})
add_case("expand_newdims_f32", "expand", [randn([1, 3])], {"sizes": [2, 4, 3]})
add_case("expand_keep_f64", "expand", [randn([2, 1, 3], F64)], {"sizes": [-1, 4, -1]})
add_case("slice_step2_f32", "slice", [randn([4, 6])], {"dim": 1, "start": 0, "end": 6, "step": 2})
add_case("slice_rows_f64", "slice", [randn([5, 3], F64)], {"dim": 0, "start": 1, "end": 4})
add_case("slice_step3_f32", "slice", [randn([2, 7])], {"dim": -1, "start": 1, "end": 7, "step": 3})
add_case("slice_neg_start_f32", "slice", [randn([6])], {"dim": 0, "start": -4, "end": -1})
add_case("slice_clamped_end_f32", "slice", [randn([3, 4])], {"dim": 1, "start": 2, "end": 100})
add_case("slice_transposed_f32", "slice", [randn([4, 3])], {"dim": 1, "start": 1, "end": 4, "step": 2, "transpose": [0]})
add_case("select_dim0_f32", "select", [randn([3, 4])], {"dim": 0, "index": 1})
add_case("select_dim1_neg_f64", "select", [randn([2, 3, 4], F64)], {"dim": 1, "index": -1})
add_case("select_transposed_f32", "select", [randn([4, 3])], {"dim": 1, "index": 2, "transpose": [0]})
add_case("narrow_f32", "narrow", [randn([3, 5])], {"dim": 1, "start": 1, "length": 3})
add_case("narrow_dim0_f64", "narrow", [randn([4, 2], F64)], {"dim": 0, "start": 2, "length": 2})
add_case("contiguous_transposed_f32", "contiguous", [randn([3, 4])], {"transpose": [0]})
add_case("contiguous_transposed_f64", "contiguous", [randn([2, 3, 4], F64)], {"transpose": [0]})
add_case("contiguous_strided_f32", "contiguous", [randn([2, 6])], {"step2": [0]})
add_case("cat_transposed_f32", "cat", [randn([3, 2]), randn([1, 3])], {"dim": 0, "transpose": [0]})
add_case("cat_3d_dim2_f32", "cat", [randn([2, 2, 1]), randn([2, 2, 3])], {"dim": 2})
add_case("cat_neg_dim_f32", "cat", [randn([2, 3]), randn([2, 1])], {"dim": -1})
add_case("cat_int64", "cat", [ia, ib], {"dim": 1})
add_case("stack_dim1_f32", "stack", [randn([2, 3]), randn([2, 3]), randn([2, 3])], {"dim": 1}, grad=[0])
add_case("stack_dim_end_f64", "stack", [randn([3], F64), randn([3], F64)], {"dim": -1})
add_case("stack_transposed_f32", "stack", [randn([3, 2]), randn([2, 3])], {"dim": 0, "transpose": [0]})
add_case("split_dim0_first_f32", "split", [randn([5, 3])], {"size": 2, "dim": 0, "index": 0})
add_case("split_dim0_last_f32", "split", [randn([5, 3])], {"size": 2, "dim": 0, "index": 2})
add_case("split_dim1_mid_f64", "split", [randn([2, 6], F64)], {"size": 2, "dim": 1, "index": 1})
add_case("chunk_dim1_f32", "chunk", [randn([2, 7])], {"chunks": 3, "dim": 1, "index": 2})
add_case("chunk_dim0_f64", "chunk", [randn([6, 2], F64)], {"chunks": 3, "dim": 0, "index": 1})
add_case("chunk_uneven_f32", "chunk", [randn([5, 2])], {"chunks": 2, "dim": 0, "index": 1})

add_case("index_select_dim0_f32", "index_select", [randn([4, 3]), tensor([3, 0, 3, 1], I64)], {"dim": 0})
add_case("index_select_dim1_f64", "index_select", [randn([2, 4], F64), tensor([1, 1, 2], I64)], {"dim": 1})
add_case("index_select_transposed_f32", "index_select", [randn([3, 4]), tensor([2, 0], I64)], {"dim": 1, "transpose": [0]})
add_case("index_select_int64", "index_select", [ia, tensor([2, 0], I64)], {"dim": 1})
add_case("gather_dim1_f32", "gather", [randn([3, 4]), tensor([[0, 3], [1, 1], [2, 0]], I64)], {"dim": 1})
add_case("gather_dim0_f64", "gather", [randn([3, 4], F64), tensor([[2, 0, 1, 2], [0, 0, 2, 1]], I64)], {"dim": 0})
add_case("gather_3d_f32", "gather", [randn([2, 3, 2]), tensor([[[1], [0], [1]], [[0], [0], [1]]], I64)], {"dim": 2})
add_case("gather_transposed_f32", "gather", [randn([4, 3]), tensor([[0, 3], [1, 1], [2, 0]], I64)], {"dim": 1, "transpose": [0]})
add_case("scatter_dim1_f32", "scatter", [randn([3, 4]), tensor([[0, 3], [1, 2], [2, 0]], I64), randn([3, 2])], {"dim": 1})
add_case("scatter_dim0_f64", "scatter", [randn([3, 4], F64), tensor([[2, 0, 1, 2], [0, 1, 2, 1]], I64), randn([2, 4], F64)], {"dim": 0})
add_case("scatter_src_larger_f32", "scatter", [randn([2, 4]), tensor([[3, 0], [1, 2]], I64), randn([2, 3])], {"dim": 1}, grad=[0])
add_case("masked_fill_f32", "masked_fill", [randn([2, 3]), tensor([True, False, True, False, False, True], B, [2, 3])], {"value": -1.5})
add_case("masked_fill_bcast_f64", "masked_fill", [randn([2, 3], F64), tensor([False, True, False], B)], {"value": 0.0})
add_case("masked_fill_transposed_f32", "masked_fill", [randn([3, 2]), tensor([True, False, True, False, False, True], B, [2, 3])], {"value": 7.0, "transpose": [0]})
add_case("masked_fill_inf_f32", "masked_fill", [randn([2, 3]), tensor([True, False, False, False, False, True], B, [2, 3])], {"value": "-inf"}, grad=False)
cond = tensor([True, False, True, False, True, True], B, [2, 3])
add_case("where_f32", "where", [cond, randn([2, 3]), randn([2, 3])])
add_case("where_f64", "where", [cond, randn([2, 3], F64), randn([2, 3], F64)])
add_case("where_bcast_f32", "where", [tensor([True, False, True], B), randn([2, 1]), randn([2, 3])])
add_case("where_bcast_cond_f64", "where", [tensor([True, False], B, [2, 1]), randn([3], F64), randn([2, 3], F64)])
add_case("where_int64", "where", [cond, ia, ib])
add_case("one_hot_1d", "one_hot", [tensor([0, 2, 1, 2], I64)], {"num_classes": 3})
add_case("one_hot_2d", "one_hot", [tensor([[0, 4], [1, 3]], I64)], {"num_classes": 5})

# ----------------------------------------------------------------------------- linear algebra

for dn, dt in DT.items():
    add_case(f"matmul_1d_1d_{dn}", "matmul", [randn([4], dt), randn([4], dt)])
    add_case(f"matmul_2d_1d_{dn}", "matmul", [randn([3, 4], dt), randn([4], dt)])
    add_case(f"matmul_1d_2d_{dn}", "matmul", [randn([3], dt), randn([3, 4], dt)])
    add_case(f"matmul_3d_3d_{dn}", "matmul", [randn([2, 3, 4], dt), randn([2, 4, 2], dt)])
    add_case(f"matmul_3d_2d_{dn}", "matmul", [randn([2, 3, 4], dt), randn([4, 2], dt)])
    add_case(f"matmul_4d_3d_{dn}", "matmul", [randn([2, 1, 3, 4], dt), randn([5, 4, 2], dt)])
    add_case(f"mm_{dn}", "mm", [randn([3, 4], dt), randn([4, 2], dt)])
    add_case(f"bmm_{dn}", "bmm", [randn([2, 3, 4], dt), randn([2, 4, 3], dt)])
    add_case(f"addmm_{dn}", "addmm", [randn([3, 2], dt), randn([3, 4], dt), randn([4, 2], dt)], {"beta": 0.5, "alpha": 2.0})
add_case("matmul_2d_3d_f32", "matmul", [randn([3, 4]), randn([2, 4, 2])])
add_case("matmul_1d_3d_f32", "matmul", [randn([4]), randn([2, 4, 3])])
add_case("matmul_3d_1d_f64", "matmul", [randn([2, 3, 4], F64), randn([4], F64)])
add_case("matmul_transposed_lhs_f32", "matmul", [randn([4, 3]), randn([4, 2])], {"transpose": [0]})
add_case("matmul_transposed_rhs_f32", "matmul", [randn([3, 4]), randn([2, 4])], {"transpose": [1]})
add_case("matmul_transposed_both_f64", "matmul", [randn([4, 3], F64), randn([2, 4], F64)], {"transpose": [0, 1]})
add_case("matmul_batched_transposed_rhs_f32", "matmul", [randn([2, 3, 4]), randn([2, 2, 4])], {"transpose": [1]})
add_case("matmul_strided_lhs_f32", "matmul", [randn([3, 8]), randn([4, 2])], {"step2": [0]})
add_case("mm_transposed_lhs_f32", "mm", [randn([4, 3]), randn([4, 2])], {"transpose": [0]})
add_case("bmm_transposed_rhs_f32", "bmm", [randn([2, 3, 4]), randn([2, 3, 4])], {"transpose": [1]})
add_case("addmm_bcast_bias_f32", "addmm", [randn([2]), randn([3, 4]), randn([4, 2])], {"beta": 1.0, "alpha": 1.0})
add_case("addmm_bcast_row_f64", "addmm", [randn([1, 2], F64), randn([3, 4], F64), randn([4, 2], F64)], {"beta": -1.5, "alpha": 0.5})
add_case("addmm_transposed_mat2_f32", "addmm", [randn([3, 2]), randn([3, 4]), randn([2, 4])], {"beta": 0.5, "alpha": 2.0, "transpose": [2]})
add_case("matmul_int64", "matmul", [ia, tensor([1, 0, 2, -1, 3, 1], I64, [3, 2])])


# ----------------------------------------------------------------------------- edge cases

ninf = -math.inf
add_case("softmax_neg_inf_f32", "softmax", [tensor([[ninf, 0.0, 1.0], [2.0, ninf, -1.0]])], {"dim": 1})
add_case("log_softmax_neg_inf_f64", "log_softmax", [tensor([[ninf, 0.0, 1.0], [2.0, ninf, -1.0]], F64)], {"dim": 1})
add_case("var_single_element_dim_f64", "var", [randn([3, 1], F64)], {"dim": 1})
add_case("pow_scalar_at_zero_f32", "pow", [tensor([0.0, 1.0, -2.0])], {"scalar": 2, "scalar_type": "int"})
add_case("pow_tensor_zero_base_f64", "pow", [tensor([0.0, 0.0, 2.0, 0.0], F64), tensor([2.0, 0.5, 1.5, 0.0], F64)])
add_case("div_by_zero_f32", "div", [tensor([1.0, -1.0, 0.0]), tensor([0.0, 0.0, 0.0])], grad=False)
add_case("maximum_nan_f32", "maximum", [tensor([1.0, math.nan, 2.0]), tensor([math.nan, 0.0, 3.0])], grad=False)
add_case("minimum_nan_f64", "minimum", [tensor([1.0, math.nan, 2.0], F64), tensor([math.nan, 0.0, 3.0], F64)], grad=False)
add_case("exp_0dim_f32", "exp", [randn([])])
add_case("sum_0dim_f64", "sum", [randn([], F64)])
add_case("mul_0dim_0dim_f64", "mul", [randn([], F64), randn([], F64)])
add_case("mul_0dim_bcast_f32", "mul", [randn([]), randn([2, 3])])


# ----------------------------------------------------------------------------- nn.functional

from nn_cases import add_nn_cases  # noqa: E402  (needs OPS and add_case defined above)

add_nn_cases(OPS, add_case, randn, tensor)


# ----------------------------------------------------------------------------- write

def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.json")
    with open(path, "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_fixtures.py", "torch": torch.__version__.split("+")[0],
                   "cases": CASES}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(CASES)} cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
