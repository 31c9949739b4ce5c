/// Pooling layers: thin modules over the functions in NN/Functional+Pooling.swift, with PyTorch's
/// arguments and reprs (arguments print as given: `kernel_size=2` or `kernel_size=(2, 3)`).

/// What the max-pooling layers share (`nn.modules.pooling._MaxPoolNd`).
public class MaxPoolNd: Module {
    /// The window size, one value per spatial dimension.
    public let kernelSize: [Int]
    /// The step between windows (PyTorch's default: the window size).
    public let stride: [Int]
    /// Implicit negative-infinity padding on both sides.
    public let padding: [Int]
    /// The spacing between window elements.
    public let dilation: [Int]
    /// Whether a last partial window that starts inside the input is kept.
    public let ceilMode: Bool
    private let arguments: String

    init(
        rank: Int, kernelSize: any SpatialArgument, stride: (any SpatialArgument)?, padding: any SpatialArgument,
        dilation: any SpatialArgument, ceilMode: Bool
    ) {
        let stride = stride ?? kernelSize
        self.kernelSize = kernelSize.values(count: rank)
        self.stride = stride.values(count: rank)
        self.padding = padding.values(count: rank)
        self.dilation = dilation.values(count: rank)
        self.ceilMode = ceilMode
        arguments =
            "kernel_size=\(kernelSize.pythonDescription), stride=\(stride.pythonDescription), "
            + "padding=\(padding.pythonDescription), dilation=\(dilation.pythonDescription), "
            + "ceil_mode=\(ceilMode ? "True" : "False")"
        super.init()
    }

    /// `kernel_size=…, stride=…, padding=…, dilation=…, ceil_mode=…`.
    override public var extraRepr: String { arguments }
}

