#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Learning-rate schedulers (`torch.optim.lr_scheduler`): the base class and the schedules that
/// scale the rate by a rule of the epoch. Every formula is PyTorch's own, in the same order of
/// operations (most are PyTorch's "chainable" recursive forms), so the sequences agree to the last bit.

/// A scheduler's state (`scheduler.state_dict()`), under PyTorch's attribute names (`last_epoch`,
/// `_step_count`, `base_lrs`, `_last_lr`, `T_cur`, ...). Closures are not saved, as in PyTorch.
public struct SchedulerState: Equatable, Sendable {
    /// Numeric attributes.
    public var numbers: [String: Double]
    /// Per-group attributes.
    public var lists: [String: [Double]]
    /// The states of the schedulers a composite scheduler drives.
    public var schedulers: [SchedulerState]

    /// Creates a scheduler state.
    public init(numbers: [String: Double] = [:], lists: [String: [Double]] = [:], schedulers: [SchedulerState] = []) {
        self.numbers = numbers
        self.lists = lists
        self.schedulers = schedulers
    }

    /// The number `key`, or an error naming it.
    func number(_ key: String) throws(SchedulerStateError) -> Double {
        guard let v = numbers[key] else { throw .missingKey(key) }
        return v
    }

    /// The list `key`, or an error naming it.
    func list(_ key: String) throws(SchedulerStateError) -> [Double] {
        guard let v = lists[key] else { throw .missingKey(key) }
        return v
    }
}

/// Why `loadStateDict` refused a scheduler state.
public enum SchedulerStateError: Error, Equatable, CustomStringConvertible {
    /// A required attribute is missing.
    case missingKey(String)
    /// A composite scheduler's state holds a different number of schedulers.
    case schedulerCountMismatch(expected: Int, got: Int)

    /// A message naming the attribute.
    public var description: String {
        switch self {
        case .missingKey(let key): "scheduler state dict has no \"\(key)\""
        case .schedulerCountMismatch(let expected, let got):
            "scheduler state dict holds \(got) schedulers, expected \(expected)"
        }
    }
}

/// The base class of the learning-rate schedulers (`torch.optim.lr_scheduler.LRScheduler`).
///
/// Creating a scheduler records each group's `initial_lr` and takes the initial step (epoch 0);
/// call `step()` once per epoch (or batch) after `optimizer.step()`. Subclasses override
/// `computeLR()` (PyTorch's `get_lr`) and, where PyTorch has one, `closedFormLR()`.
open class LRScheduler {
    /// The optimizer whose groups' `lr` the scheduler sets.
    public let optimizer: Optimizer
    /// Each group's initial learning rate (`base_lrs`).
    public internal(set) var baseLRs: [Double]
    /// The index of the last epoch (`last_epoch`), 0 after construction.
    public internal(set) var lastEpoch: Int
    /// How many times `step()` ran, the initial step included (`_step_count`).
    var stepCount = 0
    /// The learning rates set by the last step (`_last_lr`).
    var lastLR: [Double] = []
    /// Whether the initial step is running (`_is_initial`).
    var isInitial = false

    /// Creates the scheduler and takes the initial step. With `lastEpoch` ≥ 0 (resuming), the
    /// groups must already hold `initial_lr`.
    public init(_ optimizer: Optimizer, lastEpoch: Int = -1) {
        self.optimizer = optimizer
        self.lastEpoch = lastEpoch
        baseLRs = LRScheduler.initialLRs(optimizer, lastEpoch: lastEpoch)
        initialStep()
    }

    /// Creates a scheduler that drives others and takes no initial step of its own.
    init(composing optimizer: Optimizer, lastEpoch: Int) {
        self.optimizer = optimizer
        self.lastEpoch = lastEpoch
        baseLRs = optimizer.paramGroups.map { $0["initial_lr"] ?? $0.lr }
    }

