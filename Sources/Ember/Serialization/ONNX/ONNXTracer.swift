import Synchronization

/// Why an ONNX export failed.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible {
    /// A layer or tensor operation the exporter cannot express in ONNX, named by the layer's type
    /// (`"LSTM"`) or the operation (`"Exp"`), reached with a value computed from the input.
    case unsupported(String)
    /// A supported layer or operation used with arguments the exporter cannot express
    /// (`AdaptiveAvgPool2d(output_size=(3, 3))` on a 7×7 input, a float64 model, ...).
    case unsupportedArgument(String)
    /// The model's output does not depend on its input.
    case outputNotTraced

    /// A sentence describing the failure.
    public var description: String {
        switch self {
        case .unsupported(let name): "ONNX export does not support \(name)"
        case .unsupportedArgument(let reason): "ONNX export cannot express \(reason)"
        case .outputNotTraced: "ONNX export: the model's output does not depend on its input"
        }
    }
}

/// A layer that writes its own ONNX nodes when called during an export; its forward's tensor
/// operations are then not recorded again.
protocol ONNXExportable: Module {
    /// Adds the nodes computing the layer's output (of example shape `outputShape`) from the value
    /// named `input` (of example shape `inputShape`) and returns the output's value name.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
}

/// Records ONNX nodes while a model's ordinary `forward` runs on an example input.
///
/// Hooks: `Module.callAsFunction` (layers), `Tensor.record` and in-place commits (tensor
/// operations) and the binary arithmetic kernel (`+ - * /` with their true operands, also in
/// place). Each hook first reads `isActive`, one relaxed atomic load, so ordinary code pays
/// nothing measurable; the tracer itself is task-local, so concurrent work elsewhere is not
/// recorded. Tensors are identified by object identity and kept alive while tracing, so an
/// identity is never reused; an in-place operation rebinds its tensor to the new value name.
final class ONNXTracer: @unchecked Sendable {
    /// The tracer of the export running in this task.
    @TaskLocal static var current: ONNXTracer?
    private static let activeExports = Atomic<Int>(0)

    /// Whether any export is running (then the task-local tracer is consulted).
    @inline(__always) static var isActive: Bool { activeExports.load(ordering: .relaxed) > 0 }

    let graph: ONNXGraphBuilder
    private var values: [ObjectIdentifier: (tensor: Tensor, name: String)] = [:]
    private let modulePaths: [ObjectIdentifier: String]
    private var moduleStack: [Module] = []
    private var layerDepth = 0
    private var lastArithmetic: ObjectIdentifier?
    /// The first failure; later calls do nothing once it is set.
    private(set) var failure: ONNXExportError?

    init(model: Module) {
        var paths: [ObjectIdentifier: String] = [:]
        for (path, module) in model.namedModules() { paths[ObjectIdentifier(module)] = path }
        modulePaths = paths
        var stateNames: [ObjectIdentifier: String] = [:]
        for (name, tensor) in model.namedParameters() + model.namedBuffers() {
            stateNames[ObjectIdentifier(tensor)] = stateNames[ObjectIdentifier(tensor)] ?? name
        }
        graph = ONNXGraphBuilder(stateNames: stateNames)
    }

    /// Runs `body` with this tracer active in the current task.
    func tracing<R>(_ body: () -> R) -> R {
        Self.activeExports.add(1, ordering: .relaxed)
        defer { Self.activeExports.subtract(1, ordering: .relaxed) }
        return Self.$current.withValue(self, operation: body)
    }

    /// Names `tensor` as the value `name`.
    func bind(_ tensor: Tensor, _ name: String) {
        values[ObjectIdentifier(tensor)] = (tensor, name)
    }

    /// The value name of a tensor computed from the input, if it is one.
    func name(of tensor: Tensor) -> String? { values[ObjectIdentifier(tensor)]?.name }

    private func fail(_ error: ONNXExportError) {
        if failure == nil { failure = error }
    }

    private var recording: Bool { layerDepth == 0 && failure == nil }

    // MARK: Hooks

