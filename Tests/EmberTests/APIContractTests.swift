// swift-format-ignore-file
// The code blocks of shared/API.md, compiled as written with a plain `import Ember`, so a renamed
// or non-public spelling fails here before it fails the outside checks. Each block is pasted as
// it stands, followed by assertions on what it computed; the only edit is `_ =` in front of the
// bare expressions API.md writes (`a.shape`, `model.parameters()`), which would otherwise be
// unused-result warnings. The Models block's classes stand at file scope, its statements in a test.
// The Training block is in APITrainingBlockTests.swift, the EmberVision lines in EmberVisionTests.
import Ember
import Testing

// The "Models" block's types, at file scope as in API.md.
final class MyModule: Module {
    let fc1 = Linear(784, 256)
    let fc2 = Linear(256, 10)
    override func forward(_ x: Tensor) -> Tensor {
        fc2(F.relu(fc1(x)))
    }
}

final class ResidualBlock: Module {
    let conv1: Conv2d
    let conv2: Conv2d
    init(_ inChannels: Int, _ outChannels: Int) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        let residual = x
        var x = F.relu(conv1(x))
        x = conv2(x)
        x += residual                                 // in place, gradients stay correct
        return F.relu(x)
    }
}

final class DynamicModel: Module {
    let layers: ModuleList
    init(numLayers: Int) {
        layers = ModuleList((0..<numLayers).map { _ in Linear(128, 128) })
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        var x = x
        for layer in layers { x = F.relu(layer(x)) }
        return x
    }
}

final class CNNRNN: Module {
    let cnn = Sequential(Conv2d(1, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2))
    let rnn = RNN(32 * 13 * 13, 128, batchFirst: true)
    override func forward(_ x: Tensor) -> Tensor {
        var x = cnn(x)
        x = x.view(x.size(0), -1)
        let (output, _) = rnn(x)                      // 2-D input = one unbatched sequence, as in PyTorch
        return output
    }
}

