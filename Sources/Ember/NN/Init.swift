/// Weight initialisation (`torch.nn.init`): each function fills a tensor in place without
/// recording gradients, drawing from `generator` (the default generator unless given).
public enum Init {
    /// Fan-in and fan-out of a weight (`_calculate_fan_in_and_fan_out`): for `[out, in, k...]`,
    /// fan-in is `in × receptive field` and fan-out `out × receptive field`.
    public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        precondition(
            t.dim >= 2, "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
        let receptive = t.shape.dropFirst(2).reduce(1, *)
        return (t.shape[1] * receptive, t.shape[0] * receptive)
    }

    /// The recommended gain for a nonlinearity (`calculate_gain`).
    public static func gain(_ nonlinearity: String, param: Double? = nil) -> Double {
        switch nonlinearity {
        case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
            "sigmoid":
            return 1
        case "tanh": return 5.0 / 3
        case "relu": return 2.0.squareRoot()
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2.0 / (1 + slope * slope)).squareRoot()
        case "selu": return 3.0 / 4
        default: fatalError("Unsupported nonlinearity \(nonlinearity)")
        }
    }

    /// Whether the random initialisers are turned off (see `withoutRandomInit(_:)`).
    @TaskLocal static var skipsRandomInit = false

    /// Runs `body` with the random initialisers (`uniform`, `normal` and every function built on
    /// them, including the layers' default initialisation) turned into no-ops that draw nothing,
    /// so new layers keep their constructor values (zeros, ones). For building a model whose
    /// weights are loaded right after, like PyTorch's `torch.nn.utils.skip_init`.
    public static func withoutRandomInit<T>(_ body: () throws -> T) rethrows -> T {
        try $skipsRandomInit.withValue(true, operation: body)
    }

    /// Fills with samples from U(low, high) (`uniform_`).
    public static func uniform(_ t: Tensor, low: Double = 0, high: Double = 1, generator: Generator = .current) {
        guard !skipsRandomInit else { return }
        let u = Tensor.rand(t.shape, dtype: .float64, generator: generator)
        noGrad { _ = t.detach().copy(from: u * (high - low) + low) }
    }

    /// Fills with samples from N(mean, std²) (`normal_`).
    public static func normal(_ t: Tensor, mean: Double = 0, std: Double = 1, generator: Generator = .current) {
        guard !skipsRandomInit else { return }
        let n = Tensor.randn(t.shape, dtype: .float64, generator: generator)
        noGrad { _ = t.detach().copy(from: n * std + mean) }
    }

    /// Fills with `value` (`constant_`).
    public static func constant(_ t: Tensor, _ value: Double) { noGrad { _ = t.detach().fill(value) } }

    /// Fills with zeros (`zeros_`).
    public static func zeros(_ t: Tensor) { constant(t, 0) }

    /// Fills with ones (`ones_`).
    public static func ones(_ t: Tensor) { constant(t, 1) }

    /// Kaiming/He uniform (`kaiming_uniform_`): bound `gain × √(3 / fan)`.
    public static func kaimingUniform(
        _ t: Tensor, a: Double = 0, mode: String = "fan_in", nonlinearity: String = "leaky_relu",
        generator: Generator = .current
    ) {
        let (fanIn, fanOut) = fans(t)
        let fan = Double(mode == "fan_in" ? fanIn : fanOut)
        let bound = gain(nonlinearity, param: a) * (3 / fan).squareRoot()
        uniform(t, low: -bound, high: bound, generator: generator)
    }

    /// Kaiming/He normal (`kaiming_normal_`): std `gain / √fan`.
    public static func kaimingNormal(
        _ t: Tensor, a: Double = 0, mode: String = "fan_in", nonlinearity: String = "leaky_relu",
        generator: Generator = .current
    ) {
        let (fanIn, fanOut) = fans(t)
        let fan = Double(mode == "fan_in" ? fanIn : fanOut)
        normal(t, std: gain(nonlinearity, param: a) / fan.squareRoot(), generator: generator)
    }

    /// Glorot uniform (`xavier_uniform_`): bound `gain × √(6 / (fanIn + fanOut))`.
    public static func xavierUniform(_ t: Tensor, gain: Double = 1, generator: Generator = .current) {
        let (fanIn, fanOut) = fans(t)
        let bound = gain * (6 / Double(fanIn + fanOut)).squareRoot()
        uniform(t, low: -bound, high: bound, generator: generator)
    }

    /// Glorot normal (`xavier_normal_`): std `gain × √(2 / (fanIn + fanOut))`.
    public static func xavierNormal(_ t: Tensor, gain: Double = 1, generator: Generator = .current) {
        let (fanIn, fanOut) = fans(t)
        normal(t, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    /// A (semi-)orthogonal matrix scaled by `gain` (`orthogonal_`): the Q factor of the QR
    /// decomposition of a standard normal `[rows, numel / rows]` matrix (transposed when wider
    /// than tall), its columns' signs chosen so that R has a positive diagonal, as PyTorch does.
    public static func orthogonal(_ t: Tensor, gain: Double = 1, generator: Generator = .current) {
        precondition(t.dim >= 2, "Only tensors with 2 or more dimensions are supported")
        guard !skipsRandomInit, t.count > 0 else { return }
        let rows = t.shape[0]
        let cols = t.count / rows
        let a = Tensor.randn([rows, cols], dtype: .float64, generator: generator)
        let tall = rows < cols ? a.t() : a
        let q = orthonormalColumns(tall.contiguous().toArray(as: Double.self), rows: tall.shape[0], cols: tall.shape[1])
        let matrix = Tensor(shape: tall.shape, scalars: q)
        let result = (rows < cols ? matrix.t() : matrix) * gain
        noGrad { _ = t.detach().copy(from: result.reshape(t.shape)) }
    }

    /// The Q of a thin QR decomposition of a row-major `rows × cols` matrix (`rows >= cols`) with
    /// R's diagonal positive, by modified Gram-Schmidt (twice, for orthogonality to rounding).
    private static func orthonormalColumns(_ a: [Double], rows: Int, cols: Int) -> [Double] {
        var columns = (0..<cols).map { j in (0..<rows).map { a[$0 * cols + j] } }
        for j in 0..<cols {
            for _ in 0..<2 {
                for k in 0..<j {
                    let dot = zip(columns[j], columns[k]).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in 0..<rows { columns[j][i] -= dot * columns[k][i] }
                }
            }
            let norm = columns[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            columns[j] = columns[j].map { $0 / norm }
        }
        return (0..<rows * cols).map { columns[$0 % cols][$0 / cols] }
    }

    /// PyTorch's default for Linear and Conv layers (`reset_parameters`): weight Kaiming-uniform
    /// with a = √5, i.e. U(-1/√fanIn, 1/√fanIn), and the bias from the same range.
    static func defaultLayerInit(weight: Tensor, bias: Tensor?, fanIn: Int? = nil) {
        kaimingUniform(weight, a: 5.0.squareRoot())
        if let bias {
            let fan = fanIn ?? fans(weight).fanIn
            let bound = fan > 0 ? 1 / Double(fan).squareRoot() : 0
            uniform(bias, low: -bound, high: bound)
        }
    }
}