    /// A module called during the export: exportable layers emit their nodes; other modules run
    /// their forward with its operations recorded.
    func call(_ module: Module, _ input: Tensor) -> Tensor {
        guard recording else { return module.forward(input) }
        let path = modulePaths[ObjectIdentifier(module)] ?? module.typeName
        guard let layer = module as? any ONNXExportable else {
            moduleStack.append(module)
            graph.scopes.append(path)
            defer {
                moduleStack.removeLast()
                graph.scopes.removeLast()
            }
            return module.forward(input)
        }
        layerDepth += 1
        let output = module.forward(input)
        layerDepth -= 1
        guard let inputName = name(of: input) else { return output }
        graph.scopes.append(path)
        defer { graph.scopes.removeLast() }
        do {
            bind(
                output, try layer.emitONNX(graph, input: inputName, inputShape: input.shape, outputShape: output.shape))
        } catch {
            fail(error)
        }
        return output
    }

    /// A binary arithmetic kernel writing `op(a, b)` into `output` (which is `a` when in place).
    func arithmetic(_ op: ArithmeticOp, output: Tensor, _ a: Tensor, _ b: Tensor) {
        guard recording, name(of: a) != nil || name(of: b) != nil else { return }
        let opType =
            switch op {
            case .add: "Add"
            case .sub: "Sub"
            case .mul: "Mul"
            case .div: "Div"
            case .pow: "Pow"
            case .maximum: "Max"
            case .minimum: "Min"
            }
        let operands = [a, b].map { name(of: $0) ?? graph.constant($0) }
        bind(output, graph.node(opType, operands))
        lastArithmetic = ObjectIdentifier(output)
    }

    private static let arithmeticNodes: Set<String> = [
        "AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0", "PowBackward0", "PowBackward1",
        "MaximumBackward0", "MinimumBackward0", "NegBackward0",
    ]
    private static let unaryNodes: [String: String] = [
        "ReluBackward0": "Relu", "SigmoidBackward0": "Sigmoid", "TanhBackward0": "Tanh", "ExpBackward0": "Exp",
        "LogBackward0": "Log", "SqrtBackward0": "Sqrt", "SinBackward0": "Sin", "CosBackward0": "Cos",
        "ErfBackward0": "Erf", "ReciprocalBackward0": "Reciprocal",
    ]
    private static let reshapes: Set<String> = ["ViewBackward0", "UnsqueezeBackward0", "SqueezeBackward0"]

    /// A tensor operation (autograd node name, output, inputs; in place: output is `inputs[0]`).
    func operation(_ nodeName: String, output: Tensor, inputs: [Tensor]) {
        guard recording else { return }
        if lastArithmetic == ObjectIdentifier(output) && Self.arithmeticNodes.contains(nodeName) {
            lastArithmetic = nil
            return
        }
        let names = inputs.map(name(of:))
        guard let first = names.first, let inputName = first, names.dropFirst().allSatisfy({ $0 == nil }) else {
            if names.contains(where: { $0 != nil }) { fail(unsupported(nodeName)) }
            return
        }
        if let opType = Self.unaryNodes[nodeName] {
            bind(output, graph.node(opType, [inputName]))
        } else if Self.reshapes.contains(nodeName) {
            bind(output, graph.reshape(inputName, from: inputs[0].shape, to: output.shape))
        } else if nodeName == "CloneBackward0" {
            bind(output, inputName)
        } else {
            fail(unsupported(nodeName))
        }
    }

    /// The error for an unknown operation: named by the innermost module if it is a layer without
    /// children (`LSTM`), by the operation otherwise (`Exp` for `ExpBackward0`).
    private func unsupported(_ nodeName: String) -> ONNXExportError {
        if let module = moduleStack.last, module.namedChildren().isEmpty { return .unsupported(module.typeName) }
        var op = nodeName
        while let last = op.last, last.isNumber { op.removeLast() }
        if op.hasSuffix("Backward") { op.removeLast("Backward".count) }
        return .unsupported(op)
    }
}
