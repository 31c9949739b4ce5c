import CEmberKernels

/// Adadelta (`torch.optim.Adadelta`).
///
/// Each step: `g ← ∇ + λθ`, `s ← ρs + (1 − ρ)g²`, `Δ ← √(u + ε) / √(s + ε) · g`,
/// `u ← ρu + (1 − ρ)Δ²`, `θ ← θ − lr·Δ`. State: `step`, `square_avg`, `acc_delta`.
public final class Adadelta: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = Adadelta(model.parameters(), rho: 0.9)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1, rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0,
        maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        precondition(0 <= rho && rho <= 1, "Invalid rho value: \(rho)")
        checkNonNegative(eps, "epsilon value")
        checkNonNegative(weightDecay, "weight_decay value")
        super.init(
            params,
            defaults: [
                "lr": lr, "rho": rho, "eps": eps, "weight_decay": weightDecay, "maximize": maximize.option,
            ])
    }

    /// One Adadelta step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        state.step += 1
        let operands = [state.buffer("square_avg", like: parameter), state.buffer("acc_delta", like: parameter)]
        let args = ember_adadelta_args(
            lr: group.lr, rho: group.value("rho"), eps: group.value("eps"), weight_decay: group.value("weight_decay"),
            maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: operands) { n, x in
            switch x.dtype {
            case .float32:
                ember_adadelta_f32(
                    args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self], x[3, Float.self])
            default:
                ember_adadelta_f64(
                    args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self], x[3, Double.self])
            }
        }
    }
}
