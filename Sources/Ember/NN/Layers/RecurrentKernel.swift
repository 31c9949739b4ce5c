import CEmberKernels

/// The fused recurrent layer shared by `RNN`, `LSTM`, `GRU` and their cells: one layer in one
/// direction over a whole time-major sequence, recorded as a single autograd node.
///
/// Forward: each step runs one product for the gate pre-activations and a pointwise gate kernel;
/// RNN and LSTM multiply the step's `[x | h | 1]` by `[W_ih | W_hh | b]ᵀ`, GRU (and a batch too
/// small for bands) first projects the inputs of all time steps with one GEMM. Backward is
/// back-propagation through time with the same shape: a pointwise kernel and one GEMM per step,
/// then GEMMs over the whole sequence for the input gradient and the weight gradients.

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
    /// Whether the batch runs in bands (`bandsPerCore` per core), each band every time step on one
    /// worker: when there are rows for every core and the GEMMs are this library's to thread.
    let bands: Bool
    /// RNN and LSTM in bands: each step's `[x | h_before | 1]` (the 1 when there are biases),
    /// `[T·B, I + H (+ 1)]`, the left operand of the step's one product in the forward pass and
    /// of both weight gradients in the backward pass.
    let operands: Tensor?

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
        weightHh = weights.hh.detach().contiguous()
        biasIh = weights.biasIh?.detach().contiguous()
        biasHh = weights.biasHh?.detach().contiguous()
        let sequence = [steps, batch, hidden]
        packed = Tensor(empty: [steps + (mode == .lstm ? 1 : 0), batch, hidden], dtype: dtype, zeroed: false)
        let gated = mode == .lstm || mode == .gru
        gates = gated ? Tensor(empty: [steps, batch, mode.gateCount * hidden], dtype: dtype, zeroed: false) : nil
        states = gated ? Tensor(empty: sequence, dtype: dtype, zeroed: false) : nil
        cellTanh = mode == .lstm ? Tensor(empty: sequence, dtype: dtype, zeroed: false) : nil
        bands = batch >= kernelThreads && gemmThreadsOwned
        let width = inputSize + hidden + (biasIh == nil ? 0 : 1)
        operands =
            bands && mode != .gru ? Tensor(empty: [steps * batch, width], dtype: dtype, zeroed: false) : nil
    }

    var gateWidth: Int { mode.gateCount * hidden }
    var stepSize: Int { batch * hidden }

    /// The time index processed at step `s`.
    func time(_ s: Int) -> Int { reverse ? steps - 1 - s : s }

    /// The hidden state entering step `s` (`[B, H]`): `h0`, or the output of the previous step.
    func hiddenBefore<T: FloatScalar>(_ s: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        s == 0 ? h0.base(T.self) : packed.base(T.self) + time(s - 1) * stepSize
    }

    /// The LSTM cell state entering step `s`.
    func cellBefore<T: FloatScalar>(_ s: Int, _: T.Type) -> UnsafeMutablePointer<T> {
        s == 0 ? c0!.base(T.self) : states!.base(T.self) + time(s - 1) * stepSize
    }
}

typealias LSTMBackwardKernel<T> = (
    Int64, Int64, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<T>
) -> Void
typealias LSTMForwardKernel<T> = (
    Int64, Int64, UnsafeMutablePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>,
    UnsafeMutablePointer<T>
) -> Void
typealias GRUForwardKernel<T> = (
    Int64, Int64, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<T>
) -> Void
typealias GRUBackwardKernel<T> = (
    Int64, Int64, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
    UnsafeMutablePointer<T>, UnsafeMutablePointer<T>
) -> Void

/// Element types with C kernels for the pointwise gate steps, forward and backward.
protocol RecurrentKernelScalar: FloatScalar, SpatialKernelScalar {
    static var lstmForwardRows: LSTMForwardKernel<Self> { get }
    static var gruForwardRows: GRUForwardKernel<Self> { get }
    static var lstmBackwardRows: LSTMBackwardKernel<Self> { get }
    static var gruBackwardRows: GRUBackwardKernel<Self> { get }
}

extension Float: RecurrentKernelScalar {
    static var lstmForwardRows: LSTMForwardKernel<Float> { ember_lstm_forward_rows_s }
    static var gruForwardRows: GRUForwardKernel<Float> { ember_gru_forward_rows_s }
    static var lstmBackwardRows: LSTMBackwardKernel<Float> { ember_lstm_backward_rows_s }
    static var gruBackwardRows: GRUBackwardKernel<Float> { ember_gru_backward_rows_s }
}

