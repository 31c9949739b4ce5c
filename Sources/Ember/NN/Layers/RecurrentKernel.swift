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
    /// LSTM cell states, or GRU's `W_hn h + b_hn`, `[T, B, H]`.
    let states: Tensor?
    /// LSTM `tanh(c)`, `[T, B, H]`.
    let cellTanh: Tensor?

    init(
        _ mode: RecurrentMode, x: Tensor, h0: Tensor, c0: Tensor?, weights: RecurrentWeights, reverse: Bool
    ) {
        let dtype = x.dtype
        (steps, batch, inputSize) = (x.shape[0], x.shape[1], x.shape[2])
        hidden = weights.hh.shape[1]
        self.mode = mode
        self.reverse = reverse
        self.x = x.detach().contiguous()
        self.h0 = h0.detach().contiguous()
        self.c0 = c0?.detach().contiguous()
        weightIh = weights.ih.detach()
        weightHh = weights.hh.detach()
        biasIh = weights.biasIh?.detach().contiguous()
        biasHh = weights.biasHh?.detach().contiguous()
        let sequence = [steps, batch, hidden]
        packed = Tensor(empty: [steps + (mode == .lstm ? 1 : 0), batch, hidden], dtype: dtype, zeroed: false)
        let gated = mode == .lstm || mode == .gru
        gates = gated ? Tensor(empty: [steps, batch, mode.gateCount * hidden], dtype: dtype, zeroed: false) : nil
        states = gated ? Tensor(empty: sequence, dtype: dtype, zeroed: false) : nil
        cellTanh = mode == .lstm ? Tensor(empty: sequence, dtype: dtype, zeroed: false) : nil
    }

    var gateWidth: Int { mode.gateCount * hidden }
    var stepSize: Int { batch * hidden }

    /// The time index processed at step `s`.
    func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// The hidden state entering step `s`: `h0`, or the output of the previous step.
    func hiddenBefore(_ s: Int) -> Tensor { s == 0 ? h0 : packed.select(dim: 0, index: time(s - 1)) }

    /// The LSTM cell state entering step `s`.
    func cellBefore<T: FloatScalar>(_ s: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        s == 0 ? c0!.base(T.self) : states!.base(T.self) + time(s - 1) * stepSize
    }
}

/// The forward and backward kernels for one floating-point type.
private enum RecurrentKernel<T: FloatScalar> {
    static func forward(_ tape: RecurrentTape) {
        let (steps, batch, hidden, width) = (tape.steps, tape.batch, tape.hidden, tape.gateWidth)
        // Input projection of every time step: one GEMM, plus b_ih.
        let projected = Tensor(empty: [steps * batch, width], dtype: T.dtype, zeroed: false)
        gemm(tape.x.view([steps * batch, tape.inputSize]), tape.weightIh.t(), into: projected)
        if let b = tape.biasIh?.base(T.self) { addRows(projected.base(T.self), b, rows: steps * batch, width: width) }
        // Hidden projection h W_hhᵀ + b_hh per step, into a buffer preset with b_hh.
        let recurrent = Tensor(empty: [batch, width], dtype: T.dtype, zeroed: false)
        let hw = recurrent.base(T.self)
        let out = tape.packed.base(T.self)
        let acts = tape.gates?.base(T.self)
        let states = tape.states?.base(T.self)
        let tanhC = tape.cellTanh?.base(T.self)
        for s in 0..<steps {
            let t = tape.time(s)
            let before = tape.hiddenBefore(s)
            if let b = tape.biasHh?.base(T.self) {
                for row in 0..<batch { (hw + row * width).update(from: b, count: width) }
            }
            gemm(before, tape.weightHh.t(), into: recurrent, beta: tape.biasHh == nil ? 0 : 1)
            let xw = projected.base(T.self) + t * batch * width
            let h = out + t * tape.stepSize
            let step = t * tape.stepSize
            switch tape.mode {
            case .rnnTanh:
                for j in 0..<tape.stepSize { h[j] = xw[j] + hw[j] }
                T.apply(.tanh, h, h, count: tape.stepSize)
            case .rnnRelu:
                for j in 0..<tape.stepSize { h[j] = Swift.max(xw[j] + hw[j], 0) }
            case .lstm:
                let cPrev = tape.cellBefore(s, T.self)
                let (c, tc) = (states! + step, tanhC! + step)
                for b in 0..<batch {
                    let (x, r, a) = (xw + b * width, hw + b * width, acts! + t * batch * width + b * width)
                    // Gates i, f, g, o: sigmoid, sigmoid, tanh, sigmoid of x W_ihᵀ + h W_hhᵀ.
                    for k in 0..<width { a[k] = x[k] + r[k] }
                    T.apply(.sigmoid, a, a, count: 2 * hidden)
                    T.apply(.tanh, a + 2 * hidden, a + 2 * hidden, count: hidden)
                    T.apply(.sigmoid, a + 3 * hidden, a + 3 * hidden, count: hidden)
                    let j = b * hidden
                    for k in 0..<hidden { c[j + k] = a[k + hidden] * cPrev[j + k] + a[k] * a[k + 2 * hidden] }
                }
                T.apply(.tanh, c, tc, count: tape.stepSize)
                for b in 0..<batch {
                    let o = acts! + t * batch * width + b * width + 3 * hidden
                    for k in 0..<hidden { h[b * hidden + k] = o[k] * tc[b * hidden + k] }
                }
            case .gru:
                let hPrev = before.base(T.self)
                for b in 0..<batch {
                    let (x, rw, a) = (xw + b * width, hw + b * width, acts! + t * batch * width + b * width)
                    // Gates r, z: sigmoid of the sums; n = tanh(x_n + r · (W_hn h + b_hn)).
                    for k in 0..<(2 * hidden) { a[k] = x[k] + rw[k] }
                    T.apply(.sigmoid, a, a, count: 2 * hidden)
                    for k in 0..<hidden { a[k + 2 * hidden] = x[k + 2 * hidden] + a[k] * rw[k + 2 * hidden] }
                    T.apply(.tanh, a + 2 * hidden, a + 2 * hidden, count: hidden)
                    for k in 0..<hidden {
                        let (z, n, j) = (a[k + hidden], a[k + 2 * hidden], b * hidden + k)
                        states![step + j] = rw[k + 2 * hidden]
                        h[j] = (1 - z) * n + z * hPrev[j]
                    }
                }
            }
        }
        if tape.mode == .lstm {
            (out + steps * tape.stepSize).update(from: tape.cellBefore(steps, T.self), count: tape.stepSize)
        }
    }

