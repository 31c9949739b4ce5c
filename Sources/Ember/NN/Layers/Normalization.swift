/// Normalisation layers (`BatchNorm1d`, `BatchNorm2d`, `LayerNorm`, `GroupNorm`) and channel
/// dropout (`Dropout2d`), thin modules over the functions in `F`.

extension Bool {
    /// Python's spelling of the Boolean (`True` / `False`), for reprs.
    var pythonDescription: String { self ? "True" : "False" }
}

/// The shared implementation of `BatchNorm1d` and `BatchNorm2d` (PyTorch's `_BatchNorm`):
/// per-channel normalisation with running statistics.
///
/// State keys, in order: `weight`, `bias` (when `affine`), `running_mean`, `running_var`,
/// `num_batches_tracked` (when `trackRunningStats`).
public class BatchNormBase: Module {
    /// The number of channels `C`.
    public let numFeatures: Int
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// The running statistics' update factor; `nil` means a cumulative average.
    public let momentum: Double?
    /// Whether the layer has a learnable per-channel scale and shift.
    public let affine: Bool
    /// Whether running statistics are kept (and used in evaluation mode).
    public let trackRunningStats: Bool
    /// Per-channel scale `[C]`, initialised to ones; `nil` without `affine`.
    public let weight: Tensor?
    /// Per-channel shift `[C]`, initialised to zeros; `nil` without `affine` or `bias`.
    public let bias: Tensor?
    /// Running mean `[C]`, initialised to zeros (buffer `running_mean`).
    public let runningMean: Tensor?
    /// Running variance `[C]`, initialised to ones (buffer `running_var`).
    public let runningVar: Tensor?
    /// The number of training batches seen, an int64 scalar (buffer `num_batches_tracked`).
    public let numBatchesTracked: Tensor?

