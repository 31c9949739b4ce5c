// Peak memory of issue 8's workloads 2 (MLP 784-256-10) and 5 (ResNet-18). Each group runs in its
// own process (`ember-bench --rss GROUP`, one call per group from Benchmarks/run.sh), so the peaks
// of different groups never mix; pytorch_bench.py --rss does the same on PyTorch's side.
import Foundation

/// The workloads each memory group runs, by name (the same groups as pytorch_bench.py).
let memoryGroups: KeyValuePairs<String, [String]> = [
    "mlp784": ["mlp_784_step", "mlp_784_infer"],
    "resnet18": ["resnet18_infer", "resnet18_step"],
]

var memoryGroupNames: String { memoryGroups.map(\.key).joined(separator: ", ") }

struct MemoryReport: Codable {
    let framework: String
    let group: String
    let workloads: [String]
    /// Resident set size when the group starts (the runtime, libraries and interpreter loaded).
    let startRSSMB: Double
    /// The process's peak resident set size (VmHWM) after every workload of the group ran.
    let peakRSSMB: Double
}

/// A `kB` field of /proc/self/status (`VmRSS`, `VmHWM`), in MB (10⁶ bytes).
func procStatusMB(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
        fail("cannot read /proc/self/status (peak memory is measured on Linux only)")
    }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 3, fields[2] == "kB", let kilobytes = Double(fields[1]) { return kilobytes * 1024 / 1e6 }
    }
    fail("no \(field) in /proc/self/status")
}

/// Builds, checks and runs one batch of each workload of `group` (the same batch the timing
/// warms up with), then reads the process's peak resident set size.
func measurePeakMemory(group: String, workloads: [Workload]) -> MemoryReport {
    guard let names = memoryGroups.first(where: { $0.key == group })?.value else {
        fail("unknown memory group '\(group)' (one of \(memoryGroupNames))")
    }
    let start = procStatusMB("VmRSS")
    for name in names {
        guard let workload = workloads.first(where: { $0.name == name }) else { fail("no workload \(name)") }
        let body = workload.prepare()
        for _ in 0..<workload.iterations { body() }
    }
    return MemoryReport(
        framework: "ember", group: group, workloads: names, startRSSMB: start, peakRSSMB: procStatusMB("VmHWM"))
}
