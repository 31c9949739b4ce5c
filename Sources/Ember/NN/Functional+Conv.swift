import CEmberKernels

/// Convolutions (`F.conv1d`, `F.conv2d`, `F.convTranspose1d`, `F.convTranspose2d`): PyTorch's
/// argument rules and messages, then three bilinear primitives on `ConvGeometry` whose gradients
/// are each other, so convolutions differentiate to any order:
///
/// - `conv(x, w)`: the convolution (im2col + GEMM, Backend/Im2col.swift);
/// - `transposedConv(y, w)`: its adjoint in `x`, which is also the transposed convolution;
/// - `weightGrad(x, y)`: its adjoint in `w`.

/// An integer argument given once for every spatial dimension (`Int`) or once per dimension
/// (`[Int]`), like PyTorch's "int or tuple" arguments (`kernel_size=3`, `stride=(2, 1)`).
public protocol SpatialArgument: Sendable {
    /// The values for `count` spatial dimensions: an `Int` repeated, an array as given.
    func values(count: Int) -> [Int]
    /// Python's spelling, as reprs show it: `3` or `(3, 5)`.
    var pythonDescription: String { get }
}

extension Int: SpatialArgument {
    /// The number repeated `count` times.
    public func values(count: Int) -> [Int] { [Int](repeating: self, count: count) }
    /// The number.
    public var pythonDescription: String { String(self) }
}

extension Array: SpatialArgument where Element == Int {
    /// The array itself.
    public func values(count: Int) -> [Int] { self }
    /// A Python tuple: `(3, 5)`, `(3,)`.
    public var pythonDescription: String { pythonTuple(self) }
}

/// `(3, 5)` / `(3,)`, as Python prints tuples.
func pythonTuple(_ values: [Int]) -> String {
    values.count == 1 ? "(\(values[0]),)" : "(" + values.map(String.init).joined(separator: ", ") + ")"
}

/// A convolution's padding: sizes per spatial dimension, or PyTorch's `"same"` (output as large as
/// the input, stride 1 only) or `"valid"` (no padding).
public enum ConvPadding: Equatable, Sendable, CustomStringConvertible {
    /// Zeros added on both sides of each spatial dimension.
    case explicit([Int])
    /// Enough padding for the output to keep the input's size (extra on the end when odd).
    case same
    /// No padding.
    case valid

    /// Parses `"same"` or `"valid"`, stopping with PyTorch's message otherwise.
    public init(_ string: String) {
        switch string {
        case "same": self = .same
        case "valid": self = .valid
        default: preconditionFailure("Invalid padding string: '\(string)'")
        }
    }

    /// `(1, 1)`, `same` or `valid`, as PyTorch's reprs show it.
    public var description: String {
        switch self {
        case .explicit(let sizes): pythonTuple(sizes)
        case .same: "same"
        case .valid: "valid"
        }
    }

    /// Padding before and after each of `kernel.count` spatial dimensions.
    func amounts(kernel: [Int], dilation: [Int]) -> (before: [Int], after: [Int]) {
        switch self {
        case .explicit(let sizes): return (sizes, sizes)
        case .valid: return ([Int](repeating: 0, count: kernel.count), [Int](repeating: 0, count: kernel.count))
        case .same:
            // PyTorch's rule: total d·(k-1), the larger half after.
            let total = zip(kernel, dilation).map { k, d in d * (k - 1) }
            return (total.map { $0 / 2 }, total.map { $0 - $0 / 2 })
        }
    }
}

