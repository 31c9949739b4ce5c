import Ember

/// The architectures `--model` accepts.
let modelNames = ["mlp", "cnn", "cnnrnn"]

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
    default:
        throw CLIError("unknown --model '\(config.model)'; choose one of \(modelNames.joined(separator: ", "))")
    }
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
