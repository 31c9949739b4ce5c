// ember-bench: Ember's side of the Ember-vs-PyTorch benchmark.
//
// Benchmarks/pytorch_bench.py times the same workloads with the same iteration counts, and
// Benchmarks/run.sh runs both and prints the comparison (see BENCHMARKS.md).
//
//     swift run -c release ember-bench                  # human-readable table
//     swift run -c release ember-bench --json           # one JSON object on the last line of stdout
//     swift run -c release ember-bench --repeats 15
//     swift run -c release ember-bench --only gemm_1024,mlp_784_step
//     swift run -c release ember-bench --rss resnet18   # peak RSS of one memory group (run it alone)
//
// Only Ember's public API is used. Ember is eager: each timed call computes its result before it
// returns, so timing the call times the work; `blackHole` keeps the optimiser from dropping it.

import Ember
import Foundation

struct Workload {
    let name: String
    let description: String
    let iterations: Int
    /// Converts the median seconds per iteration into the reported figure.
    let metric: (Double) -> Double
    let unit: String
    /// Builds the inputs once, checks the result once, and returns the closure that is timed.
    let prepare: () -> () -> Void
    /// At most this many timed batches, whatever `--repeats` says (for the slow ResNet-18 rows).
    var maxRepeats: Int? = nil
}

struct Measurement: Codable {
    let name: String
    let description: String
    let secondsPerIteration: Double
    let value: Double
    let unit: String
    let iterations: Int
    let repeats: Int
    let samples: [Double]
    /// Each timed batch's process CPU time (user and system, every thread) over its wall time:
    /// about the number of cores the batch kept busy, so a slow batch at 1 where the others are at
    /// 2 lost a core.
    let coresBusy: [Double]
    /// Context switches of the process (voluntary and not) over the timed batches.
    let contextSwitches: Int
}

/// The process's CPU seconds (user and system) and context switches so far.
func processUsage() -> (cpuSeconds: Double, contextSwitches: Int) {
    var usage = rusage()
    #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    let cpu = [usage.ru_utime, usage.ru_stime].reduce(0) { $0 + Double($1.tv_sec) + Double($1.tv_usec) * 1e-6 }
    return (cpu, usage.ru_nvcsw + usage.ru_nivcsw)
}

struct Report: Codable {
    let framework: String
    let version: String
    let threads: Int
    let results: [Measurement]
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) * 1e-18
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ember-bench: \(message)\n".utf8))
    exit(1)
}

/// Runs one warm-up batch, then `repeats` timed batches of `iterations` calls (fewer when the
/// workload caps them); returns every batch's seconds per call, their median, and the cores each
/// batch kept busy.
func measure(_ workload: Workload, repeats requested: Int) -> Measurement {
    let repeats = min(requested, workload.maxRepeats ?? requested)
    let body = workload.prepare()
    for _ in 0..<workload.iterations { body() }
    let clock = ContinuousClock()
    var samples: [Double] = []
    var coresBusy: [Double] = []
    let first = processUsage()
    for _ in 0..<repeats {
        let before = processUsage().cpuSeconds
        let elapsed = clock.measure {
            for _ in 0..<workload.iterations { body() }
        }
        samples.append(seconds(elapsed) / Double(workload.iterations))
        coresBusy.append((processUsage().cpuSeconds - before) / seconds(elapsed))
    }
    let sorted = samples.sorted()
    let median =
        sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    return Measurement(
        name: workload.name,
        description: workload.description,
        secondsPerIteration: median,
        value: workload.metric(median),
        unit: workload.unit,
        iterations: workload.iterations,
        repeats: repeats,
        samples: samples,
        coresBusy: coresBusy,
        contextSwitches: processUsage().contextSwitches - first.contextSwitches
    )
}

/// Every workload, in the order of the table (the same order as pytorch_bench.py).
func allWorkloads() -> [Workload] {
    [
        gemm(1024, 1024, 1024, iterations: 3),
        gemm(64, 784, 256, iterations: 50),
        elementwiseAdd(1_000_000, iterations: 100),
        tinyAutogradOp(iterations: 100_000),
    ] + trainingWorkloads() + inferenceWorkloads() + epochWorkloads()
}

func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
        fail("could not encode the results as JSON")
    }
    print(text)
}

func printTable(_ results: [Measurement]) {
    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
    print(pad("workload", 20) + pad("median time", 16) + "rate")
    for result in results {
        let time =
            result.secondsPerIteration >= 1e-3
            ? String(format: "%.3f ms", result.secondsPerIteration * 1e3)
            : String(format: "%.3f us", result.secondsPerIteration * 1e6)
        print(pad(result.name, 20) + pad(time, 16) + String(format: "%.2f ", result.value) + result.unit)
    }
}

// MARK: - Command line

var json = false
var repeats = 7
var only: Set<String>?
var memoryGroup: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--json":
        json = true
    case "--repeats":
        guard let text = arguments.popFirst(), let value = Int(text), value > 0 else {
            fail("--repeats needs a positive integer")
        }
        repeats = value
    case "--only":
        guard let text = arguments.popFirst() else { fail("--only needs a comma-separated list of workloads") }
        only = Set(text.split(separator: ",").map(String.init))
    case "--rss":
        guard let group = arguments.popFirst() else { fail("--rss needs a group: \(memoryGroupNames)") }
        memoryGroup = group
    case "--list":
        for workload in allWorkloads() { print(workload.name) }
        exit(0)
    case "-h", "--help":
        print(
            """
            usage: ember-bench [--json] [--repeats N] [--only NAME,NAME...] [--list]
                   ember-bench --rss GROUP    peak RSS of one group (\(memoryGroupNames)), as JSON
            build with -c release
            """)
        exit(0)
    default:
        fail("unknown argument '\(argument)' (try --help)")
    }
}

#if DEBUG
    FileHandle.standardError.write(Data("ember-bench: debug build; use `swift run -c release ember-bench`\n".utf8))
#endif

Ember.manualSeed(0)
if let memoryGroup {
    printJSON(measurePeakMemory(group: memoryGroup, workloads: allWorkloads()))
    exit(0)
}

var workloads = allWorkloads()
if let only {
    let unknown = only.subtracting(workloads.map(\.name))
    guard unknown.isEmpty else { fail("unknown workloads \(unknown.sorted()) (see --list)") }
    workloads = workloads.filter { only.contains($0.name) }
}

var results: [Measurement] = []
for workload in workloads {
    if !json {
        FileHandle.standardError.write(Data("running \(workload.name)...\n".utf8))
    }
    results.append(measure(workload, repeats: repeats))
}

if json {
    printJSON(
        Report(
            framework: "ember", version: "dev", threads: ProcessInfo.processInfo.activeProcessorCount, results: results)
    )
} else {
    printTable(results)
}
