#!/usr/bin/env python3
"""Turns the outputs of one Benchmarks/run.sh run into Markdown tables and Benchmarks/results.json.

    python3 Benchmarks/summarize.py WORK_DIR DESTINATION

WORK_DIR holds ember.out and pytorch.out (one JSON line per pass of the speed runs, the sides
alternating), memory.out (one JSON line per memory group and side), ember-pairs.out and
pytorch-pairs.out (one JSON line per process of the alternating pairs), ember-idle-rounds.out,
ember-busy.out, pytorch-idle-rounds.out and pytorch-busy.out (one JSON line per pass of the busy
rounds: an idle pass and one next to a busy process), busy (the CPU use measured before the run)
and swift-version.
"""

import datetime
import json
import os
import platform
import statistics
import sys

# Issue 8's targets: ratio = PyTorch time / Ember time (higher is better); gemm rows compare Ember
# with OpenBLAS called directly (issue 2: within 10%).
TARGETS = {
    "mlp_seed_epoch": 3.0, "mlp_seed_step": 3.0,
    "mlp_784_step": 1.3, "mlp_784_infer": 1.0,
    "cnn_seed_step": 1.0, "lenet5_step": 1.0,
    "cnnrnn_step": 1.5, "rnn_step": 1.5, "lstm_step": 1.5, "gru_step": 1.5,
    "resnet18_infer": 1.0, "resnet18_step": 0.9,
    "tiny_add_autograd": 5.0, "adam_step_1M": 1.5,
}
GEMM_TARGET = 0.9  # Ember / OpenBLAS direct
MEMORY_TARGET = 1.0  # PyTorch peak RSS / Ember peak RSS
BUSY_TARGET = 2.0  # Ember's slowdown next to one busy process
PAIRED_TARGETS = {**TARGETS, "add_1M": 1.0}  # add_1M: issue 2, at least PyTorch's GB/s


def json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f.read().splitlines() if line.startswith("{")]


def reports(path):
    """One report per line that parses as JSON; anything else printed is ignored."""
    lines = json_lines(path)
    if not lines:
        sys.exit(f"summarize: no JSON report in {path}")
    return lines


def by_name(results):
    return {r["name"]: r for r in results}


def fmt(r):
    if r is None:
        return "n/a"
    value = r["value"]
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {r['unit']}"


def verdict(value, target, higher_is_better=True):
    if value is None or target is None:
        return ""
    return "yes" if (value >= target if higher_is_better else value <= target) else "**no**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    return lines + ["| " + " | ".join(cells) + " |" for cells in rows]


def ratio(numerator, denominator):
    return numerator["secondsPerIteration"] / denominator["secondsPerIteration"] if numerator and denominator else None


def times(value):
    return f"{value:.2f}x" if value is not None else "n/a"


def median_result(results):
    """The median value of one workload's results over the passes, in their unit."""
    known = [r for r in results if r]
    return {"value": statistics.median(r["value"] for r in known), "unit": known[0]["unit"]} if known else None


def median_ratio(ratios):
    known = [r for r in ratios if r is not None]
    return statistics.median(known) if known else None


def speed_table(embers, torches):
    """One row per workload over the alternating passes: each pass's ratio and their median, the verdict."""
    e = [by_name(r["results"]) for r in embers]
    t = [by_name(r["results"]) for r in torches]
    openblas = [by_name(r["blasDirect"]["openblas"]) for r in torches]
    numpy_ = [by_name(r["blasDirect"]["numpy"]) for r in torches]
    names = [r["name"] for r in embers[0]["results"]] + [n for n in t[0] if n not in e[0]]
    rows, cells = [], []
    for name in names:
        er, tr = [p.get(name) for p in e], [p.get(name) for p in t]
        ob, nb = [p.get(name) for p in openblas], [p.get(name) for p in numpy_]
        ratios = [ratio(x, y) for x, y in zip(tr, er)]
        direct = [ratio(x, y) for x, y in zip(ob, er)] if any(ob) else None
        row = {"workload": name, "ember": er, "pytorch": tr, "ratios": ratios, "ratio": median_ratio(ratios),
               "target": TARGETS.get(name)}
        if direct:
            row.update(target=GEMM_TARGET, openblasDirect=ob, numpyDirect=nb, emberVsOpenblasDirect=direct,
                       medianEmberVsOpenblasDirect=median_ratio(direct))
            judged, target = row["medianEmberVsOpenblasDirect"], f"≥ {GEMM_TARGET} of OpenBLAS"
        else:
            judged, target = row["ratio"], f"≥ {row['target']}" if row["target"] else ""
        met = verdict(judged, row["target"])
        rows.append(row)
        cells.append([name, fmt(median_result(er)), fmt(median_result(tr)), ", ".join(times(r) for r in ratios),
                      times(row["ratio"]), target, met, fmt(median_result(ob)) if direct else "",
                      ", ".join(times(r) for r in direct) if direct else "",
                      times(judged) if direct else "",
                      fmt(median_result(nb)) if any(nb) else ""])
    numpy_blas = torches[0]["blasDirect"]["numpyBLAS"]
    numpy_label = f"numpy ({numpy_blas.get('name')} {numpy_blas.get('version') or ''})".replace(" )", ")")
    header = ["workload", "Ember", "PyTorch", "ratio (PyTorch time / Ember time), each pass", "median ratio",
              "target", "met", "OpenBLAS direct (lib Ember loads)", "Ember / OpenBLAS direct, each pass",
              "median", numpy_label]
    return rows, table(header, cells)


