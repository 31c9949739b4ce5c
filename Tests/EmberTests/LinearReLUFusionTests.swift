import Testing

@testable import Ember

/// `Sequential` runs a `Linear` and the `ReLU` after it as one product whose epilogue adds the
/// bias and applies ReLU (`Linear.forwardReLU`) when autograd records neither: the values must be
/// those of the two layers run one after the other, bit for bit, and nothing else may change.
@Suite struct LinearReLUFusionTests {
    /// The bits of every element, so that NaN compares equal to NaN.
    private func bits(_ t: Tensor) -> [UInt64] { t.scalars.map(\.bitPattern) }

    /// Batch sizes through one core's BLAS call, the BLAS in one band per core and the packed B
    /// (`prefersPackedGemm`); with and without a bias; float32 and float64; a row of NaN inputs
    /// (kept by ReLU, as `torch.relu` keeps them) and a row of zeros (whose outputs are the
    /// bias's ReLU).
    @Test(arguments: [(3, 5, 4), (64, 784, 256), (300, 100, 40)])
    func fusedLayersGiveTheValuesOfTheLayersInTurn(batch: Int, inFeatures: Int, hidden: Int) {
        for dtype in [DType.float32, .float64] {
            for hasBias in [true, false] {
                let first = Linear(inFeatures, hidden, bias: hasBias, dtype: dtype)
                let last = Linear(hidden, 3, dtype: dtype)
                let model = Sequential(first, ReLU(), last)
                let rows = Tensor.randn([batch - 2, inFeatures], dtype: dtype)
                let x = Tensor.cat(
                    [
                        Tensor.full([1, inFeatures], .nan, dtype: dtype), Tensor.zeros([1, inFeatures], dtype: dtype),
                        rows,
                    ], dim: 0)
                let (fused, hiddenFused, inTurn, hiddenInTurn) = noGrad {
                    (model(x), first.forwardReLU(x)!, last(ReLU()(first(x))), ReLU()(first(x)))
                }
                let label = "\(dtype) batch \(batch) bias \(hasBias)"
                #expect(bits(hiddenFused) == bits(hiddenInTurn), "\(label)")
                #expect(bits(fused) == bits(inTurn), "\(label)")
                #expect(hiddenFused[0].isnanCount == hidden, "\(label)")
                #expect(hiddenFused.lt(0).sum().item() == 0, "\(label)")
            }
        }
    }

    /// With autograd recording, the layers run in turn and the graph keeps PyTorch's nodes.
    @Test func recordingKeepsPyTorchsNodes() {
        let model = Sequential(Linear(4, 6), ReLU(), Linear(6, 2))
        let y = model(Tensor.randn([5, 4]))
        #expect(y.gradFn?.name == "AddmmBackward0")
        let relu = y.gradFn?.nextFunctions.compactMap { $0 }.first { $0.name == "ReluBackward0" }
        #expect(relu?.nextFunctions.contains { $0?.name == "AddmmBackward0" } == true)
        #expect(noGrad { model(Tensor.randn([5, 4])).gradFn } == nil)
    }

    /// A subclass of `Linear` keeps its own `forward`; inputs the product would reject still reach
    /// `F.linear`, which raises PyTorch's error; parameters that require grad outside `noGrad`
    /// are recorded.
    @Test func subclassesAndOtherInputsRunTheLayersInTurn() {
        final class Doubled: Linear {
            override func forward(_ input: Tensor) -> Tensor { super.forward(input) * 2 }
        }
        let layer = Doubled(3, 4)
        let x = Tensor.randn([2, 3])
        noGrad {
            #expect(layer.forwardReLU(x) == nil)
            #expect(Sequential(layer, ReLU())(x).equal(ReLU()(layer(x))))
            let plain = Linear(3, 4)
            #expect(plain.forwardReLU(Tensor.randn([2, 5, 3])) == nil)
            #expect(plain.forwardReLU(Tensor.randn([2, 4])) == nil)
            #expect(plain.forwardReLU(Tensor.randn([2, 3], dtype: .float64)) == nil)
            #expect(plain.forwardReLU(x) != nil)
        }
        #expect(Linear(3, 4).forwardReLU(x) == nil)
    }
}

extension Tensor {
    /// The number of NaN elements.
    fileprivate var isnanCount: Int { scalars.filter(\.isNaN).count }
}
