import ArgumentParser
import Ember
import Foundation
import Testing

@testable import EmberCLI

/// A CSV of 4×4 grey images (16 pixel columns) with a label: a bright row (0) or column (1).
private func writeBarImages(to url: URL, rows: Int) throws {
    let generator = Generator(seed: 7)
    let noise = Tensor.rand([rows, 16], generator: generator).scalars
    var lines = [((0..<16).map { "p\($0)" } + ["label"]).joined(separator: ",")]
    for r in 0..<rows {
        let label = r % 2
        let line = (0..<16).map { i -> String in
            let onBar = label == 0 ? i / 4 == r % 4 : i % 4 == r % 4
            return String(format: "%.3f", (onBar ? 1 : 0) + 0.3 * Double(noise[r * 16 + i]))
        }
        lines.append((line + [String(label)]).joined(separator: ","))
    }
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
}

extension TrainCommandTests {
    @Test func resnet18TrainsEvaluatesPredictsAndResumes() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("bars.csv")
        try writeBarImages(to: csv, rows: 42)  // 33 training rows: the last batch of one is dropped
        let run = folder.appendingPathComponent("run")
        let options = ["--data", csv.path, "--model", "resnet18", "--batch-size", "16", "--quiet"]
        interrupted.store(true, ordering: .relaxed)  // stop after the first batch
        #expect(throws: ExitCode(130)) { try TrainCommand.parse(options + ["--epochs", "2", "--out", run.path]).run() }
        interrupted.store(false, ordering: .relaxed)
        try TrainCommand.parse(["--resume", run.path, "--quiet"]).run()

        let config = try RunConfig.read(from: run)
        #expect(config.model == "resnet18" && config.inputFeatures == 16 && config.classes == ["0", "1"])
        #expect(try metricsColumns(run).count == 3)  // header + 2 epochs
        let (_, model) = try TrainedRunOptions.parse(["--run", run.path, "--weights", "model"]).load()
        #expect(model is GreyResNet18)
        #expect(model.stateDict()["resnet.fc.weight"]?.shape == [2, 512])
        try EvalCommand.parse(["--run", run.path]).run()
        let predictions = folder.appendingPathComponent("predictions.csv")
        try PredictCommand.parse(["--run", run.path, "--input", csv.path, "--output", predictions.path]).run()
        let lines = try String(contentsOf: predictions, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 43 && lines[0] == "prediction,probability")
        #expect(lines.dropFirst().allSatisfy { ["0", "1"].contains($0.split(separator: ",")[0]) })

