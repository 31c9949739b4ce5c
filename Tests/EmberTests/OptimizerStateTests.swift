// The optimizer API beyond the update rules: PyTorch's defaults and spellings, parameter groups,
// zeroGrad, closures, state dicts that resume training exactly, the threaded and strided paths,
// gradient clipping against PyTorch, and PyTorch's messages for invalid arguments.

import Foundation
import Testing

@testable import Ember

/// Every optimizer built with default arguments, by PyTorch's class name.
private func defaultOptimizers(_ params: [Tensor]) -> [String: Optimizer] {
    [
        "SGD": SGD(params), "Adam": Adam(params), "AdamW": AdamW(params), "RMSprop": RMSprop(params),
        "Adagrad": Adagrad(params), "Adadelta": Adadelta(params), "Adamax": Adamax(params), "NAdam": NAdam(params),
        "RAdam": RAdam(params), "LBFGS": LBFGS(params),
    ]
}

/// Configurations whose state exercises every kind of entry, for the save/restore test.
private let resumeConfigs: [String: [String: Double]] = [
    "SGD": ["lr": 0.1, "momentum": 0.9, "nesterov": 1], "Adam": ["lr": 0.01, "amsgrad": 1, "weight_decay": 0.1],
    "AdamW": ["lr": 0.01], "RMSprop": ["centered": 1, "momentum": 0.5], "Adagrad": ["lr": 0.1, "lr_decay": 0.1],
    "Adadelta": [:], "Adamax": [:], "NAdam": ["weight_decay": 0.1], "RAdam": ["lr": 0.01],
]

