/// The optimizer base class (`torch.optim.Optimizer`): parameter groups with their options, lazily
/// created per-parameter state, `zeroGrad`, `step`, and state dicts that resume training exactly.
///
/// Threading: an optimizer and the tensors it updates belong to one thread at a time (the update of
/// one large parameter may itself be split across cores).

/// A set of parameters optimized with the same options: one entry of PyTorch's `param_groups`.
///
/// Options use PyTorch's keys (`"lr"`, `"momentum"`, `"weight_decay"`, `"initial_lr"`, ...) and
/// are numbers: flags such as `"nesterov"` are 0 or 1, and the `betas` pair is stored as `"beta1"`
/// and `"beta2"`. Options a group leaves out take the optimizer's defaults when it is added.
public struct ParamGroup {
    /// The tensors this group updates.
    public var params: [Tensor]
    /// The group's options under PyTorch's keys.
    public var options: [String: Double]

    /// Creates a group; `options` override the optimizer's defaults for these parameters.
    public init(_ params: [Tensor], options: [String: Double] = [:]) {
        self.params = params
        self.options = options
    }

    /// Reads or writes one option (`group["momentum"]`).
    public subscript(key: String) -> Double? {
        get { options[key] }
        set { options[key] = newValue }
    }

    /// The learning rate (`group["lr"]`).
    public var lr: Double {
        get { value("lr") }
        set { options["lr"] = newValue }
    }

    /// An option the group must have.
    func value(_ key: String) -> Double {
        guard let v = options[key] else {
            preconditionFailure(
                "parameter group didn't specify a value of required optimization parameter \(key)")
        }
        return v
    }

    /// A 0/1 option as a `Bool`.
    func flag(_ key: String) -> Bool { (options[key] ?? 0) != 0 }
}

/// An element type of the list an optimizer is built from: `Tensor` (the list is one group) or
/// `ParamGroup` (one group each, with its own options), as PyTorch accepts either.
public protocol ParamGroupConvertible {
    /// The parameter groups a list of these elements stands for.
    static func paramGroups(from elements: [Self]) -> [ParamGroup]
}

extension Tensor: ParamGroupConvertible {
    /// One group holding every tensor (none for an empty list).
    public static func paramGroups(from elements: [Tensor]) -> [ParamGroup] {
        elements.isEmpty ? [] : [ParamGroup(elements)]
    }
}

extension ParamGroup: ParamGroupConvertible {
    /// The groups themselves.
    public static func paramGroups(from elements: [ParamGroup]) -> [ParamGroup] { elements }
}

/// One parameter's optimizer state (PyTorch's `optimizer.state[p]`): named tensors such as
/// `exp_avg` and named numbers such as `step`.
public struct ParameterState {
    /// State tensors under PyTorch's keys (`exp_avg`, `momentum_buffer`, ...).
    public var tensors: [String: Tensor]
    /// State numbers under PyTorch's keys (`step`, `mu_product`, ...).
    public var numbers: [String: Double]

    /// Creates a state from its tensors and numbers.
    public init(tensors: [String: Tensor] = [:], numbers: [String: Double] = [:]) {
        self.tensors = tensors
        self.numbers = numbers
    }

    /// Whether nothing is stored yet (the parameter has not been stepped).
    public var isEmpty: Bool { tensors.isEmpty && numbers.isEmpty }

    /// The number of updates applied so far (`state["step"]`).
    var step: Double {
        get { numbers["step"] ?? 0 }
        set { numbers["step"] = newValue }
    }

    /// The state tensor `key`, created like `parameter` and filled with `value` when missing.
    mutating func buffer(_ key: String, like parameter: Tensor, fill value: Double = 0) -> Tensor {
        if let t = tensors[key] { return t }
        let t = Tensor(empty: parameter.shape, dtype: parameter.dtype)
        if value != 0 { t.fillStorage(value) }
        tensors[key] = t
        return t
    }

    /// A copy whose tensors have their own memory, floating-point ones converted to `dtype` if given.
    func copied(as dtype: DType? = nil) -> ParameterState {
        let converted = tensors.mapValues { t in
            noGrad { (t.dtype.isFloatingPoint ? t.detach().to(dtype ?? t.dtype) : t.detach()).clone() }
        }
        return ParameterState(tensors: converted, numbers: numbers)
    }
}

/// A parameter group as saved in a state dict: its options and the indices of its parameters.
public struct ParamGroupState: Equatable, Sendable {
    /// The group's options under PyTorch's keys.
    public var options: [String: Double]
    /// The indices of the group's parameters, counted across groups in order (as PyTorch).
    public var params: [Int]

    /// Creates a saved group.
    public init(options: [String: Double], params: [Int]) {
        self.options = options
        self.params = params
    }
}

