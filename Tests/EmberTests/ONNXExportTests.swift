// ONNX export: the graphs Ember writes for an MLP, the seed CNN, a residual block with BatchNorm
// and `+=`, tensor operations in a custom forward, the typed errors, and the bytes of a tiny model
// against those of the reference `onnx` package (Tests/Fixtures/make_onnx_fixtures.py).
//
// With EMBER_ONNX_DIR set, `runtimeComparisonCases` also writes each model's .onnx file and a
// .safetensors file with its input and Ember's output there, for
// Tests/Fixtures/check_onnx_export.py to run in ONNX Runtime.

import Foundation
import Testing

@testable import Ember

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// torchvision's BasicBlock without downsampling: conv-BN-ReLU-conv-BN, `out += x`, ReLU.
private final class ONNXResidualBlock: Module {
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let relu = ReLU(inplace: true)
    let conv2: Conv2d
    let bn2: BatchNorm2d

    init(_ channels: Int) {
        conv1 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false)
        bn1 = BatchNorm2d(channels)
        conv2 = Conv2d(channels, channels, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(channels)
        super.init()
        noGrad {
            for bn in [bn1, bn2] {
                _ = bn.runningMean!.copy(from: Tensor.randn([channels]) * 0.1)
                _ = bn.runningVar!.copy(from: Tensor.rand([channels]) + 0.5)
                _ = bn.weight!.copy(from: Tensor.rand([channels]) + 0.5)
                _ = bn.bias!.copy(from: Tensor.randn([channels]) * 0.1)
            }
        }
    }

    override func forward(_ input: Tensor) -> Tensor {
        var out = relu(bn1(conv1(input)))
        out = bn2(conv2(out))
        out += input
        return relu(out)
    }
}

/// Tensor operations between layers: `a + b`, `F.relu`, a scalar product and `flatten`.
private final class CustomForward: Module {
    let conv = Conv2d(2, 2, kernelSize: 3, padding: 1)
    let fc = Linear(2 * 4 * 4, 3)

    override func forward(_ input: Tensor) -> Tensor {
        let x = F.relu(conv(input) + input) * 0.5
        return fc(x.flatten(startDim: 1))
    }
}

/// A model whose forward uses an operation the exporter does not know (`abs`).
private final class UsesAbs: Module {
    let fc = Linear(4, 4)
    override func forward(_ input: Tensor) -> Tensor { fc(input).abs() }
}

/// The seed's CNN.
private func seedCNN() -> Sequential {
    Sequential(Conv2d(1, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(32 * 13 * 13, 10))
}

/// An MLP with dropout.
private func mlp() -> Sequential {
    Sequential(Linear(16, 32), ReLU(), Dropout(p: 0.2), Linear(32, 32), Tanh(), Linear(32, 10))
}

/// One of every exportable activation between linear layers.
private func activations() -> Sequential {
    Sequential(
        Linear(8, 8), LeakyReLU(negativeSlope: 0.2), ELU(alpha: 0.7), Linear(8, 8), GELU(),
        Linear(8, 8), GELU(approximate: "tanh"), Linear(8, 8), SiLU(), Linear(8, 8), Mish(), Linear(8, 8),
        Softplus(beta: 2), Linear(8, 8), Sigmoid(), Linear(8, 8), Hardtanh(minVal: -0.5, maxVal: 0.5),
        Linear(8, 8), ReLU6(), Identity(), Linear(8, 8), Softmax(dim: 1), Linear(8, 8), LogSoftmax(dim: -1))
}

/// Convolutions and every pooling layer.
private func pooling() -> Sequential {
    Sequential(
        Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1), BatchNorm2d(4), ReLU(), AvgPool2d(kernelSize: 2),
        MaxPool2d(kernelSize: 3, stride: 1, padding: 1), Conv2d(4, 6, kernelSize: 3, padding: "same", dilation: 2),
        AdaptiveAvgPool2d(outputSize: 2), Flatten(), Linear(24, 5), BatchNorm1d(5))
}

/// A one-dimensional convolutional network.
private func conv1d() -> Sequential {
    Sequential(
        Conv1d(2, 4, kernelSize: 3, padding: 1), BatchNorm1d(4), ReLU(), MaxPool1d(kernelSize: 2),
        Conv1d(4, 4, kernelSize: 3, groups: 2), AdaptiveAvgPool1d(outputSize: 1), Flatten(), Linear(4, 3))
}

