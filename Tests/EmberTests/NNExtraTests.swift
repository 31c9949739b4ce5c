// PyTorch fixtures for F.pad, F.normalize, F.cosineSimilarity, Hardtanh, Init.orthogonal and the
// embedding/ranking losses: Tests/Fixtures/nnextra.json, written by
// Tests/Fixtures/make_nnextra_fixtures.py (see its docstring for the format).

import Foundation
import Testing

@testable import Ember

struct NNExtraFunctionalCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let fn: String
    let params: [String: FixtureJSON]
    let inputs: [FixtureTensor]
    let output: FixtureTensor
    let upstream: FixtureTensor
    let grads: [FixtureTensor?]

    var testDescription: String { name }
    var p: FixtureParams { FixtureParams(values: params) }
}

struct NNExtraModuleCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let module: String
    let args: [String: FixtureJSON]
    let call: [String: FixtureJSON]
    let state: [String: FixtureTensor]
    let stateKeys: [String]
    let repr: String
    let inputs: [FixtureTensor]
    let outputs: [FixtureTensor]
    let upstream: [FixtureTensor]
    let inputGrads: [FixtureTensor?]
    let paramGrads: [String: FixtureTensor]

    enum CodingKeys: String, CodingKey {
        case name, module, args, call, state, repr, inputs, outputs, upstream
        case stateKeys = "state_keys"
        case inputGrads = "input_grads"
        case paramGrads = "param_grads"
    }

    var testDescription: String { name }
    var a: FixtureParams { FixtureParams(values: args) }
    /// A mask tensor of the call (`"kpm"` or `"mask"`), when given.
    func mask(_ key: String) -> Tensor? {
        guard case .object(let o) = call[key] else { return nil }
        let data = try! JSONSerialization.data(withJSONObject: o.mapValues(\.foundation))
        return try! JSONDecoder().decode(FixtureTensor.self, from: data).makeTensor()
    }
}

extension FixtureJSON {
    /// A Foundation value for re-encoding.
    fileprivate var foundation: Any {
        switch self {
        case .null: NSNull()
        case .bool(let b): b
        case .number(let d): d
        case .string(let s): s
        case .array(let a): a.map(\.foundation)
        case .object(let o): o.mapValues(\.foundation)
        }
    }
}

struct NNExtraHardtanhCase: Decodable, Sendable {
    let input: FixtureTensor
    let output: FixtureTensor
    let grad: FixtureTensor
}

struct NNExtraFixtureFile: Decodable {
    let functional: [NNExtraFunctionalCase]
    let modules: [NNExtraModuleCase]
    let reprs: [String: FixtureJSON]
    let hardtanh: NNExtraHardtanhCase
}

let nnExtraFixtures: NNExtraFixtureFile? = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nnextra.json")
    guard let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(NNExtraFixtureFile.self, from: data)
}()

