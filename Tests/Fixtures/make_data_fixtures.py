#!/usr/bin/env python3
"""Writes Tests/Fixtures/data.json: reference numbers for Ember's data loading (Tests/EmberTests/
DatasetTests.swift, DataLoaderTests.swift).

Run with PyTorch and numpy installed (`python3 Tests/Fixtures/make_data_fixtures.py`); the output is
committed, so CI needs neither. Deterministic (fixed seeds).

  - "random_split": torch.utils.data.random_split sizes for fractions (PyTorch's floor + round-robin
    remainder): {"n", "fractions", "lengths"}.
  - "loader_len": len(DataLoader(range(n), batch_size, drop_last)): {"n", "batch_size", "drop_last", "len"}.
  - "gzip": gzip streams made by zlib with every DEFLATE block type (stored, fixed Huffman, dynamic
    Huffman), a header with a file name, and two concatenated members: {"name", "gz", "raw"} (base64).
  - "mnist": a tiny MNIST in IDX format (4 images of 5x3), gzip-compressed: {"images_gz",
    "labels_gz"} (base64), the pixels [N][rows][cols] and labels.
  - "scaler": numpy's population mean/std and min/max of a small float64 matrix (StandardScaler /
    MinMaxScaler statistics): {"x", "mean", "std", "min", "max"}.
"""

import base64
import gzip
import io
import json
import os
import struct
import zlib

import numpy as np
import torch
from torch.utils.data import DataLoader, random_split


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def gzip_with(raw: bytes, level: int, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, 31, 9, strategy)
    return c.compress(raw) + c.flush()


def idx(magic_type: int, shape, data: bytes) -> bytes:
    header = bytes([0, 0, magic_type, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape)
    return header + data


def main():
    out = {}

    splits = []
    for n, fractions in [(10, [0.8, 0.2]), (11, [0.7, 0.2, 0.1]), (7, [0.5, 0.5]), (100, [0.33, 0.33, 0.34]),
                         (5, [0.1, 0.1, 0.8]), (1797, [0.8, 0.2])]:
        parts = random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
        splits.append({"n": n, "fractions": fractions, "lengths": [len(p) for p in parts]})
    out["random_split"] = splits

    lens = []
    for n, bs, drop in [(100, 32, True), (100, 32, False), (1000, 32, False), (64, 64, True), (63, 64, True),
                        (63, 64, False), (0, 4, False), (60000, 64, False)]:
        lens.append({"n": n, "batch_size": bs, "drop_last": drop,
                     "len": len(DataLoader(list(range(n)), batch_size=bs, drop_last=drop))})
    out["loader_len"] = lens

    rng = np.random.default_rng(0)
    text = " ".join(rng.choice(["tensor", "gradient", "loader", "batch", "epoch", "ember"], 400)).encode()
    cases = [
        {"name": "stored", "gz": gzip_with(text[:300], 0), "raw": text[:300]},
        {"name": "fixed", "gz": gzip_with(text[:300], 9, zlib.Z_FIXED), "raw": text[:300]},
        {"name": "dynamic", "gz": gzip_with(text, 9), "raw": text},
        {"name": "empty", "gz": gzip_with(b"", 6), "raw": b""},
        {"name": "long_runs", "gz": gzip_with(bytes(5000) + bytes(range(256)) * 3, 6),
         "raw": bytes(5000) + bytes(range(256)) * 3},
    ]
    buf = io.BytesIO()
    with gzip.GzipFile(filename="named.idx", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(text[:200])
    cases.append({"name": "named", "gz": buf.getvalue(), "raw": text[:200]})
    cases.append({"name": "two_members", "gz": gzip_with(text[:100], 6) + gzip_with(text[100:250], 1),
                  "raw": text[:250]})
    out["gzip"] = [{"name": c["name"], "gz": b64(c["gz"]), "raw": b64(c["raw"])} for c in cases]

    pixels = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    labels = np.array([7, 0, 9, 3], dtype=np.uint8)
    out["mnist"] = {
        "images_gz": b64(gzip.compress(idx(0x08, pixels.shape, pixels.tobytes()), mtime=0)),
        "labels_gz": b64(gzip.compress(idx(0x08, labels.shape, labels.tobytes()), mtime=0)),
        "pixels": pixels.tolist(),
        "labels": labels.tolist(),
    }

    x = rng.normal(size=(6, 3)) * np.array([1.0, 10.0, 0.1]) + np.array([0.0, 5.0, -2.0])
    x[:, 2] = 4.25  # a constant feature: scale 1 in both scalers
    out["scaler"] = {"x": x.tolist(), "mean": x.mean(0).tolist(), "std": x.std(0).tolist(),
                     "min": x.min(0).tolist(), "max": x.max(0).tolist()}

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
