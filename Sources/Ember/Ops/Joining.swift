/// Joining and splitting along a dimension: `cat`, `stack`, `split`, `chunk`.
extension Tensor {
    /// Concatenates tensors along an existing dimension (`torch.cat`); dtypes are promoted.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "torch.cat(): expected a non-empty list of Tensors")
        let first = tensors[0]
        let d = normalizeDim(dim, first.dim)
        for (i, t) in tensors.enumerated() {
            precondition(
                t.dim == first.dim,
                "Tensors must have same number of dimensions: got \(first.dim) and \(t.dim)")
            for k in 0..<first.dim where k != d {
                precondition(
                    t.shape[k] == first.shape[k],
                    "Sizes of tensors must match except in dimension \(d). Expected size \(first.shape[k]) but got size \(t.shape[k]) for tensor number \(i) in the list."
                )
            }
        }
        let dtype = tensors.dropFirst().reduce(first.dtype) { DType.promote($0, $1.dtype) }
        var shape = first.shape
        shape[d] = tensors.reduce(0) { $0 + $1.shape[d] }
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        var offset = 0
        var ranges: [(Int, Int)] = []
        for t in tensors {
            let n = t.shape[d]
            copyElements(into: out.detach().narrow(dim: d, start: offset, length: n), from: t)
            ranges.append((offset, n))
            offset += n
        }
        return Tensor.record("CatBackward0", output: out, inputs: tensors) { g, needs in
            ranges.enumerated().map { i, r in needs[i] ? g.narrow(dim: d, start: r.0, length: r.1) : nil }
        }
    }

    /// Stacks same-shaped tensors along a new dimension (`torch.stack`).
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack expects a non-empty TensorList")
        for (i, t) in tensors.enumerated() where t.shape != tensors[0].shape {
            fatalError(
                "stack expects each tensor to be equal size, but got \(tensors[0].shape) at entry 0 and \(t.shape) at entry \(i)"
            )
        }
        let d = normalizeDim(dim, tensors[0].dim + 1)
        return cat(tensors.map { $0.unsqueeze(d) }, dim: d)
    }

    /// Splits into views of `splitSize` along `dim` (the last may be smaller) (`split`).
    public func split(_ splitSize: Int, dim: Int = 0) -> [Tensor] {
        precondition(splitSize > 0, "split expects split_size be non-negative, but got split_size=\(splitSize)")
        let d = normalizeDim(dim, self.dim)
        let sizes = Swift.stride(from: 0, to: shape[d], by: splitSize).map { Swift.min(splitSize, shape[d] - $0) }
        return split(sizes: sizes.isEmpty ? [0] : sizes, dim: d)
    }

    /// Splits into views of the given sizes along `dim` (`split([2, 3])`).
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let d = normalizeDim(dim, self.dim)
        precondition(
            sizes.reduce(0, +) == shape[d],
            "split_with_sizes expects split_sizes to sum exactly to \(shape[d]) (input tensor's size at dimension \(d)), but got split_sizes=\(sizes)"
        )
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return narrow(dim: d, start: start, length: n)
        }
    }

    /// Splits into `chunks` views of nearly equal size along `dim` (`chunk`).
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        precondition(chunks > 0, "chunk expects `chunks` to be greater than 0, got: \(chunks)")
        let d = normalizeDim(dim, self.dim)
        return split(Swift.max(1, (shape[d] + chunks - 1) / chunks), dim: d)
    }
}
