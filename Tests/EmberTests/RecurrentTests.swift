// Recurrent networks and cells: PyTorch fixtures (Tests/Fixtures/layers.json, see
// LayerFixtures.swift), float64 gradient checks, initialisation, and the API.md lines.

import Testing

@testable import Ember

private let recurrentClasses: Set<String> = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

/// API.md's CNNRNN, with the recurrent part only: a 2-D input is one unbatched sequence.
private final class SequenceHead: Module {
    let rnn = RNN(6, 4, batchFirst: true)
    override func forward(_ x: Tensor) -> Tensor {
        let (output, _) = rnn(x)
        return output
    }
}

/// Runs Ember's `gradcheck` on a float64 module: the inputs are fresh tensors of `shapes`
/// followed by the module's own parameters (perturbed in place by the check).
private func expectGradients(
    _ name: String, _ module: Module, _ shapes: [[Int]], _ call: @escaping ([Tensor]) -> [Tensor]
) {
    module.to(.float64)
    let inputs = shapes.map { Tensor.rand($0, dtype: .float64, requiresGrad: true) } + module.parameters()
    do {
        try gradcheck({ xs in Tensor.cat(call(xs).map { $0.reshape(-1) }) }, inputs: inputs)
    } catch {
        Issue.record("\(name): \(error.description)")
    }
}

@Suite struct RecurrentTests {
    @Test(arguments: layerModuleCases(recurrentClasses))
    func moduleMatchesPyTorch(_ c: LayerModuleCase) throws {
        for problem in try replayLayerCase(c) { Issue.record("\(c.name): \(problem)") }
    }

    @Test func everyRecurrentClassHasFixtures() {
        #expect(Set(layerModuleCases(recurrentClasses).map(\.module)) == recurrentClasses)
    }

    @Test func gradientsMatchFiniteDifferences() {
        Ember.manualSeed(3)
        let bidirectional = LSTM(2, 2, bidirectional: true)
        expectGradients("lstm_bidirectional", bidirectional, [[3, 1, 2]]) {
            let (o, (h, c)) = bidirectional($0[0])
            return [o, h, c]
        }
        let lstm = LSTM(2, 2)
        expectGradients("lstm_states", lstm, [[2, 2, 2], [1, 2, 2], [1, 2, 2]]) {
            let (o, (h, c)) = lstm($0[0], ($0[1], $0[2]))
            return [o, h, c]
        }
        let gru = GRU(2, 2, numLayers: 2)
        expectGradients("gru_two_layers", gru, [[3, 1, 2], [2, 1, 2]]) {
            let (o, h) = gru($0[0], $0[1])
            return [o, h]
        }
        let relu = RNN(2, 3, nonlinearity: "relu")
        expectGradients("rnn_relu", relu, [[3, 2, 2], [1, 2, 3]]) {
            let (o, h) = relu($0[0], $0[1])
            return [o, h]
        }
        let tanh = RNN(2, 2, batchFirst: true)
        expectGradients("rnn_tanh_batch_first", tanh, [[2, 3, 2]]) {
            let (o, h) = tanh($0[0])
            return [o, h]
        }
        let lstmCell = LSTMCell(3, 2)
        expectGradients("lstm_cell", lstmCell, [[2, 3], [2, 2], [2, 2]]) {
            let (h, c) = lstmCell($0[0], ($0[1], $0[2]))
            return [h, c]
        }
        let gruCell = GRUCell(3, 2)
        expectGradients("gru_cell", gruCell, [[2, 3], [2, 2]]) { [gruCell($0[0], $0[1])] }
        let rnnCell = RNNCell(3, 2)
        expectGradients("rnn_cell", rnnCell, [[3], [2]]) { [rnnCell($0[0], $0[1])] }
    }

    /// With both weights trained, LSTM and RNN take their weight gradients from one GEMM; with
    /// one frozen, each from its own. The two routes, and a batch that runs in bands, agree.
    @Test func frozenWeightsLeaveTheOtherGradientsUnchanged() {
        Ember.manualSeed(8)
        let modules: [(String, Module)] = [
            ("lstm", LSTM(3, 5, numLayers: 2)), ("rnn_bidirectional", RNN(3, 4, bidirectional: true)),
        ]
        let x = Tensor.randn([6, 4, 3], dtype: .float64)
        for (name, module) in modules {
            module.to(.float64)
            func gradients(frozen: String?) -> [String: [Double]] {
                let named = module.namedParameters()
                let isFrozen = { (key: String) in frozen.map { key.hasPrefix($0) } ?? false }
                for (key, p) in named { p.requiresGrad = !isFrozen(key) }
                module.zeroGrad()
                let output = module(x)
                output.pow(2).sum().backward()
                var grads: [String: [Double]] = [:]
                for (key, p) in named where !isFrozen(key) { grads[key] = p.grad?.toArray(as: Double.self) }
                return grads
            }
            let all = gradients(frozen: nil)
            for frozen in ["weight_ih", "weight_hh"] {  // every layer and direction
                for (key, grad) in gradients(frozen: frozen) {
                    let reference = all[key] ?? []
                    let close =
                        grad.count == reference.count
                        && zip(grad, reference).allSatisfy { Swift.abs($0 - $1) <= 1e-12 * Swift.max(1, Swift.abs($1)) }
                    #expect(close, "\(name): \(key) with \(frozen) frozen")
                }
            }
            for (_, p) in module.namedParameters() { p.requiresGrad = true }
        }
    }

