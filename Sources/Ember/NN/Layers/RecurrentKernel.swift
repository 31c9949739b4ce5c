/// The fused recurrent layer shared by `RNN`, `LSTM`, `GRU` and their cells: one layer in one
/// direction over a whole time-major sequence, recorded as a single autograd node.
///
/// Forward: one GEMM projects the inputs of all time steps (`x @ W_ihᵀ + b_ih`), then each step
/// runs one GEMM for the hidden projection (`h @ W_hhᵀ`) and a pointwise gate kernel. Backward is
/// back-propagation through time with the same shape: a pointwise kernel and one GEMM per step,
/// then three GEMMs over the whole sequence for the input gradient and both weight gradients.

/// The recurrent cell types (PyTorch's RNN modes).
enum RecurrentMode: Sendable {
    case rnnTanh, rnnRelu, lstm, gru

    /// Gates stacked in the weights: i, f, g, o for LSTM; r, z, n for GRU.
    var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// The autograd node name.
    var nodeName: String {
        switch self {
        case .rnnTanh: "RnnTanhLayerBackward0"
        case .rnnRelu: "RnnReluLayerBackward0"
        case .lstm: "LstmLayerBackward0"
        case .gru: "GruLayerBackward0"
        }
    }
}

/// The parameters of one layer in one direction (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
/// `bias_hh_l0`); a plain struct, so `Module` does not register these tensors a second time.
struct RecurrentWeights {
    /// `[gates·H, input]`.
    let ih: Tensor
    /// `[gates·H, H]`.
    let hh: Tensor
    /// `[gates·H]`.
    let biasIh: Tensor?
    /// `[gates·H]`.
    let biasHh: Tensor?

    /// The tensors in PyTorch's order.
    var all: [Tensor] { [ih, hh] + [biasIh, biasHh].compactMap { $0 } }
}

/// One layer-direction pass: its inputs (detached, contiguous) and what the forward pass keeps
/// for the backward pass.
private struct RecurrentTape {
    let mode: RecurrentMode
    let steps: Int
    let batch: Int
    let inputSize: Int
    let hidden: Int
    let reverse: Bool
    /// `[T, B, I]`.
    let x: Tensor
    /// `[B, H]`.
    let h0: Tensor
    /// `[B, H]`, LSTM only.
    let c0: Tensor?
    let weightIh: Tensor
    let weightHh: Tensor
    let biasIh: Tensor?
    let biasHh: Tensor?
    /// Hidden states `[T, B, H]`, for LSTM followed by the last cell state (`[T + 1, B, H]`).
    let packed: Tensor
    /// Activated gates `[T, B, gates·H]` (LSTM i, f, g, o; GRU r, z, n).
    let gates: Tensor?
    /// LSTM cell states `[T, B, H]`, or GRU's `W_hn h + b_hn` `[T, B, H]`.
    let extra: Tensor?

    var gateWidth: Int { mode.gateCount * hidden }
    var stepSize: Int { batch * hidden }

    /// The time index processed at step `s`.
    func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// The hidden state entering step `s`: `h0`, or the output of the previous step.
    func hiddenBefore(_ s: Int) -> Tensor { s == 0 ? h0 : packed.select(dim: 0, index: time(s - 1)) }
}

@inline(__always)
private func sigmoid<T: FloatScalar>(_ v: T) -> T { 1 / (1 + T.exp(-v)) }

