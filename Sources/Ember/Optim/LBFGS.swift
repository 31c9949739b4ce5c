/// L-BFGS (`torch.optim.LBFGS`): a quasi-Newton method that re-evaluates the loss through a
/// closure, with an optional strong-Wolfe line search. A port of PyTorch's algorithm, step by step.
///
/// ```swift
/// let opt = LBFGS(model.parameters(), lineSearchFn: "strong_wolfe")
/// let loss = opt.step {
///     opt.zeroGrad()
///     let loss = criterion(model(x), y)
///     loss.backward()
///     return loss
/// }
/// ```
///
/// All parameters form one group and are treated as one flat vector; they must share a dtype.
/// The state (kept on the first parameter, as PyTorch) holds `func_evals`, `n_iter`, `d`, `t`,
/// `old_dirs` and `old_stps` (stacked into 2-D tensors in state dicts), `ro`, `H_diag`,
/// `prev_flat_grad` and `prev_loss`.
public final class LBFGS: Optimizer {
    /// The line search: `nil` (a fixed step of `lr`) or `"strong_wolfe"`.
    public let lineSearchFn: String?
    private let params: [Tensor]
    private var memory = Memory()

    /// The curvature history and the counters carried from one `step` to the next.
    private struct Memory {
        var funcEvals = 0
        var nIter = 0
        var d: Tensor?
        var t = 0.0
        var oldDirs: [Tensor] = []
        var oldStps: [Tensor] = []
        var ro: [Double] = []
        var hDiag = 1.0
        var prevFlatGrad: Tensor?
        var prevLoss = 0.0
    }

    /// Creates the optimizer with PyTorch's defaults (`maxEval` defaults to `maxIter * 5 / 4`).
    public init(
        _ params: [Tensor], lr: Double = 1, maxIter: Int = 20, maxEval: Int? = nil, toleranceGrad: Double = 1e-7,
        toleranceChange: Double = 1e-9, historySize: Int = 100, lineSearchFn: String? = nil, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        precondition(lineSearchFn == nil || lineSearchFn == "strong_wolfe", "only 'strong_wolfe' is supported")
        precondition(
            Set(params.map(\.dtype)).count <= 1, "LBFGS: all parameters must have the same dtype")
        self.lineSearchFn = lineSearchFn
        self.params = params
        super.init(
            params,
            defaults: [
                "lr": lr, "max_iter": Double(maxIter), "max_eval": Double(maxEval ?? maxIter * 5 / 4),
                "tolerance_grad": toleranceGrad, "tolerance_change": toleranceChange,
                "history_size": Double(historySize), "maximize": maximize.option,
            ])
    }

    /// LBFGS needs to re-evaluate the model: use `step(closure:)`.
    override public func step() {
        preconditionFailure("LBFGS.step() needs a closure that reevaluates the model and returns the loss")
    }

    /// Runs up to `max_iter` L-BFGS iterations, re-evaluating the loss with `closure`, and returns
    /// the loss of the first evaluation.
    @discardableResult
    override public func step(closure: () -> Tensor) -> Tensor {
        precondition(paramGroups.count == 1, "LBFGS doesn't support per-parameter options (parameter groups)")
        return noGrad { run(closure) }
    }

    /// The body of `step(closure:)`, a line-by-line port of PyTorch's `LBFGS.step`.
    private func run(_ closure: () -> Tensor) -> Tensor {
        let group = paramGroups[0]
        let (lr, maximize) = (group.lr, group.flag("maximize"))
        let (maxIter, maxEval) = (Int(group.value("max_iter")), Int(group.value("max_eval")))
        let (toleranceGrad, toleranceChange) = (group.value("tolerance_grad"), group.value("tolerance_change"))
        let historySize = Int(group.value("history_size"))
        func evaluate() -> (Tensor, Double) {
            let loss = enableGrad(closure)
            return (loss, maximize ? -loss.item() : loss.item())
        }

        let (origLoss, firstLoss) = evaluate()
        var loss = firstLoss
        var currentEvals = 1
        memory.funcEvals += 1
        var flatGrad = gatherFlatGrad()
        var optCond = maxAbs(flatGrad) <= toleranceGrad
        if optCond { return origLoss }

        var m = memory
        var nIter = 0
        while nIter < maxIter {
            nIter += 1
            m.nIter += 1
            if m.nIter == 1 {
                m.d = flatGrad.neg()
                m.oldDirs = []
                m.oldStps = []
                m.ro = []
                m.hDiag = 1
            } else {
                m.d = direction(flatGrad, &m, historySize: historySize)
            }
            m.prevFlatGrad = flatGrad.clone()
            m.prevLoss = loss
            m.t = m.nIter == 1 ? rounded(min(1, rounded(1 / flatGrad.abs().sum().item())) * lr) : lr
            let d = m.d!
            let gtd = dot(flatGrad, d)
            if gtd > -toleranceChange { break }

            var lsFuncEvals = 0
            if lineSearchFn != nil {
                let start = params.map { $0.detach().clone() }
                let search = strongWolfe(
                    from: start, t: m.t, d: d, f: loss, g: flatGrad, gtd: gtd, toleranceChange: toleranceChange,
                    maxLs: maxEval - currentEvals
                ) { x, t, d in
                    self.addGrad(t, d)
                    let f = evaluate().1
                    let g = self.gatherFlatGrad()
                    for (p, saved) in zip(self.params, x) { p.detach().copy(from: saved) }
                    return (f, g)
                }
                (loss, flatGrad, m.t, lsFuncEvals) = search
                addGrad(m.t, d)
                optCond = maxAbs(flatGrad) <= toleranceGrad
            } else {
                addGrad(m.t, d)
                if nIter != maxIter {
                    loss = evaluate().1
                    flatGrad = gatherFlatGrad()
                    optCond = maxAbs(flatGrad) <= toleranceGrad
                    lsFuncEvals = 1
                }
            }
            currentEvals += lsFuncEvals
            m.funcEvals += lsFuncEvals

            if nIter == maxIter || currentEvals >= maxEval || optCond { break }
            if maxAbs(d * m.t) <= toleranceChange { break }
            if Swift.abs(loss - m.prevLoss) < toleranceChange { break }
        }
        memory = m
        return origLoss
    }

