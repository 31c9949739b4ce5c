import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure reading or writing a file, naming the file.
public struct FileError: Error, CustomStringConvertible, Equatable {
    /// The file involved.
    public let path: String
    /// What went wrong.
    public let reason: String

    /// `"<path>: <reason>"`.
    public var description: String { "\(path): \(reason)" }
}

/// Writes `bytes` to `url` atomically: a temporary file in the same folder is written, flushed to
/// disk with `fsync` and renamed over the destination, so a crash never leaves a half-written
/// file and never destroys the previous one.
func writeAtomically(_ url: URL, chunks: [UnsafeRawBufferPointer]) throws(FileError) {
    let path = url.path
    let folder = url.deletingLastPathComponent().path
    let temp = folder + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else { throw FileError(path: path, reason: "cannot create a temporary file: \(errnoText())") }
    var failure: String?
    for chunk in chunks where failure == nil {
        var offset = 0
        while offset < chunk.count {
            let n = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = "write failed: \(errnoText())"
                break
            }
            offset += n
        }
    }
    if failure == nil && fsync(fd) != 0 { failure = "fsync failed: \(errnoText())" }
    close(fd)
    if failure == nil && rename(temp, path) != 0 { failure = "rename failed: \(errnoText())" }
    if let failure {
        unlink(temp)
        throw FileError(path: path, reason: failure)
    }
    // Make the rename itself durable.
    let dir = open(folder, O_RDONLY)
    if dir >= 0 {
        fsync(dir)
        close(dir)
    }
}

/// The bytes of a file, memory-mapped when possible so large files are not copied first.
func readMapped(_ url: URL) throws(FileError) -> Data {
    do {
        return try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
        let exists = FileManager.default.fileExists(atPath: url.path)
        throw FileError(path: url.path, reason: exists ? "cannot read the file" : "no such file")
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// Writes `data` to `url` atomically: a temporary file in the same folder, flushed with `fsync`,
/// then renamed over the destination, so readers never see half a file and a crash never
/// destroys the previous version.
public func writeFileAtomically(_ data: Data, to url: URL) throws(FileError) {
    var failure: FileError?
    data.withUnsafeBytes { bytes in
        do {
            try writeAtomically(url, chunks: [bytes])
        } catch {
            failure = error as? FileError ?? FileError(path: url.path, reason: "\(error)")
        }
    }
    if let failure { throw failure }
}