extension F {
    /// 1-D convolution of `[N, C, L]` (or unbatched `[C, L]`) with weight `[O, C / groups, k]`
    /// (`F.conv1d`).
    public static func conv1d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, groups: Int = 1
    ) -> Tensor {
        ConvOptions(
            rank: 1, function: "conv1d", stride: stride, padding: .explicit(padding.values(count: 1)),
            dilation: dilation, groups: groups
        ).apply(input, weight, bias: bias)
    }

    /// 1-D convolution with `padding: "same"` or `"valid"` (`F.conv1d(x, w, padding="same")`).
    public static func conv1d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1, padding: String,
        dilation: any SpatialArgument = 1, groups: Int = 1
    ) -> Tensor {
        ConvOptions(
            rank: 1, function: "conv1d", stride: stride, padding: ConvPadding(padding), dilation: dilation,
            groups: groups
        ).apply(input, weight, bias: bias)
    }

    /// 2-D convolution of `[N, C, H, W]` (or unbatched `[C, H, W]`) with weight
    /// `[O, C / groups, kH, kW]` (`F.conv2d(img, w, bias: b, stride: 2, padding: 1)`).
    public static func conv2d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, groups: Int = 1
    ) -> Tensor {
        ConvOptions(
            rank: 2, function: "conv2d", stride: stride, padding: .explicit(padding.values(count: 2)),
            dilation: dilation, groups: groups
        ).apply(input, weight, bias: bias)
    }

    /// 2-D convolution with `padding: "same"` or `"valid"` (`F.conv2d(x, w, padding="same")`).
    public static func conv2d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1, padding: String,
        dilation: any SpatialArgument = 1, groups: Int = 1
    ) -> Tensor {
        ConvOptions(
            rank: 2, function: "conv2d", stride: stride, padding: ConvPadding(padding), dilation: dilation,
            groups: groups
        ).apply(input, weight, bias: bias)
    }

    /// 1-D transposed convolution ("deconvolution") of `[N, Cin, L]` with weight
    /// `[Cin, Cout / groups, k]` (`F.conv_transpose1d`).
    public static func convTranspose1d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, outputPadding: any SpatialArgument = 0, groups: Int = 1,
        dilation: any SpatialArgument = 1
    ) -> Tensor {
        ConvOptions(
            rank: 1, function: "conv_transpose1d", stride: stride, padding: .explicit(padding.values(count: 1)),
            dilation: dilation, groups: groups, outputPadding: outputPadding
        ).apply(input, weight, bias: bias)
    }

    /// 2-D transposed convolution ("deconvolution") of `[N, Cin, H, W]` with weight
    /// `[Cin, Cout / groups, kH, kW]` (`F.conv_transpose2d`).
    public static func convTranspose2d(
        _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: any SpatialArgument = 1,
        padding: any SpatialArgument = 0, outputPadding: any SpatialArgument = 0, groups: Int = 1,
        dilation: any SpatialArgument = 1
    ) -> Tensor {
        ConvOptions(
            rank: 2, function: "conv_transpose2d", stride: stride, padding: .explicit(padding.values(count: 2)),
            dilation: dilation, groups: groups, outputPadding: outputPadding
        ).apply(input, weight, bias: bias)
    }
}

/// The arguments of one convolution call, checked against the input and weight with PyTorch's
/// rules and messages, then run through `ConvGeometry`.
struct ConvOptions {
    /// 1 or 2 spatial dimensions.
    let rank: Int
    /// PyTorch's function name for messages (`conv2d`).
    let function: String
    let stride: [Int]
    let padding: ConvPadding
    let dilation: [Int]
    let groups: Int
    /// Set for transposed convolutions.
    let outputPadding: [Int]?

    init(
        rank: Int, function: String, stride: any SpatialArgument, padding: ConvPadding,
        dilation: any SpatialArgument, groups: Int, outputPadding: (any SpatialArgument)? = nil
    ) {
        self.rank = rank
        self.function = function
        self.stride = stride.values(count: rank)
        self.padding = padding
        self.dilation = dilation.values(count: rank)
        self.groups = groups
        self.outputPadding = outputPadding?.values(count: rank)
    }

    /// The convolution of `input` (batched or not) with `weight` and `bias`, recorded for autograd.
    func apply(_ input: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(
            input.dim == rank + 1 || input.dim == rank + 2,
            "Expected \(rank + 1)D (unbatched) or \(rank + 2)D (batched) input to \(function), but got input of size: \(input.shape)"
        )
        let batched = input.dim == rank + 2
        let x = batched ? input : input.unsqueeze(0)
        let geometry = checkedGeometry(x, weight, bias)
        let out =
            outputPadding == nil
            ? geometry.conv(x, weight, bias: bias, name: "ConvolutionBackward0")
            : geometry.transposedConv(x, weight, bias: bias, name: "ConvolutionBackward0")
        return batched ? out : out.squeeze(dim: 0)
    }