def memory_table(memory):
    rows, cells = [], []
    groups = {}
    for record in memory:
        groups.setdefault(record["group"], {})[record["framework"]] = record
    for group, sides in groups.items():
        e, t = sides.get("ember"), sides.get("pytorch")
        value = t["peakRSSMB"] / e["peakRSSMB"] if e and t else None
        rows.append({"group": group, "ember": e, "pytorch": t, "ratio": value, "target": MEMORY_TARGET})
        mb = [f"{side[key]:.0f} MB" if side else "n/a" for side in (e, t) for key in ("peakRSSMB", "startRSSMB")]
        workloads = ", ".join((e or t)["workloads"])
        cells.append([f"{group} ({workloads})", mb[0], mb[1], mb[2], mb[3], times(value), f"≥ {MEMORY_TARGET}",
                      verdict(value, MEMORY_TARGET)])
    header = ["group", "Ember peak RSS", "Ember at start", "PyTorch peak RSS", "PyTorch at start",
              "ratio (PyTorch peak / Ember peak)", "target", "met"]
    return rows, table(header, cells)


def slowdowns(idle_rounds, busy_rounds, name):
    """Each round's busy time / idle time for one workload, and their median."""
    values = [ratio(by_name(b["results"]).get(name), by_name(i["results"]).get(name))
              for i, b in zip(idle_rounds, busy_rounds)]
    return values, median_ratio(values)


def busy_table(ember_idle, ember_busy, torch_idle, torch_busy):
    """One row per workload of the busy rounds: each round's slowdown and their median, per side."""
    rows, cells = [], []
    for name in by_name(ember_busy[0]["results"]) if ember_busy else []:
        ember_values, ember_median = slowdowns(ember_idle, ember_busy, name)
        torch_values, torch_median = slowdowns(torch_idle, torch_busy, name)
        rows.append({"workload": name, "emberSlowdowns": ember_values, "emberSlowdown": ember_median,
                     "pytorchSlowdowns": torch_values, "pytorchSlowdown": torch_median, "target": BUSY_TARGET})
        cells.append([name, ", ".join(times(v) for v in ember_values), times(ember_median),
                      ", ".join(times(v) for v in torch_values), times(torch_median), f"≤ {BUSY_TARGET}x",
                      verdict(ember_median, BUSY_TARGET, higher_is_better=False)])
    header = ["workload", "Ember slowdown, each round", "Ember median", "PyTorch slowdown, each round",
              "PyTorch median", "target (Ember)", "met"]
    return rows, table(header, cells)


def paired_table(ember_pairs, torch_pairs):
    """One row per workload of the alternating pairs: the ratio of each pair and their median."""
    rows, cells = [], []
    for name in by_name(ember_pairs[0]["results"]) if ember_pairs else []:
        pairs = [(by_name(e["results"])[name], by_name(t["results"])[name]) for e, t in zip(ember_pairs, torch_pairs)]
        ratios = [ratio(t, e) for e, t in pairs]
        median = statistics.median(ratios)
        target = PAIRED_TARGETS.get(name)
        rows.append({"workload": name, "ember": [e for e, _ in pairs], "pytorch": [t for _, t in pairs],
                     "ratios": ratios, "medianRatio": median, "target": target})
        ember_values = ", ".join(fmt(e) for e, _ in pairs)
        torch_values = ", ".join(fmt(t) for _, t in pairs)
        cells.append([name, ember_values, torch_values, ", ".join(times(r) for r in ratios), times(median),
                      f"≥ {target}" if target else "", verdict(median, target)])
    header = ["workload", "Ember, each pair", "PyTorch, each pair", "ratio, each pair", "median ratio", "target",
              "met"]
    return rows, table(header, cells)


