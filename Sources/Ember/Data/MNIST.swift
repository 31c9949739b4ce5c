import Foundation

/// The MNIST handwritten digits (`torchvision.datasets.MNIST`), read from the four IDX files you
/// have downloaded: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each plain or gzip-compressed (`.gz`). Ember does not download them.
///
/// Samples are `[image, label]`: images are float32 `[1, 28, 28]` in `[0, 1]` (pixel / 255, as
/// torchvision's `ToTensor()`), labels int64. A ``DataLoader`` over it yields `(images, labels)`
/// batches `[N, 1, 28, 28]` / `[N]`, with `transform` applied to each batch's images. Fashion-MNIST
/// and other data sets in the same format load the same way.
public struct MNIST: TensorRowDataset, Sendable {
    /// All images, `[count, 1, rows, columns]`, float32 in `[0, 1]`.
    public let images: Tensor
    /// All labels, `[count]`, int64.
    public let labels: Tensor
    /// Applied to images as they are loaded (one image or a batch), e.g. ``Transforms/Normalize``.
    public let transform: (any Transform)?

    /// Loads the training (60,000 images) or test (10,000 images) set from `root`, where the files
    /// sit either directly or in `MNIST/raw/` (torchvision's layout).
    ///
    /// - Throws: ``DataError/fileAccess(file:reason:)`` when a file is missing,
    ///   ``DataError/badMagic(file:found:expected:)`` for a file that is not MNIST's (2051 for
    ///   images, 2049 for labels), ``DataError/truncated(file:expectedBytes:actualBytes:)``,
    ///   ``DataError/corruptCompressedData(file:reason:)``, or
    ///   ``DataError/sizeMismatch(argument:sizes:)`` when the two files hold different counts.
    public init(root: URL, train: Bool = true, transform: (any Transform)? = nil) throws(DataError) {
        let prefix = train ? "train" : "t10k"
        try self.init(
            images: try findFile(root, "\(prefix)-images", "idx3-ubyte"),
            labels: try findFile(root, "\(prefix)-labels", "idx1-ubyte"), transform: transform)
    }

    /// Loads the set from a directory path (see ``init(root:train:transform:)``).
    public init(root: String, train: Bool = true, transform: (any Transform)? = nil) throws(DataError) {
        try self.init(root: URL(fileURLWithPath: root), train: train, transform: transform)
    }

    /// Loads an images file and a labels file in MNIST's IDX format.
    public init(images imagesURL: URL, labels labelsURL: URL, transform: (any Transform)? = nil) throws(DataError) {
        let imageArray = try IDXArray(contentsOf: imagesURL, expectedMagic: 2051)
        let labelArray = try IDXArray(contentsOf: labelsURL, expectedMagic: 2049)
        guard imageArray.shape[0] == labelArray.shape[0] else {
            throw .sizeMismatch(
                argument: "\(imagesURL.path), \(labelsURL.path)", sizes: [imageArray.shape[0], labelArray.shape[0]])
        }
        let (rows, columns) = (imageArray.shape[1], imageArray.shape[2])
        images = imageArray.tensor(dtype: .float32, scale: 1.0 / 255).view(imageArray.shape[0], 1, rows, columns)
        labels = labelArray.tensor(dtype: .int64)
        self.transform = transform
    }

    /// The number of images.
    public var count: Int { labels.shape[0] }

    /// `[image, label]` at `index`, the image transformed.
    public subscript(index: Int) -> [Tensor] {
        checkSampleIndex(index, count: count)
        let image = images[index]
        return [transform?(image) ?? image, labels[index]]
    }

    /// The images and labels at `indices`, one gather each, the images transformed as a batch.
    public func batch(at indices: [Int]) -> [Tensor] {
        let rows = TensorDataset(images, labels).batch(at: indices)
        return [transform?(rows[0]) ?? rows[0], rows[1]]
    }
}

/// The first existing file among `root/name-kind`, `root/name.kind`, each optionally `.gz`, in
/// `root` or `root/MNIST/raw`.
private func findFile(_ root: URL, _ name: String, _ kind: String) throws(DataError) -> URL {
    for directory in [root, root.appendingPathComponent("MNIST").appendingPathComponent("raw")] {
        for base in ["\(name)-\(kind)", "\(name).\(kind)"] {
            for suffix in ["", ".gz"] {
                let url = directory.appendingPathComponent(base + suffix)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
        }
    }
    throw .fileAccess(
        file: root.appendingPathComponent("\(name)-\(kind)").path,
        reason: "not found (also looked for .gz, '\(name).\(kind)' and MNIST/raw/)")
}
