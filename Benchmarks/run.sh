#!/usr/bin/env bash
# Ember vs PyTorch on the same workloads, same machine, same run (methodology: BENCHMARKS.md).
#
#     Benchmarks/run.sh                 # needs python3 with torch and numpy
#     PYTHON=/path/to/python Benchmarks/run.sh
#
# Prints one Markdown table (workload, Ember, PyTorch, ratio = PyTorch time / Ember time, and the
# BLAS-direct references) and writes Benchmarks/results.json with every sample.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== building ember-bench (release)" >&2
swift build -c release --product ember-bench >&2

# Both sides share the machine's cores: a concurrent build or test run skews the comparison.
# (Measured from /proc/stat over 2 s, since the load average still remembers our own build.)
echo unknown >"$work/busy"
if [[ -r /proc/stat ]]; then
    read -r _ u1 n1 s1 i1 w1 _ </proc/stat
    sleep 2
    read -r _ u2 n2 s2 i2 w2 _ </proc/stat
    busy=$(((u2 + n2 + s2) - (u1 + n1 + s1)))
    total=$((busy + (i2 + w2) - (i1 + w1)))
    ((total > 0)) && echo "$((busy * 100 / total))" >"$work/busy"
    if ((total > 0 && busy * 100 / total > 20)); then
        echo "warning: the CPUs are $((busy * 100 / total))% busy with other work; the numbers will be skewed" >&2
    fi
fi

echo "== Ember" >&2
swift run -c release --skip-build ember-bench --json >"$work/ember.out"
echo "== PyTorch" >&2
"$PYTHON" Benchmarks/pytorch_bench.py --json >"$work/pytorch.out"

swift --version 2>/dev/null | head -1 >"$work/swift-version" || true

"$PYTHON" - "$work" Benchmarks/results.json <<'EOF'
import datetime, json, os, platform, sys

work, destination = sys.argv[1], sys.argv[2]

def last_json_line(path):
    # The report is the last line that parses as JSON; anything printed before it is ignored.
    for line in reversed(open(path).read().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"run.sh: no JSON report in {path}")

ember = last_json_line(os.path.join(work, "ember.out"))
torch = last_json_line(os.path.join(work, "pytorch.out"))
swift_version = open(os.path.join(work, "swift-version")).read().strip()
busy = open(os.path.join(work, "busy")).read().strip()

def by_name(results):
    return {r["name"]: r for r in results}

def fmt(r):
    if r is None:
        return "n/a"
    value = r["value"]
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {r['unit']}"

cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
except (OSError, StopIteration):
    pass

e, t = by_name(ember["results"]), by_name(torch["results"])
openblas, numpy_ = by_name(torch["blasDirect"]["openblas"]), by_name(torch["blasDirect"]["numpy"])
numpy_blas = torch["blasDirect"]["numpyBLAS"]
rows = []
for name in [r["name"] for r in ember["results"]] + [n for n in t if n not in e]:
    er, tr = e.get(name), t.get(name)
    ratio = tr["secondsPerIteration"] / er["secondsPerIteration"] if er and tr else None
    ob, nb = openblas.get(name), numpy_.get(name)
    vs_blas = ob["secondsPerIteration"] / er["secondsPerIteration"] if er and ob else None
    rows.append({
        "workload": name,
        "ember": er, "pytorch": tr, "ratio": ratio,
        "openblasDirect": ob, "numpyDirect": nb, "emberVsOpenblasDirect": vs_blas,
    })

numpy_label = f"numpy ({numpy_blas.get('name')} {numpy_blas.get('version') or ''})".replace(" )", ")")
header = ["workload", "Ember", "PyTorch", "ratio (PyTorch time / Ember time)",
          "OpenBLAS direct (lib Ember loads)", "Ember / OpenBLAS direct", numpy_label]
lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
for row in rows:
    cells = [row["workload"], fmt(row["ember"]), fmt(row["pytorch"]),
             f"{row['ratio']:.2f}x" if row["ratio"] else "n/a",
             fmt(row["openblasDirect"]) if row["openblasDirect"] else "",
             f"{row['emberVsOpenblasDirect']:.2f}x" if row["emberVsOpenblasDirect"] else "",
             fmt(row["numpyDirect"]) if row["numpyDirect"] else ""]
    lines.append("| " + " | ".join(cells) + " |")

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
    "numpyBLAS": numpy_blas,
    "openblasDirect": torch["blasDirect"]["openblasInfo"],
    "cpuBusyPercentBeforeRun": busy,
}
summary = (f"{cpu}, {os.cpu_count()} logical CPUs; {swift_version}; PyTorch {torch['version']} "
           f"({torch['threads']} threads); OpenBLAS direct: "
           f"{(torch['blasDirect']['openblasInfo'] or {}).get('config', 'not found')}")
print(summary)
print()
print("\n".join(lines))
print()
print("ratio > 1: Ember is faster. GEMM: GFLOP/s = 2mkn / median time; add: GB/s counts 3 arrays x 4 bytes.")

with open(destination, "w") as f:
    json.dump({
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "table": rows,
        "markdown": lines,
        "ember": ember,
        "pytorch": torch,
    }, f, indent=2, sort_keys=True)
    f.write("\n")
print(f"wrote {destination}", file=sys.stderr)
EOF
