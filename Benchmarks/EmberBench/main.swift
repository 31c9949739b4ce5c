// ember-bench: Ember's side of the Ember-vs-PyTorch benchmark.
//
// Benchmarks/pytorch_bench.py times the same workloads with the same iteration counts, and
// Benchmarks/run.sh runs both and prints the comparison (see BENCHMARKS.md).
//
//     swift run -c release ember-bench            # human-readable table
//     swift run -c release ember-bench --json     # one JSON object on the last line of stdout
//     swift run -c release ember-bench --repeats 15
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

/// Checks a few entries of `c = a · b` against a float64 dot product, so a fast but wrong GEMM
/// cannot produce a good-looking number.
func checkMatmul(_ a: Tensor, _ b: Tensor, _ c: Tensor) {
    let (m, k, n) = (a.size(0), a.size(1), b.size(1))
    guard c.shape == [m, n] else { fail("matmul returned shape \(c.shape), expected [\(m), \(n)]") }
    let av = a.toArray(as: Float.self)
    let bv = b.toArray(as: Float.self)
    let cv = c.toArray(as: Float.self)
    for sample in 0..<32 {
        let i = (sample * 7_919) % m
        let j = (sample * 104_729) % n
        var exact = 0.0
        var magnitude = 0.0
        for p in 0..<k {
            let term = Double(av[i * k + p]) * Double(bv[p * n + j])
            exact += term
            magnitude += Swift.abs(term)
        }
        let got = Double(cv[i * n + j])
        if Swift.abs(got - exact) > 1e-5 * magnitude + 1e-5 {
            fail("matmul \(m)x\(k)x\(n) is wrong at [\(i), \(j)]: \(got), expected \(exact)")
        }
    }
}

func gemm(_ m: Int, _ k: Int, _ n: Int, iterations: Int) -> Workload {
    let flops = 2.0 * Double(m) * Double(k) * Double(n)
    return Workload(
        name: m == k && k == n ? "gemm_\(m)" : "gemm_\(m)x\(k)x\(n)",
        description: "float32 matmul [\(m), \(k)] x [\(k), \(n)]",
        iterations: iterations,
        metric: { flops / $0 / 1e9 },
        unit: "GFLOP/s",
        prepare: {
            let a = Tensor.randn([m, k])
            let b = Tensor.randn([k, n])
            checkMatmul(a, b, a.matmul(b))
            return { blackHole(a.matmul(b)) }
        }
    )
}

func elementwiseAdd(_ count: Int, iterations: Int) -> Workload {
    let bytes = 3.0 * 4.0 * Double(count)  // read a, read b, write the result; float32
    return Workload(
        name: "add_1M",
        description: "float32 a + b, \(count) elements (GB/s counts 3 arrays x 4 bytes)",
        iterations: iterations,
        metric: { bytes / $0 / 1e9 },
        unit: "GB/s",
        prepare: {
            let a = Tensor.randn([count])
            let b = Tensor.randn([count])
            let c = (a + b).toArray(as: Float.self)
            let (av, bv) = (a.toArray(as: Float.self), b.toArray(as: Float.self))
            for i in stride(from: 0, to: count, by: max(1, count / 97)) where c[i] != av[i] + bv[i] {
                fail("a + b is wrong at [\(i)]: \(c[i]), expected \(av[i] + bv[i])")
            }
            return { blackHole(a + b) }
        }
    )
}

func tinyAutogradOp(iterations: Int) -> Workload {
    Workload(
        name: "tiny_add_autograd",
        description: "a + b on 1-element float32 tensors with requiresGrad (graph recorded)",
        iterations: iterations,
        metric: { $0 * 1e9 },
        unit: "ns/op",
        prepare: {
            let a = Tensor.randn([1], requiresGrad: true)
            let b = Tensor.randn([1], requiresGrad: true)
            guard (a + b).requiresGrad else { fail("a + b did not record autograd history") }
            return { blackHole(a + b) }
        }
    )
}

/// Runs one warm-up batch, then `repeats` timed batches of `iterations` calls; returns every
/// batch's seconds per call and their median.
func measure(_ workload: Workload, repeats: Int) -> Measurement {
    let body = workload.prepare()
    for _ in 0..<workload.iterations { body() }
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<repeats {
        let elapsed = clock.measure {
            for _ in 0..<workload.iterations { body() }
        }
        samples.append(seconds(elapsed) / Double(workload.iterations))
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
        samples: samples
    )
}

// MARK: - Command line

var json = false
var repeats = 7
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
    case "-h", "--help":
        print("usage: ember-bench [--json] [--repeats N]   (build with -c release)")
        exit(0)
    default:
        fail("unknown argument '\(argument)' (try --help)")
    }
}

#if DEBUG
    FileHandle.standardError.write(Data("ember-bench: debug build; use `swift run -c release ember-bench`\n".utf8))
#endif

Ember.manualSeed(0)
let workloads =
    [
        gemm(1024, 1024, 1024, iterations: 3),
        gemm(64, 784, 256, iterations: 50),
        elementwiseAdd(1_000_000, iterations: 100),
        tinyAutogradOp(iterations: 100_000),
    ] + trainingWorkloads() + [dataLoaderEpoch()]

var results: [Measurement] = []
for workload in workloads {
    if !json {
        FileHandle.standardError.write(Data("running \(workload.name)...\n".utf8))
    }
    results.append(measure(workload, repeats: repeats))
}

if json {
    let report = Report(
        framework: "ember",
        version: "dev",
        threads: ProcessInfo.processInfo.activeProcessorCount,
        results: results
    )
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(report), let text = String(data: data, encoding: .utf8) else {
        fail("could not encode the results as JSON")
    }
    print(text)
} else {
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