/// Max pooling over `[N, C, L]` or `[C, L]` (`nn.MaxPool1d`).
public final class MaxPool1d: MaxPoolNd {
    /// A max-pooling layer; `stride` defaults to `kernelSize`.
    public init(
        kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil, padding: any SpatialArgument = 0,
        dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) {
        super.init(
            rank: 1, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// The maxima of each window.
    override public func forward(_ input: Tensor) -> Tensor {
        F.maxPool1d(
            input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// Max pooling over `[N, C, H, W]` or `[C, H, W]` (`nn.MaxPool2d`).
public final class MaxPool2d: MaxPoolNd {
    /// A max-pooling layer (`MaxPool2d(kernelSize: 2)`); `stride` defaults to `kernelSize`.
    public init(
        kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil, padding: any SpatialArgument = 0,
        dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) {
        super.init(
            rank: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// The maxima of each window.
    override public func forward(_ input: Tensor) -> Tensor {
        F.maxPool2d(
            input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// What the average-pooling layers share (`nn.modules.pooling._AvgPoolNd`).
public class AvgPoolNd: Module {
    /// The window size, one value per spatial dimension.
    public let kernelSize: [Int]
    /// The step between windows (PyTorch's default: the window size).
    public let stride: [Int]
    /// Implicit zero padding on both sides.
    public let padding: [Int]
    /// Whether a last partial window that starts inside the input is kept.
    public let ceilMode: Bool
    /// Whether padded zeros count in the divisor.
    public let countIncludePad: Bool
    private let arguments: String

    init(
        rank: Int, kernelSize: any SpatialArgument, stride: (any SpatialArgument)?, padding: any SpatialArgument,
        ceilMode: Bool, countIncludePad: Bool
    ) {
        let stride = stride ?? kernelSize
        self.kernelSize = kernelSize.values(count: rank)
        self.stride = stride.values(count: rank)
        self.padding = padding.values(count: rank)
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        // AvgPool1d stores its arguments as 1-tuples; AvgPool2d keeps them as given.
        func describe(_ argument: any SpatialArgument) -> String {
            rank == 1 ? pythonTuple(argument.values(count: 1)) : argument.pythonDescription
        }
        arguments =
            "kernel_size=\(describe(kernelSize)), stride=\(describe(stride)), padding=\(describe(padding))"
        super.init()
    }

    /// `kernel_size=…, stride=…, padding=…`.
    override public var extraRepr: String { arguments }
}

/// Average pooling over `[N, C, L]` or `[C, L]` (`nn.AvgPool1d`).
public final class AvgPool1d: AvgPoolNd {
    /// An average-pooling layer; `stride` defaults to `kernelSize`.
    public init(
        kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil, padding: any SpatialArgument = 0,
        ceilMode: Bool = false, countIncludePad: Bool = true
    ) {
        super.init(
            rank: 1, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
            countIncludePad: countIncludePad)
    }

    /// The mean of each window.
    override public func forward(_ input: Tensor) -> Tensor {
        F.avgPool1d(
            input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
            countIncludePad: countIncludePad)
    }
}

/// Average pooling over `[N, C, H, W]` or `[C, H, W]` (`nn.AvgPool2d`).
public final class AvgPool2d: AvgPoolNd {
    /// Replaces the window size as divisor when set.
    public let divisorOverride: Int?

    /// An average-pooling layer (`AvgPool2d(kernelSize: 2)`); `stride` defaults to `kernelSize`.
    public init(
        kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil, padding: any SpatialArgument = 0,
        ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil
    ) {
        self.divisorOverride = divisorOverride
        super.init(
            rank: 2, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
            countIncludePad: countIncludePad)
    }

    /// The mean of each window.
    override public func forward(_ input: Tensor) -> Tensor {
        F.avgPool2d(
            input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
            countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
}

/// What the adaptive pooling layers share: the target size (`_AdaptiveAvgPoolNd`,
/// `_AdaptiveMaxPoolNd`).
public class AdaptivePoolNd: Module {
    /// The output's spatial size, one value per dimension.
    public let outputSize: [Int]
    private let argument: String

    init(rank: Int, outputSize: any SpatialArgument) {
        self.outputSize = outputSize.values(count: rank)
        argument = outputSize.pythonDescription
        super.init()
    }

    /// `output_size=…`.
    override public var extraRepr: String { "output_size=\(argument)" }
}

/// Adaptive average pooling of `[N, C, L]` or `[C, L]` to a fixed length (`nn.AdaptiveAvgPool1d`).
public final class AdaptiveAvgPool1d: AdaptivePoolNd {
    /// An adaptive average-pooling layer to `outputSize` positions.
    public init(outputSize: any SpatialArgument) { super.init(rank: 1, outputSize: outputSize) }
    /// The mean of each adaptive window.
    override public func forward(_ input: Tensor) -> Tensor { F.adaptiveAvgPool1d(input, outputSize: outputSize) }
}

/// Adaptive average pooling of `[N, C, H, W]` or `[C, H, W]` to a fixed size
/// (`nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: AdaptivePoolNd {
    /// An adaptive average-pooling layer (`AdaptiveAvgPool2d(outputSize: [1, 1])`).
    public init(outputSize: any SpatialArgument) { super.init(rank: 2, outputSize: outputSize) }
    /// The mean of each adaptive window.
    override public func forward(_ input: Tensor) -> Tensor { F.adaptiveAvgPool2d(input, outputSize: outputSize) }
}

/// Adaptive max pooling of `[N, C, L]` or `[C, L]` to a fixed length (`nn.AdaptiveMaxPool1d`).
public final class AdaptiveMaxPool1d: AdaptivePoolNd {
    /// An adaptive max-pooling layer to `outputSize` positions.
    public init(outputSize: any SpatialArgument) { super.init(rank: 1, outputSize: outputSize) }
    /// The maximum of each adaptive window.
    override public func forward(_ input: Tensor) -> Tensor { F.adaptiveMaxPool1d(input, outputSize: outputSize) }
}

/// Adaptive max pooling of `[N, C, H, W]` or `[C, H, W]` to a fixed size (`nn.AdaptiveMaxPool2d`).
public final class AdaptiveMaxPool2d: AdaptivePoolNd {
    /// An adaptive max-pooling layer (`AdaptiveMaxPool2d(outputSize: [2, 2])`).
    public init(outputSize: any SpatialArgument) { super.init(rank: 2, outputSize: outputSize) }
    /// The maximum of each adaptive window.
    override public func forward(_ input: Tensor) -> Tensor { F.adaptiveMaxPool2d(input, outputSize: outputSize) }
}
