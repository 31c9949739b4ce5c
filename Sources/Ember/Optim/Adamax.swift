import CEmberKernels

/// Adamax, Adam with the infinity norm (`torch.optim.Adamax`).
///
/// Each step: `g ← ∇ + λθ`, `m ← β₁m + (1 − β₁)g`, `u ← max(β₂u, |g| + ε)`,
/// `θ ← θ − lr/(1 − β₁ᵗ) · m/u`. State: `step`, `exp_avg`, `exp_inf`.
public final class Adamax: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(eps, "epsilon value")
        checkBetas(betas)
        checkNonNegative(weightDecay, "weight_decay value")
        super.init(
            params,
            defaults: [
                "lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weight_decay": weightDecay,
                "maximize": maximize.option,
            ])
    }

    /// One Adamax step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        state.step += 1
        let operands = [state.buffer("exp_avg", like: parameter), state.buffer("exp_inf", like: parameter)]
        let beta1 = group.value("beta1")
        let args = ember_adamax_args(
            lr: group.lr, beta1: beta1, beta2: group.value("beta2"), eps: group.value("eps"),
            weight_decay: group.value("weight_decay"), clr: group.lr / (1 - power(beta1, state.step)),
            maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_adamax_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self])
            default:
                ember_adamax_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self])
            }
        }
    }
}