/// The forward and backward kernels for one floating-point type.
private enum RecurrentKernel<T: FloatScalar> {
    static func forward(_ tape: RecurrentTape) {
        let (steps, batch, hidden, width) = (tape.steps, tape.batch, tape.hidden, tape.gateWidth)
        let projected = Tensor(empty: [steps * batch, width], dtype: T.dtype, zeroed: false)
        gemm(tape.x.view([steps * batch, tape.inputSize]), tape.weightIh.t(), into: projected)
        if let b = tape.biasIh?.base(T.self) {
            let p = projected.base(T.self)
            for row in 0..<(steps * batch) {
                for k in 0..<width { p[row * width + k] += b[k] }
            }
        }
        let recurrent = Tensor(empty: [batch, width], dtype: T.dtype, zeroed: false)
        let bias = tape.biasHh?.base(T.self)
        let out = tape.packed.base(T.self)
        for s in 0..<steps {
            let t = tape.time(s)
            let before = tape.hiddenBefore(s)
            gemm(before, tape.weightHh.t(), into: recurrent)
            let xw = projected.base(T.self) + t * batch * width
            let hw = recurrent.base(T.self)
            let hPrev = before.base(T.self)
            let h = out + t * tape.stepSize
            for b in 0..<batch {
                for k in 0..<hidden {
                    let o = b * width + k
                    func pre(_ gate: Int) -> T {
                        xw[o + gate * hidden] + hw[o + gate * hidden] + (bias?[k + gate * hidden] ?? 0)
                    }
                    let j = b * hidden + k
                    switch tape.mode {
                    case .rnnTanh: h[j] = T.tanh(pre(0))
                    case .rnnRelu: h[j] = Swift.max(pre(0), 0)
                    case .lstm:
                        let acts = tape.gates!.base(T.self) + t * batch * width
                        let cells = tape.extra!.base(T.self)
                        let cPrev = s == 0 ? tape.c0!.base(T.self)[j] : cells[tape.time(s - 1) * tape.stepSize + j]
                        let (i, f, g, og) = (sigmoid(pre(0)), sigmoid(pre(1)), T.tanh(pre(2)), sigmoid(pre(3)))
                        let c = f * cPrev + i * g
                        (acts[o], acts[o + hidden], acts[o + 2 * hidden], acts[o + 3 * hidden]) = (i, f, g, og)
                        cells[t * tape.stepSize + j] = c
                        h[j] = og * T.tanh(c)
                    case .gru:
                        let acts = tape.gates!.base(T.self) + t * batch * width
                        let r = sigmoid(pre(0))
                        let z = sigmoid(pre(1))
                        let hn = hw[o + 2 * hidden] + (bias?[k + 2 * hidden] ?? 0)
                        let n = T.tanh(xw[o + 2 * hidden] + r * hn)
                        (acts[o], acts[o + hidden], acts[o + 2 * hidden]) = (r, z, n)
                        tape.extra!.base(T.self)[t * tape.stepSize + j] = hn
                        h[j] = (1 - z) * n + z * hPrev[j]
                    }
                }
            }
        }
        if tape.mode == .lstm {
            let last = tape.extra!.base(T.self) + tape.time(steps - 1) * tape.stepSize
            (out + steps * tape.stepSize).update(from: last, count: tape.stepSize)
        }
    }

    /// Gradients in the node's input order: x, h0, (c0), W_ih, W_hh, (b_ih, b_hh).
    static func backward(_ tape: RecurrentTape, _ grad: Tensor, needs: [Bool]) -> [Tensor?] {
        let (steps, batch, hidden, width) = (tape.steps, tape.batch, tape.hidden, tape.gateWidth)
        let dtype = T.dtype
        // Gradients of the gate pre-activations; for GRU the hidden side differs in the n gate.
        let gradIh = Tensor(empty: [steps * batch, width], dtype: dtype, zeroed: false)
        let gradHh = tape.mode == .gru ? Tensor(empty: [steps * batch, width], dtype: dtype, zeroed: false) : gradIh
        let gradH = Tensor.zeros([batch, hidden], dtype: dtype)
        let gradC = tape.mode == .lstm ? grad.select(dim: 0, index: steps).clone() : nil
        let g = grad.base(T.self)
        let out = tape.packed.base(T.self)
        for s in Swift.stride(from: steps - 1, through: 0, by: -1) {
            let t = tape.time(s)
            let dIh = gradIh.base(T.self) + t * batch * width
            let dHh = gradHh.base(T.self) + t * batch * width
            let dh = gradH.base(T.self)
            let hPrev = tape.hiddenBefore(s).base(T.self)
            for b in 0..<batch {
                for k in 0..<hidden {
                    let j = b * hidden + k
                    let o = b * width + k
                    let dht = g[t * tape.stepSize + j] + dh[j]
                    switch tape.mode {
                    case .rnnTanh:
                        let h = out[t * tape.stepSize + j]
                        dIh[o] = dht * (1 - h * h)
                    case .rnnRelu:
                        dIh[o] = out[t * tape.stepSize + j] > 0 ? dht : 0
                    case .lstm:
                        let acts = tape.gates!.base(T.self) + t * batch * width
                        let (i, f, gg, og) = (acts[o], acts[o + hidden], acts[o + 2 * hidden], acts[o + 3 * hidden])
                        let cells = tape.extra!.base(T.self)
                        let c = cells[t * tape.stepSize + j]
                        let cPrev = s == 0 ? tape.c0!.base(T.self)[j] : cells[tape.time(s - 1) * tape.stepSize + j]
                        let tc = T.tanh(c)
                        let dc = gradC!.base(T.self)
                        let dct = dc[j] + dht * og * (1 - tc * tc)
                        dIh[o] = dct * gg * i * (1 - i)
                        dIh[o + hidden] = dct * cPrev * f * (1 - f)
                        dIh[o + 2 * hidden] = dct * i * (1 - gg * gg)
                        dIh[o + 3 * hidden] = dht * tc * og * (1 - og)
                        dc[j] = dct * f
                    case .gru:
                        let acts = tape.gates!.base(T.self) + t * batch * width
                        let (r, z, n) = (acts[o], acts[o + hidden], acts[o + 2 * hidden])
                        let hn = tape.extra!.base(T.self)[t * tape.stepSize + j]
                        let dn = dht * (1 - z) * (1 - n * n)
                        let dr = dn * hn * r * (1 - r)
                        let dz = dht * (hPrev[j] - n) * z * (1 - z)
                        (dIh[o], dIh[o + hidden], dIh[o + 2 * hidden]) = (dr, dz, dn)
                        (dHh[o], dHh[o + hidden], dHh[o + 2 * hidden]) = (dr, dz, dn * r)
                        dh[j] = dht * z
                    }
                }
            }
            // dh ← dGates_hh · W_hh (plus GRU's direct path z·dh, already in dh).
            gemm(
                gradHh.narrow(dim: 0, start: t * batch, length: batch), tape.weightHh, into: gradH,
                beta: tape.mode == .gru ? 1 : 0)
        }

        var grads: [Tensor?] = []
        var slot = 0
        func next(_ compute: () -> Tensor) {
            grads.append(needs[slot] ? compute() : nil)
            slot += 1
        }
        next {
            let gx = Tensor(empty: [steps * batch, tape.inputSize], dtype: dtype, zeroed: false)
            gemm(gradIh, tape.weightIh, into: gx)
            return gx.view([steps, batch, tape.inputSize])
        }
        next { gradH }
        if let gradC { next { gradC } }
        next {
            let gw = Tensor(empty: tape.weightIh.shape, dtype: dtype, zeroed: false)
            gemm(gradIh.t(), tape.x.view([steps * batch, tape.inputSize]), into: gw)
            return gw
        }
        next {
            // All hidden states entering each time step, in time order, against one GEMM.
            let before = Tensor(empty: [steps, batch, hidden], dtype: dtype, zeroed: false)
            for s in 0..<steps {
                (before.base(T.self) + tape.time(s) * tape.stepSize)
                    .update(from: tape.hiddenBefore(s).base(T.self), count: tape.stepSize)
            }
            let gw = Tensor(empty: tape.weightHh.shape, dtype: dtype, zeroed: false)
            gemm(gradHh.t(), before.view([steps * batch, hidden]), into: gw)
            return gw
        }
        if tape.biasIh != nil {
            next { columnSums(gradIh) }
            next { columnSums(gradHh) }
        }
        return grads
    }