extension Double: RecurrentKernelScalar {
    static var lstmForwardRows: LSTMForwardKernel<Double> { ember_lstm_forward_rows_d }
    static var gruForwardRows: GRUForwardKernel<Double> { ember_gru_forward_rows_d }
    static var lstmBackwardRows: LSTMBackwardKernel<Double> { ember_lstm_backward_rows_d }
    static var gruBackwardRows: GRUBackwardKernel<Double> { ember_gru_backward_rows_d }
}

/// The forward and backward kernels for one floating-point type.
///
/// The rows of a batch never meet inside a recurrent layer, so both passes cut the batch into a
/// few bands per core and run every time step of a band on one worker: one fork and join per
/// layer instead of one per step, and the pointwise gate kernels run in parallel too.
private enum RecurrentKernel<T: RecurrentKernelScalar> {
    static func forward(_ tape: RecurrentTape) {
        if let operands = tape.operands {
            fusedForward(tape, operands: operands)
        } else {
            projectedForward(tape)
        }
        if tape.mode == .lstm {
            let out = tape.packed.base(T.self) + tape.steps * tape.stepSize
            out.update(from: tape.cellBefore(tape.steps, T.self), count: tape.stepSize)
        }
    }

    /// RNN and LSTM in bands: each step's pre-activations are one product of the packed
    /// `[W_ih | W_hh | b_ih + b_hh]ᵀ` with the step's `[x | h_before | 1]`, written into the
    /// pre-activations (LSTM: the saved gates; RNN: the outputs) while that memory is in the
    /// core's cache, then activated in place.
    static func fusedForward(_ tape: RecurrentTape, operands: Tensor) {
        let (steps, batch, width) = (tape.steps, tape.batch, tape.gateWidth)
        let bias = tape.biasIh.map { b in tape.biasHh.map { b + $0 } ?? b }
        let weights = Tensor.cat([tape.weightIh, tape.weightHh] + (bias.map { [$0.view([width, 1])] } ?? []), dim: 1)
        let k = weights.shape[1]
        let packed = PackedMatrix(weights.base(T.self), k: k, n: width, ld: k, transposed: true)
        let projected = tape.mode == .lstm ? tape.gates! : tape.packed
        let pointers = Pointers(tape, projected: projected.base(T.self), recurrent: projected.base(T.self), packed: nil)
        let o = operands.base(T.self)
        parallelRanges(batch, work: bandWork(tape), partsPerCore: bandsPerCore) { rows in
            for s in 0..<steps {
                writeOperands(tape, step: s, rows: rows, into: o, ones: bias != nil)
                let row = tape.time(s) * batch + rows.lowerBound
                packed.product(
                    m: rows.count, o + row * k, lda: k, into: pointers.projected + row * width, ldc: width,
                    accumulate: false)
                activate(tape, pointers, step: s, rows: rows)
            }
        }
    }

    /// GRU, or a batch in one band: the pre-activations of every step, `x W_ihᵀ + b_ih + b_hh`,
    /// from one GEMM into a buffer preset with the biases; each step then adds `h W_hhᵀ` into
    /// its slice and activates it in place. GRU keeps `W_hh h + b_hh` apart, since its n gate
    /// scales the hidden side by r.
    static func projectedForward(_ tape: RecurrentTape) {
        let (steps, batch, width) = (tape.steps, tape.batch, tape.gateWidth)
        let projected: Tensor
        switch tape.mode {
        case .lstm: projected = tape.gates!
        case .rnnTanh, .rnnRelu: projected = tape.packed
        case .gru: projected = Tensor(empty: [steps * batch, width], dtype: T.dtype, zeroed: false)
        }
        let biases = tape.mode == .gru ? [tape.biasIh] : [tape.biasIh, tape.biasHh]
        let bias = biases.compactMap { $0 }.reduce(nil as Tensor?) { sum, b in sum.map { $0 + b } ?? b }
        if let bias { presetRows(projected.base(T.self), bias.base(T.self), rows: steps * batch, width: width) }
        gemm(
            tape.x.view([steps * batch, tape.inputSize]), tape.weightIh.t(),
            into: projected.view([steps * batch, width]), beta: bias == nil ? 0 : 1)
        // GRU's hidden side, per step, into a buffer preset with b_hh.
        let recurrent = tape.mode == .gru ? Tensor(empty: [batch, width], dtype: T.dtype, zeroed: false) : projected
        let work = bandWork(tape)
        let pointers = Pointers(
            tape, projected: projected.base(T.self), recurrent: recurrent.base(T.self),
            packed: work > 0 ? packedHiddenWeight(tape, transposed: true) : nil)
        parallelRanges(batch, work: work, partsPerCore: bandsPerCore) { rows in
            for s in 0..<steps { forwardStep(tape, pointers, step: s, rows: rows) }
        }
    }

