import Foundation
import Testing

@testable import Ember

/// A data set of `n` rows whose contents tell which row they are: x[i] = [i, 10 i], y[i] = i.
private func numbered(_ n: Int) -> TensorDataset {
    let x = Tensor(shape: [n, 2], scalars: (0..<n).flatMap { [Float($0), Float(10 * $0)] })
    return TensorDataset(x, Tensor.arange(0, n))
}

/// The labels of one epoch, batch by batch, checking that every batch's rows belong together.
private func epoch(_ loader: DataLoader<(Tensor, Tensor)>) -> [[Int64]] {
    loader.map { x, y in
        let labels = y.toArray(as: Int64.self)
        let rows = x.toArray(as: Float.self)
        #expect(x.shape == [labels.count, 2])
        #expect(rows == labels.flatMap { [Float($0), Float(10 * $0)] })
        return labels
    }
}

private func stderrText(_ result: ExitTest.Result?) -> String {
    result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
}

@Suite struct DataLoaderTests {
    /// The data lines of shared/API.md, compiled as written.
    @Test func apiTrainingBlockDataLines() {
        let features = (0..<20_000).map { _ in Float.random(in: -1...1) }
        let targets = (0..<1000).map { i in features[i * 20] + features[i * 20 + 1] }
        let xTrain = Tensor(shape: [1000, 20], scalars: features)
        let yTrain = Tensor(shape: [1000], scalars: targets).view(-1, 1)
        let trainLoader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 32, shuffle: true)
        var rows = 0
        var seen = Set<Float>()
        for (batchX, batchY) in trainLoader {
            #expect(batchX.shape[1] == 20 && batchY.shape[1] == 1 && batchX.shape[0] == batchY.shape[0])
            #expect(batchX.shape[0] == 32 || batchX.shape[0] == 1000 % 32)
            // y was computed from x: the rows are still paired after shuffling.
            let x = batchX.toArray(as: Float.self)
            let y = batchY.toArray(as: Float.self)
            for r in 0..<y.count { #expect(y[r] == x[r * 20] + x[r * 20 + 1]) }
            rows += batchX.shape[0]
            seen.formUnion(x.enumerated().filter { $0.offset % 20 == 0 }.map(\.element))
        }
        #expect(trainLoader.count == 32)
        #expect(rows == 1000)
        #expect(seen == Set((0..<1000).map { features[$0 * 20] }))
    }

    @Test func apiMoreFixedSpellingsLoader() {
        let ds = TensorDataset(Tensor.randn([100, 1]), Tensor.randint(0, 2, [100]))
        let loader = DataLoader(ds, batchSize: 32, shuffle: true, dropLast: true)  // loader.count == 3
        #expect(loader.count == 3)
        #expect(loader.map { $0.0.shape[0] } == [32, 32, 32])
        #expect(loader.allSatisfy { $0.1.dtype == .int64 && $0.1.shape == [32] })
    }

    @Test(arguments: [false, true], [0, 2])
    func everySampleExactlyOncePerEpoch(shuffle: Bool, numWorkers: Int) {
        let ds = numbered(103)
        for dropLast in [false, true] {
            let loader = DataLoader(ds, batchSize: 10, shuffle: shuffle, numWorkers: numWorkers, dropLast: dropLast)
            #expect(loader.count == (dropLast ? 10 : 11))
            for _ in 0..<2 {
                let batches = epoch(loader)
                #expect(batches.count == loader.count)
                #expect(batches.dropLast().allSatisfy { $0.count == 10 })
                #expect(batches.last?.count == (dropLast ? 10 : 3))
                let labels = batches.flatMap { $0 }
                #expect(Set(labels).count == labels.count)
                if dropLast {
                    #expect(labels.count == 100)
                } else {
                    #expect(labels.sorted() == Array(0..<103))
                }
                if !shuffle { #expect(labels == Array(0..<Int64(labels.count))) }
            }
        }
    }

    @Test func shufflingRepeatsWithTheSeedAndChangesEveryEpoch() {
        let generator = Generator(seed: 7)
        let loader = DataLoader(numbered(50), batchSize: 8, shuffle: true, generator: generator)
        let first = epoch(loader)
        let second = epoch(loader)
        generator.manualSeed(7)
        #expect(epoch(loader) == first)
        #expect(epoch(loader) == second)
        #expect(first != second)
        #expect(first.flatMap { $0 } != Array(0..<50))
        #expect(epoch(DataLoader(numbered(50), batchSize: 8, shuffle: true, generator: Generator(seed: 7))) == first)
    }

    /// `Ember.manualSeed` makes the default shuffle repeat; checked in a child process because the
    /// default generator is shared with tests running in parallel.
    @Test func manualSeedRepeatsTheDefaultShuffle() async {
        await #expect(processExitsWith: .success) {
            let loader = DataLoader(numbered(50), batchSize: 8, shuffle: true)
            Ember.manualSeed(7)
            let first = epoch(loader)
            let second = epoch(loader)
            Ember.manualSeed(7)
            precondition(epoch(loader) == first && epoch(loader) == second && first != second)
            // The default generator seeded with 7 is in the state of a new generator seeded with 7.
            let explicit = DataLoader(numbered(50), batchSize: 8, shuffle: true, generator: Generator(seed: 7))
            precondition(epoch(explicit) == first)
        }
    }

