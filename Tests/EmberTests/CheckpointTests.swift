import Foundation
import Testing

@testable import Ember

@Suite struct CheckpointTests {
    /// A small regression problem, and a model built from fixed initial weights. Nothing draws
    /// from the default generator, which tests running in parallel share.
    private static let problem: (initial: [String: Tensor], x: Tensor, y: Tensor) = {
        let g = Generator(seed: 3)
        let initial = Sequential(Linear(4, 8), Tanh(), Linear(8, 1)).stateDict()
        for t in initial.values { noGrad { _ = t.copy(from: Tensor.randn(t.shape, generator: g) * 0.5) } }
        return (initial, Tensor.randn([16, 4], generator: g), Tensor.randn([16, 1], generator: g))
    }()

    private func setUp() -> (Module, Tensor, Tensor) {
        let model = Sequential(Linear(4, 8), Tanh(), Linear(8, 1))
        try! model.loadStateDict(Self.problem.initial)
        return (model, Self.problem.x, Self.problem.y)
    }

    private func step(_ model: Module, _ optimizer: Optimizer, _ x: Tensor, _ y: Tensor) -> Double {
        let loss = F.mseLoss(model(x), y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        return loss.item()
    }

    @Test func resumingFromACheckpointContinuesExactly() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ember-ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }

        // Uninterrupted: 10 steps.
        let (model, x, y) = setUp()
        let optimizer = Adam(model.parameters(), lr: 0.01, weightDecay: 0.001)
        let scheduler = StepLR(optimizer, stepSize: 3, gamma: 0.5)
        var expected: [Double] = []
        for i in 0..<10 {
            if i == 5 {
                try Checkpoint(
                    modelState: model.stateDict(), optimizerState: optimizer.stateDict(),
                    schedulerState: scheduler.stateDict(), epoch: 1, step: i,
                    rngStates: ["shuffle": Generator(seed: 9).stateWords], extra: ["note": "half way"]
                ).save(to: url)
            }
            expected.append(step(model, optimizer, x, y))
            scheduler.step()
        }

        // Interrupted after 5 steps: a fresh model and optimizer restored from the file.
        let (fresh, _, _) = setUp()
        let freshOptimizer = Adam(fresh.parameters(), lr: 0.01, weightDecay: 0.001)
        let freshScheduler = StepLR(freshOptimizer, stepSize: 3, gamma: 0.5)
        let checkpoint = try Checkpoint.load(from: url)
        #expect(checkpoint.epoch == 1 && checkpoint.step == 5 && checkpoint.extra == ["note": "half way"])
        try fresh.loadStateDict(checkpoint.modelState)
        try freshOptimizer.loadStateDict(checkpoint.optimizerState!)
        try freshScheduler.loadStateDict(checkpoint.schedulerState!)
        #expect(checkpoint.rngStates["shuffle"] == Generator(seed: 9).stateWords)
        var resumed: [Double] = []
        for _ in 5..<10 {
            resumed.append(step(fresh, freshOptimizer, x, y))
            freshScheduler.step()
        }
        #expect(resumed == Array(expected[5...]))
        #expect(fresh.stateDict()["2.weight"]!.equal(model.stateDict()["2.weight"]!))
        #expect(freshOptimizer.paramGroups[0].lr == optimizer.paramGroups[0].lr)
    }

    @Test func aFileThatIsNotACheckpointIsRejected() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ember-plain-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try saveSafetensors(["w": Tensor.ones([2])], to: url)
        #expect {
            try Checkpoint.load(from: url)
        } throws: { error in
            (error as? CheckpointError)?.description.contains(url.path) == true
        }
    }
}
