import Foundation

/// A column of a CSV file, chosen by header name or by 0-based position (negative positions count
/// from the end, as in Python): `"label"`, `.name("label")`, `64`, `-1`.
public enum CSVColumn: Hashable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The column whose header cell is this name.
    case name(String)
    /// The column at this 0-based position; negative positions count from the end.
    case index(Int)

    /// A column chosen by name.
    public init(stringLiteral name: String) { self = .name(name) }
    /// A column chosen by position.
    public init(integerLiteral index: Int) { self = .index(index) }

    /// `'name'` or `index 3`.
    public var description: String {
        switch self {
        case .name(let name): "'\(name)'"
        case .index(let index): "index \(index)"
        }
    }
}

/// A CSV file parsed into cells (RFC 4180): comma-separated by default, fields in double quotes may
/// hold delimiters, line breaks and doubled quotes (`""`), lines end with LF, CRLF or CR, blank
/// lines are skipped, a UTF-8 byte order mark is ignored.
///
/// Numbers are parsed with locale-free rules: an optional sign, digits with an optional `.` and an
/// optional exponent (`-1.5e-3`), surrounded by optional spaces. Empty cells, `NA`, `nan`, `inf`, a
/// decimal comma or anything else in a column read as numbers throws
/// ``DataError/invalidNumber(file:line:column:columnName:value:)`` with its line and column: loading
/// never produces a silent NaN.
///
/// ```swift
/// let table = try CSVTable(contentsOf: url)              // header detected
/// let x = try table.tensor(columns: ["age", "bmi"])      // [rows, 2] float32
/// let (y, classes) = try table.labels("species")         // int64 class indices
/// ```
public struct CSVTable: Sendable {
    /// The file's path (or the name given for parsed text), used in errors.
    public let file: String
    /// The header cells, or `nil` when the first row is data.
    public let header: [String]?
    /// The number of columns.
    public let columnCount: Int
    /// The number of data rows (the header excluded).
    public let rowCount: Int
    /// The data cells (header removed), row-major.
    let cells: ParsedCSV

    /// Reads and parses a CSV file.
    ///
    /// - Parameters:
    ///   - url: the file.
    ///   - hasHeader: whether the first row holds column names; `nil` detects it: the first row is a
    ///     header when one of its cells is not a number while every cell below it (in the next 20
    ///     rows) is, or when the file has a single row and none of its cells is a number.
    ///   - delimiter: an ASCII field separator (`","`, `";"`, `"\t"`).
    /// - Throws: ``DataError`` for an unreadable or empty file, a ragged row or a malformed quote.
    public init(contentsOf url: URL, hasHeader: Bool? = nil, delimiter: Character = ",") throws(DataError) {
        try self.init(bytes: readFile(url), file: url.path, hasHeader: hasHeader, delimiter: delimiter)
    }

    /// Parses CSV text; `name` stands for the file in errors.
    public init(parsing text: String, name: String = "<string>", hasHeader: Bool? = nil, delimiter: Character = ",")
        throws(DataError)
    {
        try self.init(bytes: Array(text.utf8), file: name, hasHeader: hasHeader, delimiter: delimiter)
    }

    init(bytes: [UInt8], file: String, hasHeader: Bool?, delimiter: Character) throws(DataError) {
        guard let separator = delimiter.asciiValue, !"\"\r\n".utf8.contains(separator) else {
            preconditionFailure("CSVTable: the delimiter must be an ASCII character other than a quote or line break")
        }
        var cells = try ParsedCSV(bytes, delimiter: separator, file: file)
        guard !cells.lines.isEmpty else { throw .emptyFile(file: file) }
        let columns = cells.columns
        if hasHeader ?? looksLikeHeader(cells) {
            header = (0..<columns).map { cells.string($0).trimmingCharacters(in: .whitespaces) }
            cells.bounds.removeFirst(columns)
            cells.lines.removeFirst()
        } else {
            header = nil
        }
        guard !cells.lines.isEmpty else { throw .emptyFile(file: file) }
        self.file = file
        self.cells = cells
        columnCount = columns
        rowCount = cells.lines.count
    }

    /// The column names: the header, or `"0"`, `"1"`, ... without one.
    public var columnNames: [String] { header ?? (0..<columnCount).map(String.init) }

