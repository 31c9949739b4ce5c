import Ember
import EmberVision

/// The architectures `--model` accepts.
let modelNames = ["mlp", "cnn", "cnnrnn", "resnet18"]

/// Builds the network a run configuration describes, or explains why it does not fit the data.
func makeModel(_ config: RunConfig) throws -> Module {
    let inputs = config.inputFeatures
    let outputs = config.outputs
    switch config.model {
    case "mlp":
        guard config.hidden.allSatisfy({ $0 > 0 }) else {
            throw CLIError(
                "--hidden sizes must be positive, got \(config.hidden.map(String.init).joined(separator: ","))")
        }
        var layers: [Module] = []
        var width = inputs
        for h in config.hidden {
            layers.append(Linear(width, h))
            layers.append(ReLU())
            width = h
        }
        layers.append(Linear(width, outputs))
        return Sequential(layers)
    case "cnn":
        let side = try imageSide(inputs, model: "cnn")
        return Sequential(
            Unflatten(dim: 1, unflattenedSize: [1, side, side]),
            Conv2d(1, 16, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(16, 32, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(32 * (side / 4) * (side / 4), outputs))
    case "cnnrnn":
        return CNNRNNModel(side: try imageSide(inputs, model: "cnnrnn"), outputs: outputs)
    case "resnet18":
        return GreyResNet18(side: try imageSide(inputs, model: "resnet18"), outputs: outputs)
    default:
        throw CLIError("unknown --model '\(config.model)'; choose one of \(modelNames.joined(separator: ", "))")
    }
}

/// Checks that `model` can read rows of `features` values, before anything is written.
func checkModelFits(_ model: String, features: Int) throws {
    if model != "mlp" { _ = try imageSide(features, model: model) }
}

/// The side of the square image a feature vector holds (8 for the 64 pixels of digits).
private func imageSide(_ features: Int, model: String) throws -> Int {
    let side = Int(Double(features).squareRoot().rounded())
    guard side * side == features, side >= 4 else {
        throw CLIError(
            "--model \(model) needs square images of at least 4×4 pixels, but the data has \(features) features; use --model mlp"
        )
    }
    return side
}

/// The seed's CNN+RNN hybrid on a grayscale image: a convolution block, then an RNN reading the
/// feature map row by row, classifying from its last output.
final class CNNRNNModel: Module {
    let cnn: Sequential
    let rnn: RNN
    let fc: Linear
    private let side: Int

    init(side: Int, outputs: Int) {
        self.side = side
        cnn = Sequential(
            Unflatten(dim: 1, unflattenedSize: [1, side, side]), Conv2d(1, 16, kernelSize: 3, padding: 1), ReLU(),
            MaxPool2d(kernelSize: 2))
        rnn = RNN(16 * (side / 2), 64, batchFirst: true)
        fc = Linear(64, outputs)
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor {
        let maps = cnn(x)  // [N, 16, side/2, side/2]
        let rows = maps.permute(0, 2, 1, 3).reshape(x.size(0), side / 2, -1)  // one step per row
        let (output, _) = rnn(rows)
        return fc(output.select(dim: 1, index: -1))
    }
}

/// torchvision's ResNet-18 on grey square images given as flat pixel rows, with a new head
/// `fc = Linear(fc.inFeatures, outputs)` (state keys `resnet.conv1.weight`, …, `resnet.fc.bias`).
///
/// The grey channel is repeated to the 3 channels of the stock stem rather than replacing `conv1`:
/// the network stays torchvision's `resnet18` exactly (same layers, initialisation and state-dict
/// shapes, so ImageNet weights for the stem would load too), at the cost of a 3-channel first
/// convolution that is a negligible part of the work.
final class GreyResNet18: Module {
    let resnet: ResNet
    private let side: Int

    init(side: Int, outputs: Int) {
        self.side = side
        let net = resnet18()
        net.fc = Linear(net.fc.inFeatures, outputs)
        resnet = net
        super.init()
    }

    /// The flat rows as `[N, 3, side, side]` images, the grey channel repeated.
    func images(_ x: Tensor) -> Tensor { x.reshape(x.size(0), 1, side, side).expand(-1, 3, side, side) }

    override func forward(_ x: Tensor) -> Tensor { resnet(images(x)) }

    /// The input adaptation and torchvision's stages, in forward order, for `ember summary`.
    var summaryStages: [(String, Module)] {
        [
            ("conv1", resnet.conv1), ("bn1", resnet.bn1), ("relu", resnet.relu), ("maxpool", resnet.maxpool),
            ("layer1", resnet.layer1), ("layer2", resnet.layer2), ("layer3", resnet.layer3),
            ("layer4", resnet.layer4), ("avgpool", resnet.avgpool), ("flatten", Flatten()), ("fc", resnet.fc),
        ]
    }
}
