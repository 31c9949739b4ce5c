// Seed section 1: the ways to build a model, freely combined: subclassing `Module`, a residual
// block with an in-place add, `Sequential`, `ModuleList` / `ModuleDict`, the functional API `F`,
// and a CNN+RNN hybrid.
import Ember

final class MyModule: Module {
    let fc1 = Linear(784, 256)
    let fc2 = Linear(256, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(F.relu(fc1(x))) }
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
        x += residual  // in place: autograd stays correct
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
        let (output, _) = rnn(x)  // a 2-D input is one unbatched sequence, as in PyTorch
        return output
    }
}

manualSeed(0)
let mine = MyModule()
print(mine)
print("MyModule output:", mine(Tensor.randn([2, 784])).shape)

let block = ResidualBlock(8, 8)
let image = Tensor.randn([2, 8, 6, 6], requiresGrad: true)
block(image).sum().backward()
print("ResidualBlock input gradient:", image.grad!.shape, "conv1.weight.grad:", block.conv1.weight.grad!.shape)

let sequential = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
print(sequential)
print("parameters:", sequential.namedParameters().map(\.0))

let dynamic = DynamicModel(numLayers: 3)
print("DynamicModel state keys:", dynamic.stateDictKeys())
let heads = ModuleDict(["cls": Linear(128, 10), "reg": Linear(128, 1)])
print(heads)

let hybrid = CNNRNN()
print("CNNRNN output for 4 images (one sequence of 4 steps):", hybrid(Tensor.randn([4, 1, 28, 28])).shape)
