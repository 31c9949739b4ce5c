// torchvision's BasicBlock and Bottleneck with PyTorch's float64 weights and perturbed BatchNorm
// statistics (Tests/Fixtures/vision/blocks.*): outputs, input gradients, and in training mode the
// parameter gradients and updated running statistics, against PyTorch.

import Foundation
import Testing

@testable import EmberVision

/// blocks.safetensors, loaded once.
let blockTensors: [String: Tensor]? = try? loadSafetensors(
    from: fixturesURL.appendingPathComponent("vision/blocks.safetensors"))

/// The Ember block for a fixture case, in float64 with PyTorch's initial state.
func makeBlock(_ c: BlockCase) throws -> Module {
    let outplanes = c.planes * (c.block == "BasicBlock" ? BasicBlock.expansion : Bottleneck.expansion)
    let downsample =
        c.downsample
        ? Sequential(conv1x1(c.inplanes, outplanes, stride: c.stride), BatchNorm2d(outplanes)) : nil
    let block: Module =
        c.block == "BasicBlock"
        ? BasicBlock(c.inplanes, c.planes, stride: c.stride, downsample: downsample)
        : Bottleneck(c.inplanes, c.planes, stride: c.stride, downsample: downsample)
    block.to(.float64)
    try block.loadStateDict(entries(try #require(blockTensors), prefix: "\(c.name).state."), strict: true)
    return block
}

@Suite("ResNet blocks against torchvision")
struct ResNetBlockTests {
    @Test func blockFixturesLoad() {
        #expect(blockCases.count == 4)
        #expect(blockTensors != nil)
    }

    @Test(arguments: blockCases)
    func evalMode(_ c: BlockCase) throws {
        let t = try #require(blockTensors)
        let block = try makeBlock(c).eval()
        let x = t["\(c.name).input"]!.detach()
        x.requiresGrad = true
        let y = block(x)
        (y * t["\(c.name).upstream"]!).sum().backward()
        expectMatches(y, t["\(c.name).eval.output"], "\(c.name) eval output", tolerance: 1e-12)
        expectMatches(x.grad, t["\(c.name).eval.input_grad"], "\(c.name) eval input grad", tolerance: 1e-12)
    }

    @Test(arguments: blockCases)
    func trainMode(_ c: BlockCase) throws {
        let t = try #require(blockTensors)
        let block = try makeBlock(c).train()
        let x = t["\(c.name).input"]!.detach()
        x.requiresGrad = true
        let y = block(x)
        (y * t["\(c.name).upstream"]!).sum().backward()
        expectMatches(y, t["\(c.name).train.output"], "\(c.name) train output", tolerance: 1e-12)
        expectMatches(x.grad, t["\(c.name).train.input_grad"], "\(c.name) train input grad", tolerance: 1e-10)
        let grads = entries(t, prefix: "\(c.name).train.grad.")
        let parameters = block.namedParameters()
        #expect(Set(parameters.map(\.0)) == Set(grads.keys))
        for (name, p) in parameters {
            expectMatches(p.grad, grads[name], "\(c.name) grad of \(name)", tolerance: 1e-10)
        }
        let after = entries(t, prefix: "\(c.name).train.state.")
        let state = block.stateDict()
        #expect(Set(state.keys) == Set(after.keys))
        for (key, value) in state {
            expectMatches(value, after[key], "\(c.name) state \(key) after the step", tolerance: 1e-12)
        }
    }

    @Test func torchSaveStateDictLoads() throws {
        // The same state dict as bottleneck_identity.state.* in blocks.safetensors, from torch.save.
        let c = try #require(blockCases.last)
        let state = try loadStateDictFile(from: fixturesURL.appendingPathComponent("vision/\(c.name).pt"))
        let expected = entries(try #require(blockTensors), prefix: "\(c.name).state.")
        #expect(Set(state.keys) == Set(expected.keys))
        for (key, value) in expected {
            #expect(state[key].map { $0.dtype == value.dtype && $0.equal(value) } == true, "\(key)")
        }
        let block = Bottleneck(c.inplanes, c.planes).to(.float64)
        try block.loadStateDict(state, strict: true)
        let y = noGrad { block.eval()(try! #require(blockTensors)["\(c.name).input"]!) }
        expectMatches(y, blockTensors?["\(c.name).eval.output"], "output with the .pt weights", tolerance: 1e-12)
    }

    @Test func blockReprAndKeysFollowTorchvision() {
        let block = Bottleneck(4, 2, stride: 2, downsample: Sequential(conv1x1(4, 8, stride: 2), BatchNorm2d(8)))
        #expect(
            block.stateDictKeys().prefix(7) == [
                "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "bn1.num_batches_tracked", "conv2.weight",
            ])
        #expect(block.stateDictKeys().last == "downsample.1.num_batches_tracked")
        #expect(
            block.namedChildren().map(\.0) == ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu", "downsample"])
        #expect(BasicBlock(4, 4).namedChildren().map(\.0) == ["conv1", "bn1", "relu", "conv2", "bn2"])
    }

    @Test(arguments: [false, true])
    func basicBlockPassesGradcheck(training: Bool) throws {
        // The in-place residual sum keeps gradients exact, with running or batch statistics.
        let block = BasicBlock(2, 2).to(.float64).train(training)
        let x = Tensor.randn([2, 2, 3, 3], dtype: .float64)
        x.requiresGrad = true
        #expect(try gradcheck({ block($0[0]) }, inputs: [x]))
    }
}