    @Test func apiLinesCompileAndBehave() {
        let seq = Tensor.randn([3, 4, 5])
        let (o1, h1) = RNN(5, 7, numLayers: 2, batchFirst: true)(seq)
        let (o2, (h2, c2)) = LSTM(5, 7, numLayers: 2, batchFirst: true)(seq)
        let (o3, h3) = GRU(5, 7, numLayers: 2, batchFirst: true)(seq)
        for o in [o1, o2, o3] { #expect(o.shape == [3, 4, 7]) }
        for h in [h1, h2, c2, h3] { #expect(h.shape == [2, 3, 7]) }
        // The last layer's final state is the last output step of a unidirectional network.
        #expect(h2[1].toArray(as: Float.self) == o2.select(dim: 1, index: 3).toArray(as: Float.self))

        let head = SequenceHead()
        let out = head(Tensor.randn([5, 6]))
        #expect(out.shape == [5, 4])
        #expect(head.stateDictKeys() == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"])
        #expect(head.description == "SequenceHead(\n  (rnn): RNN(6, 4, batch_first=True)\n)")
    }

    @Test func singleArgumentCallReturnsTheOutputSequence() {
        let lstm = LSTM(3, 4)
        let x = Tensor.randn([5, 2, 3])
        let y: Tensor = lstm(x)
        let (output, _) = lstm(x)
        #expect(y.toArray(as: Float.self) == output.toArray(as: Float.self))
    }

    @Test func initialisationIsUniformInPlusMinusOneOverRootHidden() {
        let gru = GRU(3, 16, numLayers: 2, bidirectional: true)
        #expect(gru.parameters().count == 16)
        #expect(gru.namedParameters()[4].0 == "weight_ih_l0_reverse")
        #expect(gru.namedParameters()[8].1.shape == [48, 32])
        let values = gru.parameters().flatMap { $0.toArray(as: Float.self) }
        #expect(values.allSatisfy { Swift.abs($0) <= 0.25 })
        #expect(values.max()! > 0.24 && values.min()! < -0.24)
        #expect(Set(values).count > values.count * 9 / 10)
    }

    @Test func dropoutActsBetweenLayersOnlyInTraining() {
        let lstm = LSTM(3, 4, numLayers: 2, dropout: 0.5)
        let x = Tensor.randn([4, 2, 3])
        lstm.eval()
        let (a, _) = lstm(x)
        let (b, _) = lstm(x)
        #expect(a.toArray(as: Float.self) == b.toArray(as: Float.self))
        lstm.train()
        let (c, _) = lstm(x)
        #expect(c.toArray(as: Float.self) != a.toArray(as: Float.self))
        #expect(lstm.description == "LSTM(3, 4, num_layers=2, dropout=0.5)")
    }

    @Test func reprsMatchPyTorch() {
        #expect(RNN(5, 7, numLayers: 2, batchFirst: true).description == "RNN(5, 7, num_layers=2, batch_first=True)")
        #expect(
            LSTM(5, 7, bias: false, bidirectional: true).description == "LSTM(5, 7, bias=False, bidirectional=True)")
        #expect(RNNCell(3, 4, nonlinearity: "relu").description == "RNNCell(3, 4, nonlinearity=relu)")
        #expect(LSTMCell(3, 4, bias: false).description == "LSTMCell(3, 4, bias=False)")
        #expect(GRUCell(3, 4).stateDictKeys() == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    }

    @Test func misuseStopsWithPyTorchsMessages() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RNN(3, 4)(Tensor.randn([2, 2, 3]), Tensor.randn([1, 3, 4]))
        }
        #expect(layerExitMessage(result).contains("Expected hidden size (1, 2, 4), got [1, 3, 4]"))
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LSTM(3, 4)(Tensor.randn([2, 2, 5]))
        }
        #expect(layerExitMessage(result).contains("input.size(-1) must be equal to input_size. Expected 3, got 5"))
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GRU(3, 4)(Tensor.randn([2, 2, 2, 3]))
        }
        #expect(layerExitMessage(result).contains("GRU: Expected input to be 2D or 3D, got 4D instead"))
    }
}