    /// `rows` rows of `width` elements at `p`, each plus `b`.
    static func addRows(_ p: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, rows: Int, width: Int) {
        for row in 0..<rows {
            let r = p + row * width
            for k in 0..<width { r[k] += b[k] }
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
        let (g, out, dh, dc) = (grad.base(T.self), tape.packed.base(T.self), gradH.base(T.self), gradC?.base(T.self))
        let acts = tape.gates?.base(T.self)
        let states = tape.states?.base(T.self)
        let tanhC = tape.cellTanh?.base(T.self)
        for s in Swift.stride(from: steps - 1, through: 0, by: -1) {
            let t = tape.time(s)
            let step = t * tape.stepSize
            let dIh = gradIh.base(T.self) + t * batch * width
            let dHh = gradHh.base(T.self) + t * batch * width
            switch tape.mode {
            case .rnnTanh:
                for j in 0..<tape.stepSize {
                    let h = out[step + j]
                    dIh[j] = (g[step + j] + dh[j]) * (1 - h * h)
                }
            case .rnnRelu:
                for j in 0..<tape.stepSize { dIh[j] = out[step + j] > 0 ? g[step + j] + dh[j] : 0 }
            case .lstm:
                // Unwrapped once, outside the loops, so that the loops vectorise.
                let (gates, cell, cellTanh) = (acts! + t * batch * width, dc!, tanhC! + step)
                let cPrev = tape.cellBefore(s, T.self)
                for b in 0..<batch {
                    let (a, d, row) = (gates + b * width, dIh + b * width, b * hidden)
                    let (gOut, gH, gC, tcs, cs) = (g + step + row, dh + row, cell + row, cellTanh + row, cPrev + row)
                    for k in 0..<hidden {
                        let (i, f, gg, o) = (a[k], a[k + hidden], a[k + 2 * hidden], a[k + 3 * hidden])
                        let dht = gOut[k] + gH[k]
                        let tc = tcs[k]
                        let dct = gC[k] + dht * o * (1 - tc * tc)
                        d[k] = dct * gg * i * (1 - i)
                        d[k + hidden] = dct * cs[k] * f * (1 - f)
                        d[k + 2 * hidden] = dct * i * (1 - gg * gg)
                        d[k + 3 * hidden] = dht * tc * o * (1 - o)
                        gC[k] = dct * f
                    }
                }
            case .gru:
                let (gates, hiddenSide) = (acts! + t * batch * width, states! + step)
                let hPrev = tape.hiddenBefore(s).base(T.self)
                for b in 0..<batch {
                    let (a, di, dr, row) = (gates + b * width, dIh + b * width, dHh + b * width, b * hidden)
                    let (gOut, gH, hn, hp) = (g + step + row, dh + row, hiddenSide + row, hPrev + row)
                    for k in 0..<hidden {
                        let (r, z, n) = (a[k], a[k + hidden], a[k + 2 * hidden])
                        let dht = gOut[k] + gH[k]
                        let dn = dht * (1 - z) * (1 - n * n)
                        let dReset = dn * hn[k] * r * (1 - r)
                        let dUpdate = dht * (hp[k] - n) * z * (1 - z)
                        (di[k], di[k + hidden], di[k + 2 * hidden]) = (dReset, dUpdate, dn)
                        (dr[k], dr[k + hidden], dr[k + 2 * hidden]) = (dReset, dUpdate, dn * r)
                        gH[k] = dht * z
                    }
                }
            }
            // dh ← dGates_hh · W_hh (plus GRU's direct path z·dh, already in dh).
            gemm(
                gradHh.narrow(dim: 0, start: t * batch, length: batch), tape.weightHh, into: gradH,
                beta: tape.mode == .gru ? 1 : 0)
        }

        var grads: [Tensor?] = []
        func next(_ compute: () -> Tensor) { grads.append(needs[grads.count] ? compute() : nil) }
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
            // The hidden states entering each time step, in time order, against one GEMM.
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

    /// Sums of each column of a contiguous matrix, as one GEMM with a row of ones.
    static func columnSums(_ m: Tensor) -> Tensor {
        let sums = Tensor(empty: [1, m.shape[1]], dtype: T.dtype, zeroed: false)
        gemm(Tensor.ones([1, m.shape[0]], dtype: T.dtype), m, into: sums)
        return sums.view([m.shape[1]])
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
    let steps = input.shape[0]
    let isLSTM = mode == .lstm
    let tape = RecurrentTape(mode, x: input, h0: hidden, c0: cell, weights: weights, reverse: reverse)
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
