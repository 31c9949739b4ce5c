// Elementwise ops over strided views large enough to be split across cores by runs: each part
// starts at an arbitrary run, so its first offsets come from decomposing the run number.

import Testing

@testable import Ember

/// Whether two tensors hold the same shape and values (a Bool, so a failure prints no arrays).
private func same(_ x: Tensor, _ y: Tensor) -> Bool {
    x.shape == y.shape && x.toArray(as: Double.self) == y.toArray(as: Double.self)
}

@Suite struct StridedLoopTests {
    /// A [17, 45, 59] tensor (45,135 elements) seen through a permutation, against the same values
    /// made contiguous first.
    @Test(arguments: [DType.float32, .float64])
    func permutedViewsMatchTheirContiguousCopies(dtype: DType) {
        let g = Generator(seed: 5)
        let a = Tensor.randn([17, 45, 59], dtype: dtype, generator: g).permute(2, 0, 1)
        let b = Tensor.randn([59, 17, 45], dtype: dtype, generator: g)
        let c = Tensor.randn([45], dtype: dtype, generator: g)
        let (ac, bc) = (a.contiguous(), b.contiguous())
        #expect(!a.isContiguous && a.count >= parallelWorkThreshold)
        #expect(same(a.clone(), ac))
        #expect(same(a * b, ac * bc))
        #expect(same(a - c, ac - c))
        #expect(same(a.abs(), ac.abs()))
        // An expanded single value (the gradient of a full reduction) on either side of views with
        // unit and other inner strides.
        let v = Tensor.randn([40, 30, 50], dtype: dtype, generator: g).transpose(0, 1)
        for (view, copy) in [(a, ac), (v, v.contiguous())] {
            let scalar = Tensor.full([], 1.5, dtype: dtype).expand(view.shape)
            #expect(same(scalar * view, copy * 1.5) && same(view - scalar, copy - 1.5))
            #expect(same(scalar / view, 1.5 / copy))
        }
        let mask = a .> 0
        #expect(same(Tensor.where(mask, a, b), Tensor.where(mask, ac, bc)))
        // Row-major order of the view, element by element.
        let flat = ac.toArray(as: Double.self)
        let source = a.permute(1, 2, 0).contiguous().toArray(as: Double.self)
        let viewIndex: Int = (1 * 17 + 2) * 45 + 3
        let sourceIndex: Int = (2 * 45 + 3) * 59 + 1
        #expect(flat[viewIndex] == source[sourceIndex])
    }

    /// Writing into a strided view (`copy(from:)` into a transposed slice) fills exactly that view.
    @Test func writesIntoAStridedViewReachOnlyItsElements() {
        let target = Tensor.zeros([300, 260])
        let source = Tensor.arange(0, 250 * 200, dtype: .float32).view([250, 200])
        noGrad {
            target.narrow(dim: 1, start: 10, length: 250).narrow(dim: 0, start: 0, length: 200).t().copy(from: source)
        }
        let t = target.toArray(as: Float.self)
        #expect(t[5 * 260 + 10 + 7] == Float(7 * 200 + 5))
        #expect(t[199 * 260 + 10 + 249] == Float(249 * 200 + 199))
        #expect(t[200 * 260 + 10] == 0 && t[9] == 0 && target.sum().item() == source.sum().item())
    }
}
