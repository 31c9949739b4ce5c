#!/usr/bin/env python3
"""PyTorch's side of the Ember-vs-PyTorch benchmark.

Times the same workloads as Benchmarks/EmberBench (same shapes, iteration counts, warm-up, median
and result checks), plus references that do not go through a framework:

* ``openblas``: ``cblas_sgemm`` from the system ``libopenblas.so.0`` through ctypes, the very
  library Ember dlopens at run time (the target in issue 2 is "within 10% of OpenBLAS called
  directly");
* ``numpy``: ``numpy.matmul`` on float32, which calls the BLAS numpy was built with (pip wheels
  bundle their own OpenBLAS build; ``numpy.show_config()`` says which, and it is recorded);
* ``physicalLimits``: peak GEMM (OpenBLAS direct, 2048^3) and memory bandwidth (STREAM copy and
  triad on 2^25-float arrays through torch, all threads).

    python3 Benchmarks/pytorch_bench.py                  # human-readable table
    python3 Benchmarks/pytorch_bench.py --json           # one JSON object on stdout
    python3 Benchmarks/pytorch_bench.py --only gemm_1024,mlp_784_step --json
    python3 Benchmarks/pytorch_bench.py --rss resnet18   # peak RSS of one memory group (run it alone)
"""

import argparse
import ctypes
import ctypes.util
import json
import resource
import statistics
import sys
import time
from collections import namedtuple

import numpy as np
import torch

nn, F = torch.nn, torch.nn.functional

# prepare() builds the inputs once, checks the result once and returns the callable that is timed;
# max_repeats caps the timed batches whatever --repeats says (for the slow ResNet-18 rows).
Workload = namedtuple("Workload", "name description iterations unit metric prepare max_repeats",
                      defaults=(None,))

# The workloads each memory group runs (the same groups as Benchmarks/EmberBench/Memory.swift).
MEMORY_GROUPS = {"mlp784": ["mlp_784_step", "mlp_784_infer"], "resnet18": ["resnet18_infer", "resnet18_step"]}


def fail(message):
    sys.exit(f"pytorch_bench: {message}")


def milliseconds(seconds):
    return seconds * 1e3


