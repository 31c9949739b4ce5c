/// Samplers: the order in which a ``DataLoader`` visits a data set (`torch.utils.data.Sampler`).

/// A source of sample indices for one pass over a data set (`torch.utils.data.Sampler`).
///
/// `indices()` is called once per epoch; random samplers draw new indices on every call. A sampler
/// is a `Sequence`, so `Array(sampler)` lists one pass like `list(sampler)`.
public protocol Sampler: Sequence where Element == Int, Iterator == IndexingIterator<[Int]> {
    /// The number of indices one pass yields (`len(sampler)`).
    var count: Int { get }
    /// The indices of one pass (`iter(sampler)`).
    func indices() -> [Int]
}

extension Sampler {
    /// Iterates the indices of a new pass.
    public func makeIterator() -> IndexingIterator<[Int]> { indices().makeIterator() }
    /// The number of indices one pass yields.
    public var underestimatedCount: Int { count }
}

/// `0, 1, ..., count - 1` in order (`SequentialSampler`).
public struct SequentialSampler: Sampler, Sendable {
    /// The number of samples.
    public let count: Int

    /// A sampler over `0 ..< count`.
    public init(count: Int) {
        precondition(count >= 0, "SequentialSampler: count must be non-negative, got \(count)")
        self.count = count
    }

    /// A sampler over every index of `dataSource` (`SequentialSampler(data_source)`).
    public init<D: Dataset>(_ dataSource: D) { self.init(count: dataSource.count) }

    /// `0 ..< count`.
    public func indices() -> [Int] { Array(0..<count) }
}

/// Indices in random order (`RandomSampler`): a new permutation every pass, or `numSamples`
/// uniform draws with `replacement`.
///
/// Without replacement and with `numSamples` above the data set's size, whole permutations follow
/// one another, then part of one, as in PyTorch.
public struct RandomSampler: Sampler, Sendable {
    /// The number of samples in the data set.
    public let dataCount: Int
    /// Whether indices are drawn with replacement.
    public let replacement: Bool
    /// The number of indices one pass yields.
    public let count: Int
    /// The source of randomness.
    public let generator: Generator

    /// A random sampler over `0 ..< count`.
    public init(count: Int, replacement: Bool = false, numSamples: Int? = nil, generator: Generator = .current) {
        let samples = numSamples ?? count
        precondition(
            samples > 0 || (numSamples == nil && count == 0),
            "num_samples should be a positive integer value, but got num_samples=\(samples)")
        precondition(
            !replacement || count > 0 || samples == 0, "RandomSampler: cannot draw with replacement from 0 samples")
        dataCount = count
        self.replacement = replacement
        self.count = samples
        self.generator = generator
    }

    /// A random sampler over the indices of `dataSource` (`RandomSampler(data_source, ...)`).
    public init<D: Dataset>(
        _ dataSource: D, replacement: Bool = false, numSamples: Int? = nil, generator: Generator = .current
    ) {
        self.init(count: dataSource.count, replacement: replacement, numSamples: numSamples, generator: generator)
    }

    /// One pass of random indices.
    public func indices() -> [Int] {
        if replacement {
            return Tensor.randint(0, dataCount, [count], generator: generator).toArray(as: Int64.self).map { Int($0) }
        }
        var result = [Int]()
        result.reserveCapacity(count)
        while result.count < count {
            result += randomPermutation(dataCount, generator: generator).prefix(count - result.count)
        }
        return result
    }
}

/// The given indices in random order, a new permutation every pass (`SubsetRandomSampler`).
public struct SubsetRandomSampler: Sampler, Sendable {
    /// The indices to permute.
    public let subsetIndices: [Int]
    /// The source of randomness.
    public let generator: Generator

    /// A sampler visiting `indices` in random order.
    public init(indices: [Int], generator: Generator = .current) {
        subsetIndices = indices
        self.generator = generator
    }

    /// The number of indices.
    public var count: Int { subsetIndices.count }

    /// The indices in a new random order.
    public func indices() -> [Int] {
        randomPermutation(subsetIndices.count, generator: generator).map { subsetIndices[$0] }
    }
}

