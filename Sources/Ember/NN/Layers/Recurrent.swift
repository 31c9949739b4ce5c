/// Multi-layer recurrent networks: `RNN` (tanh or ReLU), `LSTM` and `GRU`, with PyTorch's
/// parameters, shapes and semantics (time-major or `batchFirst`, bidirectional, dropout between
/// layers, optional initial states, unbatched 2-D input).

/// The shared implementation of `RNN`, `LSTM` and `GRU` (`nn.RNNBase`).
///
/// Parameters are registered per layer and direction in PyTorch's order and names:
/// `weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l0_reverse, ...`, all
/// initialised from U(-1/√hiddenSize, 1/√hiddenSize).
public class RNNBase: Module {
    /// Features of each input element.
    public let inputSize: Int
    /// Features of the hidden state.
    public let hiddenSize: Int
    /// Stacked recurrent layers.
    public let numLayers: Int
    /// Whether the layers have `bias_ih` and `bias_hh`.
    public let bias: Bool
    /// Whether inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]`.
    public let batchFirst: Bool
    /// Dropout probability on the outputs of every layer but the last, in training.
    public let dropout: Double
    /// Whether each layer also runs backwards over the sequence.
    public let bidirectional: Bool
    let mode: RecurrentMode
    /// Per layer and direction (forward, then reverse), the registered parameters.
    let layerWeights: [RecurrentWeights]
    /// `RNN`, `LSTM` or `GRU`, as PyTorch's messages name the module.
    let kind: String

    init(
        mode: RecurrentMode, kind: String, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool,
        batchFirst: Bool, dropout: Double, bidirectional: Bool, dtype: DType
    ) {
        precondition(
            dropout >= 0 && dropout <= 1,
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        precondition(inputSize > 0, "input_size must be greater than zero")
        precondition(hiddenSize > 0, "hidden_size must be greater than zero")
        precondition(numLayers > 0, "num_layers must be greater than zero")
        self.mode = mode
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        let directions = bidirectional ? 2 : 1
        let width = mode.gateCount * hiddenSize
        layerWeights = (0..<numLayers).flatMap { layer in
            (0..<directions).map { _ in
                let layerInput = layer == 0 ? inputSize : hiddenSize * directions
                return RecurrentWeights(
                    ih: Parameter(Tensor.zeros([width, layerInput], dtype: dtype)),
                    hh: Parameter(Tensor.zeros([width, hiddenSize], dtype: dtype)),
                    biasIh: bias ? Parameter(Tensor.zeros([width], dtype: dtype)) : nil,
                    biasHh: bias ? Parameter(Tensor.zeros([width], dtype: dtype)) : nil)
            }
        }
        super.init()
        for (index, weights) in layerWeights.enumerated() {
            let suffix = "l\(index / directions)" + (index % directions == 1 ? "_reverse" : "")
            let names = ["weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_"].map { $0 + suffix }
            for (name, tensor) in zip(names, weights.all) { registerParameter(name, tensor) }
        }
        let bound = 1 / Double(hiddenSize).squareRoot()
        for p in parameters() { Init.uniform(p, low: -bound, high: bound) }
    }

    /// The number of directions, 1 or 2.
    var directions: Int { bidirectional ? 2 : 1 }

    /// Validates the input and the initial states and runs the network.
    ///
    /// - Parameter states: the initial states as given (`[h0]` or `[h0, c0]`), or `nil` for zeros.
    /// - Returns: the output and the final states, shaped as PyTorch returns them.
    func run(_ input: Tensor, states: [Tensor]?) -> (output: Tensor, states: [Tensor]) {
        let noun = kind == "RNN" ? "D tensor instead" : "D instead"
        precondition(
            input.dim == 2 || input.dim == 3, "\(kind): Expected input to be 2D or 3D, got \(input.dim)\(noun)")
        let batched = input.dim == 3
        let batchDim = batchFirst ? 0 : 1
        let x = batched ? input : input.unsqueeze(batchDim)
        var given = states
        if let states {
            let expected = batched ? 3 : 2
            if states.contains(where: { $0.dim != expected }) {
                let kindOf = batched ? "batched 3-D" : "unbatched 2-D"
                if mode == .lstm {
                    fatalError(
                        "For \(kindOf) input, hx and cx should also be \(expected)-D but got (\(states[0].dim)-D, \(states[1].dim)-D) tensors"
                    )
                }
                fatalError("For \(kindOf) input, hx should also be \(expected)-D but got \(states[0].dim)-D tensor")
            }
            if !batched { given = states.map { $0.unsqueeze(1) } }
        }
        let weightType = layerWeights[0].ih.dtype
        precondition(
            x.dtype == weightType,
            "RNN input dtype (torch.\(x.dtype.rawValue)) does not match weight dtype (torch.\(weightType.rawValue)). Convert input: input.to(torch.\(weightType.rawValue)), or convert model: model.to(torch.\(x.dtype.rawValue))"
        )
        precondition(
            x.shape[2] == inputSize,
            "input.size(-1) must be equal to input_size. Expected \(inputSize), got \(x.shape[2])")
        let sequence = batchFirst ? x.transpose(0, 1) : x
        let (steps, batch) = (sequence.shape[0], sequence.shape[1])
        let expected = [numLayers * directions, batch, hiddenSize]
        let initial = given ?? [Tensor](repeating: Tensor.zeros(expected, dtype: x.dtype), count: mode == .lstm ? 2 : 1)
        for (i, state) in initial.enumerated() where state.shape != expected {
            let name = mode == .lstm ? "hidden[\(i)]" : "hidden"
            fatalError(
                "Expected \(name) size (\(expected.map(String.init).joined(separator: ", "))), got \(state.shape)")
        }
        precondition(steps > 0, "Expected sequence length to be larger than 0 in RNN")

        var layerInput = sequence
        var finals: [[Tensor]] = [[], []]
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let result = recurrentLayer(
                    mode, input: layerInput, hidden: initial[0].select(dim: 0, index: index),
                    cell: mode == .lstm ? initial[1].select(dim: 0, index: index) : nil, weights: layerWeights[index],
                    reverse: direction == 1)
                outputs.append(result.output)
                finals[0].append(result.hidden)
                if let c = result.cell { finals[1].append(c) }
            }
            layerInput = directions == 1 ? outputs[0] : Tensor.cat(outputs, dim: 2)
            if layer < numLayers - 1 && dropout > 0 {
                layerInput = F.dropout(layerInput, p: dropout, training: isTraining)
            }
        }
        var output = batchFirst ? layerInput.transpose(0, 1) : layerInput
        var hidden = finals.filter { !$0.isEmpty }.map { Tensor.stack($0, dim: 0) }
        if !batched {
            output = output.squeeze(dim: batchDim)
            hidden = hidden.map { $0.squeeze(dim: 1) }
        }
        return (output, hidden)
    }

    /// `5, 7, num_layers=2, batch_first=True`, listing only non-default arguments, as PyTorch.
    override public var extraRepr: String {
        var s = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", num_layers=\(numLayers)" }
        if !bias { s += ", bias=False" }
        if batchFirst { s += ", batch_first=True" }
        if dropout != 0 { s += ", dropout=\(dropout)" }
        if bidirectional { s += ", bidirectional=True" }
        return s
    }
}

