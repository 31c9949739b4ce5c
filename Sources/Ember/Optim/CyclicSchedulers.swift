#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Schedulers that cycle: cosine annealing with warm restarts, the one-cycle policy and cyclical
/// learning rates (the last two also cycle momentum, or Adam's `beta1`, inversely to the rate).

/// The group option a momentum-cycling scheduler drives: `beta1` for optimizers with betas (Adam,
/// ...), else `momentum`.
private func momentumKey(_ optimizer: Optimizer) -> String {
    if optimizer.defaults["beta1"] != nil { return "beta1" }
    precondition(
        optimizer.defaults["momentum"] != nil,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    return "momentum"
}

/// Sets every group's momentum (or `beta1`) to `maxMomentum` and records both bounds in the group.
private func startMomentumCycle(_ optimizer: Optimizer, key: String, base: Double, max: Double) {
    for i in optimizer.paramGroups.indices {
        optimizer.paramGroups[i][key] = max
        optimizer.paramGroups[i]["max_momentum"] = max
        optimizer.paramGroups[i]["base_momentum"] = base
    }
}

/// Cosine annealing from each group's initial rate to `etaMin` over `t0` epochs, restarting with
/// periods multiplied by `tMult` (`CosineAnnealingWarmRestarts`, SGDR).
public final class CosineAnnealingWarmRestarts: LRScheduler {
    /// The first period, in epochs (`T_0`).
    public let t0: Int
    /// The factor by which each period grows (`T_mult`).
    public let tMult: Int
    /// The minimum rate (`eta_min`).
    public let etaMin: Double
    /// Epochs since the last restart (`T_cur`); fractional when stepped with fractional epochs.
    public private(set) var tCur: Double
    /// The current period (`T_i`).
    public private(set) var tI: Int

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0, lastEpoch: Int = -1) {
        precondition(t0 > 0, "Expected positive integer T_0, but got \(t0)")
        precondition(tMult >= 1, "Expected integer T_mult >= 1, but got \(tMult)")
        self.t0 = t0
        self.tMult = tMult
        self.etaMin = etaMin
        tCur = Double(lastEpoch)
        tI = t0
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `η_min + (base − η_min)(1 + cos(π · T_cur / T_i)) / 2`.
    override public func computeLR() -> [Double] {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * tCur / Double(tI))) / 2 }
    }

    /// Advances one epoch, restarting the cosine at the end of a period.
    override public func step() {
        if lastEpoch < 0 { return step(epoch: 0) }
        tCur += 1
        if tCur >= Double(tI) {
            tCur = tCur.truncatingRemainder(dividingBy: Double(tI))
            tI *= tMult
        }
        lastEpoch += 1
        apply(computeLR())
    }

    /// Jumps to `epoch`, which may be fractional (`scheduler.step(epoch + i / iters)` within an
    /// epoch, as PyTorch's documentation suggests).
    public func step(epoch: Double) {
        precondition(epoch >= 0, "Expected non-negative epoch, but got \(epoch)")
        let first = Double(t0)
        if epoch >= first {
            if tMult == 1 {
                tCur = epoch.truncatingRemainder(dividingBy: first)
            } else {
                let mult = Double(tMult)
                let n = Int(log(epoch / first * (mult - 1) + 1) / log(mult))
                let power = (0..<n).reduce(1) { r, _ in r * tMult }
                tCur = epoch - first * Double(power - 1) / (mult - 1)
                tI = t0 * power
            }
        } else {
            tI = t0
            tCur = epoch
        }
        lastEpoch = Int(epoch.rounded(.down))
        apply(computeLR())
    }

    /// Adds `T_cur` and `T_i` to the base state.
    override public func stateDict() -> SchedulerState {
        var state = super.stateDict()
        state.numbers["T_cur"] = tCur
        state.numbers["T_i"] = Double(tI)
        return state
    }

    /// Restores `T_cur` and `T_i` too.
    override public func loadStateDict(_ state: SchedulerState) throws(SchedulerStateError) {
        try super.loadStateDict(state)
        tCur = try state.number("T_cur")
        tI = Int(try state.number("T_i"))
    }
}

