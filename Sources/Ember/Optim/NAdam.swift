import CEmberKernels

/// NAdam, Adam with Nesterov momentum (`torch.optim.NAdam`).
///
/// With `μₜ = β₁(1 − ½·0.96^(t·ψ))` (ψ = `momentumDecay`), each step updates `m` and `v` as Adam
/// does and applies `θ ← θ − lr(1 − μₜ)/(1 − Πμ) · g/d − lr·μₜ₊₁/(1 − Πμ·μₜ₊₁) · m/d` with
/// `d = √(v/(1 − β₂ᵗ)) + ε`. State: `step`, `mu_product` (kept in float32, PyTorch's default
/// scalar type), `exp_avg`, `exp_avg_sq`.
public final class NAdam: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 2e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false,
        maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(eps, "epsilon value")
        checkBetas(betas)
        checkNonNegative(weightDecay, "weight_decay value")
        checkNonNegative(momentumDecay, "momentum_decay value")
        super.init(
            params,
            defaults: [
                "lr": lr, "beta1": betas.0, "beta2": betas.1, "eps": eps, "weight_decay": weightDecay,
                "momentum_decay": momentumDecay, "decoupled_weight_decay": decoupledWeightDecay.option,
                "maximize": maximize.option,
            ])
    }

    /// One NAdam step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let (lr, beta1, beta2) = (group.lr, group.value("beta1"), group.value("beta2"))
        let momentumDecay = group.value("momentum_decay")
        state.step += 1
        let step = state.step
        let mu = beta1 * (1 - 0.5 * power(0.96, step * momentumDecay))
        let muNext = beta1 * (1 - 0.5 * power(0.96, (step + 1) * momentumDecay))
        let muProduct = Double(Float(state.numbers["mu_product"] ?? 1) * Float(mu))
        state.numbers["mu_product"] = muProduct
        let operands = [state.buffer("exp_avg", like: parameter), state.buffer("exp_avg_sq", like: parameter)]
        let args = ember_nadam_args(
            lr: lr, beta1: beta1, beta2: beta2, eps: group.value("eps"), weight_decay: group.value("weight_decay"),
            bias_correction2: 1 - power(beta2, step), grad_coef: -lr * (1 - mu) / (1 - muProduct),
            exp_avg_coef: (-lr * muNext) / (1 - muProduct * muNext),
            decoupled_weight_decay: group.flag("decoupled_weight_decay") ? 1 : 0,
            maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_nadam_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self])
            default:
                ember_nadam_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self])
            }
        }
    }
}