    /// The work that decides whether the batch is cut into bands: none (one band, whose per-step
    /// GEMMs then split across cores themselves) when there are fewer rows than cores or when the
    /// BLAS threads its own GEMMs.
    static func bandWork(_ tape: RecurrentTape) -> Int {
        tape.bands ? tape.steps * tape.batch * tape.gateWidth * tape.hidden : 0
    }

    /// Bands per core: the cores take bands as they come free, so one that another busy process
    /// holds runs fewer of them. An LSTM step (batch 64, hidden 128) is as fast idle in 2, 4 or 8
    /// bands, and 7% faster next to a busy process in 4 than in 2. Each row's values do not
    /// depend on its band.
    static var bandsPerCore: Int { 2 }

    /// `W_hh` packed for the per-step products of the bands: `W_hhᵀ` (H × gates·H) forward, `W_hh`
    /// (gates·H × H) backward.
    static func packedHiddenWeight(_ tape: RecurrentTape, transposed: Bool) -> PackedMatrix<T> {
        let (hidden, width) = (tape.hidden, tape.gateWidth)
        return PackedMatrix(
            tape.weightHh.base(T.self), k: transposed ? hidden : width, n: transposed ? width : hidden, ld: hidden,
            transposed: transposed)
    }

    /// `c = a · W_hhᵀ` (forward) or `c = a · W_hh` (backward), or `c +=` when `accumulate`, for `m`
    /// rows of one step: through the packed weight in bands, else through the (splitting) GEMM.
    static func hiddenProduct(
        _ tape: RecurrentTape, _ p: Pointers, forward: Bool, m: Int, _ a: UnsafePointer<T>,
        into c: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let (k, n) = forward ? (tape.hidden, tape.gateWidth) : (tape.gateWidth, tape.hidden)
        if let packed = p.packedHh {
            packed.product(m: m, a, lda: k, into: c, ldc: n, accumulate: accumulate)
        } else {
            T.gemm(false, forward, m, n, k, a, k, p.weightHh, tape.hidden, accumulate ? 1 : 0, c, n)
        }
    }

    /// The memory a pass reads and writes, taken once outside the parallel bands.
    struct Pointers {
        let out: UnsafeMutablePointer<T>
        let weightHh: UnsafeMutablePointer<T>
        /// `W_hh` packed for this pass's per-step products, when the batch runs in bands.
        let packedHh: PackedMatrix<T>?
        let biasHh: UnsafeMutablePointer<T>?
        let gates: UnsafeMutablePointer<T>?
        let states: UnsafeMutablePointer<T>?
        let cellTanh: UnsafeMutablePointer<T>?
        /// Forward: the input projection `[T·B, gates·H]`; backward: the output gradient.
        let projected: UnsafeMutablePointer<T>
        /// Forward: where `h W_hhᵀ` goes (the pre-activations, or GRU's own `[B, gates·H]`
        /// buffer); backward: the hidden-state gradient.
        let recurrent: UnsafeMutablePointer<T>

        init(
            _ tape: RecurrentTape, projected: UnsafeMutablePointer<T>, recurrent: UnsafeMutablePointer<T>,
            packed: PackedMatrix<T>?
        ) {
            out = tape.packed.base(T.self)
            weightHh = tape.weightHh.base(T.self)
            packedHh = packed
            biasHh = tape.biasHh?.base(T.self)
            gates = tape.gates?.base(T.self)
            states = tape.states?.base(T.self)
            cellTanh = tape.cellTanh?.base(T.self)
            self.projected = projected
            self.recurrent = recurrent
        }
    }

    /// One time step of the batch rows `rows`.
    static func forwardStep(_ tape: RecurrentTape, _ p: Pointers, step s: Int, rows: Range<Int>) {
        let (hidden, width) = (tape.hidden, tape.gateWidth)
        let before = tape.hiddenBefore(s, T.self) + rows.lowerBound * hidden
        let pre = p.projected + (tape.time(s) * tape.batch + rows.lowerBound) * width
        // h W_hhᵀ adds into the pre-activations, or for GRU into its own buffer preset with b_hh.
        let target = tape.mode == .gru ? p.recurrent + rows.lowerBound * width : pre
        var accumulate = true
        if tape.mode == .gru {
            if let b = p.biasHh { presetRows(target, b, rows: rows.count, width: width) } else { accumulate = false }
        }
        hiddenProduct(tape, p, forward: true, m: rows.count, before, into: target, accumulate: accumulate)
        activate(tape, p, step: s, rows: rows)
    }

