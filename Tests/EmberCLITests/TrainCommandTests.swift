import ArgumentParser
import Ember
import Foundation
import Testing

@testable import EmberCLI

func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("ember-cli-\(UUID().uuidString)")
}

/// The loss and validation columns of metrics.csv (timings differ between runs).
func metricsColumns(_ folder: URL, columns: Int = 6) throws -> [String] {
    try String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8)
        .split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).prefix(columns).joined(separator: ",")
        }
}

/// The error `body` throws, as text ("" when it succeeds).
func errorMessage(_ body: () throws -> Void) -> String {
    do {
        try body()
        return ""
    } catch {
        return "\(error)"
    }
}

/// Writes `lines` to `folder`/xor.csv and trains a small MLP on it in `folder`/run (XOR-like
/// data, which a 16-16 MLP learns in 30 epochs).
func trainXORClassifier(_ lines: [String], target: String, in folder: URL) throws -> (csv: URL, run: URL) {
    let csv = folder.appendingPathComponent("xor.csv")
    try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
    let run = folder.appendingPathComponent("run")
    try TrainCommand.parse([
        "--data", csv.path, "--target", target, "--hidden", "16,16", "--epochs", "30", "--lr", "0.01", "--out",
        run.path, "--quiet",
    ]).run()
    return (csv, run)
}

/// The fraction of `ember predict`'s labels for `input` (written next to it) that equal `expected`.
func predictionAccuracy(run: URL, input: URL, expected: [String]) throws -> Double {
    let predictions = input.deletingLastPathComponent().appendingPathComponent("predictions.csv")
    try PredictCommand.parse(["--run", run.path, "--input", input.path, "--output", predictions.path]).run()
    let predicted = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n").dropFirst()
    let correct = zip(predicted, expected).filter { $0.0.split(separator: ",")[0] == $0.1 }.count
    return Double(correct) / Double(expected.count)
}

