// Training-step workloads of issues 4 and 8: one optimizer step over 1M parameters, and one full
// step (forward, loss, backward, Adam) of the seed's models. Benchmarks/pytorch_bench.py times the
// same models with the same shapes.
import Ember

/// A training-step workload: `makeStep` builds the model and data once, and returns the step.
func trainingStep(_ name: String, _ description: String, iterations: Int, makeStep: @escaping () -> () -> Void)
    -> Workload
{
    Workload(
        name: name, description: description, iterations: iterations, metric: { $0 * 1e3 }, unit: "ms/step",
        prepare: makeStep)
}

/// One step of `model` on `(x, y)` with `loss`, through Adam.
func adamStep(_ model: Module, _ x: Tensor, _ y: Tensor, loss: @escaping (Tensor, Tensor) -> Tensor) -> () -> Void {
    let optimizer = Adam(model.parameters(), lr: 1e-3)
    return {
        optimizer.zeroGrad()
        let value = loss(model(x), y)
        value.backward()
        optimizer.step()
    }
}

func trainingWorkloads() -> [Workload] {
    [
        trainingStep("adam_step_1M", "Adam step over 1,000,000 float32 parameters", iterations: 50) {
            let p = Parameter(Tensor.randn([1_000_000]))
            p.grad = Tensor.randn([1_000_000])
            let optimizer = Adam([p], lr: 1e-3)
            return { optimizer.step() }
        },
        trainingStep("mlp_seed_step", "seed MLP 20-64-64-1, batch 32, MSE, Adam", iterations: 500) {
            adamStep(
                Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1)), Tensor.randn([32, 20]),
                Tensor.randn([32, 1])
            ) { F.mseLoss($0, $1) }
        },
        trainingStep("mlp_784_step", "MLP 784-256-10, batch 64, cross-entropy, Adam", iterations: 100) {
            adamStep(
                Sequential(Linear(784, 256), ReLU(), Linear(256, 10)), Tensor.randn([64, 784]),
                Tensor.randint(0, 10, [64])
            ) { F.crossEntropy($0, $1) }
        },
        trainingStep("cnn_seed_step", "seed CNN conv(1,32,3)-relu-maxpool(2)-linear, batch 64, 1x28x28", iterations: 10)
        {
            adamStep(
                Sequential(
                    Conv2d(1, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(32 * 13 * 13, 10)),
                Tensor.randn([64, 1, 28, 28]), Tensor.randint(0, 10, [64])
            ) { F.crossEntropy($0, $1) }
        },
        trainingStep("lstm_step", "LSTM input 64, hidden 128, sequence 32, batch 64 (batch first), Adam", iterations: 5)
        {
            let lstm = LSTM(64, 128, batchFirst: true)
            let x = Tensor.randn([64, 32, 64])
            let optimizer = Adam(lstm.parameters(), lr: 1e-3)
            return {
                optimizer.zeroGrad()
                let (output, _) = lstm(x)
                output.pow(2).mean().backward()
                optimizer.step()
            }
        },
    ]
}

/// Issue 5's data workload: one shuffled epoch of a 60,000 × 784 `TensorDataset`, batch 64.
func dataLoaderEpoch() -> Workload {
    Workload(
        name: "dataloader_epoch", description: "one shuffled epoch, TensorDataset 60000x784 float32, batch 64",
        iterations: 1, metric: { $0 * 1e3 }, unit: "ms/epoch",
        prepare: {
            let loader = DataLoader(
                TensorDataset(Tensor.randn([60_000, 784]), Tensor.randint(0, 10, [60_000])), batchSize: 64,
                shuffle: true)
            return {
                var rows = 0
                for (x, _) in loader { rows += x.shape[0] }
                blackHole(rows)
            }
        })
}
