// Shared support for the PyTorch layer fixtures of NormalizationTests, EmbeddingTests and
// RecurrentTests: Tests/Fixtures/layers.json, written by Tests/Fixtures/make_layers_fixtures.py
// (see its docstring for the format). Each module case builds the Ember layer from the same
// arguments, loads PyTorch's initial state dict, and replays PyTorch's steps, comparing outputs,
// input gradients, parameter gradients and the final state dict.

import Foundation
import Testing

@testable import Ember

struct LayerModuleCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Step: Decodable, Sendable {
        let train: Bool
        let call: String
        let inputs: [FixtureTensor]
        let outputs: [FixtureTensor]
        let upstream: [FixtureTensor]
        let inputGrads: [FixtureTensor?]
        let paramGrads: [String: FixtureTensor]

        enum CodingKeys: String, CodingKey {
            case train, call, inputs, outputs, upstream
            case inputGrads = "input_grads"
            case paramGrads = "param_grads"
        }
    }

    let name: String
    let module: String
    let args: [String: FixtureJSON]
    let dtype: String
    let repr: String
    let stateKeys: [String]
    let state: [String: FixtureTensor]
    let steps: [Step]
    let finalState: [String: FixtureTensor]

    enum CodingKeys: String, CodingKey {
        case name, module, args, dtype, repr, state, steps
        case stateKeys = "state_keys"
        case finalState = "final_state"
    }

    var testDescription: String { name }
    var p: FixtureParams { FixtureParams(values: args) }
}

struct LayerFunctionalCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let function: String
    let params: [String: FixtureJSON]
    let inputs: [FixtureTensor?]
    let output: FixtureTensor
    let upstream: FixtureTensor
    let grads: [FixtureTensor?]
    let after: [FixtureTensor?]

    var testDescription: String { name }
    var p: FixtureParams { FixtureParams(values: params) }
}

struct LayerFixtureFile: Decodable {
    let modules: [LayerModuleCase]
    let functional: [LayerFunctionalCase]
}

/// Tests/Fixtures/layers.json, next to this source file.
let layerFixtureURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures/layers.json")

/// The decoded fixture file, or nil when it cannot be read (the `fileLoads` tests then fail).
let layerFixtures: LayerFixtureFile? = {
    guard let data = try? Data(contentsOf: layerFixtureURL) else { return nil }
    return try? JSONDecoder().decode(LayerFixtureFile.self, from: data)
}()

/// The module cases of the given Ember classes.
func layerModuleCases(_ classes: Set<String>) -> [LayerModuleCase] {
    (layerFixtures?.modules ?? []).filter { classes.contains($0.module) }
}

/// The functional cases of the given function names.
func layerFunctionalCases(_ functions: Set<String>) -> [LayerFunctionalCase] {
    (layerFixtures?.functional ?? []).filter { functions.contains($0.function) }
}

