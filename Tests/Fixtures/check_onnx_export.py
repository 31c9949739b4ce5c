"""Runs the ONNX files Ember exported in ONNX Runtime and compares their outputs with Ember's.

Write the cases first (each <name>.onnx with <name>.safetensors holding "input" and Ember's
"output"), then check them:

    EMBER_ONNX_DIR=/tmp/ember_onnx swift test --filter "runtimeComparisonCases"
    python3 Tests/Fixtures/check_onnx_export.py /tmp/ember_onnx

For every case: onnx.checker.check_model(full_check=True) (which also runs shape inference),
ONNX Runtime on the example input, the maximum absolute difference to Ember's output relative to
the output's largest magnitude (must be <= 1e-5), and the input repeated along the batch
dimension (the batch dimension is dynamic: the outputs must repeat too). Exits non-zero on any
failure. Needs numpy, onnx and onnxruntime (not torch); CI need not run it.
"""

import json
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime

TOLERANCE = 1e-5


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(entry["shape"])
    return tensors


def check(directory, name):
    path = os.path.join(directory, name + ".onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    tensors = read_safetensors(os.path.join(directory, name + ".safetensors"))
    x, expected = tensors["input"], tensors["output"]
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, {"input": x})
    scale = max(float(np.abs(expected).max()), 1e-30)
    diff = float(np.abs(actual.astype(np.float64) - expected).max()) if actual.shape == expected.shape else float("inf")
    relative = diff / scale
    (doubled,) = session.run(None, {"input": np.concatenate([x, x])})
    batch_ok = doubled.shape[0] == 2 * actual.shape[0] and np.allclose(
        doubled, np.concatenate([actual, actual]), rtol=0, atol=1e-6 * scale
    )
    ops = len(model.graph.node)
    ok = relative <= TOLERANCE and batch_ok
    print(
        f"{'ok  ' if ok else 'FAIL'} {name:16s} nodes={ops:3d} output={list(expected.shape)} "
        f"max|diff|={diff:.3e} max|out|={scale:.3e} relative={relative:.3e} dynamic-batch={'ok' if batch_ok else 'FAIL'}"
    )
    return ok


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ember_onnx"
    names = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".onnx"))
    if not names:
        sys.exit(f"no .onnx files in {directory}")
    print(f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, tolerance {TOLERANCE} relative")
    results = [check(directory, name) for name in names]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
