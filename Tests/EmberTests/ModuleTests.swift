import Foundation
import Testing

@testable import Ember

// MyModule and DynamicModel are API.md's, defined in APIContractTests.swift.

private class Base: Module {
    let scale = Parameter(Tensor.ones([1]))
    let cache = Tensor.zeros([3])  // a plain tensor: not a parameter
    let stats = Buffer(Tensor.zeros([2]))
    let scratch = Buffer(Tensor.zeros([2]), persistent: false)
}

private final class Derived: Base {
    var head: Linear? = Linear(2, 2)
    let blocks: [Module] = [Linear(2, 3), ReLU()]
    let runningMean = Buffer(Tensor.zeros([2]))
    override class var stateKeyOverrides: [String: String] { ["runningMean": "running_mean"] }
    override func forward(_ x: Tensor) -> Tensor { x }
}

@Suite struct ModuleTests {
    @Test func subclassForwardAndParameters() {
        let model = MyModule()
        let y = model(Tensor.randn([4, 784]))
        #expect(y.shape == [4, 10])
        #expect(model.namedParameters().map(\.0) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(model.parameterCount == 784 * 256 + 256 + 256 * 10 + 10)
        #expect(model.parameters().allSatisfy { $0.requiresGrad && $0.isLeaf })
    }

