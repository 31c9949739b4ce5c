/// The base class of every layer and model (`nn.Module`).
///
/// Subclasses declare layers and tensors as stored properties and override `forward(_:)`;
/// calling a module (`model(x)`) runs `forward`. Parameters (tensors marked with `Parameter`),
/// buffers (`Buffer`) and child modules are found from stored properties by name — superclass
/// first, in declaration order, also inside optionals, arrays and dictionaries — followed by
/// those registered explicitly. That order is the state-dict key order, as in PyTorch.
///
/// Threading: a module and its tensors belong to one thread at a time.
open class Module: CustomStringConvertible {
    /// Whether the module is in training mode (`training`); see `train()` and `eval()`.
    public private(set) var isTraining = true
    private var registered: [(name: String, member: Member)] = []

    /// Creates an empty module in training mode.
    public init() {}

    /// The computation of the module; subclasses override it.
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("Module [\(typeName)] is missing the required \"forward\" function")
    }

    /// Runs `forward` (`model(x)`); during an ONNX export the call is recorded.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        if ONNXTracer.isActive, let tracer = ONNXTracer.current { return tracer.call(self, input) }
        return forward(input)
    }

    /// State-dict keys for properties whose Swift name differs from PyTorch's
    /// (`["runningMean": "running_mean"]`).
    open class var stateKeyOverrides: [String: String] { [:] }

    /// Whether members are found from stored properties; containers, which register their
    /// children explicitly, turn it off so their internal arrays are not registered twice.
    open class var discoversStoredProperties: Bool { true }

    /// The layer's arguments as shown inside its repr (`in_features=2, out_features=3, bias=True`).
    open var extraRepr: String { "" }

    /// The class name shown in reprs and error messages.
    public var typeName: String { String(describing: type(of: self)) }

    // MARK: Discovery

    /// A registered member of a module.
    enum Member {
        case parameter(Tensor)
        case buffer(Tensor, persistent: Bool)
        case module(Module)
    }

    /// Own members in registration order: stored properties (superclass first), then explicit ones.
    func members() -> [(name: String, member: Member)] {
        var result: [(String, Member)] = []
        if Self.discoversStoredProperties { collect(Mirror(reflecting: self), into: &result) }
        return result + registered
    }

    private func collect(_ mirror: Mirror, into result: inout [(String, Member)]) {
        if let parent = mirror.superclassMirror { collect(parent, into: &result) }
        let overrides = Self.stateKeyOverrides
        for child in mirror.children {
            guard var name = child.label, !name.hasPrefix("$__lazy_storage_$_") else { continue }
            if name.hasPrefix("_") { name.removeFirst() }
            classify(child.value, name: overrides[name] ?? name, into: &result)
        }
    }

    private func classify(_ value: Any, name: String, into result: inout [(String, Member)]) {
        switch value {
        case let tensor as Tensor:
            switch tensor.moduleRole {
            case .parameter: result.append((name, .parameter(tensor)))
            case .buffer(let persistent): result.append((name, .buffer(tensor, persistent: persistent)))
            case nil: break
            }
        case let module as Module:
            result.append((name, .module(module)))
        case let modules as [Module]:
            for (i, m) in modules.enumerated() { result.append(("\(name).\(i)", .module(m))) }
        case let tensors as [Tensor]:
            for (i, t) in tensors.enumerated() { classify(t, name: "\(name).\(i)", into: &result) }
        case let modules as [String: Module]:
            for key in modules.keys.sorted() { result.append(("\(name).\(key)", .module(modules[key]!))) }
        default:
            break
        }
    }

    /// Registers a parameter under `name` (`register_parameter`).
    public func registerParameter(_ name: String, _ tensor: Tensor) {
        let p = tensor.isParameter ? tensor : Parameter(tensor)
        register(name, .parameter(p))
    }

    /// Registers a buffer under `name` (`register_buffer`).
    public func registerBuffer(_ name: String, _ tensor: Tensor, persistent: Bool = true) {
        register(name, .buffer(Buffer(tensor, persistent: persistent), persistent: persistent))
    }

    /// Registers a child module under `name` (`register_module` / `add_module`).
    public func registerModule(_ name: String, _ module: Module) {
        register(name, .module(module))
    }

    private func register(_ name: String, _ member: Member) {
        precondition(!name.contains("."), "module name can't contain \".\", got: \(name)")
        precondition(!name.isEmpty, "module name can't be empty string \"\"")
        if let i = registered.firstIndex(where: { $0.name == name }) {
            registered[i].member = member
        } else {
            registered.append((name, member))
        }
    }

    /// Removes all explicitly registered members (used by containers that rebuild their list).
    func clearRegistered() { registered.removeAll() }

    // MARK: Traversal

    /// Direct children with their names (`named_children()`).
    public func namedChildren() -> [(String, Module)] {
        members().compactMap { name, member in
            if case .module(let m) = member { return (name, m) }
            return nil
        }
    }

    /// Direct children (`children()`).
    public func children() -> [Module] { namedChildren().map(\.1) }

    /// This module and all descendants, each once, with dotted names (`named_modules()`).
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var result: [(String, Module)] = []
        var seen = Set<ObjectIdentifier>()
        var stack: [(String, Module)] = [(prefix, self)]
        while let (name, module) = stack.popLast() {
            guard seen.insert(ObjectIdentifier(module)).inserted else { continue }
            result.append((name, module))
            for (childName, child) in module.namedChildren().reversed() {
                stack.append((name.isEmpty ? childName : "\(name).\(childName)", child))
            }
        }
        return result
    }

    /// This module and all descendants (`modules()`).
    public func modules() -> [Module] { namedModules().map(\.1) }

    /// All parameters with dotted names, each tensor once, in registration order
    /// (`named_parameters()`).
    public func namedParameters(recurse: Bool = true) -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(String, Tensor)] = []
        for (prefix, module) in recurse ? namedModules() : [("", self)] {
            for (name, member) in module.members() {
                guard case .parameter(let t) = member, seen.insert(ObjectIdentifier(t)).inserted else { continue }
                result.append((prefix.isEmpty ? name : "\(prefix).\(name)", t))
            }
        }
        return result
    }

    /// All parameters in registration order (`parameters()`).
    public func parameters(recurse: Bool = true) -> [Tensor] { namedParameters(recurse: recurse).map(\.1) }

    /// All buffers with dotted names (`named_buffers()`).
    public func namedBuffers(recurse: Bool = true) -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        for (prefix, module) in recurse ? namedModules() : [("", self)] {
            for (name, member) in module.members() {
                guard case .buffer(let t, _) = member else { continue }
                result.append((prefix.isEmpty ? name : "\(prefix).\(name)", t))
            }
        }
        return result
    }

    /// All buffers (`buffers()`).
    public func buffers(recurse: Bool = true) -> [Tensor] { namedBuffers(recurse: recurse).map(\.1) }

    /// The number of scalar parameters (`sum(p.numel() for p in model.parameters())`).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: Modes and gradients

    /// Puts the module and its descendants in training mode (`train()`).
    @discardableResult
    public func train(_ mode: Bool = true) -> Self {
        for m in modules() { m.isTraining = mode }
        return self
    }

    /// Puts the module and its descendants in evaluation mode (`eval()`).
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Clears every parameter's gradient (`zero_grad(set_to_none=True)`), or zeroes it in place.
    public func zeroGrad(setToNone: Bool = true) {
        for p in parameters() {
            if setToNone {
                p.grad = nil
            } else if let g = p.grad {
                noGrad { _ = g.zero() }
            }
        }
    }

    /// Sets `requiresGrad` on every parameter, e.g. to freeze a sub-module (`requires_grad_()`).
    @discardableResult
    public func requiresGrad(_ flag: Bool = true) -> Self {
        for p in parameters() { p.requiresGrad = flag }
        return self
    }

    /// Calls `body` on every descendant and then this module (`apply`), e.g. for custom init.
    @discardableResult
    public func apply(_ body: (Module) -> Void) -> Self {
        for m in modules().reversed() { body(m) }
        return self
    }

    /// Converts every floating-point parameter and buffer to `dtype` in place (`to(dtype)`).
    @discardableResult
    public func to(_ dtype: DType) -> Self {
        precondition(
            dtype.isFloatingPoint, "nn.Module.to only accepts floating point dtypes, but got desired dtype=\(dtype)")
        noGrad {
            for t in parameters() + buffers() where t.dtype.isFloatingPoint && t.dtype != dtype {
                t.setData(t.detach().to(dtype).contiguous())
                if let g = t.grad { t.grad = g.to(dtype) }
            }
        }
        return self
    }

    // MARK: Printing

    /// PyTorch's repr: the class name, `extraRepr`, and children indented by two spaces.
    public var description: String {
        repr(children: namedChildren().map { (label: $0.0, text: $0.1.description) })
    }

    /// The repr around already printed children, each shown as `(label): text`.
    func repr(children: [(label: String, text: String)]) -> String {
        if children.isEmpty { return "\(typeName)(\(extraRepr))" }
        var lines: [String] = []
        if !extraRepr.isEmpty { lines.append(contentsOf: extraRepr.split(separator: "\n").map(String.init)) }
        for (label, text) in children {
            let indented = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
            lines.append("(\(label)): \(indented)")
        }
        return "\(typeName)(\n  " + lines.joined(separator: "\n  ") + "\n)"
    }
}
