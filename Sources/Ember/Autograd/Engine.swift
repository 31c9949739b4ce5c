/// The reverse-mode engine: counts how many gradients each node waits for, then runs nodes whose
/// gradients are complete from a work list. It never recurses, so graph depth is not limited by
/// the stack.
enum Engine {
    /// Back-propagates `grads` from `roots`. Gradients reaching leaves are accumulated into `.grad`,
    /// unless `targets` is given: then gradients are returned for exactly those tensors and no
    /// `.grad` is touched (`torch.autograd.grad`).
    static func run(
        roots: [Tensor], grads: [Tensor], retainGraph: Bool, createGraph: Bool, targets: [Tensor]? = nil
    ) -> [Tensor?] {
        var results = [Tensor?](repeating: nil, count: targets?.count ?? 0)
        var leafTargets: [ObjectIdentifier: Int] = [:]
        var nodeTargets: [ObjectIdentifier: Int] = [:]
        for (i, t) in (targets ?? []).enumerated() {
            if let node = t.gradFn {
                nodeTargets[ObjectIdentifier(node)] = i
            } else {
                leafTargets[ObjectIdentifier(t)] = i
            }
        }
        let capturing = targets != nil

        func deliverToLeaf(_ leaf: Tensor, _ g: Tensor) {
            if capturing {
                guard let i = leafTargets[ObjectIdentifier(leaf)] else { return }
                results[i] = results[i].map { $0 + g } ?? g
            } else {
                accumulateGrad(into: leaf, g, createGraph: createGraph)
            }
        }

        // Dependency counts over the reachable graph (iterative DFS). The counts and pending
        // gradients live on the nodes for the duration of the pass (no hashing), and are cleared
        // at the end.
        var reachable: [Node] = []
        var stack: [Node] = []
        for root in roots {
            if let node = root.gradFn, !node.engineVisited {
                node.engineVisited = true
                stack.append(node)
                reachable.append(node)
            }
        }
        while let node = stack.popLast() {
            for input in node.inputs {
                guard case .node(let next) = input.edge else { continue }
                next.pendingDependencies += 1
                if !next.engineVisited {
                    next.engineVisited = true
                    stack.append(next)
                    reachable.append(next)
                }
            }
        }
        defer {
            for node in reachable {
                node.engineVisited = false
                node.pendingDependencies = 0
                node.pendingGradient = nil
            }
        }

        var ready: [Node] = []
        for (root, g) in zip(roots, grads) {
            if let node = root.gradFn {
                node.pendingGradient = node.pendingGradient.map { $0 + g } ?? g
                if node.pendingDependencies == 0 && !ready.contains(where: { $0 === node }) {
                    ready.append(node)
                }
            } else if root.requiresGrad {
                deliverToLeaf(root, g)
            }
        }

        GradMode.$isEnabled.withValue(createGraph) {
            while let node = ready.popLast() {
                let incoming = node.pendingGradient
                node.pendingGradient = nil
                var inputGrads: [Tensor?] = Array(repeating: nil, count: node.inputs.count)
                if let g = incoming {
                    for weak in node.retainedTensors {
                        if let t = weak.tensor { accumulateGrad(into: t, g, createGraph: createGraph) }
                    }
                    if !nodeTargets.isEmpty, let i = nodeTargets[ObjectIdentifier(node)] { results[i] = g }
                    inputGrads = apply(node, g)
                    if !retainGraph { node.release() }
                }
                for (i, input) in node.inputs.enumerated() {
                    guard let edge = input.edge else { continue }
                    let g = inputGrads[i].map { reduce($0, toShape: input.shape, dtype: input.dtype) }
                    switch edge {
                    case .leaf(let leaf):
                        if let g { deliverToLeaf(leaf, g) }
                    case .node(let next):
                        if let g { next.pendingGradient = next.pendingGradient.map { $0 + g } ?? g }
                        next.pendingDependencies -= 1
                        if next.pendingDependencies == 0 { ready.append(next) }
                    }
                }
            }
        }
        return results
    }