    @Test func discoveryOrderRolesAndOverrides() {
        let m = Derived()
        #expect(
            m.stateDictKeys() == [
                "scale", "stats", "running_mean", "head.weight", "head.bias", "blocks.0.weight", "blocks.0.bias",
            ])
        #expect(m.namedBuffers().map(\.0) == ["stats", "scratch", "running_mean"])
        m.head = nil
        #expect(!m.stateDictKeys().contains("head.weight"))
    }

    @Test func sequentialKeysAndRepr() {
        let model = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
        #expect(model.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(
            model.description == """
                Sequential(
                  (0): Linear(in_features=784, out_features=256, bias=True)
                  (1): ReLU()
                  (2): Linear(in_features=256, out_features=10, bias=True)
                )
                """)
        let nested = Sequential(named: [("encoder", Sequential(Linear(2, 2))), ("act", Tanh())])
        #expect(
            nested.description == """
                Sequential(
                  (encoder): Sequential(
                    (0): Linear(in_features=2, out_features=2, bias=True)
                  )
                  (act): Tanh()
                )
                """)
    }

    @Test func moduleListAndDict() {
        let model = DynamicModel(numLayers: 3)
        #expect(model(Tensor.randn([2, 128])).shape == [2, 128])
        #expect(model.stateDictKeys().first == "layers.0.weight" && model.stateDictKeys().count == 6)
        model.layers.insert(Identity(), at: 0)
        #expect(model.stateDictKeys().first == "layers.1.weight")
        let heads = ModuleDict(["cls": Linear(128, 10), "reg": Linear(128, 1)])
        #expect(heads.keys == ["cls", "reg"])
        #expect(heads.stateDictKeys() == ["cls.weight", "cls.bias", "reg.weight", "reg.bias"])
        #expect((heads["reg"]!)(Tensor.randn([3, 128])).shape == [3, 1])
    }

    @Test func replacingAChildIsSeenEverywhere() {
        final class Net: Module {
            var fc = Linear(8, 1000)
        }
        let net = Net()
        net.fc = Linear(net.fc.inFeatures, 10)
        #expect(net.stateDict()["fc.weight"]!.shape == [10, 8])
        #expect(net.parameters()[0].shape == [10, 8])
    }

    @Test func loadStateDictStrictErrorsAndNonStrict() throws {
        let model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        var state = Sequential(Linear(3, 4), ReLU(), Linear(4, 2)).stateDict()
        try model.loadStateDict(state)
        #expect(model.stateDict()["0.weight"]!.equal(state["0.weight"]!))

        state["extra"] = Tensor.zeros([1])
        state["2.bias"] = nil
        state["0.weight"] = Tensor.zeros([5, 3])
        do {
            try model.loadStateDict(state)
            Issue.record("expected an error")
        } catch {
            #expect(error.missingKeys == ["2.bias"])
            #expect(error.unexpectedKeys == ["extra"])
            #expect(
                error.description.contains(
                    "size mismatch for 0.weight: copying a param with shape torch.Size([5, 3]) from checkpoint, the shape in current model is torch.Size([4, 3])."
                ))
            #expect(error.description.contains("Missing key(s) in state_dict: \"2.bias\"."))
        }
        state["0.weight"] = Tensor.zeros([4, 3])
        let result = try model.loadStateDict(state, strict: false)
        #expect(result.missingKeys == ["2.bias"] && result.unexpectedKeys == ["extra"])
        #expect(model.stateDict()["0.weight"]!.abs().sum().item() == 0)
        state["0.weight"] = Tensor.zeros([4, 3], dtype: .float64)
        #expect(throws: StateDictError.self) { try model.loadStateDict(state, strict: false) }
    }

    @Test func trainEvalFreezeAndDtype() {
        let model = Sequential(Linear(2, 2), Dropout(p: 0.5), Linear(2, 1))
        model.eval()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        let x = Tensor.ones([4, 2])
        #expect(model(x).equal(model(x)))  // dropout is the identity in eval mode
        model.train()
        #expect(model[1].isTraining)
        (model[0] as! Linear).requiresGrad(false)
        model(x).sum().backward()
        #expect(model.parameters()[0].grad == nil && model.parameters()[2].grad != nil)
        model.zeroGrad()
        #expect(model.parameters().allSatisfy { $0.grad == nil })
        model.to(.float64)
        #expect(model.parameters().allSatisfy { $0.dtype == .float64 })
        #expect(model(x.double()).dtype == .float64)
    }

    @Test func linearDefaultInitMatchesPyTorchBounds() {
        manualSeed(0)
        let layer = Linear(400, 30)
        let bound = 1 / 400.0.squareRoot()
        let w = layer.weight.toArray(as: Float.self).map(Double.init)
        #expect(w.allSatisfy { Swift.abs($0) <= bound })
        // U(-b, b) has variance b²/3.
        let variance = w.map { $0 * $0 }.reduce(0, +) / Double(w.count)
        #expect(Swift.abs(variance - bound * bound / 3) < 0.05 * bound * bound)
        #expect(layer.bias!.toArray(as: Float.self).allSatisfy { Swift.abs(Double($0)) <= bound })
    }

    @Test func bilinearLayerFollowsPyTorch() {
        let layer = Bilinear(30, 4, 5)
        // PyTorch's repr, keys and U(-1/√in1, 1/√in1) for weight and bias.
        #expect(layer.description == "Bilinear(in1_features=30, in2_features=4, out_features=5, bias=True)")
        #expect(layer.stateDictKeys() == ["weight", "bias"])
        #expect(layer.weight.shape == [5, 30, 4])
        let bound = 1 / 30.0.squareRoot()
        let w = layer.weight.toArray(as: Double.self)
        #expect(w.allSatisfy { Swift.abs($0) <= bound } && w.map(Swift.abs).max()! > 0.9 * bound)
        #expect(layer.bias!.toArray(as: Double.self).allSatisfy { Swift.abs($0) <= bound })
        let x1 = Tensor.randn([2, 3, 30])
        let x2 = Tensor.randn([2, 3, 4])
        let y = layer(x1, x2)
        let expected = F.bilinear(x1, x2, layer.weight, bias: layer.bias)
        #expect(y.shape == [2, 3, 5] && (y - expected).abs().max().item() == 0)
        // One output by the definition: x1ᵀ A₀ x2 + b₀.
        let direct = (x1[0][1].unsqueeze(0).matmul(layer.weight[0]).matmul(x2[0][1].unsqueeze(1))).item()
        #expect(Swift.abs(y[0][1][0].item() - direct - layer.bias![0].item()) < 1e-4)
    }

    @Test func dropoutScalesKeptElements() {
        let x = Tensor.ones([10_000])
        let y = F.dropout(x, p: 0.25)
        let values = Set(y.toArray(as: Float.self))
        #expect(values.isSubset(of: [0, Float(1 / 0.75)]))
        let kept = y.toArray(as: Float.self).filter { $0 != 0 }.count
        #expect(Swift.abs(Double(kept) / 10_000 - 0.75) < 0.03)
    }

    @Test func lossModulesMatchFunctional() {
        let input = Tensor.randn([4, 3])
        let target = Tensor.randint(0, 3, [4])
        #expect(CrossEntropyLoss()(input, target).equal(F.crossEntropy(input, target)))
        #expect(MSELoss(reduction: .sum)(input, input * 2).equal(F.mseLoss(input, input * 2, reduction: .sum)))
        let logProbabilities = F.logSoftmax(input, dim: 1)
        let probabilities = F.softmax(Tensor.randn([4, 3]), dim: 1)
        for (mode, reduction) in [("none", Reduction.none), ("mean", .mean), ("sum", .sum), ("batchmean", .sum)] {
            let loss = KLDivLoss(reduction: mode)
            #expect(loss.reduction == reduction && loss.reductionMode == mode)
            #expect(
                loss(logProbabilities, probabilities).equal(F.klDiv(logProbabilities, probabilities, reduction: mode)))
        }
        // F.kl_div's edge cases: NaN for a negative or NaN target and for a zero target against −∞;
        // 0 for a zero target otherwise.
        let edgeInput = Tensor(shape: [5], scalars: [0, -.infinity, 0, -1, -0.5] as [Double])
        let edgeTarget = Tensor(shape: [5], scalars: [-1, 0, .nan, 0, 0.5] as [Double])
        let pointwise = F.klDiv(edgeInput, edgeTarget, reduction: "none").toArray(as: Double.self)
        #expect(pointwise[0].isNaN && pointwise[1].isNaN && pointwise[2].isNaN && pointwise[3] == 0)
        #expect(Swift.abs(pointwise[4] - 0.5 * (Foundation.log(0.5) + 0.5)) < 1e-15)
    }
}
