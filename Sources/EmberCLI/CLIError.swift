import ArgumentParser
import Foundation

/// A problem with the user's input, reported as one line naming what to fix.
struct CLIError: Error, CustomStringConvertible {
    /// What went wrong and how to fix it.
    let description: String

    init(_ description: String) { self.description = description }
}

/// Runs `body`; any error becomes one line `Error: <message>` on standard error and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
