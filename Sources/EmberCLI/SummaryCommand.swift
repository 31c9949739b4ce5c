import ArgumentParser
import Ember
import Foundation

/// `ember summary`: a torchinfo-style table of a model: layers, output shapes, parameters, totals
/// and an estimate of memory use.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print a table of a model's layers, output shapes and parameters.")

    @Option(help: "mlp | cnn | cnnrnn | resnet18")
    var model = "mlp"
    @Option(help: "Hidden layer sizes of the MLP, comma-separated.")
    var hidden = "128"
    @Option(help: "Input features (64 for the 8×8 digits).")
    var inputs = 64
    @Option(help: "Outputs (classes, or 1 for regression).")
    var outputs = 10
    @Option(help: "Batch size of the example input.")
    var batchSize = 1

    func run() throws {
        try reportingErrors {
            let sizes = try hiddenSizes(hidden)
            let config = RunConfig(
                data: "", target: nil, task: outputs == 1 ? .regression : .classification, model: model, hidden: sizes,
                optimizer: "adam", lr: 0.001, weightDecay: 0, momentum: 0, epochs: 1, batchSize: batchSize, valSplit: 0,
                seed: 0, scheduler: "none", featureNames: (0..<inputs).map { "x\($0)" }, targetName: "y",
                classes: outputs == 1 ? nil : (0..<outputs).map(String.init), featureMean: [], featureScale: [],
                targetMean: nil, targetScale: nil)
            let network = try Init.withoutRandomInit { try makeModel(config) }  // shapes and counts only
            print(summaryTable(network, input: Tensor.zeros([batchSize, inputs])))
        }
    }
}

/// The table: one row per layer of a `Sequential` (children of other modules are listed with their
/// parameters), then totals and memory in MB of float32.
func summaryTable(_ model: Module, input: Tensor) -> String {
    var rows: [(String, String, Int)] = []
    var activations = 0
    noGrad {
        model.eval()
        // Models that run their children in order get one row per child with its output shape.
        var stages: (input: Tensor, layers: [(String, Module)])?
        if let sequential = model as? Sequential {
            stages = (input, sequential.layers.enumerated().map { ("\($0.offset)", $0.element) })
        } else if let resnet = model as? GreyResNet18 {
            let images = resnet.images(input)
            rows.append(("grey → 3 channels", "\(images.shape)", 0))
            stages = (images, resnet.summaryStages)
        }
        if let stages {
            var x = stages.input
            for (name, layer) in stages.layers {
                x = layer(x)
                activations += x.count
                rows.append(("\(layer.typeName) (\(name))", "\(x.shape)", layer.parameterCount))
            }
        } else {
            for (name, child) in model.namedChildren() {
                rows.append(("\(child.typeName) (\(name))", "--", child.parameterCount))
            }
            let y = model(input)
            activations += y.count
            rows.append((model.typeName, "\(y.shape)", 0))
        }
    }
    let total = model.parameterCount
    let trainable = model.parameters().filter(\.requiresGrad).reduce(0) { $0 + $1.count }
    let nameWidth = max(rows.map(\.0.count).max() ?? 0, 12) + 2
    let shapeWidth = max(rows.map(\.1.count).max() ?? 0, 12) + 2
    func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
    let rule = String(repeating: "=", count: nameWidth + shapeWidth + 12)
    var lines = [rule, pad("Layer (type)", nameWidth) + pad("Output Shape", shapeWidth) + "Param #", rule]
    for (name, shape, params) in rows { lines.append(pad(name, nameWidth) + pad(shape, shapeWidth) + "\(params)") }
    let mb = { (elements: Int) in String(format: "%.2f", Double(elements * 4) / 1_048_576) }
    lines += [
        rule, "Total params: \(total)", "Trainable params: \(trainable)", "Non-trainable params: \(total - trainable)",
        rule,
        "Input size (MB): \(mb(input.count))", "Forward/backward pass size (MB): \(mb(2 * activations))",
        "Params size (MB): \(mb(total))", "Estimated Total Size (MB): \(mb(input.count + 2 * activations + total))",
        rule,
    ]
    return lines.joined(separator: "\n")
}
