/// Loss modules (`nn.MSELoss`, `nn.CrossEntropyLoss`, ...): `criterion(output, target)`.
open class Loss: Module {
    /// How per-element losses are combined.
    public let reduction: Reduction

    /// A loss with the given reduction (`.mean` by default).
    public init(reduction: Reduction = .mean) {
        self.reduction = reduction
        super.init()
    }

    /// The loss of `input` against `target`; subclasses override it.
    open func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        fatalError("\(typeName) must override forward(_:_:)")
    }

    /// Runs `forward(input, target)` (`criterion(output, target)`).
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { forward(input, target) }

    /// A loss needs a target; call `criterion(input, target)`.
    override open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(typeName).forward() missing 1 required positional argument: 'target'")
    }
}

/// Mean squared error (`nn.MSELoss`).
public final class MSELoss: Loss {
    /// `(input - target)²`, reduced.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.mseLoss(input, target, reduction: reduction)
    }
}

/// Mean absolute error (`nn.L1Loss`).
public final class L1Loss: Loss {
    /// `|input - target|`, reduced.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.l1Loss(input, target, reduction: reduction)
    }
}

/// Smooth L1 loss (`nn.SmoothL1Loss`).
public final class SmoothL1Loss: Loss {
    /// Where the loss turns from quadratic to linear.
    public let beta: Double
    /// A smooth L1 loss.
    public init(reduction: Reduction = .mean, beta: Double = 1) {
        self.beta = beta
        super.init(reduction: reduction)
    }
    /// Smooth L1 of `input - target`, reduced.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.smoothL1Loss(input, target, reduction: reduction, beta: beta)
    }
}

/// Huber loss (`nn.HuberLoss`).
public final class HuberLoss: Loss {
    /// Where the loss turns from quadratic to linear.
    public let delta: Double
    /// A Huber loss.
    public init(reduction: Reduction = .mean, delta: Double = 1) {
        self.delta = delta
        super.init(reduction: reduction)
    }
    /// Huber loss of `input - target`, reduced.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.huberLoss(input, target, reduction: reduction, delta: delta)
    }
}

/// Binary cross-entropy on probabilities (`nn.BCELoss`).
public final class BCELoss: Loss {
    /// Per-element rescaling weight.
    public let weight: Tensor?
    /// A BCE loss.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight.map { Buffer($0) }
        super.init(reduction: reduction)
    }
    /// BCE of probabilities `input` against `target`.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
    }
}

/// Binary cross-entropy on logits (`nn.BCEWithLogitsLoss`).
public final class BCEWithLogitsLoss: Loss {
    /// Per-element rescaling weight.
    public let weight: Tensor?
    /// Weight of positive examples, per class.
    public let posWeight: Tensor?
    /// A BCE-with-logits loss.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean, posWeight: Tensor? = nil) {
        self.weight = weight.map { Buffer($0) }
        self.posWeight = posWeight.map { Buffer($0) }
        super.init(reduction: reduction)
    }
    /// State keys as PyTorch spells them.
    override public class var stateKeyOverrides: [String: String] { ["posWeight": "pos_weight"] }
    /// BCE of logits `input` against `target`.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }
}

/// Cross-entropy of logits against class indices or probabilities (`nn.CrossEntropyLoss`).
public final class CrossEntropyLoss: Loss {
    /// Per-class weight.
    public let weight: Tensor?
    /// Target value that contributes nothing.
    public let ignoreIndex: Int
    /// Amount of label smoothing in [0, 1].
    public let labelSmoothing: Double
    /// A cross-entropy loss.
    public init(
        weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0
    ) {
        self.weight = weight.map { Buffer($0) }
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        super.init(reduction: reduction)
    }
    /// Cross-entropy of logits `input` against `target`.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.crossEntropy(
            input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
            labelSmoothing: labelSmoothing)
    }
}

/// Negative log-likelihood of log-probabilities (`nn.NLLLoss`).
public final class NLLLoss: Loss {
    /// Per-class weight.
    public let weight: Tensor?
    /// Target value that contributes nothing.
    public let ignoreIndex: Int
    /// An NLL loss.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight.map { Buffer($0) }
        self.ignoreIndex = ignoreIndex
        super.init(reduction: reduction)
    }
    /// NLL of log-probabilities `input` against class indices `target`.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}

/// Kullback-Leibler divergence (`nn.KLDivLoss`).
public final class KLDivLoss: Loss {
    /// `"mean"`, `"batchmean"`, `"sum"` or `"none"`.
    public let reductionMode: String
    /// Whether the target is given as log-probabilities.
    public let logTarget: Bool
    /// A KL-divergence loss. Its `reduction` is the `Reduction` of the same name, and `.sum` for
    /// `"batchmean"` (the sum divided by the batch size); as in PyTorch, any other string stops
    /// the first call.
    public init(reduction: String = "mean", logTarget: Bool = false) {
        reductionMode = reduction
        self.logTarget = logTarget
        super.init(reduction: Reduction(rawValue: reduction) ?? .sum)
    }
    /// KL divergence of `target` from log-probabilities `input`.
    override public func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        F.klDiv(input, target, reduction: reductionMode, logTarget: logTarget)
    }
}
