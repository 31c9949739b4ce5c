/// A map-style data set (`torch.utils.data.Dataset`): a number of samples, each reachable by an
/// index in `0 ..< count`.
///
/// Conform your own types to feed a ``DataLoader``: give `count` (`__len__`) and a subscript
/// (`__getitem__`). A data set whose element is a pair `(Tensor, Tensor)` is batched by stacking;
/// any other element type takes a `collate:` function.
///
/// Threading: a ``DataLoader`` with `numWorkers > 0` reads elements from background threads, so
/// the subscript must only read shared state (the data sets of this module do).
public protocol Dataset<Element> {
    /// The type of one sample.
    associatedtype Element
    /// The number of samples (`len(dataset)`).
    var count: Int { get }
    /// The sample at `index` (`dataset[index]`).
    subscript(index: Int) -> Element { get }
}

/// A data set whose samples are rows of tensors that share their first dimension, and that can
/// gather a whole batch of rows with one copy per tensor instead of one per sample.
///
/// ``TensorDataset`` is the model; ``Subset`` and ``ConcatDataset`` of such data sets keep the fast
/// path. A ``DataLoader`` over one yields `(x, y)` pairs for two tensors, `[Tensor]` otherwise.
public protocol TensorRowDataset: Dataset where Element == [Tensor] {
    /// The rows at `indices` of every tensor, each stacked along a new first dimension
    /// (`__getitems__` followed by `default_collate`).
    func batch(at indices: [Int]) -> [Tensor]
}

/// Checks `index` against a data set's size with PyTorch's message.
func checkSampleIndex(_ index: Int, count: Int) {
    precondition(
        index >= 0 && index < count, "index \(index) is out of bounds for dataset of size \(count)")
}

/// A view of a data set at chosen indices (`torch.utils.data.Subset`).
public struct Subset<Base: Dataset>: Dataset {
    /// The underlying data set.
    public let dataset: Base
    /// The indices into `dataset`, in order: sample `i` of the subset is `dataset[indices[i]]`.
    public let indices: [Int]

    /// A subset of `dataset` at `indices` (`Subset(dataset, indices)`).
    public init(_ dataset: Base, indices: [Int]) {
        for i in indices { checkSampleIndex(i, count: dataset.count) }
        self.dataset = dataset
        self.indices = indices
    }

    /// The number of indices.
    public var count: Int { indices.count }

    /// The sample `dataset[indices[index]]`.
    public subscript(index: Int) -> Base.Element {
        checkSampleIndex(index, count: count)
        return dataset[indices[index]]
    }
}

extension Subset: TensorRowDataset where Base: TensorRowDataset {
    /// The base rows at the mapped indices, gathered in one copy per tensor.
    public func batch(at indices: [Int]) -> [Tensor] {
        dataset.batch(
            at: indices.map { i in
                checkSampleIndex(i, count: count)
                return self.indices[i]
            })
    }
}

/// Several data sets of the same type, one after the other (`torch.utils.data.ConcatDataset`).
public struct ConcatDataset<Base: Dataset>: Dataset {
    /// The parts, in order.
    public let datasets: [Base]
    /// Running totals of the parts' sizes (`cumulative_sizes`): part `k` ends before index
    /// `cumulativeSizes[k]`.
    public let cumulativeSizes: [Int]

    /// The concatenation of `datasets`, which must not be empty.
    public init(_ datasets: [Base]) {
        precondition(!datasets.isEmpty, "datasets should not be an empty iterable")
        self.datasets = datasets
        var total = 0
        cumulativeSizes = datasets.map { part in
            total += part.count
            return total
        }
    }

    /// The total number of samples.
    public var count: Int { cumulativeSizes.last ?? 0 }

