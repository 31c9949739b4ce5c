import Ember
import Foundation

/// What kind of prediction a run makes.
enum Task: String, Codable, CaseIterable {
    case classification, regression
}

/// Everything about a run that `ember predict`, `ember eval` and `--resume` need: the options it
/// was started with and the preprocessing fitted on its training data. Saved as `config.json`.
struct RunConfig: Codable {
    var data: String
    var target: String?
    var task: Task
    var model: String
    var hidden: [Int]
    var optimizer: String
    var lr: Double
    var weightDecay: Double
    var momentum: Double
    var epochs: Int
    var batchSize: Int
    var valSplit: Double
    var seed: UInt64
    var scheduler: String
    /// Feature column names, in order.
    var featureNames: [String]
    /// The feature columns' positions when the training data was a CSV file without a header
    /// (`predict` reads a file of the same layout by them).
    var featurePositions: [Int]? = nil
    /// Target column name.
    var targetName: String
    /// Class labels (classification), in class-index order.
    var classes: [String]?
    /// Standardisation of the features, fitted on the training split.
    var featureMean: [Double]
    var featureScale: [Double]
    /// Standardisation of the target (regression).
    var targetMean: Double?
    var targetScale: Double?

    var inputFeatures: Int { featureNames.count }
    var outputs: Int { task == .classification ? classes!.count : 1 }

    static let fileName = "config.json"

    func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFileAtomically(encoder.encode(self), to: folder.appendingPathComponent(Self.fileName))
    }

    static func read(from folder: URL) throws -> RunConfig {
        let url = folder.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw CLIError("\(url.path): no run configuration here; pass the folder written by `ember train --out`")
        }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: data)
        } catch {
            throw CLIError("\(url.path): unreadable run configuration (\(error))")
        }
    }
}