    init(
        numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool, bias: Bool,
        dtype: DType
    ) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        weight = affine ? Parameter(Tensor.ones([numFeatures], dtype: dtype)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numFeatures], dtype: dtype)) : nil
        runningMean = trackRunningStats ? Buffer(Tensor.zeros([numFeatures], dtype: dtype)) : nil
        runningVar = trackRunningStats ? Buffer(Tensor.ones([numFeatures], dtype: dtype)) : nil
        numBatchesTracked = trackRunningStats ? Buffer(Tensor.zeros([], dtype: .int64)) : nil
        super.init()
    }

    /// Python's names for the running-statistics buffers.
    override public class var stateKeyOverrides: [String: String] {
        ["runningMean": "running_mean", "runningVar": "running_var", "numBatchesTracked": "num_batches_tracked"]
    }

    /// Stops unless `input` has the rank the layer accepts.
    func checkInputDim(_ input: Tensor) {}

    /// Normalises with batch statistics in training mode (updating the running statistics) and
    /// with the running statistics in evaluation mode, as PyTorch does.
    override public func forward(_ input: Tensor) -> Tensor {
        checkInputDim(input)
        var factor = momentum ?? 0
        if isTraining, let count = numBatchesTracked {
            noGrad { _ = count.fill(count.item() + 1) }
            if momentum == nil { factor = 1 / count.item() }
        }
        let useBatchStatistics = isTraining || (runningMean == nil && runningVar == nil)
        let passStatistics = !isTraining || trackRunningStats
        return F.batchNorm(
            input, runningMean: passStatistics ? runningMean : nil, runningVar: passStatistics ? runningVar : nil,
            weight: weight, bias: bias, training: useBatchStatistics, momentum: factor, eps: eps)
    }

    /// `8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True`.
    override public var extraRepr: String {
        let momentumText = momentum.map { "\($0)" } ?? "None"
        return "\(numFeatures), eps=\(eps), momentum=\(momentumText), affine=\(affine.pythonDescription), "
            + "bias=\((bias != nil).pythonDescription), track_running_stats=\(trackRunningStats.pythonDescription)"
    }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` inputs (`nn.BatchNorm1d`).
public final class BatchNorm1d: BatchNormBase {
    /// A batch-norm layer over `numFeatures` channels, with PyTorch's defaults.
    public init(
        _ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
        trackRunningStats: Bool = true, bias: Bool = true, dtype: DType = .float32
    ) {
        super.init(
            numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
            trackRunningStats: trackRunningStats,
            bias: bias, dtype: dtype)
    }

    override func checkInputDim(_ input: Tensor) {
        precondition(input.dim == 2 || input.dim == 3, "expected 2D or 3D input (got \(input.dim)D input)")
    }
}

/// Batch normalisation of `[N, C, H, W]` inputs (`nn.BatchNorm2d`).
public final class BatchNorm2d: BatchNormBase {
    /// A batch-norm layer over `numFeatures` channels, with PyTorch's defaults.
    public init(
        _ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
        trackRunningStats: Bool = true, bias: Bool = true, dtype: DType = .float32
    ) {
        super.init(
            numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
            trackRunningStats: trackRunningStats,
            bias: bias, dtype: dtype)
    }

    override func checkInputDim(_ input: Tensor) {
        precondition(input.dim == 4, "expected 4D input (got \(input.dim)D input)")
    }
}

/// Layer normalisation over the trailing `normalizedShape` dimensions (`nn.LayerNorm`).
public final class LayerNorm: Module {
    /// The trailing shape normalised.
    public let normalizedShape: [Int]
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// Whether the layer has learnable elementwise `weight` (and `bias`).
    public let elementwiseAffine: Bool
    /// Elementwise scale of `normalizedShape`, initialised to ones.
    public let weight: Tensor?
    /// Elementwise shift of `normalizedShape`, initialised to zeros.
    public let bias: Tensor?

    /// A layer norm over the trailing dimensions `normalizedShape`.
    public init(
        _ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
        dtype: DType = .float32
    ) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.elementwiseAffine = elementwiseAffine
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, dtype: dtype)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape, dtype: dtype)) : nil
        super.init()
    }

    /// A layer norm over the last dimension, of size `normalizedShape`.
    public convenience init(
        _ normalizedShape: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
        dtype: DType = .float32
    ) {
        self.init([normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, dtype: dtype)
    }

    /// The input normalised over its trailing dimensions.
    override public func forward(_ input: Tensor) -> Tensor {
        F.layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }

    /// `(6,), eps=1e-05, elementwise_affine=True, bias=True`.
    override public var extraRepr: String {
        let shape = normalizedShape.map(String.init).joined(separator: ", ") + (normalizedShape.count == 1 ? "," : "")
        return "(\(shape)), eps=\(eps), elementwise_affine=\(elementwiseAffine.pythonDescription), "
            + "bias=\((bias != nil).pythonDescription)"
    }
}

/// Group normalisation of `[N, C, *]` over `numGroups` groups of channels (`nn.GroupNorm`).
public final class GroupNorm: Module {
    /// The number of channel groups.
    public let numGroups: Int
    /// The number of channels `C`.
    public let numChannels: Int
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// Whether the layer has a learnable per-channel scale and shift.
    public let affine: Bool
    /// Per-channel scale `[C]`, initialised to ones.
    public let weight: Tensor?
    /// Per-channel shift `[C]`, initialised to zeros.
    public let bias: Tensor?

    /// A group norm; `numChannels` must be divisible by `numGroups`.
    public init(
        _ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true,
        dtype: DType = .float32
    ) {
        precondition(
            numGroups > 0 && numChannels % numGroups == 0,
            "num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups))")
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        weight = affine ? Parameter(Tensor.ones([numChannels], dtype: dtype)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([numChannels], dtype: dtype)) : nil
        super.init()
    }

    /// The input normalised per sample and channel group.
    override public func forward(_ input: Tensor) -> Tensor {
        F.groupNorm(input, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }

    /// `2, 4, eps=1e-05, affine=True, bias=True`.
    override public var extraRepr: String {
        "\(numGroups), \(numChannels), eps=\(eps), affine=\(affine.pythonDescription), "
            + "bias=\((bias != nil).pythonDescription)"
    }
}

/// Zeroes whole channels with probability `p` in training, identity in evaluation
/// (`nn.Dropout2d`).
public final class Dropout2d: Module {
    /// Drop probability of a channel.
    public let p: Double
    /// Shown in the repr; Ember computes a new tensor either way (see `ReLU`'s file).
    public let inplace: Bool

    /// A channel-dropout layer.
    public init(p: Double = 0.5, inplace: Bool = false) {
        precondition(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.inplace = inplace
        super.init()
    }

    /// The input with channels dropped (training) or unchanged (evaluation).
    override public func forward(_ input: Tensor) -> Tensor { F.dropout2d(input, p: p, training: isTraining) }

    /// `p=0.5, inplace=False`.
    override public var extraRepr: String { "p=\(p), inplace=\(inplace.pythonDescription)" }
}
