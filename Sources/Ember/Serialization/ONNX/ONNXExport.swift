import Foundation

extension Module {
    /// The ONNX operator set the exporter targets.
    public static var onnxOpset: Int { 17 }

    /// Exports the model to an ONNX file by tracing its forward pass on `exampleInput`
    /// (`torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
    /// dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})`).
    ///
    /// The model runs once, in evaluation mode and without gradient recording (its modes are
    /// restored afterwards). Layers record themselves when called: `Linear`, `Conv1d`/`Conv2d`,
    /// max, average and adaptive average/max pooling (adaptive when the output size divides the
    /// input size), `BatchNorm1d`/`BatchNorm2d` (with running statistics), the activations
    /// (`ReLU`, `ReLU6`, `LeakyReLU`, `ELU`, `GELU`, `SiLU`, `Mish`, `Softplus`, `Sigmoid`,
    /// `Tanh`, `Hardtanh`, `Softmax`, `LogSoftmax`), `Flatten`, `Unflatten`, `Dropout`,
    /// `Dropout2d` and `Identity`. Inside custom `forward`s the tensor operations `+ - * /`
    /// (also in place: `x += residual`), `pow`, `maximum`, `minimum`, `relu`, `sigmoid`,
    /// `tanh`, `exp`, `log`, `sqrt`, `sin`, `cos`, `erf`, `reciprocal`, `view`, `reshape`,
    /// `flatten`, `squeeze` and `unsqueeze` are recorded; parameters and buffers become
    /// initializers named by their state-dict keys, other tensors constants. Any other layer or
    /// operation applied to a value computed from the input stops the export with
    /// `ONNXExportError.unsupported` naming it.
    ///
    /// The graph has one float32 input `"input"` and one output `"output"`, both with a dynamic
    /// first dimension `"batch"`; the opset is `onnxOpset` (17). The file is written atomically.
    ///
    /// ```swift
    /// try model.exportONNX(to: URL(fileURLWithPath: "model.onnx"), exampleInput: Tensor.randn([1, 3, 224, 224]))
    /// ```
    ///
    /// - Throws: `ONNXExportError` when the model cannot be expressed, `FileError` when the file
    ///   cannot be written.
    public func exportONNX(to url: URL, exampleInput: Tensor) throws {
        try writeFileAtomically(Data(onnxModel(exampleInput: exampleInput).serializedBytes), to: url)
    }

    /// The ONNX model traced from `forward` on `exampleInput` (see `exportONNX(to:exampleInput:)`).
    func onnxModel(exampleInput: Tensor) throws(ONNXExportError) -> ONNXModel {
        guard exampleInput.dtype == .float32, exampleInput.dim >= 1 else {
            throw .unsupportedArgument(
                "a \(exampleInput.dtype.pytorchName) input of shape \(exampleInput.shape) (it must be float32 with a batch dimension)"
            )
        }
        for (name, tensor) in namedParameters() + namedBuffers()
        where tensor.dtype.isFloatingPoint && tensor.dtype != .float32 {
            throw .unsupportedArgument("the \(tensor.dtype.pytorchName) tensor \(name) (the export writes float32)")
        }
        let modes = modules().map { ($0, $0.isTraining) }
        eval()
        defer { for (module, mode) in modes where module.isTraining != mode { module.train(mode) } }

        let tracer = ONNXTracer(model: self)
        let input = exampleInput.detach()
        tracer.bind(input, "input")
        let output = noGrad { tracer.tracing { self(input) } }
        if let failure = tracer.failure { throw failure }
        guard let outputName = tracer.name(of: output), output.dtype == .float32 else { throw .outputNotTraced }
        tracer.graph.rename(outputName, to: "output")

        func dims(_ shape: [Int]) -> [ONNXDimension] {
            shape.enumerated().map { i, size in
                i == 0 && size == exampleInput.shape[0] ? .parameter("batch") : .value(size)
            }
        }
        let graph = ONNXGraph(
            nodes: tracer.graph.nodes, name: "main_graph", initializers: tracer.graph.initializers,
            inputs: [ONNXValueInfo(name: "input", elementType: .float, shape: dims(exampleInput.shape))],
            outputs: [ONNXValueInfo(name: "output", elementType: .float, shape: dims(output.shape))])
        return ONNXModel(graph: graph, opset: Self.onnxOpset)
    }
}