/// Runs `ember train` in-process; the CLI tests share the interrupt flag, so they run one at a time.
@Suite(.serialized) struct TrainCommandTests {
    @Test func trainWritesModelMetricsCurvesCheckpointAndConfig() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeAll(at: out) }
        try TrainCommand.parse(["--epochs", "3", "--out", out.path, "--quiet"]).run()
        for file in [
            "model.safetensors", "best.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.svg",
            "curves.png", "config.json",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let rows = try metricsColumns(out)
        #expect(rows.count == 4)  // header + 3 epochs
        let config = try RunConfig.read(from: out)
        #expect(
            config.task == .classification && config.classes == (0...9).map(String.init) && config.inputFeatures == 64)
        let accuracy = Double(rows[3].split(separator: ",")[3])!
        #expect(accuracy > 0.85, "digits MLP after 3 epochs: \(accuracy)")
        try EvalCommand.parse(["--run", out.path, "--data", "digits", "--weights", "best"]).run()
        let png = try Data(contentsOf: out.appendingPathComponent("curves.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    @Test func interruptedRunResumesExactly() throws {
        let whole = temporaryFolder()
        let split = temporaryFolder()
        defer {
            try? FileManager.default.removeAll(at: whole)
            try? FileManager.default.removeAll(at: split)
        }
        try TrainCommand.parse(["--epochs", "2", "--batch-size", "64", "--out", whole.path, "--quiet"]).run()

        interrupted.store(true, ordering: .relaxed)  // as if Ctrl-C came during the first batch
        #expect(throws: ExitCode(130)) {
            try TrainCommand.parse(["--epochs", "2", "--batch-size", "64", "--out", split.path, "--quiet"]).run()
        }
        interrupted.store(false, ordering: .relaxed)
        // A metrics row the checkpoint does not cover (a crash between the two writes) is dropped,
        // and its epoch runs again.
        let stray = EpochMetrics(epoch: 1, trainLoss: 9, learningRate: 1, seconds: 1)
        try writeMetricsCSV([stray], to: split.appendingPathComponent("metrics.csv"))
        try TrainCommand.parse(["--resume", split.path, "--quiet"]).run()
        #expect(try metricsColumns(split) == metricsColumns(whole))
    }

    @Test func regressionOnDiabetesReportsR2() throws {
        let out = temporaryFolder()
        defer { try? FileManager.default.removeAll(at: out) }
        try TrainCommand.parse(["--data", "diabetes", "--epochs", "3", "--out", out.path, "--quiet"]).run()
        let config = try RunConfig.read(from: out)
        #expect(config.task == .regression && config.targetScale! > 0)
        let last = try metricsColumns(out).last!.split(separator: ",", omittingEmptySubsequences: false)
        #expect(last[3].isEmpty && Double(last[4]) != nil && Double(last[5])! > 0)
    }

    @Test func csvDataTargetAndPredict() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(at: folder) }
        var lines = ["a,b,label"]
        for i in 0..<200 {
            let a = Double(i % 2)
            let b = Double((i / 2) % 2)
            lines.append("\(a + Double(i % 7) * 0.01),\(b),\(Int(a) ^ Int(b) == 1 ? "yes" : "no")")
        }
        let (csv, run) = try trainXORClassifier(lines, target: "label", in: folder)
        let config = try RunConfig.read(from: run)
        #expect(
            config.classes == ["no", "yes"] && config.featureNames == ["a", "b"] && config.featurePositions == nil)
        let expected = lines.dropFirst().map { String($0.split(separator: ",")[2]) }
        #expect(try predictionAccuracy(run: run, input: csv, expected: expected) > 0.9)
    }

    /// A CSV file without a header, its target in the first column: `predict` on the same layout
    /// takes the features from the columns training used.
    @Test func headerlessTargetFirstPredict() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(at: folder) }
        let rows = (0..<200).map { i in
            let a = i % 2
            let b = (i / 2) % 2
            return "\(a ^ b),\(Double(a) + Double(i % 7) * 0.01),\(b),\(Double(i % 5) * 0.1)"
        }
        let (csv, run) = try trainXORClassifier(rows, target: "0", in: folder)
        let config = try RunConfig.read(from: run)
        #expect(config.featureNames == ["1", "2", "3"] && config.featurePositions == [1, 2, 3])
        let expected = rows.map { String($0.split(separator: ",")[0]) }
        #expect(try predictionAccuracy(run: run, input: csv, expected: expected) > 0.9)
    }

    /// `--resume` reads metrics.csv back: a damaged row stops it with the file and line, where it
    /// used to drop the row and let the next epoch rewrite the file without it.
    @Test func damagedMetricsStopTheResume() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(at: folder) }
        let url = folder.appendingPathComponent("metrics.csv")
        #expect(try readMetricsCSV(url).isEmpty)  // not written yet
        let row = EpochMetrics(epoch: 1, trainLoss: 0.5, learningRate: 0.001, seconds: 1)
        try writeMetricsCSV([row, row], to: url)
        #expect(try readMetricsCSV(url).count == 2)
        try (EpochMetrics.csvHeader + "\n" + row.csvRow + "\n1,0.5,,,\n").write(
            to: url, atomically: true, encoding: .utf8)
        #expect(errorMessage { _ = try readMetricsCSV(url) }.contains("metrics.csv:3: not a row of epoch,"))

        let run = folder.appendingPathComponent("run")
        try TrainCommand.parse(["--epochs", "1", "--out", run.path, "--quiet"]).run()
        try "epoch,train_loss\n".write(to: run.appendingPathComponent("metrics.csv"), atomically: true, encoding: .utf8)
        #expect(
            errorMessage { try Training.resume(folder: run, quiet: true) }.contains(
                "metrics.csv: epochs [], but the checkpoint follows epochs 1 to 1"))
    }

    @Test func badInputNamesWhatToFix() throws {
        #expect(errorMessage { _ = try loadRawData("breast-cancer", target: nil, task: nil).features }.isEmpty)
        let config = try RunConfig(
            data: "breast-cancer", target: nil, task: .classification, model: "cnn", hidden: [128], optimizer: "adam",
            lr: 0.001, weightDecay: 0, momentum: 0.9, epochs: 1, batchSize: 32, valSplit: 0.2, seed: 0,
            scheduler: "none",
            featureNames: loadRawData("breast-cancer", target: nil, task: nil).featureNames, targetName: "malignant",
            classes: ["0", "1"], featureMean: [], featureScale: [], targetMean: nil, targetScale: nil)
        #expect(errorMessage { _ = try makeModel(config) }.contains("--model cnn needs square images"))
        #expect(
            errorMessage { _ = try loadRawData("nope.txt", target: nil, task: nil) }.contains(
                "neither a bundled data set"))
        #expect(
            errorMessage { _ = try loadRawData("digits", target: "x", task: nil) }.contains(
                "--target applies to CSV files"))
        #expect(
            errorMessage { _ = try loadRawData("diabetes", target: nil, task: .classification) }.contains(
                "does not fit"))

        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAll(at: folder) }
        let bad = folder.appendingPathComponent("bad.csv")
        try "x,y\n1,2\n3,oops\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect(errorMessage { _ = try loadRawData(bad.path, target: "x", task: nil) }.contains("bad.csv:3:2"))
        #expect(errorMessage { _ = try loadRawData(bad.path, target: "z", task: nil) }.contains("no column 'z'"))

        // An existing run is never overwritten.
        let run = folder.appendingPathComponent("run")
        try TrainCommand.parse(["--epochs", "1", "--out", run.path, "--quiet"]).run()
        let before = try Data(contentsOf: run.appendingPathComponent("model.safetensors"))
        #expect(throws: ExitCode.failure) {
            try TrainCommand.parse(["--epochs", "1", "--out", run.path, "--quiet"]).run()
        }
        #expect(try Data(contentsOf: run.appendingPathComponent("model.safetensors")) == before)
    }
}

extension FileManager {
    fileprivate func removeAll(at url: URL) throws { try removeItem(at: url) }
}

/// `ember inspect` reads both formats it names: safetensors (with metadata) and PyTorch's `.pt`.
@Test func inspectReadsSafetensorsAndPyTorchFiles() throws {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    let pt = try inspectedFile(fixtures.appendingPathComponent("pt/mlp.pt"))
    #expect(pt.tensors.keys.sorted() == ["0.bias", "0.weight", "2.bias", "2.weight"] && pt.metadata.isEmpty)
    let safetensors = try inspectedFile(fixtures.appendingPathComponent("pytorch_mlp.safetensors"))
    #expect(safetensors.tensors.count == 4)
    #expect(throws: PyTorchFileError.self) { try inspectedFile(fixtures.appendingPathComponent("pt/nope.pt")) }
    #expect(errorMessage { _ = try inspectedFile(fixtures.appendingPathComponent("ops.json")) }.contains("ops.json"))
}
