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
    /// One entry per input: where its gradient goes (`nil` if it needs none), and its shape and
    /// dtype, so gradients of broadcast inputs are summed back and cast.
    let inputs: [Input]
    /// Local backward rule: output gradient and which inputs need one → input gradients (in input
    /// order). `nil` once freed.
    @exclusivity(unchecked) var backward: ((Tensor, [Bool]) -> [Tensor?])?
    /// Tensors the rule reads, with their version at record time (checked before running it).
    @exclusivity(unchecked) var saved: [(tensor: Tensor, version: Int)]
    /// Non-leaf tensors produced by this node that asked to keep their gradient.
    @exclusivity(unchecked) var retainedTensors: [WeakTensor] = []
    /// Bookkeeping of the engine during one backward pass (reset when it ends).
    @exclusivity(unchecked) var engineVisited = false
    @exclusivity(unchecked) var pendingDependencies = 0
    @exclusivity(unchecked) var pendingGradient: Tensor?

    /// What a node knows about one of its inputs.
    struct Input {
        let edge: Edge?
        let shape: [Int]
        let dtype: DType

        /// Where `input`'s gradient goes (its `gradFn`, or its `.grad` when it is a leaf that
        /// requires grad), and its shape and dtype.
        init(_ input: Tensor) {
            edge = input.gradFn.map { .node($0) } ?? (input.leafRequiresGrad ? .leaf(input) : nil)
            shape = input.shape
            dtype = input.dtype
        }
    }

    init(name: String, inputs: [Input], saved: [Tensor], backward: @escaping (Tensor, [Bool]) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
        self.saved = saved.isEmpty ? [] : saved.map { ($0, $0.version) }
    }

    /// `<AddBackward0>`-style name, as PyTorch prints `grad_fn`.
    public var description: String { "<\(name)>" }

    /// Whether each input needs a gradient (`needs_input_grad`).
    var needsInputGrad: [Bool] { inputs.map { $0.edge != nil } }

    /// The nodes this one feeds gradients into (`next_functions`), `nil` for leaves and constants.
    public var nextFunctions: [Node?] {
        inputs.map { input in
            if case .node(let n) = input.edge { return n }
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
        if ONNXTracer.isActive { ONNXTracer.current?.operation(name, output: output, inputs: inputs) }
        guard inputs.contains(where: \.requiresGrad), GradMode.isEnabled else { return output }
        output.gradFn = Node(name: name, inputs: inputs.map(Node.Input.init), saved: saved, backward: backward)
        return output
    }

    /// `record` for an op of two inputs, without an array of them: the binary operators, whose
    /// cost on small tensors is mostly this bookkeeping.
    @discardableResult
    static func record(
        _ name: String, output: Tensor, _ a: Tensor, _ b: Tensor, saving saved: [Tensor] = [],
        backward: @escaping (_ grad: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Tensor {
        if ONNXTracer.isActive { ONNXTracer.current?.operation(name, output: output, inputs: [a, b]) }
        guard a.requiresGrad || b.requiresGrad, GradMode.isEnabled else { return output }
        output.gradFn = Node(name: name, inputs: [Node.Input(a), Node.Input(b)], saved: saved, backward: backward)
        return output
    }

    /// Whether an op on these inputs will be recorded (grad mode on and some input requires grad).
    static func willRecord(_ inputs: Tensor...) -> Bool {
        GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
    }
}
