/// The functional API (`torch.nn.functional as F`): stateless forms of the layers and losses.
/// Layer families add their functions in their own files (`extension F`).
public enum F {}

extension F {
    /// One-hot encoding of int64 class indices (`F.one_hot`); see `Tensor.oneHot`.
    public static func oneHot(_ tensor: Tensor, numClasses: Int = -1) -> Tensor {
        Tensor.oneHot(tensor, numClasses: numClasses)
    }

    /// `max(x, 0)` (`F.relu`).
    public static func relu(_ x: Tensor) -> Tensor { x.relu() }

    /// `min(max(x, 0), 6)` (`F.relu6`).
    public static func relu6(_ x: Tensor) -> Tensor { hardtanh(x, minVal: 0, maxVal: 6) }

    /// `clamp(x, minVal, maxVal)` whose gradient is zero at and beyond the bounds (`F.hardtanh`).
    public static func hardtanh(_ x: Tensor, minVal: Double = -1, maxVal: Double = 1) -> Tensor {
        let out = noGrad { x.detach().clamp(min: minVal, max: maxVal) }
        return Tensor.record("HardtanhBackward0", output: out, inputs: [x], saving: [x]) { g, _ in
            [g * ((x .> minVal) .& (x .< maxVal))]
        }
    }

    /// `x` where positive, else `negativeSlope × x` (`F.leaky_relu`).
    public static func leakyRelu(_ x: Tensor, negativeSlope: Double = 0.01) -> Tensor {
        Tensor.where(x .> 0, x, x * negativeSlope)
    }

    /// `x` where positive, else `alpha × (exp(x) − 1)` (`F.elu`).
    public static func elu(_ x: Tensor, alpha: Double = 1) -> Tensor {
        Tensor.where(x .> 0, x, x.expm1() * alpha)
    }

    /// Gaussian error linear unit, exact (`"none"`) or with the tanh approximation (`F.gelu`).
    public static func gelu(_ x: Tensor, approximate: String = "none") -> Tensor {
        if approximate == "tanh" {
            let inner = (x + x.pow(3) * 0.044715) * (2 / Double.pi).squareRoot()
            return x * 0.5 * (inner.tanh() + 1)
        }
        precondition(approximate == "none", "approximate argument must be either none or tanh.")
        return x * 0.5 * ((x * (1 / 2.0.squareRoot())).erf() + 1)
    }

    /// `x × sigmoid(x)` (`F.silu`).
    public static func silu(_ x: Tensor) -> Tensor { x * x.sigmoid() }

    /// `x × tanh(softplus(x))` (`F.mish`).
    public static func mish(_ x: Tensor) -> Tensor { x * softplus(x).tanh() }

    /// `log(1 + exp(beta × x)) / beta`, linear above `threshold` (`F.softplus`).
    public static func softplus(_ x: Tensor, beta: Double = 1, threshold: Double = 20) -> Tensor {
        let scaled = x * beta
        let smooth = (scaled.clamp(max: threshold)).exp().log1p() / beta
        return Tensor.where(scaled .> threshold, x, smooth)
    }

    /// Logistic sigmoid (`F.sigmoid`).
    public static func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }

    /// Hyperbolic tangent (`F.tanh`).
    public static func tanh(_ x: Tensor) -> Tensor { x.tanh() }

    /// Softmax along `dim` (`F.softmax(x, dim=1)`).
    public static func softmax(_ x: Tensor, dim: Int) -> Tensor { x.softmax(dim: dim) }

    /// Log-softmax along `dim` (`F.log_softmax(x, dim=1)`).
    public static func logSoftmax(_ x: Tensor, dim: Int) -> Tensor { x.logSoftmax(dim: dim) }

    /// `x @ weight.T + bias` with weight `[out, in]` (`F.linear`).
    public static func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        if x.dim == 2, let bias, bias.dtype == x.dtype, weight.dtype == x.dtype {
            return Tensor.addmm(bias, x, weight.t())
        }
        let y = x.matmul(weight.t())
        guard let bias else { return y }
        return y + bias
    }

    /// `y = x1ᵀ A x2 + b` over the last dimension of inputs `[*, in1]` and `[*, in2]`, weight
    /// `[out, in1, in2]` (`F.bilinear`); one matrix product for the whole batch.
    public static func bilinear(_ x1: Tensor, _ x2: Tensor, _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(
            x1.dim == x2.dim, "bilinear(): input dimensions do not match: got \(x1.dim) and \(x2.dim)")
        for i in 0..<(x1.dim - 1) {
            precondition(
                x1.shape[i] == x2.shape[i],
                "bilinear(): input batch dimensions do not match: got \(x1.shape[i]) and \(x2.shape[i])")
        }
        let (outFeatures, in1, in2) = (weight.shape[0], weight.shape[1], weight.shape[2])
        precondition(
            x1.shape.last == in1,
            "bilinear(): input1 size does not match weight size: got \(x1.shape.last ?? 0) but expected \(in1)")
        precondition(
            x2.shape.last == in2,
            "bilinear(): input2 size does not match weight size: got \(x2.shape.last ?? 0) but expected \(in2)")
        if let bias {
            precondition(
                bias.shape[0] == outFeatures,
                "bilinear(): bias size does not match weight size: got \(bias.shape[0]) but expected \(outFeatures)")
        }
        // [N, in1] @ [in1, out * in2] -> [N, out, in2], times x2 summed over in2 -> [N, out].
        let left = x1.reshape([-1, in1]).mm(weight.permute([1, 0, 2]).reshape([in1, outFeatures * in2]))
        let y = (left.view([-1, outFeatures, in2]) * x2.reshape([-1, 1, in2])).sum(dim: -1)
        let shaped = y.reshape(Array(x1.shape.dropLast()) + [outFeatures])
        guard let bias else { return shaped }
        return shaped + bias
    }

    /// Zeroes elements with probability `p` and scales the rest by `1 / (1 - p)` when `training`
    /// (`F.dropout`).
    public static func dropout(_ x: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator = .current)
        -> Tensor
    {
        precondition(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got \(p)")
        guard training && p > 0 else { return x }
        if p == 1 { return x * 0 }
        let keep = Tensor.rand(x.shape, dtype: x.dtype.isFloatingPoint ? x.dtype : .float32, generator: generator) .>= p
        return x * keep * (1 / (1 - p))
    }
}