/// Linear layers on a three-dimensional input (MatMul, with and without the bias).
private func linear3d() -> Sequential {
    Sequential(Linear(4, 6), GELU(), Linear(6, 2, bias: false))
}

@Suite struct ONNXExportTests {
    @Test func mlpGraph() throws {
        let model = mlp()
        let onnx = try model.decodedONNX(Tensor.randn([2, 16]))
        #expect(onnx.irVersion == 8 && onnx.producer == "Ember" && onnx.graphName == "main_graph")
        #expect(onnx.opsets.count == 1 && onnx.opsets[0].domain == "" && onnx.opsets[0].version == 17)
        #expect(onnx.opTypes == ["Gemm", "Relu", "Gemm", "Tanh", "Gemm"])
        #expect(onnx.initializers.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
        #expect(onnx.initializers.map(\.dims) == [[32, 16], [32], [32, 32], [32], [10, 32], [10]])
        #expect(onnx.initializers.allSatisfy { $0.dataType == 1 })
        #expect(onnx.initializers[0].floats == model[0].parameters()[0].toArray(as: Float.self))
        #expect(try onnx.nodes[0].int("transB") == 1)
        #expect(onnx.nodes[0].inputs == ["input", "0.weight", "0.bias"])
        // Dropout is the identity: the second Gemm reads the Relu's output.
        #expect(onnx.nodes[2].inputs[0] == onnx.nodes[1].outputs[0])
        #expect(onnx.nodes.last?.outputs == ["output"])
        #expect(onnx.inputs == [.init(name: "input", elementType: 1, dims: ["batch", "16"])])
        #expect(onnx.outputs == [.init(name: "output", elementType: 1, dims: ["batch", "10"])])
    }

