// torchvision's VGG (torchvision/models/vgg.py): the VGG module, `make_layers` and the VGG-11
// builders (configuration "A"), with and without BatchNorm.

/// torchvision's VGG: convolutional `features`, adaptive average pooling to 7×7 and a
/// three-layer `classifier` (`Linear(512·7·7, 4096)`, ReLU, Dropout, `Linear(4096, 4096)`, ReLU,
/// Dropout, `Linear(4096, numClasses)`).
public final class VGG: Module {
    /// The convolutional part (see `vgg11`).
    public let features: Sequential
    /// Adaptive average pooling to 7×7, so any input of at least 32×32 works.
    public let avgpool = AdaptiveAvgPool2d(outputSize: [7, 7])
    /// The fully connected head; its children are "0" … "6".
    public let classifier: Sequential

    /// A VGG over `features` (which must end with 512 channels). With `initWeights`, convolutions
    /// are Kaiming-normal (fan-out, ReLU) with zero bias, BatchNorms weight 1 and bias 0, and
    /// Linear layers N(0, 0.01) with zero bias, as torchvision does.
    public init(features: Sequential, numClasses: Int = 1000, initWeights: Bool = true, dropout: Double = 0.5) {
        self.features = features
        classifier = Sequential(
            Linear(512 * 7 * 7, 4096), ReLU(inplace: true), Dropout(p: dropout),
            Linear(4096, 4096), ReLU(inplace: true), Dropout(p: dropout),
            Linear(4096, numClasses))
        super.init()
        if initWeights {
            torchvisionInit(self, linearStd: 0.01)
        }
    }

    /// torchvision's forward: `features`, pooling, flatten, `classifier`.
    override public func forward(_ input: Tensor) -> Tensor {
        classifier(avgpool(features(input)).flatten(startDim: 1))
    }
}

/// VGG's configuration "A" (VGG-11): output channels of each 3×3 convolution, nil for a 2×2 max pool.
private let vgg11Configuration: [Int?] = [64, nil, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]

/// The `features` of a VGG configuration (torchvision's `make_layers`): 3×3 convolutions with
/// padding 1 (each followed by BatchNorm when `batchNorm`, then ReLU) and 2×2 max pools.
private func makeVGGLayers(_ configuration: [Int?], batchNorm: Bool) -> Sequential {
    var layers: [Module] = []
    var inChannels = 3
    for entry in configuration {
        guard let channels = entry else {
            layers.append(MaxPool2d(kernelSize: 2, stride: 2))
            continue
        }
        layers.append(Conv2d(inChannels, channels, kernelSize: 3, padding: 1))
        if batchNorm { layers.append(BatchNorm2d(channels)) }
        layers.append(ReLU(inplace: true))
        inChannels = channels
    }
    return Sequential(layers)
}

/// VGG-11 (`torchvision.models.vgg11`, or `vgg11_bn` with `batchNorm`): eight 3×3 convolutions in
/// five stages (64, 128, 256×2, 512×2, 512×2 channels), 132.9 M parameters with 1000 classes.
public func vgg11(numClasses: Int = 1000, batchNorm: Bool = false, dropout: Double = 0.5) -> VGG {
    VGG(features: makeVGGLayers(vgg11Configuration, batchNorm: batchNorm), numClasses: numClasses, dropout: dropout)
}

/// VGG-11 with BatchNorm after every convolution (`torchvision.models.vgg11_bn`).
public func vgg11BN(numClasses: Int = 1000, dropout: Double = 0.5) -> VGG {
    vgg11(numClasses: numClasses, batchNorm: true, dropout: dropout)
}