    /// Expands a per-dimension argument to the weight's spatial rank, as PyTorch's
    /// `expand_param_if_needed`.
    private func expand(_ values: [Int], _ name: String, to count: Int) -> [Int] {
        if values.count == 1 { return [Int](repeating: values[0], count: count) }
        precondition(
            values.count == count,
            "expected \(name) to be a single integer value or a list of \(count) values to match the convolution dimensions, but got \(name)=\(values)"
        )
        return values
    }

    /// Checks `x` (batched), `weight` and `bias` as PyTorch's `_convolution` does and returns the
    /// convolution geometry (for a transposed convolution, that of the convolution it transposes).
    private func checkedGeometry(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> ConvGeometry {
        precondition(weight.dim >= 3, "weight should have at least three dimensions")
        precondition(groups > 0, "non-positive groups is not supported")
        let dims = weight.dim - 2
        let stride = expand(stride, "stride", to: dims)
        let dilation = expand(dilation, "dilation", to: dims)
        var explicitPadding = [Int](repeating: 0, count: dims)
        if case .explicit(let sizes) = padding { explicitPadding = expand(sizes, "padding", to: dims) }
        let outputPadding = self.outputPadding.map { expand($0, "output_padding", to: dims) }
        if padding == .same {
            precondition(stride.allSatisfy { $0 == 1 }, "padding='same' is not supported for strided convolutions")
        }
        precondition(explicitPadding.allSatisfy { $0 >= 0 }, "negative padding is not supported")
        precondition(outputPadding?.allSatisfy { $0 >= 0 } ?? true, "negative output_padding is not supported")
        precondition(stride.allSatisfy { $0 > 0 }, "non-positive stride is not supported")
        precondition(dilation.allSatisfy { $0 > 0 }, "non-positive dilation is not supported")
        precondition(
            x.dim == weight.dim,
            "Expected \(weight.dim)-dimensional input for \(weight.dim)-dimensional weight \(weight.shape), but got \(x.dim)-dimensional input of size \(x.shape) instead"
        )
        let w = weight.shape
        precondition(
            w[0] >= groups,
            "Given groups=\(groups), expected weight to be at least \(groups) at dimension 0, but got weight of size \(w) instead"
        )
        precondition(
            w[0] % groups == 0,
            "Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(w)] instead"
        )
        let kernel = Array(w[2...])
        let spatial = Array(x.shape[2...])
        let geometry: ConvGeometry
        if let outputPadding {
            geometry = transposedGeometry(x, weight, bias, kernel, stride, explicitPadding, dilation, outputPadding)
        } else {
            precondition(
                x.shape[1] == w[1] * groups,
                "Given groups=\(groups), weight of size \(w), expected input\(x.shape) to have \(w[1] * groups) channels, but got \(x.shape[1]) channels instead"
            )
            checkBias(bias, count: w[0], "Given weight of size \(w)")
            let (before, after) = padding.amounts(kernel: kernel, dilation: dilation)
            let padded = (0..<dims).map { spatial[$0] + before[$0] + after[$0] }
            let extent = (0..<dims).map { dilation[$0] * (kernel[$0] - 1) + 1 }
            precondition(
                zip(padded, extent).allSatisfy { $0 >= $1 },
                "Calculated padded input size per channel: (\(padded.map(String.init).joined(separator: " x "))). Kernel size: (\(extent.map(String.init).joined(separator: " x "))). Kernel size can't be greater than actual input size"
            )
            let out = (0..<dims).map { (padded[$0] - extent[$0]) / stride[$0] + 1 }
            geometry = ConvGeometry(
                batch: x.shape[0], inChannels: x.shape[1], outChannels: w[0], groups: groups, inSize: spatial,
                kernel: kernel, stride: stride, padding: before, dilation: dilation, outSize: out)
        }
        checkTypes(x, weight, bias)
        return geometry
    }

    private func transposedGeometry(
        _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ kernel: [Int], _ stride: [Int], _ padding: [Int],
        _ dilation: [Int], _ outputPadding: [Int]
    ) -> ConvGeometry {
        let w = weight.shape
        precondition(
            x.shape[1] == w[0],
            "Given transposed=1, weight of size \(w), expected input\(x.shape) to have \(w[0]) channels, but got \(x.shape[1]) channels instead"
        )
        checkBias(bias, count: w[1] * groups, "Given transposed=1, weight of size \(w)")
        // PyTorch reports 1-D arguments as 2-D ones of height 1.
        let op: [Int] = rank == 1 ? [0] + outputPadding : outputPadding
        let st: [Int] = rank == 1 ? [1] + stride : stride
        let dl: [Int] = rank == 1 ? [1] + dilation : dilation
        precondition(
            (0..<rank).allSatisfy { d in outputPadding[d] < stride[d] || outputPadding[d] < dilation[d] },
            "output padding must be smaller than either stride or dilation, but got output_padding_height: \(op[0]) output_padding_width: \(op[1]) stride_height: \(st[0]) stride_width: \(st[1]) dilation_height: \(dl[0]) dilation_width: \(dl[1])"
        )
        let spatial = Array(x.shape[2...])
        let out: [Int] = (0..<rank).map { d in
            let span = (spatial[d] - 1) * stride[d] - 2 * padding[d]
            return span + dilation[d] * (kernel[d] - 1) + outputPadding[d] + 1
        }
        precondition(
            out.allSatisfy { $0 > 0 },
            "Given input size per channel: (\(spatial.map(String.init).joined(separator: " x "))). Calculated output size per channel: (\(out.map(String.init).joined(separator: " x "))). Output size is too small"
        )
        return ConvGeometry(
            batch: x.shape[0], inChannels: w[1] * groups, outChannels: w[0], groups: groups, inSize: out,
            kernel: kernel, stride: stride, padding: padding, dilation: dilation, outSize: spatial)
    }

    private func checkBias(_ bias: Tensor?, count: Int, _ prefix: String) {
        guard let bias else { return }
        precondition(
            bias.dim == 1 && bias.shape[0] == count,
            "\(prefix), expected bias to be 1-dimensional with \(count) elements, but got bias of size \(bias.shape) instead"
        )
    }

    private func checkTypes(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) {
        precondition(
            x.dtype.isFloatingPoint, "\(function): Ember supports float32 and float64 inputs, got \(x.dtype)")
        if x.dtype != weight.dtype {
            precondition(
                x.dtype != .float64,
                "expected scalar type \(x.dtype.pytorchName) but found \(weight.dtype.pytorchName)")
            preconditionFailure(
                "Input type (\(x.dtype.tensorTypeName)) and weight type (\(weight.dtype.tensorTypeName)) should be the same or input should be a MKLDNN tensor and weight is a dense tensor"
            )
        }
        if let bias, bias.dtype != x.dtype {
            preconditionFailure(
                "Input type (\(x.dtype.cName)) and bias type (\(bias.dtype.cName)) should be the same")
        }
    }
}

extension DType {
    /// PyTorch's legacy tensor type name (`torch.FloatTensor`), used in some messages.
    fileprivate var tensorTypeName: String {
        "torch.\(pytorchName)Tensor"
    }
}

extension ConvGeometry {
    /// The geometry of a convolution whose spatial sizes are given per dimension (1 or 2 of them).
    init(
        batch: Int, inChannels: Int, outChannels: Int, groups: Int, inSize: [Int], kernel: [Int], stride: [Int],
        padding: [Int], dilation: [Int], outSize: [Int]
    ) {
        let (h, w) = heightAndWidth(inSize, fill: 1)
        let (kh, kw) = heightAndWidth(kernel, fill: 1)
        let (sh, sw) = heightAndWidth(stride, fill: 1)
        let (ph, pw) = heightAndWidth(padding, fill: 0)
        let (dh, dw) = heightAndWidth(dilation, fill: 1)
        let (oh, ow) = heightAndWidth(outSize, fill: 1)
        self.init(
            batch: batch, outChannels: outChannels, groups: groups, spatialRank: inSize.count,
            image: ember_conv_geometry(
                channels: Int64(inChannels), height: h, width: w, kernel_h: kh, kernel_w: kw, pad_h: ph, pad_w: pw,
                stride_h: sh, stride_w: sw, dilation_h: dh, dilation_w: dw, out_h: oh, out_w: ow))
    }

