import CEmberKernels

/// Stochastic gradient descent, optionally with momentum, Nesterov momentum and weight decay
/// (`torch.optim.SGD`).
///
/// With momentum `μ`, dampening `τ` and weight decay `λ`, each step computes
/// `g ← ∇ + λθ`, `b ← μb + (1 − τ)g` (the first step sets `b ← g`), `g ← g + μb` (Nesterov) or
/// `g ← b`, and `θ ← θ − lr·g`; `maximize` ascends instead. State: `momentum_buffer` (only when
/// momentum is non-zero).
public final class SGD: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = SGD(model.parameters(), lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        nesterov: Bool = false, weightDecay: Double = 0, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(momentum, "momentum value")
        checkNonNegative(weightDecay, "weight_decay value")
        precondition(
            !nesterov || (momentum > 0 && dampening == 0),
            "Nesterov momentum requires a momentum and zero dampening")
        super.init(
            params,
            defaults: [
                "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay,
                "nesterov": nesterov.option, "maximize": maximize.option,
            ])
    }

    /// One SGD step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let momentum = group.value("momentum")
        let firstStep = state.tensors["momentum_buffer"] == nil
        let buffer = momentum != 0 ? state.buffer("momentum_buffer", like: parameter) : nil
        let args = ember_sgd_args(
            lr: group.lr, momentum: momentum, dampening: group.value("dampening"),
            weight_decay: group.value("weight_decay"), nesterov: group.flag("nesterov") ? 1 : 0,
            maximize: group.flag("maximize") ? 1 : 0, first_step: firstStep ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: [buffer]) { n, x in
            switch x.dtype {
            case .float32: ember_sgd_f32(args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self])
            default: ember_sgd_f64(args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self])
            }
        }
    }
}
