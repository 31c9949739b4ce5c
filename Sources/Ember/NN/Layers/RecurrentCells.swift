/// Single-step recurrent cells: `RNNCell`, `LSTMCell`, `GRUCell` (one time step of the
/// corresponding network, with parameters `weight_ih, weight_hh, bias_ih, bias_hh`).

/// The shared implementation of the cells (`nn.RNNCellBase`).
public class RNNCellBase: Module {
    /// Features of the input.
    public let inputSize: Int
    /// Features of the hidden state.
    public let hiddenSize: Int
    /// Whether the cell has `bias_ih` and `bias_hh`.
    public let bias: Bool
    /// `[gates·H, inputSize]`, U(-1/√H, 1/√H).
    public let weightIh: Tensor
    /// `[gates·H, H]`, U(-1/√H, 1/√H).
    public let weightHh: Tensor
    /// `[gates·H]`, U(-1/√H, 1/√H).
    public let biasIh: Tensor?
    /// `[gates·H]`, U(-1/√H, 1/√H).
    public let biasHh: Tensor?
    let mode: RecurrentMode
    /// `RNNCell`, `LSTMCell` or `GRUCell`, as PyTorch's messages name the cell.
    let kind: String

    init(mode: RecurrentMode, kind: String, inputSize: Int, hiddenSize: Int, bias: Bool, dtype: DType) {
        self.mode = mode
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.bias = bias
        let width = mode.gateCount * hiddenSize
        weightIh = Parameter(Tensor.zeros([width, inputSize], dtype: dtype))
        weightHh = Parameter(Tensor.zeros([width, hiddenSize], dtype: dtype))
        biasIh = bias ? Parameter(Tensor.zeros([width], dtype: dtype)) : nil
        biasHh = bias ? Parameter(Tensor.zeros([width], dtype: dtype)) : nil
        super.init()
        let bound = 1 / Double(hiddenSize).squareRoot()
        for p in parameters() { Init.uniform(p, low: -bound, high: bound) }
    }

    /// PyTorch's parameter names.
    override public class var stateKeyOverrides: [String: String] {
        ["weightIh": "weight_ih", "weightHh": "weight_hh", "biasIh": "bias_ih", "biasHh": "bias_hh"]
    }

    /// One step from `input` (`[B, I]`, or `[I]` unbatched) and `states` (zeros when `nil`).
    func step(_ input: Tensor, states: [Tensor]?) -> [Tensor] {
        precondition(
            input.dim == 1 || input.dim == 2, "\(kind): Expected input to be 1D or 2D, got \(input.dim)D instead")
        for (i, state) in (states ?? []).enumerated() where state.dim != 1 && state.dim != 2 {
            let name = mode == .lstm ? "hx[\(i)]" : "hidden"
            fatalError("\(kind): Expected \(name) to be 1D or 2D, got \(state.dim)D instead")
        }
        let batched = input.dim == 2
        let x = batched ? input : input.unsqueeze(0)
        precondition(
            x.shape[1] == inputSize, "input has inconsistent input_size: got \(x.shape[1]) expected \(inputSize)")
        let zeros = Tensor.zeros([x.shape[0], hiddenSize], dtype: x.dtype)
        let initial = states.map { batched ? $0 : $0.map { $0.unsqueeze(0) } } ?? [zeros, zeros]
        for (i, state) in initial.enumerated() {
            precondition(
                state.shape[0] == x.shape[0],
                "Input batch size \(x.shape[0]) doesn't match hidden\(i) batch size \(state.shape[0])")
            precondition(
                state.shape[1] == hiddenSize,
                "hidden\(i) has inconsistent hidden_size: got \(state.shape[1]), expected \(hiddenSize)")
        }
        let weights = RecurrentWeights(ih: weightIh, hh: weightHh, biasIh: biasIh, biasHh: biasHh)
        let result = recurrentLayer(
            mode, input: x.unsqueeze(0), hidden: initial[0], cell: mode == .lstm ? initial[1] : nil,
            weights: weights, reverse: false)
        let next = [result.hidden] + (result.cell.map { [$0] } ?? [])
        return batched ? next : next.map { $0.squeeze(dim: 0) }
    }

    /// `3, 4`, then `bias=False` when the cell has no biases.
    override public var extraRepr: String { "\(inputSize), \(hiddenSize)" + (bias ? "" : ", bias=False") }
}

/// One step of an Elman RNN, `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (or ReLU) (`nn.RNNCell`).
public final class RNNCell: RNNCellBase {
    /// `"tanh"` or `"relu"`.
    public let nonlinearity: String

    /// An RNN cell with PyTorch's arguments and defaults.
    public init(
        _ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, nonlinearity: String = "tanh",
        dtype: DType = .float32
    ) {
        precondition(
            nonlinearity == "tanh" || nonlinearity == "relu", "Unknown nonlinearity: \(nonlinearity)")
        self.nonlinearity = nonlinearity
        super.init(
            mode: nonlinearity == "tanh" ? .rnnTanh : .rnnRelu, kind: "RNNCell", inputSize: inputSize,
            hiddenSize: hiddenSize, bias: bias, dtype: dtype)
    }

    /// The next hidden state from `hx` (`cell(x)` starts from zeros).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor { step(input, states: hx.map { [$0] })[0] }

    /// The next hidden state from zeros.
    override public func forward(_ input: Tensor) -> Tensor { step(input, states: nil)[0] }

    /// `3, 4`, then `bias=False` and `nonlinearity=relu` when not the defaults.
    override public var extraRepr: String {
        super.extraRepr + (nonlinearity == "tanh" ? "" : ", nonlinearity=\(nonlinearity)")
    }
}

/// One LSTM step with gates i, f, g, o (`nn.LSTMCell`); returns `(h', c')`.
public final class LSTMCell: RNNCellBase {
    /// An LSTM cell with PyTorch's arguments and defaults.
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .float32) {
        super.init(
            mode: .lstm, kind: "LSTMCell", inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
    }

    /// The next hidden and cell states from `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: (Tensor, Tensor)? = nil) -> (Tensor, Tensor) {
        let next = step(input, states: hx.map { [$0.0, $0.1] })
        return (next[0], next[1])
    }

    /// The next hidden state from zeros (use `cell(x)` as a tuple for the cell state too).
    override public func forward(_ input: Tensor) -> Tensor { step(input, states: nil)[0] }
}

/// One GRU step with gates r, z, n (`nn.GRUCell`).
public final class GRUCell: RNNCellBase {
    /// A GRU cell with PyTorch's arguments and defaults.
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .float32) {
        super.init(mode: .gru, kind: "GRUCell", inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype)
    }

    /// The next hidden state from `hx` (`cell(x)` starts from zeros).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor?) -> Tensor { step(input, states: hx.map { [$0] })[0] }

    /// The next hidden state from zeros.
    override public func forward(_ input: Tensor) -> Tensor { step(input, states: nil)[0] }
}
