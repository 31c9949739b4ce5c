import ArgumentParser
import Ember
import Foundation

/// `ember eval`: metrics (and a confusion matrix for classification) of a trained run on a data
/// set.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a trained run on a data set (default: the run's validation split).")

    @OptionGroup var trained: TrainedRunOptions
    @Option(help: "digits | diabetes | breast-cancer | PATH.csv (default: the run's own data, validation split).")
    var data: String?

    func run() throws {
        try reportingErrors {
            let (config, model) = try trained.load()
            let (x, y) = try evaluationData(config)
            let quality = evaluate(model, x: x, y: y, config: config)
            print("Rows: \(x.shape[0])")
            print("Loss: \(String(format: "%.4f", quality.loss))")
            if let accuracy = quality.accuracy, let predicted = quality.predictedClasses {
                print("Accuracy: \(String(format: "%.2f", accuracy * 100))%")
                print(confusionMatrix(actual: y, predicted: predicted, classes: config.classes!))
            }
            if let r2 = quality.r2, let rmse = quality.rmse {
                print("R²: \(String(format: "%.4f", r2))")
                print("RMSE: \(String(format: "%.4g", rmse))")
            }
        }
    }

    /// The run's validation split, or a whole other data set with the run's columns.
    private func evaluationData(_ config: RunConfig) throws -> (Tensor, Tensor) {
        guard let data else {
            let prepared = try prepare(
                try loadRawData(config.data, target: config.target, task: config.task), valSplit: config.valSplit,
                seed: config.seed)
            guard let x = prepared.xVal, let y = prepared.yVal else {
                throw CLIError("the run was trained without a validation split; pass --data")
            }
            return (x, y)
        }
        // A CSV's target column is the run's; a bundled data set has its own.
        let target = bundledDataSets.contains(data) ? nil : config.target ?? config.targetName
        let raw = try loadRawData(data, target: target, task: config.task)
        guard raw.featureNames.count == config.inputFeatures else {
            throw CLIError(
                "'\(data)' has \(raw.featureNames.count) feature columns but the run was trained on \(config.inputFeatures)"
            )
        }
        if let classes = config.classes, let given = raw.classes, !Set(given).isSubset(of: Set(classes)) {
            throw CLIError("'\(data)' has labels the run never saw: \(Set(given).subtracting(classes).sorted())")
        }
        var y = raw.targets
        if config.task == .classification, let given = raw.classes, let classes = config.classes {
            // Map this file's label order onto the run's.
            let mapping = given.map { Int64(classes.firstIndex(of: $0)!) }
            y = Tensor(shape: y.shape, scalars: y.toArray(as: Int64.self).map { mapping[Int($0)] })
        } else if config.task == .regression {
            y = ((y - (config.targetMean ?? 0)) / (config.targetScale ?? 1)).view(-1, 1)
        }
        return (standardize(raw.features, config), y)
    }
}

/// The options naming a trained run and which of its weights to use (`eval`, `predict`).
struct TrainedRunOptions: ParsableArguments {
    @Option(name: .customLong("run"), help: "The run folder written by `ember train`.")
    var runFolder: String
    @Option(help: "Weights to use: model (final) or best.")
    var weights = "model"

    /// The run's configuration and its model rebuilt with the chosen saved weights, in eval mode.
    func load() throws -> (RunConfig, Module) {
        guard ["model", "best"].contains(weights) else {
            throw CLIError("unknown --weights '\(weights)'; choose model (final) or best")
        }
        let folder = URL(fileURLWithPath: runFolder)
        let config = try RunConfig.read(from: folder)
        let url = folder.appendingPathComponent(weights == "best" ? RunFiles.best : RunFiles.model)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CLIError("\(url.path) does not exist (has the run finished? --weights model|best)")
        }
        let model = try Init.withoutRandomInit { try makeModel(config) }  // the weights are loaded next
        try model.load(from: url)
        return (config, model.eval())
    }
}

/// A confusion matrix as text: rows are actual classes, columns predicted ones.
func confusionMatrix(actual: Tensor, predicted: Tensor, classes: [String]) -> String {
    let k = classes.count
    var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
    for (a, p) in zip(actual.toArray(as: Int64.self), predicted.toArray(as: Int64.self)) { counts[Int(a)][Int(p)] += 1 }
    let width = max(classes.map(\.count).max() ?? 1, String(counts.flatMap { $0 }.max() ?? 0).count) + 1
    func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
    var lines = ["Confusion matrix (rows: actual, columns: predicted)"]
    lines.append(pad("") + " " + classes.map(pad).joined(separator: " "))
    for (i, row) in counts.enumerated() {
        lines.append(pad(classes[i]) + " " + row.map { pad(String($0)) }.joined(separator: " "))
    }
    return lines.joined(separator: "\n")
}