    @Test func workersDeliverTheSameBatchesInTheSameOrder() {
        let ds = numbered(500)
        let plain = epoch(DataLoader(ds, batchSize: 7, shuffle: true, generator: Generator(seed: 11)))
        for workers in [1, 2, 4] {
            let loader = DataLoader(
                ds, batchSize: 7, shuffle: true, numWorkers: workers, generator: Generator(seed: 11))
            #expect(epoch(loader) == plain)
        }
    }

    @Test func breakingOutOfAWorkerLoopStopsCleanly() {
        let loader = DataLoader(numbered(200), batchSize: 4, numWorkers: 2)
        for _ in 0..<20 {
            for (_, y) in loader {
                #expect(y.toArray(as: Int64.self) == [0, 1, 2, 3])
                break
            }
        }
        #expect(epoch(loader).count == 50)
    }

    @Test func moreThanTwoTensorsIterateAsArrays() {
        let n = 9
        let ds = TensorDataset(Tensor.arange(0, n), Tensor.arange(0, n) * 2, Tensor.randn([n, 3, 2]))
        let typed: DataLoader<[Tensor]> = DataLoader(ds, batchSize: 4)
        let viaBatches = DataLoader(ds, batchSize: 4).batches
        for loader in [typed, viaBatches] {
            let batches = Array(loader)
            #expect(batches.count == 3 && batches.allSatisfy { $0.count == 3 })
            #expect(batches[2][0].toArray(as: Int64.self) == [8])
            #expect(batches[1][1].toArray(as: Int64.self) == [8, 10, 12, 14])
            #expect(batches[1][2].equal(ds.tensors[2][4..<8]))
        }
        let pairs = DataLoader(TensorDataset(Tensor.arange(0, 5), Tensor.arange(5, 10)), batchSize: 2).batches
        #expect(pairs.map { $0[1].toArray(as: Int64.self) } == [[5, 6], [7, 8], [9]])
    }