    /// Records each group's `initial_lr` (fresh start) or checks it is there (resuming).
    private static func initialLRs(_ optimizer: Optimizer, lastEpoch: Int) -> [Double] {
        for i in optimizer.paramGroups.indices {
            if lastEpoch == -1 {
                if optimizer.paramGroups[i]["initial_lr"] == nil {
                    optimizer.paramGroups[i]["initial_lr"] = optimizer.paramGroups[i].lr
                }
            } else {
                precondition(
                    optimizer.paramGroups[i]["initial_lr"] != nil,
                    "param 'initial_lr' is not specified in param_groups[\(i)] when resuming scheduler with "
                        + "last_epoch >= 0."
                )
            }
        }
        return optimizer.paramGroups.map { $0.value("initial_lr") }
    }

    /// The learning rates of the last step, one per group (`get_last_lr()`).
    public func getLastLR() -> [Double] { lastLR }

    /// The groups' current learning rates.
    var groupLRs: [Double] { optimizer.paramGroups.map(\.lr) }

    /// The learning rates for epoch `lastEpoch`, usually from the current ones (`get_lr`).
    open func computeLR() -> [Double] {
        fatalError("\(type(of: self)) must override computeLR()")
    }

    /// The learning rates for epoch `lastEpoch` from `baseLRs` alone, for schedulers with a closed
    /// form (`_get_closed_form_lr`); `nil` otherwise.
    open func closedFormLR() -> [Double]? { nil }

    /// Advances one epoch and sets the groups' learning rates (`step()`).
    open func step() {
        stepCount += 1
        updateLR(epoch: nil)
    }

    /// Moves to the next epoch, or to `epoch` (closed form where available), and applies the rates.
    func updateLR(epoch: Int?) {
        let values: [Double]
        if let epoch {
            lastEpoch = epoch
            values = closedFormLR() ?? computeLR()
        } else {
            lastEpoch += 1
            values = computeLR()
        }
        apply(values)
    }

    /// Sets the groups' learning rates and records them.
    func apply(_ values: [Double]) {
        for (i, lr) in values.enumerated() { optimizer.paramGroups[i].lr = lr }
        lastLR = groupLRs
    }

    /// Moves back one epoch, so the next step repeats this one (`SequentialLR.recursive_undo`);
    /// composite schedulers rewind their schedulers instead.
    func rewind() { lastEpoch -= 1 }

    /// The first step, taken at construction (`_initial_step`).
    func initialStep() {
        stepCount = 0
        isInitial = true
        step()
        isInitial = false
    }

    /// The scheduler's state (`state_dict()`).
    open func stateDict() -> SchedulerState {
        SchedulerState(
            numbers: ["last_epoch": Double(lastEpoch), "_step_count": Double(stepCount)],
            lists: ["base_lrs": baseLRs, "_last_lr": lastLR])
    }

    /// Restores a state saved by `stateDict()` (`load_state_dict`).
    open func loadStateDict(_ state: SchedulerState) throws(SchedulerStateError) {
        lastEpoch = Int(try state.number("last_epoch"))
        stepCount = Int(try state.number("_step_count"))
        baseLRs = try state.list("base_lrs")
        lastLR = try state.list("_last_lr")
    }
}

/// Multiplies each group's rate by `gamma` every `stepSize` epochs (`StepLR`).
public final class StepLR: LRScheduler {
    /// The period of the decay, in epochs.
    public let stepSize: Int
    /// The multiplicative factor.
    public let gamma: Double

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1, lastEpoch: Int = -1) {
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `lr · γ` at multiples of `stepSize`, else unchanged.
    override public func computeLR() -> [Double] {
        if lastEpoch == 0 || lastEpoch % stepSize != 0 { return groupLRs }
        return groupLRs.map { $0 * gamma }
    }

    /// `base · γ^⌊epoch / stepSize⌋`.
    override public func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pow(gamma, Double(floorDivide(lastEpoch, stepSize))) }
    }
}

