/// How each exportable layer writes itself as ONNX nodes (opset 17).

private typealias Attribute = ONNXAttribute

/// Stops unless the input has a batch dimension before `spatial` spatial dimensions (ONNX's
/// convolution and pooling operators need one).
private func checkBatched(_ module: Module, _ inputShape: [Int], spatial: Int) throws(ONNXExportError) {
    guard inputShape.count == spatial + 2 else {
        throw .unsupportedArgument("\(module.typeName) on an unbatched input of shape \(inputShape)")
    }
}

extension Linear: ONNXExportable {
    /// `Gemm(x, W, b, transB=1)` for a matrix input, `MatMul(x, Transpose(W)) + b` otherwise.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        let w = graph.constant(weight)
        let b = bias.map(graph.constant)
        if inputShape.count == 2 {
            return graph.node("Gemm", [input, w] + (b.map { [$0] } ?? []), [Attribute("transB", .int(1))])
        }
        let product = graph.node("MatMul", [input, graph.node("Transpose", [w], [Attribute("perm", .ints([1, 0]))])])
        return b.map { graph.node("Add", [product, $0]) } ?? product
    }
}

extension ConvNd: ONNXExportable {
    /// `Conv` with explicit pads; transposed convolutions and non-zero padding modes are refused.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        guard !transposed else { throw .unsupported(typeName) }
        guard paddingMode == "zeros" else {
            throw .unsupportedArgument("\(typeName) with padding_mode='\(paddingMode)'")
        }
        try checkBatched(self, inputShape, spatial: kernelSize.count)
        let pads = padding.amounts(kernel: kernelSize, dilation: dilation)
        let inputs = [input, graph.constant(weight)] + (bias.map { [graph.constant($0)] } ?? [])
        return graph.node(
            "Conv", inputs,
            [
                Attribute("dilations", .ints(dilation)), Attribute("group", .int(groups)),
                Attribute("kernel_shape", .ints(kernelSize)), Attribute("pads", .ints(pads.before + pads.after)),
                Attribute("strides", .ints(stride)),
            ])
    }
}

extension MaxPoolNd: ONNXExportable {
    /// `MaxPool` (padding counts as negative infinity in both).
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        try checkBatched(self, inputShape, spatial: kernelSize.count)
        return graph.node(
            "MaxPool", [input],
            [
                Attribute("ceil_mode", .int(ceilMode ? 1 : 0)), Attribute("dilations", .ints(dilation)),
                Attribute("kernel_shape", .ints(kernelSize)), Attribute("pads", .ints(padding + padding)),
                Attribute("strides", .ints(stride)),
            ])
    }
}

extension AvgPoolNd: ONNXExportable {
    /// `AveragePool`; a `divisorOverride` is refused.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        if let pool = self as? AvgPool2d, let divisor = pool.divisorOverride {
            throw .unsupportedArgument("\(typeName) with divisor_override=\(divisor)")
        }
        try checkBatched(self, inputShape, spatial: kernelSize.count)
        return graph.node(
            "AveragePool", [input],
            [
                Attribute("ceil_mode", .int(ceilMode ? 1 : 0)),
                Attribute("count_include_pad", .int(countIncludePad ? 1 : 0)),
                Attribute("kernel_shape", .ints(kernelSize)), Attribute("pads", .ints(padding + padding)),
                Attribute("strides", .ints(stride)),
            ])
    }
}

extension AdaptivePoolNd: ONNXExportable {
    /// `GlobalAveragePool`/`GlobalMaxPool` for a 1×1 output; a pooling with equal windows when
    /// the output size divides the input size; refused otherwise.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        try checkBatched(self, inputShape, spatial: outputSize.count)
        let average = self is AdaptiveAvgPool1d || self is AdaptiveAvgPool2d
        if outputSize.allSatisfy({ $0 == 1 }) {
            return graph.node(average ? "GlobalAveragePool" : "GlobalMaxPool", [input])
        }
        let spatial = Array(inputShape.suffix(outputSize.count))
        guard zip(spatial, outputSize).allSatisfy({ $0 % $1 == 0 }) else {
            throw .unsupportedArgument(
                "\(typeName)(\(extraRepr)) on an input of spatial size \(spatial) (the output size must divide it)")
        }
        let window = zip(spatial, outputSize).map { $0 / $1 }
        return graph.node(
            average ? "AveragePool" : "MaxPool", [input],
            [Attribute("kernel_shape", .ints(window)), Attribute("strides", .ints(window))])
    }
}

extension BatchNormBase: ONNXExportable {
    /// `BatchNormalization` with the running statistics (the export runs in evaluation mode).
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        guard let runningMean, let runningVar else {
            throw .unsupportedArgument("\(typeName) without running statistics (track_running_stats=False)")
        }
        let ones = [Float](repeating: 1, count: numFeatures)
        let scale = weight.map(graph.constant) ?? graph.constant(floats: ones, shape: [numFeatures])
        let shift = bias.map(graph.constant) ?? graph.constant(floats: ones.map { _ in 0 }, shape: [numFeatures])
        return graph.node(
            "BatchNormalization",
            [input, scale, shift, graph.constant(runningMean), graph.constant(runningVar)],
            [Attribute("epsilon", .float(Float(eps)))])
    }
}

extension Flatten: ONNXExportable {
    /// `Flatten(axis=1)` for the usual `Flatten()`, a `Reshape` otherwise.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        if startDim == 1 && (endDim == -1 || endDim == inputShape.count - 1) && inputShape.count >= 2 {
            return graph.node("Flatten", [input], [Attribute("axis", .int(1))])
        }
        return graph.reshape(input, from: inputShape, to: outputShape)
    }
}

extension Unflatten: ONNXExportable {
    /// A `Reshape`.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        graph.reshape(input, from: inputShape, to: outputShape)
    }
}

/// Layers that are the identity in evaluation mode and add no node.
protocol ONNXIdentityLayer: ONNXExportable {}

extension ONNXIdentityLayer {
    /// The input itself.
    func emitONNX(_ graph: ONNXGraphBuilder, input: String, inputShape: [Int], outputShape: [Int])
        throws(ONNXExportError) -> String
    {
        input
    }
}

extension Identity: ONNXIdentityLayer {}
extension Dropout: ONNXIdentityLayer {}
extension Dropout2d: ONNXIdentityLayer {}
