// torchvision's MobileNetV2 (torchvision/models/mobilenetv2.py) and the Conv2dNormActivation
// block of torchvision.ops.misc that it is built from.

/// Convolution, BatchNorm and an activation in sequence (`torchvision.ops.Conv2dNormActivation`),
/// children "0", "1", "2" as in torchvision (where it is a `Sequential`). The padding is
/// `(kernelSize - 1) / 2`, so stride 1 keeps the size; the convolution has no bias.
public final class Conv2dNormActivation: Module {
    private let layers: [Module]

    /// Children are registered explicitly ("0", "1", "2").
    override public class var discoversStoredProperties: Bool { false }

    /// The block from `inChannels` to `outChannels`; `activation` nil leaves it out.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int = 3, stride: Int = 1, groups: Int = 1,
        activation: Module? = ReLU(inplace: true)
    ) {
        let conv = Conv2d(
            inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: (kernelSize - 1) / 2,
            groups: groups, bias: false)
        layers = [conv, BatchNorm2d(outChannels)] + (activation.map { [$0] } ?? [])
        super.init()
        for (i, layer) in layers.enumerated() { registerModule(String(i), layer) }
    }

    /// Convolution, normalisation, activation.
    override public func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }
}

/// MobileNetV2's inverted residual block (torchvision's `InvertedResidual`): an optional 1×1
/// expansion to `inp × expandRatio` channels, a 3×3 depthwise convolution (both with BatchNorm and
/// ReLU6), a linear 1×1 projection with BatchNorm, and a residual sum when stride is 1 and the
/// channel counts agree.
public final class InvertedResidual: Module {
    /// Expansion (when `expandRatio` ≠ 1), depthwise and projection layers.
    public let conv: Sequential
    /// The depthwise convolution's stride (1 or 2).
    public let stride: Int
    /// Whether the input is added to the output.
    public let useResConnect: Bool
    /// Output channels.
    public let outChannels: Int

    /// A block from `inp` to `oup` channels.
    public init(_ inp: Int, _ oup: Int, stride: Int, expandRatio: Int) {
        precondition(stride == 1 || stride == 2, "stride should be 1 or 2 instead of \(stride)")
        let hidden = inp * expandRatio
        var layers: [Module] = []
        if expandRatio != 1 {
            layers.append(Conv2dNormActivation(inp, hidden, kernelSize: 1, activation: ReLU6(inplace: true)))
        }
        layers.append(
            Conv2dNormActivation(hidden, hidden, stride: stride, groups: hidden, activation: ReLU6(inplace: true)))
        layers.append(Conv2d(hidden, oup, kernelSize: 1, stride: 1, padding: 0, bias: false))
        layers.append(BatchNorm2d(oup))
        conv = Sequential(layers)
        self.stride = stride
        useResConnect = stride == 1 && inp == oup
        outChannels = oup
        super.init()
    }

    /// `x + conv(x)` with the residual connection, else `conv(x)`.
    override public func forward(_ input: Tensor) -> Tensor {
        useResConnect ? input + conv(input) : conv(input)
    }
}

/// The nearest multiple of `divisor` to `value`, at least `divisor` and not more than 10 % below
/// `value` (torchvision's `_make_divisible`).
func makeDivisible(_ value: Double, _ divisor: Int) -> Int {
    var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * value { rounded += divisor }
    return rounded
}

/// torchvision's MobileNetV2: a stride-2 3×3 stem, 17 inverted residual blocks and a 1×1
/// convolution to `lastChannel` in `features`, global average pooling, and `classifier`
/// (Dropout, `Linear(lastChannel, numClasses)`).
public final class MobileNetV2: Module {
    /// Stem, inverted residual blocks and the final 1×1 convolution, children "0" … "18".
    public let features: Sequential
    /// Dropout and the final Linear layer.
    public let classifier: Sequential
    /// Channels entering the classifier (1280 at width 1).
    public let lastChannel: Int

    /// A MobileNetV2 with channel counts scaled by `widthMult` (rounded to multiples of
    /// `roundNearest`), initialised as torchvision does: convolutions Kaiming-normal (fan-out),
    /// BatchNorm weight 1 and bias 0, Linear N(0, 0.01) with zero bias.
    public init(numClasses: Int = 1000, widthMult: Double = 1, roundNearest: Int = 8, dropout: Double = 0.2) {
        // Expansion t, output channels c, blocks n, first stride s.
        let settings = [
            (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]
        var inputChannel = makeDivisible(32 * widthMult, roundNearest)
        lastChannel = makeDivisible(1280 * max(1, widthMult), roundNearest)
        var layers: [Module] = [Conv2dNormActivation(3, inputChannel, stride: 2, activation: ReLU6(inplace: true))]
        for (t, c, n, s) in settings {
            let outputChannel = makeDivisible(Double(c) * widthMult, roundNearest)
            for i in 0..<n {
                layers.append(InvertedResidual(inputChannel, outputChannel, stride: i == 0 ? s : 1, expandRatio: t))
                inputChannel = outputChannel
            }
        }
        layers.append(Conv2dNormActivation(inputChannel, lastChannel, kernelSize: 1, activation: ReLU6(inplace: true)))
        features = Sequential(layers)
        classifier = Sequential(Dropout(p: dropout), Linear(lastChannel, numClasses))
        super.init()
        torchvisionInit(self, linearStd: 0.01)
    }

    /// torchvision's forward: `features`, adaptive average pooling to 1×1, flatten, `classifier`.
    override public func forward(_ input: Tensor) -> Tensor {
        classifier(F.adaptiveAvgPool2d(features(input), outputSize: [1, 1]).flatten(startDim: 1))
    }
}

/// MobileNetV2 (`torchvision.models.mobilenet_v2`), 3.5 M parameters with 1000 classes.
public func mobilenetV2(numClasses: Int = 1000, widthMult: Double = 1, dropout: Double = 0.2) -> MobileNetV2 {
    MobileNetV2(numClasses: numClasses, widthMult: widthMult, dropout: dropout)
}