    /// Name of the nodes recorded while differentiating a convolution.
    private static let backwardName = "ConvolutionBackwardBackward0"

    /// `conv(x, w) + bias`, recorded; its gradients are `transposedConv` and `weightGrad`.
    func conv(_ x: Tensor, _ w: Tensor, bias: Tensor?, name: String) -> Tensor {
        let out = convolution(x, w, bias: bias)
        let inputs = bias.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(name, output: out, inputs: inputs, saving: [x, w]) { g, needs in
            [
                needs[0] ? transposedConv(g, w, bias: nil, name: Self.backwardName) : nil,
                needs[1] ? weightGrad(x, g) : nil,
            ] + biasGradient(g, needs)
        }
    }

    /// `convᵀ(y, w) + bias`, recorded: the adjoint of `conv` in its input, which is also the
    /// transposed convolution of `y` (`bias` per channel of the result).
    func transposedConv(_ y: Tensor, _ w: Tensor, bias: Tensor?, name: String) -> Tensor {
        let out = transposedConvolution(y, w, bias: bias)
        let inputs = bias.map { [y, w, $0] } ?? [y, w]
        return Tensor.record(name, output: out, inputs: inputs, saving: [y, w]) { g, needs in
            [
                needs[0] ? conv(g, w, bias: nil, name: Self.backwardName) : nil,
                needs[1] ? weightGrad(g, y) : nil,
            ] + biasGradient(g, needs)
        }
    }

