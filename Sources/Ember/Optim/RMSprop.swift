import CEmberKernels

/// RMSprop (`torch.optim.RMSprop`), optionally centered and with momentum.
///
/// Each step: `g ← ∇ + λθ`, `s ← αs + (1 − α)g²`, `ḡ ← αḡ + (1 − α)g` (centered), `a ← √(s − ḡ²) + ε`
/// (centered) or `√s + ε`, then `b ← μb + g/a; θ ← θ − lr·b` (momentum) or `θ ← θ − lr·g/a`.
/// State: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
public final class RMSprop: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = RMSprop(model.parameters(), lr: 0.001, alpha: 0.99)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-2, alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0,
        momentum: Double = 0, centered: Bool = false, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(eps, "epsilon value")
        checkNonNegative(momentum, "momentum value")
        checkNonNegative(weightDecay, "weight_decay value")
        checkNonNegative(alpha, "alpha value")
        super.init(
            params,
            defaults: [
                "lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weightDecay, "momentum": momentum,
                "centered": centered.option, "maximize": maximize.option,
            ])
    }

    /// One RMSprop step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let momentum = group.value("momentum")
        state.step += 1
        let operands = [
            state.buffer("square_avg", like: parameter),
            group.flag("centered") ? state.buffer("grad_avg", like: parameter) : nil,
            momentum > 0 ? state.buffer("momentum_buffer", like: parameter) : nil,
        ]
        let args = ember_rmsprop_args(
            lr: group.lr, alpha: group.value("alpha"), eps: group.value("eps"),
            weight_decay: group.value("weight_decay"), momentum: momentum, maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_rmsprop_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self],
                    x[4, Float.self])
            default:
                ember_rmsprop_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self],
                    x[4, Double.self])
            }
        }
    }
}
