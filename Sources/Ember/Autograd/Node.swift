/// Where a gradient flows from a node: into another node, or into a leaf's `.grad`.
enum Edge {
    case node(Node)
    case leaf(Tensor)
}

/// A recorded operation in the autograd graph (`grad_fn`): it knows its inputs' history and how
/// to turn the gradient of its output into gradients of its inputs.
public final class Node: CustomStringConvertible {
    /// PyTorch's name for the backward function, such as `AddBackward0`.
    public let name: String
    /// One entry per input; `nil` where that input needs no gradient.
    let edges: [Edge?]
    /// Shape and dtype of each input, so gradients of broadcast inputs are summed back and cast.
    let inputShapes: [[Int]]
    let inputDTypes: [DType]
    /// Local backward rule: output gradient → input gradients (in input order). `nil` once freed.
    var backward: ((Tensor) -> [Tensor?])?
    /// Tensors the rule reads, with their version at record time (checked before running it).
    var saved: [(tensor: Tensor, version: Int)]
    /// Non-leaf tensors produced by this node that asked to keep their gradient.
    var retainedTensors: [WeakTensor] = []

    init(
        name: String, edges: [Edge?], inputs: [Tensor], saved: [Tensor],
        backward: @escaping (Tensor) -> [Tensor?]
    ) {
        self.name = name
        self.edges = edges
        self.inputShapes = inputs.map(\.shape)
        self.inputDTypes = inputs.map(\.dtype)
        self.backward = backward
        self.saved = saved.map { ($0, $0.version) }
    }

    /// `<AddBackward0>`-style name, as PyTorch prints `grad_fn`.
    public var description: String { "<\(name)>" }

    /// Whether input `i` needs a gradient (`needs_input_grad`).
    func needsGrad(_ i: Int) -> Bool { edges[i] != nil }

    /// The nodes this one feeds gradients into (`next_functions`), `nil` for leaves and constants.
    public var nextFunctions: [Node?] {
        edges.map { edge in
            if case .node(let n) = edge { return n }
            return nil
        }
    }

    /// Drops the saved tensors (after a backward pass without `retainGraph`).
    func release() {
        guard !saved.isEmpty else { return }
        backward = nil
        saved = []
    }
}

extension Tensor {
    /// Connects `output` to the graph when grad mode is on and some input requires grad.
    ///
    /// The rule returns one gradient per input (or `nil`); gradients of broadcast inputs are summed
    /// back to the input's shape by the engine. The rule must not capture `output` itself (that
    /// would be a reference cycle): capture `output.detach()` instead.
    @discardableResult
    static func record(
        _ name: String, output: Tensor, inputs: [Tensor], saving saved: [Tensor] = [],
        backward: @escaping (_ grad: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: \.requiresGrad) else { return output }
        let edges: [Edge?] = inputs.map { input in
            if let node = input.gradFn { return .node(node) }
            return input.leafRequiresGrad ? .leaf(input) : nil
        }
        let needs = edges.map { $0 != nil }
        output.gradFn = Node(
            name: name, edges: edges, inputs: inputs, saved: saved,
            backward: { grad in backward(grad, needs) })
        return output
    }

    /// Whether an op on these inputs will be recorded (grad mode on and some input requires grad).
    static func willRecord(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    }
}
