import ArgumentParser
import Ember
import Foundation

/// `ember train`: trains a network on a bundled data set or a CSV file, with live progress,
/// per-epoch metrics, atomic checkpoints and everything `predict`/`eval`/`--resume` need.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model (default: an MLP on the bundled digits data set).")

    @Option(help: "digits | diabetes | breast-cancer | PATH.csv (default: digits)")
    var data: String?
    @Option(help: "Target column of a CSV file, by name or 0-based index (default: the last column).")
    var target: String?
    @Option(help: "classification | regression (default: integer labels → classification, real → regression).")
    var task: Task?
    @Option(
        help:
            "mlp | cnn | cnnrnn | resnet18 (torchvision's ResNet-18; square grey images such as digits) (default: mlp)")
    var model: String?
    @Option(help: "Hidden layer sizes of the MLP, comma-separated (default: 128).")
    var hidden: String?
    @Option(help: "adam | adamw | sgd | rmsprop | adagrad | adadelta (default: adam)")
    var optimizer: String?
    @Option(help: "Learning rate (default: 0.001, or 0.01 for sgd and adagrad, 1.0 for adadelta).")
    var lr: Double?
    @Option(help: "Weight decay (default: 0).")
    var weightDecay: Double?
    @Option(help: "Momentum of sgd and rmsprop (default: 0.9).")
    var momentum: Double?
    @Option(help: "Number of epochs (default: 20, or \(resnetDefaultEpochs) for resnet18).")
    var epochs: Int?
    @Option(help: "Mini-batch size (default: 32).")
    var batchSize: Int?
    @Option(help: "Fraction of the rows held out for validation (default: 0.2).")
    var valSplit: Double?
    @Option(help: "Random seed: split, initialisation, shuffling (default: 0).")
    var seed: UInt64?
    @Option(
        help: ArgumentHelp(
            "none | step | cosine | exponential | onecycle | plateau (default: none)",
            discussion: """
                step: ×0.1 every third of the epochs; cosine: cosine annealing to 0 over the epochs; \
                exponential: ×gamma per epoch, reaching --lr/100 at the end; onecycle: OneCycleLR with \
                max_lr = --lr over epochs × batches, stepped per batch; plateau: ReduceLROnPlateau on the \
                validation loss (×0.5 after 2 epochs without improvement).
                """))
    var scheduler: String?
    @Option(help: "Output folder (default: runs/<timestamp>).")
    var out: String?
    @Option(help: "Continue the run in this folder where it stopped, with its saved options.")
    var resume: String?
    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            if let resume {
                try checkNothingBesidesResume()
                try Training.resume(folder: URL(fileURLWithPath: resume), quiet: quiet)
            } else {
                try Training.start(config: try makeConfig(), folder: outputFolder(), quiet: quiet)
            }
        }
    }

    /// `--resume` continues with the run's saved options; any other given option would be ignored.
    func checkNothingBesidesResume() throws {
        let given: [(String, Bool)] = [
            ("--data", data != nil), ("--target", target != nil), ("--task", task != nil), ("--model", model != nil),
            ("--hidden", hidden != nil), ("--optimizer", optimizer != nil), ("--lr", lr != nil),
            ("--weight-decay", weightDecay != nil), ("--momentum", momentum != nil), ("--epochs", epochs != nil),
            ("--batch-size", batchSize != nil), ("--val-split", valSplit != nil), ("--seed", seed != nil),
            ("--scheduler", scheduler != nil), ("--out", out != nil),
        ]
        let options = given.filter(\.1).map(\.0)
        guard options.isEmpty else {
            throw CLIError(
                "--resume continues a run with its saved options; drop \(options.joined(separator: ", "))")
        }
    }

    private func outputFolder() -> URL {
        if let out { return URL(fileURLWithPath: out) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return URL(fileURLWithPath: "runs").appendingPathComponent(formatter.string(from: Date()))
    }

    /// Checks the options against each other and the data, then fixes the preprocessing.
    func makeConfig() throws -> RunConfig {
        let data = data ?? "digits"
        let model = model ?? "mlp"
        let optimizer = optimizer ?? "adam"
        let scheduler = scheduler ?? "none"
        let weightDecay = weightDecay ?? 0
        let batchSize = batchSize ?? 32
        let valSplit = valSplit ?? 0.2
        let seed = seed ?? 0
        let epochs = epochs ?? (model == "resnet18" ? resnetDefaultEpochs : 20)
        guard epochs > 0 else { throw CLIError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw CLIError("--batch-size must be positive, got \(batchSize)") }
        guard optimizerNames.contains(optimizer) else {
            throw CLIError(
                "unknown --optimizer '\(optimizer)'; choose one of \(optimizerNames.joined(separator: ", "))")
        }
        guard schedulerNames.contains(scheduler) else {
            throw CLIError(
                "unknown --scheduler '\(scheduler)'; choose one of \(schedulerNames.joined(separator: ", "))")
        }
        guard modelNames.contains(model) else {
            throw CLIError("unknown --model '\(model)'; choose one of \(modelNames.joined(separator: ", "))")
        }
        let learningRate = lr ?? defaultLearningRate(optimizer)
        guard learningRate > 0 else { throw CLIError("--lr must be positive, got \(learningRate)") }
        guard weightDecay >= 0 else { throw CLIError("--weight-decay must be non-negative, got \(weightDecay)") }
        if momentum != nil && !["sgd", "rmsprop"].contains(optimizer) {
            throw CLIError("--momentum applies to --optimizer sgd or rmsprop, not \(optimizer)")
        }
        if hidden != nil && model != "mlp" { throw CLIError("--hidden applies to --model mlp, not \(model)") }
        if scheduler == "plateau" && valSplit == 0 {
            throw CLIError("--scheduler plateau watches the validation loss; use a --val-split above 0")
        }
        if model == "resnet18" && batchSize < 2 {
            throw CLIError("--model resnet18 trains BatchNorm layers, which need --batch-size 2 or more")
        }
        let sizes = try hiddenSizes(hidden ?? "128")
        let raw = try loadRawData(data, target: target, task: task)
        try checkModelFits(model, features: raw.featureNames.count)
        let prepared = try prepare(raw, valSplit: valSplit, seed: seed)
        return RunConfig(
            data: data, target: target, task: prepared.task, model: model, hidden: sizes,
            optimizer: optimizer, lr: learningRate, weightDecay: weightDecay, momentum: momentum ?? 0.9,
            epochs: epochs, batchSize: batchSize, valSplit: valSplit, seed: seed, scheduler: scheduler,
            featureNames: prepared.featureNames, featurePositions: raw.featurePositions,
            targetName: prepared.targetName, classes: prepared.classes,
            featureMean: prepared.featureMean, featureScale: prepared.featureScale, targetMean: prepared.targetMean,
            targetScale: prepared.targetScale)
    }
}

/// The sizes of `--hidden`, a comma-separated list of integers.
func hiddenSizes(_ text: String) throws -> [Int] {
    let sizes = text.split(separator: ",", omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard !sizes.contains(nil) else { throw CLIError("--hidden must be comma-separated integers, got '\(text)'") }
    return sizes.map { $0! }
}

/// The default number of epochs of `--model resnet18` (slower per epoch, converges sooner).
let resnetDefaultEpochs = 10

extension Task: ExpressibleByArgument {}