/// Whether `actual` matches the fixture tensor `expected` within tolerances.
func expectMatches(
    _ actual: Tensor?, _ expected: FixtureTensor?, atol: Double = 1e-5, rtol: Double = 1e-4, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let expected else {
        #expect(actual == nil, "\(what): expected no gradient", sourceLocation: sourceLocation)
        return
    }
    guard let actual else {
        Issue.record("\(what): missing", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let got = actual.to(.float64).contiguous().toArray(as: Double.self)
    let worst = closeness(got, expected.doubles, rtol: rtol, atol: atol)
    #expect(worst <= 1, "\(what): off by \(worst) tolerances", sourceLocation: sourceLocation)
}

/// The Ember form of a functional fixture case.
func nnExtraFunction(_ c: NNExtraFunctionalCase) -> ([Tensor]) -> Tensor {
    let p = c.p
    let reduction = Reduction(rawValue: p.string("reduction") ?? "mean")!
    switch c.fn {
    case "pad":
        return { F.pad($0[0], pad: p.ints("pad")!, mode: p.string("mode")!, value: p.double("value")!) }
    case "normalize": return { F.normalize($0[0], p: p.double("p")!, dim: p.int("dim")!) }
    case "cosineSimilarity": return { F.cosineSimilarity($0[0], $0[1], dim: p.int("dim")!) }
    case "cosineEmbeddingLoss":
        return { F.cosineEmbeddingLoss($0[0], $0[1], $0[2], margin: p.double("margin")!, reduction: reduction) }
    case "marginRankingLoss":
        return { F.marginRankingLoss($0[0], $0[1], $0[2], margin: p.double("margin")!, reduction: reduction) }
    case "tripletMarginLoss":
        return {
            F.tripletMarginLoss(
                $0[0], $0[1], $0[2], margin: p.double("margin")!, p: p.double("p")!, eps: p.double("eps")!,
                swap: p.bool("swap"), reduction: reduction)
        }
    default: fatalError("unknown function \(c.fn)")
    }
}

let nnExtraFunctions: Set = [
    "pad", "normalize", "cosineSimilarity", "cosineEmbeddingLoss", "marginRankingLoss", "tripletMarginLoss",
]

@Suite struct NNExtraTests {
    @Test func fixtureLoads() { #expect(nnExtraFixtures != nil) }

    @Test(arguments: nnExtraFixtures?.functional.filter { nnExtraFunctions.contains($0.fn) } ?? [])
    func functionalMatchesPyTorch(_ c: NNExtraFunctionalCase) throws {
        let inputs = c.inputs.enumerated().map { i, t in
            let x = t.makeTensor()
            if c.grads[i] != nil { x.requiresGrad = true }
            return x
        }
        let f = nnExtraFunction(c)
        let out = f(inputs)
        expectMatches(out, c.output, atol: 1e-10, rtol: 1e-8, "output")
        (out * c.upstream.makeTensor()).sum().backward()
        for (i, x) in inputs.enumerated() {
            expectMatches(x.grad, c.grads[i], atol: 1e-10, rtol: 1e-8, "grad \(i)")
        }
        let differentiable = inputs.indices.filter { c.grads[$0] != nil }
        #expect(
            try gradcheck(
                { xs in
                    var all = inputs.map { $0.detach() }
                    for (k, i) in differentiable.enumerated() { all[i] = xs[k] }
                    return f(all)
                },
                inputs: differentiable.map { inputs[$0].detach().requiresGrad() }))
    }

    @Test func hardtanhMatchesPyTorch() throws {
        let c = try #require(nnExtraFixtures).hardtanh
        let x = c.input.makeTensor()
        x.requiresGrad = true
        let layer = Hardtanh(minVal: -0.5, maxVal: 1.5)
        let y = layer(x)
        expectMatches(y, c.output, "output")
        y.sum().backward()
        expectMatches(x.grad, c.grad, "grad")
        let reprs = FixtureParams(values: try #require(nnExtraFixtures).reprs)
        #expect(Hardtanh().description == reprs.string("hardtanh"))
        #expect(Hardtanh(minVal: -2, maxVal: 0.5).description == reprs.string("hardtanh_args"))
    }

    @Test func lossModulesMatchFunctions() throws {
        let reprs = FixtureParams(values: try #require(nnExtraFixtures).reprs)
        #expect(CosineEmbeddingLoss(margin: 0.5).description == reprs.string("cosine_embedding"))
        #expect(MarginRankingLoss().description == reprs.string("margin_ranking"))
        #expect(TripletMarginLoss().description == reprs.string("triplet"))
        let g = Generator(seed: 5)
        let (a, b, c) = (
            Tensor.randn([3, 4], generator: g), Tensor.randn([3, 4], generator: g), Tensor.randn([3, 4], generator: g)
        )
        let y = Tensor([1.0, -1, 1]).to(.float32)
        #expect(
            CosineEmbeddingLoss(margin: 0.1, reduction: .sum)(a, b, y).equal(
                F.cosineEmbeddingLoss(a, b, y, margin: 0.1, reduction: .sum)))
        let (r1, r2) = (a.select(dim: 1, index: 0), b.select(dim: 1, index: 0))
        #expect(MarginRankingLoss(margin: 0.2)(r1, r2, y).equal(F.marginRankingLoss(r1, r2, y, margin: 0.2)))
        #expect(
            TripletMarginLoss(margin: 2, p: 1, swap: true, reduction: .none)(a, b, c).equal(
                F.tripletMarginLoss(a, b, c, margin: 2, p: 1, swap: true, reduction: .none)))
    }

    @Test func padChecksArguments() {
        let x = Tensor.arange(0.0, 6.0, dtype: .float64).reshape([1, 2, 3])
        #expect(F.pad(x, pad: [1, 1]).shape == [1, 2, 5])
        #expect(F.pad(x, pad: [0, 0, -1, 0, 1, 0]).shape == [2, 1, 3])
        #expect(F.pad(x, pad: [2, 2], mode: "reflect").toArray(as: Double.self).prefix(7) == [2, 1, 0, 1, 2, 1, 0])
    }

    @Test func orthogonalIsOrthogonal() {
        for shape in [[5, 3], [3, 5], [4, 2, 2]] {
            let w = Tensor.zeros(shape, dtype: .float64)
            Init.orthogonal(w, gain: 2, generator: Generator(seed: 7))
            let m = w.reshape([shape[0], -1])
            let gram = shape[0] >= m.shape[1] ? m.t().matmul(m) : m.matmul(m.t())
            let n = gram.shape[0]
            #expect(gram.allclose(Tensor.eye(n, dtype: .float64) * 4, rtol: 0, atol: 1e-10))
        }
        // Sign correction: a square Q from QR with R's diagonal positive is unique, so the result
        // is fully determined by the normal draw (as in PyTorch).
        let a = Tensor.zeros([4, 4], dtype: .float64)
        let b = Tensor.zeros([4, 4], dtype: .float64)
        Init.orthogonal(a, generator: Generator(seed: 3))
        Init.orthogonal(b, generator: Generator(seed: 3))
        #expect(a.equal(b))
        // The first column is the normalised first column of the normal draw (R₁₁ > 0).
        let draw = Tensor.randn([4, 4], dtype: .float64, generator: Generator(seed: 3))
        let first = draw.slice(dim: 1, start: 0, end: 1)
        #expect(a.slice(dim: 1, start: 0, end: 1).allclose(first / first.norm(), rtol: 0, atol: 1e-12))
        // Like every initialiser, it draws from the generator `withGenerator` installs.
        let c = Tensor.zeros([4, 4], dtype: .float64)
        withGenerator(Generator(seed: 3)) { Init.orthogonal(c) }
        #expect(c.equal(a))
    }

    /// `calculate_gain`'s table, every entry.
    @Test func gainMatchesCalculateGain() {
        let ones = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
        for name in ones + ["sigmoid"] { #expect(Init.gain(name) == 1, "\(name)") }
        #expect(Init.gain("tanh") == 5.0 / 3 && Init.gain("relu") == 2.0.squareRoot() && Init.gain("selu") == 0.75)
        #expect(Init.gain("leaky_relu") == (2.0 / (1 + 0.01 * 0.01)).squareRoot())
        #expect(Init.gain("leaky_relu", param: 0.2) == (2.0 / 1.04).squareRoot())
    }
}
