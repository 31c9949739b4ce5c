// The fused cross-entropy path (one kernel for log_softmax + nll_loss) against the composite
// formula it replaces: values, first and second derivatives, views, ignored rows, errors.
// Its PyTorch fixtures are the ce_* cases of ops.json.

import Testing

@testable import Ember

/// The unfused formula: `nll_loss(log_softmax(x))`.
private func compositeCrossEntropy(_ x: Tensor, _ t: Tensor, ignoreIndex: Int, reduction: Reduction) -> Tensor {
    F.nllLoss(x.logSoftmax(dim: 1), t, ignoreIndex: ignoreIndex, reduction: reduction)
}

private func maxDifference(_ a: Tensor, _ b: Tensor) -> Double { (a - b).abs().max().item() }

@Suite struct CrossEntropyTests {
    @Test(arguments: [Reduction.mean, .sum, .none])
    func fusedMatchesCompositeToSecondOrder(reduction: Reduction) {
        let generator = Generator(seed: 11)
        let logits = Tensor.randn([6, 5], dtype: .float64, generator: generator) * 3
        let target = Tensor(shape: [6], scalars: [0, 4, 2, 2, 1, 3] as [Int64])
        let x1 = logits.clone().requiresGrad(true)
        let x2 = logits.clone().requiresGrad(true)
        let fused = F.crossEntropy(x1, target, ignoreIndex: 2, reduction: reduction)
        let composite = compositeCrossEntropy(x2, target, ignoreIndex: 2, reduction: reduction)
        #expect(fused.gradFn?.name == "NllLossBackward0")
        #expect(maxDifference(fused, composite) < 1e-14)
        let upstream = Tensor.randn(fused.shape, dtype: .float64, generator: generator)
        let g1 = grad(of: [fused], withRespectTo: [x1], gradOutputs: [upstream], createGraph: true)[0]!
        let g2 = grad(of: [composite], withRespectTo: [x2], gradOutputs: [upstream], createGraph: true)[0]!
        #expect(maxDifference(g1, g2) < 1e-14)
        #expect(g1[2].abs().max().item() == 0, "an ignored row gets no gradient")
        // Second order: the gradient of a function of the gradient.
        let h1 = grad(of: (g1 * g1).sum(), withRespectTo: x1)
        let h2 = grad(of: (g2 * g2).sum(), withRespectTo: x2)
        #expect(maxDifference(h1, h2) < 1e-12)
    }

    @Test func fusedPathPassesGradcheck() throws {
        let target = Tensor(shape: [4], scalars: [1, 0, 2, 1] as [Int64])
        let x = Tensor.randn([4, 3], dtype: .float64, generator: Generator(seed: 5), requiresGrad: true)
        try gradcheck({ F.crossEntropy($0[0], target, ignoreIndex: 0) }, inputs: [x])
        try gradcheck({ F.crossEntropy($0[0], target, reduction: .none) }, inputs: [x])
    }

    @Test func nonContiguousFloat32LogitsAndLargeValues() {
        let base = Tensor.randn([7, 4], generator: Generator(seed: 2)) * 40
        let x = base.t().requiresGrad(true)  // [4, 7], transposed view
        let target = Tensor(shape: [4], scalars: [6, 0, 3, 5] as [Int64])
        let fused = F.crossEntropy(x, target)
        let reference = compositeCrossEntropy(x.detach().to(.float64), target, ignoreIndex: -100, reduction: .mean)
        #expect(Swift.abs(fused.item() - reference.item()) <= 1e-5 * Swift.abs(reference.item()))
        fused.backward()
        let expected = (x.detach().to(.float64).softmax(dim: 1) - F.oneHot(target, numClasses: 7).to(.float64)) / 4
        #expect(maxDifference(x.grad!.to(.float64), expected) < 1e-6)
    }

    @Test func everyRowIgnoredGivesNaNMeanLikePyTorch() {
        let loss = F.crossEntropy(Tensor.randn([2, 3]), Tensor(shape: [2], scalars: [-100, -100] as [Int64]))
        #expect(loss.item().isNaN)
        let total = F.crossEntropy(
            Tensor.randn([2, 3]), Tensor(shape: [2], scalars: [-100, -100] as [Int64]), reduction: .sum)
        #expect(total.item() == 0)
    }

    @Test func targetOutOfBoundsStopsWithPyTorchsMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = F.crossEntropy(Tensor.randn([2, 3]), Tensor(shape: [2], scalars: [0, 3] as [Int64]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Target 3 is out of bounds."))
    }
}
