/// A fully connected layer `y = x Wᵀ + b` with weight `[outFeatures, inFeatures]` (`nn.Linear`),
/// initialised as PyTorch does: U(-1/√in, 1/√in) for weight and bias.
public class Linear: Module {
    /// Input size.
    public let inFeatures: Int
    /// Output size.
    public let outFeatures: Int
    /// The weight, `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// The bias, `[outFeatures]`, or `nil` when created with `bias: false`.
    public let bias: Tensor?

    /// A linear layer from `inFeatures` to `outFeatures`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(Tensor.zeros([outFeatures, inFeatures], dtype: dtype))
        self.bias = bias ? Parameter(Tensor.zeros([outFeatures], dtype: dtype)) : nil
        super.init()
        Init.defaultLayerInit(weight: weight, bias: self.bias)
    }

    /// `x Wᵀ + b` over the last dimension.
    override public func forward(_ input: Tensor) -> Tensor { F.linear(input, weight, bias: bias) }

    /// `in_features=…, out_features=…, bias=…`.
    override public var extraRepr: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")"
    }

    /// `relu(forward(input))` with the bias and ReLU applied by the product's epilogue, on each
    /// core's part of the result while it is in cache, for `Sequential` to run a `Linear` and the
    /// `ReLU` after it; the values are the same, bit for bit. Nil where this does not apply and
    /// the two layers run one after the other: a subclass (its own `forward`), an input that is
    /// not a matrix of the weight's dtype and width (which then gets PyTorch's error), autograd
    /// recording (its graph keeps PyTorch's two nodes), or an ONNX trace.
    func forwardReLU(_ input: Tensor) -> Tensor? {
        guard type(of: self) == Linear.self, input.dim == 2, input.dtype == weight.dtype, input.dtype.isFloatingPoint,
            input.shape[1] == inFeatures, !ONNXTracer.isActive,
            !(GradMode.isEnabled && (input.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true))
        else { return nil }
        let out = Tensor(empty: [input.shape[0], outFeatures], dtype: input.dtype, zeroed: inFeatures == 0)
        gemm(input, weight.t(), into: out, bias: bias?.contiguous(), relu: true)
        return out
    }
}

/// `y = x₁ᵀ A x₂ + b` with weight `[out, in1, in2]` (`nn.Bilinear`).
public final class Bilinear: Module {
    /// First input size.
    public let in1Features: Int
    /// Second input size.
    public let in2Features: Int
    /// Output size.
    public let outFeatures: Int
    /// The weight, `[out, in1, in2]`.
    public let weight: Tensor
    /// The bias, `[out]`, or `nil`.
    public let bias: Tensor?

    /// A bilinear layer; parameters from U(-1/√in1, 1/√in1), as PyTorch.
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true) {
        self.in1Features = in1Features
        self.in2Features = in2Features
        self.outFeatures = outFeatures
        weight = Parameter(Tensor.zeros([outFeatures, in1Features, in2Features]))
        self.bias = bias ? Parameter(Tensor.zeros([outFeatures])) : nil
        super.init()
        let bound = 1 / Double(in1Features).squareRoot()
        Init.uniform(weight, low: -bound, high: bound)
        if let b = self.bias { Init.uniform(b, low: -bound, high: bound) }
    }

    /// `x₁ᵀ A x₂ + b` for inputs `[*, in1]` and `[*, in2]`.
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor { F.bilinear(x1, x2, weight, bias: bias) }

    /// Bilinear needs two inputs; call `layer(x1, x2)`.
    override public func forward(_ input: Tensor) -> Tensor {
        fatalError("Bilinear.forward() missing 1 required positional argument: 'input2'")
    }

    /// `in1_features=…, in2_features=…, out_features=…, bias=…`.
    override public var extraRepr: String {
        "in1_features=\(in1Features), in2_features=\(in2Features), out_features=\(outFeatures), bias=\(bias != nil ? "True" : "False")"
    }
}

/// Returns its input unchanged (`nn.Identity`).
public final class Identity: Module {
    /// An identity layer.
    override public init() { super.init() }
    /// The input itself.
    override public func forward(_ input: Tensor) -> Tensor { input }
}

/// Flattens dimensions `startDim ... endDim` (`nn.Flatten`, by default all but the batch).
public final class Flatten: Module {
    /// First dimension flattened.
    public let startDim: Int
    /// Last dimension flattened.
    public let endDim: Int

    /// A flatten layer (`startDim` 1, `endDim` -1 as in PyTorch).
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    /// The input with the chosen dimensions merged.
    override public func forward(_ input: Tensor) -> Tensor { input.flatten(startDim: startDim, endDim: endDim) }

    /// `start_dim=…, end_dim=…`.
    override public var extraRepr: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}

/// Splits dimension `dim` into `unflattenedSize` (`nn.Unflatten`).
public final class Unflatten: Module {
    /// The dimension split.
    public let dim: Int
    /// The sizes it becomes.
    public let unflattenedSize: [Int]

    /// An unflatten layer.
    public init(dim: Int, unflattenedSize: [Int]) {
        self.dim = dim
        self.unflattenedSize = unflattenedSize
        super.init()
    }

    /// The input with `dim` split.
    override public func forward(_ input: Tensor) -> Tensor {
        let d = normalizeDim(dim, input.dim)
        return input.reshape(Array(input.shape[..<d]) + unflattenedSize + Array(input.shape[(d + 1)...]))
    }

    /// `dim=…, unflattened_size=(…)`.
    override public var extraRepr: String {
        "dim=\(dim), unflattened_size=(\(unflattenedSize.map(String.init).joined(separator: ", "))\(unflattenedSize.count == 1 ? "," : ""))"
    }
}