    /// The quasi-Newton direction from the curvature history (two-loop recursion), after adding
    /// the latest step and gradient change to it.
    private func direction(_ flatGrad: Tensor, _ m: inout Memory, historySize: Int) -> Tensor {
        let y = flatGrad - m.prevFlatGrad!
        let s = m.d! * m.t
        let ys = dot(y, s)
        if ys > 1e-10 {
            if m.oldDirs.count == historySize {
                m.oldDirs.removeFirst()
                m.oldStps.removeFirst()
                m.ro.removeFirst()
            }
            m.oldDirs.append(y)
            m.oldStps.append(s)
            m.ro.append(rounded(1 / ys))
            m.hDiag = rounded(ys / dot(y, y))
        }
        let count = m.oldDirs.count
        var al = [Double](repeating: 0, count: count)
        let q = flatGrad.neg()
        for i in stride(from: count - 1, through: 0, by: -1) {
            al[i] = rounded(dot(m.oldStps[i], q) * m.ro[i])
            q.addInPlace(m.oldDirs[i] * -al[i])
        }
        let r = q * m.hDiag
        for i in 0..<count {
            let be = rounded(dot(m.oldDirs[i], r) * m.ro[i])
            r.addInPlace(m.oldStps[i] * rounded(al[i] - be))
        }
        return r
    }

    // MARK: Flat vectors

    /// `x` rounded to the parameters' dtype, as PyTorch's 0-dim tensors hold it.
    private func rounded(_ x: Double) -> Double {
        params.first?.dtype == .float32 ? Double(Float(x)) : x
    }

    private func dot(_ a: Tensor, _ b: Tensor) -> Double { (a * b).sum().item() }

    private func maxAbs(_ a: Tensor) -> Double { a.count == 0 ? 0 : a.abs().max().item() }

    /// All gradients as one flat vector (zeros for parameters without one), negated to maximize.
    private func gatherFlatGrad() -> Tensor {
        let views = params.map { p in
            p.grad.map { $0.detach().reshape(-1) } ?? Tensor.zeros([p.count], dtype: p.dtype)
        }
        let flat = Tensor.cat(views, dim: 0)
        return paramGroups[0].flag("maximize") ? flat.neg() : flat
    }

    /// `p += stepSize * update[p's slice]` for every parameter.
    private func addGrad(_ stepSize: Double, _ update: Tensor) {
        var offset = 0
        for p in params {
            let slice = update.narrow(dim: 0, start: offset, length: p.count).view(p.shape)
            p.detach().addInPlace(slice * stepSize)
            offset += p.count
        }
    }

    // MARK: State dicts

    /// The state dict, with the history packed on parameter 0 (see the type's documentation).
    override public func stateDict() -> OptimizerState {
        var dict = super.stateDict()
        guard memory.funcEvals > 0 else { return dict }
        let m = memory
        var tensors: [String: Tensor] = [:]
        tensors["d"] = m.d?.clone()
        tensors["prev_flat_grad"] = m.prevFlatGrad?.clone()
        if !m.oldDirs.isEmpty {
            tensors["old_dirs"] = Tensor.stack(m.oldDirs)
            tensors["old_stps"] = Tensor.stack(m.oldStps)
            tensors["ro"] = Tensor(m.ro)
        }
        let numbers = [
            "func_evals": Double(m.funcEvals), "n_iter": Double(m.nIter), "t": m.t, "H_diag": m.hDiag,
            "prev_loss": m.prevLoss,
        ]
        dict.state[0] = ParameterState(tensors: tensors, numbers: numbers)
        return dict
    }

    /// Restores a state dict written by `stateDict()`.
    override public func loadStateDict(_ stateDict: OptimizerState) throws(OptimizerStateError) {
        _ = try matchParameters(stateDict)
        var m = Memory()
        if let saved = stateDict.state[0]?.copied(as: params.first?.dtype) {
            let n = params.reduce(0) { $0 + $1.count }
            for (key, t) in saved.tensors.sorted(by: { $0.key < $1.key }) where key != "ro" && t.shape.last != n {
                throw .shapeMismatch(index: 0, key: key, expected: [n], got: t.shape)
            }
            m.funcEvals = Int(saved.numbers["func_evals"] ?? 0)
            m.nIter = Int(saved.numbers["n_iter"] ?? 0)
            m.t = saved.numbers["t"] ?? 0
            m.hDiag = saved.numbers["H_diag"] ?? 1
            m.prevLoss = saved.numbers["prev_loss"] ?? 0
            m.d = saved.tensors["d"]
            m.prevFlatGrad = saved.tensors["prev_flat_grad"]
            let rows = { (key: String) in
                saved.tensors[key].map { t in (0..<t.size(0)).map { t.select(dim: 0, index: $0).clone() } } ?? []
            }
            m.oldDirs = rows("old_dirs")
            m.oldStps = rows("old_stps")
            m.ro = saved.tensors["ro"]?.toArray(as: Double.self) ?? []
        }
        memory = m
        restoreOptions(stateDict)
    }
}
