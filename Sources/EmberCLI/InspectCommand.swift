import ArgumentParser
import Ember
import EmberVision
import Foundation

/// `ember inspect`: the tensors (names, dtypes, shapes) of a safetensors or PyTorch file.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "List the tensors of a .safetensors file or a PyTorch .pt/.pth state dict.")

    @Argument(help: "A .safetensors file, or a .pt/.pth file saved with torch.save(model.state_dict(), ...).")
    var file: String

    func run() throws {
        try reportingErrors {
            let (tensors, metadata) = try inspectedFile(URL(fileURLWithPath: file))
            let names = tensors.keys.sorted()
            let width = max(names.map(\.count).max() ?? 4, 4)
            print("name".padding(toLength: width, withPad: " ", startingAt: 0) + "  dtype    shape")
            var total = 0
            for name in names {
                let t = tensors[name]!
                total += t.count
                print(
                    name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                        + t.dtype.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0) + "  \(t.shape)")
            }
            print("\(names.count) tensors, \(total) elements")
            for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { print("metadata \(k) = \(v)") }
        }
    }
}

/// The tensors of `url` (`.safetensors`, or a PyTorch `.pt`/`.pth` state dict) and its metadata
/// (safetensors only).
func inspectedFile(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let tensors = try loadStateDictFile(from: url)
    return (tensors, url.pathExtension.lowercased() == "safetensors" ? try safetensorsMetadata(from: url) : [:])
}