    /// Runs one node's rule after checking that it may still run.
    private static func apply(_ node: Node, _ grad: Tensor) -> [Tensor?] {
        guard let backward = node.backward else {
            fatalError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
            )
        }
        for (tensor, version) in node.saved where tensor.version != version {
            fatalError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: [\(tensor.typeDescription)], which is output 0 of \(tensor.gradFn?.name ?? "a leaf"), is at version \(tensor.version); expected version \(version) instead. Hint: the backtrace further above can show the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!"
            )
        }
        return backward(grad, node.needsInputGrad)
    }

    /// Sums a gradient over broadcast dimensions back to an input's shape and casts it to its dtype.
    /// This is the one place where broadcasting is undone for every op.
    static func reduce(_ g: Tensor, toShape shape: [Int], dtype: DType) -> Tensor {
        var g = g
        if g.shape != shape { g = g.sumToShape(shape) }
        if g.dtype != dtype { g = g.to(dtype) }
        return g
    }

    /// Adds `g` to `tensor.grad`, as PyTorch's AccumulateGrad does.
    private static func accumulateGrad(into tensor: Tensor, _ g: Tensor, createGraph: Bool) {
        if let existing = tensor.gradStorage {
            if createGraph {
                tensor.gradStorage = existing + g
            } else {
                noGrad { _ = existing.addInPlace(g) }
            }
        } else {
            // A fresh buffer: the incoming gradient may be shared with another input's gradient
            // (PyTorch's AccumulateGrad clones it too; under `createGraph` the clone is recorded).
            tensor.gradStorage = createGraph ? g.clone() : noGrad { g.detach().clone() }
        }
    }
}

extension Tensor {
    /// Computes the gradient of this tensor with respect to graph leaves and accumulates it into
    /// their `grad` (`tensor.backward()`).
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some scalar with respect to this tensor; may be omitted for a
    ///     single-element tensor (it defaults to 1).
    ///   - retainGraph: Keep the saved tensors so that backward can run through the graph again.
    ///   - createGraph: Record the backward computation itself, for higher-order derivatives.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool? = nil, createGraph: Bool = false) {
        precondition(
            requiresGrad, "element 0 of tensors does not require grad and does not have a grad_fn")
        let g: Tensor
        if let gradient {
            precondition(
                gradient.shape == shape,
                "Mismatch in shape: grad_output[0] has a shape of \(gradient.shape.torchSize) and output[0] has a shape of \(shape.torchSize)."
            )
            g = gradient
        } else {
            precondition(count == 1, "grad can be implicitly created only for scalar outputs")
            g = Tensor.onesLike(self)
        }
        _ = Engine.run(
            roots: [self], grads: [g], retainGraph: retainGraph ?? createGraph, createGraph: createGraph)
    }

    /// "torch.FloatTensor [2, 3]"-style summary used in error messages.
    var typeDescription: String {
        let name: String
        switch dtype {
        case .float32: name = "torch.FloatTensor"
        case .float64: name = "torch.DoubleTensor"
        case .int64: name = "torch.LongTensor"
        case .bool: name = "torch.BoolTensor"
        }
        return "\(name) [\(shape.map(String.init).joined(separator: ", "))]"
    }
}

/// The gradients of `outputs` with respect to `inputs` (`torch.autograd.grad`), leaving every
/// `.grad` untouched.
///
/// - Parameters:
///   - outputs: The differentiated tensors (each a scalar unless `gradOutputs` is given).
///   - inputs: The tensors to differentiate with respect to.
///   - gradOutputs: The vector in the vector-Jacobian product, one per output.
///   - retainGraph: Keep the graph for another backward pass (defaults to `createGraph`).
///   - createGraph: Record the gradient computation so it can be differentiated again.
///   - allowUnused: Return `nil` for inputs the outputs do not depend on instead of stopping.
public func grad(
    of outputs: [Tensor], withRespectTo inputs: [Tensor], gradOutputs: [Tensor]? = nil,
    retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false
) -> [Tensor?] {
    let gs =
        gradOutputs
        ?? outputs.map { out in
            precondition(out.count == 1, "grad can be implicitly created only for scalar outputs")
            return Tensor.onesLike(out)
        }
    for input in inputs {
        precondition(input.requiresGrad, "One of the differentiated Tensors does not require grad")
    }
    let result = Engine.run(
        roots: outputs, grads: gs, retainGraph: retainGraph ?? createGraph, createGraph: createGraph,
        targets: inputs)
    if !allowUnused {
        precondition(
            !result.contains(where: { $0 == nil }),
            "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
        )
    }
    return result
}

/// The gradient of one output with respect to one input (`torch.autograd.grad(y, x)[0]`).
public func grad(
    of output: Tensor, withRespectTo input: Tensor, retainGraph: Bool? = nil, createGraph: Bool = false
) -> Tensor {
    grad(of: [output], withRespectTo: [input], retainGraph: retainGraph, createGraph: createGraph)[0]!
}

extension Array where Element == Int {
    /// `torch.Size([2, 3])`, as PyTorch prints shapes in messages.
    var torchSize: String { "torch.Size([\(map(String.init).joined(separator: ", "))])" }
}
