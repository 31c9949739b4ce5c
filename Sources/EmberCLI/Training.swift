import ArgumentParser
import Ember
import Foundation
import Synchronization

/// The optimizers `--optimizer` accepts.
let optimizerNames = ["adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta"]

/// PyTorch's usual learning rate for each optimizer.
func defaultLearningRate(_ optimizer: String) -> Double {
    switch optimizer {
    case "sgd", "adagrad": 0.01
    case "adadelta": 1.0
    default: 0.001
    }
}

func makeOptimizer(_ config: RunConfig, _ parameters: [Tensor]) -> Optimizer {
    switch config.optimizer {
    case "adamw": AdamW(parameters, lr: config.lr, weightDecay: config.weightDecay)
    case "sgd": SGD(parameters, lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay)
    case "rmsprop": RMSprop(parameters, lr: config.lr, weightDecay: config.weightDecay, momentum: config.momentum)
    case "adagrad": Adagrad(parameters, lr: config.lr, weightDecay: config.weightDecay)
    case "adadelta": Adadelta(parameters, lr: config.lr, weightDecay: config.weightDecay)
    default: Adam(parameters, lr: config.lr, weightDecay: config.weightDecay)
    }
}

/// The schedules `--scheduler` accepts.
let schedulerNames = ["none", "step", "cosine", "exponential", "onecycle", "plateau"]

/// A run's learning-rate schedule: stepped once per epoch (step, cosine, exponential), once per
/// batch (one-cycle), or once per epoch on the validation loss (ReduceLROnPlateau).
enum RunScheduler {
    case perEpoch(LRScheduler)
    case perBatch(LRScheduler)
    case plateau(ReduceLROnPlateau)

    /// The schedule of `config`, or `nil` for `--scheduler none`.
    init?(_ config: RunConfig, _ optimizer: Optimizer, batchesPerEpoch: Int) {
        let epochs = config.epochs
        switch config.scheduler {
        case "step": self = .perEpoch(StepLR(optimizer, stepSize: max(1, epochs / 3), gamma: 0.1))
        case "cosine": self = .perEpoch(CosineAnnealingLR(optimizer, tMax: epochs))
        // Decays to a hundredth of --lr over the run.
        case "exponential": self = .perEpoch(ExponentialLR(optimizer, gamma: pow(0.01, 1 / Double(epochs))))
        case "onecycle":
            // Momentum (or Adam's beta1) cycles too where the optimizer has one, as in PyTorch.
            let cycles = optimizer.defaults["momentum"] != nil || optimizer.defaults["beta1"] != nil
            self = .perBatch(
                OneCycleLR(
                    optimizer, maxLR: config.lr, totalSteps: epochs * max(batchesPerEpoch, 1), cycleMomentum: cycles))
        case "plateau": self = .plateau(ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2))
        default: return nil
        }
    }

    /// After each optimizer step.
    func batchDone() {
        if case .perBatch(let scheduler) = self { scheduler.step() }
    }

    /// After each epoch's validation.
    func epochDone(_ row: EpochMetrics) {
        switch self {
        case .perEpoch(let scheduler): scheduler.step()
        case .perBatch: break
        case .plateau(let scheduler): scheduler.step(row.valLoss ?? row.trainLoss)
        }
    }

    func stateDict() -> SchedulerState {
        switch self {
        case .perEpoch(let scheduler), .perBatch(let scheduler): scheduler.stateDict()
        case .plateau(let scheduler): scheduler.stateDict()
        }
    }

    func loadStateDict(_ state: SchedulerState) throws {
        switch self {
        case .perEpoch(let scheduler), .perBatch(let scheduler): try scheduler.loadStateDict(state)
        case .plateau(let scheduler): try scheduler.loadStateDict(state)
        }
    }
}

/// Whether the loader drops a last batch of one row: BatchNorm cannot train on a single value per
/// channel (PyTorch stops with "Expected more than 1 value per channel when training").
func dropsLastBatch(_ config: RunConfig, trainRows: Int) -> Bool {
    config.model == "resnet18" && trainRows % config.batchSize == 1
}

