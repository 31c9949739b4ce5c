/// What every convolution layer shares (`nn.modules.conv._ConvNd`): the arguments, the weight
/// and bias, PyTorch's default initialisation and repr. Use `Conv1d`, `Conv2d`,
/// `ConvTranspose1d` or `ConvTranspose2d`.
public class ConvNd: Module {
    /// Channels of the input.
    public let inChannels: Int
    /// Channels of the output.
    public let outChannels: Int
    /// The kernel's spatial size, one value per dimension.
    public let kernelSize: [Int]
    /// The step between windows, one value per dimension.
    public let stride: [Int]
    /// Implicit padding: sizes per dimension, `"same"` or `"valid"`.
    public let padding: ConvPadding
    /// The spacing between kernel elements, one value per dimension.
    public let dilation: [Int]
    /// Whether this is a transposed convolution (weight `[in, out / groups, kernel…]`).
    public let transposed: Bool
    /// Extra size added to one side of a transposed convolution's output, per dimension.
    public let outputPadding: [Int]
    /// Channel groups: input and output channels are split into `groups` independent blocks.
    public let groups: Int
    /// How padding is filled: `"zeros"`, `"reflect"`, `"replicate"` or `"circular"`.
    public let paddingMode: String
    /// The weight: `[out, in / groups, kernel…]`, or `[in, out / groups, kernel…]` when transposed.
    public let weight: Tensor
    /// The bias, `[out]`, or `nil` when created with `bias: false`.
    public let bias: Tensor?

    /// Checks the arguments as PyTorch's `_ConvNd.__init__` and initialises the parameters as its
    /// `reset_parameters` (Kaiming-uniform with a = √5, bias U(-1/√fanIn, 1/√fanIn)).
    init(
        rank: Int, inChannels: Int, outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument,
        padding: ConvPadding, dilation: any SpatialArgument, transposed: Bool, outputPadding: any SpatialArgument,
        groups: Int, bias: Bool, paddingMode: String, dtype: DType
    ) {
        func expand(_ argument: any SpatialArgument, _ name: String) -> [Int] {
            let values = argument.values(count: rank)
            precondition(
                values.count == rank,
                "expected \(name) to be a single integer value or a list of \(rank) values to match the convolution dimensions, but got \(name)=\(values)"
            )
            return values
        }
        precondition(groups > 0, "groups must be a positive integer")
        precondition(inChannels % groups == 0, "in_channels must be divisible by groups")
        precondition(outChannels % groups == 0, "out_channels must be divisible by groups")
        let modes = ["zeros", "reflect", "replicate", "circular"]
        precondition(
            modes.contains(paddingMode),
            "padding_mode must be one of {'replicate', 'circular', 'zeros', 'reflect'}, but got padding_mode='\(paddingMode)'"
        )
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = expand(kernelSize, "kernel_size")
        self.stride = expand(stride, "stride")
        if case .explicit(let sizes) = padding {
            self.padding = .explicit(expand(sizes, "padding"))
        } else {
            self.padding = padding
        }
        precondition(
            padding != .same || self.stride.allSatisfy { $0 == 1 },
            "padding='same' is not supported for strided convolutions")
        self.dilation = expand(dilation, "dilation")
        self.transposed = transposed
        self.outputPadding = expand(outputPadding, "output_padding")
        self.groups = groups
        self.paddingMode = paddingMode
        let channels = transposed ? [inChannels, outChannels / groups] : [outChannels, inChannels / groups]
        weight = Parameter(Tensor.zeros(channels + self.kernelSize, dtype: dtype))
        self.bias = bias ? Parameter(Tensor.zeros([outChannels], dtype: dtype)) : nil
        super.init()
        Init.defaultLayerInit(weight: weight, bias: self.bias)
    }

    /// The convolution of `input` (batched, or unbatched without the batch dimension).
    override public func forward(_ input: Tensor) -> Tensor { convolve(input, outputPadding: outputPadding) }