    /// The gate kernel of step `s` for the batch rows `rows`, on pre-activations that hold every
    /// product and bias.
    static func activate(_ tape: RecurrentTape, _ p: Pointers, step s: Int, rows: Range<Int>) {
        let (batch, hidden, width) = (tape.batch, tape.hidden, tape.gateWidth)
        let t = tape.time(s)
        let step = t * tape.stepSize
        let pre = p.projected + (t * batch + rows.lowerBound) * width
        let (first, count) = (rows.lowerBound * hidden, rows.count * hidden)
        switch tape.mode {
        case .rnnTanh: T.apply(.tanh, pre, pre, count: count)
        case .rnnRelu: for j in 0..<count { pre[j] = Swift.max(pre[j], 0) }
        case .lstm:
            T.lstmForwardRows(
                Int64(rows.count), Int64(hidden), pre, tape.cellBefore(s, T.self) + first, p.states! + step + first,
                p.cellTanh! + step + first, p.out + step + first)
        case .gru:
            T.gruForwardRows(
                Int64(rows.count), Int64(hidden), pre, p.recurrent + rows.lowerBound * width,
                tape.hiddenBefore(s, T.self) + first, p.gates! + (t * batch + rows.lowerBound) * width,
                p.states! + step + first, p.out + step + first)
        }
    }