/// An Elman recurrent network, `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (or ReLU)
/// (`nn.RNN`).
///
/// Call it as `let (output, hN) = rnn(x)` or `rnn(x, h0)`: `output` is `[T, B, D·H]` (`[B, T, D·H]`
/// with `batchFirst`), `hN` is `[numLayers·D, B, H]`; a 2-D input is one unbatched sequence.
public final class RNN: RNNBase {
    /// `"tanh"` or `"relu"`.
    public let nonlinearity: String

    /// A recurrent network with PyTorch's arguments and defaults.
    public init(
        _ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
        batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32
    ) {
        precondition(
            nonlinearity == "tanh" || nonlinearity == "relu",
            "Unknown nonlinearity '\(nonlinearity)'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super.init(
            mode: nonlinearity == "tanh" ? .rnnTanh : .rnnRelu, kind: "RNN", inputSize: inputSize,
            hiddenSize: hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst, dropout: dropout,
            bidirectional: bidirectional, dtype: dtype)
    }

    /// The output sequence and the final hidden state, from `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor? = nil) -> (Tensor, Tensor) {
        let (output, states) = run(input, states: hx.map { [$0] })
        return (output, states[0])
    }

    /// The output sequence (use `rnn(x)` as a tuple for the final state too).
    override public func forward(_ input: Tensor) -> Tensor { run(input, states: nil).output }
}

/// A long short-term memory network with PyTorch's gates i, f, g, o (`nn.LSTM`).
///
/// Call it as `let (output, (hN, cN)) = lstm(x)` or `lstm(x, (h0, c0))`.
public final class LSTM: RNNBase {
    /// An LSTM with PyTorch's arguments and defaults.
    public init(
        _ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32
    ) {
        super.init(
            mode: .lstm, kind: "LSTM", inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
            bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype)
    }

    /// The output sequence and the final hidden and cell states, from `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: (Tensor, Tensor)? = nil) -> (Tensor, (Tensor, Tensor)) {
        let (output, states) = run(input, states: hx.map { [$0.0, $0.1] })
        return (output, (states[0], states[1]))
    }

    /// The output sequence (use `lstm(x)` as a tuple for the final states too).
    override public func forward(_ input: Tensor) -> Tensor { run(input, states: nil).output }
}

/// A gated recurrent unit network with PyTorch's gates r, z, n, where
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))` (`nn.GRU`).
///
/// Call it as `let (output, hN) = gru(x)` or `gru(x, h0)`.
public final class GRU: RNNBase {
    /// A GRU with PyTorch's arguments and defaults.
    public init(
        _ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
        dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32
    ) {
        super.init(
            mode: .gru, kind: "GRU", inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
            batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype)
    }

    /// The output sequence and the final hidden state, from `hx` (zeros when `nil`).
    public func callAsFunction(_ input: Tensor, _ hx: Tensor? = nil) -> (Tensor, Tensor) {
        let (output, states) = run(input, states: hx.map { [$0] })
        return (output, states[0])
    }

    /// The output sequence (use `gru(x)` as a tuple for the final state too).
    override public func forward(_ input: Tensor) -> Tensor { run(input, states: nil).output }
}
