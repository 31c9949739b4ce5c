import Testing

@testable import Ember

/// Misuse stops the process with PyTorch's message; exit tests run each case in a child process.
@Suite struct ErrorMessageTests {
    @Test func matmulShapeMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.randn([64, 784]).mm(Tensor.randn([256, 10]))
        }
        #expect(stderr(result).contains("mat1 and mat2 shapes cannot be multiplied (64x784 and 256x10)"))
    }

    @Test func broadcastMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]) + Tensor.ones([2, 4])
        }
        #expect(
            stderr(result).contains(
                "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"))
    }

    @Test func invalidView() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]).view(4)
        }
        #expect(stderr(result).contains("shape '[4]' is invalid for input of size 6"))
    }

    @Test func backwardTwiceThroughFreedGraph() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones([2], requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
        #expect(stderr(result).contains("Trying to backward through the graph a second time"))
    }

    @Test func inPlaceChangeOfSavedTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones([2], requiresGrad: true)
            var y = x.exp()
            let z = y * 1
            y += 1
            _ = z
            y.sum().backward()
        }
        #expect(
            stderr(result).contains(
                "one of the variables needed for gradient computation has been modified by an inplace operation"))
    }

    @Test func inPlaceOnLeafRequiringGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor.ones([2], requiresGrad: true)
            x += 1
        }
        #expect(stderr(result).contains("a leaf Variable that requires grad is being used in an in-place operation."))
    }

    @Test func badDimension() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3]).sum(dim: 2)
        }
        #expect(stderr(result).contains("Dimension out of range (expected to be in range of [-2, 1], but got 2)"))
    }

    @Test func nonLeafRequiresGradChange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones([2], requiresGrad: true)
            (x * 2).requiresGrad = false
        }
        #expect(stderr(result).contains("you can only change requires_grad flags of leaf variables."))
    }

    @Test func integerTensorCannotRequireGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor.arange(0, 3).requiresGrad = true
        }
        #expect(stderr(result).contains("only Tensors of floating point dtype can require gradients"))
    }
}

private func stderr(_ result: ExitTest.Result?) -> String {
    guard let result else { return "" }
    return String(decoding: result.standardErrorContent, as: UTF8.self)
}