/// Builds the Ember layer a case describes, with the same constructor arguments as PyTorch.
func makeLayer(_ c: LayerModuleCase) -> Module {
    let p = c.p
    let dtype = DType(rawValue: c.dtype)!
    let momentum = p.has("momentum") ? p.double("momentum") : 0.1
    let eps = p.double("eps") ?? 1e-5
    switch c.module {
    case "BatchNorm1d":
        return BatchNorm1d(
            p.int("numFeatures")!, eps: eps, momentum: momentum, affine: p.bool("affine", default: true),
            trackRunningStats: p.bool("trackRunningStats", default: true), bias: p.bool("bias", default: true),
            dtype: dtype)
    case "BatchNorm2d":
        return BatchNorm2d(
            p.int("numFeatures")!, eps: eps, momentum: momentum, affine: p.bool("affine", default: true),
            trackRunningStats: p.bool("trackRunningStats", default: true), bias: p.bool("bias", default: true),
            dtype: dtype)
    case "LayerNorm":
        return LayerNorm(
            p.ints("normalizedShape")!, eps: eps, elementwiseAffine: p.bool("elementwiseAffine", default: true),
            bias: p.bool("bias", default: true), dtype: dtype)
    case "GroupNorm":
        return GroupNorm(
            p.int("numGroups")!, p.int("numChannels")!, eps: eps, affine: p.bool("affine", default: true),
            bias: p.bool("bias", default: true), dtype: dtype)
    case "Embedding":
        return Embedding(p.int("numEmbeddings")!, p.int("embeddingDim")!, paddingIdx: p.int("paddingIdx"), dtype: dtype)
    case "RNN":
        return RNN(
            p.int("inputSize")!, p.int("hiddenSize")!, numLayers: p.int("numLayers", default: 1),
            nonlinearity: p.string("nonlinearity") ?? "tanh", bias: p.bool("bias", default: true),
            batchFirst: p.bool("batchFirst"), dropout: p.double("dropout") ?? 0, bidirectional: p.bool("bidirectional"),
            dtype: dtype)
    case "LSTM":
        return LSTM(
            p.int("inputSize")!, p.int("hiddenSize")!, numLayers: p.int("numLayers", default: 1),
            bias: p.bool("bias", default: true), batchFirst: p.bool("batchFirst"), dropout: p.double("dropout") ?? 0,
            bidirectional: p.bool("bidirectional"), dtype: dtype)
    case "GRU":
        return GRU(
            p.int("inputSize")!, p.int("hiddenSize")!, numLayers: p.int("numLayers", default: 1),
            bias: p.bool("bias", default: true), batchFirst: p.bool("batchFirst"), dropout: p.double("dropout") ?? 0,
            bidirectional: p.bool("bidirectional"), dtype: dtype)
    case "RNNCell":
        return RNNCell(
            p.int("inputSize")!, p.int("hiddenSize")!, bias: p.bool("bias", default: true),
            nonlinearity: p.string("nonlinearity") ?? "tanh", dtype: dtype)
    case "LSTMCell":
        return LSTMCell(p.int("inputSize")!, p.int("hiddenSize")!, bias: p.bool("bias", default: true), dtype: dtype)
    case "GRUCell":
        return GRUCell(p.int("inputSize")!, p.int("hiddenSize")!, bias: p.bool("bias", default: true), dtype: dtype)
    default:
        fatalError("unknown module \(c.module) in layers.json")
    }
}

/// Runs one step's call the way the fixture made it, returning the outputs flattened as PyTorch's
/// (`(output, h_n)`, `(output, h_n, c_n)`, `(h, c)`, or the single output).
func callLayer(_ module: Module, _ call: String, _ xs: [Tensor]) -> [Tensor] {
    switch (module, call) {
    case (let m as RNN, "plain"):
        let (o, h) = m(xs[0])
        return [o, h]
    case (let m as RNN, _):
        let (o, h) = m(xs[0], xs[1])
        return [o, h]
    case (let m as GRU, "plain"):
        let (o, h) = m(xs[0])
        return [o, h]
    case (let m as GRU, _):
        let (o, h) = m(xs[0], xs[1])
        return [o, h]
    case (let m as LSTM, "plain"):
        let (o, (h, c)) = m(xs[0])
        return [o, h, c]
    case (let m as LSTM, _):
        let (o, (h, c)) = m(xs[0], (xs[1], xs[2]))
        return [o, h, c]
    case (let m as LSTMCell, "plain"):
        let (h, c) = m(xs[0])
        return [h, c]
    case (let m as LSTMCell, _):
        let (h, c) = m(xs[0], (xs[1], xs[2]))
        return [h, c]
    case (let m as RNNCell, "h"):
        return [m(xs[0], xs[1])]
    case (let m as GRUCell, "h"):
        return [m(xs[0], xs[1])]
    default:
        return [module(xs[0])]
    }
}

/// Loads the state dict of a fixture into Ember tensors.
func fixtureState(_ state: [String: FixtureTensor]) -> [String: Tensor] {
    state.mapValues { $0.makeTensor() }
}

