// Whole-epoch workloads: issue 8's seed MLP regression epoch (10,000 rows through a shuffled
// DataLoader, as the seed's training loop does it) and issue 5's data-loader epoch alone.
import Ember

func epoch(_ name: String, _ description: String, prepare: @escaping () -> () -> Void) -> Workload {
    Workload(
        name: name, description: description, iterations: 1, metric: { $0 * 1e3 }, unit: "ms/epoch", prepare: prepare)
}

/// One epoch of the seed's regression loop (seed README §5): for each shuffled batch of 32,
/// zeroGrad, forward, MSE, backward, Adam step, and `loss.item()` summed; returns the mean loss.
/// The target, x₀ + x₁, can be learnt: before timing, a second epoch must end below the first.
func mlpSeedEpoch() -> Workload {
    epoch("mlp_seed_epoch", "seed MLP 20-64-64-1 regression, one epoch of 10000 rows, shuffled DataLoader batch 32") {
        let x = Tensor.randn([10_000, 20])
        let y = (x.slice(dim: 1, start: 0, end: 1) + x.slice(dim: 1, start: 1, end: 2)).contiguous()
        let loader = DataLoader(TensorDataset(x, y), batchSize: 32, shuffle: true)
        let model = Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1))
        let criterion = MSELoss()
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let train = {
            model.train()
            var total = 0.0
            for (batchX, batchY) in loader {
                let loss = criterion(model(batchX), batchY)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                total += loss.item()
            }
            return total / Double(loader.count)
        }
        let (first, second) = (train(), train())
        guard first.isFinite, second < first else {
            fail("mlp_seed_epoch: mean losses \(first) then \(second); the loop does not learn")
        }
        return { blackHole(train()) }
    }
}

/// Issue 5's data workload: one shuffled epoch of a 60,000 × 784 `TensorDataset`, batch 64; every
/// row must come out once.
func dataLoaderEpoch() -> Workload {
    epoch("dataloader_epoch", "one shuffled epoch, TensorDataset 60000x784 float32, batch 64") {
        let loader = DataLoader(
            TensorDataset(Tensor.randn([60_000, 784]), Tensor.randint(0, 10, [60_000])), batchSize: 64, shuffle: true)
        let rows = {
            var rows = 0
            for (x, _) in loader { rows += x.shape[0] }
            return rows
        }
        guard rows() == 60_000 else { fail("dataloader_epoch: an epoch did not yield 60000 rows") }
        return { blackHole(rows()) }
    }
}

func epochWorkloads() -> [Workload] { [mlpSeedEpoch(), dataLoaderEpoch()] }
