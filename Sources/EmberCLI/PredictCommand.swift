import ArgumentParser
import Ember
import Foundation

/// `ember predict`: predictions of a trained run for new rows of a CSV file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Predict targets for the rows of a CSV file with a trained run.")

    @OptionGroup var trained: TrainedRunOptions
    @Option(help: "CSV file with the run's feature columns (a target column, if present, is ignored).")
    var input: String
    @Option(help: "Write the predictions to this CSV file instead of standard output.")
    var output: String?

    func run() throws {
        try reportingErrors {
            let (config, model) = try trained.load()
            let table = try CSVTable(contentsOf: URL(fileURLWithPath: input))
            let columns = try featureColumns(table, config: config)
            let x = standardize(try table.tensor(columns: columns), config)
            let output = noGrad { model(x) }
            var lines: [String]
            if config.task == .classification {
                let probabilities = output.softmax(dim: 1)
                let best = probabilities.max(dim: 1)
                let labels = best.indices.toArray(as: Int64.self).map { config.classes![Int($0)] }
                let confidence = best.values.scalars
                lines =
                    ["prediction,probability"] + zip(labels, confidence).map { "\($0),\(String(format: "%.4f", $1))" }
            } else {
                let values = (output.double() * (config.targetScale ?? 1) + (config.targetMean ?? 0)).scalars
                lines = ["prediction"] + values.map { String(format: "%.6g", $0) }
            }
            let text = lines.joined(separator: "\n") + "\n"
            if let path = self.output {
                try writeFileAtomically(Data(text.utf8), to: URL(fileURLWithPath: path))
                print("Wrote \(lines.count - 1) predictions to \(path)")
            } else {
                print(text, terminator: "")
            }
        }
    }

    /// The run's feature columns in `table`: by name when it has a header, else by position: the
    /// first columns when `table` holds only the features; when it also holds the target, the
    /// training file's positions if that file had no header either, else all columns but the last.
    private func featureColumns(_ table: CSVTable, config: RunConfig) throws -> [CSVColumn] {
        if let header = table.header {
            let missing = config.featureNames.filter { !header.contains($0) }
            guard missing.isEmpty else {
                throw CLIError("\(input): missing feature column(s) \(missing.joined(separator: ", "))")
            }
            return config.featureNames.map { .name($0) }
        }
        guard table.columnCount == config.inputFeatures || table.columnCount == config.inputFeatures + 1 else {
            throw CLIError(
                "\(input): \(table.columnCount) columns, but the run expects \(config.inputFeatures) features")
        }
        if table.columnCount > config.inputFeatures, let positions = config.featurePositions {
            return positions.map { .index($0) }
        }
        return (0..<config.inputFeatures).map { .index($0) }
    }
}