/// Everything an optimizer needs to resume (`optimizer.state_dict()`): per-parameter state keyed
/// by parameter index, and the groups' options. The tensors are copies, owned by this value.
public struct OptimizerState {
    /// Per-parameter state by parameter index; parameters without state have no entry.
    public var state: [Int: ParameterState]
    /// The parameter groups, in order.
    public var paramGroups: [ParamGroupState]

    /// Creates a state dict.
    public init(state: [Int: ParameterState], paramGroups: [ParamGroupState]) {
        self.state = state
        self.paramGroups = paramGroups
    }
}

/// Why `loadStateDict` refused an optimizer state dict.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    /// The state dict has a different number of groups than the optimizer.
    case groupCountMismatch(expected: Int, got: Int)
    /// A saved group holds a different number of parameters than the optimizer's group.
    case groupSizeMismatch(group: Int, expected: Int, got: Int)
    /// The state dict has state for a parameter index the optimizer does not have.
    case unknownParameter(index: Int, parameterCount: Int)
    /// A state tensor does not have its parameter's shape.
    case shapeMismatch(index: Int, key: String, expected: [Int], got: [Int])

    /// The message, in PyTorch's words where PyTorch has them.
    public var description: String {
        switch self {
        case .groupCountMismatch(let expected, let got):
            "loaded state dict has a different number of parameter groups (\(got), expected \(expected))"
        case .groupSizeMismatch(let group, let expected, let got):
            "loaded state dict contains a parameter group that doesn't match the size of optimizer's group "
                + "(group \(group): \(got) parameters, expected \(expected))"
        case .unknownParameter(let index, let count):
            "loaded state dict has state for parameter \(index), but the optimizer has \(count) parameters"
        case .shapeMismatch(let index, let key, let expected, let got):
            "loaded state dict has \(key) of shape \(got) for parameter \(index), whose shape is \(expected)"
        }
    }
}

/// The base class of every optimizer (`torch.optim.Optimizer`).
///
/// Subclasses pass their defaults to `init(_:defaults:)` and override
/// `update(_:gradient:state:group:)`, which `step()` calls for every parameter that has a gradient,
/// without recording autograd history.
open class Optimizer {
    /// The parameter groups (`param_groups`); change options here, e.g. `paramGroups[0].lr = 0.01`.
    public var paramGroups: [ParamGroup] = []
    /// The options groups take when they leave one out (`defaults`).
    public let defaults: [String: Double]
    /// Per-parameter state, created on a parameter's first step.
    var parameterStates: [ObjectIdentifier: ParameterState] = [:]

    /// Creates an optimizer over `params` (tensors, or parameter groups with their own options).
    public init<Element: ParamGroupConvertible>(_ params: [Element], defaults: [String: Double]) {
        self.defaults = defaults
        let groups = Element.paramGroups(from: params)
        precondition(!groups.isEmpty, "optimizer got an empty parameter list")
        for group in groups { addParamGroup(group) }
    }

    /// Adds a group of parameters, with defaults for the options it leaves out (`add_param_group`).
    public func addParamGroup(_ group: ParamGroup) {
        var group = group
        for p in group.params {
            precondition(p.isLeaf, "can't optimize a non-leaf Tensor")
        }
        group.options.merge(defaults) { own, _ in own }
        let existing = Set(paramGroups.flatMap { $0.params.map(ObjectIdentifier.init) })
        precondition(
            existing.isDisjoint(with: group.params.map(ObjectIdentifier.init)),
            "some parameters appear in more than one parameter group")
        paramGroups.append(group)
    }

    /// Every parameter, group after group (the order of state-dict indices).
    var allParameters: [Tensor] { paramGroups.flatMap(\.params) }

    /// The state of one parameter (`optimizer.state[p]`), `nil` before its first step.
    public func state(for parameter: Tensor) -> ParameterState? {
        parameterStates[ObjectIdentifier(parameter)]
    }

    /// Clears the gradients of every parameter (`zero_grad`): sets them to `nil` (the default, as
    /// PyTorch), or zeroes them in place.
    public func zeroGrad(setToNone: Bool = true) {
        for p in allParameters {
            guard let g = p.grad else { continue }
            if setToNone {
                p.grad = nil
            } else {
                let plain = g.gradFn == nil ? g : g.detach()
                p.grad = plain
                noGrad { _ = plain.zero() }
            }
        }
    }

    /// Updates every parameter that has a gradient, once (`optimizer.step()`).
    open func step() {
        noGrad {
            for group in paramGroups {
                for p in group.params {
                    guard let grad = p.grad else { continue }
                    let id = ObjectIdentifier(p)
                    var state = parameterStates.removeValue(forKey: id) ?? ParameterState()
                    update(p, gradient: grad, state: &state, group: group)
                    parameterStates[id] = state
                }
            }
        }
    }

