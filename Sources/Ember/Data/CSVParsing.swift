/// The CSV tokenizer and the locale-free number reader behind ``CSVTable``. Both work on UTF-8
/// bytes: cells are kept as byte ranges and numbers are read without making a `String` per cell.

/// CSV bytes split into cells: `text` holds every cell's bytes (quotes removed) one after the
/// other, cell `k` spanning `bounds[k] ..< bounds[k + 1]`; records have `columns` cells each and
/// start on `lines`.
struct ParsedCSV {
    var text: [UInt8] = []
    var bounds: [Int] = [0]
    var lines: [Int] = []
    var columns = 0

    /// Cell `k` as a string.
    func string(_ k: Int) -> String { String(decoding: text[bounds[k]..<bounds[k + 1]], as: UTF8.self) }

    /// Cell `k` read as a number (see ``scanDecimal(_:_:_:)``).
    func number(_ k: Int) -> (value: Double, integer: Int64?)? {
        text.withUnsafeBufferPointer { scanDecimal($0, bounds[k], bounds[k + 1]) }
    }

    /// Tokenizes `bytes` (RFC 4180, LF / CRLF / CR line ends, blank lines skipped, UTF-8 BOM
    /// ignored), checking that every record has as many fields as the first.
    init(_ bytes: [UInt8], delimiter: UInt8, file: String) throws(DataError) {
        text.reserveCapacity(bytes.count)
        try bytes.withUnsafeBufferPointer { (b) throws(DataError) in
            let n = b.count
            var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var line = 1
            while i < n {
                var blank = i
                while blank < n && (b[blank] == space || b[blank] == tab) { blank += 1 }
                if blank == n || b[blank] == lf || b[blank] == cr {  // a blank line
                    i = blank
                    if i < n { i = lineBreakEnd(b, i, &line) }
                    continue
                }
                let recordLine = line
                var fields = 0
                while true {
                    fields += 1
                    if i < n && b[i] == quote {
                        let start = line
                        i += 1
                        while true {
                            guard i < n else { throw .malformedQuote(file: file, line: start, column: fields) }
                            let c = b[i]
                            i += 1
                            if c == quote {
                                guard i < n && b[i] == quote else { break }
                                i += 1
                            } else if c == lf || (c == cr && (i == n || b[i] != lf)) {
                                line += 1
                            }
                            text.append(c)
                        }
                        guard i == n || b[i] == delimiter || b[i] == lf || b[i] == cr else {
                            throw .malformedQuote(file: file, line: line, column: fields)
                        }
                    } else {
                        let start = i
                        while i < n {
                            let c = b[i]
                            if c == delimiter || c == lf || c == cr { break }
                            i += 1
                        }
                        text.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                    }
                    bounds.append(text.count)
                    guard i < n && b[i] == delimiter else { break }
                    i += 1
                }
                if i < n { i = lineBreakEnd(b, i, &line) }
                if lines.isEmpty { columns = fields }
                guard fields == columns else {
                    throw .raggedRow(file: file, line: recordLine, expected: columns, found: fields)
                }
                lines.append(recordLine)
            }
        }
    }
}

// ASCII codes as literals: `UInt8(ascii:)` is a call per use in debug builds.
private let quote: UInt8 = 0x22
private let lf: UInt8 = 0x0A
private let cr: UInt8 = 0x0D
private let space: UInt8 = 0x20
private let tab: UInt8 = 0x09
private let zero: UInt8 = 0x30
private let nine: UInt8 = 0x39
private let plus: UInt8 = 0x2B
private let minus: UInt8 = 0x2D
private let point: UInt8 = 0x2E

/// The position after the line break (LF, CR or CRLF) at `i`, counting the line.
private func lineBreakEnd(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ line: inout Int) -> Int {
    line += 1
    return b[i] == cr && i + 1 < b.count && b[i + 1] == lf ? i + 2 : i + 1
}

/// Exact powers of ten as doubles.
private let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

/// Reads `b[start ..< end]` as a decimal number with locale-free rules: optional spaces or tabs,
/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`, optional spaces or tabs. Returns
/// `nil` for anything else or a value that is not finite as a `Double`; `integer` is the exact
/// value when it is an integer that fits `Int64` (`"42"`, `"-7"`, `"2.0"`, `"1e3"`).
///
/// Up to 19 significant digits and exponents within ±22 are converted exactly with one rounding
/// (Clinger's fast path); other texts go through the standard library's correctly rounded parser.
func scanDecimal(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (value: Double, integer: Int64?)? {
    var i = start
    var end = end
    while i < end && (b[i] == space || b[i] == tab) { i += 1 }
    while end > i && (b[end - 1] == space || b[end - 1] == tab) { end -= 1 }
    let textStart = i
    let negative = i < end && b[i] == minus
    if i < end && (b[i] == plus || b[i] == minus) { i += 1 }
    var mantissa: UInt64 = 0
    var significant = 0
    var exponent = 0  // value = mantissa * 10^exponent
    var sawDigit = false
    var inexact = false  // digits beyond the 19 the mantissa holds
    var isIntegerText = true
    var inFraction = false
    while i < end {
        let c = b[i]
        if c >= zero && c <= nine {
            sawDigit = true
            let digit = UInt64(c - zero)
            if significant < 19 {
                if mantissa > 0 || digit > 0 { significant += 1 }
                mantissa = mantissa * 10 + digit
                if inFraction { exponent -= 1 }
            } else {
                inexact = inexact || digit != 0
                if !inFraction { exponent += 1 }
            }
        } else if c == point && !inFraction {
            inFraction = true
            isIntegerText = false
        } else {
            break
        }
        i += 1
    }
    guard sawDigit else { return nil }
    if i < end && b[i] | 0x20 == 0x65 {  // e or E
        isIntegerText = false
        i += 1
        let negativeExponent = i < end && b[i] == minus
        if i < end && (b[i] == plus || b[i] == minus) { i += 1 }
        var value = 0
        let digitsStart = i
        while i < end && b[i] >= zero && b[i] <= nine {
            value = Swift.min(value * 10 + Int(b[i] - zero), 100_000)
            i += 1
        }
        guard i > digitsStart else { return nil }
        exponent += negativeExponent ? -value : value
    }
    guard i == end else { return nil }
    var value: Double
    if !inexact && mantissa <= 1 << 53 && Swift.abs(exponent) <= 22 {
        value = exponent >= 0 ? Double(mantissa) * powersOfTen[exponent] : Double(mantissa) / powersOfTen[-exponent]
        if negative { value = -value }
    } else {
        guard let parsed = Double(String(decoding: UnsafeBufferPointer(rebasing: b[textStart..<end]), as: UTF8.self))
        else { return nil }
        value = parsed
    }
    guard value.isFinite else { return nil }
    let integer: Int64?
    if isIntegerText && !inexact && exponent == 0 {
        integer =
            negative ? (mantissa <= 1 << 63 ? Int64(truncatingIfNeeded: 0 &- mantissa) : nil) : Int64(exactly: mantissa)
    } else {
        integer = value.rounded() == value && Swift.abs(value) < 0x1p63 ? Int64(value) : nil
    }
    return (value, integer)
}

/// `text` read as a decimal number (see ``scanDecimal(_:_:_:)``).
func scanDecimal(_ text: String) -> Double? {
    Array(text.utf8).withUnsafeBufferPointer { scanDecimal($0, 0, $0.count)?.value }
}
