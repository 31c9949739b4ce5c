/// Collects the nodes and initializers of the graph being exported, with unique names.
///
/// Node names are the module path and the operator type (`layer1.0.conv1/Conv`), a node's output
/// is its name with `_output_0`; parameters and buffers become initializers named by their
/// state-dict keys (`layer1.0.conv1.weight`), other constants `<scope>/Constant`.
final class ONNXGraphBuilder {
    /// The module paths entered, innermost last; nodes are named after the innermost.
    var scopes: [String] = []
    private(set) var nodes: [ONNXNode] = []
    private(set) var initializers: [ONNXTensor] = []
    private var usedNames: Set<String> = ["input", "output"]
    private let stateNames: [ObjectIdentifier: String]
    private var constants: [ObjectIdentifier: (tensor: Tensor, name: String)] = [:]

    /// A builder naming the tensors in `stateNames` (parameters and buffers) by their keys.
    init(stateNames: [ObjectIdentifier: String]) {
        self.stateNames = stateNames
    }

    private func unique(_ base: String) -> String {
        var name = base
        var suffix = 1
        while !usedNames.insert(name).inserted {
            name = "\(base)_\(suffix)"
            suffix += 1
        }
        return name
    }

    private func scoped(_ name: String) -> String {
        guard let scope = scopes.last, !scope.isEmpty else { return name }
        return "\(scope)/\(name)"
    }

    /// Adds a node with one output and returns the output's name.
    @discardableResult
    func node(_ opType: String, _ inputs: [String], _ attributes: [ONNXAttribute] = []) -> String {
        let name = unique(scoped(opType))
        let output = name + "_output_0"
        nodes.append(ONNXNode(inputs: inputs, outputs: [output], name: name, opType: opType, attributes: attributes))
        return output
    }

    /// The initializer holding `tensor` as float32, added once per tensor and named by its
    /// state-dict key when it is a parameter or buffer of the model.
    func constant(_ tensor: Tensor) -> String {
        let id = ObjectIdentifier(tensor)
        if let known = constants[id] { return known.name }
        let name = stateNames[id].map(unique) ?? unique(scoped("Constant"))
        initializers.append(ONNXTensor(name: name, dims: tensor.shape, floats: tensor.toArray(as: Float.self)))
        constants[id] = (tensor, name)
        return name
    }

    /// A new float32 initializer.
    func constant(floats: [Float], shape: [Int]) -> String {
        let name = unique(scoped("Constant"))
        initializers.append(ONNXTensor(name: name, dims: shape, floats: floats))
        return name
    }

    /// A new one-dimensional int64 initializer (a shape or axes).
    func constant(int64s: [Int]) -> String {
        let name = unique(scoped("Constant"))
        initializers.append(ONNXTensor(name: name, int64s: int64s))
        return name
    }

    /// A `Reshape` to `outputShape`; the first dimension is copied from the input (so the batch
    /// stays dynamic) when the example keeps it, a single dimension becomes `-1`.
    func reshape(_ input: String, from inputShape: [Int], to outputShape: [Int]) -> String {
        var target = outputShape
        if !target.isEmpty && !inputShape.isEmpty && target[0] == inputShape[0] {
            target[0] = 0
        } else if target.count == 1 {
            target[0] = -1
        }
        return node("Reshape", [input, constant(int64s: target)])
    }

    /// Renames the value `name` to `newName` wherever it appears; adds an `Identity` node when no
    /// node produces it (the input itself, or an initializer).
    func rename(_ name: String, to newName: String) {
        guard nodes.contains(where: { $0.outputs.contains(name) }) else {
            nodes.append(
                ONNXNode(
                    inputs: [name], outputs: [newName], name: unique("Identity"), opType: "Identity",
                    attributes: []))
            return
        }
        for i in nodes.indices {
            nodes[i].inputs = nodes[i].inputs.map { $0 == name ? newName : $0 }
            nodes[i].outputs = nodes[i].outputs.map { $0 == name ? newName : $0 }
        }
    }
}