    /// Re-evaluates the model with `closure` (with gradients recorded), steps, and returns the loss
    /// the closure computed (`optimizer.step(closure)`).
    @discardableResult
    open func step(closure: () -> Tensor) -> Tensor {
        let loss = enableGrad(closure)
        step()
        return loss
    }

    /// Applies one update to `parameter` in place; called by `step()` without autograd recording.
    ///
    /// - Parameters:
    ///   - parameter: The tensor to update.
    ///   - gradient: Its gradient.
    ///   - state: Its state, empty on the first step; store what the next step needs.
    ///   - group: The options of the parameter's group.
    open func update(_ parameter: Tensor, gradient: Tensor, state: inout ParameterState, group: ParamGroup) {
        fatalError("\(type(of: self)) must override update(_:gradient:state:group:)")
    }

    // MARK: State dicts

    /// A copy of the optimizer's state (`state_dict()`): per-parameter state keyed by parameter
    /// index, and the groups' options. Loading it into an optimizer over the same parameters
    /// resumes the same trajectory.
    open func stateDict() -> OptimizerState {
        var state: [Int: ParameterState] = [:]
        var groups: [ParamGroupState] = []
        var index = 0
        for group in paramGroups {
            let indices = Array(index..<index + group.params.count)
            for (i, p) in zip(indices, group.params) {
                if let s = parameterStates[ObjectIdentifier(p)], !s.isEmpty { state[i] = s.copied() }
            }
            groups.append(ParamGroupState(options: group.options, params: indices))
            index += group.params.count
        }
        return OptimizerState(state: state, paramGroups: groups)
    }

    /// Restores state saved by `stateDict()` (`load_state_dict`). Saved parameters are matched to
    /// this optimizer's by position; the groups' options are replaced by the saved ones; floating-
    /// point state tensors are copied and converted to their parameter's dtype.
    open func loadStateDict(_ stateDict: OptimizerState) throws(OptimizerStateError) {
        let byIndex = try matchParameters(stateDict)
        var restored: [ObjectIdentifier: ParameterState] = [:]
        for (index, saved) in stateDict.state.sorted(by: { $0.key < $1.key }) {
            guard let p = byIndex[index] else {
                throw .unknownParameter(index: index, parameterCount: byIndex.count)
            }
            for (key, t) in saved.tensors.sorted(by: { $0.key < $1.key }) where t.shape != p.shape {
                throw .shapeMismatch(index: index, key: key, expected: p.shape, got: t.shape)
            }
            restored[ObjectIdentifier(p)] = saved.copied(as: p.dtype)
        }
        parameterStates = restored
        restoreOptions(stateDict)
    }

    /// The optimizer's parameters by saved index, after checking that the saved groups have the
    /// optimizer's group sizes.
    func matchParameters(_ stateDict: OptimizerState) throws(OptimizerStateError) -> [Int: Tensor] {
        guard stateDict.paramGroups.count == paramGroups.count else {
            throw .groupCountMismatch(expected: paramGroups.count, got: stateDict.paramGroups.count)
        }
        var byIndex: [Int: Tensor] = [:]
        for (g, (group, saved)) in zip(paramGroups, stateDict.paramGroups).enumerated() {
            guard group.params.count == saved.params.count else {
                throw .groupSizeMismatch(group: g, expected: group.params.count, got: saved.params.count)
            }
            for (i, p) in zip(saved.params, group.params) { byIndex[i] = p }
        }
        return byIndex
    }

    /// Replaces every group's options by the saved ones (the parameters stay).
    func restoreOptions(_ stateDict: OptimizerState) {
        for g in paramGroups.indices { paramGroups[g].options = stateDict.paramGroups[g].options }
    }
}

// MARK: Argument checks shared by the optimizers

/// Stops with PyTorch's message unless `value >= 0` (`Invalid learning rate: -0.1`).
func checkNonNegative(_ value: Double, _ what: String) {
    precondition(value >= 0, "Invalid \(what): \(value)")
}

/// Stops with PyTorch's message unless both betas lie in [0, 1).
func checkBetas(_ betas: (Double, Double)) {
    precondition(0 <= betas.0 && betas.0 < 1, "Invalid beta parameter at index 0: \(betas.0)")
    precondition(0 <= betas.1 && betas.1 < 1, "Invalid beta parameter at index 1: \(betas.1)")
}

extension Bool {
    /// 1 or 0, as flags are stored in parameter-group options.
    var option: Double { self ? 1 : 0 }
}
