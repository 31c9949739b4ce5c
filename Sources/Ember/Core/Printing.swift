/// `description` in PyTorch's format (`torch/_tensor_str.py`): `tensor([[1.5000, 2.0000]],
/// grad_fn=<AddBackward0>)`, with the same choice of integer, fixed or scientific notation, the
/// same line wrapping at 80 columns, and `...` summaries above 1000 elements.
extension Tensor: CustomStringConvertible {
    /// PyTorch's repr of the tensor.
    public var description: String {
        let values = noGrad { detach().contiguous() }
        let summarize = count > 1000
        let formatter = ScalarFormatter(values: summarizedValues(values, summarize: summarize), dtype: dtype)
        let indent = 7  // "tensor("
        var body: String
        if dim == 0 {
            body = formatter.format(values.scalars[0])
        } else {
            body = TensorText(values: values.scalars, shape: shape, formatter: formatter, summarize: summarize)
                .block(level: 0, offset: 0, indent: indent)
        }
        var suffixes: [String] = []
        if count == 0 && shape != [0] {
            body = "[]"
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

    /// The elements the formatter looks at: all of them, or only the edges when summarising.
    private func summarizedValues(_ t: Tensor, summarize: Bool) -> [Double] {
        guard summarize, t.dim > 0 else { return t.scalars }
        let n = t.shape[0]
        let rows = n > 6 ? Array(0..<3) + Array((n - 3)..<n) : Array(0..<n)
        return rows.flatMap { summarizedValues(t.select(dim: 0, index: $0), summarize: true) }
    }
}

/// Lays out nested brackets like `_tensor_str_with_formatter`.
private struct TensorText {
    let values: [Double]
    let shape: [Int]
    let formatter: ScalarFormatter
    let summarize: Bool
    static let edgeItems = 3
    static let lineWidth = 80

    func block(level: Int, offset: Int, indent: Int) -> String {
        let size = shape[level]
        let step = shape[(level + 1)...].reduce(1, *)
        let elided = summarize && size > 2 * Self.edgeItems
        let indices =
            elided ? Array(0..<Self.edgeItems) + [-1] + Array((size - Self.edgeItems)..<size) : Array(0..<size)
        if level == shape.count - 1 {
            let items = indices.map { $0 < 0 ? " ..." : formatter.format(values[offset + $0]) }
            let perLine = Swift.max(1, (Self.lineWidth - indent) / (formatter.width + 2))
            let lines = Swift.stride(from: 0, to: items.count, by: perLine).map {
                items[$0..<Swift.min($0 + perLine, items.count)].joined(separator: ", ")
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        let parts = indices.map { i in
            i < 0 ? "..." : block(level: level + 1, offset: offset + i * step, indent: indent + 1)
        }
        let separator =
            "," + String(repeating: "\n", count: shape.count - level - 1) + String(repeating: " ", count: indent + 1)
        return "[" + parts.joined(separator: separator) + "]"
    }
}

/// One number format for all elements, chosen like PyTorch's `_Formatter`.
private struct ScalarFormatter {
    private enum Mode { case plain, integer, fixed, scientific }
    private let mode: Mode
    private let dtype: DType
    /// The width every element is right-aligned to.
    private(set) var width = 1

    init(values: [Double], dtype: DType) {
        self.dtype = dtype
        guard dtype.isFloatingPoint else {
            mode = .plain
            width = values.map { ScalarFormatter.plain($0, dtype).count }.max() ?? 1
            return
        }
        let nonzero = values.filter { $0.isFinite && $0 != 0 }
        guard !nonzero.isEmpty else {
            mode = .integer
            return
        }
        let magnitudes = nonzero.map { Swift.abs($0) }
        let maxValue = magnitudes.max()!
        let minValue = magnitudes.min()!
        let integral = nonzero.allSatisfy { $0 == $0.rounded(.up) }
        let scientific = maxValue / minValue > 1000 || maxValue > 1e8 || (!integral && minValue < 1e-4)
        mode = scientific ? .scientific : (integral ? .integer : .fixed)
        let probe = ScalarFormatter(mode: mode, dtype: dtype)
        width = nonzero.map { probe.raw($0).count }.max()!
    }

    private init(mode: Mode, dtype: DType) {
        self.mode = mode
        self.dtype = dtype
    }

    private static func plain(_ v: Double, _ dtype: DType) -> String {
        dtype == .bool ? (v != 0 ? "True" : "False") : String(Int64(v))
    }

    private func raw(_ v: Double) -> String {
        if mode == .plain { return ScalarFormatter.plain(v, dtype) }
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        switch mode {
        case .integer: return fixed(v, digits: 0) + "."
        case .fixed: return fixed(v, digits: 4)
        default: return scientific(v)
        }
    }

    func format(_ v: Double) -> String {
        let s = raw(v)
        return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
    }

    /// `"{:.Nf}"` with round-half-even on the decimal value, as Python formats.
    private func fixed(_ v: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (Swift.abs(v) * scale).rounded(.toNearestOrEven)
        let whole = (rounded / scale).rounded(.down)
        let fraction = Int64(rounded - whole * scale)
        let sign = v < 0 && rounded != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(Int64(whole)) }
        let fractionText = String(fraction)
        return sign + String(Int64(whole)) + "." + String(repeating: "0", count: digits - fractionText.count)
            + fractionText
    }

    /// `"{:.4e}"`.
    private func scientific(_ v: Double) -> String {
        if v == 0 { return "0.0000e+00" }
        let magnitude = Swift.abs(v)
        var exponent = 0
        var mantissa = magnitude
        while mantissa >= 10 {
            mantissa /= 10
            exponent += 1
        }
        while mantissa < 1 {
            mantissa *= 10
            exponent -= 1
        }
        if (mantissa * 10_000).rounded(.toNearestOrEven) >= 100_000 {
            mantissa /= 10
            exponent += 1
        }
        let exponentText =
            (exponent < 0 ? "-" : "+") + (Swift.abs(exponent) < 10 ? "0" : "") + String(Swift.abs(exponent))
        return (v < 0 ? "-" : "") + fixed(mantissa, digits: 4) + "e" + exponentText
    }
}
