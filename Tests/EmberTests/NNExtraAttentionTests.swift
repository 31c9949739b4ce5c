// PyTorch fixtures for MultiheadAttention and TransformerEncoderLayer (eval mode, so dropout is
// off): Tests/Fixtures/nnextra.json, written by Tests/Fixtures/make_nnextra_fixtures.py. Each case
// loads PyTorch's state dict and compares outputs, input gradients and parameter gradients, the
// state-dict keys and the repr.

import Testing

@testable import Ember

/// The Ember module of an attention case and a closure running it as the fixture did.
private func attentionModule(_ c: NNExtraModuleCase) -> (Module, ([Tensor]) -> [Tensor]) {
    let a = c.a
    if c.module == "MultiheadAttention" {
        let m = MultiheadAttention(
            a.int("embed_dim")!, a.int("num_heads")!, bias: a.bool("bias"), batchFirst: a.bool("batch_first"))
        let call = FixtureParams(values: c.call)
        return (
            m,
            { xs in
                let (out, weights) = m(
                    xs[0], xs[1], xs[2], keyPaddingMask: c.mask("kpm"), needWeights: call.bool("need_weights"),
                    attnMask: c.mask("mask"), averageAttnWeights: call.bool("average"))
                return [out] + (weights.map { [$0] } ?? [])
            }
        )
    }
    let m = TransformerEncoderLayer(
        a.int("d_model")!, a.int("nhead")!, dimFeedforward: a.int("dim_feedforward")!,
        activation: a.string("activation")!, layerNormEps: a.double("layer_norm_eps")!,
        batchFirst: a.bool("batch_first"), normFirst: a.bool("norm_first"))
    return (m, { xs in [m(xs[0], srcMask: c.mask("mask"), srcKeyPaddingMask: c.mask("kpm"))] })
}

@Suite struct NNExtraAttentionTests {
    @Test(arguments: nnExtraFixtures?.modules ?? [])
    func moduleMatchesPyTorch(_ c: NNExtraModuleCase) throws {
        let (module, run) = attentionModule(c)
        #expect(module.stateDictKeys() == c.stateKeys)
        #expect(module.description == c.repr)
        try module.loadStateDict(fixtureState(c.state))
        module.eval()
        let inputs = c.inputs.map { $0.makeTensor().requiresGrad() }
        let outputs = run(inputs)
        #expect(outputs.count == c.outputs.count)
        for (i, (out, expected)) in zip(outputs, c.outputs).enumerated() { expectMatches(out, expected, "output \(i)") }
        var loss = Tensor(0.0).to(.float32)
        for (out, up) in zip(outputs, c.upstream) { loss = loss + (out * up.makeTensor()).sum() }
        loss.backward()
        for (i, x) in inputs.enumerated() { expectMatches(x.grad, c.inputGrads[i], "input grad \(i)") }
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.0, $0.1) })
        #expect(Set(params.keys) == Set(c.paramGrads.keys))
        for (name, expected) in c.paramGrads { expectMatches(params[name]?.grad, expected, "grad of \(name)") }
    }

    @Test func encoderDefaultsMatchPyTorch() throws {
        let reprs = FixtureParams(values: try #require(nnExtraFixtures).reprs)
        let layer = TransformerEncoderLayer(8, 2)
        #expect(layer.description == reprs.string("encoder_default"))
        let keys = try #require(nnExtraFixtures?.reprs["encoder_default_keys"]?.array)
        #expect(layer.stateDictKeys() == keys.compactMap { if case .string(let s) = $0 { s } else { nil } })
    }

    @Test func attentionInitialisationAndUnbatchedInput() {
        let m = MultiheadAttention(6, 3)
        let bound = (6.0 / Double(18 + 6)).squareRoot()
        #expect(m.inProjWeight.abs().max().item() <= bound)
        #expect(m.inProjWeight.std().item() > bound / 3)
        #expect(m.inProjBias!.abs().sum().item() == 0)
        #expect(m.outProj.bias!.abs().sum().item() == 0)
        m.eval()
        let x = Tensor.randn([4, 6])
        let (single, weights) = m(x, x, x)
        let (batched, batchedWeights) = m(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1))
        #expect(single.allclose(batched.squeeze(dim: 1), atol: 1e-6))
        #expect(weights!.shape == [4, 4])
        #expect(weights!.allclose(batchedWeights!.squeeze(dim: 0), atol: 1e-6))
        #expect(weights!.sum(dim: -1).allclose(Tensor.ones([4]), atol: 1e-6))
    }
}
