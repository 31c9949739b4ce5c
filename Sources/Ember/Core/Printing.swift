/// `description` in PyTorch's format: `tensor([[1.0000, 2.0000]], grad_fn=<AddBackward0>)`, with
/// PyTorch's choice of integer, fixed or scientific notation, and `...` summaries for more than
/// 1000 elements.
extension Tensor: CustomStringConvertible {
    /// PyTorch's repr of the tensor.
    public var description: String {
        let values = noGrad { detach().contiguous() }.scalars
        let formatter = ScalarFormatter(values: values, dtype: dtype, summarize: count > 1000)
        var body = formatBody(values: values, formatter: formatter, indent: 7)
        if count == 0 && dim == 1 { body = "[]" }
        var suffixes: [String] = []
        if count == 0 && dim != 1 {
            suffixes.append("size=(\(shape.map(String.init).joined(separator: ", "))\(dim == 1 ? "," : ""))")
        }
        if dtype == .float64 || (dtype == .int64 && count == 0) { suffixes.append("dtype=\(dtype)") }
        if let gradFn {
            suffixes.append("grad_fn=\(gradFn)")
        } else if requiresGrad {
            suffixes.append("requires_grad=True")
        }
        return "tensor(" + ([body] + suffixes).joined(separator: ", ") + ")"
    }

    private func formatBody(values: [Double], formatter: ScalarFormatter, indent: Int) -> String {
        if dim == 0 { return formatter.format(values[0]) }
        return formatLevel(values: values, formatter: formatter, level: 0, offset: 0, indent: indent)
    }

    private func formatLevel(values: [Double], formatter: ScalarFormatter, level: Int, offset: Int, indent: Int)
        -> String
    {
        let size = shape[level]
        let step = shape[(level + 1)...].reduce(1, *)
        let summarize = formatter.summarize && size > 6
        let indices = summarize ? Array(0..<3) + [-1] + Array((size - 3)..<size) : Array(0..<size)
        if level == dim - 1 {
            let items = indices.map { $0 < 0 ? "..." : formatter.format(values[offset + $0]) }
            // PyTorch wraps rows longer than 80 characters.
            var lines: [String] = []
            var current = ""
            let width = Swift.max(80 - indent - 1, 1)
            for (i, item) in items.enumerated() {
                let piece = item + (i < items.count - 1 ? "," : "")
                if !current.isEmpty && current.count + 1 + piece.count > width {
                    lines.append(current)
                    current = piece
                } else {
                    current += current.isEmpty ? piece : " " + piece
                }
            }
            lines.append(current)
            return "[" + lines.joined(separator: "\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        let separator =
            "," + String(repeating: "\n", count: dim - level - 1) + String(repeating: " ", count: indent + 1)
        let parts = indices.map { i in
            i < 0
                ? "..."
                : formatLevel(
                    values: values, formatter: formatter, level: level + 1, offset: offset + i * step,
                    indent: indent + 1)
        }
        return "[" + parts.joined(separator: separator) + "]"
    }
}

/// Chooses one number format for all elements, like PyTorch's `_Formatter`.
private struct ScalarFormatter {
    enum Mode { case bool, integer, integerFloat, fixed, scientific }
    let mode: Mode
    let width: Int
    let summarize: Bool

    init(values: [Double], dtype: DType, summarize: Bool) {
        self.summarize = summarize
        let finite = values.filter { $0.isFinite }
        switch dtype {
        case .bool:
            mode = .bool
        case .int64:
            mode = .integer
        default:
            let magnitudes = finite.map { Swift.abs($0) }.filter { $0 != 0 }
            if finite.allSatisfy({ $0 == $0.rounded() }) {
                let maxValue = magnitudes.max() ?? 0
                mode = maxValue > 1e8 ? .scientific : .integerFloat
            } else {
                let maxValue = magnitudes.max() ?? 0
                let minValue = magnitudes.min() ?? 0
                mode =
                    (maxValue / Swift.max(minValue, .leastNonzeroMagnitude) > 1000 || maxValue > 1e8 || minValue < 1e-4)
                    ? .scientific : .fixed
            }
        }
        var w = 0
        let probe = ScalarFormatter(mode: mode)
        for v in values { w = Swift.max(w, probe.raw(v).count) }
        width = w
    }

    private init(mode: Mode) {
        self.mode = mode
        self.width = 0
        self.summarize = false
    }

    func raw(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        switch mode {
        case .bool: return v != 0 ? "True" : "False"
        case .integer: return String(Int64(v))
        case .integerFloat: return String(Int64(v)) + "."
        case .fixed: return fixed(v, digits: 4)
        case .scientific: return scientific(v)
        }
    }

    func format(_ v: Double) -> String {
        let s = raw(v)
        return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
    }

    private func fixed(_ v: Double, digits: Int) -> String {
        let scale = 10_000.0
        let rounded = (Swift.abs(v) * scale).rounded(.toNearestOrEven)
        let whole = Int64(rounded / scale)
        let frac = Int64(rounded) - whole * Int64(scale)
        let fracString = String(frac)
        let sign = v < 0 && rounded != 0 ? "-" : ""
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fracString.count) + fracString
    }

    private func scientific(_ v: Double) -> String {
        if v == 0 { return "0.0000e+00" }
        var exponent = Int(Swift.abs(v).log10Floor)
        var mantissa = Swift.abs(v) / pow10(exponent)
        if (mantissa * 10_000).rounded() >= 100_000 {
            exponent += 1
            mantissa = Swift.abs(v) / pow10(exponent)
        }
        let expString = (exponent < 0 ? "-" : "+") + (Swift.abs(exponent) < 10 ? "0" : "") + String(Swift.abs(exponent))
        return (v < 0 ? "-" : "") + fixed(mantissa, digits: 4) + "e" + expString
    }

    private func pow10(_ e: Int) -> Double {
        var r = 1.0
        for _ in 0..<Swift.abs(e) { r *= 10 }
        return e < 0 ? 1 / r : r
    }
}

extension Double {
    /// floor(log10(self)) for positive finite values.
    fileprivate var log10Floor: Double {
        var e = 0.0
        var v = self
        while v >= 10 {
            v /= 10
            e += 1
        }
        while v < 1 {
            v *= 10
            e -= 1
        }
        return e
    }
}
