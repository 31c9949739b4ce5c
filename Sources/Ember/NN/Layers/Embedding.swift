/// Embedding lookup: `Embedding` and `F.embedding`.

/// Resolves a possibly negative padding index against `count` rows, as PyTorch does.
private func resolvePaddingIdx(_ paddingIdx: Int?, count: Int) -> Int? {
    guard let paddingIdx else { return nil }
    precondition(paddingIdx >= -count && paddingIdx < count, "Padding_idx must be within num_embeddings")
    return paddingIdx < 0 ? paddingIdx + count : paddingIdx
}

/// Adds each row of `grad` (`[indices.count, dim]`) into row `indices[i]` of `out`, skipping the
/// padding row.
private func accumulateRows<T: FloatScalar>(
    _ out: Tensor, _ grad: Tensor, indices: [Int], dim: Int, paddingIdx: Int?, _: T.Type
) {
    let dst = out.base(T.self)
    let src = grad.base(T.self)
    for (i, row) in indices.enumerated() where row != paddingIdx {
        let d = dst + row * dim
        let s = src + i * dim
        for k in 0..<dim { d[k] += s[k] }
    }
}

extension F {
    /// Rows of `weight` (`[numEmbeddings, dim]`) picked by an int64 `input` of any shape, giving
    /// `input.shape + [dim]` (`F.embedding`). The row `paddingIdx` receives no gradient.
    public static func embedding(_ input: Tensor, _ weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
        precondition(
            input.dtype == .int64,
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.\(input.dtype.pytorchName)Tensor instead (while checking arguments for embedding)"
        )
        precondition(weight.dim == 2, "'weight' must be 2-D")
        let rows = weight.shape[0]
        let dim = weight.shape[1]
        let padding = resolvePaddingIdx(paddingIdx, count: rows)
        let indices = input.toArray(as: Int64.self).map { raw in
            precondition(raw >= 0 && raw < rows, "index out of range in self")
            return Int(raw)
        }
        let table = weight.detach().contiguous()
        let out = Tensor(empty: input.shape + [dim], dtype: weight.dtype, zeroed: false)
        let rowBytes = dim * weight.dtype.itemSize
        let src = table.storage.data + table.storageOffset * weight.dtype.itemSize
        for (i, row) in indices.enumerated() {
            (out.storage.data + i * rowBytes).copyMemory(from: src + row * rowBytes, byteCount: rowBytes)
        }
        let dtype = weight.dtype
        return Tensor.record("EmbeddingBackward0", output: out, inputs: [weight], saving: [input]) { g, _ in
            let grad = g.detach().to(dtype).contiguous()
            let gradWeight = Tensor.zeros([rows, dim], dtype: dtype)
            switch dtype {
            case .float32: accumulateRows(gradWeight, grad, indices: indices, dim: dim, paddingIdx: padding, Float.self)
            case .float64:
                accumulateRows(gradWeight, grad, indices: indices, dim: dim, paddingIdx: padding, Double.self)
            default: fatalError("embedding_backward: weight must be floating point")
            }
            return [gradWeight]
        }
    }
}

/// A lookup table of `numEmbeddings` vectors of size `embeddingDim` (`nn.Embedding`), initialised
/// from N(0, 1) with the `paddingIdx` row zeroed; that row receives no gradient.
public final class Embedding: Module {
    /// The number of rows.
    public let numEmbeddings: Int
    /// The size of each vector.
    public let embeddingDim: Int
    /// The row kept at zero and excluded from gradients (non-negative once resolved), if any.
    public let paddingIdx: Int?
    /// The table, `[numEmbeddings, embeddingDim]`.
    public let weight: Tensor

    /// An embedding table; a negative `paddingIdx` counts from the end, as in PyTorch.
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, dtype: DType = .float32) {
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = resolvePaddingIdx(paddingIdx, count: numEmbeddings)
        weight = Parameter(Tensor.zeros([numEmbeddings, embeddingDim], dtype: dtype))
        super.init()
        Init.normal(weight)
        if let row = self.paddingIdx { noGrad { _ = weight.detach()[row].fill(0) } }
    }

    /// The vectors of the int64 indices in `input`, shaped `input.shape + [embeddingDim]`.
    override public func forward(_ input: Tensor) -> Tensor { F.embedding(input, weight, paddingIdx: paddingIdx) }

    /// `10, 3, padding_idx=0`.
    override public var extraRepr: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