/// Indices drawn with probabilities proportional to `weights` (`WeightedRandomSampler`, through
/// `torch.multinomial`), for example to balance classes.
///
/// Without replacement, each pass is a weighted draw of distinct indices (sequential sampling,
/// implemented with exponential keys).
public struct WeightedRandomSampler: Sampler, Sendable {
    /// One non-negative weight per sample.
    public let weights: [Double]
    /// The number of indices one pass yields.
    public let count: Int
    /// Whether indices are drawn with replacement.
    public let replacement: Bool
    /// The source of randomness.
    public let generator: Generator

    /// A sampler drawing `numSamples` indices in `0 ..< weights.count`, index `i` with probability
    /// proportional to `weights[i]`.
    public init(weights: [Double], numSamples: Int, replacement: Bool = true, generator: Generator = .current) {
        precondition(
            numSamples > 0, "num_samples should be a positive integer value, but got num_samples=\(numSamples)")
        precondition(
            weights.allSatisfy { $0.isFinite && $0 >= 0 },
            "probability tensor contains either `inf`, `nan` or element < 0")
        precondition(weights.reduce(0, +) > 0, "invalid multinomial distribution (sum of probabilities <= 0)")
        precondition(
            replacement || numSamples <= weights.count(where: { $0 > 0 }),
            "invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)")
        self.weights = weights
        self.count = numSamples
        self.replacement = replacement
        self.generator = generator
    }

    /// A sampler with weights read from a 1-D tensor.
    public init(weights: Tensor, numSamples: Int, replacement: Bool = true, generator: Generator = .current) {
        precondition(weights.dim == 1, "weights should be a 1d sequence but given weights have shape \(weights.shape)")
        self.init(weights: weights.scalars, numSamples: numSamples, replacement: replacement, generator: generator)
    }

    /// One pass of weighted random indices.
    public func indices() -> [Int] {
        generator.withSource { source in
            if replacement {
                var cumulative = [Double]()
                cumulative.reserveCapacity(weights.count)
                var total = 0.0
                for w in weights {
                    total += w
                    cumulative.append(total)
                }
                return (0..<count).map { _ in
                    let u = source.uniform() * total
                    // First index whose running total exceeds u (zero weights are never picked).
                    var low = 0
                    var high = cumulative.count - 1
                    while low < high {
                        let mid = (low + high) / 2
                        if cumulative[mid] > u { high = mid } else { low = mid + 1 }
                    }
                    return low
                }
            }
            // Efraimidis-Spirakis: the largest keys log(u) / w give a weighted draw without
            // replacement, distributed as drawing one index at a time.
            let keys = weights.map { w in w > 0 ? Double.log(1 - source.uniform()) / w : -Double.infinity }
            return Array(keys.indices.sorted { keys[$0] > keys[$1] }.prefix(count))
        }
    }
}

/// Groups another sampler's indices into batches (`BatchSampler`): `batchSize` indices each, the
/// last one shorter unless `dropLast` drops it.
public struct BatchSampler: Sequence {
    /// The sampler whose indices are grouped.
    public let sampler: any Sampler
    /// The number of indices per batch.
    public let batchSize: Int
    /// Whether a last, incomplete batch is dropped.
    public let dropLast: Bool

    /// Groups `sampler`'s indices by `batchSize`; throws
    /// ``DataError/invalidArgument(argument:message:)`` with PyTorch's message when `batchSize` is
    /// not positive.
    public init(_ sampler: any Sampler, batchSize: Int, dropLast: Bool) throws(DataError) {
        guard batchSize > 0 else {
            throw .invalidArgument(
                argument: "batchSize",
                message: "batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        }
        self.sampler = sampler
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// The number of batches in one pass (`len(batch_sampler)`).
    public var count: Int {
        dropLast ? sampler.count / batchSize : (sampler.count + batchSize - 1) / batchSize
    }

    /// The batches of one pass, drawing new indices from the sampler.
    public func batches() -> [[Int]] {
        let all = sampler.indices()
        let end = dropLast ? all.count - all.count % batchSize : all.count
        return stride(from: 0, to: end, by: batchSize).map { Array(all[$0..<Swift.min($0 + batchSize, end)]) }
    }

    /// Iterates the batches of a new pass.
    public func makeIterator() -> IndexingIterator<[[Int]]> { batches().makeIterator() }
}
