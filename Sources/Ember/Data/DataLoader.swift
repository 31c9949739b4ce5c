/// Iterates a data set in batches (`torch.utils.data.DataLoader`).
///
/// ```swift
/// let trainLoader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 32, shuffle: true)
/// for (batchX, batchY) in trainLoader { ... }     // two tensors: (x, y) pairs
/// trainLoader.count                                 // number of batches
/// ```
///
/// - Batches of a ``TensorRowDataset`` (``TensorDataset``, ``TabularDataset``, ``MNIST``, and
///   ``Subset``/``ConcatDataset`` of them) are gathered with one copy per tensor. Two tensors
///   iterate as `(Tensor, Tensor)`; any number as `[Tensor]` through ``batches`` or a
///   `DataLoader<[Tensor]>`.
/// - A data set of `(Tensor, Tensor)` samples is batched by stacking; any other element type takes
///   a `collate:` function (`collate_fn`).
/// - Order: `shuffle` draws a new permutation from `generator` (the default generator, seeded by
///   `Ember.manualSeed`) every time iteration starts, i.e. every epoch; `sampler:` and
///   `batchSampler:` choose any other order.
/// - `numWorkers > 0` prepares up to `2 * numWorkers` batches ahead on background threads while
///   the loop body runs; batches and their order are exactly those of `numWorkers: 0`. The data
///   set and `collate` are then called from those threads and must only read shared state (the
///   data sets of this module do; don't modify the data set's tensors while a loop runs).
public struct DataLoader<Batch>: Sequence {
    /// The number of samples per batch (`batch_size`), or `nil` when a `batchSampler` decides.
    public let batchSize: Int?
    /// Whether the last, incomplete batch is dropped (`drop_last`).
    public let dropLast: Bool
    /// The number of background threads preparing batches (`num_workers`).
    public let numWorkers: Int
    /// The batches of index lists, drawn anew at each iteration.
    let batchSampler: BatchSampler
    /// Turns one batch of indices into a batch.
    let fetch: ([Int]) -> Batch
    /// Gathers all tensors of a batch, for tensor-row data sets (backs ``batches``).
    let rows: (([Int]) -> [Tensor])?

    /// The number of batches per epoch (`len(loader)`).
    public var count: Int { batchSampler.count }

    init(
        batchSize: Int?, batchSampler: BatchSampler, numWorkers: Int, fetch: @escaping ([Int]) -> Batch,
        rows: (([Int]) -> [Tensor])?
    ) {
        self.batchSize = batchSize
        dropLast = batchSampler.dropLast
        self.numWorkers = numWorkers
        self.batchSampler = batchSampler
        self.fetch = fetch
        self.rows = rows
    }

    /// Builds the loader from PyTorch's arguments, stopping with PyTorch's messages on misuse.
    init(
        count: Int, batchSize: Int, shuffle: Bool, sampler: (any Sampler)?, batchSampler: BatchSampler?,
        numWorkers: Int, dropLast: Bool, generator: Generator, fetch: @escaping ([Int]) -> Batch,
        rows: (([Int]) -> [Tensor])? = nil
    ) {
        precondition(
            numWorkers >= 0, "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if let batchSampler {
            precondition(
                batchSize == 1 && !shuffle && sampler == nil && !dropLast,
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            self.init(batchSize: nil, batchSampler: batchSampler, numWorkers: numWorkers, fetch: fetch, rows: rows)
            return
        }
        precondition(sampler == nil || !shuffle, "sampler option is mutually exclusive with shuffle")
        let order: any Sampler =
            sampler ?? (shuffle ? RandomSampler(count: count, generator: generator) : SequentialSampler(count: count))
        do {
            let batches = try BatchSampler(order, batchSize: batchSize, dropLast: dropLast)
            self.init(batchSize: batchSize, batchSampler: batches, numWorkers: numWorkers, fetch: fetch, rows: rows)
        } catch {
            preconditionFailure(error.description)
        }
    }

    /// A data set with a `collate` function turning a list of samples into a batch
    /// (`DataLoader(dataset, collate_fn=...)`).
    public init<D: Dataset>(
        _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler)? = nil,
        batchSampler: BatchSampler? = nil, numWorkers: Int = 0, collate: @escaping ([D.Element]) -> Batch,
        dropLast: Bool = false, generator: Generator = .current
    ) {
        self.init(
            count: dataset.count, batchSize: batchSize, shuffle: shuffle, sampler: sampler, batchSampler: batchSampler,
            numWorkers: numWorkers, dropLast: dropLast, generator: generator
        ) { indices in collate(indices.map { dataset[$0] }) }
    }