def process_usage():
    """The process's CPU seconds (user and system, every thread) and context switches so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw + usage.ru_nivcsw


def measure(body, iterations, repeats):
    """One warm-up batch, then `repeats` timed batches; median seconds per call, all samples, each
    batch's CPU time over its wall time (about the cores it kept busy), and the context switches
    over the timed batches."""
    time.sleep(0.2)  # let the previous library's spinning worker threads (OpenMP, OpenBLAS) go idle
    for _ in range(iterations):
        body()
    samples, cores_busy = [], []
    switches_before = process_usage()[1]
    for _ in range(repeats):
        cpu_before = process_usage()[0]
        start = time.perf_counter_ns()
        for _ in range(iterations):
            body()
        wall = (time.perf_counter_ns() - start) * 1e-9
        samples.append(wall / iterations)
        cores_busy.append((process_usage()[0] - cpu_before) / wall)
    return statistics.median(samples), samples, cores_busy, process_usage()[1] - switches_before


def run(workload, repeats):
    """Prepares and measures a workload; returns its result record."""
    repeats = min(repeats, workload.max_repeats or repeats)
    median, samples, cores_busy, switches = measure(workload.prepare(), workload.iterations, repeats)
    return {
        "name": workload.name,
        "description": workload.description,
        "secondsPerIteration": median,
        "value": workload.metric(median),
        "unit": workload.unit,
        "iterations": workload.iterations,
        "repeats": repeats,
        "samples": samples,
        "coresBusy": cores_busy,
        "contextSwitches": switches,
    }


def check_matmul(a, b, c, label):
    expected = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    if not np.all(np.abs(c.astype(np.float64) - expected) <= 1e-5 * scale + 1e-5):
        fail(f"{label} matmul result is wrong")


# --- micro ---------------------------------------------------------------------------------------

GEMMS = [(1024, 1024, 1024, 3), (64, 784, 256, 50)]  # m, k, n, iterations


def gemm_name(m, k, n):
    return f"gemm_{m}" if m == k == n else f"gemm_{m}x{k}x{n}"


def gemm(m, k, n, iterations):
    def prepare():
        a, b = torch.randn(m, k), torch.randn(k, n)
        check_matmul(a.numpy(), b.numpy(), torch.matmul(a, b).numpy(), "torch")
        return lambda: torch.matmul(a, b)
    return Workload(gemm_name(m, k, n), f"float32 matmul [{m}, {k}] x [{k}, {n}]", iterations, "GFLOP/s",
                    lambda seconds: 2.0 * m * k * n / seconds / 1e9, prepare)


def elementwise_add(count, iterations):
    def prepare():
        a, b = torch.randn(count), torch.randn(count)
        if not torch.equal(a + b, torch.from_numpy(a.numpy() + b.numpy())):
            fail("torch a + b is wrong")
        return lambda: a + b
    return Workload("add_1M", f"float32 a + b, {count} elements (GB/s counts 3 arrays x 4 bytes)", iterations,
                    "GB/s", lambda seconds: 3 * 4 * count / seconds / 1e9, prepare)


def tiny_autograd_op(iterations):
    def prepare():
        a, b = torch.randn(1, requires_grad=True), torch.randn(1, requires_grad=True)
        if not (a + b).requires_grad:
            fail("a + b did not record autograd history")
        return lambda: a + b
    return Workload("tiny_add_autograd", "a + b on 1-element float32 tensors with requires_grad (graph recorded)",
                    iterations, "ns/op", lambda seconds: seconds * 1e9, prepare)


# --- training steps (Benchmarks/EmberBench/TrainingSteps.swift) ----------------------------------


def training_step(name, description, iterations, make_step, max_repeats=None):
    """Before it is timed, the step must learn: six steps on one batch give finite losses, the last
    below the first (not fewer: Adam's first steps on a fresh model can overshoot)."""
    def prepare():
        step = make_step()
        losses = [step().item() for _ in range(6)]
        if not (all(np.isfinite(losses)) and losses[5] < losses[0]):
            fail(f"{name}: six steps on one batch gave losses {losses}; the step does not learn")
        return step
    return Workload(name, description, iterations, "ms/step", milliseconds, prepare, max_repeats)


def step(model, x, y=None, loss=None, optimizer=None):
    """One step of `model` on `(x, y)` with `loss`, through `optimizer` (Adam with lr 1e-3 if None)."""
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-3)

    def body():
        optimizer.zero_grad()
        value = loss(model(x), y)
        value.backward()
        optimizer.step()
        return value.detach()
    return body


def mean_square(output, _):
    """The loss of the recurrent steps: the mean square of the output sequence (nn.RNN, nn.LSTM
    and nn.GRU return (output, state))."""
    output = output[0] if isinstance(output, tuple) else output
    return output.pow(2).mean()


class CNNRNN(nn.Module):
    """The seed's hybrid model: the batch of images read as one unbatched sequence by an RNN."""

    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        self.rnn = nn.RNN(32 * 13 * 13, 128, batch_first=True)

    def forward(self, x):
        x = self.cnn(x)
        x = x.view(x.size(0), -1)
        output, _ = self.rnn(x)
        return output