/// The one-cycle policy (`OneCycleLR`): the rate rises from `maxLR / divFactor` to `maxLR` over
/// `pctStart` of the steps, then anneals to `initial / finalDivFactor` (with `threePhase`, it first
/// comes back down symmetrically); momentum moves the opposite way. Step it once per batch.
public final class OneCycleLR: LRScheduler {
    /// How the rate moves within a phase.
    public enum AnnealStrategy: Sendable {
        /// Cosine annealing (`"cos"`).
        case cos
        /// Linear annealing (`"linear"`).
        case linear
    }

    /// The number of steps in the cycle.
    public let totalSteps: Int
    /// The annealing shape.
    public let annealStrategy: AnnealStrategy
    /// The group option cycled inversely to the rate (`momentum` or `beta1`), if any.
    private let cycledMomentum: String?
    private let phases: [(endStep: Double, startLR: String, endLR: String, startMomentum: String, endMomentum: String)]

    /// Creates the scheduler; give `totalSteps`, or `epochs` and `stepsPerEpoch`.
    public init(
        _ optimizer: Optimizer, maxLR: Double, totalSteps: Int? = nil, epochs: Int? = nil, stepsPerEpoch: Int? = nil,
        pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos, cycleMomentum: Bool = true,
        baseMomentum: Double = 0.85, maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4,
        threePhase: Bool = false, lastEpoch: Int = -1
    ) {
        if let totalSteps {
            precondition(totalSteps > 0, "Expected positive integer total_steps, but got \(totalSteps)")
            self.totalSteps = totalSteps
        } else if let epochs, let stepsPerEpoch {
            precondition(epochs > 0, "Expected positive integer epochs, but got \(epochs)")
            precondition(stepsPerEpoch > 0, "Expected positive integer steps_per_epoch, but got \(stepsPerEpoch)")
            self.totalSteps = epochs * stepsPerEpoch
        } else {
            preconditionFailure("You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        let total = Double(self.totalSteps)
        phases =
            threePhase
            ? [
                (pctStart * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * pctStart * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
            : [
                (pctStart * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        precondition(0 <= pctStart && pctStart <= 1, "Expected float between 0 and 1 pct_start, but got \(pctStart)")
        self.annealStrategy = annealStrategy
        if lastEpoch == -1 {
            for i in optimizer.paramGroups.indices {
                let initial = maxLR / divFactor
                optimizer.paramGroups[i]["initial_lr"] = initial
                optimizer.paramGroups[i]["max_lr"] = maxLR
                optimizer.paramGroups[i]["min_lr"] = initial / finalDivFactor
            }
        }
        cycledMomentum = cycleMomentum ? momentumKey(optimizer) : nil
        if let key = cycledMomentum, lastEpoch == -1 {
            startMomentumCycle(optimizer, key: key, base: baseMomentum, max: maxMomentum)
        }
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: (end - start) * pct + start
        }
    }

    /// The rate (and momentum) of the phase `lastEpoch` falls in.
    override public func computeLR() -> [Double] {
        precondition(
            lastEpoch <= totalSteps,
            "Tried to step \(lastEpoch) times. The specified number of total steps is \(totalSteps)")
        let step = Double(lastEpoch)
        var lrs: [Double] = []
        for g in optimizer.paramGroups.indices {
            let group = optimizer.paramGroups[g]
            var start = 0.0
            for (i, phase) in phases.enumerated() {
                guard step <= phase.endStep || i == phases.count - 1 else {
                    start = phase.endStep
                    continue
                }
                let pct = (step - start) / (phase.endStep - start)
                lrs.append(anneal(group.value(phase.startLR), group.value(phase.endLR), pct))
                if let key = cycledMomentum {
                    optimizer.paramGroups[g][key] = anneal(
                        group.value(phase.startMomentum), group.value(phase.endMomentum), pct)
                }
                break
            }
        }
        return lrs
    }
}

/// Cyclical learning rates (`CyclicLR`): the rate oscillates between `baseLR` and `maxLR` in
/// triangles of `stepSizeUp + stepSizeDown` steps, scaled per cycle or per step; momentum moves
/// the opposite way. Step it once per batch.
public final class CyclicLR: LRScheduler {
    /// The amplitude policy.
    public enum Mode: Sendable {
        /// Constant amplitude (`"triangular"`).
        case triangular
        /// Amplitude halved every cycle (`"triangular2"`).
        case triangular2
        /// Amplitude scaled by `gamma^step` (`"exp_range"`).
        case expRange
    }

    /// What a scale function is evaluated at.
    public enum ScaleMode: Sendable {
        /// The cycle number (`"cycle"`).
        case cycle
        /// The step count (`"iterations"`).
        case iterations
    }

    /// The upper bound of each group's rate.
    public let maxLRs: [Double]
    /// Steps per cycle (`total_size`).
    private let totalSize: Double
    /// The fraction of a cycle spent rising (`step_ratio`).
    private let stepRatio: Double
    private let scaleFn: (Double) -> Double
    private let scaleMode: ScaleMode
    private let cycledMomentum: String?
    private let baseMomentum: Double
    private let maxMomentum: Double

    /// Creates the scheduler; a custom `scaleFn` (with its `scaleMode`) replaces `mode`'s.
    public init(
        _ optimizer: Optimizer, baseLR: Double, maxLR: Double, stepSizeUp: Int = 2000, stepSizeDown: Int? = nil,
        mode: Mode = .triangular, gamma: Double = 1, scaleFn: ((Double) -> Double)? = nil,
        scaleMode: ScaleMode = .cycle, cycleMomentum: Bool = true, baseMomentum: Double = 0.8,
        maxMomentum: Double = 0.9, lastEpoch: Int = -1
    ) {
        let groups = optimizer.paramGroups.count
        if lastEpoch == -1 {
            for i in 0..<groups { optimizer.paramGroups[i].lr = baseLR }
        }
        maxLRs = Array(repeating: maxLR, count: groups)
        let up = Double(stepSizeUp)
        totalSize = up + Double(stepSizeDown ?? stepSizeUp)
        stepRatio = up / totalSize
        if let scaleFn {
            self.scaleFn = scaleFn
            self.scaleMode = scaleMode
        } else {
            switch mode {
            case .triangular: (self.scaleFn, self.scaleMode) = ({ _ in 1.0 }, .cycle)
            case .triangular2: (self.scaleFn, self.scaleMode) = ({ 1 / pow(2.0, $0 - 1) }, .cycle)
            case .expRange: (self.scaleFn, self.scaleMode) = ({ pow(gamma, $0) }, .iterations)
            }
        }
        cycledMomentum = cycleMomentum ? momentumKey(optimizer) : nil
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
        if let key = cycledMomentum, lastEpoch == -1 {
            startMomentumCycle(optimizer, key: key, base: baseMomentum, max: maxMomentum)
        }
        super.init(optimizer, lastEpoch: lastEpoch)
        baseLRs = Array(repeating: baseLR, count: groups)
    }

    /// The rate on the triangle at `lastEpoch` (and the mirrored momentum).
    override public func computeLR() -> [Double] {
        let epoch = Double(lastEpoch)
        let cycle = (1 + epoch / totalSize).rounded(.down)
        let x = 1.0 + epoch / totalSize - cycle
        let scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1)
        let scale = scaleFn(scaleMode == .cycle ? cycle : epoch)
        let lrs = zip(baseLRs, maxLRs).map { base, max in base + (max - base) * scaleFactor * scale }
        if let key = cycledMomentum {
            let momentum = maxMomentum - (maxMomentum - baseMomentum) * scaleFactor * scale
            for i in optimizer.paramGroups.indices { optimizer.paramGroups[i][key] = momentum }
        }
        return lrs
    }
}
