// Micro workloads of issue 8: GEMM, a large elementwise add, one tiny op (per-op overhead).
// Benchmarks/pytorch_bench.py times the same shapes with the same counts.
import Ember

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
