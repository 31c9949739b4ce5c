#!/usr/bin/env python3
"""Writes PyTorch-made safetensors fixtures for Tests/EmberTests/SafetensorsTests.swift.

- pytorch_tensors.safetensors: one tensor per dtype Ember reads (F32, F64, I64, BOOL, F16, BF16,
  I32, U8) with known values, plus __metadata__.
- pytorch_mlp.safetensors + pytorch_mlp.json: the state dict of
  nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)) and its output on a fixed input.
"""

import json
import os

import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

tensors = {
    "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.0]], dtype=torch.float32),
    "f64": torch.tensor([1.0 / 3.0, -2.5], dtype=torch.float64),
    "i64": torch.tensor([[-(2**40), 7], [0, 2**50]], dtype=torch.int64),
    "bool": torch.tensor([True, False, True]),
    "f16": torch.tensor([1.0, -0.5, 65504.0, 6e-8, float("inf")], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
    "i32": torch.tensor([-5, 2147483647], dtype=torch.int32),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "scalar": torch.tensor(4.25),
    "empty": torch.zeros(0, 3),
}
save_file(tensors, os.path.join(here, "pytorch_tensors.safetensors"), metadata={"format": "pt", "note": "fixture"})

model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
save_file(model.state_dict(), os.path.join(here, "pytorch_mlp.safetensors"))
x = torch.randn(5, 3)
with torch.no_grad():
    y = model(x)
with open(os.path.join(here, "pytorch_mlp.json"), "w") as f:
    json.dump({"input": x.reshape(-1).tolist(), "output": y.reshape(-1).tolist(),
               "keys": list(model.state_dict().keys())}, f)
print("wrote safetensors fixtures")