/// Replays a module case and returns every disagreement with PyTorch.
func replayLayerCase(_ c: LayerModuleCase) throws -> [String] {
    var problems: [String] = []
    let module = makeLayer(c)
    if module.description != c.repr { problems.append("repr \(module.description), expected \(c.repr)") }
    if module.stateDictKeys() != c.stateKeys {
        problems.append("state keys \(module.stateDictKeys()), expected \(c.stateKeys)")
    }
    try module.loadStateDict(fixtureState(c.state))
    for (n, step) in c.steps.enumerated() {
        module.train(step.train)
        module.zeroGrad()
        let leaves = step.inputs.map { spec in
            let t = spec.makeTensor()
            if t.dtype.isFloatingPoint { t.requiresGrad = true }
            return t
        }
        let outputs = callLayer(module, step.call, leaves)
        guard outputs.count == step.outputs.count else {
            return problems + ["step \(n): \(outputs.count) outputs, expected \(step.outputs.count)"]
        }
        for (i, (out, expected)) in zip(outputs, step.outputs).enumerated() {
            if let problem = fixtureMismatch(out, expected) { problems.append("step \(n) output \(i): \(problem)") }
        }
        let loss = zip(outputs, step.upstream).map { ($0 * $1.makeTensor()).sum() }.reduce(Tensor(0)) { $0 + $1 }
        loss.backward()
        for (i, (leaf, expected)) in zip(leaves, step.inputGrads).enumerated() {
            switch (leaf.grad, expected) {
            case (nil, nil): break
            case (let grad?, let expected?):
                if let problem = fixtureMismatch(grad, expected) {
                    problems.append("step \(n) grad of input \(i): \(problem)")
                }
            default: problems.append("step \(n) input \(i): grad presence differs from PyTorch")
            }
        }
        for (name, parameter) in module.namedParameters() {
            switch (parameter.grad, step.paramGrads[name]) {
            case (nil, nil): break
            case (let grad?, let expected?):
                if let problem = fixtureMismatch(grad, expected) {
                    problems.append("step \(n) grad of \(name): \(problem)")
                }
            default: problems.append("step \(n) \(name): grad presence differs from PyTorch")
            }
        }
    }
    let state = module.stateDict()
    for key in c.stateKeys {
        guard let actual = state[key], let expected = c.finalState[key] else {
            problems.append("final state lacks \(key)")
            continue
        }
        if let problem = fixtureMismatch(actual, expected) { problems.append("final \(key): \(problem)") }
    }
    return problems
}

/// Replays a functional case: the output, the gradient of every differentiable input, and the
/// inputs afterwards (running statistics updated in place).
func replayFunctionalCase(_ c: LayerFunctionalCase, _ call: ([Tensor?], FixtureParams) -> Tensor) -> [String] {
    var problems: [String] = []
    let constant = Set(c.p.ints("constant") ?? [])
    let leaves: [Tensor?] = c.inputs.enumerated().map { i, spec in
        guard let t = spec?.makeTensor() else { return nil }
        if t.dtype.isFloatingPoint && !constant.contains(i) { t.requiresGrad = true }
        return t
    }
    let out = call(leaves, c.p)
    if let problem = fixtureMismatch(out, c.output) { problems.append("output: \(problem)") }
    (out * c.upstream.makeTensor()).sum().backward()
    for (i, (leaf, expected)) in zip(leaves, c.grads).enumerated() {
        switch (leaf?.grad, expected) {
        case (nil, nil): break
        case (let grad?, let expected?):
            if let problem = fixtureMismatch(grad, expected) { problems.append("grad of input \(i): \(problem)") }
        default: problems.append("input \(i): grad presence differs from PyTorch")
        }
    }
    for (i, (leaf, expected)) in zip(leaves, c.after).enumerated() {
        guard let leaf, let expected else { continue }
        if let problem = fixtureMismatch(leaf, expected) { problems.append("input \(i) afterwards: \(problem)") }
    }
    return problems
}

/// What a failed exit test wrote to standard error.
func layerExitMessage(_ result: ExitTest.Result?) -> String {
    guard let result else { return "" }
    return String(decoding: result.standardErrorContent, as: UTF8.self)
}
