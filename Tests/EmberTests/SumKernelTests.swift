// The vectorised sums (CEmberKernels/reduce.c) against plain float64 loops: flat sums cut into
// blocks, row sums, column sums over the leading dimensions, transposed views read in place,
// empty tensors; and the elementwise kernels reading an expanded single value as a scalar.

import Testing

@testable import Ember

/// Values whose sums cancel a lot, so a lost or doubled block shows.
private func values(_ count: Int, dtype: DType) -> Tensor {
    let g = Generator(seed: 11)
    return (Tensor.randn([count], generator: g) + 0.25).to(dtype)
}

/// The float64 sums of `x` (shape [rows, cols], any layout) over its rows, or over its columns.
private func referenceSums(_ x: Tensor, overRows: Bool) -> [Double] {
    let (rows, cols) = (x.shape[0], x.shape[1])
    let flat = x.contiguous().to(.float64).toArray(as: Double.self)
    var sums = [Double](repeating: 0, count: overRows ? cols : rows)
    for r in 0..<rows {
        for c in 0..<cols { sums[overRows ? c : r] += flat[r * cols + c] }
    }
    return sums
}

/// Whether `actual` is `expected` rounded to `dtype`, up to a few units in its last place.
private func close(_ actual: [Double], _ expected: [Double], dtype: DType) -> Bool {
    let ulp = dtype == .float32 ? Double(Float.ulpOfOne) : Double.ulpOfOne
    return actual.count == expected.count
        && zip(actual, expected).allSatisfy { a, e in Swift.abs(a - e) <= 4 * ulp * Swift.max(Swift.abs(e), 1) }
}

@Suite struct SumKernelTests {
    @Test(arguments: [DType.float32, .float64])
    func flatSumsOverManyBlocksMatchALoop(dtype: DType) {
        for count in [1, 17, 16_384, 16_385, 100_003] {
            let x = values(count, dtype: dtype)
            let expected = referenceSums(x.view([1, count]), overRows: false)
            #expect(close([x.sum().item()], expected, dtype: dtype), "sum of \(count)")
            #expect(close([x.mean().item()], [expected[0] / Double(count)], dtype: dtype), "mean of \(count)")
        }
    }

    @Test(arguments: [DType.float32, .float64])
    func rowAndColumnSumsMatchALoop(dtype: DType) {
        for (rows, cols) in [(3, 40_001), (50_000, 7), (2048, 512), (5, 3)] {
            let x = values(rows * cols, dtype: dtype).view([rows, cols])
            let bySum = x.sum(dim: 1).to(.float64).toArray(as: Double.self)
            #expect(close(bySum, referenceSums(x, overRows: false), dtype: dtype), "rows of [\(rows), \(cols)]")
            let byColumn = x.sum(dim: 0).to(.float64).toArray(as: Double.self)
            #expect(close(byColumn, referenceSums(x, overRows: true), dtype: dtype), "columns of [\(rows), \(cols)]")
        }
    }

    @Test(arguments: [DType.float32, .float64])
    func transposedViewsSumInPlace(dtype: DType) {
        let base = values(300 * 211, dtype: dtype).view([300, 211])
        let view = base.t()
        #expect(view.densePermutation() != nil)
        #expect(base.narrow(dim: 1, start: 0, length: 100).densePermutation() == nil)
        let expected = referenceSums(base.view([1, 300 * 211]), overRows: false)
        #expect(close([view.sum().item()], expected, dtype: dtype))
        // A narrowed transposed view has gaps: it is copied first, and sums the same.
        let narrowed = base.narrow(dim: 1, start: 0, length: 100).t()
        let gapped = referenceSums(narrowed.contiguous().view([1, 100 * 300]), overRows: false)
        #expect(close([narrowed.sum().item()], gapped, dtype: dtype))
        let permuted = base.view([300, 211, 1]).permute(2, 1, 0)
        #expect(close([permuted.sum(dim: [0, 1, 2]).item()], expected, dtype: dtype))
    }

    @Test func emptySumsAreZeros() {
        #expect(Tensor.zeros([0, 5]).sum(dim: 0).toArray(as: Float.self) == [0, 0, 0, 0, 0])
        #expect(Tensor.zeros([3, 0]).sum(dim: 0).shape == [0])
        #expect(Tensor.zeros([3, 0]).sum(dim: 1).toArray(as: Float.self) == [0, 0, 0])
        #expect(Tensor.zeros([0]).sum().item() == 0)
    }

    @Test(arguments: [DType.float32, .float64])
    func expandedSingleValuesActAsScalars(dtype: DType) {
        let g = Tensor.full([], 2.5, dtype: dtype).expand([3, 4])
        let x = Tensor.arange(0, 12, dtype: dtype).view([3, 4])
        let xs = x.toArray(as: Double.self)
        #expect((g * 2).shape == [3, 4])
        #expect((g * 2).to(.float64).toArray(as: Double.self) == [Double](repeating: 5, count: 12))
        #expect((g * x).to(.float64).toArray(as: Double.self) == xs.map { 2.5 * $0 })
        #expect((x - g).to(.float64).toArray(as: Double.self) == xs.map { $0 - 2.5 })
        #expect((g / x.narrow(dim: 0, start: 0, length: 1) + 0).to(.float64).toArray(as: Double.self)[1] == 2.5)
        #expect(g.neg().to(.float64).toArray(as: Double.self) == [Double](repeating: -2.5, count: 12))
        #expect(g.contiguous().to(.float64).toArray(as: Double.self) == [Double](repeating: 2.5, count: 12))
        #expect(g.exp().to(.float64).toArray(as: Double.self)[11] == Tensor.full([], 2.5, dtype: dtype).exp().item())
        var y = x.clone()
        y += g
        #expect(y.to(.float64).toArray(as: Double.self) == xs.map { $0 + 2.5 })
    }
}
