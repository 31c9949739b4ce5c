#!/usr/bin/env python3
"""PyTorch's side of the Ember-vs-PyTorch benchmark.

Times the same workloads as Benchmarks/EmberBench/main.swift, with the same iteration counts,
warm-up and median, plus two "BLAS called directly" references for the GEMMs:

* ``openblas``: ``cblas_sgemm`` from the system ``libopenblas.so.0`` through ctypes, the very
  library Ember dlopens at run time (the target in issue 2 is "within 10% of OpenBLAS called
  directly");
* ``numpy``: ``numpy.matmul`` on float32, which calls the BLAS numpy was built with (pip wheels
  bundle their own OpenBLAS build; ``numpy.show_config()`` says which, and it is recorded).

    python3 Benchmarks/pytorch_bench.py            # human-readable table
    python3 Benchmarks/pytorch_bench.py --json     # one JSON object on stdout
"""

import argparse
import ctypes
import ctypes.util
import json
import statistics
import sys
import time

import numpy as np
import torch

GEMMS = [(1024, 1024, 1024, 3), (64, 784, 256, 50)]  # m, k, n, iterations
ADD_COUNT, ADD_ITERATIONS = 1_000_000, 100
TINY_ITERATIONS = 100_000


def gemm_name(m, k, n):
    return f"gemm_{m}" if m == k == n else f"gemm_{m}x{k}x{n}"


def measure(body, iterations, repeats):
    """One warm-up batch, then `repeats` timed batches; median seconds per call, and all samples."""
    time.sleep(0.2)  # let the previous library's spinning worker threads (OpenMP, OpenBLAS) go idle
    for _ in range(iterations):
        body()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            body()
        samples.append((time.perf_counter_ns() - start) * 1e-9 / iterations)
    return statistics.median(samples), samples


def result(name, description, iterations, repeats, median, samples, value, unit):
    return {
        "name": name,
        "description": description,
        "secondsPerIteration": median,
        "value": value,
        "unit": unit,
        "iterations": iterations,
        "repeats": repeats,
        "samples": samples,
    }


def check_matmul(a, b, c, label):
    expected = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    if not np.all(np.abs(c.astype(np.float64) - expected) <= 1e-5 * scale + 1e-5):
        sys.exit(f"pytorch_bench: {label} matmul result is wrong")


# --- PyTorch -------------------------------------------------------------------------------------


def bench_torch(repeats):
    torch.manual_seed(0)
    out = []
    for m, k, n, iterations in GEMMS:
        a, b = torch.randn(m, k), torch.randn(k, n)
        check_matmul(a.numpy(), b.numpy(), torch.matmul(a, b).numpy(), "torch")
        median, samples = measure(lambda: torch.matmul(a, b), iterations, repeats)
        flops = 2.0 * m * k * n
        out.append(result(gemm_name(m, k, n), f"float32 matmul [{m}, {k}] x [{k}, {n}]", iterations,
                          repeats, median, samples, flops / median / 1e9, "GFLOP/s"))

    a, b = torch.randn(ADD_COUNT), torch.randn(ADD_COUNT)
    if not torch.equal(a + b, torch.from_numpy(a.numpy() + b.numpy())):
        sys.exit("pytorch_bench: torch a + b is wrong")
    median, samples = measure(lambda: a + b, ADD_ITERATIONS, repeats)
    out.append(result("add_1M", f"float32 a + b, {ADD_COUNT} elements (GB/s counts 3 arrays x 4 bytes)",
                      ADD_ITERATIONS, repeats, median, samples, 3 * 4 * ADD_COUNT / median / 1e9, "GB/s"))

    a = torch.randn(1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    assert (a + b).requires_grad
    median, samples = measure(lambda: a + b, TINY_ITERATIONS, repeats)
    out.append(result("tiny_add_autograd",
                      "a + b on 1-element float32 tensors with requires_grad (graph recorded)",
                      TINY_ITERATIONS, repeats, median, samples, median * 1e9, "ns/op"))
    out.extend(bench_training_steps(repeats))
    return out


def adam_step(model, x, y, loss):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss(model(x), y).backward()
        optimizer.step()
    return step


def bench_training_steps(repeats):
    """The training-step workloads of Benchmarks/EmberBench/TrainingSteps.swift, same shapes and counts."""
    nn, F = torch.nn, torch.nn.functional
    p = torch.nn.Parameter(torch.randn(1_000_000))
    p.grad = torch.randn(1_000_000)
    adam = torch.optim.Adam([p], lr=1e-3)
    lstm = nn.LSTM(64, 128, batch_first=True)
    lstm_x = torch.randn(64, 32, 64)
    lstm_opt = torch.optim.Adam(lstm.parameters(), lr=1e-3)

    def lstm_step():
        lstm_opt.zero_grad()
        output, _ = lstm(lstm_x)
        output.pow(2).mean().backward()
        lstm_opt.step()

    steps = [
        ("adam_step_1M", "Adam step over 1,000,000 float32 parameters", 50, adam.step),
        ("mlp_seed_step", "seed MLP 20-64-64-1, batch 32, MSE, Adam", 500,
         adam_step(nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)),
                   torch.randn(32, 20), torch.randn(32, 1), F.mse_loss)),
        ("mlp_784_step", "MLP 784-256-10, batch 64, cross-entropy, Adam", 100,
         adam_step(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)),
                   torch.randn(64, 784), torch.randint(0, 10, (64,)), F.cross_entropy)),
        ("cnn_seed_step", "seed CNN conv(1,32,3)-relu-maxpool(2)-linear, batch 64, 1x28x28", 10,
         adam_step(nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 13 * 13, 10)),
                   torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)), F.cross_entropy)),
        ("lstm_step", "LSTM input 64, hidden 128, sequence 32, batch 64 (batch first), Adam", 5, lstm_step),
    ]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.randn(60_000, 784), torch.randint(0, 10, (60_000,))),
        batch_size=64, shuffle=True)

    def epoch():
        rows = 0
        for x, _ in loader:
            rows += x.shape[0]

    steps.append(("dataloader_epoch", "one shuffled epoch, TensorDataset 60000x784 float32, batch 64", 1, epoch))
    out = []
    for name, description, iterations, body in steps:
        median, samples = measure(body, iterations, repeats)
        unit = "ms/epoch" if name == "dataloader_epoch" else "ms/step"
        out.append(result(name, description, iterations, repeats, median, samples, median * 1e3, unit))
    return out


