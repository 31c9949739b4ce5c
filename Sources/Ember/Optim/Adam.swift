import CEmberKernels

/// Adam (`torch.optim.Adam`), with AMSGrad and either L2 or decoupled weight decay.
///
/// Each step: `g ← ∇ + λθ` (or `θ ← θ(1 − lr·λ)` when decoupled), `m ← β₁m + (1 − β₁)g`,
/// `v ← β₂v + (1 − β₂)g²`, `v̂ ← max(v̂, v)` (AMSGrad), and
/// `θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)`. State: `step`, `exp_avg`, `exp_avg_sq`,
/// `max_exp_avg_sq` (AMSGrad). The update is one fused pass over each parameter's memory.
public class Adam: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = Adam(model.parameters(), lr: 0.001, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.01)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false,
        decoupledWeightDecay: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(eps, "epsilon value")
        checkBetas(betas)
        checkNonNegative(weightDecay, "weight_decay value")
        super.init(
            params,
            defaults: [
                "lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weight_decay": weightDecay,
                "amsgrad": amsgrad.option, "maximize": maximize.option,
                "decoupled_weight_decay": decoupledWeightDecay.option,
            ])
    }

    /// One Adam step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let (lr, beta1, beta2) = (group.lr, group.value("beta1"), group.value("beta2"))
        state.step += 1
        let step = state.step
        let operands = [
            state.buffer("exp_avg", like: parameter), state.buffer("exp_avg_sq", like: parameter),
            group.flag("amsgrad") ? state.buffer("max_exp_avg_sq", like: parameter) : nil,
        ]
        let args = ember_adam_args(
            lr: lr, beta1: beta1, beta2: beta2, eps: group.value("eps"), weight_decay: group.value("weight_decay"),
            step_size: lr / (1 - power(beta1, step)), bias_correction2_sqrt: power(1 - power(beta2, step), 0.5),
            decoupled_weight_decay: group.flag("decoupled_weight_decay") ? 1 : 0,
            maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_adam_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self],
                    x[4, Float.self])
            default:
                ember_adam_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self],
                    x[4, Double.self])
            }
        }
    }
}

/// Adam with decoupled weight decay (`torch.optim.AdamW`): `θ ← θ(1 − lr·λ)` before the Adam
/// update, with PyTorch's default `weightDecay` of 0.01.
public final class AdamW: Adam {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = AdamW(model.parameters(), lr: 0.001, weightDecay: 0.01)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        super.init(
            params, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
            maximize: maximize, decoupledWeightDecay: true)
    }
}