/// Multiplies each group's rate by `gamma` at each milestone epoch, once per occurrence
/// (`MultiStepLR`).
public final class MultiStepLR: LRScheduler {
    /// The epochs at which the rate decays (repeats decay more than once).
    public let milestones: [Int]
    /// The multiplicative factor.
    public let gamma: Double

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1, lastEpoch: Int = -1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `lr · γ^count` at a milestone epoch, else unchanged.
    override public func computeLR() -> [Double] {
        let count = milestones.count(where: { $0 == lastEpoch })
        if count == 0 { return groupLRs }
        return groupLRs.map { $0 * pow(gamma, Double(count)) }
    }

    /// `base · γ^(milestones ≤ epoch)`.
    override public func closedFormLR() -> [Double]? {
        let passed = milestones.count(where: { $0 <= lastEpoch })
        return baseLRs.map { $0 * pow(gamma, Double(passed)) }
    }
}

/// Multiplies each group's rate by `gamma` every epoch (`ExponentialLR`).
public final class ExponentialLR: LRScheduler {
    /// The multiplicative factor.
    public let gamma: Double

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, gamma: Double, lastEpoch: Int = -1) {
        self.gamma = gamma
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `lr · γ`.
    override public func computeLR() -> [Double] {
        isInitial ? groupLRs : groupLRs.map { $0 * gamma }
    }

    /// `base · γ^epoch`.
    override public func closedFormLR() -> [Double]? { baseLRs.map { $0 * pow(gamma, Double(lastEpoch)) } }
}

/// Scales the rate by `factor` for the first `totalIters` epochs (`ConstantLR`).
public final class ConstantLR: LRScheduler {
    /// The factor applied until `totalIters`.
    public let factor: Double
    /// The number of epochs the factor applies.
    public let totalIters: Int

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5, lastEpoch: Int = -1) {
        precondition(0 <= factor && factor <= 1, "Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.totalIters = totalIters
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `lr · factor` at epoch 0, `lr / factor` at `totalIters`, else unchanged.
    override public func computeLR() -> [Double] {
        if lastEpoch == 0 { return groupLRs.map { $0 * factor } }
        if lastEpoch != totalIters { return groupLRs }
        return groupLRs.map { $0 * (1.0 / factor) }
    }

    /// `base · factor` before `totalIters`, `base` from then on.
    override public func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * (factor + (lastEpoch >= totalIters ? 1 : 0) * (1 - factor)) }
    }
}

/// Scales the rate linearly from `startFactor` to `endFactor` over `totalIters` epochs (`LinearLR`).
public final class LinearLR: LRScheduler {
    /// The factor at epoch 0.
    public let startFactor: Double
    /// The factor from `totalIters` on.
    public let endFactor: Double
    /// The number of epochs of the ramp.
    public let totalIters: Int

