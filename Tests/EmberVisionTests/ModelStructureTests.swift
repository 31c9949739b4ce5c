// The models' structure against torchvision 0.29 (Tests/Fixtures/vision/models.json): state-dict
// keys, shapes and dtypes in order, parameter names in order, and the exact repr. Models are built with
// `Init.withoutRandomInit`, which keeps these checks fast (VGG-11 has 133 M parameters).

import Foundation
import Testing

@testable import EmberVision

/// The Ember builder for each torchvision model name in models.json.
let visionBuilders: [String: @Sendable () -> Module] = [
    "resnet18": { resnet18() },
    "resnet34": { resnet34() },
    "resnet50": { resnet50() },
    "vgg11": { vgg11() },
    "vgg11_bn": { vgg11BN() },
    "mobilenet_v2": { mobilenetV2() },
]

@Suite("EmberVision model structure")
struct ModelStructureTests {
    @Test func fixturesLoad() {
        #expect(modelStructures?.keys.sorted() == visionBuilders.keys.sorted())
    }

    @Test(arguments: visionBuilders.keys.sorted())
    func stateDictMatchesTorchvision(_ name: String) throws {
        let expected = try #require(modelStructures?[name])
        let model = Init.withoutRandomInit { visionBuilders[name]!() }
        let state = model.namedStateEntries().map {
            StateEntry(
                key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype.description.replacingOccurrences(of: "torch.", with: "")
            )
        }
        #expect(state.count == expected.state.count)
        for (mine, theirs) in zip(state, expected.state) where mine != theirs {
            Issue.record("\(name): \(mine) instead of \(theirs)")
            break
        }
        #expect(model.stateDictKeys() == expected.state.map(\.key))
        #expect(model.namedParameters().map(\.0) == expected.parameters)
        // Exactly torchvision's repr, `ReLU(inplace=True)` and `ReLU6(inplace=True)` included.
        #expect(model.description == expected.repr)
    }

    @Test func blockPropertiesFollowTorchvision() {
        let net = Init.withoutRandomInit { resnet50(numClasses: 7) }
        let first = net.layer2[0] as! Bottleneck
        #expect(first.stride == 2 && first.downsample != nil && first.conv2.stride == [2, 2])
        #expect((net.layer2[1] as! Bottleneck).downsample == nil)
        #expect(net.layer1.count == 3 && net.layer2.count == 4 && net.layer3.count == 6 && net.layer4.count == 3)
        #expect(net.fc.inFeatures == 2048 && net.fc.outFeatures == 7)
        let mobile = Init.withoutRandomInit { mobilenetV2(numClasses: 5) }
        #expect(mobile.features.count == 19 && mobile.lastChannel == 1280)
        #expect((mobile.features[2] as! InvertedResidual).useResConnect == false)
        #expect((mobile.features[3] as! InvertedResidual).useResConnect == true)
    }

    @Test func mobileNetWidthMultiplierRoundsLikeTorchvision() {
        // torchvision: _make_divisible(32 * 0.5, 8) = 16, _make_divisible(1280 * max(1, 0.5), 8) = 1280,
        // _make_divisible(16 * 0.35, 8) = 8, _make_divisible(24 * 1.3, 8) = 32, _make_divisible(3.5, 8) = 8.
        #expect(makeDivisible(32 * 0.5, 8) == 16)
        #expect(makeDivisible(16 * 0.35, 8) == 8)
        #expect(makeDivisible(24 * 1.3, 8) == 32)
        #expect(makeDivisible(3.5, 8) == 8)
        #expect(makeDivisible(92, 8) == 96)
        let half = Init.withoutRandomInit { mobilenetV2(numClasses: 3, widthMult: 0.5) }
        #expect(half.stateDict()["features.0.0.weight"]?.shape == [16, 3, 3, 3])
        #expect(half.classifier.stateDict()["1.weight"]?.shape == [3, 1280])
    }

    @Test func forwardShapes() {
        let x = Tensor.randn([1, 3, 32, 32])
        let models: [Module] = Init.withoutRandomInit {
            [resnet18(numClasses: 5), resnet50(numClasses: 5), mobilenetV2(numClasses: 5)]
        }
        for model in models {
            model.eval()
            #expect(noGrad { model(x) }.shape == [1, 5], "\(model.typeName)")
        }
    }
}