class LeNet5(nn.Module):
    """The LeNet-5 of Sources/EmberVision/LeNet.swift (PyTorch's "Neural Networks" tutorial)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def seed_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 13 * 13, 10))


def recurrent_step(module):
    return step(module, torch.randn(64, 32, 64), loss=mean_square)


def resnet18_step():
    import torchvision  # only the ResNet rows pay for it (it matters for the peak memory)
    model = torchvision.models.resnet18()
    return step(model, torch.randn(16, 3, 64, 64), torch.randint(0, 1000, (16,)), F.cross_entropy,
                torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))


def adam_one_million():
    """Checks the first Adam step: every element moves by lr * g / (|g| + eps)."""
    def prepare():
        p = torch.nn.Parameter(torch.randn(1_000_000))
        p.grad = torch.randn(1_000_000)
        optimizer = torch.optim.Adam([p], lr=1e-3)
        before = p.detach().clone()
        optimizer.step()
        expected = before - 1e-3 * p.grad / (p.grad.abs() + 1e-8)
        if not torch.allclose(p.detach(), expected, rtol=0, atol=1e-6):
            fail("adam_step_1M: the first step is wrong")
        return optimizer.step
    return Workload("adam_step_1M", "Adam step over 1,000,000 float32 parameters", 50, "ms/step", milliseconds,
                    prepare)


def training_workloads():
    return [
        adam_one_million(),
        training_step("mlp_seed_step", "seed MLP 20-64-64-1, batch 32, MSE, Adam", 500, lambda: step(
            nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)),
            torch.randn(32, 20), torch.randn(32, 1), F.mse_loss)),
        training_step("mlp_784_step", "MLP 784-256-10, batch 64, cross-entropy, Adam", 100, lambda: step(
            nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)),
            torch.randn(64, 784), torch.randint(0, 10, (64,)), F.cross_entropy)),
        training_step("cnn_seed_step", "seed CNN conv(1,32,3)-relu-maxpool(2)-linear, batch 64, 1x28x28", 10,
                      lambda: step(seed_cnn(), torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)),
                                   F.cross_entropy)),
        training_step("lenet5_step", "LeNet-5 (EmberVision), batch 64, 1x28x28, cross-entropy, Adam", 20,
                      lambda: step(LeNet5(), torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)),
                                   F.cross_entropy)),
        training_step("cnnrnn_step",
                      "seed CNN+RNN, 64 images 1x28x28 as one sequence, RNN(5408, 128), mean square, Adam", 10,
                      lambda: step(CNNRNN(), torch.randn(64, 1, 28, 28), loss=mean_square)),
        training_step("rnn_step", "RNN (tanh) input 64, hidden 128, sequence 32, batch 64, Adam", 10,
                      lambda: recurrent_step(nn.RNN(64, 128, batch_first=True))),
        training_step("lstm_step", "LSTM input 64, hidden 128, sequence 32, batch 64 (batch first), Adam", 5,
                      lambda: recurrent_step(nn.LSTM(64, 128, batch_first=True))),
        training_step("gru_step", "GRU input 64, hidden 128, sequence 32, batch 64, Adam", 5,
                      lambda: recurrent_step(nn.GRU(64, 128, batch_first=True))),
        training_step("resnet18_step",
                      "ResNet-18 train mode, batch 16, 3x64x64, cross-entropy, SGD lr 0.01 momentum 0.9", 1,
                      resnet18_step, max_repeats=3),
    ]


# --- inference (Benchmarks/EmberBench/Inference.swift) -------------------------------------------


def inference(name, description, iterations, output_shape, build, max_repeats=None):
    """`model` in eval mode on `x` under no_grad. Before it is timed, the output must have
    `output_shape`, be finite, record no graph, and pass `agrees` (the same outputs computed another way)."""
    def prepare():
        model, x, agrees = build()
        model.eval()
        with torch.no_grad():
            output = model(x)
            if list(output.shape) != output_shape or output.requires_grad or not torch.isfinite(output).all():
                fail(f"{name}: output of shape {list(output.shape)}, expected {output_shape}, finite, without grad")
            if not agrees(output):
                fail(f"{name}: the output differs from the same outputs computed another way")

        def body():
            with torch.no_grad():
                return model(x)
        return body
    return Workload(name, description, iterations, "ms/batch", milliseconds, prepare, max_repeats)


def mlp_784_inference():
    fc1, fc2 = nn.Linear(784, 256), nn.Linear(256, 10)
    x = torch.randn(1024, 784)
    spelled_out = F.relu(x.matmul(fc1.weight.t()) + fc1.bias).matmul(fc2.weight.t()) + fc2.bias
    return nn.Sequential(fc1, nn.ReLU(), fc2), x, lambda output: torch.allclose(output, spelled_out, 1e-4, 1e-4)


def resnet18_inference():
    import torchvision
    model = torchvision.models.resnet18()
    x = torch.randn(8, 3, 224, 224)
    # The last image alone gives the batch's last row (eval-mode BatchNorm uses running statistics).
    return model, x, lambda output: torch.allclose(output[7:8], model(x[7:8]), 1e-3, 1e-3)


def inference_workloads():
    return [
        inference("mlp_784_infer", "MLP 784-256-10 inference, batch 1024, eval, no grad", 20, [1024, 10],
                  mlp_784_inference),
        inference("resnet18_infer", "ResNet-18 inference, batch 8, 3x224x224, eval, no grad", 1, [8, 1000],
                  resnet18_inference, max_repeats=3),
    ]


# --- epochs (Benchmarks/EmberBench/Epochs.swift) -------------------------------------------------


def epoch(name, description, prepare):
    return Workload(name, description, 1, "ms/epoch", milliseconds, prepare)


def mlp_seed_epoch():
    """The seed's regression loop over 10,000 rows, batch 32, shuffled; target x0 + x1."""
    x = torch.randn(10_000, 20)
    y = (x[:, 0:1] + x[:, 1:2]).contiguous()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train():
        model.train()
        total = 0.0
        for batch_x, batch_y in loader:
            loss = criterion(model(batch_x), batch_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        return total / len(loader)

    first, second = train(), train()
    if not (np.isfinite(first) and second < first):
        fail(f"mlp_seed_epoch: mean losses {first} then {second}; the loop does not learn")
    return train


def dataloader_epoch():
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.randn(60_000, 784), torch.randint(0, 10, (60_000,))),
        batch_size=64, shuffle=True)

    def rows():
        return sum(x.shape[0] for x, _ in loader)

    if rows() != 60_000:
        fail("dataloader_epoch: an epoch did not yield 60000 rows")
    return rows