    /// The weight gradient of `conv` for input `x` and output gradient `dy`, recorded.
    func weightGrad(_ x: Tensor, _ dy: Tensor) -> Tensor {
        let out = weightGradient(x, dy)
        return Tensor.record(Self.backwardName, output: out, inputs: [x, dy], saving: [x, dy]) { g, needs in
            [
                needs[0] ? transposedConv(dy, g, bias: nil, name: Self.backwardName) : nil,
                needs[1] ? conv(x, g, bias: nil, name: Self.backwardName) : nil,
            ]
        }
    }

    /// The bias entry of a gradient list: the output gradient summed per channel, when asked for.
    private func biasGradient(_ g: Tensor, _ needs: [Bool]) -> [Tensor?] {
        guard needs.count > 2 else { return [] }
        return [needs[2] ? channelSums(g) : nil]
    }
}

// MARK: - Non-zero padding modes

/// Pads the last `before.count` dimensions of `x` with `mode` (`"reflect"`, `"replicate"` or
/// `"circular"`), as `F.pad` does for the padding modes of convolution layers; differentiable
/// (an index gather per dimension).
func spatialPad(_ x: Tensor, before: [Int], after: [Int], mode: String) -> Tensor {
    var result = x
    let first = x.dim - before.count
    // Last dimension first, as PyTorch checks (and reports) them.
    for i in before.indices.reversed() {
        let dim = first + i
        let size = result.shape[dim]
        let (lo, hi) = (before[i], after[i])
        switch mode {
        case "reflect":
            precondition(
                lo < size && hi < size,
                "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(lo), \(hi)) at dimension \(dim) of input \(x.shape)"
            )
        case "circular":
            precondition(lo <= size && hi <= size, "Padding value causes wrapping around more than once.")
        default:
            precondition(size > 0, "padding size should be greater than zero for replicate padding")
        }
        let index = (-lo..<(size + hi)).map { position -> Int in
            switch mode {
            case "reflect": position < 0 ? -position : position >= size ? 2 * (size - 1) - position : position
            case "circular": (position % size + size) % size
            default: Swift.min(Swift.max(position, 0), size - 1)
            }
        }
        result = result.indexSelect(dim: dim, index: Tensor(shape: [index.count], scalars: index))
    }
    return result
}
