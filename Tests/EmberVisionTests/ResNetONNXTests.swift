// ONNX export of EmberVision's resnet18: the graph is torchvision's BasicBlock network as ONNX
// (Conv/BatchNormalization/Relu/MaxPool/Add/GlobalAveragePool/Reshape/Gemm, weights named by
// state-dict keys). With EMBER_ONNX_DIR set, `runtimeComparisonCase` writes resnet18.onnx and
// resnet18.safetensors (input, Ember's output) for Tests/Fixtures/check_onnx_export.py.

import Foundation
import Testing

@testable import Ember
@testable import EmberVision

@Suite struct ResNetONNXTests {
    @Test func resnet18ExportsAsTorchvisionsGraph() throws {
        let net = Init.withoutRandomInit { resnet18(numClasses: 10) }
        let graph = try net.onnxModel(exampleInput: Tensor.randn([1, 3, 32, 32])).graph
        let ops = graph.nodes.map(\.opType)
        let counts = Dictionary(ops.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(
            counts == [
                "Conv": 20, "BatchNormalization": 20, "Relu": 17, "MaxPool": 1, "Add": 8, "GlobalAveragePool": 1,
                "Reshape": 1, "Gemm": 1,
            ])
        #expect(
            Array(ops.prefix(9)) == [
                "Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu", "Conv",
                "BatchNormalization",
            ])
        #expect(Array(ops.suffix(4)) == ["Relu", "GlobalAveragePool", "Reshape", "Gemm"])
        // The first downsampling block: its sum reads the second BatchNorm and the downsample branch.
        let add = try #require(graph.nodes.first { $0.name == "layer2.0/Add" })
        #expect(
            add.inputs == [
                "layer2.0.bn2/BatchNormalization_output_0", "layer2.0.downsample.1/BatchNormalization_output_0",
            ])
        // Every parameter and running statistic is an initializer under its state-dict key.
        let expected = net.stateDictKeys().filter { !$0.hasSuffix("num_batches_tracked") }
        let weights = graph.initializers.filter { $0.dataType == .float }
        #expect(weights.map(\.name).sorted() == expected.sorted())
        #expect(graph.outputs[0].shape == [.parameter("batch"), .value(10)])
    }

    /// Writes the ONNX Runtime comparison case when EMBER_ONNX_DIR is set (see the file header).
    @Test func runtimeComparisonCase() throws {
        guard let directory = ProcessInfo.processInfo.environment["EMBER_ONNX_DIR"] else { return }
        manualSeed(0)
        let net = resnet18()
        noGrad {
            for case let bn as BatchNorm2d in net.modules() {
                _ = bn.runningMean!.copy(from: Tensor.randn([bn.numFeatures]) * 0.1)
                _ = bn.runningVar!.copy(from: Tensor.rand([bn.numFeatures]) + 0.5)
                _ = bn.weight!.copy(from: Tensor.rand([bn.numFeatures]) + 0.5)
                _ = bn.bias!.copy(from: Tensor.randn([bn.numFeatures]) * 0.1)
            }
        }
        let input = Tensor.randn([1, 3, 64, 64])
        let folder = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try net.exportONNX(to: folder.appendingPathComponent("resnet18.onnx"), exampleInput: input)
        let output = noGrad { net.eval()(input) }
        try saveSafetensors(
            ["input": input, "output": output], to: folder.appendingPathComponent("resnet18.safetensors"))
    }
}
