// Training-step workloads of issues 4 and 8: one optimizer step over 1M parameters, and one full
// step (forward, loss, backward, optimizer) of the seed's and issue 8's models. Benchmarks/
// pytorch_bench.py times the same models with the same shapes, losses and optimizers.
import Ember
import EmberVision

/// One training step on a fixed batch; returns the loss it back-propagated.
typealias Step = () -> Tensor

/// A training-step workload: `makeStep` builds the model and data once. Before it is timed, the
/// step must learn: six steps on the same batch give finite losses, the last below the first (not
/// fewer: Adam's first steps on a fresh model can overshoot, in PyTorch as well).
func trainingStep(
    _ name: String, _ description: String, iterations: Int, maxRepeats: Int? = nil,
    makeStep: @escaping () -> Step
) -> Workload {
    Workload(
        name: name, description: description, iterations: iterations, metric: { $0 * 1e3 }, unit: "ms/step",
        prepare: {
            let step = makeStep()
            let losses: [Double] = (0..<6).map { _ in step().item() }
            guard losses.allSatisfy(\.isFinite), losses[5] < losses[0] else {
                fail("\(name): six steps on one batch gave losses \(losses); the step does not learn")
            }
            return { blackHole(step()) }
        }, maxRepeats: maxRepeats)
}

/// One step of `model` on `(x, y)` with `loss`, through `optimizer` (Adam with lr 1e-3 if nil).
func step(
    _ model: Module, _ x: Tensor, _ y: Tensor? = nil, optimizer: Optimizer? = nil,
    loss: @escaping (Tensor, Tensor?) -> Tensor
) -> Step {
    let optimizer = optimizer ?? Adam(model.parameters(), lr: 1e-3)
    return {
        optimizer.zeroGrad()
        let value = loss(model(x), y)
        value.backward()
        optimizer.step()
        return value.detach()
    }
}

func crossEntropy(_ logits: Tensor, _ target: Tensor?) -> Tensor { F.crossEntropy(logits, target!) }

/// The loss of the recurrent steps: the mean square of the output sequence.
func meanSquare(_ output: Tensor, _: Tensor?) -> Tensor { output.pow(2).mean() }

/// The seed's hybrid model (seed README §1.7): convolution, ReLU, 2×2 max pool, each image's
/// features flattened, and the batch read as one unbatched sequence by an RNN.
final class CNNRNN: Module {
    let cnn = Sequential(Conv2d(1, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2))
    let rnn = RNN(32 * 13 * 13, 128, batchFirst: true)

    override func forward(_ input: Tensor) -> Tensor {
        let x = cnn(input)
        let (output, _) = rnn(x.view(x.size(0), -1))
        return output
    }
}

/// The seed's CNN: Conv2d(1, 32, 3), ReLU, MaxPool2d(2), Linear, for 1×28×28 images.
func seedCNN() -> Module {
    Sequential(Conv2d(1, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(32 * 13 * 13, 10))
}

/// A recurrent step of issue 8's shape: input 64, hidden 128, sequence 32, batch 64, batch first.
func recurrentStep(_ module: Module) -> Step {
    step(module, Tensor.randn([64, 32, 64]), loss: meanSquare)
}

/// Checks the first Adam step over `p` with gradient `g`: every element moves by lr·sign(g), up
/// to eps (Adam's first bias-corrected update is g / (|g| + eps)).
func adamOneMillion() -> Workload {
    Workload(
        name: "adam_step_1M", description: "Adam step over 1,000,000 float32 parameters", iterations: 50,
        metric: { $0 * 1e3 }, unit: "ms/step",
        prepare: {
            let p = Parameter(Tensor.randn([1_000_000]))
            let g = Tensor.randn([1_000_000])
            p.grad = g
            let optimizer = Adam([p], lr: 1e-3)
            let before = p.detach().toArray(as: Float.self)
            optimizer.step()
            let (after, gradient) = (p.detach().toArray(as: Float.self), g.toArray(as: Float.self))
            for i in stride(from: 0, to: before.count, by: 9_973) {
                let expected = before[i] - 1e-3 * gradient[i] / (Swift.abs(gradient[i]) + 1e-8)
                if Swift.abs(after[i] - expected) > 1e-6 {
                    fail("adam_step_1M: first step moved p[\(i)] to \(after[i]), expected \(expected)")
                }
            }
            return { optimizer.step() }
        })
}

func trainingWorkloads() -> [Workload] {
    [
        adamOneMillion(),
        trainingStep("mlp_seed_step", "seed MLP 20-64-64-1, batch 32, MSE, Adam", iterations: 500) {
            step(
                Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1)), Tensor.randn([32, 20]),
                Tensor.randn([32, 1])
            ) { F.mseLoss($0, $1!) }
        },
        trainingStep("mlp_784_step", "MLP 784-256-10, batch 64, cross-entropy, Adam", iterations: 100) {
            step(
                Sequential(Linear(784, 256), ReLU(), Linear(256, 10)), Tensor.randn([64, 784]),
                Tensor.randint(0, 10, [64]), loss: crossEntropy)
        },
        trainingStep("cnn_seed_step", "seed CNN conv(1,32,3)-relu-maxpool(2)-linear, batch 64, 1x28x28", iterations: 10)
        {
            step(seedCNN(), Tensor.randn([64, 1, 28, 28]), Tensor.randint(0, 10, [64]), loss: crossEntropy)
        },
        trainingStep("lenet5_step", "LeNet-5 (EmberVision), batch 64, 1x28x28, cross-entropy, Adam", iterations: 20) {
            step(LeNet5(), Tensor.randn([64, 1, 28, 28]), Tensor.randint(0, 10, [64]), loss: crossEntropy)
        },
        trainingStep(
            "cnnrnn_step", "seed CNN+RNN, 64 images 1x28x28 as one sequence, RNN(5408, 128), mean square, Adam",
            iterations: 10
        ) {
            step(CNNRNN(), Tensor.randn([64, 1, 28, 28]), loss: meanSquare)
        },
        trainingStep("rnn_step", "RNN (tanh) input 64, hidden 128, sequence 32, batch 64, Adam", iterations: 10) {
            recurrentStep(RNN(64, 128, batchFirst: true))
        },
        trainingStep("lstm_step", "LSTM input 64, hidden 128, sequence 32, batch 64 (batch first), Adam", iterations: 5)
        {
            recurrentStep(LSTM(64, 128, batchFirst: true))
        },
        trainingStep("gru_step", "GRU input 64, hidden 128, sequence 32, batch 64, Adam", iterations: 5) {
            recurrentStep(GRU(64, 128, batchFirst: true))
        },
        trainingStep(
            "resnet18_step", "ResNet-18 train mode, batch 16, 3x64x64, cross-entropy, SGD lr 0.01 momentum 0.9",
            iterations: 1, maxRepeats: 3
        ) {
            let model = resnet18()
            return step(
                model, Tensor.randn([16, 3, 64, 64]), Tensor.randint(0, 1000, [16]),
                optimizer: SGD(model.parameters(), lr: 0.01, momentum: 0.9), loss: crossEntropy)
        },
    ]
}
