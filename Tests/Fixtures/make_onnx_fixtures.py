"""Writes Tests/Fixtures/onnx/tiny_mlp.onnx with the reference `onnx` package (protobuf's own
encoder), for the byte-for-byte check of Ember's ONNX writer (ONNXExportTests).

The model is what Ember exports for `Sequential(Linear(3, 2), ReLU())` with the weights below:
Gemm(transB=1) then Relu, initializers named by state-dict keys, input "input" and output
"output" with a dynamic first dimension "batch", opset 17, IR version 8, producer "Ember".
The file is then checked with onnx.checker and run in ONNX Runtime when it is installed.

Run from the repository root: python3 Tests/Fixtures/make_onnx_fixtures.py
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHT = np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.75]], dtype=np.float32)
BIAS = np.array([0.1, -0.2], dtype=np.float32)


def tiny_mlp():
    gemm = helper.make_node("Gemm", ["input", "0.weight", "0.bias"], ["0/Gemm_output_0"], name="0/Gemm", transB=1)
    relu = helper.make_node("Relu", ["0/Gemm_output_0"], ["output"], name="1/Relu")
    graph = helper.make_graph(
        [gemm, relu],
        "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 2])],
        initializer=[numpy_helper.from_array(WEIGHT, "0.weight"), numpy_helper.from_array(BIAS, "0.bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="Ember")
    model.ir_version = 8
    return model


def main():
    model = tiny_mlp()
    onnx.checker.check_model(model, full_check=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx", "tiny_mlp.onnx")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(model.SerializeToString())
    try:
        import onnxruntime
    except ImportError:
        return
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], dtype=np.float32)
    session = onnxruntime.InferenceSession(out, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"input": x})
    assert np.allclose(y, np.maximum(x @ WEIGHT.T + BIAS, 0)), y


if __name__ == "__main__":
    main()
