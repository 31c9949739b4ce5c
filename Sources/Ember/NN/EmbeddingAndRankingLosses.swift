/// Embedding and ranking losses: `CosineEmbeddingLoss`, `MarginRankingLoss`, `TripletMarginLoss`
/// and their functional forms.

extension F {
    /// `1 − cos(x1, x2)` where `target` is 1, `max(0, cos(x1, x2) − margin)` where it is −1
    /// (`F.cosine_embedding_loss`); inputs `[N, D]` (or `[D]`), target `[N]` (or scalar).
    public static func cosineEmbeddingLoss(
        _ input1: Tensor, _ input2: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean
    ) -> Tensor {
        precondition(
            input1.dim == 1 || input1.dim == 2, "cosine_embedding_loss: Expected 1D or 2D input, got \(input1.dim)D")
        let dim = input1.dim == 2 ? 1 : 0
        let epsilon = 1e-12
        let dot = (input1 * input2).sum(dim: dim)
        let squared1 = (input1 * input1).sum(dim: dim) + epsilon
        let squared2 = (input2 * input2).sum(dim: dim) + epsilon
        let cos = dot / (squared1 * squared2).sqrt()
        let zeros = Tensor.zerosLike(cos)
        let positive = Tensor.where(target .== 1, 1 - cos, zeros)
        let negative = Tensor.where(target .== -1, (cos - margin).clampMin(0), zeros)
        return (positive + negative).reduced(reduction)
    }

    /// `max(0, −target × (input1 − input2) + margin)` (`F.margin_ranking_loss`).
    public static func marginRankingLoss(
        _ input1: Tensor, _ input2: Tensor, _ target: Tensor, margin: Double = 0, reduction: Reduction = .mean
    ) -> Tensor {
        (-target * (input1 - input2) + margin).clampMin(0).reduced(reduction)
    }

    /// `max(0, margin + d(anchor, positive) − d(anchor, negative))` with the p-norm distance
    /// `‖a − b + eps‖_p` over the last dimension; with `swap`, the negative distance is the
    /// smaller of `d(anchor, negative)` and `d(positive, negative)` (`F.triplet_margin_loss`).
    public static func tripletMarginLoss(
        _ anchor: Tensor, _ positive: Tensor, _ negative: Tensor, margin: Double = 1, p: Double = 2,
        eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean
    ) -> Tensor {
        precondition(margin > 0, "TripletMarginLoss: expected margin to be greater than 0, got \(margin) instead")
        func distance(_ a: Tensor, _ b: Tensor) -> Tensor { (a - b + eps).norm(p: p, dim: [-1]) }
        let positiveDistance = distance(anchor, positive)
        var negativeDistance = distance(anchor, negative)
        if swap { negativeDistance = minimum(negativeDistance, distance(positive, negative)) }
        return (positiveDistance - negativeDistance + margin).clampMin(0).reduced(reduction)
    }
}

/// A loss of three tensors, called as `criterion(a, b, c)`.
open class TernaryLoss: Loss {
    /// The loss of the three inputs; subclasses override it.
    open func forward(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor {
        fatalError("\(typeName) must override forward(_:_:_:)")
    }

    /// Runs `forward(a, b, c)`.
    public func callAsFunction(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor { forward(a, b, c) }

    /// This loss needs three inputs; call `criterion(a, b, c)`.
    override open func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        fatalError("\(typeName).forward() missing 1 required positional argument")
    }
}

/// Cosine embedding loss of `(input1, input2, target)` (`nn.CosineEmbeddingLoss`).
public final class CosineEmbeddingLoss: TernaryLoss {
    /// The margin for dissimilar pairs (target −1).
    public let margin: Double

    /// A cosine embedding loss.
    public init(margin: Double = 0, reduction: Reduction = .mean) {
        self.margin = margin
        super.init(reduction: reduction)
    }

    /// See `F.cosineEmbeddingLoss`.
    override public func forward(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) -> Tensor {
        F.cosineEmbeddingLoss(input1, input2, target, margin: margin, reduction: reduction)
    }
}

/// Margin ranking loss of `(input1, input2, target)` (`nn.MarginRankingLoss`).
public final class MarginRankingLoss: TernaryLoss {
    /// The required margin between the ranked inputs.
    public let margin: Double

    /// A margin ranking loss.
    public init(margin: Double = 0, reduction: Reduction = .mean) {
        self.margin = margin
        super.init(reduction: reduction)
    }

    /// See `F.marginRankingLoss`.
    override public func forward(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) -> Tensor {
        F.marginRankingLoss(input1, input2, target, margin: margin, reduction: reduction)
    }
}

/// Triplet margin loss of `(anchor, positive, negative)` (`nn.TripletMarginLoss`).
public final class TripletMarginLoss: TernaryLoss {
    /// The required margin between positive and negative distances.
    public let margin: Double
    /// The norm degree of the distance.
    public let p: Double
    /// Added to the differences before the norm.
    public let eps: Double
    /// Whether the positive-negative distance may replace the anchor-negative one.
    public let swap: Bool

    /// A triplet margin loss.
    public init(margin: Double = 1, p: Double = 2, eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean)
    {
        precondition(margin > 0, "TripletMarginLoss: expected margin to be greater than 0, got \(margin) instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap
        super.init(reduction: reduction)
    }

    /// See `F.tripletMarginLoss`.
    override public func forward(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        F.tripletMarginLoss(
            anchor, positive, negative, margin: margin, p: p, eps: eps, swap: swap, reduction: reduction)
    }
}
