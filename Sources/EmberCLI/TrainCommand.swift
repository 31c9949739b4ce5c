import ArgumentParser
import Ember
import Foundation

/// `ember train`: trains a network on a bundled data set or a CSV file, with live progress,
/// per-epoch metrics, atomic checkpoints and everything `predict`/`eval`/`--resume` need.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a model (default: an MLP on the bundled digits data set).")

    @Option(help: "digits | diabetes | breast-cancer | PATH.csv")
    var data = "digits"
    @Option(help: "Target column of a CSV file, by name or 0-based index (default: the last column).")
    var target: String?
    @Option(help: "classification | regression (default: integer labels → classification, real → regression).")
    var task: Task?
    @Option(help: "mlp | cnn | cnnrnn")
    var model = "mlp"
    @Option(help: "Hidden layer sizes of the MLP, comma-separated.")
    var hidden = "128"
    @Option(help: "adam | adamw | sgd | rmsprop | adagrad | adadelta")
    var optimizer = "adam"
    @Option(help: "Learning rate (default: 0.001, or 0.01 for sgd and adagrad, 1.0 for adadelta).")
    var lr: Double?
    @Option(help: "Weight decay.")
    var weightDecay = 0.0
    @Option(help: "Momentum (sgd, rmsprop).")
    var momentum = 0.9
    @Option(help: "Number of epochs.")
    var epochs = 20
    @Option(help: "Mini-batch size.")
    var batchSize = 32
    @Option(help: "Fraction of the rows held out for validation.")
    var valSplit = 0.2
    @Option(help: "Random seed (split, initialisation, shuffling).")
    var seed: UInt64 = 0
    @Option(help: "none | step | cosine")
    var scheduler = "none"
    @Option(help: "Output folder (default: runs/<timestamp>).")
    var out: String?
    @Option(help: "Continue the run in this folder where it stopped.")
    var resume: String?
    @Flag(help: "Print only the final summary.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            if let resume {
                try Training.resume(folder: URL(fileURLWithPath: resume), quiet: quiet)
            } else {
                try Training.start(config: try makeConfig(), folder: outputFolder(), quiet: quiet)
            }
        }
    }

    private func outputFolder() -> URL {
        if let out { return URL(fileURLWithPath: out) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return URL(fileURLWithPath: "runs").appendingPathComponent(formatter.string(from: Date()))
    }

    /// Checks the options against each other and the data, then fixes the preprocessing.
    private func makeConfig() throws -> RunConfig {
        guard epochs > 0 else { throw CLIError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw CLIError("--batch-size must be positive, got \(batchSize)") }
        guard optimizerNames.contains(optimizer) else {
            throw CLIError(
                "unknown --optimizer '\(optimizer)'; choose one of \(optimizerNames.joined(separator: ", "))")
        }
        guard ["none", "step", "cosine"].contains(scheduler) else {
            throw CLIError("unknown --scheduler '\(scheduler)'; choose one of none, step, cosine")
        }
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.contains(nil) else { throw CLIError("--hidden must be comma-separated integers, got '\(hidden)'") }
        if model != "mlp" && hidden != "128" { throw CLIError("--hidden applies to --model mlp only") }
        let raw = try loadRawData(data, target: target, task: task)
        let prepared = try prepare(raw, valSplit: valSplit, seed: seed)
        return RunConfig(
            data: data, target: target, task: prepared.task, model: model, hidden: sizes.map { $0! },
            optimizer: optimizer, lr: lr ?? defaultLearningRate(optimizer), weightDecay: weightDecay,
            momentum: momentum, epochs: epochs, batchSize: batchSize, valSplit: valSplit, seed: seed,
            scheduler: scheduler, featureNames: prepared.featureNames, targetName: prepared.targetName,
            classes: prepared.classes, featureMean: prepared.featureMean, featureScale: prepared.featureScale,
            targetMean: prepared.targetMean, targetScale: prepared.targetScale)
    }
}

extension Task: ExpressibleByArgument {}
