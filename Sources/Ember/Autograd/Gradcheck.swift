/// A failed gradient check: which output and input disagree, and by how much.
public struct GradcheckError: Error, CustomStringConvertible {
    /// PyTorch-style explanation with the numerical and analytical Jacobian entries.
    public let description: String
}

/// Compares autograd's gradients of `function` with central finite differences
/// (`torch.autograd.gradcheck`), using PyTorch's defaults.
///
/// Inputs should be float64 leaves with `requiresGrad`; each Jacobian entry must satisfy
/// `|analytical - numerical| <= atol + rtol * |numerical|`.
///
/// - Returns: `true` when every entry agrees.
/// - Throws: `GradcheckError` naming the first output/input pair that disagrees.
@discardableResult
public func gradcheck(
    _ function: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
    rtol: Double = 1e-3
) throws(GradcheckError) -> Bool {
    let output = function(inputs)
    let outCount = output.count
    let differentiable = inputs.enumerated().filter { $0.element.requiresGrad }
    for (i, input) in differentiable {
        // Numerical Jacobian column by column.
        var numerical = [[Double]](repeating: [Double](repeating: 0, count: outCount), count: input.count)
        for j in 0..<input.count {
            let offset = input.elementOffset(linear: j)
            let original = Tensor.readElement(input.storage, offset)
            input.writeElement(offset: offset, original + eps)
            let plus = function(inputs).scalars
            input.writeElement(offset: offset, original - eps)
            let minus = function(inputs).scalars
            input.writeElement(offset: offset, original)
            for k in 0..<outCount { numerical[j][k] = (plus[k] - minus[k]) / (2 * eps) }
        }
        // Analytical Jacobian row by row (one vector-Jacobian product per output element).
        for k in 0..<outCount {
            let seed = Tensor.zeros(output.shape, dtype: output.dtype)
            seed.writeElement(offset: k, 1)
            let g =
                grad(of: [output], withRespectTo: [input], gradOutputs: [seed], retainGraph: true, allowUnused: true)[0]
            let row = g?.scalars ?? [Double](repeating: 0, count: input.count)
            for j in 0..<input.count {
                let a = row[j]
                let n = numerical[j][k]
                if !(Swift.abs(a - n) <= atol + rtol * Swift.abs(n)) {
                    throw GradcheckError(
                        description:
                            "Jacobian mismatch for output 0 with respect to input \(i),\nnumerical:\(n)\nanalytical:\(a)\n(at output element \(k), input element \(j))"
                    )
                }
            }
        }
    }
    return true
}

extension Tensor {
    /// Storage offset of the `linear`-th element in row-major order.
    func elementOffset(linear: Int) -> Int {
        var rest = linear
        var offset = storageOffset
        for d in Swift.stride(from: dim - 1, through: 0, by: -1) {
            offset += (rest % shape[d]) * strides[d]
            rest /= shape[d]
        }
        return offset
    }

    /// Writes one element at a storage offset, bypassing autograd and version counting.
    func writeElement(offset: Int, _ value: Double) {
        switch dtype {
        case .float32: storage.pointer(as: Float.self)[offset] = Float(value)
        case .float64: storage.pointer(as: Double.self)[offset] = value
        case .int64: storage.pointer(as: Int64.self)[offset] = Int64(fromDouble: value)
        case .bool: storage.pointer(as: Bool.self)[offset] = value != 0
        }
    }
}
