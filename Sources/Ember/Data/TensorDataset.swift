/// Tensors that share their first dimension, sample `i` being row `i` of each
/// (`torch.utils.data.TensorDataset`).
///
/// ```swift
/// let ds = TensorDataset(Tensor.randn([100, 1]), Tensor.randint(0, 2, [100]))
/// ds.count        // 100
/// ds[3]           // [x[3], y[3]]
/// ```
///
/// A ``DataLoader`` gathers a batch with one `indexSelect(dim: 0, index:)` per tensor (a memcpy
/// per row for contiguous tensors). The tensors are held, not copied: in-place changes to them are
/// seen by later batches.
public struct TensorDataset: TensorRowDataset, Sendable {
    /// The tensors, in the order their rows appear in each sample.
    public let tensors: [Tensor]

    /// A data set of `tensors`, which must have the same size along their first dimension.
    ///
    /// Stops with PyTorch's "Size mismatch between tensors" otherwise; use
    /// ``init(validating:)`` to get a ``DataError`` instead.
    public init(_ tensors: Tensor...) { self.init(tensors) }

    /// A data set of `tensors`, which must have the same size along their first dimension.
    public init(_ tensors: [Tensor]) {
        do {
            try self.init(validating: tensors)
        } catch {
            if case .sizeMismatch = error { preconditionFailure("Size mismatch between tensors") }
            preconditionFailure(error.description)
        }
    }

    /// A data set of `tensors`, throwing ``DataError/sizeMismatch(argument:sizes:)`` when their
    /// first dimensions differ and ``DataError/invalidArgument(argument:message:)`` when there are no
    /// tensors or one is 0-dimensional.
    public init(validating tensors: [Tensor]) throws(DataError) {
        guard !tensors.isEmpty else {
            throw .invalidArgument(argument: "tensors", message: "TensorDataset needs at least one tensor")
        }
        if let scalar = tensors.firstIndex(where: { $0.dim == 0 }) {
            throw .invalidArgument(
                argument: "tensors[\(scalar)]", message: "TensorDataset: tensor \(scalar) is 0-dimensional")
        }
        let sizes = tensors.map { $0.shape[0] }
        guard sizes.allSatisfy({ $0 == sizes[0] }) else { throw .sizeMismatch(argument: "tensors", sizes: sizes) }
        self.tensors = tensors
    }

    /// The number of rows.
    public var count: Int { tensors[0].shape[0] }

    /// Row `index` of every tensor (views).
    public subscript(index: Int) -> [Tensor] {
        checkSampleIndex(index, count: count)
        return tensors.map { $0[index] }
    }

    /// Rows `indices` of every tensor, one `indexSelect` per tensor.
    public func batch(at indices: [Int]) -> [Tensor] {
        let index = Tensor(shape: [indices.count], scalars: indices)
        return tensors.map { $0.indexSelect(dim: 0, index: index) }
    }
}

/// A table of numeric features with one target per row, as read from a CSV or bundled with
/// Ember (scikit-learn's `Bunch`: `data`, `target`, `feature_names`).
///
/// It is a data set of `[features[i], targets[i]]`, so `DataLoader(table, batchSize: 32)` yields
/// `(x, y)` batches.
public struct TabularDataset: TensorRowDataset, Sendable {
    /// The features, `[rows, columns]`.
    public let features: Tensor
    /// The targets, `[rows]`.
    public let targets: Tensor
    /// The name of each feature column.
    public let featureNames: [String]
    /// The name of the target column.
    public let targetName: String

    /// A table from `features` (`[rows, columns]`) and `targets` (`[rows]`, same rows).
    public init(features: Tensor, targets: Tensor, featureNames: [String], targetName: String) {
        precondition(
            features.dim == 2 && targets.dim >= 1 && features.shape[0] == targets.shape[0],
            "TabularDataset: features must be [rows, columns] and targets [rows], "
                + "got \(features.shape) and \(targets.shape)")
        precondition(
            featureNames.count == features.shape[1],
            "TabularDataset: \(featureNames.count) feature names for \(features.shape[1]) columns")
        self.features = features
        self.targets = targets
        self.featureNames = featureNames
        self.targetName = targetName
    }

    /// The number of rows.
    public var count: Int { features.shape[0] }

    /// Row `index`: `[features[index], targets[index]]`.
    public subscript(index: Int) -> [Tensor] {
        checkSampleIndex(index, count: count)
        return [features[index], targets[index]]
    }

    /// Rows `indices` of the features and targets, one `indexSelect` each.
    public func batch(at indices: [Int]) -> [Tensor] {
        TensorDataset(features, targets).batch(at: indices)
    }
}