    /// `rows` rows of `width` elements at `p`, each a copy of `b`.
    static func presetRows(_ p: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, rows: Int, width: Int) {
        for row in 0..<rows { (p + row * width).update(from: b, count: width) }
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
        let work = bandWork(tape)
        let pointers = Pointers(
            tape, projected: grad.base(T.self), recurrent: gradH.base(T.self),
            packed: work > 0 ? packedHiddenWeight(tape, transposed: false) : nil)
        let (dIh, dHh, dc) = (gradIh.base(T.self), gradHh.base(T.self), gradC?.base(T.self))
        parallelRanges(batch, work: work, partsPerCore: bandsPerCore) { rows in
            for s in Swift.stride(from: steps - 1, through: 0, by: -1) {
                backwardStep(
                    tape, pointers, step: s, rows: rows, gradIh: dIh, gradHh: dHh, gradC: dc, needsH0: needs[1])
            }
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
        // Both weight gradients from one GEMM when they share the gate gradients (not GRU); a
        // column of ones next to the inputs gives the bias gradient, the gates' column sums, too
        // (the forward pass's operands have it whenever there are biases).
        let w = grads.count
        let merged =
            gradHh === gradIh && needs[w] && needs[w + 1]
            ? weightGradients(tape, gradIh, biasColumn: tape.biasIh != nil && (needs[w + 2] || needs[w + 3])) : nil
        let biasSums = merged.flatMap {
            $0.shape[1] > tape.inputSize + hidden ? $0.select(dim: 1, index: tape.inputSize + hidden) : nil
        }
        next {
            if let merged { return merged.narrow(dim: 1, start: 0, length: tape.inputSize).contiguous() }
            let gw = Tensor(empty: tape.weightIh.shape, dtype: dtype, zeroed: false)
            gemm(gradIh.t(), tape.x.view([steps * batch, tape.inputSize]), into: gw)
            return gw
        }
        next {
            if let merged { return merged.narrow(dim: 1, start: tape.inputSize, length: hidden).contiguous() }
            // Σ_t dGates_hh[t]ᵀ · h_before[t]: the step that starts from h0 (t = 0, or T - 1 in
            // reverse), then every other step at once, whose states are outputs of the
            // neighbouring steps and so one contiguous run of `packed`.
            let gw = Tensor(empty: tape.weightHh.shape, dtype: dtype, zeroed: false)
            let (dHh, states, w) = (gradHh.base(T.self), tape.packed.base(T.self), gw.base(T.self))
            let first = tape.time(0)
            T.gemm(
                true, false, width, hidden, batch, dHh + first * batch * width, width, tape.h0.base(T.self), hidden, 0,
                w, hidden)
            let (grads, inputs) = tape.reverse ? (dHh, states + tape.stepSize) : (dHh + batch * width, states)
            T.gemm(true, false, width, hidden, (steps - 1) * batch, grads, width, inputs, hidden, 1, w, hidden)
            return gw
        }
        if tape.biasIh != nil {
            // Both biases get the column sums of their gate gradients, one matrix except for GRU.
            var sums: Tensor?
            next {
                sums = biasSums?.contiguous() ?? gradIh.sum(dim: 0)
                return sums!
            }
            next { gradHh === gradIh ? sums?.clone() ?? gradHh.sum(dim: 0) : gradHh.sum(dim: 0) }
        }
        return grads
    }

    /// Back-propagation through time step `s` for the batch rows `rows`: the gate gradients of
    /// the step, then `dh ← dGates_hh · W_hh` (plus GRU's direct path z·dh, already in dh).
    static func backwardStep(
        _ tape: RecurrentTape, _ p: Pointers, step s: Int, rows: Range<Int>, gradIh: UnsafeMutablePointer<T>,
        gradHh: UnsafeMutablePointer<T>, gradC: UnsafeMutablePointer<T>?, needsH0: Bool
    ) {
        let (batch, hidden, width) = (tape.batch, tape.hidden, tape.gateWidth)
        let t = tape.time(s)
        let first = rows.lowerBound * hidden
        let (g, out, dh) = (
            p.projected + t * tape.stepSize + first, p.out + t * tape.stepSize + first, p.recurrent + first
        )
        let dIh = gradIh + (t * batch + rows.lowerBound) * width
        let dHh = gradHh + (t * batch + rows.lowerBound) * width
        switch tape.mode {
        case .rnnTanh:
            for j in 0..<(rows.count * hidden) {
                let h = out[j]
                dIh[j] = (g[j] + dh[j]) * (1 - h * h)
            }
        case .rnnRelu:
            for j in 0..<(rows.count * hidden) { dIh[j] = out[j] > 0 ? g[j] + dh[j] : 0 }
        case .lstm:
            let cPrev = tape.cellBefore(s, T.self) + first
            T.lstmBackwardRows(
                Int64(rows.count), Int64(hidden), p.gates! + (t * batch + rows.lowerBound) * width, g, dh,
                p.cellTanh! + t * tape.stepSize + first, cPrev, gradC! + first, dIh)
        case .gru:
            T.gruBackwardRows(
                Int64(rows.count), Int64(hidden), p.gates! + (t * batch + rows.lowerBound) * width, g,
                p.states! + t * tape.stepSize + first, tape.hiddenBefore(s, T.self) + first, dh, dIh, dHh)
        }
        // The first step's product is the gradient of h0 alone.
        if s > 0 || needsH0 {
            hiddenProduct(tape, p, forward: false, m: rows.count, dHh, into: dh, accumulate: tape.mode == .gru)
        }
    }

    /// `[dW_ih | dW_hh]` (`[gates·H, I + H]`) as one GEMM: the gate gradients against each step's
    /// input and the hidden state entering it, side by side; a last column of ones adds the bias
    /// gradient (`[gates·H, I + H + 1]`). The operands are the forward pass's when it kept them
    /// (with the ones whenever there are biases), else written here, with the ones when
    /// `biasColumn`.
    static func weightGradients(_ tape: RecurrentTape, _ gates: Tensor, biasColumn: Bool) -> Tensor {
        let operands =
            tape.operands
            ?? {
                let width = tape.inputSize + tape.hidden + (biasColumn ? 1 : 0)
                let operands = Tensor(empty: [tape.steps * tape.batch, width], dtype: T.dtype, zeroed: false)
                let o = operands.base(T.self)
                parallelRanges(tape.steps, work: tape.steps * tape.batch * width) { steps in
                    for s in steps { writeOperands(tape, step: s, rows: 0..<tape.batch, into: o, ones: biasColumn) }
                }
                return operands
            }()
        let gw = Tensor(empty: [tape.gateWidth, operands.shape[1]], dtype: T.dtype, zeroed: false)
        gemm(gates.t(), operands, into: gw)
        return gw
    }

    /// Writes step `s`'s `[x | h_before | 1]` (the 1 when `ones`) for the batch rows `rows` into
    /// their rows of `o`, `[T·B, I + H (+ 1)]`.
    static func writeOperands(
        _ tape: RecurrentTape, step s: Int, rows: Range<Int>, into o: UnsafeMutablePointer<T>, ones: Bool
    ) {
        let (inputSize, hidden, t) = (tape.inputSize, tape.hidden, tape.time(s))
        let width = inputSize + hidden + (ones ? 1 : 0)
        let (x, before) = (tape.x.base(T.self) + t * tape.batch * inputSize, tape.hiddenBefore(s, T.self))
        for b in rows {
            let row = o + (t * tape.batch + b) * width
            row.update(from: x + b * inputSize, count: inputSize)
            (row + inputSize).update(from: before + b * hidden, count: hidden)
            if ones { row[width - 1] = 1 }
        }
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
