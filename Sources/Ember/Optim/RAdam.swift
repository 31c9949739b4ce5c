import CEmberKernels

/// RAdam, rectified Adam (`torch.optim.RAdam`).
///
/// Each step updates `m` and `v` as Adam does; with `ρ∞ = 2/(1 − β₂) − 1` and
/// `ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)`, it applies `θ ← θ − lr · m/(1 − β₁ᵗ) · r · √(1 − β₂ᵗ)/(√v + ε)`
/// with the rectification `r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))` when `ρₜ > 5`, and
/// plain momentum SGD `θ ← θ − lr · m/(1 − β₁ᵗ)` before. State: `step`, `exp_avg`, `exp_avg_sq`.
public final class RAdam: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, decoupledWeightDecay: Bool = false, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(eps, "epsilon value")
        checkBetas(betas)
        checkNonNegative(weightDecay, "weight_decay value")
        super.init(
            params,
            defaults: [
                "lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weight_decay": weightDecay,
                "decoupled_weight_decay": decoupledWeightDecay.option, "maximize": maximize.option,
            ])
    }

    /// One RAdam step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let (beta1, beta2) = (group.value("beta1"), group.value("beta2"))
        state.step += 1
        let step = state.step
        let biasCorrection2 = 1 - power(beta2, step)
        let rhoInf = 2 / (1 - beta2) - 1
        let rhoT = rhoInf - 2 * step * power(beta2, step) / biasCorrection2
        let rect = power((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)
        let operands = [state.buffer("exp_avg", like: parameter), state.buffer("exp_avg_sq", like: parameter)]
        let args = ember_radam_args(
            lr: group.lr, beta1: beta1, beta2: beta2, eps: group.value("eps"),
            weight_decay: group.value("weight_decay"),
            bias_correction1: 1 - power(beta1, step), bias_correction2_sqrt: power(biasCorrection2, 0.5),
            rect: rhoT > 5 ? rect : 0, rectified: rhoT > 5 ? 1 : 0,
            decoupled_weight_decay: group.flag("decoupled_weight_decay") ? 1 : 0,
            maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_radam_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self])
            default:
                ember_radam_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self])
            }
        }
    }
}
