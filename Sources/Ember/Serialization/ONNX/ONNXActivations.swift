/// How the activation layers write themselves as ONNX nodes (opset 17: GELU and Mish are
/// decomposed, as `torch.onnx` does before opset 20).

/// An activation written as nodes over its input alone.
protocol ONNXActivation: ONNXExportable {
    /// Adds the nodes computing the activation of the value `x`; returns the output's name.
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String
}

extension ONNXActivation {
    /// The activation of the input.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        activation(graph, input)
    }
}

extension ONNXGraphBuilder {
    /// A float32 scalar initializer.
    func scalar(_ value: Double) -> String { constant(floats: [Float(value)], shape: []) }

    /// `Clip(x, lower, upper)`.
    func clip(_ x: String, _ lower: Double, _ upper: Double) -> String {
        node("Clip", [x, scalar(lower), scalar(upper)])
    }

    /// `Softplus(beta × x) / beta`; PyTorch's linear region above `threshold` differs from it by
    /// less than float32 rounding at the default threshold 20.
    func softplus(_ x: String, beta: Double) -> String {
        guard beta != 1 else { return node("Softplus", [x]) }
        return node("Div", [node("Softplus", [node("Mul", [x, scalar(beta)])]), scalar(beta)])
    }
}

extension ReLU: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.node("Relu", [x]) }
}

extension ReLU6: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.clip(x, 0, 6) }
}

extension Hardtanh: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.clip(x, minVal, maxVal) }
}

extension LeakyReLU: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("LeakyRelu", [x], [ONNXAttribute("alpha", .float(Float(negativeSlope)))])
    }
}

extension ELU: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("Elu", [x], [ONNXAttribute("alpha", .float(Float(alpha)))])
    }
}

extension Sigmoid: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.node("Sigmoid", [x]) }
}

extension Tanh: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.node("Tanh", [x]) }
}

extension SiLU: ONNXActivation {
    /// `x × Sigmoid(x)`.
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("Mul", [x, graph.node("Sigmoid", [x])])
    }
}

extension Mish: ONNXActivation {
    /// `x × Tanh(Softplus(x))`.
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("Mul", [x, graph.node("Tanh", [graph.softplus(x, beta: 1)])])
    }
}

extension Softplus: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String { graph.softplus(x, beta: beta) }
}

extension GELU: ONNXActivation {
    /// `0.5 × x × (1 + Erf(x / √2))`, or with `approximate: "tanh"`
    /// `0.5 × x × (1 + Tanh(√(2/π) × (x + 0.044715 × x³)))`.
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        let inner: String
        if approximate == "tanh" {
            let cube = graph.node("Mul", [x, graph.node("Mul", [x, x])])
            let sum = graph.node("Add", [x, graph.node("Mul", [cube, graph.scalar(0.044715)])])
            inner = graph.node("Tanh", [graph.node("Mul", [sum, graph.scalar((2 / Double.pi).squareRoot())])])
        } else {
            inner = graph.node("Erf", [graph.node("Div", [x, graph.scalar(2.0.squareRoot())])])
        }
        let product = graph.node("Mul", [x, graph.node("Add", [inner, graph.scalar(1)])])
        return graph.node("Mul", [product, graph.scalar(0.5)])
    }
}

extension Softmax: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("Softmax", [x], [ONNXAttribute("axis", .int(dim))])
    }
}

extension LogSoftmax: ONNXActivation {
    func activation(_ graph: ONNXGraphBuilder, _ x: String) -> String {
        graph.node("LogSoftmax", [x], [ONNXAttribute("axis", .int(dim))])
    }
}