/// Set by Ctrl-C; the training loop stops after the current batch.
let interrupted = Atomic<Bool>(false)

/// Catches Ctrl-C (SIGINT) so the current batch finishes and a checkpoint is written.
private func installInterruptHandler() -> DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { interrupted.store(true, ordering: .relaxed) }
    source.resume()
    return source
}

/// Files of a run folder.
enum RunFiles {
    static let model = "model.safetensors"
    static let best = "best.safetensors"
    static let checkpoint = "checkpoint.safetensors"
    static let metrics = "metrics.csv"
    static let curvesSVG = "curves.svg"
    static let curvesPNG = "curves.png"
}

/// Entry points of `ember train`.
enum Training {
    static func start(config: RunConfig, folder: URL, quiet: Bool) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.appendingPathComponent(RunConfig.fileName).path) {
            throw CLIError(
                "\(folder.path) already holds a run; choose another --out, or continue it with --resume \(folder.path)")
        }
        do {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the output folder \(folder.path): \(error.localizedDescription)")
        }
        manualSeed(config.seed)
        let run = try TrainingRun(config: config, folder: folder)
        try config.write(to: folder)
        try run.train(quiet: quiet)
    }

    static func resume(folder: URL, quiet: Bool) throws {
        let config = try RunConfig.read(from: folder)
        let run = try TrainingRun(config: config, folder: folder, initialise: false)
        let url = folder.appendingPathComponent(RunFiles.checkpoint)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CLIError("\(url.path): no checkpoint to resume from")
        }
        try run.restore(from: try Checkpoint.load(from: url))
        if !quiet { print("Resuming \(folder.path) at epoch \(run.epoch + 1), batch \(run.batchInEpoch)") }
        try run.train(quiet: quiet)
    }
}

/// One training run: model, optimizer, data and progress, checkpointed after every epoch.
final class TrainingRun {
    let config: RunConfig
    let folder: URL
    let model: Module
    let optimizer: Optimizer
    let scheduler: RunScheduler?
    let data: PreparedData
    /// Draws the shuffling order; its state at the start of an epoch is checkpointed.
    let shuffleGenerator: Generator
    let loader: DataLoader<(Tensor, Tensor)>

    private(set) var metrics: [EpochMetrics] = []
    /// The epoch being run (0-based) and how far into it the run is.
    private(set) var epoch = 0
    private(set) var batchInEpoch = 0
    private var lossSum = 0.0
    private var epochSeconds = 0.0
    /// The learning rate of the last batch (a per-batch schedule has moved on after it).
    private var lastBatchLR = 0.0
    private var epochStartState: [UInt64]

    /// A run at its start; without `initialise`, the weights are left unset for `restore(from:)`.
    init(config: RunConfig, folder: URL, initialise: Bool = true) throws {
        self.config = config
        self.folder = folder
        let raw = try loadRawData(config.data, target: config.target, task: config.task)
        data = try prepare(raw, valSplit: config.valSplit, seed: config.seed)
        guard data.featureNames == config.featureNames else {
            throw CLIError("the data in '\(config.data)' no longer matches the run's columns")
        }
        // Initialisation draws from a generator of the run's own, so it repeats whatever else runs.
        model =
            initialise
            ? try withGenerator(Generator(seed: config.seed)) { try makeModel(config) }
            : try Init.withoutRandomInit { try makeModel(config) }
        optimizer = makeOptimizer(config, model.parameters())
        shuffleGenerator = Generator(seed: config.seed &+ 1)
        loader = DataLoader(
            TensorDataset(data.xTrain, data.yTrain), batchSize: config.batchSize, shuffle: true,
            dropLast: dropsLastBatch(config, trainRows: data.xTrain.shape[0]), generator: shuffleGenerator)
        scheduler = RunScheduler(config, optimizer, batchesPerEpoch: loader.count)
        lastBatchLR = optimizer.paramGroups[0].lr
        epochStartState = shuffleGenerator.stateWords
    }