    /// The part holding sample `index` and the index within it.
    func locate(_ index: Int) -> (part: Int, local: Int) {
        checkSampleIndex(index, count: count)
        var low = 0
        var high = cumulativeSizes.count - 1
        while low < high {  // first part whose running total exceeds index
            let mid = (low + high) / 2
            if cumulativeSizes[mid] > index { high = mid } else { low = mid + 1 }
        }
        return (low, index - (low == 0 ? 0 : cumulativeSizes[low - 1]))
    }

    /// The sample at `index` of the concatenation.
    public subscript(index: Int) -> Base.Element {
        let (part, local) = locate(index)
        return datasets[part][local]
    }
}

extension ConcatDataset: TensorRowDataset where Base: TensorRowDataset {
    /// Gathers each part's rows in one copy per tensor, then restores the requested order.
    public func batch(at indices: [Int]) -> [Tensor] {
        var local = [[Int]](repeating: [], count: datasets.count)
        var positions = [[Int]](repeating: [], count: datasets.count)
        for (position, index) in indices.enumerated() {
            let (part, i) = locate(index)
            local[part].append(i)
            positions[part].append(position)
        }
        let parts = datasets.indices.filter { !local[$0].isEmpty }
        guard let first = parts.first else { return datasets[0].batch(at: []) }
        if parts.count == 1 { return datasets[first].batch(at: local[first]) }
        let gathered = parts.map { datasets[$0].batch(at: local[$0]) }
        // Row k of the concatenated parts belongs at batch position `order[k]`; invert that.
        var inverse = [Int](repeating: 0, count: indices.count)
        for (k, position) in parts.flatMap({ positions[$0] }).enumerated() { inverse[position] = k }
        let order = Tensor(shape: [indices.count], scalars: inverse)
        return gathered[0].indices.map { t in
            Tensor.cat(gathered.map { $0[t] }).indexSelect(dim: 0, index: order)
        }
    }
}

/// Splits `dataset` at random into non-overlapping subsets of the given sizes
/// (`torch.utils.data.random_split`), which must add up to `dataset.count`.
///
/// The order comes from one permutation drawn from `generator`, so the split repeats after
/// `Ember.manualSeed`.
public func randomSplit<D: Dataset>(_ dataset: D, lengths: [Int], generator: Generator = .current) -> [Subset<D>] {
    precondition(
        lengths.allSatisfy { $0 >= 0 } && lengths.reduce(0, +) == dataset.count,
        "Sum of input lengths does not equal the length of the input dataset!")
    let permutation = randomPermutation(dataset.count, generator: generator)
    var offset = 0
    return lengths.map { length in
        defer { offset += length }
        return Subset(dataset, indices: Array(permutation[offset..<offset + length]))
    }
}

/// Splits `dataset` at random by fractions that add up to 1 (`random_split(ds, [0.8, 0.2])`).
///
/// As PyTorch: each part gets `floor(count * fraction)` samples and the remainder is handed out
/// one sample at a time to the parts in order.
public func randomSplit<D: Dataset>(_ dataset: D, lengths fractions: [Double], generator: Generator = .current)
    -> [Subset<D>]
{
    let total = fractions.reduce(0, +)
    precondition(
        Swift.abs(total - 1) <= 1e-9 * Swift.max(1, Swift.abs(total)) && total <= 1,
        "Sum of input lengths does not equal the length of the input dataset!")
    for (i, fraction) in fractions.enumerated() {
        precondition(fraction >= 0 && fraction <= 1, "Fraction at index \(i) is not between 0 and 1")
    }
    var lengths = fractions.map { Int((Double(dataset.count) * $0).rounded(.down)) }
    let remainder = dataset.count - lengths.reduce(0, +)
    for i in 0..<remainder { lengths[i % lengths.count] += 1 }
    return randomSplit(dataset, lengths: lengths, generator: generator)
}

/// A random permutation of `0 ..< n` as Swift integers (`torch.randperm(n).tolist()`).
func randomPermutation(_ n: Int, generator: Generator) -> [Int] {
    Tensor.randperm(n, generator: generator).toArray(as: Int64.self).map { Int($0) }
}
