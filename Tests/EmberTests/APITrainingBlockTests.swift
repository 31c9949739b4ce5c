// swift-format-ignore-file
// API.md's "Training" block, verbatim with assertions added; this file imports only Ember, as the
// block does, so it also checks that `import Ember` is enough for URL.
import Ember
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.serialized) struct APITrainingBlockTests {
    @Test func trainingBlock() throws {
        let previous = currentDirectory()
        let folder = "/tmp/ember-api-training-\(Int.random(in: 0..<1_000_000))"
        makeDirectory(folder)
        changeDirectory(folder)
        defer { changeDirectory(previous) }

        let model = Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1))   // the seed's MLP
        let criterion = MSELoss()                            // also CrossEntropyLoss(), L1Loss(), NLLLoss(), BCEWithLogitsLoss(), ...
        let optimizer = Adam(model.parameters(), lr: 0.001, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.01)
        _ = SGD(model.parameters(), lr: 0.01, momentum: 0.9)
        _ = RMSprop(model.parameters(), lr: 0.001, alpha: 0.99)
        _ = Adagrad(model.parameters(), lr: 0.01)
        _ = Adadelta(model.parameters(), rho: 0.9)
        _ = AdamW(model.parameters(), lr: 0.001, weightDecay: 0.01)

        let features = (0..<20_000).map { _ in Float.random(in: -1...1) }   // 1,000 rows × 20 columns
        let targets = (0..<1000).map { i in features[i * 20] + features[i * 20 + 1] }
        let xTrain = Tensor(shape: [1000, 20], scalars: features)
        let yTrain = Tensor(shape: [1000], scalars: targets).view(-1, 1)
        let trainLoader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 32, shuffle: true)
        for epoch in 0..<20 {
            model.train()
            var trainLoss = 0.0
            for (batchX, batchY) in trainLoader {
                let loss = criterion(model(batchX), batchY)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                trainLoss += loss.item()
            }
            print("Epoch [\(epoch + 1)/20], Train Loss: \(trainLoss / Double(trainLoader.count))")
        }

        try model.save(to: URL(fileURLWithPath: "model.safetensors"))       // atomic; PyTorch-loadable
        try model.load(from: URL(fileURLWithPath: "model.safetensors"))
        let tensors: [String: Tensor] = try loadSafetensors(from: URL(fileURLWithPath: "model.safetensors"))
        try saveSafetensors(tensors, to: URL(fileURLWithPath: "copy.safetensors"))

        #expect(trainLoader.count == 32)
        // The seed's MLP learns x0 + x1: its error is a small part of the target's variance (2/3).
        let finalLoss: Double = noGrad { criterion(model(xTrain), yTrain).item() }
        let variance: Double = yTrain.`var`(unbiased: false).item()
        #expect(finalLoss < 0.05 * variance, "MSE \(finalLoss), variance \(variance)")
        #expect(try loadSafetensors(from: URL(fileURLWithPath: "copy.safetensors")).keys.sorted() == model.stateDictKeys().sorted())
    }
}

// Working-directory helpers from the C library (no Foundation import in this file).
private func currentDirectory() -> String { URL(fileURLWithPath: ".").standardizedFileURL.path }
private func makeDirectory(_ path: String) { _ = mkdir(path, 0o755) }
private func changeDirectory(_ path: String) { _ = path.withCString { chdir($0) } }