    /// Restores model, optimizer, scheduler, random state and progress from a checkpoint.
    func restore(from checkpoint: Checkpoint) throws {
        try model.loadStateDict(checkpoint.modelState)
        if let state = checkpoint.optimizerState { try optimizer.loadStateDict(state) }
        if let state = checkpoint.schedulerState { try scheduler?.loadStateDict(state) }
        epoch = checkpoint.epoch
        batchInEpoch = checkpoint.step
        if let words = checkpoint.rngStates["shuffle"] { epochStartState = words }
        if let words = checkpoint.rngStates["default"] { Generator.default.stateWords = words }
        lossSum = Double(checkpoint.extra["loss_sum"] ?? "") ?? 0
        epochSeconds = Double(checkpoint.extra["epoch_seconds"] ?? "") ?? 0
        lastBatchLR = Double(checkpoint.extra["last_lr"] ?? "") ?? optimizer.paramGroups[0].lr
        // The checkpoint is written after the epoch's other outputs, so metrics.csv may hold one
        // epoch more than it (interrupted in between); that epoch runs again.
        let url = folder.appendingPathComponent(RunFiles.metrics)
        metrics = try readMetricsCSV(url).filter { $0.epoch <= epoch }
        guard metrics.map(\.epoch) == Array(1..<epoch + 1) else {
            throw CLIError(
                "\(url.path): epochs \(metrics.map(\.epoch)), but the checkpoint follows epochs 1 to \(epoch)")
        }
    }

    func train(quiet: Bool) throws {
        let signalSource = installInterruptHandler()
        defer { signalSource.cancel() }
        let started = Date()
        if !quiet {
            print(
                "Training \(config.model) on \(config.data) (\(config.task.rawValue), \(data.xTrain.shape[0]) train / \(data.xVal?.shape[0] ?? 0) val rows) for \(config.epochs) epochs; output in \(folder.path)"
            )
        }
        let criterion: Loss = config.task == .classification ? CrossEntropyLoss() : MSELoss()
        while epoch < config.epochs {
            let epochStart = Date()
            shuffleGenerator.stateWords = epochStartState
            var progress = ProgressBar(
                label: "Epoch \(epoch + 1)/\(config.epochs)", total: loader.count, enabled: !quiet)
            model.train()
            var index = 0
            for (batchX, batchY) in loader {
                defer { index += 1 }
                if index < batchInEpoch { continue }  // resuming inside an epoch
                let loss = criterion(model(batchX), batchY)
                optimizer.zeroGrad()
                loss.backward()
                lastBatchLR = optimizer.paramGroups[0].lr
                optimizer.step()
                scheduler?.batchDone()
                lossSum += loss.item()
                batchInEpoch = index + 1
                progress.update(
                    done: batchInEpoch, items: min(batchInEpoch * config.batchSize, data.xTrain.shape[0]),
                    runningLoss: lossSum / Double(batchInEpoch))
                if interrupted.load(ordering: .relaxed) {
                    progress.finish()
                    epochSeconds += Date().timeIntervalSince(epochStart)
                    try writeCheckpoint()
                    print("Interrupted: checkpoint written; continue with `ember train --resume \(folder.path)`")
                    throw ExitCode(130)
                }
            }
            progress.finish()
            let row = finishEpoch(seconds: epochSeconds + Date().timeIntervalSince(epochStart))
            metrics.append(row)
            scheduler?.epochDone(row)
            epoch += 1
            batchInEpoch = 0
            lossSum = 0
            epochSeconds = 0
            epochStartState = shuffleGenerator.stateWords
            try saveEpochOutputs(bestSoFar: metrics.dropLast().allSatisfy { $0.score < row.score })
            if !quiet { print(epochLine(row)) }
        }
        try model.save(to: folder.appendingPathComponent(RunFiles.model))
        printSummary(seconds: Date().timeIntervalSince(started))
    }

