#!/usr/bin/env python3
"""Writes Tests/Fixtures/seed_models.json: the seed tutorial's models as PyTorch builds them
(SeedModelTests.swift checks Ember's against it).

Run with PyTorch installed (`python3 Tests/Fixtures/make_seed_models_fixtures.py`); the output is
committed, so CI does not need PyTorch.

Per model: "repr" (print(model)), "keys" (state_dict keys in order) with "shapes", and, for the
models that run, a forward and backward pass: "input", "output", "upstream" (the output gradient),
"input_grad" and, per parameter, a summary of its gradient ("sum", "abs_sum" and "samples" at
the flat indices (k * 7919) % numel for k < 16).

The weights and inputs are not stored: both sides compute them from the same integer hash
(`det`), so that models with hundreds of thousands of weights need no large fixture. Tensors are
{"shape", "dtype", "data"} with row-major data, as in ops.json.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)


def det(shape, salt, scale):
    """Values in [-scale, scale) from an integer hash of the flat index; Swift computes the same
    float64 numbers with the same operations and rounds them to float32."""
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.int64)
    h = (i * 2654435761 + salt * 40503) % 4294967296
    v = (h.astype(np.float64) / 4294967296.0 - 0.5) * (2.0 * scale)
    return torch.from_numpy(v.astype(np.float32)).reshape(shape)


def fill_deterministic(model):
    """Parameter k (state_dict order) gets det(shape, k, 1/sqrt(fan_in)), biases scale 0.1."""
    with torch.no_grad():
        for k, (_, p) in enumerate(model.named_parameters()):
            scale = 0.1 if p.dim() < 2 else 1.0 / float(np.sqrt(p[0].numel()))
            p.copy_(det(list(p.shape), k, scale))


def enc(t):
    t = t.detach().contiguous()
    data = [float(str(np.float32(v))) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": "float32", "data": data}


def grad_summary(g):
    flat = g.detach().reshape(-1).double()
    n = flat.numel()
    return {"sum": float(flat.sum()), "abs_sum": float(flat.abs().sum()),
            "samples": [float(flat[(k * 7919) % n]) for k in range(16)]}


class MyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)

    def forward(self, x):
        residual = x
        x = F.relu(self.conv1(x))
        x = self.conv2(x)
        x += residual
        return F.relu(x)


class DynamicModel(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(128, 128) for _ in range(num_layers)])

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x


class CNNRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(kernel_size=2))
        self.rnn = nn.RNN(32 * 13 * 13, 128, batch_first=True)

    def forward(self, x):
        x = self.cnn(x)
        x = x.view(x.size(0), -1)
        x, _ = self.rnn(x)
        return x


class Model(nn.Module):
    """The seed's hand-built MLP for regression."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.linear2 = nn.Linear(hidden_size, hidden_size)
        self.linear3 = nn.Linear(hidden_size, output_size)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.linear1(x))
        x = self.relu(self.linear2(x))
        return self.linear3(x)


def describe(name, model, input_shape=None):
    case = {"name": name, "repr": repr(model), "keys": list(model.state_dict().keys()),
            "shapes": [list(v.shape) for v in model.state_dict().values()]}
    if input_shape is not None:
        fill_deterministic(model)
        x = det(input_shape, 1000, 1.0).requires_grad_(True)
        out = model(x)
        upstream = det(list(out.shape), 2000, 1.0)
        out.backward(upstream)
        case.update({"input": enc(x), "output": enc(out), "upstream": enc(upstream), "input_grad": enc(x.grad),
                     "param_grads": {n: grad_summary(p.grad) for n, p in model.named_parameters()}})
    return case


CASES = [
    describe("my_module", MyModule(), [3, 784]),
    describe("residual_block", ResidualBlock(4, 4), [2, 4, 6, 6]),
    describe("sequential", nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), [2, 784]),
    describe("dynamic_model", DynamicModel(3), [4, 128]),
    describe("module_dict", nn.ModuleDict({"cls": nn.Linear(128, 10), "reg": nn.Linear(128, 1)})),
    describe("cnn_rnn", CNNRNN(), [3, 1, 28, 28]),
    describe("seed_mlp", Model(20, 64, 1), [5, 20]),
    describe("seed_cnn", nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                       nn.Linear(6 * 14 * 14, 10))),
]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_models.json")
with open(path, "w") as f:
    json.dump({"torch_version": torch.__version__, "models": CASES}, f, separators=(",", ":"))
print(f"wrote {len(CASES)} models to {path} ({os.path.getsize(path)} bytes)")
