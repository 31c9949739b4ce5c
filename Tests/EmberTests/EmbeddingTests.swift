// Embedding: PyTorch fixtures (Tests/Fixtures/layers.json, see LayerFixtures.swift), default
// initialisation and the padding row.

import Testing

@testable import Ember

@Suite struct EmbeddingTests {
    @Test(arguments: layerModuleCases(["Embedding"]))
    func moduleMatchesPyTorch(_ c: LayerModuleCase) throws {
        for problem in try replayLayerCase(c) { Issue.record("\(c.name): \(problem)") }
    }

    @Test(arguments: layerFunctionalCases(["embedding"]))
    func functionalMatchesPyTorch(_ c: LayerFunctionalCase) {
        let problems = replayFunctionalCase(c) { xs, p in F.embedding(xs[0]!, xs[1]!, paddingIdx: p.int("padding_idx"))
        }
        for problem in problems { Issue.record("\(c.name): \(problem)") }
    }

    @Test func initialisationIsStandardNormalWithZeroPaddingRow() {
        // A generator of its own: the default one is shared with tests running in parallel, which
        // made these draws (and the 2.8-sigma bounds below) differ from run to run.
        let table = withGenerator(Generator(seed: 21)) { Embedding(400, 50, paddingIdx: -1) }
        #expect(table.paddingIdx == 399)
        #expect(table.description == "Embedding(400, 50, padding_idx=399)")
        #expect(table.stateDictKeys() == ["weight"])
        let rows = table.weight[0..<399]
        let mean = rows.mean().item()
        let std = rows.std().item()
        #expect(Swift.abs(mean) < 0.02 && Swift.abs(std - 1) < 0.02, "mean \(mean), std \(std)")
        #expect(table.weight[399].toArray(as: Float.self).allSatisfy { $0 == 0 })
    }

    @Test func paddingRowGetsNoGradientAndRepeatsAccumulate() {
        let table = Embedding(5, 2, paddingIdx: 1)
        let out = table(Tensor(shape: [2, 3], scalars: [1, 3, 3, 1, 0, 3] as [Int64]))
        #expect(out.shape == [2, 3, 2])
        out.sum().backward()
        let grad = table.weight.grad!.toArray(as: Float.self)
        #expect(grad == [1, 1, 0, 0, 0, 0, 3, 3, 0, 0])
    }

    @Test func scalarIndexGivesOneVector() {
        let table = Embedding(3, 4)
        let v = table(Tensor(shape: [], scalars: [2] as [Int64]))
        #expect(v.shape == [4] && v.toArray(as: Float.self) == table.weight[2].toArray(as: Float.self))
    }

    @Test func outOfRangeIndexStopsWithPyTorchsMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding(5, 2)(Tensor(shape: [1], scalars: [5] as [Int64]))
        }
        #expect(layerExitMessage(result).contains("index out of range in self"))
    }
}