    @Test func linearOnThreeDimensionalInputs() throws {
        let onnx = try linear3d().decodedONNX(Tensor.randn([2, 3, 4]))
        #expect(
            onnx.opTypes == ["Transpose", "MatMul", "Add", "Div", "Erf", "Add", "Mul", "Mul", "Transpose", "MatMul"])
        #expect(try onnx.nodes[0].inputs == ["0.weight"] && onnx.nodes[0].ints("perm") == [1, 0])
        #expect(onnx.nodes[1].inputs == ["input", onnx.nodes[0].outputs[0]] && onnx.nodes[2].inputs[1] == "0.bias")
        #expect(onnx.outputs[0].dims == ["batch", "3", "2"])
    }

    @Test func seedCNNGraph() throws {
        let onnx = try seedCNN().decodedONNX(Tensor.randn([2, 1, 28, 28]))
        #expect(onnx.opTypes == ["Conv", "Relu", "MaxPool", "Flatten", "Gemm"])
        let conv = onnx.nodes[0]
        #expect(conv.name == "0/Conv" && conv.inputs == ["input", "0.weight", "0.bias"])
        #expect(try conv.ints("kernel_shape") == [3, 3] && conv.ints("pads") == [0, 0, 0, 0])
        #expect(try conv.ints("strides") == [1, 1] && conv.ints("dilations") == [1, 1] && conv.int("group") == 1)
        #expect(try onnx.nodes[2].ints("kernel_shape") == [2, 2] && onnx.nodes[2].ints("strides") == [2, 2])
        #expect(try onnx.nodes[3].int("axis") == 1)
        #expect(onnx.initializers.map(\.dims) == [[32, 1, 3, 3], [32], [10, 5408], [10]])
        #expect(onnx.inputs[0].dims == ["batch", "1", "28", "28"] && onnx.outputs[0].dims == ["batch", "10"])
    }

    @Test func residualBlockWithInPlaceAdd() throws {
        let block = ONNXResidualBlock(4)
        let onnx = try block.decodedONNX(Tensor.randn([1, 4, 5, 5]))
        #expect(onnx.opTypes == ["Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Add", "Relu"])
        let add = onnx.nodes[5]
        // `out += input`: the sum reads the second BatchNorm and the graph input, and the final
        // ReLU reads the sum (the in-place update rebinds `out`).
        #expect(add.inputs == [onnx.nodes[4].outputs[0], "input"] && add.name == "Add")
        #expect(onnx.nodes[6].inputs == add.outputs && onnx.nodes[6].outputs == ["output"])
        #expect(
            onnx.nodes[1].inputs == [
                onnx.nodes[0].outputs[0], "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
            ])
        #expect(onnx.nodes[1].float("epsilon") == Float(1e-5))
        #expect(onnx.nodes[2].name == "relu/Relu" && onnx.nodes[6].name == "relu/Relu_1")
        let mean = try #require(onnx.initializers.first { $0.name == "bn2.running_mean" })
        #expect(mean.floats == block.bn2.runningMean!.toArray(as: Float.self))
        #expect(!onnx.initializers.contains { $0.name.contains("num_batches_tracked") })
    }

    @Test func tensorOperationsInCustomForward() throws {
        let onnx = try CustomForward().decodedONNX(Tensor.randn([3, 2, 4, 4]))
        #expect(onnx.opTypes == ["Conv", "Add", "Relu", "Mul", "Reshape", "Gemm"])
        #expect(onnx.nodes[1].inputs == [onnx.nodes[0].outputs[0], "input"])
        let scalar = try #require(onnx.initializers.first { $0.name == onnx.nodes[3].inputs[1] })
        #expect(scalar.dims == [] && scalar.floats == [0.5])
        let shape = try #require(onnx.initializers.first { $0.name == onnx.nodes[4].inputs[1] })
        #expect(shape.dataType == 7 && shape.dims == [2])  // int64 [0, 32]: the batch is copied
        #expect(shape.raw == [0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func activationsAndPoolingGraphs() throws {
        let acts = try activations().decodedONNX(Tensor.randn([2, 8]))
        #expect(
            acts.opTypes.filter { $0 != "Gemm" } == [
                "LeakyRelu", "Elu", "Div", "Erf", "Add", "Mul", "Mul", "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add",
                "Mul", "Mul", "Sigmoid", "Mul", "Softplus", "Tanh", "Mul", "Mul", "Softplus", "Div", "Sigmoid", "Clip",
                "Clip", "Softmax", "LogSoftmax",
            ])
        #expect(acts.nodes[1].float("alpha") == 0.2)
        #expect(try acts.nodes.last?.int("axis") == -1)
        let pools = try pooling().decodedONNX(Tensor.randn([2, 3, 16, 16]))
        #expect(
            pools.opTypes == [
                "Conv", "BatchNormalization", "Relu", "AveragePool", "MaxPool", "Conv", "AveragePool", "Flatten",
                "Gemm",
                "BatchNormalization",
            ])
        // padding "same" with dilation 2: two on each side; adaptive 4×4 → 2×2 is a 2×2 average pool.
        #expect(try pools.nodes[5].ints("pads") == [2, 2, 2, 2] && pools.nodes[5].ints("dilations") == [2, 2])
        #expect(try pools.nodes[6].ints("kernel_shape") == [2, 2] && pools.nodes[6].ints("strides") == [2, 2])
        #expect(try pools.nodes[3].int("count_include_pad") == 1 && pools.nodes[4].ints("pads") == [1, 1, 1, 1])
        let oneD = try conv1d().decodedONNX(Tensor.randn([2, 2, 12]))
        #expect(
            oneD.opTypes == [
                "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "GlobalAveragePool", "Flatten", "Gemm",
            ])
        #expect(try oneD.nodes[4].int("group") == 2 && oneD.nodes[0].ints("pads") == [1, 1])
    }

    @Test func unsupportedLayersAndOperationsThrowNamingThem() {
        #expect(throws: ONNXExportError.unsupported("LayerNorm")) {
            try Sequential(Linear(4, 4), LayerNorm([4])).onnxModel(exampleInput: Tensor.randn([2, 4]))
        }
        #expect(throws: ONNXExportError.unsupported("LSTM")) {
            try Sequential(Linear(4, 4), LSTM(4, 3)).onnxModel(exampleInput: Tensor.randn([5, 2, 4]))
        }
        #expect(throws: ONNXExportError.unsupported("Abs")) {
            try UsesAbs().onnxModel(exampleInput: Tensor.randn([2, 4]))
        }
        #expect(throws: ONNXExportError.unsupported("ConvTranspose2d")) {
            try ConvTranspose2d(2, 2, kernelSize: 2).onnxModel(exampleInput: Tensor.randn([1, 2, 3, 3]))
        }
        #expect(throws: ONNXExportError.self) {
            try AdaptiveAvgPool2d(outputSize: 3).onnxModel(exampleInput: Tensor.randn([1, 2, 7, 7]))
        }
        #expect(
            throws: ONNXExportError.unsupportedArgument(
                "BatchNorm1d without running statistics (track_running_stats=False)")
        ) {
            try BatchNorm1d(3, trackRunningStats: false).onnxModel(exampleInput: Tensor.randn([2, 3]))
        }
        #expect(throws: ONNXExportError.self) {
            try Linear(2, 2).to(.float64).onnxModel(exampleInput: Tensor.randn([1, 2], dtype: .float64))
        }
        let error = ONNXExportError.unsupported("LSTM")
        #expect(error.description == "ONNX export does not support LSTM")
    }

    @Test func exportWritesTheFileAndRestoresTrainingMode() throws {
        let model = ONNXResidualBlock(2)
        model.bn1.eval()
        let mean = model.bn2.runningMean!.toArray(as: Float.self)
        let input = Tensor.randn([2, 2, 3, 3])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("block.onnx")
        try model.exportONNX(to: url, exampleInput: input)
        #expect(try Array(Data(contentsOf: url)) == model.onnxModel(exampleInput: input).serializedBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["block.onnx"])
        #expect(model.isTraining && model.bn2.isTraining && !model.bn1.isTraining)
        #expect(model.bn2.runningMean!.toArray(as: Float.self) == mean)  // evaluated, not trained
        // Ordinary calls after an export are not traced.
        #expect(ONNXTracer.current == nil)
        #expect(model(input).shape == [2, 2, 3, 3])
    }

    @Test func bytesEqualTheReferenceEncoder() throws {
        let model = Sequential(Linear(3, 2), ReLU())
        let linear = model[0] as! Linear
        noGrad {
            _ = linear.weight.copy(from: Tensor(shape: [2, 3], scalars: [Float(0.5), -1, 0.25, 2, 0, -0.75]))
            _ = linear.bias!.copy(from: Tensor(shape: [2], scalars: [Float(0.1), -0.2]))
        }
        let expected = try Data(contentsOf: fixtures.appendingPathComponent("onnx/tiny_mlp.onnx"))
        #expect(try model.onnxModel(exampleInput: Tensor.randn([4, 3])).serializedBytes == Array(expected))
    }

    @Test func protobufWriterEncodesTheWireFormat() {
        var writer = ProtobufWriter()
        writer.int(1, 300)
        writer.int(2, -1)
        writer.float(3, 1.5)
        writer.string(4, "é")
        writer.ints(5, [1, 2])
        #expect(
            writer.bytes == [
                0x08, 0xac, 0x02, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x1d, 0, 0, 0xc0,
                0x3f,
                0x22, 0x02, 0xc3, 0xa9, 0x28, 0x01, 0x28, 0x02,
            ])
    }

    /// Writes the ONNX Runtime comparison cases when EMBER_ONNX_DIR is set (see the file header).
    @Test func runtimeComparisonCases() throws {
        guard let directory = ProcessInfo.processInfo.environment["EMBER_ONNX_DIR"] else { return }
        manualSeed(0)
        let cases: [(String, Module, Tensor)] = [
            ("mlp", mlp(), Tensor.randn([4, 16])),
            ("cnn", seedCNN(), Tensor.randn([2, 1, 28, 28])),
            ("residual", ONNXResidualBlock(8), Tensor.randn([2, 8, 10, 10])),
            ("activations", activations(), Tensor.randn([3, 8])),
            ("pooling", pooling(), Tensor.randn([2, 3, 16, 16])),
            ("conv1d", conv1d(), Tensor.randn([2, 2, 12])),
            ("custom_forward", CustomForward(), Tensor.randn([2, 2, 4, 4])),
            ("linear_3d", linear3d(), Tensor.randn([2, 3, 4])),
        ]
        for (name, model, input) in cases {
            try writeRuntimeCase(name, model, input, to: URL(fileURLWithPath: directory))
        }
    }
}

/// Exports `model` to `<directory>/<name>.onnx` and saves its input and Ember's evaluation-mode
/// output to `<name>.safetensors`.
func writeRuntimeCase(_ name: String, _ model: Module, _ input: Tensor, to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try model.exportONNX(to: directory.appendingPathComponent("\(name).onnx"), exampleInput: input)
    model.eval()
    let output = noGrad { model(input) }
    try saveSafetensors(
        ["input": input, "output": output], to: directory.appendingPathComponent("\(name).safetensors"))
}
