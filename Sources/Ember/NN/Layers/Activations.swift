/// Activation layers, thin modules over `F`.
///
/// The layers PyTorch gives an `inplace` flag accept it too and show it in their repr
/// (`ReLU(inplace=True)`), so models print as in PyTorch; Ember still computes a new tensor, so
/// values and gradients equal PyTorch's and the input is left unchanged.

/// The ", inplace=True" PyTorch's reprs append when the flag is set (`prefix` "" when it is the
/// only argument).
func inplaceRepr(_ inplace: Bool, prefix: String = ", ") -> String { inplace ? prefix + "inplace=True" : "" }

/// `max(x, 0)` (`nn.ReLU`).
public final class ReLU: Module {
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A ReLU layer (`ReLU(inplace=True)` is `ReLU(inplace: true)`).
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    /// `max(x, 0)`.
    override public func forward(_ input: Tensor) -> Tensor { F.relu(input) }
    /// `inplace=True` or nothing.
    override public var extraRepr: String { inplaceRepr(inplace, prefix: "") }
}

/// `min(max(x, 0), 6)` (`nn.ReLU6`).
public final class ReLU6: Module {
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A ReLU6 layer.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    /// `min(max(x, 0), 6)`.
    override public func forward(_ input: Tensor) -> Tensor { F.relu6(input) }
    /// `inplace=True` or nothing.
    override public var extraRepr: String { inplaceRepr(inplace, prefix: "") }
}

/// Leaky rectifier (`nn.LeakyReLU`).
public final class LeakyReLU: Module {
    /// Slope for negative inputs.
    public let negativeSlope: Double
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A leaky ReLU with the given slope (0.01 by default).
    public init(negativeSlope: Double = 0.01, inplace: Bool = false) {
        self.negativeSlope = negativeSlope
        self.inplace = inplace
        super.init()
    }
    /// `x` or `negativeSlope × x`.
    override public func forward(_ input: Tensor) -> Tensor { F.leakyRelu(input, negativeSlope: negativeSlope) }
    /// `negative_slope=…[, inplace=True]`.
    override public var extraRepr: String { "negative_slope=\(negativeSlope)" + inplaceRepr(inplace) }
}

/// Exponential linear unit (`nn.ELU`).
public final class ELU: Module {
    /// Scale of the negative part.
    public let alpha: Double
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// An ELU layer.
    public init(alpha: Double = 1, inplace: Bool = false) {
        self.alpha = alpha
        self.inplace = inplace
        super.init()
    }
    /// `x` or `alpha × (exp(x) − 1)`.
    override public func forward(_ input: Tensor) -> Tensor { F.elu(input, alpha: alpha) }
    /// `alpha=…[, inplace=True]`.
    override public var extraRepr: String { "alpha=\(alpha)" + inplaceRepr(inplace) }
}

/// Gaussian error linear unit (`nn.GELU`), exact or `approximate: "tanh"`.
public final class GELU: Module {
    /// `"none"` or `"tanh"`.
    public let approximate: String
    /// A GELU layer.
    public init(approximate: String = "none") {
        self.approximate = approximate
        super.init()
    }
    /// GELU of the input.
    override public func forward(_ input: Tensor) -> Tensor { F.gelu(input, approximate: approximate) }
    /// `approximate='…'`.
    override public var extraRepr: String { "approximate='\(approximate)'" }
}

/// `x × sigmoid(x)` (`nn.SiLU`).
public final class SiLU: Module {
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A SiLU layer.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    /// `x × sigmoid(x)`.
    override public func forward(_ input: Tensor) -> Tensor { F.silu(input) }
    /// `inplace=True` or nothing.
    override public var extraRepr: String { inplaceRepr(inplace, prefix: "") }
}

/// `x × tanh(softplus(x))` (`nn.Mish`).
public final class Mish: Module {
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A Mish layer.
    public init(inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }
    /// Mish of the input.
    override public func forward(_ input: Tensor) -> Tensor { F.mish(input) }
    /// `inplace=True` or nothing.
    override public var extraRepr: String { inplaceRepr(inplace, prefix: "") }
}

/// Smooth rectifier (`nn.Softplus`).
public final class Softplus: Module {
    /// Sharpness.
    public let beta: Double
    /// Above `beta × x > threshold` the layer is linear.
    public let threshold: Double
    /// A softplus layer.
    public init(beta: Double = 1, threshold: Double = 20) {
        self.beta = beta
        self.threshold = threshold
        super.init()
    }
    /// Softplus of the input.
    override public func forward(_ input: Tensor) -> Tensor { F.softplus(input, beta: beta, threshold: threshold) }
    /// `beta=…, threshold=…`.
    override public var extraRepr: String { "beta=\(beta), threshold=\(threshold)" }
}

/// Logistic sigmoid (`nn.Sigmoid`).
public final class Sigmoid: Module {
    /// A sigmoid layer.
    override public init() { super.init() }
    /// `1 / (1 + exp(-x))`.
    override public func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// Hyperbolic tangent (`nn.Tanh`).
public final class Tanh: Module {
    /// A tanh layer.
    override public init() { super.init() }
    /// `tanh(x)`.
    override public func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// Softmax along `dim` (`nn.Softmax`).
public final class Softmax: Module {
    /// The dimension normalised.
    public let dim: Int
    /// A softmax layer over `dim`.
    public init(dim: Int) {
        self.dim = dim
        super.init()
    }
    /// Softmax of the input.
    override public func forward(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }
    /// `dim=…`.
    override public var extraRepr: String { "dim=\(dim)" }
}

/// Log-softmax along `dim` (`nn.LogSoftmax`).
public final class LogSoftmax: Module {
    /// The dimension normalised.
    public let dim: Int
    /// A log-softmax layer over `dim`.
    public init(dim: Int) {
        self.dim = dim
        super.init()
    }
    /// Log-softmax of the input.
    override public func forward(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }
    /// `dim=…`.
    override public var extraRepr: String { "dim=\(dim)" }
}

/// Zeroes elements with probability `p` in training, identity in evaluation (`nn.Dropout`).
public final class Dropout: Module {
    /// Drop probability.
    public let p: Double
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A dropout layer.
    public init(p: Double = 0.5, inplace: Bool = false) {
        precondition(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.inplace = inplace
        super.init()
    }
    /// The input with elements dropped (training) or unchanged (evaluation).
    override public func forward(_ input: Tensor) -> Tensor { F.dropout(input, p: p, training: isTraining) }
    /// `p=…, inplace=…`.
    override public var extraRepr: String { "p=\(p), inplace=\(inplace.pythonDescription)" }
}

/// `clamp(x, minVal, maxVal)` (`nn.Hardtanh`).
public final class Hardtanh: Module {
    /// Lower bound.
    public let minVal: Double
    /// Upper bound.
    public let maxVal: Double
    /// Shown in the repr; see the file's note on `inplace`.
    public let inplace: Bool
    /// A hardtanh layer clamping to `[minVal, maxVal]`.
    public init(minVal: Double = -1, maxVal: Double = 1, inplace: Bool = false) {
        precondition(maxVal > minVal, "max_val must be greater than min_val")
        self.minVal = minVal
        self.maxVal = maxVal
        self.inplace = inplace
        super.init()
    }
    /// The input clamped.
    override public func forward(_ input: Tensor) -> Tensor { F.hardtanh(input, minVal: minVal, maxVal: maxVal) }
    /// `min_val=…, max_val=…[, inplace=True]`.
    override public var extraRepr: String { "min_val=\(minVal), max_val=\(maxVal)" + inplaceRepr(inplace) }
}
