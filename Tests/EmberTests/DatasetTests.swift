import Foundation
import Testing

@testable import Ember

/// Tests/Fixtures/data.json, written by Tests/Fixtures/make_data_fixtures.py.
struct DataFixtures: Decodable {
    struct Split: Decodable {
        let n: Int
        let fractions: [Double]
        let lengths: [Int]
    }
    struct LoaderLength: Decodable {
        let n: Int
        let batchSize: Int
        let dropLast: Bool
        let len: Int
    }
    struct GzipCase: Decodable {
        let name: String
        let gz: String
        let raw: String
    }
    struct TinyMNIST: Decodable {
        let imagesGz: String
        let labelsGz: String
        let pixels: [[[Int]]]
        let labels: [Int]
    }
    struct Scaler: Decodable {
        let x: [[Double]]
        let mean: [Double]
        let std: [Double]
        let min: [Double]
        let max: [Double]
    }
    let randomSplit: [Split]
    let loaderLen: [LoaderLength]
    let gzip: [GzipCase]
    let mnist: TinyMNIST
    let scaler: Scaler
}

func dataFixtures() throws -> DataFixtures {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/data.json")
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(DataFixtures.self, from: Data(contentsOf: url))
}

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func bytes(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64)!) }

@Suite struct DatasetTests {
    @Test func tensorDatasetChecksLengths() throws {
        let ds = TensorDataset(Tensor.zeros([5, 2]), Tensor.arange(0, 5))
        #expect(ds.count == 5 && ds[4][1].item() == 4)
        #expect(throws: DataError.sizeMismatch(argument: "tensors", sizes: [5, 4])) {
            try TensorDataset(validating: [Tensor.zeros([5, 2]), Tensor.zeros([4])])
        }
        #expect(throws: DataError.self) { try TensorDataset(validating: []) }
        #expect(throws: DataError.self) { try TensorDataset(validating: [Tensor(3.0)]) }
    }

    @Test func tensorDatasetSizeMismatchStopsWithPyTorchsMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TensorDataset(Tensor.zeros([5, 2]), Tensor.zeros([4]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Size mismatch between tensors"))
    }

    @Test func subsetConcatAndRandomSplit() throws {
        let a = TensorDataset(Tensor.arange(0, 5), Tensor.arange(0, 5) * 10)
        let b = TensorDataset(Tensor.arange(5, 8), Tensor.arange(5, 8) * 10)
        let both = ConcatDataset([a, b])
        #expect(both.count == 8 && both.cumulativeSizes == [5, 8])
        #expect((0..<8).map { both[$0][0].item() } == (0..<8).map(Double.init))
        let mixed = both.batch(at: [6, 0, 7, 4, 5, 1])
        #expect(mixed[0].toArray(as: Int64.self) == [6, 0, 7, 4, 5, 1])
        #expect(mixed[1].toArray(as: Int64.self) == [60, 0, 70, 40, 50, 10])
        #expect(both.batch(at: [7, 5])[1].toArray(as: Int64.self) == [70, 50])

        let subset = Subset(both, indices: [7, 2, 2])
        #expect(subset.count == 3 && subset[0][0].item() == 7)
        #expect(subset.batch(at: [2, 0])[0].toArray(as: Int64.self) == [2, 7])
        let pairs = Array(DataLoader(subset, batchSize: 2))
        #expect(pairs.map { $0.0.toArray(as: Int64.self) } == [[7, 2], [2]])

        let parts = randomSplit(both, lengths: [3, 5], generator: Generator(seed: 1))
        #expect(parts.map(\.count) == [3, 5])
        #expect((parts[0].indices + parts[1].indices).sorted() == Array(0..<8))
        let again = randomSplit(both, lengths: [3, 5], generator: Generator(seed: 1))
        #expect(again[0].indices == parts[0].indices)

        for c in try dataFixtures().randomSplit {
            let split = randomSplit(TensorDataset(Tensor.zeros([c.n])), lengths: c.fractions)
            #expect(split.map(\.count) == c.lengths, "n=\(c.n) fractions=\(c.fractions)")
            #expect(split.flatMap(\.indices).sorted() == Array(0..<c.n))
        }
    }

    @Test func bundledDatasets() throws {
        let digits = try Datasets.digits()
        #expect(digits.features.shape == [1797, 64] && digits.features.dtype == .float32)
        #expect(digits.targets.shape == [1797] && digits.targets.dtype == .int64)
        #expect(
            digits.features[0].toArray(as: Float.self).prefix(16) == [
                0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0,
            ])
        #expect(digits.targets[0..<3].toArray(as: Int64.self) == [0, 1, 2])
        #expect(digits.featureNames.first == "pixel0" && digits.targetName == "label")
        #expect(Set(digits.targets.toArray(as: Int64.self)) == Set(0...9))
        #expect(digits.features.max().item() == 16)

        let diabetes = try Datasets.diabetes()
        #expect(diabetes.features.shape == [442, 10] && diabetes.targets.shape == [442])
        #expect(diabetes.targets.dtype == .float32)
        #expect(
            diabetes.features[0].toArray(as: Float.self) == [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87])
        #expect(diabetes.targets[0..<2].toArray(as: Float.self) == [151, 75])
        #expect(diabetes.featureNames == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"])

        let cancer = try Datasets.breastCancer()
        #expect(cancer.features.shape == [569, 30] && cancer.targets.shape == [569] && cancer.targets.dtype == .int64)
        #expect(cancer.features[0].toArray(as: Float.self).prefix(4) == [17.99, 10.38, 122.8, 1001])
        #expect(cancer.features[0, 29].item(as: Float.self) == 0.1189)
        #expect(cancer.targets.toArray(as: Int64.self).prefix(2) == [1, 1])
        #expect(cancer.targets.sum().item() == 212)  // 212 malignant, 357 benign
        #expect(cancer.targetName == "malignant" && cancer.featureNames.count == 30)

        let (x, y) = Array(DataLoader(cancer, batchSize: 569))[0]
        #expect(x.equal(cancer.features) && y.equal(cancer.targets))
    }

    @Test func standardAndMinMaxScalersMatchTheFormulas() throws {
        let f = try dataFixtures().scaler
        let x = Tensor(shape: [f.x.count, 3], scalars: f.x.flatMap { $0 })
        var standard = StandardScaler()
        let scaled = standard.fitTransform(x)
        #expect(standard.mean!.allclose(Tensor(f.mean), rtol: 1e-12, atol: 1e-12))
        #expect(standard.variance!.allclose(Tensor(f.std.map { $0 * $0 }), rtol: 1e-12, atol: 1e-12))
        let scale = standard.scale!.toArray(as: Double.self)
        #expect(Swift.abs(scale[0] - f.std[0]) < 1e-12 && Swift.abs(scale[1] - f.std[1]) < 1e-12)
        #expect(scale[2] == 1)  // constant feature
        let columnMeans = scaled.mean(dim: 0).toArray(as: Double.self)
        #expect(columnMeans.allSatisfy { Swift.abs($0) < 1e-12 })
        #expect(
            scaled.std(dim: 0, unbiased: false).toArray(as: Double.self)[0..<2].allSatisfy { Swift.abs($0 - 1) < 1e-12 }
        )
        #expect(standard.inverseTransform(scaled).allclose(x, rtol: 1e-12, atol: 1e-12))
        // Other data uses the training statistics.
        let other = Tensor(shape: [1, 3], scalars: [f.mean[0] + f.std[0], f.mean[1], 0])
        #expect(standard.transform(other).allclose(Tensor(shape: [1, 3], scalars: [1, 0, -f.mean[2]])))
        // float32 in, float32 out.
        #expect(standard.transform(x.float()).dtype == .float32)

        var minMax = MinMaxScaler(featureRange: -1...1)
        let ranged = minMax.fitTransform(x)
        #expect(minMax.dataMin!.equal(Tensor(f.min)) && minMax.dataMax!.equal(Tensor(f.max)))
        #expect(ranged.amin(dim: [0]).toArray(as: Double.self) == [-1, -1, -1])
        #expect(ranged.amax(dim: [0]).allclose(Tensor([1, 1, -1] as [Double])))
        let r = (f.x[1][0] - f.min[0]) / (f.max[0] - f.min[0]) * 2 - 1
        #expect(Swift.abs(ranged[1, 0].item() - r) < 1e-12)
        #expect(minMax.inverseTransform(ranged).allclose(x, rtol: 1e-12, atol: 1e-12))
        var clipped = MinMaxScaler(clip: true)
        clipped.fit(x)
        #expect(clipped.transform(x * 3).max().item() <= 1 && clipped.transform(x * 3).min().item() >= 0)
    }

    @Test func trainTestSplitKeepsPairsAndSizes() {
        let x = Tensor(shape: [10, 2], scalars: (0..<20).map { Float($0) })
        let y = Tensor.arange(0, 10)
        let (xTrain, xTest, yTrain, yTest) = trainTestSplit(x, y, testFraction: 0.25, generator: Generator(seed: 2))
        // ceil(0.25 * 10) = 3 test samples, as in scikit-learn.
        #expect(xTest.shape == [3, 2] && xTrain.shape == [7, 2] && yTest.shape == [3] && yTrain.shape == [7])
        let labels = yTrain.toArray(as: Int64.self) + yTest.toArray(as: Int64.self)
        #expect(labels.sorted() == Array(0..<10))
        #expect(xTrain.select(dim: 1, index: 0).equal((yTrain * 2).float()))
        #expect(xTest.select(dim: 1, index: 1).equal((yTest * 2 + 1).float()))
        let ordered = trainTestSplit(x, y, testFraction: 0.2, shuffle: false)
        #expect(
            ordered.yTrain.toArray(as: Int64.self) == Array(0..<8) && ordered.yTest.toArray(as: Int64.self) == [8, 9])
        let same = trainTestSplit(x, y, testFraction: 0.25, generator: Generator(seed: 2))
        #expect(same.yTest.equal(yTest))
    }

    @Test func gzipStreamsOfEveryBlockType() throws {
        for c in try dataFixtures().gzip {
            let gz = bytes(c.gz)
            #expect(isGzip(gz))
            #expect(try gunzip(gz, file: c.name) == bytes(c.raw), "\(c.name)")
            // Any truncation or flipped byte is reported, never a crash or wrong data.
            #expect(throws: DataError.self) { try gunzip(Array(gz.dropLast(3)), file: c.name) }
            var flipped = gz
            flipped[flipped.count - 6] ^= 0x40  // inside the CRC-32
            #expect(throws: DataError.self) { try gunzip(flipped, file: c.name) }
        }
        let dynamic = bytes(try dataFixtures().gzip.first { $0.name == "dynamic" }!.gz)
        for position in stride(from: 12, to: dynamic.count - 8, by: 7) {
            var corrupt = dynamic
            corrupt[position] ^= 0xA5
            #expect(throws: DataError.self) { try gunzip(corrupt, file: "corrupt.gz") }
        }
    }

    @Test func idxRoundTripsEveryType() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.idx")
        let ints = Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Int64($0 * 20) })
        for type in [IDXDataType.uint8, .int16, .int32, .float32, .float64] {
            try IDX.write(ints, to: url, as: type)
            let back = try IDX.read(from: url)
            #expect(back.shape == [2, 3, 2] && back.toArray(as: Double.self) == ints.scalars, "\(type)")
            #expect(back.dtype == (type == .float32 ? .float32 : type == .float64 ? .float64 : .int64))
        }
        let negative = Tensor([-128, -1, 0, 127] as [Int64])
        try IDX.write(negative, to: url, as: .int8)
        #expect(try IDX.read(from: url).equal(negative))
        let floats = Tensor.randn([3, 4])
        try IDX.write(floats, to: url)
        #expect(try IDX.read(from: url).equal(floats))
        let data = try Data(contentsOf: url)
        #expect([UInt8](data.prefix(12)) == [0, 0, 0x0D, 2, 0, 0, 0, 3, 0, 0, 0, 4] && data.count == 12 + 48)
        #expect(throws: DataError.self) { try IDX.write(Tensor([300] as [Int64]), to: url, as: .uint8) }
        #expect(throws: DataError.self) { try IDX.write(Tensor([0.5] as [Double]), to: url, as: .int32) }
    }

    @Test func mnistFromPlainAndGzipFiles() throws {
        let fixture = try dataFixtures().mnist
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // torchvision's layout, compressed.
        let raw = dir.appendingPathComponent("MNIST/raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try Data(bytes(fixture.imagesGz)).write(to: raw.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try Data(bytes(fixture.labelsGz)).write(to: raw.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let test = try MNIST(root: dir, train: false)
        #expect(
            test.count == 4 && test.images.shape == [4, 1, 5, 3] && test.labels.toArray(as: Int64.self) == [7, 0, 9, 3])
        let expected = fixture.pixels.flatMap { $0.flatMap { $0 } }.map { Float($0) / 255 }
        #expect(test.images.toArray(as: Float.self) == expected)

        // Plain files written by IDX.write, directly in the root.
        try IDX.write(
            Tensor(shape: [4, 5, 3], scalars: fixture.pixels.flatMap { $0.flatMap { $0 } }),
            to: dir.appendingPathComponent("train-images-idx3-ubyte"), as: .uint8)
        try IDX.write(
            Tensor(fixture.labels.map(Int64.init)), to: dir.appendingPathComponent("train-labels-idx1-ubyte"),
            as: .uint8)
        let train = try MNIST(root: dir.path, train: true, transform: Transforms.Normalize(mean: [0.5], std: [0.25]))
        #expect(train.images.equal(test.images))
        let (x, y) = Array(DataLoader(train, batchSize: 3))[0]
        #expect(x.shape == [3, 1, 5, 3] && y.toArray(as: Int64.self) == [7, 0, 9])
        #expect(x.allclose((test.images[0..<3] - 0.5) / 0.25))
        #expect(train[3][0].allclose((test.images[3] - 0.5) / 0.25))
    }

    @Test func badIDXFilesThrowNamedErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("train-images-idx3-ubyte")
        let labels = dir.appendingPathComponent("train-labels-idx1-ubyte")
        try IDX.write(Tensor(shape: [2, 2, 2], scalars: [Int64](repeating: 1, count: 8)), to: images, as: .uint8)
        try IDX.write(Tensor([1, 2] as [Int64]), to: labels, as: .uint8)
        #expect(try MNIST(root: dir).count == 2)

        let good = try Data(contentsOf: images)
        try Data(good.dropLast(3)).write(to: images)
        #expect(throws: DataError.truncated(file: images.path, expectedBytes: 24, actualBytes: 21)) {
            try MNIST(root: dir)
        }
        try Data(good.prefix(9)).write(to: images)
        #expect(throws: DataError.truncated(file: images.path, expectedBytes: 16, actualBytes: 9)) {
            try MNIST(root: dir)
        }
        try Data(good + [0]).write(to: images)
        #expect(throws: DataError.trailingBytes(file: images.path, expectedBytes: 24, actualBytes: 25)) {
            try MNIST(root: dir)
        }
        // The labels file where images belong: wrong magic for MNIST, fine for IDX.read.
        try Data(contentsOf: labels).write(to: images)
        #expect(throws: DataError.badMagic(file: images.path, found: 2049, expected: 2051)) { try MNIST(root: dir) }
        #expect(try IDX.read(from: images).shape == [2])
        try Data("P5 not an idx".utf8).write(to: images)
        #expect(throws: DataError.badMagic(file: images.path, found: 0x5035_206E, expected: nil)) {
            try IDX.read(from: images)
        }
        try Data([0, 0, 8]).write(to: images)
        #expect(throws: DataError.truncated(file: images.path, expectedBytes: 4, actualBytes: 3)) {
            try IDX.read(from: images)
        }
        // A header announcing more than memory can hold is truncated, not a crash.
        try Data([0, 0, 0x0E, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).write(
            to: images)
        #expect(throws: DataError.self) { try IDX.read(from: images) }
        // Counts that disagree.
        try IDX.write(Tensor(shape: [3, 2, 2], scalars: [Int64](repeating: 1, count: 12)), to: images, as: .uint8)
        #expect(throws: DataError.sizeMismatch(argument: "\(images.path), \(labels.path)", sizes: [3, 2])) {
            try MNIST(root: dir)
        }
        try FileManager.default.removeItem(at: labels)
        #expect {
            try MNIST(root: dir)
        } throws: { error in
            guard case DataError.fileAccess(let file, _) = error else { return false }
            return file == labels.path
        }
    }

    @Test func transforms() {
        let generator = Generator(seed: 8)
        let batch = Tensor(shape: [6, 2, 4, 5], scalars: (0..<240).map { Float($0) })
        let normalized = Transforms.Normalize(mean: [1, 2], std: [2, 4])(batch)
        #expect(normalized[3, 1].allclose((batch[3, 1] - 2) / 4) && normalized[0, 0].allclose((batch[0, 0] - 1) / 2))

        let crop = Transforms.RandomCrop(4, padding: 2, generator: generator)
        let cropped = crop(batch)
        #expect(cropped.shape == [6, 2, 4, 4])
        // Every crop is a window of the zero-padded image.
        let padded = Tensor.zeros([6, 2, 8, 9])
        padded.slice(dim: 2, start: 2, end: 6).slice(dim: 3, start: 2, end: 7).copy(from: batch)
        var offsets = Set<[Int]>()
        for n in 0..<6 {
            let matches = (0...4).flatMap { top in (0...5).map { [top, $0] } }.filter { o in
                padded[n].slice(dim: 1, start: o[0], end: o[0] + 4).slice(dim: 2, start: o[1], end: o[1] + 4)
                    .equal(cropped[n])
            }
            #expect(!matches.isEmpty)
            offsets.formUnion(matches)
        }
        #expect(offsets.count > 1)  // different images, different windows
        #expect(Transforms.RandomCrop(4, padding: 2, generator: Generator(seed: 8))(batch).equal(cropped))
        #expect(Transforms.RandomCrop(height: 4, width: 5)(batch[0]).equal(batch[0]))

        let flip = Transforms.RandomHorizontalFlip(generator: Generator(seed: 9))
        let flipped = flip(batch)
        var flips = 0
        for n in 0..<6 {
            let mirrored = batch[n].indexSelect(dim: 2, index: Tensor.arange(0, 5).reversedElements())
            if flipped[n].equal(mirrored) { flips += 1 } else { #expect(flipped[n].equal(batch[n])) }
        }
        #expect(flips > 0 && flips < 6)
        #expect(Transforms.RandomHorizontalFlip(p: 0)(batch) === batch)

        let composed = Transforms.Compose([
            Transforms.RandomHorizontalFlip(p: 1), Transforms.Normalize(mean: [0], std: [2]),
        ])
        #expect(
            composed(batch[0]).equal(batch[0].indexSelect(dim: 2, index: Tensor.arange(0, 5).reversedElements()) / 2))
    }

    /// The bar: an MLP on the bundled digits reaches at least 97% validation accuracy
    /// (standardized inputs, SGD with momentum, 10 epochs of batch 128: 120 steps).
    @Test func digitsMLPReaches97Percent() throws {
        let generator = Generator(seed: 0)  // not the default one, which parallel tests share
        let digits = try Datasets.digits()
        var (xTrain, xTest, yTrain, yTest) = trainTestSplit(
            digits.features, digits.targets, testFraction: 0.2, generator: generator)
        var scaler = StandardScaler()
        xTrain = scaler.fitTransform(xTrain)
        xTest = scaler.transform(xTest)
        let layers = [Linear(64, 128), Linear(128, 10)]
        for layer in layers {  // PyTorch's default initialisation, from `generator`
            let bound = 1 / Double(layer.inFeatures).squareRoot()
            for p in [layer.weight, layer.bias!] { Init.uniform(p, low: -bound, high: bound, generator: generator) }
        }
        let model = Sequential(layers[0], ReLU(), layers[1])
        let loader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 128, shuffle: true, generator: generator)
        let parameters = model.parameters()
        var velocity = parameters.map { Tensor.zerosLike($0) }
        for _ in 0..<10 {
            for (x, y) in loader {
                for p in parameters { p.grad = nil }
                F.crossEntropy(model(x), y).backward()
                noGrad {  // SGD, momentum 0.9, lr 0.1
                    for (k, p) in parameters.enumerated() {
                        velocity[k] = velocity[k] * 0.9 + p.grad!
                        p.subInPlace(velocity[k] * 0.1)
                    }
                }
            }
        }
        #expect(xTest.shape == [360, 64])
        let accuracy = noGrad { model(xTest).argmax(dim: 1).eq(yTest).float().mean().item() }
        #expect(accuracy >= 0.97, "validation accuracy \(accuracy)")
    }
}

extension Tensor {
    /// The elements of a 1-D tensor in reverse order.
    fileprivate func reversedElements() -> Tensor {
        indexSelect(dim: 0, index: Tensor(shape: [count], scalars: Array((0..<count).reversed())))
    }
}
