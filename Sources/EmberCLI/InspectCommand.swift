import ArgumentParser
import Ember
import Foundation

/// `ember inspect`: the tensors (names, dtypes, shapes) of a safetensors or PyTorch file.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "List the tensors of a .safetensors file.")

    @Argument(help: "A .safetensors file.")
    var file: String

    func run() throws {
        try reportingErrors {
            let url = URL(fileURLWithPath: file)
            let tensors = try loadSafetensors(from: url)
            let metadata = try safetensorsMetadata(from: url)
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
