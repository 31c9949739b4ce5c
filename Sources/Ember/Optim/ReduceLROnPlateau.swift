/// Reduces the learning rate when a metric has stopped improving (`ReduceLROnPlateau`).
///
/// ```swift
/// let scheduler = ReduceLROnPlateau(opt, factor: 0.5, patience: 3)
/// for epoch in 0..<epochs {
///     let validationLoss = train(epoch)
///     scheduler.step(validationLoss)
/// }
/// ```
public final class ReduceLROnPlateau {
    /// Whether the metric should decrease or increase.
    public enum Mode: Sendable {
        /// Lower is better (a loss).
        case min
        /// Higher is better (an accuracy).
        case max
    }

    /// How `threshold` measures a significant improvement.
    public enum ThresholdMode: Sendable {
        /// Relative to the best value: `best · (1 ∓ threshold)`.
        case rel
        /// Absolute: `best ∓ threshold`.
        case abs
    }

    /// The optimizer whose groups' `lr` the scheduler reduces.
    public let optimizer: Optimizer
    /// Whether lower or higher metrics are better.
    public let mode: Mode
    /// The factor applied to the rate on a plateau.
    public let factor: Double
    /// Epochs without improvement tolerated before reducing.
    public let patience: Int
    /// The smallest change that counts as an improvement.
    public let threshold: Double
    /// How `threshold` is applied.
    public let thresholdMode: ThresholdMode
    /// Epochs to wait after a reduction before counting bad epochs again.
    public let cooldown: Int
    /// Reductions smaller than this are skipped.
    public let eps: Double
    private var minLRs: [Double]
    private let defaultMinLR: Double
    /// The best metric seen so far.
    public private(set) var best: Double
    /// Consecutive epochs without improvement.
    public private(set) var numBadEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownCounter = 0
    /// The number of `step` calls so far.
    public private(set) var lastEpoch = 0
    private var lastLR: [Double]

    /// Creates the scheduler with PyTorch's defaults.
    public init(
        _ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
        thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8
    ) {
        precondition(factor < 1, "Factor should be < 1.0.")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.eps = eps
        defaultMinLR = minLR
        minLRs = Array(repeating: minLR, count: optimizer.paramGroups.count)
        best = mode == .min ? .infinity : -.infinity
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    /// The learning rates after the last step, one per group (`get_last_lr()`).
    public func getLastLR() -> [Double] { lastLR }

    /// Records this epoch's metric and reduces the rates after `patience` epochs without improvement.
    public func step(_ metric: Double) {
        lastEpoch += 1
        if isBetter(metric) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            reduceLR()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    private func reduceLR() {
        if minLRs.count != optimizer.paramGroups.count {
            minLRs = Array(repeating: defaultMinLR, count: optimizer.paramGroups.count)
        }
        for i in optimizer.paramGroups.indices {
            let old = optimizer.paramGroups[i].lr
            let new = Swift.max(old * factor, minLRs[i])
            if old - new > eps { optimizer.paramGroups[i].lr = new }
        }
    }

    private func isBetter(_ value: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): value < best * (1.0 - threshold)
        case (.min, .abs): value < best - threshold
        case (.max, .rel): value > best * (threshold + 1.0)
        case (.max, .abs): value > best + threshold
        }
    }

    /// The scheduler's progress (`state_dict()`): `best`, `num_bad_epochs`, `cooldown_counter`,
    /// `last_epoch`, `min_lrs` and `_last_lr`.
    public func stateDict() -> SchedulerState {
        SchedulerState(
            numbers: [
                "best": best, "num_bad_epochs": Double(numBadEpochs), "cooldown_counter": Double(cooldownCounter),
                "last_epoch": Double(lastEpoch),
            ],
            lists: ["min_lrs": minLRs, "_last_lr": lastLR])
    }

    /// Restores a state saved by `stateDict()`.
    public func loadStateDict(_ state: SchedulerState) throws(SchedulerStateError) {
        best = try state.number("best")
        numBadEpochs = Int(try state.number("num_bad_epochs"))
        cooldownCounter = Int(try state.number("cooldown_counter"))
        lastEpoch = Int(try state.number("last_epoch"))
        minLRs = try state.list("min_lrs")
        lastLR = try state.list("_last_lr")
    }
}