    @Test func batchesAreGatheredRowsOfEveryTensor() {
        let x = Tensor.randn([20, 3, 4])
        let y = Tensor.randn([20])
        let flags = Tensor(shape: [20], scalars: (0..<20).map { $0 % 3 == 1 })
        let ds = TensorDataset(x, y, flags)
        let rows = [19, 0, 7, 7, 3]
        let batch = ds.batch(at: rows)
        for (k, r) in rows.enumerated() {
            #expect(batch[0][k].equal(x[r]) && batch[1][k].equal(y[r]) && batch[2][k].equal(flags[r]))
        }
        #expect(batch[0].shape == [5, 3, 4] && batch[2].dtype == .bool)
        // A non-contiguous tensor takes the strided path and gives the same rows.
        let transposed = Tensor.randn([4, 20]).t()
        let gathered = TensorDataset(transposed).batch(at: rows)[0]
        for (k, r) in rows.enumerated() { #expect(gathered[k].equal(transposed[r])) }
        #expect(ds[7].count == 3 && ds[7][0].equal(x[7]))
    }

    @Test func pairDatasetsStackAndCollateFunctionsBatchAnything() {
        struct Squares: Dataset {
            var count: Int { 10 }
            subscript(index: Int) -> (Tensor, Tensor) {
                (Tensor([Float(index), 1]), Tensor(Double(index * index), dtype: .int64))
            }
        }
        let batches = Array(DataLoader(Squares(), batchSize: 4))
        #expect(batches.map { $0.0.shape } == [[4, 2], [4, 2], [2, 2]])
        #expect(batches[1].1.toArray(as: Int64.self) == [16, 25, 36, 49])

        struct Words: Dataset {
            let words = ["a", "bb", "ccc", "dddd", "eeeee"]
            var count: Int { words.count }
            subscript(index: Int) -> String { words[index] }
        }
        let lengths = DataLoader(Words(), batchSize: 2, collate: { Tensor($0.map { Int64($0.count) }) })
        #expect(lengths.map { $0.toArray(as: Int64.self) } == [[1, 2], [3, 4], [5]])
        #expect(lengths.count == 3)
    }

    @Test func samplers() {
        #expect(Array(SequentialSampler(count: 4)) == [0, 1, 2, 3])
        #expect(SequentialSampler(numbered(6)).count == 6)

        let random = RandomSampler(count: 10, generator: Generator(seed: 1))
        #expect(Array(random).sorted() == Array(0..<10))
        #expect(Array(random) != Array(random))
        let longer = RandomSampler(count: 4, numSamples: 10, generator: Generator(seed: 2)).indices()
        #expect(longer.count == 10 && Array(longer[0..<4]).sorted() == [0, 1, 2, 3])
        #expect(Array(longer[4..<8]).sorted() == [0, 1, 2, 3] && Set(longer[8...]).count == 2)
        let drawn = RandomSampler(count: 3, replacement: true, numSamples: 300, generator: Generator(seed: 3)).indices()
        #expect(drawn.count == 300 && Set(drawn) == [0, 1, 2])

        let subset = SubsetRandomSampler(indices: [5, 9, 2, 40], generator: Generator(seed: 4))
        #expect(subset.count == 4 && Array(subset).sorted() == [2, 5, 9, 40])

        let weights = [0.0, 1, 3, 0]
        let weighted = WeightedRandomSampler(weights: weights, numSamples: 4000, generator: Generator(seed: 5))
        let picks = weighted.indices()
        #expect(Set(picks) == [1, 2])
        let share = Double(picks.count { $0 == 2 }) / 4000
        #expect(share > 0.72 && share < 0.78)  // 3/4 expected, about 10 standard deviations of slack
        let distinct = WeightedRandomSampler(
            weights: Tensor([1, 5, 0, 2, 2] as [Double]), numSamples: 4, replacement: false,
            generator: Generator(seed: 6))
        #expect(distinct.indices().sorted() == [0, 1, 3, 4])
        let firsts = (0..<2000).map { _ in distinct.indices()[0] }
        #expect(Double(firsts.count { $0 == 1 }) / 2000 > 0.45)  // weight 5 of 10 drawn first half the time

        let ordered = DataLoader(numbered(10), batchSize: 3, sampler: SubsetRandomSampler(indices: [1, 3, 5, 7]))
        #expect(Set(epoch(ordered).flatMap { $0 }) == [1, 3, 5, 7] && ordered.count == 2)
    }

    @Test func batchSamplerGroupsAndRejectsBatchSizeZero() throws {
        let grouped = try BatchSampler(SequentialSampler(count: 10), batchSize: 4, dropLast: false)
        #expect(Array(grouped) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] && grouped.count == 3)
        let dropped = try BatchSampler(SequentialSampler(count: 10), batchSize: 4, dropLast: true)
        #expect(dropped.batches() == [[0, 1, 2, 3], [4, 5, 6, 7]] && dropped.count == 2)
        let expected = DataError.invalidArgument(
            argument: "batchSize", message: "batch_size should be a positive integer value, but got batch_size=0")
        #expect(throws: expected) { try BatchSampler(SequentialSampler(count: 10), batchSize: 0, dropLast: false) }
        #expect(expected.description == "batch_size should be a positive integer value, but got batch_size=0")

        let loader = DataLoader(
            numbered(10), batchSampler: try BatchSampler(RandomSampler(count: 10), batchSize: 5, dropLast: false))
        #expect(loader.count == 2 && loader.batchSize == nil && epoch(loader).flatMap { $0 }.sorted() == Array(0..<10))
    }

    @Test func loaderLengthsMatchPyTorch() throws {
        for c in try dataFixtures().loaderLen {
            let loader = DataLoader(numbered(c.n), batchSize: c.batchSize, dropLast: c.dropLast)
            #expect(loader.count == c.len, "n=\(c.n) batch_size=\(c.batchSize) drop_last=\(c.dropLast)")
            #expect(epoch(loader).count == c.len)
        }
    }

    @Test func batchSizeZeroStopsWithPyTorchsMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataLoader(TensorDataset(Tensor.zeros([4, 1])), batchSize: 0)
        }
        #expect(stderrText(result).contains("batch_size should be a positive integer value, but got batch_size=0"))
    }

    @Test func samplerAndShuffleAreExclusive() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataLoader(TensorDataset(Tensor.zeros([4, 1])), shuffle: true, sampler: SequentialSampler(count: 4))
        }
        #expect(stderrText(result).contains("sampler option is mutually exclusive with shuffle"))
    }

    @Test func pairIterationOfThreeTensorsPointsToBatches() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            for _ in DataLoader(TensorDataset(Tensor.zeros([4]), Tensor.zeros([4]), Tensor.zeros([4]))) {}
        }
        #expect(stderrText(result).contains("needs a data set of 2 tensors, this one has 3"))
    }
}