    /// The cell at a data row and column (0-based), as written (quotes removed).
    public subscript(row: Int, column: Int) -> String {
        precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount, "CSVTable: cell out of range")
        return cells.string(row * columnCount + column)
    }

    /// The 0-based position of `column`; throws ``DataError/missingColumn(file:column:available:)``.
    public func columnIndex(_ column: CSVColumn) throws(DataError) -> Int {
        switch column {
        case .name(let name):
            if let index = header?.firstIndex(of: name) { return index }
        case .index(let index):
            if index >= -columnCount && index < columnCount { return index < 0 ? index + columnCount : index }
        }
        throw .missingColumn(file: file, column: column.description, available: columnNames)
    }

    /// The numbers of the chosen columns (all when `nil`), `[rows, columns.count]`.
    ///
    /// Every cell must be a finite number representable in `dtype` (an integer for `.int64`).
    public func tensor(columns: [CSVColumn]? = nil, dtype: DType = .float32) throws(DataError) -> Tensor {
        var positions = [Int]()
        for column in columns ?? (0..<columnCount).map(CSVColumn.index) { positions.append(try columnIndex(column)) }
        return try numbers(at: positions, shape: [rowCount, positions.count], dtype: dtype)
    }

    /// The numbers of one column, `[rows]`.
    public func column(_ column: CSVColumn, dtype: DType = .float32) throws(DataError) -> Tensor {
        try numbers(at: [columnIndex(column)], shape: [rowCount], dtype: dtype)
    }

    /// A label column encoded as int64 class indices into `classes`, the distinct values sorted
    /// (numerically when all are numbers), as scikit-learn's `LabelEncoder`.
    public func labels(_ column: CSVColumn) throws(DataError) -> (indices: Tensor, classes: [String]) {
        let c = try columnIndex(column)
        let values = (0..<rowCount).map { self[$0, c] }
        var classes = Array(Set(values))
        let numeric = classes.map { scanDecimal($0) }
        if numeric.allSatisfy({ $0 != nil }) {
            classes = zip(classes, numeric).sorted { $0.1! < $1.1! }.map(\.0)
        } else {
            classes.sort()
        }
        let position = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int64($0)) })
        return (Tensor(shape: [rowCount], scalars: values.map { position[$0]! }), classes)
    }

    /// A label column one-hot encoded, `[rows, classes.count]` (see ``labels(_:)`` for the order).
    public func oneHot(_ column: CSVColumn, dtype: DType = .float32) throws(DataError)
        -> (encoded: Tensor, classes: [String])
    {
        let (indices, classes) = try labels(column)
        return (Tensor.oneHot(indices, numClasses: classes.count).to(dtype), classes)
    }

    /// Parses the cells at `positions` of every row into a tensor of `shape`.
    private func numbers(at positions: [Int], shape: [Int], dtype: DType) throws(DataError) -> Tensor {
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        let bounds = cells.bounds
        let columns = columnCount
        // Writes cell `cell` to element `k`; false when it is not a number of `dtype`.
        let store: (UnsafeBufferPointer<UInt8>, Int, Int) -> Bool
        switch dtype {
        case .float32:
            let p = out.base(Float.self)
            store = { text, cell, k in
                guard let (value, _) = scanDecimal(text, bounds[cell], bounds[cell + 1]), Float(value).isFinite
                else { return false }
                p[k] = Float(value)
                return true
            }
        case .float64:
            let p = out.base(Double.self)
            store = { text, cell, k in
                guard let (value, _) = scanDecimal(text, bounds[cell], bounds[cell + 1]) else { return false }
                p[k] = value
                return true
            }
        case .int64:
            let p = out.base(Int64.self)
            store = { text, cell, k in
                guard let integer = scanDecimal(text, bounds[cell], bounds[cell + 1])?.integer else { return false }
                p[k] = integer
                return true
            }
        case .bool:
            let p = out.base(Bool.self)
            store = { text, cell, k in
                guard let (value, _) = scanDecimal(text, bounds[cell], bounds[cell + 1]) else { return false }
                p[k] = value != 0
                return true
            }
        }
        let failed: Int? = cells.text.withUnsafeBufferPointer { text in
            var k = 0
            for row in 0..<rowCount {
                for c in positions {
                    if !store(text, row * columns + c, k) { return row * columns + c }
                    k += 1
                }
            }
            return nil
        }
        if let cell = failed {
            let (row, c) = cell.quotientAndRemainder(dividingBy: columns)
            throw .invalidNumber(
                file: file, line: cells.lines[row], column: c + 1, columnName: header?[c], value: cells.string(cell))
        }
        return out
    }
}

