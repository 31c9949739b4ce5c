import ArgumentParser
import Foundation

/// `ember bench`: the benchmark suite of `Benchmarks/` (Ember next to PyTorch, same workloads, same
/// run) in one command, from the package's folder.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run Benchmarks/run.sh: Ember next to PyTorch on the same workloads.")

    @Option(help: "The Ember package folder holding Benchmarks/run.sh.")
    var package = "."

    func run() throws {
        try reportingErrors {
            let script = URL(fileURLWithPath: package).appendingPathComponent("Benchmarks/run.sh")
            guard FileManager.default.fileExists(atPath: script.path) else {
                throw CLIError(
                    "\(script.path) not found; run `ember bench` from the Ember package folder or pass --package")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script.path]
            process.currentDirectoryURL = URL(fileURLWithPath: package)
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        }
    }
}
