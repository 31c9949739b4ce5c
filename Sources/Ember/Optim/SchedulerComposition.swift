/// Schedulers built from other schedulers: one after another (`SequentialLR`) or all at once
/// (`ChainedScheduler`).

/// Runs `schedulers` one after another, switching at each milestone epoch (`SequentialLR`), e.g. a
/// linear warm-up followed by cosine annealing.
///
/// ```swift
/// let warmup = LinearLR(opt, startFactor: 0.1, totalIters: 5)
/// let cosine = CosineAnnealingLR(opt, tMax: 95)
/// let schedule = SequentialLR(opt, schedulers: [warmup, cosine], milestones: [5])
/// ```
public final class SequentialLR: LRScheduler {
    /// The schedulers, in order.
    public let schedulers: [LRScheduler]
    /// The epochs at which the next scheduler takes over.
    public let milestones: [Int]

    /// Creates the schedule and rewinds the schedulers to epoch 0 (their construction stepped the
    /// optimizer already).
    public init(_ optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int], lastEpoch: Int = -1) {
        precondition(!schedulers.isEmpty, "SequentialLR expects at least one scheduler, but got no scheduler.")
        for (i, s) in schedulers.enumerated() {
            precondition(
                s.optimizer === optimizer,
                "SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler "
                    + "\(type(of: s)) at index \(i) has a different optimizer."
            )
        }
        precondition(
            milestones.count == schedulers.count - 1,
            "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                + "milestone points, but got number of schedulers \(schedulers.count) and the number of milestones "
                + "to be equal to \(milestones.count)"
        )
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(composing: optimizer, lastEpoch: lastEpoch + 1)
        for i in optimizer.paramGroups.indices {
            optimizer.paramGroups[i].lr = optimizer.paramGroups[i].value("initial_lr")
        }
        for s in schedulers { s.rewind() }
        let first = schedulers[active(at: 0)]
        first.initialStep()
        lastLR = first.getLastLR()
    }

    /// The index of the scheduler in charge at `epoch` (`bisect_right(milestones, epoch)`).
    private func active(at epoch: Int) -> Int { milestones.count(where: { $0 <= epoch }) }

    /// Steps the scheduler in charge; at a milestone, the next one starts from its epoch 0.
    override public func step() {
        lastEpoch += 1
        let index = active(at: lastEpoch)
        let scheduler = schedulers[index]
        if index > 0 && milestones[index - 1] == lastEpoch {
            scheduler.updateLR(epoch: 0)
        } else {
            scheduler.step()
        }
        lastLR = scheduler.getLastLR()
    }

    override func rewind() {
        for s in schedulers { s.rewind() }
    }

    /// The composite's epoch, last rates and every scheduler's state.
    override public func stateDict() -> SchedulerState {
        SchedulerState(
            numbers: ["last_epoch": Double(lastEpoch)], lists: ["_last_lr": lastLR],
            schedulers: schedulers.map { $0.stateDict() })
    }

    /// Restores the composite and every scheduler.
    override public func loadStateDict(_ state: SchedulerState) throws(SchedulerStateError) {
        lastEpoch = Int(try state.number("last_epoch"))
        lastLR = try state.list("_last_lr")
        try loadChildren(schedulers, state)
    }
}

/// Steps several schedulers together, so their factors multiply (`ChainedScheduler`).
public final class ChainedScheduler: LRScheduler {
    /// The schedulers, stepped in order.
    public let schedulers: [LRScheduler]

    /// Chains `schedulers`, which must share one optimizer.
    public init(_ schedulers: [LRScheduler]) {
        precondition(
            !schedulers.isEmpty, "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        let optimizer = schedulers[0].optimizer
        for (i, s) in schedulers.enumerated() {
            precondition(
                s.optimizer === optimizer,
                "ChainedScheduler expects all schedulers to belong to the same optimizer, but got scheduler "
                    + "\(type(of: s)) at index \(i) has a different optimizer."
            )
        }
        self.schedulers = schedulers
        super.init(composing: optimizer, lastEpoch: 0)
        lastLR = groupLRs
    }

    /// Steps every scheduler.
    override public func step() {
        for s in schedulers { s.step() }
        lastLR = groupLRs
    }

    override func rewind() {
        for s in schedulers { s.rewind() }
    }

    /// The last rates and every scheduler's state.
    override public func stateDict() -> SchedulerState {
        SchedulerState(lists: ["_last_lr": lastLR], schedulers: schedulers.map { $0.stateDict() })
    }

    /// Restores every scheduler.
    override public func loadStateDict(_ state: SchedulerState) throws(SchedulerStateError) {
        lastLR = try state.list("_last_lr")
        try loadChildren(schedulers, state)
    }
}

/// Loads the states of a composite's schedulers, which must be as many.
private func loadChildren(_ schedulers: [LRScheduler], _ state: SchedulerState) throws(SchedulerStateError) {
    guard state.schedulers.count == schedulers.count else {
        throw .schedulerCountMismatch(expected: schedulers.count, got: state.schedulers.count)
    }
    for (s, saved) in zip(schedulers, state.schedulers) { try s.loadStateDict(saved) }
}