@Suite struct APIContractTests {
    @Test func tensorsBlock() {
        Ember.manualSeed(0)                                   // seeds every default random generator
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])   // float32
        let b = Tensor(shape: [3], scalars: [1, 2, 3] as [Double])            // float64
        let labels = Tensor(shape: [4], scalars: [0, 2, 1, 2] as [Int64])       // int64
        let z = Tensor.zeros([2, 3]), o = Tensor.ones([2, 3], dtype: .float64)
        let r = Tensor.randn([64, 784]), u = Tensor.rand([3, 3]), i = Tensor.randint(0, 10, [64])
        let s = Tensor.arange(0, 10)                          // int64 0..<10, like torch.arange
        _ = a.shape            // [2, 3]
        _ = a.size(0)          // 2
        _ = a.dim              // 2
        _ = a.dtype            // .float32   (also .float64, .int64, .bool)
        _ = a.toArray(as: Float.self)                            // [1, 2, 3, 4, 5, 6], row-major
        let y = (a + 1) * a - a / 2                           // broadcasting, scalars on either side
        let m = a.matmul(Tensor.randn([3, 4]))                // also `matmul(a, w)` and `a.mm(w)`
        let v = a.view(-1, 1); let t = a.transpose(0, 1); let p = a.permute(1, 0)
        let mean = a.mean(), rowSums = a.sum(dim: 1, keepdim: true), best = a.argmax(dim: 1)
        let loss = a.pow(2).sum(); let item: Double = loss.item()

        #expect(a.shape == [2, 3] && a.size(0) == 2 && a.dim == 2 && a.dtype == .float32)
        #expect(a.toArray(as: Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(b.dtype == .float64 && labels.dtype == .int64)
        #expect(z.dtype == .float32 && o.dtype == .float64 && o.toArray(as: Double.self) == [1, 1, 1, 1, 1, 1])
        #expect(r.shape == [64, 784] && u.shape == [3, 3] && i.dtype == .int64)
        #expect(i.toArray(as: Int64.self).allSatisfy { (0..<10).contains($0) })
        #expect(s.dtype == .int64 && s.toArray(as: Int64.self) == Array(0..<10))
        #expect(y.toArray(as: Float.self) == [1.5, 5, 10.5, 18, 27.5, 39])
        #expect(m.shape == [2, 4])
        #expect(v.shape == [6, 1] && t.shape == [3, 2] && p.shape == [3, 2])
        #expect(mean.item() == 3.5)
        #expect(rowSums.shape == [2, 1] && rowSums.toArray(as: Float.self) == [6, 15])
        #expect(best.toArray(as: Int64.self) == [2, 2])
        #expect(item == 91)
    }

    @Test func autogradBlock() {
        let x = Tensor.randn([5, 3])
        let w = Tensor.randn([3, 2], requiresGrad: true)
        let bias = Tensor.randn([2], requiresGrad: true)
        let out = x.matmul(w) + bias
        out.sum().backward()                                 // also backward(gradient:retainGraph:)
        print(w.grad!, bias.grad!)                            // accumulate across backward calls
        let inference = noGrad { x.matmul(w) + bias }         // inference.requiresGrad == false
        let detached = out.detach()                           // shares storage, no history
        w.grad = nil                                          // or zeroGrad on a module/optimizer

        #expect(w.grad == nil && inference.requiresGrad == false && !detached.requiresGrad)
        #expect(bias.grad!.toArray(as: Float.self) == [5, 5])
        // Again into the cleared w.grad: dL/dw = xᵀ · ones, the column sums of x for both outputs.
        (x.matmul(w) + bias).sum().backward()
        let colSums = x.sum(dim: 0).toArray(as: Float.self)
        let gw = w.grad!.toArray(as: Float.self)
        for r in 0..<3 {
            #expect(Swift.abs(gw[2 * r] - colSums[r]) < 1e-5 && Swift.abs(gw[2 * r + 1] - colSums[r]) < 1e-5)
        }
        #expect(bias.grad!.toArray(as: Float.self) == [10, 10])  // accumulated across the two calls
        let before = out.toArray(as: Float.self)
        var alias = detached
        alias += 1  // shares storage: `out` sees the change
        #expect(out.toArray(as: Float.self) == before.map { $0 + 1 })
    }

    @Test func modelsBlock() throws {
        let model = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
        let heads = ModuleDict(["cls": Linear(128, 10), "reg": Linear(128, 1)])
        _ = model.parameters()                                // [Tensor], registration order
        _ = model.namedParameters()                           // [(String, Tensor)]: "0.weight", "0.bias", "2.weight", ...
        model.train(); model.eval(); _ = model.isTraining
        let state = model.stateDict()                         // [String: Tensor], PyTorch's exact keys, buffers included
        try model.loadStateDict(state, strict: true)          // throws on missing/unexpected keys or shape mismatch
        print(model)                                          // PyTorch-style tree repr

        #expect(model.namedParameters().map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(!model.isTraining && heads.count == 2 && state.count == 4)
        #expect(MyModule()(Tensor.randn([2, 784])).shape == [2, 10])
        let block = ResidualBlock(4, 4)
        let x = Tensor.randn([2, 4, 5, 5], requiresGrad: true)
        block(x).sum().backward()
        #expect(x.grad!.shape == [2, 4, 5, 5] && block.conv1.weight.grad != nil)
        #expect(DynamicModel(numLayers: 3)(Tensor.randn([2, 128])).shape == [2, 128])
        #expect(CNNRNN()(Tensor.randn([2, 1, 28, 28])).shape == [2, 128])
    }

    @Test func moreFixedSpellingsBlock() {
        let x = Tensor.randn([4, 6]); x.requiresGrad = true           // settable on leaves
        _ = x.exp(); _ = x.log(); _ = x.sqrt(); _ = x.tanh(); _ = x.sigmoid(); _ = x.pow(3)
        _ = x.sum(dim: 0, keepdim: true); _ = x.mean(dim: [0, 1]); _ = x.max(dim: 1).values; _ = x.max(dim: 1).indices
        _ = x.t(); _ = x.reshape(3, -1); _ = x.unsqueeze(1).expand(4, 5, 6); _ = x.contiguous()
        _ = x.slice(dim: 1, start: 0, end: 6, step: 2)              // x[:, 0:6:2]
        _ = Tensor.cat([x, x], dim: 1); _ = Tensor.stack([x, x], dim: 0)
        var y = x.detach(); y += 1                                   // in place: x sees the change
        let logits = Tensor.randn([8, 5]), target = Tensor.randint(0, 5, [8])
        _ = F.relu(x); _ = F.gelu(x); _ = F.leakyRelu(x, negativeSlope: 0.1)
        _ = F.softmax(x, dim: 1); _ = F.logSoftmax(x, dim: 1)
        let img = Tensor.randn([2, 4, 9, 9]), w = Tensor.randn([6, 4, 3, 3]), b = Tensor.randn([6])
        _ = F.conv2d(img, w, bias: b, stride: 2, padding: 1)
        _ = F.conv2d(img, Tensor.randn([6, 2, 3, 3]), padding: 2, dilation: 2, groups: 2)
        _ = F.conv1d(Tensor.randn([2, 3, 10]), Tensor.randn([5, 3, 3]), bias: Tensor.randn([5]), padding: 1)
        _ = F.maxPool2d(img, kernelSize: 2); _ = F.maxPool2d(img, kernelSize: 3, stride: 2, padding: 1)
        _ = F.avgPool2d(img, kernelSize: 2); _ = F.adaptiveAvgPool2d(img, outputSize: [1, 1])
        _ = F.batchNorm(img, runningMean: nil, runningVar: nil, weight: Tensor.ones([4]), bias: Tensor.zeros([4]), training: true)
        _ = F.layerNorm(x, normalizedShape: [6], weight: Tensor.ones([6]), bias: Tensor.zeros([6]))
        _ = F.linear(x, Tensor.randn([3, 6]), bias: Tensor.randn([3]))
        _ = F.mseLoss(x, x); _ = F.l1Loss(x, x); _ = F.smoothL1Loss(x, x)
        _ = F.binaryCrossEntropyWithLogits(x, x.sigmoid())
        _ = F.crossEntropy(logits, target); _ = F.crossEntropy(logits, target, labelSmoothing: 0.1)
        _ = F.nllLoss(F.logSoftmax(logits, dim: 1), target)
        let cnn = Sequential(Conv2d(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(6 * 14 * 14, 10))
        let bn = BatchNorm2d(8)                                      // keys: weight, bias, running_mean, running_var, num_batches_tracked
        let seq = Tensor.randn([3, 4, 5])
        let (o1, h1) = RNN(5, 7, numLayers: 2, batchFirst: true)(seq)
        let (o2, (h2, c2)) = LSTM(5, 7, numLayers: 2, batchFirst: true)(seq)
        let (o3, h3) = GRU(5, 7, numLayers: 2, batchFirst: true)(seq)
        let opt: Optimizer = SGD(cnn.parameters(), lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3)
        _ = Adam(cnn.parameters(), lr: 0.001, amsgrad: true)
        let ds = TensorDataset(Tensor.randn([100, 1]), Tensor.randint(0, 2, [100]))
        let loader = DataLoader(ds, batchSize: 32, shuffle: true, dropLast: true)   // loader.count == 3

        #expect(y.toArray(as: Float.self) == x.toArray(as: Float.self))  // one storage
        #expect(x.slice(dim: 1, start: 0, end: 6, step: 2).shape == [4, 3])
        #expect(x.unsqueeze(1).expand(4, 5, 6).shape == [4, 5, 6])
        #expect(logits.shape == [8, 5] && target.dtype == .int64)
        #expect(F.conv2d(img, w, bias: b, stride: 2, padding: 1).shape == [2, 6, 5, 5])
        #expect(cnn(Tensor.randn([2, 1, 28, 28])).shape == [2, 10])
        #expect(bn.stateDictKeys() == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(o1.shape == [3, 4, 7] && h1.shape == [2, 3, 7])
        #expect(o2.shape == [3, 4, 7] && h2.shape == [2, 3, 7] && c2.shape == [2, 3, 7])
        #expect(o3.shape == [3, 4, 7] && h3.shape == [2, 3, 7])
        #expect(opt.paramGroups.count == 1)
        #expect(loader.count == 3)
        var rows = 0
        for (batch, labels) in loader { rows += batch.shape[0]; #expect(labels.shape == [32]) }
        #expect(rows == 96)
    }

    @Test func inPlaceOnDetachedIsSeenByOriginal() {
        let x = Tensor(shape: [2], scalars: [1, 2] as [Float])
        var y = x.detach()
        y += 1
        #expect(x.toArray(as: Float.self) == [2, 3])
    }
}