@Suite struct OptimizerStateTests {
    /// The Training block of API.md and its "more fixed spellings", compiled as written.
    @Test func apiSpellings() {
        let model = Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1))
        let optimizer = Adam(model.parameters(), lr: 0.001, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.01)
        _ = SGD(model.parameters(), lr: 0.01, momentum: 0.9)
        _ = RMSprop(model.parameters(), lr: 0.001, alpha: 0.99)
        _ = Adagrad(model.parameters(), lr: 0.01)
        _ = Adadelta(model.parameters(), rho: 0.9)
        _ = AdamW(model.parameters(), lr: 0.001, weightDecay: 0.01)
        let cnn = Sequential(Linear(4, 6), ReLU(), Flatten(), Linear(6, 10))
        let opt: Optimizer = SGD(cnn.parameters(), lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3)
        _ = Adam(cnn.parameters(), lr: 0.001, amsgrad: true)

        let loss = MSELoss()(model(Tensor.randn([8, 20])), Tensor.randn([8, 1]))
        optimizer.zeroGrad()
        loss.backward()
        let before = model.parameters().map(\.scalars)
        optimizer.step()
        #expect(zip(before, model.parameters().map(\.scalars)).allSatisfy { $0 != $1 })
        #expect(optimizer.paramGroups[0].options["weight_decay"] == 0.01)
        #expect(opt.paramGroups[0]["nesterov"] == 1 && opt.paramGroups[0]["weight_decay"] == 1e-3)
    }

    /// Every argument left out takes PyTorch's default.
    @Test func defaultsAreTorchs() {
        for (name, optimizer) in defaultOptimizers([Tensor.zeros([1], requiresGrad: true)]) {
            #expect(optimizer.defaults == optimFixture.defaults[name], "\(name)")
        }
    }

    /// `step()` changes parameters in place without recording history; the version counter moves.
    @Test func stepRunsWithoutRecording() {
        let p = Tensor.ones([3], requiresGrad: true)
        let storage = p.storage
        let version = p.version
        p.grad = Tensor.ones([3])
        SGD([p], lr: 0.5).step()
        #expect(p.isLeaf && p.requiresGrad && p.storage === storage && p.version > version)
        #expect(p.toArray(as: Float.self) == [0.5, 0.5, 0.5])
    }

    @Test func paramGroupsHaveTheirOwnOptions() {
        let w = Tensor.ones([2], requiresGrad: true)
        let b = Tensor.ones([2], requiresGrad: true)
        let c = Tensor.ones([2], requiresGrad: true)
        let optimizer = SGD([ParamGroup([w], options: ["lr": 0.5]), ParamGroup([b])], lr: 0.25, momentum: 0.9)
        optimizer.addParamGroup(ParamGroup([c], options: ["lr": 0, "momentum": 0]))
        #expect(optimizer.paramGroups.map(\.lr) == [0.5, 0.25, 0])
        #expect(optimizer.paramGroups[1]["momentum"] == 0.9 && optimizer.paramGroups[2]["momentum"] == 0)
        for p in [w, b, c] { p.grad = Tensor.ones([2]) }
        optimizer.step()
        #expect(w.scalars == [0.5, 0.5] && b.scalars == [0.75, 0.75] && c.scalars == [1, 1])
        #expect(optimizer.state(for: c) == nil || optimizer.state(for: c)!.isEmpty)
        optimizer.paramGroups[1].lr = 0.5
        optimizer.step()
        #expect(closeness(b.scalars, [0.75 - 0.5 * 1.9, 0.75 - 0.5 * 1.9], rtol: 0, atol: 1e-7) <= 1)
    }

    @Test func zeroGradClearsOrZeroes() {
        let p = Tensor.ones([2], requiresGrad: true)
        let optimizer = Adam([p])
        p.grad = Tensor.ones([2])
        let grad = p.grad!
        optimizer.zeroGrad(setToNone: false)
        #expect(p.grad === grad && grad.scalars == [0, 0])
        optimizer.zeroGrad()
        #expect(p.grad == nil)
    }

    @Test func stepWithClosureReturnsTheLoss() {
        let p = Tensor(shape: [2], scalars: [1, -2] as [Float]).requiresGrad()
        let optimizer = SGD([p], lr: 0.25)
        let loss = optimizer.step {
            optimizer.zeroGrad()
            let loss = (p * p).sum()
            loss.backward()
            return loss
        }
        #expect(loss.item() == 5)
        #expect(p.toArray(as: Float.self) == [0.5, -1])
    }

    /// Saving after 10 steps and loading into a fresh model and optimizer continues exactly as an
    /// uninterrupted run (bit for bit), for every optimizer and LBFGS.
    @Test(arguments: resumeConfigs.keys.sorted() + ["LBFGS"])
    func stateDictResumesTheTrajectory(_ name: String) throws {
        let (x, y) = fixtureData(.float32)
        func make(_ model: Module) -> Optimizer {
            name == "LBFGS"
                ? LBFGS(model.parameters(), maxIter: 3, historySize: 4, lineSearchFn: "strong_wolfe")
                : makeOptimizer(name, model.parameters(), options: resumeConfigs[name]!)
        }
        func run(_ model: Module, _ optimizer: Optimizer, steps: Int) {
            for _ in 0..<steps {
                if let lbfgs = optimizer as? LBFGS {
                    lbfgs.step {
                        lbfgs.zeroGrad()
                        let loss = MSELoss()(model(x), y)
                        loss.backward()
                        return loss
                    }
                } else {
                    trainStep(model, optimizer, x, y)
                }
            }
        }
        let straight = try makeFixtureModel(dtype: .float32)
        let straightOptimizer = make(straight)
        run(straight, straightOptimizer, steps: 20)

        let first = try makeFixtureModel(dtype: .float32)
        let firstOptimizer = make(first)
        run(first, firstOptimizer, steps: 10)
        let saved = firstOptimizer.stateDict()
        let weights = first.stateDict().mapValues { $0.clone() }
        run(first, firstOptimizer, steps: 3)  // the snapshot must not follow the original

        let resumed = try makeFixtureModel(dtype: .float32)
        try resumed.loadStateDict(weights)
        let resumedOptimizer = name == "LBFGS" ? make(resumed) : makeOptimizer(name, resumed.parameters(), options: [:])
        try resumedOptimizer.loadStateDict(saved)
        #expect(resumedOptimizer.paramGroups[0].options == straightOptimizer.paramGroups[0].options)
        run(resumed, resumedOptimizer, steps: 10)
        let expected = straight.stateDict()
        for (key, t) in resumed.stateDict() { #expect(t.scalars == expected[key]!.scalars, "\(key)") }
        #expect(!saved.state.isEmpty)
    }

    @Test func loadStateDictRejectsMismatches() throws {
        let (a, b) = (Tensor.zeros([2, 3], requiresGrad: true), Tensor.zeros([3], requiresGrad: true))
        let optimizer = Adam([a, b])
        for p in [a, b] { p.grad = Tensor.onesLike(p) }
        optimizer.step()
        let saved = optimizer.stateDict()
        #expect(saved.paramGroups.map(\.params) == [[0, 1]] && Set(saved.state.keys) == [0, 1])
        #expect(throws: OptimizerStateError.groupCountMismatch(expected: 2, got: 1)) {
            try Adam([ParamGroup([a]), ParamGroup([b])]).loadStateDict(saved)
        }
        #expect(throws: OptimizerStateError.groupSizeMismatch(group: 0, expected: 1, got: 2)) {
            try Adam([a]).loadStateDict(saved)
        }
        #expect(throws: OptimizerStateError.shapeMismatch(index: 0, key: "exp_avg", expected: [3], got: [2, 3])) {
            try Adam([b, a]).loadStateDict(saved)
        }
        var extra = saved
        extra.state[7] = ParameterState(numbers: ["step": 1])
        #expect(throws: OptimizerStateError.unknownParameter(index: 7, parameterCount: 2)) {
            try Adam([a, b]).loadStateDict(extra)
        }
        // float32 state loaded for float64 parameters is converted, as PyTorch does.
        let (a64, b64) = (Tensor.zeros([2, 3], dtype: .float64), Tensor.zeros([3], dtype: .float64))
        let converted = Adam([a64.requiresGrad(), b64.requiresGrad()])
        try converted.loadStateDict(saved)
        #expect(converted.state(for: a64)!.tensors["exp_avg"]!.dtype == .float64)
    }

    /// Parameters above the threading threshold (split across cores) get the same bits as the same
    /// elements updated as small parameters on one thread.
    @Test func largeParametersAreSplitWithoutChangingResults() {
        manualSeed(7)
        let count = 3 * parallelUpdateThreshold + 5
        let data = Tensor.randn([count])
        let grads = (0..<3).map { _ in Tensor.randn([count]) }
        let big = data.clone().requiresGrad()
        let pieceSize = parallelUpdateThreshold / 2
        let pieces = stride(from: 0, to: count, by: pieceSize).map { start in
            data.narrow(dim: 0, start: start, length: min(pieceSize, count - start)).clone().requiresGrad()
        }
        let bigOptimizer = Adam([big], lr: 0.01, amsgrad: true)
        let pieceOptimizer = Adam(pieces, lr: 0.01, amsgrad: true)
        for g in grads {
            big.grad = g
            for (i, p) in pieces.enumerated() { p.grad = g.narrow(dim: 0, start: i * pieceSize, length: p.count) }
            bigOptimizer.step()
            pieceOptimizer.step()
        }
        #expect(big.toArray(as: Float.self) == Tensor.cat(pieces).toArray(as: Float.self))
    }

    /// Strided parameters and gradients are updated through contiguous copies.
    @Test func stridedParametersAndGradients() {
        let base = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
        let p = base.t().requiresGrad()
        let g = Tensor(shape: [2, 3], scalars: [6, 5, 4, 3, 2, 1] as [Float])
        p.grad = g.t()
        #expect(!p.isContiguous && !p.grad!.isContiguous)
        SGD([p], lr: 0.5).step()
        #expect(base.toArray(as: Float.self) == [-2, -0.5, 1, 2.5, 4, 5.5])
    }
}

