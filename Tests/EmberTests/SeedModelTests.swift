// The seed tutorial's models against PyTorch's own (Tests/Fixtures/seed_models.json, made by
// make_seed_models_fixtures.py): repr and state-dict keys and shapes character for character,
// and a forward and backward pass with the same weights.
// MyModule, ResidualBlock, DynamicModel and CNNRNN are API.md's, defined in APIContractTests.swift.

import Foundation
import Testing

@testable import Ember

/// The seed's hand-built regression MLP, as the tutorial writes it (a `relu` module reused).
private final class Model: Module {
    let linear1: Linear
    let linear2: Linear
    let linear3: Linear
    let relu = ReLU()
    init(_ inputSize: Int, _ hiddenSize: Int, _ outputSize: Int) {
        linear1 = Linear(inputSize, hiddenSize)
        linear2 = Linear(hiddenSize, hiddenSize)
        linear3 = Linear(hiddenSize, outputSize)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        linear3(relu(linear2(relu(linear1(x)))))
    }
}

private struct GradSummary: Decodable {
    let sum: Double
    let absSum: Double
    let samples: [Double]
    enum CodingKeys: String, CodingKey {
        case sum, samples
        case absSum = "abs_sum"
    }
}

private struct SeedModelCase: Decodable, CustomTestStringConvertible {
    let name: String
    let repr: String
    let keys: [String]
    let shapes: [[Int]]
    let input: FixtureTensor?
    let output: FixtureTensor?
    let upstream: FixtureTensor?
    let inputGrad: FixtureTensor?
    let paramGrads: [String: GradSummary]?
    enum CodingKeys: String, CodingKey {
        case name, repr, keys, shapes, input, output, upstream
        case inputGrad = "input_grad"
        case paramGrads = "param_grads"
    }
    var testDescription: String { name }
}

private struct SeedModelFile: Decodable {
    let models: [SeedModelCase]
}

private let seedModelCases: [SeedModelCase] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/seed_models.json")
    guard let data = try? Data(contentsOf: url) else { return [] }
    return (try? JSONDecoder().decode(SeedModelFile.self, from: data).models) ?? []
}()

/// The Ember model for a fixture case.
private func makeSeedModel(_ name: String) -> Module? {
    switch name {
    case "my_module": MyModule()
    case "residual_block": ResidualBlock(4, 4)
    case "sequential": Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
    case "dynamic_model": DynamicModel(numLayers: 3)
    case "module_dict": ModuleDict(["cls": Linear(128, 10), "reg": Linear(128, 1)])
    case "cnn_rnn": CNNRNN()
    case "seed_mlp": Model(20, 64, 1)
    case "seed_cnn":
        Sequential(
            Conv2d(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
            Linear(6 * 14 * 14, 10))
    default: nil
    }
}

/// The fixture script's `det`: values in [-scale, scale) from an integer hash of the flat index.
private func deterministic(_ shape: [Int], salt: Int, scale: Double) -> Tensor {
    let count = shape.reduce(1, *)
    let values = (0..<count).map { i -> Float in
        let hash = (Int64(i) * 2_654_435_761 + Int64(salt) * 40503) % 4_294_967_296
        return Float((Double(hash) / 4_294_967_296.0 - 0.5) * (2.0 * scale))
    }
    return Tensor(shape: shape, scalars: values)
}

/// Parameter k in registration order gets `deterministic(shape, k, 1/sqrt(fanIn))`, biases 0.1.
private func fillDeterministic(_ model: Module) {
    noGrad {
        for (k, p) in model.parameters().enumerated() {
            let scale = p.dim < 2 ? 0.1 : 1.0 / Double(p.count / p.shape[0]).squareRoot()
            p.copy(from: deterministic(p.shape, salt: k, scale: scale))
        }
    }
}

private func close(_ actual: Double, _ expected: Double, scale: Double) -> Bool {
    Swift.abs(actual - expected) <= 1e-5 * scale + 1e-4 * Swift.abs(expected)
}

@Suite struct SeedModelTests {
    @Test func fixtureHoldsEverySeedModel() {
        #expect(seedModelCases.count == 8)
        #expect(seedModelCases.allSatisfy { makeSeedModel($0.name) != nil })
    }

    @Test(arguments: seedModelCases)
    fileprivate func reprAndStateDictMatchPyTorch(_ c: SeedModelCase) throws {
        let model = try #require(makeSeedModel(c.name))
        #expect(model.description == c.repr)
        #expect(model.stateDictKeys() == c.keys)
        #expect(model.stateDict().values.count == c.shapes.count)
        let state = model.stateDict()
        #expect(c.keys.map { state[$0]?.shape ?? [] } == c.shapes)
    }

    @Test(arguments: seedModelCases.filter { $0.input != nil })
    fileprivate func forwardAndBackwardMatchPyTorch(_ c: SeedModelCase) throws {
        let model = try #require(makeSeedModel(c.name))
        let input = try #require(c.input)
        let expectedOutput = try #require(c.output)
        fillDeterministic(model)
        let x = deterministic(input.shape, salt: 1000, scale: 1)
        #expect(fixtureMismatch(x, input) == nil, "the hashed input differs from the fixture's")
        x.requiresGrad = true
        let out = model(x)
        #expect(fixtureMismatch(out, expectedOutput) == nil, "\(fixtureMismatch(out, expectedOutput) ?? "")")
        out.backward(gradient: try #require(c.upstream).makeTensor())
        let inputGrad = try #require(c.inputGrad)
        let gx = try #require(x.grad)
        #expect(fixtureMismatch(gx, inputGrad) == nil, "input grad: \(fixtureMismatch(gx, inputGrad) ?? "")")
        let summaries = try #require(c.paramGrads)
        #expect(Set(summaries.keys) == Set(model.namedParameters().map(\.0)))
        for (name, p) in model.namedParameters() {
            let g = try #require(p.grad, "\(name) has no grad").to(.float64).reshape(-1)
            let want = try #require(summaries[name])
            let values = g.toArray(as: Double.self)
            let scale = want.absSum / Double(values.count) + 1e-3
            #expect(close(g.sum().item(), want.sum, scale: want.absSum), "\(name) sum")
            #expect(close(g.abs().sum().item(), want.absSum, scale: want.absSum), "\(name) abs sum")
            for (k, expected) in want.samples.enumerated() {
                let actual = values[(k * 7919) % values.count]
                #expect(close(actual, expected, scale: scale), "\(name)[\((k * 7919) % values.count)]")
            }
        }
    }
}
