/// What went wrong reading data from the outside world (CSV, IDX, gzip, bundled files) or
/// building a data set or loader from values that do not fit together.
///
/// Every case names where the problem is: the file, the 1-based line and column of a CSV cell, or
/// the argument. `description` is a one-line message in the style of a compiler diagnostic
/// (`digits.csv:12:5: ...`). Loading code never crashes on bad input and never turns an unreadable
/// cell into NaN: it throws one of these.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, read or written.
    case fileAccess(file: String, reason: String)
    /// The file holds no data rows (it is empty, blank, or holds only a header).
    case emptyFile(file: String)
    /// A CSV row has a different number of fields than the first row.
    case raggedRow(file: String, line: Int, expected: Int, found: Int)
    /// A CSV cell that must hold a number does not hold a finite one that fits the requested type.
    case invalidNumber(file: String, line: Int, column: Int, columnName: String?, value: String)
    /// A quoted CSV field is never closed, or has characters between its closing quote and the
    /// next delimiter.
    case malformedQuote(file: String, line: Int, column: Int)
    /// A column asked for by name or index is not in the CSV.
    case missingColumn(file: String, column: String, available: [String])
    /// The file does not start with the magic number of its format (`expected` when one number is
    /// required, as MNIST's 2049 for labels and 2051 for images).
    case badMagic(file: String, found: UInt32, expected: UInt32?)
    /// The file ends before the size its header announces.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// The file holds more bytes than its header announces.
    case trailingBytes(file: String, expectedBytes: Int, actualBytes: Int)
    /// A gzip stream is corrupt (bad header, invalid block, checksum or length mismatch).
    case corruptCompressedData(file: String, reason: String)
    /// Tensors or files that must hold the same number of samples do not.
    case sizeMismatch(argument: String, sizes: [Int])
    /// An argument is outside its domain; `message` is PyTorch's wording where PyTorch has one.
    case invalidArgument(argument: String, message: String)

    /// The error as one line, starting with the file and position when there is one.
    public var description: String {
        switch self {
        case .fileAccess(let file, let reason):
            return "\(file): cannot access file: \(reason)"
        case .emptyFile(let file):
            return "\(file): no data rows"
        case .raggedRow(let file, let line, let expected, let found):
            return "\(file):\(line): expected \(expected) fields (as in the first row), found \(found)"
        case .invalidNumber(let file, let line, let column, let name, let value):
            let label = name.map { " ('\($0)')" } ?? ""
            return "\(file):\(line):\(column): column \(column)\(label): '\(value)' is not a valid number"
        case .malformedQuote(let file, let line, let column):
            return "\(file):\(line):\(column): malformed quoted field (unclosed quote or text after the closing quote)"
        case .missingColumn(let file, let column, let available):
            return "\(file): no column \(column); columns: \(available.joined(separator: ", "))"
        case .badMagic(let file, let found, let expected):
            let want = expected.map { "expected \($0)" } ?? "expected an IDX magic number 0x0000TTDD"
            return "\(file): wrong magic number \(found) (0x\(String(found, radix: 16))), \(want)"
        case .truncated(let file, let expected, let actual):
            return "\(file): truncated: the header announces \(expected) bytes but the file holds \(actual)"
        case .trailingBytes(let file, let expected, let actual):
            return "\(file): the header announces \(expected) bytes but the file holds \(actual)"
        case .corruptCompressedData(let file, let reason):
            return "\(file): corrupt gzip data: \(reason)"
        case .sizeMismatch(let argument, let sizes):
            return "\(argument): size mismatch, first dimensions \(sizes) must be equal"
        case .invalidArgument(_, let message):
            return message
        }
    }
}