    /// Validation metrics of the epoch just finished.
    private func finishEpoch(seconds: Double) -> EpochMetrics {
        var row = EpochMetrics(
            epoch: epoch + 1, trainLoss: lossSum / Double(max(loader.count, 1)),
            learningRate: lastBatchLR,
            seconds: seconds)
        if let xVal = data.xVal, let yVal = data.yVal {
            let quality = evaluate(model, x: xVal, y: yVal, config: config)
            row.valLoss = quality.loss
            row.valAccuracy = quality.accuracy
            row.valR2 = quality.r2
            row.valRMSE = quality.rmse
        }
        return row
    }

    private func saveEpochOutputs(bestSoFar: Bool) throws {
        try writeMetricsCSV(metrics, to: folder.appendingPathComponent(RunFiles.metrics))
        let chart = TrainingChart(metrics)
        try writeFileAtomically(Data(chart.svg().utf8), to: folder.appendingPathComponent(RunFiles.curvesSVG))
        try writeFileAtomically(chart.png(), to: folder.appendingPathComponent(RunFiles.curvesPNG))
        if bestSoFar { try model.save(to: folder.appendingPathComponent(RunFiles.best)) }
        try writeCheckpoint()  // last: a resume from it finds every output of its epochs
    }

    private func writeCheckpoint() throws {
        let checkpoint = Checkpoint(
            modelState: model.stateDict(), optimizerState: optimizer.stateDict(),
            schedulerState: scheduler?.stateDict(),
            epoch: epoch, step: batchInEpoch,
            rngStates: ["shuffle": epochStartState, "default": Generator.default.stateWords],
            extra: [
                "loss_sum": String(lossSum), "epoch_seconds": String(epochSeconds), "last_lr": String(lastBatchLR),
            ])
        try checkpoint.save(to: folder.appendingPathComponent(RunFiles.checkpoint))
    }

    private func epochLine(_ row: EpochMetrics) -> String {
        var line = "Epoch [\(row.epoch)/\(config.epochs)], Train Loss: \(String(format: "%.4f", row.trainLoss))"
        if let v = row.valLoss { line += ", Val Loss: \(String(format: "%.4f", v))" }
        if let a = row.valAccuracy { line += ", Val Acc: \(String(format: "%.2f", a * 100))%" }
        if let r2 = row.valR2, let rmse = row.valRMSE {
            line += ", Val R²: \(String(format: "%.4f", r2)), Val RMSE: \(String(format: "%.4g", rmse))"
        }
        return line
    }

    private func printSummary(seconds: Double) {
        guard let best = metrics.max(by: { $0.score < $1.score }) else { return }
        print(
            "Done in \(clock(seconds)). Best epoch \(best.epoch):\(epochLine(best).split(separator: ",").dropFirst().joined(separator: ","))"
        )
        print(
            "Saved \(RunFiles.model), \(RunFiles.best), \(RunFiles.checkpoint), \(RunFiles.metrics), \(RunFiles.curvesSVG), \(RunFiles.curvesPNG) and \(RunConfig.fileName) in \(folder.path)"
        )
    }
}

/// Loss and quality measures of `model` on standardised data, in evaluation mode, and for
/// classification the predicted class of every row.
func evaluate(_ model: Module, x: Tensor, y: Tensor, config: RunConfig)
    -> (loss: Double, accuracy: Double?, r2: Double?, rmse: Double?, predictedClasses: Tensor?)
{
    model.eval()
    defer { model.train() }
    return noGrad {
        let output = model(x)
        if config.task == .classification {
            let loss = F.crossEntropy(output, y).item()
            let predicted = output.argmax(dim: 1)
            return (loss, predicted.eq(y).double().mean().item(), nil, nil, predicted)
        }
        let loss = F.mseLoss(output, y).item()
        let scale = config.targetScale ?? 1
        let predicted = output.double() * scale
        let actual = y.double() * scale
        let residual = ((predicted - actual).pow(2)).sum().item()
        let total = ((actual - actual.mean()).pow(2)).sum().item()
        return (loss, nil, total > 0 ? 1 - residual / total : 0, (residual / Double(y.shape[0])).squareRoot(), nil)
    }
}
