import CEmberKernels

/// Adagrad (`torch.optim.Adagrad`).
///
/// Each step: `g ← ∇ + λθ`, `lr' ← lr / (1 + (t − 1)·lrDecay)`, `s ← s + g²`,
/// `θ ← θ − lr'·g / (√s + ε)`. State: `step`, `sum` (starting at `initialAccumulatorValue`).
public final class Adagrad: Optimizer {
    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// ```swift
    /// let opt = Adagrad(model.parameters(), lr: 0.01)
    /// ```
    public init<Element: ParamGroupConvertible>(
        _ params: [Element], lr: Double = 1e-2, lrDecay: Double = 0, weightDecay: Double = 0,
        initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false
    ) {
        checkNonNegative(lr, "learning rate")
        checkNonNegative(lrDecay, "lr_decay value")
        checkNonNegative(weightDecay, "weight_decay value")
        checkNonNegative(initialAccumulatorValue, "initial_accumulator_value value")
        checkNonNegative(eps, "epsilon value")
        super.init(
            params,
            defaults: [
                "lr": lr, "lr_decay": lrDecay, "eps": eps, "weight_decay": weightDecay,
                "initial_accumulator_value": initialAccumulatorValue, "maximize": maximize.option,
            ])
    }

    /// One Adagrad step for one parameter.
    override public func update(
        _ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup
    ) {
        let sum = state.buffer("sum", like: parameter, fill: group.value("initial_accumulator_value"))
        state.step += 1
        let args = ember_adagrad_args(
            lr: group.lr, clr: group.lr / (1 + (state.step - 1) * group.value("lr_decay")), eps: group.value("eps"),
            weight_decay: group.value("weight_decay"), maximize: group.flag("maximize") ? 1 : 0)
        fusedUpdate(parameter, gradient: gradient, state: [sum]) { n, x in
            switch x.dtype {
            case .float32: ember_adagrad_f32(args, Int64(n), x[0, Float.self], x[1, Float.self], x[2, Float.self])
            default: ember_adagrad_f64(args, Int64(n), x[0, Double.self], x[1, Double.self], x[2, Double.self])
            }
        }
    }
}