def epoch_workloads():
    return [
        epoch("mlp_seed_epoch", "seed MLP 20-64-64-1 regression, one epoch of 10000 rows, shuffled DataLoader batch 32",
              mlp_seed_epoch),
        epoch("dataloader_epoch", "one shuffled epoch, TensorDataset 60000x784 float32, batch 64", dataloader_epoch),
    ]


def all_workloads():
    """Every workload, in the order of the table (the same order as ember-bench)."""
    micro = [gemm(*g) for g in GEMMS] + [elementwise_add(1_000_000, 100), tiny_autograd_op(100_000)]
    return micro + training_workloads() + inference_workloads() + epoch_workloads()


# --- peak memory ---------------------------------------------------------------------------------


def proc_status_mb(field):
    """A kB field of /proc/self/status (VmRSS, VmHWM), in MB (10^6 bytes)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6
    fail(f"no {field} in /proc/self/status")


def peak_memory(group):
    """Builds, checks and runs one batch of each workload of `group`, then reads the peak RSS."""
    workloads = {w.name: w for w in all_workloads()}
    start = proc_status_mb("VmRSS")
    for name in MEMORY_GROUPS[group]:
        workload = workloads[name]
        body = workload.prepare()
        for _ in range(workload.iterations):
            body()
        del body
    return {"framework": "pytorch", "group": group, "workloads": MEMORY_GROUPS[group], "startRSSMB": start,
            "peakRSSMB": proc_status_mb("VmHWM")}


# --- BLAS called directly, and the machine's physical limits ---------------------------------------


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


def gemm_reference(label, m, k, n, iterations, make_call):
    """A GEMM reference workload: `make_call(a, b)` returns (the call, a function giving its result)."""
    def prepare():
        rng = np.random.default_rng(0)
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        call, result = make_call(a, b)
        call()
        check_matmul(a, b, result(), label)
        return call
    return Workload(gemm_name(m, k, n), f"{label} float32 [{m}, {k}] x [{k}, {n}]", iterations, "GFLOP/s",
                    lambda seconds: 2.0 * m * k * n / seconds / 1e9, prepare)


def numpy_matmul(a, b):
    out = {}

    def call():
        out["c"] = np.matmul(a, b)
    return call, lambda: out["c"]


def cblas_sgemm(lib):
    def make_call(a, b):  # C = A·B into a preallocated C, as a BLAS caller would
        (m, k), n = a.shape, b.shape[1]
        c = np.empty((m, n), dtype=np.float32)
        fp = ctypes.POINTER(ctypes.c_float)
        pa, pb, pc = (x.ctypes.data_as(fp) for x in (a, b, c))
        one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        row_major, no_trans = 101, 111
        return (lambda: lib.cblas_sgemm(row_major, no_trans, no_trans, m, n, k, one, pa, k, pb, n, zero, pc, n),
                lambda: c)
    return make_call


def stream(kind, count, iterations):
    """STREAM-style bandwidth through torch on all threads: copy (b = a, 2 arrays of traffic) or
    triad (a = b + 3 c, 3 arrays); arrays of `count` float32, far larger than the caches."""
    arrays = 2 if kind == "copy" else 3

    def prepare():
        a, b, c = torch.randn(count), torch.randn(count), torch.randn(count)
        if kind == "copy":
            b.copy_(a)
            if not torch.equal(a, b):
                fail("stream copy is wrong")
            return lambda: b.copy_(a)
        torch.add(b, c, alpha=3.0, out=a)
        if not torch.allclose(a, b + 3.0 * c, rtol=1e-6, atol=1e-5):
            fail("stream triad is wrong")
        return lambda: torch.add(b, c, alpha=3.0, out=a)
    return Workload(f"stream_{kind}", f"STREAM {kind}, {count} float32 per array, torch, "
                    f"{torch.get_num_threads()} threads (GB/s counts {arrays} arrays x 4 bytes)",
                    iterations, "GB/s", lambda seconds: arrays * 4 * count / seconds / 1e9, prepare)


def bench_references(repeats):
    lib, openblas = load_openblas()
    out = {"numpyBLAS": numpy_blas_info(), "openblasInfo": openblas,
           "numpy": [run(gemm_reference("numpy.matmul", *g, numpy_matmul), repeats) for g in GEMMS],
           "openblas": [run(gemm_reference("cblas_sgemm via ctypes", *g, cblas_sgemm(lib)), repeats)
                        for g in GEMMS] if lib else []}
    limits = [stream("copy", 1 << 25, 10), stream("triad", 1 << 25, 10)]
    if lib:
        limits.insert(0, gemm_reference("peak: cblas_sgemm via ctypes", 2048, 2048, 2048, 2, cblas_sgemm(lib)))
    out["physicalLimits"] = [run(w, repeats) for w in limits]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=7, help="timed batches per workload (default 7)")
    parser.add_argument("--only", help="comma-separated workloads to run (no BLAS references then)")
    parser.add_argument("--rss", choices=sorted(MEMORY_GROUPS), help="report the peak RSS of one memory group")
    parser.add_argument("--list", action="store_true", help="list the workloads")
    args = parser.parse_args()
    torch.manual_seed(0)
    workloads = all_workloads()
    if args.list:
        print("\n".join(w.name for w in workloads))
        return
    if args.rss:
        print(json.dumps(peak_memory(args.rss), sort_keys=True))
        return

    report = {
        "framework": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "numpyVersion": np.__version__,
        "torchBLAS": "MKL" if torch.backends.mkl.is_available() else "other (see torch.__config__.show())",
    }
    if args.only:
        only = set(args.only.split(","))
        if only - {w.name for w in workloads}:
            fail(f"unknown workloads {sorted(only - {w.name for w in workloads})} (see --list)")
        workloads = [w for w in workloads if w.name in only]
    else:
        report["blasDirect"] = bench_references(args.repeats)  # before torch starts its OpenMP threads
    report["results"] = [run(w, args.repeats) for w in workloads]
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return
    print(f"PyTorch {report['version']}, {report['threads']} threads")
    rows = [("torch", r) for r in report["results"]]
    if "blasDirect" in report:
        direct = report["blasDirect"]
        rows += [(f"{src} direct", r) for src in ("openblas", "numpy") for r in direct[src]]
        rows += [("limit", r) for r in direct["physicalLimits"]]
    for label, r in rows:
        seconds = r["secondsPerIteration"]
        time_text = f"{seconds * 1e3:.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3f} us"
        print(f"{label:16}{r['name']:20}{time_text:>14}  {r['value']:10.2f} {r['unit']}")


if __name__ == "__main__":
    main()