    /// Sums of each column of a contiguous matrix.
    static func columnSums(_ m: Tensor) -> Tensor {
        let (rows, cols) = (m.shape[0], m.shape[1])
        var sums = [Double](repeating: 0, count: cols)
        let p = m.base(T.self)
        for r in 0..<rows {
            for c in 0..<cols { sums[c] += Double(p[r * cols + c]) }
        }
        return Tensor(shape: [cols], scalars: sums.map { T($0) })
    }
}

/// Runs one recurrent layer in one direction over `input` `[T, B, I]` from `hidden` `[B, H]` (and
/// `cell` for LSTM), recorded as one autograd node.
///
/// - Returns: the hidden states `[T, B, H]` in time order, the final hidden state, and for LSTM
///   the final cell state (views of the node's output).
func recurrentLayer(
    _ mode: RecurrentMode, input: Tensor, hidden: Tensor, cell: Tensor?, weights: RecurrentWeights, reverse: Bool
) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
    let dtype = input.dtype
    let (steps, batch) = (input.shape[0], input.shape[1])
    let width = weights.hh.shape[0]
    let size = weights.hh.shape[1]
    let isLSTM = mode == .lstm
    let tape = RecurrentTape(
        mode: mode, steps: steps, batch: batch, inputSize: input.shape[2], hidden: size, reverse: reverse,
        x: input.detach().contiguous(), h0: hidden.detach().contiguous(), c0: cell?.detach().contiguous(),
        weightIh: weights.ih.detach(), weightHh: weights.hh.detach(),
        biasIh: weights.biasIh?.detach().contiguous(), biasHh: weights.biasHh?.detach().contiguous(),
        packed: Tensor(empty: [steps + (isLSTM ? 1 : 0), batch, size], dtype: dtype, zeroed: false),
        gates: isLSTM || mode == .gru ? Tensor(empty: [steps, batch, width], dtype: dtype, zeroed: false) : nil,
        extra: isLSTM || mode == .gru ? Tensor(empty: [steps, batch, size], dtype: dtype, zeroed: false) : nil)
    switch dtype {
    case .float32: RecurrentKernel<Float>.forward(tape)
    case .float64: RecurrentKernel<Double>.forward(tape)
    default: fatalError("\"\(mode.nodeName)\" not implemented for '\(dtype.pytorchName)'")
    }
    let inputs = [input, hidden] + (cell.map { [$0] } ?? []) + weights.all
    // The node's output is a second handle on the tape's memory, so the rule does not capture it.
    let packed = tape.packed.detach()
    Tensor.record(mode.nodeName, output: packed, inputs: inputs, saving: inputs) { g, needs in
        let grad = g.detach().to(dtype).contiguous()
        return dtype == .float32
            ? RecurrentKernel<Float>.backward(tape, grad, needs: needs)
            : RecurrentKernel<Double>.backward(tape, grad, needs: needs)
    }
    let output = isLSTM ? packed.narrow(dim: 0, start: 0, length: steps) : packed
    let last = packed.select(dim: 0, index: reverse ? 0 : steps - 1)
    return (output, last, isLSTM ? packed.select(dim: 0, index: steps) : nil)
}
