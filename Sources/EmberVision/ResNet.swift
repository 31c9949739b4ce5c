// torchvision's ResNet (torchvision/models/resnet.py): BasicBlock, Bottleneck, ResNet and the
// resnet18/34/50 builders. Properties are declared in torchvision's registration order, so the
// state-dict keys ("layer1.0.downsample.1.running_mean", ...) and the repr's children match.
// torchvision's `ReLU(inplace=True)` is `ReLU(inplace: true)`: it prints the same and computes out of place
// (same values and gradients).

/// A 3×3 convolution with padding 1 and no bias (torchvision's `conv3x3`).
public func conv3x3(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inPlanes, outPlanes, kernelSize: 3, stride: stride, padding: 1, bias: false)
}

/// A 1×1 convolution without bias (torchvision's `conv1x1`).
public func conv1x1(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inPlanes, outPlanes, kernelSize: 1, stride: stride, bias: false)
}

/// A residual block that `ResNet` stacks: `BasicBlock` or `Bottleneck`.
public protocol ResNetBlock: Module {
    /// Output channels per `planes` (1 for `BasicBlock`, 4 for `Bottleneck`).
    static var expansion: Int { get }

    /// A block from `inplanes` channels to `planes × expansion`, with the block's first strided
    /// convolution using `stride` and `downsample` mapping the input to the residual's shape.
    init(_ inplanes: Int, _ planes: Int, stride: Int, downsample: Sequential?)

    /// The last BatchNorm of the residual branch, zeroed by `zeroInitResidual`.
    var lastNorm: BatchNorm2d { get }
}

/// The residual sum shared by both blocks: `out += identity` in place, then ReLU.
private func residualOutput(_ branch: Tensor, _ input: Tensor, downsample: Sequential?, relu: ReLU) -> Tensor {
    var out = branch
    out += downsample.map { $0(input) } ?? input
    return relu(out)
}

/// ResNet's two-convolution block (torchvision's `BasicBlock`, ResNet-18/34):
/// conv3x3 → BN → ReLU → conv3x3 → BN, plus the (downsampled) input, then ReLU.
///
/// State keys: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, `downsample.0.weight`,
/// `downsample.1.*` (the last two only with a downsample).
public final class BasicBlock: Module, ResNetBlock {
    /// Output channels per `planes`: 1.
    public static let expansion = 1

    /// First 3×3 convolution (carries the stride).
    public let conv1: Conv2d
    /// BatchNorm after `conv1`.
    public let bn1: BatchNorm2d
    /// The activation, used after `bn1` and after the residual sum.
    public let relu = ReLU(inplace: true)
    /// Second 3×3 convolution.
    public let conv2: Conv2d
    /// BatchNorm after `conv2`.
    public let bn2: BatchNorm2d
    /// Maps the input to the output's shape (1×1 strided convolution and BatchNorm), if needed.
    public let downsample: Sequential?
    /// The stride of `conv1`.
    public let stride: Int

    /// A basic block from `inplanes` to `planes` channels (`BasicBlock(inplanes, planes, stride, downsample)`).
    public init(_ inplanes: Int, _ planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        conv1 = conv3x3(inplanes, planes, stride: stride)
        bn1 = BatchNorm2d(planes)
        conv2 = conv3x3(planes, planes)
        bn2 = BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride
        super.init()
    }

    /// `bn2`.
    public var lastNorm: BatchNorm2d { bn2 }

    /// torchvision's forward: `out = bn2(conv2(relu(bn1(conv1(x))))); out += identity; relu(out)`.
    override public func forward(_ input: Tensor) -> Tensor {
        let out = bn2(conv2(relu(bn1(conv1(input)))))
        return residualOutput(out, input, downsample: downsample, relu: relu)
    }
}

/// ResNet's bottleneck block (torchvision's `Bottleneck`, ResNet-50 and deeper, "ResNet V1.5":
/// the stride is in the 3×3 convolution): conv1x1 → BN → ReLU → conv3x3 → BN → ReLU → conv1x1 →
/// BN, plus the (downsampled) input, then ReLU. Output channels are `planes × 4`.
///
/// State keys: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, `conv3.weight`, `bn3.*`,
/// `downsample.0.weight`, `downsample.1.*` (the last two only with a downsample).
public final class Bottleneck: Module, ResNetBlock {
    /// Output channels per `planes`: 4.
    public static let expansion = 4

    /// 1×1 convolution reducing to `planes` channels.
    public let conv1: Conv2d
    /// BatchNorm after `conv1`.
    public let bn1: BatchNorm2d
    /// 3×3 convolution (carries the stride).
    public let conv2: Conv2d
    /// BatchNorm after `conv2`.
    public let bn2: BatchNorm2d
    /// 1×1 convolution expanding to `planes × 4` channels.
    public let conv3: Conv2d
    /// BatchNorm after `conv3`.
    public let bn3: BatchNorm2d
    /// The activation, used after `bn1`, `bn2` and the residual sum.
    public let relu = ReLU(inplace: true)
    /// Maps the input to the output's shape (1×1 strided convolution and BatchNorm), if needed.
    public let downsample: Sequential?
    /// The stride of `conv2`.
    public let stride: Int

