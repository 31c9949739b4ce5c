import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The live progress line of an epoch on a terminal: batches done of total, items per second,
/// elapsed and remaining time, and the running loss. Prints nothing when output is not a terminal.
struct ProgressBar {
    let label: String
    let total: Int
    let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    /// Batches and items already done when the bar started (a run resumed inside an epoch).
    private var resumedAt: (done: Int, items: Int)?

    init(label: String, total: Int, enabled: Bool) {
        self.label = label
        self.total = total
        self.enabled = enabled && isatty(STDOUT_FILENO) != 0
    }

    /// Redraws the line (at most 20 times a second, and always for the last batch).
    mutating func update(done: Int, items: Int, runningLoss: Double) {
        guard enabled else { return }
        let before = resumedAt ?? (done - 1, items - items / max(done, 1))
        resumedAt = before
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.05 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(items - before.items) / elapsed : 0
        let remaining = done > before.done ? elapsed / Double(done - before.done) * Double(total - done) : 0
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar =
            String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(0, width - filled - 1))
        let line =
            "\(label) [\(bar)] \(done)/\(total) \(String(format: "%.0f", rate)) items/s "
            + "\(clock(elapsed))<\(clock(remaining)) loss \(String(format: "%.4f", runningLoss))"
        FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
    }

    /// Clears the progress line before the epoch summary is printed.
    func finish() {
        guard enabled else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }
}

/// `m:ss` for a duration in seconds.
func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return String(format: "%d:%02d", s / 60, s % 60)
}