/// Reads a CSV file of numbers into features and a target (`pd.read_csv` then `df.drop(target)`,
/// `df[target]`).
///
/// ```swift
/// let data = try loadCSV(url: url, target: "label", targetDType: .int64)
/// let loader = DataLoader(data, batchSize: 32, shuffle: true)
/// ```
///
/// - Parameters:
///   - url: the file.
///   - hasHeader: whether the first row names the columns; `nil` detects it (see ``CSVTable``).
///   - features: the feature columns by name or position; `nil` takes every column but the target.
///   - target: the target column by name or position (`-1` is the last).
///   - dtype: the features' element type.
///   - targetDType: the targets' element type (`.int64` for class labels).
///   - delimiter: an ASCII field separator (`","`, `";"`, `"\t"`).
/// - Throws: ``DataError`` naming the file, line and column of the first problem.
public func loadCSV(
    url: URL, hasHeader: Bool? = nil, features: [CSVColumn]? = nil, target: CSVColumn, dtype: DType = .float32,
    targetDType: DType = .float32, delimiter: Character = ","
) throws(DataError) -> TabularDataset {
    try CSVTable(contentsOf: url, hasHeader: hasHeader, delimiter: delimiter)
        .dataset(features: features, target: target, dtype: dtype, targetDType: targetDType)
}

extension CSVTable {
    /// The chosen feature columns (every column but the target when `nil`) and the target column
    /// as a ``TabularDataset``.
    public func dataset(
        features: [CSVColumn]? = nil, target: CSVColumn, dtype: DType = .float32, targetDType: DType = .float32
    ) throws(DataError) -> TabularDataset {
        let targetIndex = try columnIndex(target)
        let featureColumns = features ?? (0..<columnCount).filter { $0 != targetIndex }.map(CSVColumn.index)
        var positions = [Int]()
        for column in featureColumns { positions.append(try columnIndex(column)) }
        return TabularDataset(
            features: try tensor(columns: positions.map(CSVColumn.index), dtype: dtype),
            targets: try self.column(.index(targetIndex), dtype: targetDType),
            featureNames: positions.map { columnNames[$0] }, targetName: columnNames[targetIndex])
    }
}

/// Writes a 1-D or 2-D tensor as CSV, one row per line, numbers in their shortest exact decimal
/// form, with an optional header row (quoted where needed). The file is replaced atomically.
///
/// Throws ``DataError/invalidArgument(argument:message:)`` for a non-finite value (which
/// ``CSVTable`` would refuse to read back) or a header of the wrong length, and
/// ``DataError/fileAccess(file:reason:)`` when the file cannot be written.
public func writeCSV(_ tensor: Tensor, to url: URL, header: [String]? = nil) throws(DataError) {
    precondition(
        tensor.dim == 1 || tensor.dim == 2, "writeCSV: expected a 1-D or 2-D tensor, got shape \(tensor.shape)")
    let columns = tensor.dim == 2 ? tensor.shape[1] : 1
    if let header, header.count != columns {
        throw .invalidArgument(
            argument: "header", message: "writeCSV: \(header.count) header names for \(columns) columns")
    }
    let values = tensor.scalars
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw .invalidArgument(
            argument: "tensor",
            message: "writeCSV: non-finite value \(values[bad]) at row \(bad / columns), column \(bad % columns)")
    }
    let cells: [String] =
        switch tensor.dtype {
        case .float32: tensor.toArray(as: Float.self).map(\.description)
        case .float64: tensor.toArray(as: Double.self).map(\.description)
        case .int64: tensor.toArray(as: Int64.self).map(\.description)
        case .bool: tensor.toArray(as: Bool.self).map { $0 ? "1" : "0" }
        }
    var text = header.map { names in names.map(quoteIfNeeded).joined(separator: ",") + "\n" } ?? ""
    for row in 0..<cells.count / Swift.max(columns, 1) {
        text += cells[row * columns..<(row + 1) * columns].joined(separator: ",") + "\n"
    }
    do {
        try writeFileAtomically(Data(text.utf8), to: url)
    } catch {
        throw .fileAccess(file: error.path, reason: error.reason)
    }
}

/// A header cell, quoted when it holds a comma, quote or line break.
private func quoteIfNeeded(_ name: String) -> String {
    guard name.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return name }
    return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Reads a whole file, mapping Foundation's errors to ``DataError/fileAccess(file:reason:)``.
func readFile(_ url: URL) throws(DataError) -> [UInt8] {
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        throw .fileAccess(file: url.path, reason: error.localizedDescription)
    }
}

/// Whether the first row looks like a header (see ``CSVTable/init(contentsOf:hasHeader:delimiter:)``).
private func looksLikeHeader(_ cells: ParsedCSV) -> Bool {
    let columns = cells.columns
    let rows = Swift.min(cells.lines.count, 21)
    let firstIsNumber = (0..<columns).map { cells.number($0) != nil }
    guard rows > 1 else { return !firstIsNumber.contains(true) }
    return (0..<columns).contains { c in
        !firstIsNumber[c] && (1..<rows).allSatisfy { cells.number($0 * columns + c) != nil }
    }
}
