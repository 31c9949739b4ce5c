// PyTorch-verified tests for Ember's learning-rate schedulers: every scheduler of
// make_optim_fixtures.py's SCHEDULERS / PLATEAUS tables, built the same way here, must produce
// PyTorch's learning rates (and momentum, for the cycling ones) for 100 steps, bit for bit.

import Foundation
import Testing

@testable import Ember

/// An SGD optimizer (momentum 0.9) with one group per learning rate, as the fixture's `sgd`.
private func sgdOptimizer(_ lrs: [Double] = [0.1]) -> Optimizer {
    SGD(lrs.map { ParamGroup([Tensor.zeros([1], requiresGrad: true)], options: ["lr": $0]) }, lr: lrs[0], momentum: 0.9)
}

/// An Adam optimizer with one group per learning rate, as the fixture's `adam`.
private func adamOptimizer(_ lrs: [Double] = [0.1]) -> Optimizer {
    Adam(lrs.map { ParamGroup([Tensor.zeros([1], requiresGrad: true)], options: ["lr": $0]) }, lr: lrs[0])
}

/// How to build one of the fixture's schedulers: the optimizer (SGD with momentum, or Adam) with
/// one group per learning rate, and the scheduler over it.
private struct Recipe: Sendable {
    var lrs: [Double] = [0.1]
    var adam = false
    let make: @Sendable (Optimizer) -> LRScheduler

    func build() -> (Optimizer, LRScheduler) {
        let optimizer = adam ? adamOptimizer(lrs) : sgdOptimizer(lrs)
        return (optimizer, make(optimizer))
    }
}

/// The fixture's schedulers, by name, built as make_optim_fixtures.py builds them.
private let recipes: [String: Recipe] = [
    "step": Recipe(lrs: [0.1, 0.01]) { StepLR($0, stepSize: 30, gamma: 0.1) },
    "multistep": Recipe { MultiStepLR($0, milestones: [30, 30, 80], gamma: 0.5) },
    "exponential": Recipe { ExponentialLR($0, gamma: 0.95) },
    "cosine": Recipe(lrs: [0.1, 0.01]) { CosineAnnealingLR($0, tMax: 30, etaMin: 0.001) },
    "cosine_default": Recipe { CosineAnnealingLR($0, tMax: 100) },
    "warm_restarts": Recipe { CosineAnnealingWarmRestarts($0, t0: 10, tMult: 2, etaMin: 0.001) },
    "warm_restarts_mult1": Recipe { CosineAnnealingWarmRestarts($0, t0: 7) },
    "linear": Recipe { LinearLR($0, startFactor: 0.25, endFactor: 1.0, totalIters: 10) },
    "linear_default": Recipe { LinearLR($0) },
    "linear_decay": Recipe { LinearLR($0, startFactor: 1.0, endFactor: 0.1, totalIters: 40) },
    "constant": Recipe { ConstantLR($0, factor: 0.5, totalIters: 10) },
    "constant_default": Recipe { ConstantLR($0) },
    "lambda": Recipe(lrs: [0.1, 0.01]) { LambdaLR($0, lrLambda: { pow(0.95, Double($0)) }) },
    "multiplicative": Recipe { MultiplicativeLR($0, lrLambda: { _ in 0.97 }) },
    "polynomial": Recipe { PolynomialLR($0, totalIters: 50, power: 2.0) },
    "one_cycle": Recipe { OneCycleLR($0, maxLR: 0.1, totalSteps: 100) },
    "one_cycle_linear": Recipe { OneCycleLR($0, maxLR: 0.1, totalSteps: 120, annealStrategy: .linear) },
    "one_cycle_three_phase_adam": Recipe(adam: true) {
        OneCycleLR(
            $0, maxLR: 0.05, epochs: 10, stepsPerEpoch: 11, pctStart: 0.25, divFactor: 10.0, finalDivFactor: 100.0,
            threePhase: true)
    },
    "cyclic": Recipe { CyclicLR($0, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 10) },
    "cyclic_triangular2": Recipe(lrs: [0.1, 0.01]) {
        CyclicLR($0, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 10, stepSizeDown: 5, mode: .triangular2)
    },
    "cyclic_exp_range_adam": Recipe(adam: true) {
        CyclicLR(
            $0, baseLR: 0.001, maxLR: 0.1, stepSizeUp: 8, mode: .expRange, gamma: 0.98, baseMomentum: 0.85,
            maxMomentum: 0.95)
    },
    "sequential": Recipe { o in
        SequentialLR(
            o, schedulers: [LinearLR(o, startFactor: 0.1, totalIters: 5), CosineAnnealingLR(o, tMax: 95)],
            milestones: [5])
    },
    "sequential_three": Recipe(lrs: [0.1, 0.01]) { o in
        let parts: [LRScheduler] = [
            ConstantLR(o, factor: 0.5, totalIters: 10), ExponentialLR(o, gamma: 0.9),
            StepLR(o, stepSize: 7, gamma: 0.5),
        ]
        return SequentialLR(o, schedulers: parts, milestones: [20, 50])
    },
    "chained": Recipe { o in
        ChainedScheduler([ConstantLR(o, factor: 0.5, totalIters: 10), ExponentialLR(o, gamma: 0.97)])
    },
]

private let plateauFactories: [String: @Sendable (Optimizer) -> ReduceLROnPlateau] = [
    "plateau": { ReduceLROnPlateau($0, factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minLR: 0.01) },
    "plateau_default": { ReduceLROnPlateau($0, patience: 1) },
    "plateau_max_abs": {
        ReduceLROnPlateau(
            $0, mode: .max, factor: 0.3, patience: 0, threshold: 0.05, thresholdMode: .abs, minLR: 1e-3, eps: 1e-3)
    },
]

