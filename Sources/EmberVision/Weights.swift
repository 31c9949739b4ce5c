// Building models from weight files: `resnet18(weights: url)` and friends read a state dict saved
// from torchvision, as safetensors (`save_file(model.state_dict(), "resnet18.safetensors")`) or as
// torchvision's own downloads are (`torch.save(model.state_dict(), "resnet18.pth")`), and load it
// strictly, so every key and shape must match. The model is built without random initialisation
// (nothing is drawn from the random generator), since the file overwrites it.

import Foundation

/// Why a weight file could not be used to build a model.
public enum WeightsError: Error, CustomStringConvertible, Equatable {
    /// The file's extension names no format EmberVision reads.
    case unsupportedFormat(path: String, pathExtension: String)
    /// The classifier weight has a shape no model of this kind can have.
    case badClassifier(path: String, key: String, shape: [Int])

    /// A message naming the file.
    public var description: String {
        switch self {
        case .unsupportedFormat(let path, let ext):
            return "\(path): unsupported weights format \".\(ext)\" (expected .safetensors, .pt or .pth)"
        case .badClassifier(let path, let key, let shape):
            return "\(path): \(key) has shape \(shape), expected [numClasses, inFeatures]"
        }
    }
}

/// The state dict stored in a weight file, by extension: `.safetensors`, or `.pt` / `.pth` for a
/// state dict written by `torch.save` (read by a restricted unpickler that executes nothing).
public func loadStateDictFile(from url: URL) throws -> [String: Tensor] {
    switch url.pathExtension.lowercased() {
    case "safetensors": return try loadSafetensors(from: url)
    case "pt", "pth": return try loadPyTorchStateDict(from: url)
    default: throw WeightsError.unsupportedFormat(path: url.path, pathExtension: url.pathExtension)
    }
}

/// Builds a model whose class count is read from the classifier weight `headKey` (1000 when the
/// file lacks it; the strict load then reports the missing key) and loads the file strictly. The
/// model is built without random initialisation, which the loaded weights would overwrite.
private func pretrained<Model: Module>(_ url: URL, headKey: String, build: (Int) -> Model) throws -> Model {
    let state = try loadStateDictFile(from: url)
    var numClasses = 1000
    if let head = state[headKey] {
        guard head.dim == 2 else { throw WeightsError.badClassifier(path: url.path, key: headKey, shape: head.shape) }
        numClasses = head.size(0)
    }
    let model = Init.withoutRandomInit { build(numClasses) }
    try model.loadStateDict(state, strict: true)
    return model
}

/// ResNet-18 with the weights in `weights` (a torchvision state dict in a `.safetensors`, `.pt` or
/// `.pth` file, loaded strictly); the class count is that of the file's `fc.weight`.
public func resnet18(weights: URL) throws -> ResNet {
    try pretrained(weights, headKey: "fc.weight") { resnet18(numClasses: $0) }
}

/// ResNet-34 with the weights in `weights` (a torchvision state dict, loaded strictly).
public func resnet34(weights: URL) throws -> ResNet {
    try pretrained(weights, headKey: "fc.weight") { resnet34(numClasses: $0) }
}

/// ResNet-50 with the weights in `weights` (a torchvision state dict, loaded strictly).
public func resnet50(weights: URL) throws -> ResNet {
    try pretrained(weights, headKey: "fc.weight") { resnet50(numClasses: $0) }
}

/// VGG-11 (with BatchNorm when `batchNorm`) with the weights in `weights`, loaded strictly.
public func vgg11(weights: URL, batchNorm: Bool = false) throws -> VGG {
    try pretrained(weights, headKey: "classifier.6.weight") { vgg11(numClasses: $0, batchNorm: batchNorm) }
}

/// MobileNetV2 (width 1) with the weights in `weights`, loaded strictly.
public func mobilenetV2(weights: URL) throws -> MobileNetV2 {
    try pretrained(weights, headKey: "classifier.1.weight") { mobilenetV2(numClasses: $0) }
}

/// VGG-11 with BatchNorm with the weights in `weights`, loaded strictly.
public func vgg11BN(weights: URL) throws -> VGG { try vgg11(weights: weights, batchNorm: true) }