@Suite("EmberVision initialisation and head replacement")
struct InitialisationTests {
    @Test func torchvisionInitDistributions() {
        Ember.manualSeed(0)
        let model = Sequential(Conv2d(16, 64, kernelSize: 3), BatchNorm2d(64), Linear(100, 50))
        torchvisionInit(model, linearStd: 0.01)
        let conv = model[0] as! Conv2d
        let linear = model[2] as! Linear
        // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std √(2 / (64 · 9)).
        let convStd = conv.weight.std().item() as Double
        #expect(abs(convStd / (2.0 / 576).squareRoot() - 1) < 0.05)
        #expect(abs(conv.weight.mean().item() as Double) < 0.005)
        #expect(conv.bias!.scalars.allSatisfy { $0 == 0 })
        #expect(abs((linear.weight.std().item() as Double) / 0.01 - 1) < 0.05)
        #expect(linear.bias!.scalars.allSatisfy { $0 == 0 })
        // Without linearStd the Linear keeps PyTorch's default U(-1/√in, 1/√in).
        let plain = Linear(100, 50)
        let before = plain.weight.scalars
        torchvisionInit(plain)
        #expect(plain.weight.scalars == before)
    }

    @Test func zeroInitResidualZeroesTheLastNormOfEveryBlock() {
        let basic = Init.withoutRandomInit { resnet18(zeroInitResidual: true) }
        let bottleneck = Init.withoutRandomInit { resnet50(zeroInitResidual: true) }
        let plain = Init.withoutRandomInit { resnet18() }
        for (name, t) in basic.namedParameters() where name.hasSuffix(".weight") && name.contains("bn") {
            let expected: Double = name.hasPrefix("layer") && name.hasSuffix("bn2.weight") ? 0 : 1
            #expect(t.scalars.allSatisfy { $0 == expected }, "\(name)")
        }
        for (name, t) in bottleneck.namedParameters() where name.hasSuffix(".weight") && name.contains("bn") {
            let expected: Double = name.hasSuffix("bn3.weight") ? 0 : 1
            #expect(t.scalars.allSatisfy { $0 == expected }, "\(name)")
        }
        #expect(
            plain.namedParameters().filter { $0.0.hasSuffix("bn2.weight") }.allSatisfy {
                $0.1.scalars.allSatisfy { $0 == 1 }
            })
    }

    @Test func withoutRandomInitKeepsConstructorValues() {
        let (layer, norm) = Init.withoutRandomInit { (Conv2d(2, 3, kernelSize: 3), BatchNorm2d(3)) }
        #expect(layer.weight.scalars.allSatisfy { $0 == 0 } && layer.bias!.scalars.allSatisfy { $0 == 0 })
        #expect(norm.weight!.scalars.allSatisfy { $0 == 1 })
        #expect(Conv2d(2, 3, kernelSize: 3).weight.scalars.contains { $0 != 0 })
    }

    @Test func replacedHeadIsSeenEverywhere() {
        let net = Init.withoutRandomInit { resnet18(numClasses: 1000) }
        let keys = net.stateDictKeys()
        let oldHead = net.fc
        net.fc = Linear(net.fc.inFeatures, 10)
        #expect(net.stateDictKeys() == keys)
        #expect(net.stateDict()["fc.weight"]?.shape == [10, 512])
        #expect(net.stateDict()["fc.bias"]?.shape == [10])
        let parameters = net.parameters()
        #expect(parameters.contains { $0 === net.fc.weight } && parameters.contains { $0 === net.fc.bias! })
        #expect(!parameters.contains { $0 === oldHead.weight })
        #expect(net.parameterCount == 11_689_512 - 513_000 + 5130)
        #expect(net.description.hasSuffix("(fc): Linear(in_features=512, out_features=10, bias=True)\n)"))
        net.eval()
        #expect(noGrad { net(Tensor.randn([1, 3, 32, 32])) }.shape == [1, 10])
        // Fine-tuning only the head: gradients reach the new fc.
        net.requiresGrad(false)
        net.fc.requiresGrad(true)
        net.train()
        net(Tensor.randn([2, 3, 32, 32])).sum().backward()
        #expect(net.fc.weight.grad != nil && net.conv1.weight.grad == nil)
    }
}