// MARK: - Clipping

@Suite struct ClippingTests {
    private func parameters() -> [Tensor] {
        optimFixture.clipping.grads.map { g in
            let p = Tensor.zeros(g.shape, requiresGrad: true)
            p.grad = g.makeTensor()
            return p
        }
    }

    @Test func clipGradNormMatchesPyTorch() {
        for c in optimFixture.clipping.norm {
            let params = parameters()
            let total = clipGradNorm(params, maxNorm: c.maxNorm, normType: c.normType.double!)
            #expect(Swift.abs(total.item() - c.totalNorm) <= 1e-6 * c.totalNorm, "norm \(c.normType)")
            for (p, expected) in zip(params, c.clipped) {
                #expect(closeness(p.grad!.scalars, expected.doubles, rtol: 1e-6, atol: 1e-7) <= 1)
            }
        }
    }

    @Test func clipGradValueMatchesPyTorch() {
        for c in optimFixture.clipping.value {
            let params = parameters()
            clipGradValue(params, clipValue: c.clipValue)
            for (p, expected) in zip(params, c.clipped) { #expect(p.grad!.scalars == expected.makeTensor().scalars) }
        }
    }

    @Test func parametersWithoutGradients() {
        #expect(clipGradNorm([Tensor.zeros([2], requiresGrad: true)], maxNorm: 1).item() == 0)
    }
}

// MARK: - Invalid arguments

@Suite struct OptimizerErrorTests {
    private static func message(_ result: ExitTest.Result?) -> String {
        result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
    }

    @Test func negativeLearningRate() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD([Tensor.zeros([1], requiresGrad: true)], lr: -0.1)
        }
        #expect(Self.message(result).contains("Invalid learning rate: -0.1"))
    }

    @Test func betaOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adam([Tensor.zeros([1], requiresGrad: true)], betas: (1.0, 0.999))
        }
        #expect(Self.message(result).contains("Invalid beta parameter at index 0: 1.0"))
    }

    @Test func nesterovWithoutMomentum() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, nesterov: true)
        }
        #expect(Self.message(result).contains("Nesterov momentum requires a momentum and zero dampening"))
    }

    @Test func rhoOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adadelta([Tensor.zeros([1], requiresGrad: true)], rho: 1.5)
        }
        #expect(Self.message(result).contains("Invalid rho value: 1.5"))
    }

    @Test func emptyParameterList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adam([Tensor]())
        }
        #expect(Self.message(result).contains("optimizer got an empty parameter list"))
    }

    @Test func parameterInTwoGroups() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let p = Tensor.zeros([1], requiresGrad: true)
            _ = SGD([ParamGroup([p]), ParamGroup([p])], lr: 0.1)
        }
        #expect(Self.message(result).contains("some parameters appear in more than one parameter group"))
    }

    @Test func lbfgsNeedsAClosure() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            LBFGS([Tensor.zeros([1], requiresGrad: true)]).step()
        }
        #expect(Self.message(result).contains("LBFGS.step() needs a closure"))
    }
}
