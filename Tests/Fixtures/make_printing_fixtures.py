#!/usr/bin/env python3
"""Writes printing.json: PyTorch's repr of tensors, for Tests/EmberTests/PrintingTests.swift."""

import json
import math
import os

import torch

cases = []


def add(name, t):
    flat = t.detach().reshape(-1).tolist()
    data = [("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")) if isinstance(v, float) and not math.isfinite(v)
            else v for v in flat]
    cases.append({"name": name, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                  "data": data, "requires_grad": t.requires_grad, "repr": repr(t)})


add("ints_as_floats", torch.tensor([[1.0, 2.0]]))
add("fixed", torch.tensor([[1.5, -2.25], [3.125, 0.0001]]))
add("scientific_small", torch.tensor([1e-5, 2.0, 3.0]))
add("scientific_large", torch.tensor([1e9, 2.5]))
add("ratio", torch.tensor([0.001, 5000.0]))
add("int64", torch.tensor([[1, -20, 300], [4, 5, 6]]))
add("bool", torch.tensor([True, False]))
add("float64", torch.tensor([1.5, 2.0], dtype=torch.float64))
add("scalar", torch.tensor(3.5))
add("scalar_int_float", torch.tensor(2.0))
add("three_d", torch.arange(12, dtype=torch.float32).reshape(2, 2, 3) / 4)
add("nan_inf", torch.tensor([float("nan"), float("inf"), -1.5]))
add("requires_grad", torch.tensor([1.0, 2.0], requires_grad=True))
add("long_row", torch.arange(30, dtype=torch.float32) / 3)
add("summarized", torch.arange(2000, dtype=torch.float32))
add("summarized_2d", torch.arange(1200, dtype=torch.int64).reshape(40, 30))
add("empty", torch.zeros(0))
add("negative_zero_mix", torch.tensor([-0.5, 0.25, -1.0]))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "printing.json"), "w") as f:
    json.dump(cases, f, indent=0)
print(f"wrote {len(cases)} printing cases")