# --- BLAS called directly ------------------------------------------------------------------------


def numpy_blas_info():
    """Which BLAS numpy uses, from numpy.show_config() (numpy >= 1.25 has mode='dicts')."""
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return {
            "name": blas.get("name"),
            "version": blas.get("version"),
            "config": blas.get("openblas configuration"),
            "isOpenBLAS": "openblas" in str(blas.get("name", "")).lower(),
        }
    except TypeError:  # older numpy: show_config() only prints
        return {"name": "unknown (numpy < 1.25)", "version": None, "config": None, "isOpenBLAS": None}


def load_openblas():
    """The system OpenBLAS, found the way Ember finds it (dlopen of libopenblas.so.0 first)."""
    for name in ["libopenblas.so.0", "libopenblas.so", ctypes.util.find_library("openblas")]:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.cblas_sgemm  # noqa: B018 (raises AttributeError when absent)
        except (OSError, AttributeError):
            continue
        info = {"library": name}
        try:
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["config"] = lib.openblas_get_config().decode()
            info["threads"] = lib.openblas_get_num_threads()
        except AttributeError:
            pass
        return lib, info
    return None, {"library": None}


def bench_blas_direct(repeats):
    rng = np.random.default_rng(0)
    lib, openblas = load_openblas()
    out = {"numpy": [], "openblas": [], "numpyBLAS": numpy_blas_info(), "openblasInfo": openblas}
    for m, k, n, iterations in GEMMS:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        flops = 2.0 * m * k * n
        name = gemm_name(m, k, n)

        check_matmul(a, b, np.matmul(a, b), "numpy")
        median, samples = measure(lambda: np.matmul(a, b), iterations, repeats)
        out["numpy"].append(result(name, f"numpy.matmul float32 [{m}, {k}] x [{k}, {n}]", iterations,
                                   repeats, median, samples, flops / median / 1e9, "GFLOP/s"))

        if lib is None:
            continue
        c = np.empty((m, n), dtype=np.float32)
        fp = ctypes.POINTER(ctypes.c_float)
        pa, pb, pc = (x.ctypes.data_as(fp) for x in (a, b, c))
        one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        row_major, no_trans = 101, 111

        def sgemm():  # C = A·B into a preallocated C, as a BLAS caller would
            lib.cblas_sgemm(row_major, no_trans, no_trans, m, n, k, one, pa, k, pb, n, zero, pc, n)

        sgemm()
        check_matmul(a, b, c, "cblas_sgemm")
        median, samples = measure(sgemm, iterations, repeats)
        out["openblas"].append(result(name, f"cblas_sgemm float32 [{m}, {k}] x [{k}, {n}] via ctypes",
                                      iterations, repeats, median, samples, flops / median / 1e9, "GFLOP/s"))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches per workload (default 7)")
    args = parser.parse_args()

    report = {
        "framework": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "numpyVersion": np.__version__,
        "torchBLAS": "MKL" if torch.backends.mkl.is_available() else "other (see torch.__config__.show())",
    }
    report["blasDirect"] = bench_blas_direct(args.repeats)  # before torch starts its OpenMP threads
    report["results"] = bench_torch(args.repeats)
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return
    print(f"PyTorch {report['version']}, {report['threads']} threads; numpy BLAS: {report['blasDirect']['numpyBLAS']}")
    rows = [("torch", r) for r in report["results"]]
    rows += [(f"{src} direct", r) for src in ("openblas", "numpy") for r in report["blasDirect"][src]]
    for label, r in rows:
        seconds = r["secondsPerIteration"]
        time_text = f"{seconds * 1e3:.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3f} us"
        print(f"{label:16}{r['name']:20}{time_text:>14}  {r['value']:10.2f} {r['unit']}")


if __name__ == "__main__":
    main()