    /// Runs the layer's convolution, padding first with `paddingMode` when it is not zeros.
    func convolve(_ input: Tensor, outputPadding: [Int]) -> Tensor {
        let rank = kernelSize.count
        let zeros = paddingMode == "zeros"
        let options = ConvOptions(
            rank: rank, function: "\(transposed ? "conv_transpose" : "conv")\(rank)d", stride: stride,
            padding: zeros ? padding : .valid, dilation: dilation, groups: groups,
            outputPadding: transposed ? outputPadding : nil)
        guard !zeros else { return options.apply(input, weight, bias: bias) }
        let (before, after) = padding.amounts(kernel: kernelSize, dilation: dilation)
        return options.apply(spatialPad(input, before: before, after: after, mode: paddingMode), weight, bias: bias)
    }

    /// `in, out, kernel_size=(…), stride=(…)` and the non-default arguments, as PyTorch prints them.
    override public var extraRepr: String {
        var parts = [
            "\(inChannels)", "\(outChannels)", "kernel_size=\(pythonTuple(kernelSize))",
            "stride=\(pythonTuple(stride))",
        ]
        if padding != .explicit([Int](repeating: 0, count: kernelSize.count)) { parts.append("padding=\(padding)") }
        if dilation.contains(where: { $0 != 1 }) { parts.append("dilation=\(pythonTuple(dilation))") }
        if outputPadding.contains(where: { $0 != 0 }) { parts.append("output_padding=\(pythonTuple(outputPadding))") }
        if groups != 1 { parts.append("groups=\(groups)") }
        if bias == nil { parts.append("bias=False") }
        if paddingMode != "zeros" { parts.append("padding_mode=\(paddingMode)") }
        return parts.joined(separator: ", ")
    }
}

/// A 1-D convolution layer over `[N, C, L]` or `[C, L]` (`nn.Conv1d`), weight `[out, in / groups, k]`.
public final class Conv1d: ConvNd {
    /// A 1-D convolution from `inChannels` to `outChannels` (`Conv1d(3, 5, kernelSize: 3, padding: 1)`).
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, groups: Int = 1, bias: Bool = true,
        paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        super.init(
            rank: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: .explicit(padding.values(count: 1)), dilation: dilation, transposed: false, outputPadding: 0,
            groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype)
    }

    /// A 1-D convolution with `padding: "same"` or `"valid"`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: String, dilation: any SpatialArgument = 1, groups: Int = 1, bias: Bool = true,
        paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        super.init(
            rank: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: moduleConvPadding(padding), dilation: dilation, transposed: false, outputPadding: 0,
            groups: groups,
            bias: bias, paddingMode: paddingMode, dtype: dtype)
    }
}

/// A 2-D convolution layer over `[N, C, H, W]` or `[C, H, W]` (`nn.Conv2d`), weight
/// `[out, in / groups, kH, kW]`.
public final class Conv2d: ConvNd {
    /// A 2-D convolution from `inChannels` to `outChannels` (`Conv2d(1, 32, kernelSize: 3)`,
    /// `Conv2d(16, 16, kernelSize: 3, padding: 1)`).
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, groups: Int = 1, bias: Bool = true,
        paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        super.init(
            rank: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: .explicit(padding.values(count: 2)), dilation: dilation, transposed: false, outputPadding: 0,
            groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype)
    }

    /// A 2-D convolution with `padding: "same"` or `"valid"`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: String, dilation: any SpatialArgument = 1, groups: Int = 1, bias: Bool = true,
        paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        super.init(
            rank: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: moduleConvPadding(padding), dilation: dilation, transposed: false, outputPadding: 0,
            groups: groups,
            bias: bias, paddingMode: paddingMode, dtype: dtype)
    }
}

