// Matrix products large enough to be split into bands across cores (Ops/LinearAlgebra.swift),
// with every combination of transposed operands, odd sizes and `beta`, against a float64 triple
// loop; and the packed-operand GEMM of the recurrent layers.

import Testing

@testable import Ember

/// `alpha * a @ b + beta * c` computed naively in float64 from the tensors' values.
private func reference(_ a: Tensor, _ b: Tensor, c: Tensor? = nil, alpha: Double = 1, beta: Double = 0) -> [Double] {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    let x = a.contiguous().toArray(as: Double.self)
    let y = b.contiguous().toArray(as: Double.self)
    let z = c?.contiguous().toArray(as: Double.self)
    var out = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for p in 0..<k {
            let v = x[i * k + p]
            for j in 0..<n { out[i * n + j] += v * y[p * n + j] }
        }
    }
    return out.enumerated().map { alpha * $0.element + beta * (z?[$0.offset] ?? 0) }
}

private func maxError(_ t: Tensor, _ expected: [Double]) -> Double {
    zip(t.contiguous().toArray(as: Double.self), expected).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
}

@Suite struct GemmTests {
    /// (m, k, n): wide (split by columns), tall (split by rows), and sizes that are not multiples of
    /// 16; the tall ones run through the packed B (`prefersPackedGemm`) unless A is transposed, one
    /// with an inner size over one of its blocks.
    @Test(arguments: [(70, 150, 130), (300, 100, 40), (33, 520, 97), (200, 1100, 24)])
    func bandsAgreeWithTheNaiveProduct(m: Int, k: Int, n: Int) {
        let g = Generator(seed: UInt64(m * n))
        for dtype in [DType.float32, .float64] {
            let tolerance = dtype == .float32 ? 1e-4 : 1e-12
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let a =
                    transposeA
                    ? Tensor.randn([k, m], dtype: dtype, generator: g).t()
                    : Tensor.randn([m, k], dtype: dtype, generator: g)
                let b =
                    transposeB
                    ? Tensor.randn([n, k], dtype: dtype, generator: g).t()
                    : Tensor.randn([k, n], dtype: dtype, generator: g)
                let error = maxError(a.mm(b), reference(a, b))
                #expect(error < tolerance, "\(dtype) \(m)x\(k)x\(n) transposed \(transposeA), \(transposeB): \(error)")
            }
            let (a, b) = (
                Tensor.randn([m, k], dtype: dtype, generator: g), Tensor.randn([k, n], dtype: dtype, generator: g)
            )
            let c = Tensor.randn([m, n], dtype: dtype, generator: g)
            let fused = Tensor.addmm(c, a, b, beta: 0.5, alpha: -2)
            #expect(maxError(fused, reference(a, b, c: c, alpha: -2, beta: 0.5)) < tolerance, "\(dtype) addmm")
        }
    }

    /// `addmm` sums the product first and then adds the bias, as BLAS and so PyTorch do: its result
    /// is bit for bit `mm` followed by `+` (the bias is not the first term of the sum, which would
    /// round differently), for a bias `[n]` or `[1, n]`. The last sizes run through the BLAS in one
    /// band per core and through the packed B (`prefersPackedGemm`), with an inner size of one
    /// block and of several.
    @Test(arguments: [(16, 40, 24), (5, 17, 9), (64, 100, 3), (64, 784, 256), (200, 300, 24), (200, 1100, 24)])
    func addmmAddsTheBiasAfterTheProduct(m: Int, k: Int, n: Int) {
        let g = Generator(seed: UInt64(m + k + n))
        for dtype in [DType.float32, .float64] {
            let a = Tensor.randn([m, k], dtype: dtype, generator: g)
            let b = Tensor.randn([n, k], dtype: dtype, generator: g).t()
            let bias = Tensor.randn([n], dtype: dtype, generator: g)
            #expect(Tensor.addmm(bias, a, b).equal(a.mm(b) + bias), "\(dtype)")
            #expect(Tensor.addmm(bias.view([1, n]), a, b).equal(a.mm(b) + bias), "\(dtype) [1, n]")
        }
    }

    /// The packed-operand GEMM: row counts that fill 1 to 6 micro-kernel rows, more rows than one
    /// row block, column counts off the panel width, an inner size over one block, both layouts of
    /// B, and `c += a · B`, in float32 and float64, against the float64 triple loop.
    @Test(arguments: [(13, 300, 37), (32, 128, 512), (5, 7, 8), (1, 1100, 17), (150, 40, 20)])
    func packedOperandAgreesWithTheNaiveProduct(m: Int, k: Int, n: Int) {
        let g = Generator(seed: UInt64(m * k + n))
        func check<T: GemmScalar>(_: T.Type, _ dtype: DType, tolerance: Double) {
            for transposed in [false, true] {
                let a = Tensor.randn([m, k], dtype: dtype, generator: g)
                let stored = Tensor.randn(transposed ? [n, k] : [k, n], dtype: dtype, generator: g)
                let b = transposed ? stored.t() : stored
                let packed = PackedMatrix<T>(
                    stored.base(T.self), k: k, n: n, ld: transposed ? k : n, transposed: transposed)
                let c = Tensor.randn([m, n], dtype: dtype, generator: g)
                let sum = c.clone()
                packed.product(m: m, a.base(T.self), lda: k, into: sum.base(T.self), ldc: n, accumulate: true)
                #expect(maxError(sum, reference(a, b, c: c, beta: 1)) < tolerance, "\(dtype) += \(transposed)")
                packed.product(m: m, a.base(T.self), lda: k, into: c.base(T.self), ldc: n, accumulate: false)
                #expect(maxError(c, reference(a, b)) < tolerance, "\(dtype) = \(transposed)")
            }
        }
        check(Float.self, .float32, tolerance: 1e-4)
        check(Double.self, .float64, tolerance: 1e-12)
    }
}