/// Group 0's momentum, or `beta1` for optimizers with betas.
private func momentum(_ optimizer: Optimizer) -> Double {
    optimizer.paramGroups[0]["beta1"] ?? optimizer.paramGroups[0]["momentum"]!
}

@Suite struct SchedulerTests {
    @Test func everyFixtureSchedulerIsBuilt() {
        let names = Set(optimFixture.schedulers.map(\.name))
        #expect(names == Set(recipes.keys).union(plateauFactories.keys))
    }

    /// 100 steps of every scheduler give PyTorch's learning rates and momentums exactly.
    @Test(arguments: optimFixture.schedulers.filter { $0.metrics == nil })
    func learningRatesMatchPyTorch(_ c: OptimFixture.SchedulerCase) throws {
        let recipe = try #require(recipes[c.name])
        let (optimizer, scheduler) = recipe.build()
        var lrs = [scheduler.getLastLR()]
        var momentums = [momentum(optimizer)]
        for _ in 1..<c.lrs.count {
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.getLastLR())
            momentums.append(momentum(optimizer))
        }
        #expect(lrs == c.lrs)
        #expect(momentums == c.momentums)
        #expect(optimizer.paramGroups.map(\.lr) == c.lrs.last)
    }

    /// ReduceLROnPlateau fed PyTorch's metric sequence reduces the rates at the same epochs.
    @Test(arguments: optimFixture.schedulers.filter { $0.metrics != nil })
    func plateauMatchesPyTorch(_ c: OptimFixture.SchedulerCase) throws {
        let optimizer = sgdOptimizer([0.1, 0.05])
        let make = try #require(plateauFactories[c.name])
        let scheduler = make(optimizer)
        var lrs = [scheduler.getLastLR()]
        for metric in c.metrics! {
            scheduler.step(metric)
            lrs.append(scheduler.getLastLR())
        }
        #expect(lrs == c.lrs)
    }

    /// A scheduler restored from its state dict mid-run continues with the same rates.
    @Test(arguments: ["cosine", "warm_restarts", "one_cycle", "cyclic_triangular2", "sequential_three", "chained"])
    func stateDictResumesTheSchedule(_ name: String) throws {
        let (optimizer, scheduler) = recipes[name]!.build()
        for _ in 0..<37 { scheduler.step() }
        let saved = scheduler.stateDict()
        let expected = (0..<20).map { _ in
            scheduler.step()
            return scheduler.getLastLR()
        }
        // A fresh pair, moved elsewhere, then restored: optimizer lrs come from the scheduler's state.
        let (freshOptimizer, fresh) = recipes[name]!.build()
        for _ in 0..<5 { fresh.step() }
        try fresh.loadStateDict(saved)
        for i in freshOptimizer.paramGroups.indices { freshOptimizer.paramGroups[i].lr = saved.lists["_last_lr"]![i] }
        let resumed = (0..<20).map { _ in
            fresh.step()
            return fresh.getLastLR()
        }
        #expect(resumed == expected)
        #expect(optimizer.paramGroups.map(\.lr) == freshOptimizer.paramGroups.map(\.lr))
    }

    @Test func plateauStateDictResumes() throws {
        let metrics = optimFixture.schedulers.first { $0.name == "plateau" }!.metrics!
        let optimizer = sgdOptimizer([0.1, 0.05])
        let scheduler = plateauFactories["plateau"]!(optimizer)
        for m in metrics.prefix(12) { scheduler.step(m) }
        let saved = scheduler.stateDict()
        let freshOptimizer = sgdOptimizer([0.1, 0.05])
        let fresh = plateauFactories["plateau"]!(freshOptimizer)
        try fresh.loadStateDict(saved)
        for i in freshOptimizer.paramGroups.indices { freshOptimizer.paramGroups[i].lr = optimizer.paramGroups[i].lr }
        for m in metrics.dropFirst(12) {
            scheduler.step(m)
            fresh.step(m)
        }
        #expect(fresh.getLastLR() == scheduler.getLastLR())
        #expect(fresh.best == scheduler.best && fresh.numBadEpochs == scheduler.numBadEpochs)
    }

    @Test func incompleteStateDictThrows() {
        let (_, scheduler) = recipes["warm_restarts"]!.build()
        var state = scheduler.stateDict()
        state.numbers["T_cur"] = nil
        #expect(throws: SchedulerStateError.missingKey("T_cur")) { try scheduler.loadStateDict(state) }
        let (_, sequential) = recipes["sequential"]!.build()
        var composite = sequential.stateDict()
        composite.schedulers.removeLast()
        #expect(throws: SchedulerStateError.schedulerCountMismatch(expected: 2, got: 1)) {
            try sequential.loadStateDict(composite)
        }
    }

    /// Warm restarts stepped with fractional epochs (within an epoch) follow PyTorch's closed form.
    @Test func warmRestartsWithFractionalEpochs() {
        let o = sgdOptimizer()
        let s = CosineAnnealingWarmRestarts(o, t0: 10, tMult: 2, etaMin: 0.001)
        s.step(epoch: 12.5)
        #expect(s.tI == 20 && s.tCur == 2.5 && s.lastEpoch == 12)
        let expected = 0.001 + (0.1 - 0.001) * (1 + cos(Double.pi * 2.5 / 20)) / 2
        #expect(s.getLastLR() == [expected])
    }
}
