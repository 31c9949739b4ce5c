// Seed section 4: the canonical loop with each optimizer the seed names, on the same problem:
// zeroGrad, forward, loss, backward, step.
import Ember

func train(_ name: String, makeOptimizer: ([Tensor]) -> Optimizer) {
    manualSeed(0)
    let x = Tensor.randn([256, 4])
    let y = (x * Tensor(shape: [4], scalars: [1, -2, 0.5, 3] as [Float])).sum(dim: 1, keepdim: true) + 0.1
    let model = Sequential(Linear(4, 16), ReLU(), Linear(16, 1))
    let criterion = MSELoss()
    let optimizer = makeOptimizer(model.parameters())
    var losses: [Double] = []
    for _ in 0..<200 {
        optimizer.zeroGrad()
        let loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    }
    let first = losses.first!
    let last = losses.last!
    print("\(name.padding(toLength: 9, withPad: " ", startingAt: 0)) loss \(first) -> \(last)")
}

train("Adam") { Adam($0, lr: 0.001, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.01) }
train("SGD") { SGD($0, lr: 0.01, momentum: 0.9) }
train("RMSprop") { RMSprop($0, lr: 0.001, alpha: 0.99) }
train("Adagrad") { Adagrad($0, lr: 0.01) }
train("Adadelta") { Adadelta($0, rho: 0.9) }
train("AdamW") { AdamW($0, lr: 0.001, weightDecay: 0.01) }
