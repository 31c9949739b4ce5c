import Testing

@testable import Ember

@Suite struct AutogradTests {
    /// Under `createGraph`, a leaf's first gradient is its own tensor, not the one the graph hands
    /// to another input (`a + b` gives both the same): a later in-place accumulation into `a.grad`
    /// leaves `b.grad` alone, as PyTorch's AccumulateGrad does by cloning.
    @Test func createGraphLeavesOwnTheirGradients() {
        let a = Tensor.randn([3], dtype: .float64, requiresGrad: true)
        let b = Tensor.randn([3], dtype: .float64, requiresGrad: true)
        (a + b).sum().backward(createGraph: true)
        (a * 2).sum().backward()
        #expect(a.grad!.toArray(as: Double.self) == [3, 3, 3])
        #expect(b.grad!.toArray(as: Double.self) == [1, 1, 1])
    }

    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let w = Tensor(shape: [2], scalars: [1, 2] as [Float]).requiresGrad()
        (w * 3).sum().backward()
        (w * 3).sum().backward()
        #expect(w.grad!.toArray(as: Float.self) == [6, 6])
    }

    @Test func broadcastGradientsAreSummedToInputShape() {
        let a = Tensor.ones([4, 1, 3], dtype: .float64, requiresGrad: true)
        let b = Tensor.ones([5, 1], dtype: .float64, requiresGrad: true)
        (a * b).sum().backward()
        #expect(a.grad!.shape == [4, 1, 3] && a.grad!.toArray(as: Double.self).allSatisfy { $0 == 5 })
        #expect(b.grad!.shape == [5, 1] && b.grad!.toArray(as: Double.self).allSatisfy { $0 == 12 })
    }

    @Test func gradFnNamesAndLeafness() {
        let x = Tensor.ones([2], requiresGrad: true)
        let y = x + 1
        #expect(x.isLeaf && !y.isLeaf)
        #expect(y.gradFn?.name == "AddBackward0")
        #expect((x * x).gradFn?.name == "MulBackward0")
        #expect(x.sum().gradFn?.name == "SumBackward0")
        #expect(y.gradFn!.nextFunctions.count == 2)
        #expect(String(describing: y) == "tensor([2., 2.], grad_fn=<AddBackward0>)")
        #expect(String(describing: x) == "tensor([1., 1.], requires_grad=True)")
    }

    @Test func noGradNestsAndRestores() {
        let x = Tensor.ones([2], requiresGrad: true)
        noGrad {
            #expect(!(x * 2).requiresGrad)
            enableGrad { #expect((x * 2).requiresGrad) }
            #expect(!GradMode.isEnabled)
        }
        #expect(GradMode.isEnabled && (x * 2).requiresGrad)
    }

    @Test func retainGradKeepsNonLeafGradient() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3] as [Double]).requiresGrad()
        let y = x * 2
        y.retainGrad()
        let z = y * y
        z.sum().backward()
        #expect(y.grad!.toArray(as: Double.self) == [4, 8, 12])
        #expect(x.grad!.toArray(as: Double.self) == [8, 16, 24])
    }

    @Test func inPlaceResidualAddKeepsGradientsCorrect() {
        // The seed's `x = conv2(x); x += residual; relu(x)` with a product standing in for conv.
        let input = Tensor(shape: [3], scalars: [1, -2, 3] as [Double]).requiresGrad()
        let w = Tensor(shape: [3], scalars: [0.5, 0.5, -1] as [Double]).requiresGrad()
        let residual = input
        var x = input * w
        x += residual
        let out = x.relu().sum()
        out.backward()
        // x = input*w + input = [1.5, -3, 0]; relu mask [1, 0, 0].
        #expect(x.gradFn?.name == "AddBackward0")
        #expect(input.grad!.toArray(as: Double.self) == [1.5, 0, 0])
        #expect(w.grad!.toArray(as: Double.self) == [1, 0, 0])
    }

    @Test func secondOrderGradients() {
        let x = Tensor(shape: [3], scalars: [0.5, 1, 2] as [Double]).requiresGrad()
        let y = (x.pow(3) + x.exp() * x.sin()).sum()
        let dx = grad(of: y, withRespectTo: x, createGraph: true)
        let d2 = grad(of: dx.sum(), withRespectTo: x)
        let values = x.toArray(as: Double.self)
        let expected = values.map { v in 6 * v + referenceExp(v) * 2 * referenceCos(v) }
        for (a, e) in zip(d2.toArray(as: Double.self), expected) { #expect(Swift.abs(a - e) < 1e-10) }
        #expect(x.grad == nil)  // autograd.grad leaves .grad untouched
    }

    @Test func secondOrderThroughMatmulAndSoftmax() throws {
        let w = Tensor.randn([3, 3], dtype: .float64, requiresGrad: true)
        let x = Tensor.randn([2, 3], dtype: .float64)
        let f: ([Tensor]) -> Tensor = { inputs in
            let g = grad(
                of: x.matmul(inputs[0]).softmax(dim: 1).pow(2).sum(), withRespectTo: inputs[0], createGraph: true)
            return g.tanh().sum()
        }
        #expect(try gradcheck(f, inputs: [w]))
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        let x = Tensor.ones([1], requiresGrad: true)
        var y = x
        for _ in 0..<10_000 { y = y * 1.0001 }
        y.sum().backward()
        #expect(Swift.abs(x.grad!.item() - referencePow(1.0001, 10_000)) < 1e-2)
    }

    @Test func graphIsFreedAfterBackward() {
        weak var savedInput: Tensor?
        do {
            let w = Tensor.ones([4], requiresGrad: true)
            var h = w
            for _ in 0..<100 { h = (h * 1.5).tanh() }
            let intermediate = w * 2
            savedInput = intermediate
            let loss = (intermediate * h).sum()
            loss.backward()
        }
        #expect(savedInput == nil)
    }

    @Test func trainingLoopMemoryStaysFlat() {
        // 10,000 small ops through graphs that are built and dropped: no Storage must survive.
        weak var firstActivation: Tensor?
        let w = Tensor.randn([8, 8], requiresGrad: true)
        for step in 0..<2_000 {
            let x = Tensor.randn([4, 8])
            let h = x.matmul(w)
            if step == 0 { firstActivation = h }
            let loss = h.relu().mul(h).mean()
            loss.backward()
            noGrad { _ = w.subInPlace(w.grad! * 0.001) }
            w.grad = nil
        }
        #expect(firstActivation == nil)
    }

    @Test func detachSharesStorageWithoutHistory() {
        let x = Tensor.ones([2], requiresGrad: true)
        let y = (x * 2).detach()
        #expect(!y.requiresGrad && y.isLeaf && y.gradFn == nil)
    }
}

// Expected values computed in float64 through Ember (no Foundation).
private func referenceExp(_ x: Double) -> Double { Tensor(x, dtype: .float64).exp().item() }
private func referenceCos(_ x: Double) -> Double { Tensor(x, dtype: .float64).cos().item() }
private func referencePow(_ x: Double, _ y: Double) -> Double { Tensor(x, dtype: .float64).pow(y).item() }