    /// Iterates one epoch: draws the epoch's batches of indices (a new permutation when
    /// shuffling) and, with workers, starts preparing them.
    public func makeIterator() -> Iterator {
        let plan = batchSampler.batches()
        return Iterator(
            plan: plan, fetch: fetch,
            prefetcher: numWorkers > 0 ? Prefetcher(plan: plan, workers: numWorkers, fetch: fetch) : nil)
    }

    /// One epoch of batches. Breaking out of a loop early stops the background workers.
    public final class Iterator: IteratorProtocol {
        private let plan: [[Int]]
        private let fetch: ([Int]) -> Batch
        private let prefetcher: Prefetcher<Batch>?
        private var position = 0

        init(plan: [[Int]], fetch: @escaping ([Int]) -> Batch, prefetcher: Prefetcher<Batch>?) {
            self.plan = plan
            self.fetch = fetch
            self.prefetcher = prefetcher
        }

        /// The next batch, or `nil` at the end of the epoch.
        public func next() -> Batch? {
            if let prefetcher { return prefetcher.next() }
            guard position < plan.count else { return nil }
            position += 1
            return fetch(plan[position - 1])
        }

        deinit { prefetcher?.stop() }
    }
}

extension DataLoader where Batch == (Tensor, Tensor) {
    /// A loader over a data set of two tensors (``TensorDataset``, ``TabularDataset``, ``MNIST``...),
    /// yielding `(x, y)` batches gathered with one copy per tensor.
    ///
    /// Stops with PyTorch's "batch_size should be a positive integer value, but got batch_size=0"
    /// for a `batchSize` below 1; build a ``BatchSampler`` to get a ``DataError`` instead. Data sets
    /// of another number of tensors iterate through ``batches``.
    public init<D: TensorRowDataset>(
        _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler)? = nil,
        batchSampler: BatchSampler? = nil, numWorkers: Int = 0, dropLast: Bool = false,
        generator: Generator = .current
    ) {
        self.init(
            count: dataset.count, batchSize: batchSize, shuffle: shuffle, sampler: sampler, batchSampler: batchSampler,
            numWorkers: numWorkers, dropLast: dropLast, generator: generator,
            fetch: { indices in
                let tensors = dataset.batch(at: indices)
                precondition(
                    tensors.count == 2,
                    "DataLoader: iterating as (x, y) needs a data set of 2 tensors, this one has \(tensors.count); "
                        + "iterate `loader.batches` to get [Tensor]")
                return (tensors[0], tensors[1])
            }, rows: dataset.batch(at:))
    }

    /// A loader over a data set of `(Tensor, Tensor)` samples, batched by stacking each side along
    /// a new first dimension (`default_collate`).
    public init<D: Dataset>(
        _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler)? = nil,
        batchSampler: BatchSampler? = nil, numWorkers: Int = 0, dropLast: Bool = false,
        generator: Generator = .current
    ) where D.Element == (Tensor, Tensor) {
        self.init(
            dataset, batchSize: batchSize, shuffle: shuffle, sampler: sampler, batchSampler: batchSampler,
            numWorkers: numWorkers,
            collate: { samples in (Tensor.stack(samples.map(\.0)), Tensor.stack(samples.map(\.1))) },
            dropLast: dropLast, generator: generator)
    }

    /// The same batches as arrays of tensors, holding every tensor of the data set (for data sets
    /// of more than two tensors).
    public var batches: DataLoader<[Tensor]> {
        let pairs = fetch
        return DataLoader<[Tensor]>(
            batchSize: batchSize, batchSampler: batchSampler, numWorkers: numWorkers,
            fetch: rows
                ?? { indices in
                    let (x, y) = pairs(indices)
                    return [x, y]
                }, rows: rows)
    }
}

extension DataLoader where Batch == [Tensor] {
    /// A loader over a data set of any number of tensors, yielding one `[Tensor]` per batch
    /// (`let loader: DataLoader<[Tensor]> = DataLoader(TensorDataset(a, b, c), batchSize: 8)`).
    @_disfavoredOverload
    public init<D: TensorRowDataset>(
        _ dataset: D, batchSize: Int = 1, shuffle: Bool = false, sampler: (any Sampler)? = nil,
        batchSampler: BatchSampler? = nil, numWorkers: Int = 0, dropLast: Bool = false,
        generator: Generator = .current
    ) {
        self.init(
            count: dataset.count, batchSize: batchSize, shuffle: shuffle, sampler: sampler, batchSampler: batchSampler,
            numWorkers: numWorkers, dropLast: dropLast, generator: generator, fetch: dataset.batch(at:),
            rows: dataset.batch(at:))
    }
}