/// A 1-D transposed convolution layer (`nn.ConvTranspose1d`), weight `[in, out / groups, k]`.
public final class ConvTranspose1d: ConvNd {
    /// A 1-D transposed convolution from `inChannels` to `outChannels`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, outputPadding: any SpatialArgument = 0, groups: Int = 1, bias: Bool = true,
        dilation: any SpatialArgument = 1, paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        precondition(paddingMode == "zeros", "Only \"zeros\" padding mode is supported for ConvTranspose1d")
        super.init(
            rank: 1, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: .explicit(padding.values(count: 1)), dilation: dilation, transposed: true,
            outputPadding: outputPadding, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype)
    }

    /// The transposed convolution with the output padding chosen to give `outputSize`.
    public func callAsFunction(_ input: Tensor, outputSize: [Int]) -> Tensor {
        convolve(input, outputPadding: transposedOutputPadding(input, outputSize))
    }
}

/// A 2-D transposed convolution layer (`nn.ConvTranspose2d`), weight `[in, out / groups, kH, kW]`.
public final class ConvTranspose2d: ConvNd {
    /// A 2-D transposed convolution from `inChannels` to `outChannels`
    /// (`ConvTranspose2d(16, 8, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)`).
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: any SpatialArgument, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, outputPadding: any SpatialArgument = 0, groups: Int = 1, bias: Bool = true,
        dilation: any SpatialArgument = 1, paddingMode: String = "zeros", dtype: DType = .float32
    ) {
        precondition(paddingMode == "zeros", "Only \"zeros\" padding mode is supported for ConvTranspose2d")
        super.init(
            rank: 2, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
            padding: .explicit(padding.values(count: 2)), dilation: dilation, transposed: true,
            outputPadding: outputPadding, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype)
    }

    /// The transposed convolution with the output padding chosen to give `outputSize` (spatial
    /// sizes, optionally preceded by the batch and channel sizes).
    public func callAsFunction(_ input: Tensor, outputSize: [Int]) -> Tensor {
        convolve(input, outputPadding: transposedOutputPadding(input, outputSize))
    }
}

extension ConvNd {
    /// PyTorch's `_output_padding`: the output padding that makes a transposed convolution's
    /// output `outputSize`, which must lie between the smallest and largest reachable sizes.
    func transposedOutputPadding(_ input: Tensor, _ outputSize: [Int]) -> [Int] {
        let rank = kernelSize.count
        let nonSpatial = input.dim == rank + 2 ? 2 : 1
        let size = outputSize.count == nonSpatial + rank ? Array(outputSize.suffix(rank)) : outputSize
        precondition(
            size.count == rank,
            "ConvTranspose\(rank)D: for \(input.dim)D input, output_size must have \(rank) or \(nonSpatial + rank) elements (got \(outputSize.count))"
        )
        guard case .explicit(let pad) = padding else { fatalError("transposed convolutions take explicit padding") }
        let spatial = Array(input.shape.suffix(rank))
        let minSizes: [Int] = (0..<rank).map { d in
            let span = (spatial[d] - 1) * stride[d] - 2 * pad[d]
            return span + dilation[d] * (kernelSize[d] - 1) + 1
        }
        let maxSizes = (0..<rank).map { minSizes[$0] + stride[$0] - 1 }
        precondition(
            (0..<rank).allSatisfy { size[$0] >= minSizes[$0] && size[$0] <= maxSizes[$0] },
            "requested an output size of \(size), but valid sizes range from \(minSizes) to \(maxSizes) (for an input of torch.Size(\(spatial)))"
        )
        return (0..<rank).map { size[$0] - minSizes[$0] }
    }
}

/// A layer's padding string, with the message `nn.Conv2d` gives for anything but same / valid.
private func moduleConvPadding(_ string: String) -> ConvPadding {
    precondition(
        string == "same" || string == "valid", "Invalid padding string '\(string)', should be one of {'same', 'valid'}")
    return ConvPadding(string)
}