        // Regression: the same network with one output (weights left unset: shapes only, as the
        // training loop is the classification one with MSELoss).
        var regression = config
        regression.task = .regression
        let output = try Init.withoutRandomInit { try makeModel(regression) }(Tensor.zeros([3, 16]))
        #expect(output.shape == [3, 1])
    }

    @Test func resnet18SummaryListsTorchvisionStages() throws {
        let config = RunConfig(
            data: "", target: nil, task: .classification, model: "resnet18", hidden: [], optimizer: "adam", lr: 0.001,
            weightDecay: 0, momentum: 0.9, epochs: 1, batchSize: 2, valSplit: 0, seed: 0, scheduler: "none",
            featureNames: (0..<64).map { "x\($0)" }, targetName: "y", classes: (0..<10).map(String.init),
            featureMean: [], featureScale: [], targetMean: nil, targetScale: nil)
        let model = try Init.withoutRandomInit { try makeModel(config) }
        let table = summaryTable(model, input: Tensor.zeros([2, 64]))
        #expect(table.contains("[2, 3, 8, 8]") && table.contains("MaxPool2d (maxpool)") && table.contains("[2, 10]"))
        #expect(table.contains("Sequential (layer4)          [2, 512, 1, 1]  8393728"))
        // torchvision's resnet18 has 11,689,512 parameters with 1000 classes; the 10-class head
        // removes 513 × 990.
        #expect(table.contains("Total params: \(11_689_512 - 513 * 990)"))
    }

    /// Interrupts after every batch and resumes until the run is done: the metrics (learning rate
    /// included) and the final scheduler and optimizer states equal those of an uninterrupted run.
    @Test(arguments: ["onecycle", "plateau", "exponential"])
    func resumeAfterEveryBatchIsExact(scheduler: String) throws {
        let whole = temporaryFolder()
        let split = temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: whole)
            try? FileManager.default.removeItem(at: split)
        }
        let options = ["--epochs", "3", "--batch-size", "512", "--scheduler", scheduler, "--lr", "0.05", "--quiet"]
        try TrainCommand.parse(options + ["--out", whole.path]).run()
        var arguments = options + ["--out", split.path]
        var runs = 0
        while true {
            interrupted.store(true, ordering: .relaxed)
            defer { interrupted.store(false, ordering: .relaxed) }
            do {
                try TrainCommand.parse(arguments).run()
                break
            } catch let exit as ExitCode where exit == ExitCode(130) {
                arguments = ["--resume", split.path, "--quiet"]
                runs += 1
            }
        }
        #expect(runs == 9)  // 3 epochs of 3 batches, the last one finishing without an interrupt check
        #expect(try metricsColumns(split, columns: 7) == metricsColumns(whole, columns: 7))
        let lrs = try metricsColumns(whole, columns: 7).dropFirst().map { $0.split(separator: ",").last! }
        if scheduler != "plateau" { #expect(Set(lrs).count == 3, "\(lrs)") }
        let a = try Checkpoint.load(from: whole.appendingPathComponent("checkpoint.safetensors"))
        let b = try Checkpoint.load(from: split.appendingPathComponent("checkpoint.safetensors"))
        #expect(a.schedulerState == b.schedulerState && a.schedulerState != nil)
        #expect(a.optimizerState?.paramGroups.map(\.options) == b.optimizerState?.paramGroups.map(\.options))
    }

    @Test func contradictingOptionsGiveOneClearError() throws {
        func configError(_ arguments: [String]) -> String {
            errorMessage { _ = try TrainCommand.parse(arguments).makeConfig() }
        }
        #expect(configError(["--momentum", "0.5"]).contains("--momentum applies to --optimizer sgd or rmsprop"))
        #expect(configError(["--optimizer", "sgd", "--momentum", "0.5"]).isEmpty)
        #expect(configError(["--model", "cnn", "--hidden", "128"]).contains("--hidden applies to --model mlp"))
        #expect(configError(["--scheduler", "plateau", "--val-split", "0"]).contains("use a --val-split above 0"))
        #expect(configError(["--scheduler", "linear"]).contains("choose one of none, step, cosine, exponential"))
        #expect(configError(["--model", "resnet18", "--batch-size", "1"]).contains("--batch-size 2 or more"))
        #expect(configError(["--model", "vgg"]).contains("unknown --model 'vgg'"))
        #expect(configError(["--lr", "0"]).contains("--lr must be positive"))
        #expect(
            errorMessage { try TrainCommand.parse(["--resume", "x", "--epochs", "5"]).checkNothingBesidesResume() }
                .contains("drop --epochs"))
        // An option given with its default value would be ignored just the same.
        #expect(
            errorMessage {
                try TrainCommand.parse(["--resume", "x", "--data", "digits", "--batch-size", "32"])
                    .checkNothingBesidesResume()
            }.contains("drop --data, --batch-size"))
        #expect(
            configError(["--hidden", "64,abc"]).contains("--hidden must be comma-separated integers, got '64,abc'"))
        #expect(try hiddenSizes(" 64, 32 ") == [64, 32])
        #expect(throws: ExitCode.failure) { try SummaryCommand.parse(["--hidden", "64,abc"]).run() }

        let folder = temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("twenty.csv")
        let rows = (0..<10).map { r in ((0..<20).map { String($0 * r) } + [String(r % 2)]).joined(separator: ",") }
        try ([((0..<20).map { "f\($0)" } + ["y"]).joined(separator: ",")] + rows).joined(separator: "\n")
            .write(to: csv, atomically: true, encoding: .utf8)
        let message = configError(["--data", csv.path, "--model", "resnet18"])
        #expect(message.contains("--model resnet18 needs square images") && message.contains("20 features"))
        #expect(!message.contains("\n"))
        // Nothing is written when the options are rejected.
        let out = folder.appendingPathComponent("run")
        #expect(throws: ExitCode.failure) {
            try TrainCommand.parse(["--data", csv.path, "--model", "resnet18", "--out", out.path, "--quiet"]).run()
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
