import Ember
import Foundation

/// One row of `metrics.csv`: an epoch's losses and quality measures.
struct EpochMetrics: Codable {
    var epoch: Int
    var trainLoss: Double
    var valLoss: Double?
    /// Validation accuracy in [0, 1] (classification).
    var valAccuracy: Double?
    /// Validation R² and RMSE in the target's units (regression).
    var valR2: Double?
    var valRMSE: Double?
    var learningRate: Double
    var seconds: Double

    static let csvHeader = "epoch,train_loss,val_loss,val_accuracy,val_r2,val_rmse,lr,seconds"

    var csvRow: String {
        func f(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        return
            "\(epoch),\(trainLoss),\(f(valLoss)),\(f(valAccuracy)),\(f(valR2)),\(f(valRMSE)),\(learningRate),\(seconds)"
    }

    /// The quality measure used to pick the best epoch: higher is better.
    var score: Double { valAccuracy ?? valR2 ?? -(valLoss ?? trainLoss) }
}

/// Writes `metrics.csv` for all epochs so far.
func writeMetricsCSV(_ rows: [EpochMetrics], to url: URL) throws {
    let text = ([EpochMetrics.csvHeader] + rows.map(\.csvRow)).joined(separator: "\n") + "\n"
    try writeFileAtomically(Data(text.utf8), to: url)
}

/// Reads `metrics.csv` back (for `--resume`): no rows when the file does not exist yet (a run
/// interrupted in its first epoch), an error naming the file and line for a row it cannot read.
func readMetricsCSV(_ url: URL) throws -> [EpochMetrics] {
    guard FileManager.default.fileExists(atPath: url.path) else { return [] }
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        throw CLIError("\(url.path): cannot read the file")
    }
    return try text.split(separator: "\n").enumerated().dropFirst().map { index, line in
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 8, let epoch = Int(f[0]), let train = Double(f[1]), let lr = Double(f[6]),
            let seconds = Double(f[7])
        else { throw CLIError("\(url.path):\(index + 1): not a row of \(EpochMetrics.csvHeader)") }
        return EpochMetrics(
            epoch: epoch, trainLoss: train, valLoss: Double(f[2]), valAccuracy: Double(f[3]), valR2: Double(f[4]),
            valRMSE: Double(f[5]), learningRate: lr, seconds: seconds)
    }
}