    /// Creates the scheduler.
    public init(
        _ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5,
        lastEpoch: Int = -1
    ) {
        precondition(
            0 < startFactor && startFactor <= 1,
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        precondition(0 <= endFactor && endFactor <= 1, "Ending multiplicative factor expected to be between 0 and 1.")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// PyTorch's recursive ramp.
    override public func computeLR() -> [Double] {
        if lastEpoch == 0 { return groupLRs.map { $0 * startFactor } }
        if isInitial || lastEpoch > totalIters { return groupLRs }
        let change = endFactor - startFactor
        let scale = 1.0 + change / (Double(totalIters) * startFactor + Double(lastEpoch - 1) * change)
        return groupLRs.map { $0 * scale }
    }

    /// `base · (start + (end − start) · min(totalIters, epoch) / totalIters)`.
    override public func closedFormLR() -> [Double]? {
        let progress = Double(min(totalIters, lastEpoch))
        return baseLRs.map { $0 * (startFactor + (endFactor - startFactor) * progress / Double(totalIters)) }
    }
}

/// Sets each group's rate to its initial rate times a function of the epoch (`LambdaLR`).
public final class LambdaLR: LRScheduler {
    private let lrLambdas: [(Int) -> Double]

    /// Creates the scheduler with one function for every group.
    public convenience init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double, lastEpoch: Int = -1) {
        self.init(
            optimizer, lrLambdas: Array(repeating: lrLambda, count: optimizer.paramGroups.count), lastEpoch: lastEpoch)
    }

    /// Creates the scheduler with one function per group.
    public init(_ optimizer: Optimizer, lrLambdas: [(Int) -> Double], lastEpoch: Int = -1) {
        precondition(
            lrLambdas.count == optimizer.paramGroups.count,
            "Expected \(optimizer.paramGroups.count) lr_lambdas, but got \(lrLambdas.count)")
        self.lrLambdas = lrLambdas
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `base · λ(epoch)`.
    override public func computeLR() -> [Double] {
        zip(baseLRs, lrLambdas).map { base, lambda in base * lambda(lastEpoch) }
    }
}

/// Multiplies each group's rate by a function of the epoch, every epoch (`MultiplicativeLR`).
public final class MultiplicativeLR: LRScheduler {
    private let lrLambdas: [(Int) -> Double]

    /// Creates the scheduler with one function for every group.
    public init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double, lastEpoch: Int = -1) {
        lrLambdas = Array(repeating: lrLambda, count: optimizer.paramGroups.count)
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// `lr · λ(epoch)`.
    override public func computeLR() -> [Double] {
        isInitial ? groupLRs : zip(groupLRs, lrLambdas).map { lr, lambda in lr * lambda(lastEpoch) }
    }
}

/// Decays the rate polynomially to 0 over `totalIters` epochs (`PolynomialLR`).
public final class PolynomialLR: LRScheduler {
    /// The number of epochs of the decay.
    public let totalIters: Int
    /// The power of the polynomial.
    public let power: Double

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, totalIters: Int = 5, power: Double = 1, lastEpoch: Int = -1) {
        self.totalIters = totalIters
        self.power = power
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// PyTorch's recursive decay.
    override public func computeLR() -> [Double] {
        if isInitial || lastEpoch > totalIters { return groupLRs }
        let total = Double(totalIters)
        let decay = pow((1.0 - Double(lastEpoch) / total) / (1.0 - Double(lastEpoch - 1) / total), power)
        return groupLRs.map { $0 * decay }
    }

    /// `base · (1 − min(totalIters, epoch) / totalIters)^power`.
    override public func closedFormLR() -> [Double]? {
        let progress = Double(min(totalIters, lastEpoch)) / Double(totalIters)
        return baseLRs.map { $0 * pow(1.0 - progress, power) }
    }
}

/// Anneals the rate from its initial value to `etaMin` along a cosine over `tMax` epochs, and
/// back up over the next `tMax` (`CosineAnnealingLR`, with PyTorch's recursive formula).
public final class CosineAnnealingLR: LRScheduler {
    /// Half the period, in epochs (`T_max`).
    public let tMax: Int
    /// The minimum rate (`eta_min`).
    public let etaMin: Double

    /// Creates the scheduler.
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0, lastEpoch: Int = -1) {
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer, lastEpoch: lastEpoch)
    }

    /// PyTorch's recursive cosine step.
    override public func computeLR() -> [Double] {
        let (epoch, period) = (Double(lastEpoch), Double(tMax))
        if isInitial { return groupLRs }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(epoch * Double.pi / period)) / 2 }
        }
        if floorModulo(lastEpoch - 1 - tMax, 2 * tMax) == 0 {
            return zip(groupLRs, baseLRs).map { lr, base in lr + (base - etaMin) * (1 - cos(Double.pi / period)) / 2 }
        }
        let ratio = (1 + cos(Double.pi * epoch / period)) / (1 + cos(Double.pi * (epoch - 1) / period))
        return groupLRs.map { ratio * ($0 - etaMin) + etaMin }
    }

    /// `η_min + (base − η_min)(1 + cos(π · epoch / T_max)) / 2`.
    override public func closedFormLR() -> [Double]? {
        baseLRs.map { etaMin + ($0 - etaMin) * (1 + cos(Double.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }
}

/// Python's `a // b` for integers (rounds toward negative infinity).
func floorDivide(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Python's `a % b` for integers (takes the sign of `b`).
func floorModulo(_ a: Int, _ b: Int) -> Int { a - floorDivide(a, b) * b }