def limits_table(torches):
    passes = [by_name(r["blasDirect"]["physicalLimits"]) for r in torches]
    cells = [[name, r["description"], fmt(median_result([p.get(name) for p in passes]))]
             for name, r in passes[0].items()]
    return table(["limit", "how", "measured (median of the passes)"], cells)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main():
    work, destination = sys.argv[1], sys.argv[2]
    embers, torches = (reports(os.path.join(work, name)) for name in ("ember.out", "pytorch.out"))
    ember, torch = embers[0], torches[0]
    memory = json_lines(os.path.join(work, "memory.out"))
    ember_pairs, torch_pairs, ember_idle, ember_busy, torch_idle, torch_busy = (
        json_lines(os.path.join(work, name)) for name in (
            "ember-pairs.out", "pytorch-pairs.out", "ember-idle-rounds.out", "ember-busy.out",
            "pytorch-idle-rounds.out", "pytorch-busy.out"))
    # A pass or round missing on one side would silently shorten the medians.
    for label, a, b in [("speed passes", embers, torches), ("add_1M pairs", ember_pairs, torch_pairs),
                        ("Ember busy rounds", ember_idle, ember_busy), ("PyTorch busy rounds", torch_idle, torch_busy)]:
        if len(a) != len(b) or not a:
            sys.exit(f"summarize: {label}: {len(a)} against {len(b)} reports; the run is incomplete")
    with open(os.path.join(work, "swift-version")) as f:
        swift_version = f.read().strip()
    with open(os.path.join(work, "busy")) as f:
        busy = f.read().strip()

    rows, speed_lines = speed_table(embers, torches)
    memory_rows, memory_lines = memory_table(memory)
    pair_rows, pair_lines = paired_table(ember_pairs, torch_pairs)
    busy_rows, busy_lines = busy_table(ember_idle, ember_busy, torch_idle, torch_busy)
    limit_lines = limits_table(torches)
    cpu = cpu_name()
    direct = torch["blasDirect"]
    machine = {
        "cpu": cpu,
        "logicalCPUs": os.cpu_count(),
        "os": platform.platform(),
        "swift": swift_version,
        "pytorch": torch["version"],
        "pytorchThreads": torch["threads"],
        "pytorchBLAS": torch.get("torchBLAS"),
        "emberThreadsAvailable": ember["threads"],
        "numpy": torch.get("numpyVersion"),
        "numpyBLAS": direct["numpyBLAS"],
        "openblasDirect": direct["openblasInfo"],
        "cpuBusyPercentBeforeRun": busy,
    }
    print(f"{cpu}, {os.cpu_count()} logical CPUs; {swift_version}; PyTorch {torch['version']} "
          f"({torch['threads']} threads); OpenBLAS direct: {(direct['openblasInfo'] or {}).get('config', 'not found')}")
    tables = [(f"Speed ({len(embers)} passes per side, alternating; the verdict is the median ratio)", speed_lines),
              ("Peak memory (VmHWM, one process per group and side)", memory_lines),
              ("Alternating processes (each pair: Ember, then PyTorch, fresh processes)", pair_lines),
              ("Slowdown next to one busy process (each round: an idle pass and a busy one)", busy_lines),
              ("Physical limits", limit_lines)]
    for title, lines in tables:
        print(f"\n{title}\n")
        print("\n".join(lines))
    print("\nratio > 1: Ember is faster. Ember, PyTorch and OpenBLAS direct: each side's median over the passes;"
          " a median ratio is the median of the passes' ratios, not the quotient of those columns."
          " GEMM: GFLOP/s = 2mkn / median time; add: GB/s counts 3 arrays x 4 bytes;"
          " slowdown = time next to the busy process / time of the idle pass of the same round.")

    with open(destination, "w") as f:
        json.dump({
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine,
            "table": rows,
            "memory": memory_rows,
            "pairs": pair_rows,
            "busy": busy_rows,
            "markdown": {"speed": speed_lines, "memory": memory_lines, "pairs": pair_lines, "busy": busy_lines,
                         "limits": limit_lines},
            "ember": embers,
            "pytorch": torches,
            "emberIdleRounds": ember_idle,
            "emberBusy": ember_busy,
            "pytorchIdleRounds": torch_idle,
            "pytorchBusy": torch_busy,
        }, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {destination}", file=sys.stderr)


if __name__ == "__main__":
    main()