    /// A bottleneck block from `inplanes` to `planes × 4` channels
    /// (`Bottleneck(inplanes, planes, stride, downsample)`).
    public init(_ inplanes: Int, _ planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        conv1 = conv1x1(inplanes, planes)
        bn1 = BatchNorm2d(planes)
        conv2 = conv3x3(planes, planes, stride: stride)
        bn2 = BatchNorm2d(planes)
        conv3 = conv1x1(planes, planes * Self.expansion)
        bn3 = BatchNorm2d(planes * Self.expansion)
        self.downsample = downsample
        self.stride = stride
        super.init()
    }

    /// `bn3`.
    public var lastNorm: BatchNorm2d { bn3 }

    /// torchvision's forward: three convolutions with BatchNorm and ReLU, `out += identity`, ReLU.
    override public func forward(_ input: Tensor) -> Tensor {
        var out = relu(bn1(conv1(input)))
        out = relu(bn2(conv2(out)))
        out = bn3(conv3(out))
        return residualOutput(out, input, downsample: downsample, relu: relu)
    }
}

/// torchvision's ResNet: a 7×7 stride-2 stem with max pooling, four stages of residual blocks
/// (`layer1` … `layer4`, 64, 128, 256 and 512 planes, stages 2–4 halving the resolution), global
/// average pooling and a linear classifier `fc`.
///
/// Replace the classifier for fine-tuning: `net.fc = Linear(net.fc.inFeatures, 10)`.
public final class ResNet: Module {
    /// The 7×7, stride-2 stem convolution (3 → 64 channels).
    public let conv1: Conv2d
    /// BatchNorm after the stem.
    public let bn1: BatchNorm2d
    /// The stem's activation.
    public let relu = ReLU(inplace: true)
    /// 3×3, stride-2 max pooling after the stem.
    public let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    /// Stage 1: blocks at 64 planes, children "0", "1", ….
    public let layer1: Sequential
    /// Stage 2: blocks at 128 planes, the first with stride 2.
    public let layer2: Sequential
    /// Stage 3: blocks at 256 planes, the first with stride 2.
    public let layer3: Sequential
    /// Stage 4: blocks at 512 planes, the first with stride 2.
    public let layer4: Sequential
    /// Global average pooling to 1×1.
    public let avgpool = AdaptiveAvgPool2d(outputSize: [1, 1])
    /// The classifier, `512 × expansion → numClasses`; assign a new `Linear` to change the head.
    public var fc: Linear

    /// A ResNet of `Block`s with `layers[i]` blocks in stage `i + 1`, initialised as torchvision
    /// does: convolutions Kaiming-normal (fan-out, ReLU), BatchNorm weight 1 and bias 0, `fc`
    /// PyTorch's Linear default; with `zeroInitResidual` the last BatchNorm weight of every block
    /// is zero, so each block starts as the identity.
    public init<Block: ResNetBlock>(
        block: Block.Type, layers: [Int], numClasses: Int = 1000, zeroInitResidual: Bool = false
    ) {
        precondition(layers.count == 4, "ResNet expects 4 stage sizes, got \(layers.count)")
        var inplanes = 64
        func makeLayer(_ planes: Int, _ blocks: Int, stride: Int = 1) -> Sequential {
            let outplanes = planes * Block.expansion
            var downsample: Sequential?
            if stride != 1 || inplanes != outplanes {
                downsample = Sequential(conv1x1(inplanes, outplanes, stride: stride), BatchNorm2d(outplanes))
            }
            var stage: [Module] = [Block(inplanes, planes, stride: stride, downsample: downsample)]
            inplanes = outplanes
            for _ in 1..<max(blocks, 1) { stage.append(Block(inplanes, planes, stride: 1, downsample: nil)) }
            return Sequential(stage)
        }
        conv1 = Conv2d(3, inplanes, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(inplanes)
        layer1 = makeLayer(64, layers[0])
        layer2 = makeLayer(128, layers[1], stride: 2)
        layer3 = makeLayer(256, layers[2], stride: 2)
        layer4 = makeLayer(512, layers[3], stride: 2)
        fc = Linear(512 * Block.expansion, numClasses)
        super.init()
        torchvisionInit(self)
        if zeroInitResidual {
            for case let block as any ResNetBlock in modules() {
                if let weight = block.lastNorm.weight { Init.zeros(weight) }
            }
        }
    }

    /// torchvision's forward: stem, the four stages, pooling, flatten, `fc`.
    override public func forward(_ input: Tensor) -> Tensor {
        var x = maxpool(relu(bn1(conv1(input))))
        x = layer4(layer3(layer2(layer1(x))))
        return fc(avgpool(x).flatten(startDim: 1))
    }
}

/// ResNet-18 (`torchvision.models.resnet18`): `BasicBlock`s `[2, 2, 2, 2]`, 11.7 M parameters
/// with 1000 classes.
public func resnet18(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [2, 2, 2, 2], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}

/// ResNet-34 (`torchvision.models.resnet34`): `BasicBlock`s `[3, 4, 6, 3]`, 21.8 M parameters.
public func resnet34(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}

/// ResNet-50 (`torchvision.models.resnet50`): `Bottleneck`s `[3, 4, 6, 3]`, 25.6 M parameters.
public func resnet50(numClasses: Int = 1000, zeroInitResidual: Bool = false) -> ResNet {
    ResNet(block: Bottleneck.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual)
}
