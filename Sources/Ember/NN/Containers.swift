/// A chain of modules applied in order (`nn.Sequential`); children are named "0", "1", ... unless
/// given names.
public final class Sequential: Module {
    /// The modules in order.
    public private(set) var layers: [Module] = []

    /// Children are registered explicitly.
    override public class var discoversStoredProperties: Bool { false }

    /// A chain of the given modules (`Sequential(Linear(784, 256), ReLU(), Linear(256, 10))`).
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// A chain of the given modules.
    public init(_ layers: [Module]) {
        super.init()
        for layer in layers { append(layer) }
    }

    /// A chain of named modules (`Sequential(OrderedDict([...]))`).
    public init(named layers: [(String, Module)]) {
        super.init()
        for (name, layer) in layers {
            registerModule(name, layer)
            self.layers.append(layer)
        }
    }

    /// Adds a module at the end, named by its position.
    public func append(_ module: Module) {
        registerModule(String(layers.count), module)
        layers.append(module)
    }

    /// The number of modules.
    public var count: Int { layers.count }

    /// The module at `index` (negative counts from the end).
    public subscript(_ index: Int) -> Module { layers[index < 0 ? index + layers.count : index] }

    /// Applies every module in turn; a `Linear` followed by a `ReLU` runs as one fused product
    /// when autograd records neither (`Linear.forwardReLU`).
    override public func forward(_ input: Tensor) -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
            if index + 1 < layers.count, layers[index + 1] is ReLU,
                let linear = layers[index] as? Linear, let fused = linear.forwardReLU(x)
            {
                x = fused
                index += 2
            } else {
                x = layers[index](x)
                index += 1
            }
        }
        return x
    }
}

/// A list of modules registered as children "0", "1", ... (`nn.ModuleList`).
public final class ModuleList: Module, RandomAccessCollection {
    private var items: [Module] = []

    /// Children are registered explicitly.
    override public class var discoversStoredProperties: Bool { false }

    /// A list holding `modules`.
    public init(_ modules: [Module] = []) {
        super.init()
        for m in modules { append(m) }
    }

    /// Adds a module at the end (`append`).
    public func append(_ module: Module) {
        items.append(module)
        registerModule(String(items.count - 1), module)
    }

    /// Adds several modules at the end (`extend`).
    public func extend(_ modules: [Module]) { for m in modules { append(m) } }

    /// Inserts a module at `index`, renaming the following ones (`insert`).
    public func insert(_ module: Module, at index: Int) {
        items.insert(module, at: index)
        clearRegistered()
        for (i, m) in items.enumerated() { registerModule(String(i), m) }
    }

    /// The first index.
    public var startIndex: Int { 0 }
    /// One past the last index.
    public var endIndex: Int { items.count }
    /// The module at `index`.
    public subscript(_ index: Int) -> Module { items[index] }

    /// PyTorch's repr, which folds runs of equal entries: `(0-2): 3 x Linear(...)`.
    override public var description: String {
        var runs: [(first: Int, last: Int, text: String)] = []
        for (i, (_, child)) in namedChildren().enumerated() {
            let text = child.description
            if let last = runs.last, last.text == text {
                runs[runs.count - 1].last = i
            } else {
                runs.append((i, i, text))
            }
        }
        return repr(
            children: runs.map { run in
                run.first == run.last
                    ? (label: "\(run.first)", text: run.text)
                    : (label: "\(run.first)-\(run.last)", text: "\(run.last - run.first + 1) x \(run.text)")
            })
    }

    /// A module list has no forward of its own; iterate it inside a parent's forward.
    override public func forward(_ input: Tensor) -> Tensor {
        fatalError("ModuleList is not callable: iterate over it in the parent module's forward")
    }
}

/// Modules stored by name, in insertion order (`nn.ModuleDict`).
public final class ModuleDict: Module {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var items: [String: Module] = [:]

    /// Children are registered explicitly.
    override public class var discoversStoredProperties: Bool { false }

    /// A dictionary holding `modules` in literal order (`ModuleDict(["cls": ..., "reg": ...])`).
    public init(_ modules: KeyValuePairs<String, Module> = [:]) {
        super.init()
        for (k, m) in modules { self[k] = m }
    }

    /// The module stored under `key`; assigning adds or replaces it.
    public subscript(_ key: String) -> Module? {
        get { items[key] }
        set {
            guard let newValue else {
                items[key] = nil
                keys.removeAll { $0 == key }
                clearRegistered()
                for k in keys { registerModule(k, items[k]!) }
                return
            }
            if items[key] == nil { keys.append(key) }
            items[key] = newValue
            registerModule(key, newValue)
        }
    }

    /// The number of modules.
    public var count: Int { keys.count }

    /// The modules in key order.
    public var values: [Module] { keys.map { items[$0]! } }

    /// A module dictionary has no forward of its own.
    override public func forward(_ input: Tensor) -> Tensor {
        fatalError("ModuleDict is not callable: index it inside the parent module's forward")
    }
}
