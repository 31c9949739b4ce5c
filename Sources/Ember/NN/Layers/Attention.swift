/// Multi-head attention and the Transformer encoder layer (`nn.MultiheadAttention`,
/// `nn.TransformerEncoderLayer`), composed from differentiable tensor ops.

/// The output projection of `MultiheadAttention`: a `Linear` under PyTorch's class name
/// (`NonDynamicallyQuantizableLinear`), so reprs match.
public final class NonDynamicallyQuantizableLinear: Linear {}

/// Multi-head scaled dot-product attention (`nn.MultiheadAttention`) with PyTorch's parameters:
/// `in_proj_weight` `[3E, E]` (query, key and value projections stacked), `in_proj_bias` `[3E]`
/// and the `out_proj` linear layer.
public final class MultiheadAttention: Module {
    /// Model width `E`.
    public let embedDim: Int
    /// Number of heads; `embedDim` is split evenly among them.
    public let numHeads: Int
    /// Dropout probability on the attention weights (training only).
    public let dropout: Double
    /// Whether inputs are `[N, L, E]` rather than `[L, N, E]`.
    public let batchFirst: Bool
    /// Stacked query, key and value projection weights, `[3E, E]`.
    public let inProjWeight: Tensor
    /// Stacked projection biases, `[3E]`, or `nil` without bias.
    public let inProjBias: Tensor?
    /// The output projection.
    public let outProj: NonDynamicallyQuantizableLinear

    /// Maps Swift names to PyTorch's state keys.
    override public class var stateKeyOverrides: [String: String] {
        ["inProjWeight": "in_proj_weight", "inProjBias": "in_proj_bias", "outProj": "out_proj"]
    }

    /// An attention layer; `in_proj_weight` is Xavier-uniform, biases are zero, as in PyTorch.
    public init(
        _ embedDim: Int, _ numHeads: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false,
        dtype: DType = .float32
    ) {
        precondition(embedDim % numHeads == 0, "embed_dim must be divisible by num_heads")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        inProjWeight = Parameter(Tensor.zeros([3 * embedDim, embedDim], dtype: dtype))
        inProjBias = bias ? Parameter(Tensor.zeros([3 * embedDim], dtype: dtype)) : nil
        outProj = NonDynamicallyQuantizableLinear(embedDim, embedDim, bias: bias, dtype: dtype)
        super.init()
        Init.xavierUniform(inProjWeight)
        if let b = outProj.bias { Init.zeros(b) }
    }

    /// Attention of `query` over `key`/`value` (each `[L, N, E]`, `[N, L, E]` with `batchFirst`,
    /// or unbatched `[L, E]`). `keyPaddingMask` `[N, S]` and `attnMask` `[L, S]` or `[N·H, L, S]`
    /// are boolean (true = not attended) or float (added to the scores). Returns the output and,
    /// when `needWeights`, the attention weights `[N, L, S]` (averaged over heads) or
    /// `[N, H, L, S]`.
    public func callAsFunction(
        _ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil, needWeights: Bool = true,
        attnMask: Tensor? = nil, averageAttnWeights: Bool = true
    ) -> (output: Tensor, weights: Tensor?) {
        let batched = query.dim == 3
        func seqFirst(_ t: Tensor) -> Tensor { batched ? (batchFirst ? t.transpose(0, 1) : t) : t.unsqueeze(1) }
        let (q, k, v) = (seqFirst(query), seqFirst(key), seqFirst(value))
        let (tgtLen, batch, sourceLen) = (q.shape[0], q.shape[1], k.shape[0])
        let headDim = embedDim / numHeads
        func project(_ x: Tensor, _ i: Int) -> Tensor {
            let w = inProjWeight.narrow(dim: 0, start: i * embedDim, length: embedDim)
            let b = inProjBias?.narrow(dim: 0, start: i * embedDim, length: embedDim)
            // [T, N, E] -> [N·H, T, hd]
            return F.linear(x, w, bias: b).reshape([x.shape[0], batch * numHeads, headDim]).transpose(0, 1)
        }
        let (qh, kh, vh) = (project(q, 0), project(k, 1), project(v, 2))
        var scores = (qh * (1 / Double(headDim)).squareRoot()).bmm(kh.transpose(1, 2))
        if let mask = mergedMask(attnMask, keyPaddingMask, batch: batch, tgtLen: tgtLen, sourceLen: sourceLen) {
            scores = scores + mask
        }
        let weights = F.dropout(scores.softmax(dim: -1), p: dropout, training: isTraining)
        let attended = weights.bmm(vh).transpose(0, 1).reshape([tgtLen * batch, embedDim])
        var output = outProj(attended).reshape([tgtLen, batch, embedDim])
        output = batched ? (batchFirst ? output.transpose(0, 1) : output) : output.squeeze(dim: 1)
        guard needWeights else { return (output, nil) }
        var w = weights.reshape([batch, numHeads, tgtLen, sourceLen])
        if averageAttnWeights { w = w.mean(dim: 1) }
        return (output, batched ? w : w.squeeze(dim: 0))
    }

    /// The additive mask `[N·H or 1, L, S]` from the attention and key padding masks.
    private func mergedMask(_ attnMask: Tensor?, _ keyPaddingMask: Tensor?, batch: Int, tgtLen: Int, sourceLen: Int)
        -> Tensor?
    {
        func additive(_ m: Tensor) -> Tensor {
            m.dtype == .bool ? Tensor.zeros(m.shape, dtype: inProjWeight.dtype).maskedFill(m, value: -.infinity) : m
        }
        var mask = attnMask.map { m -> Tensor in
            let shaped = m.dim == 2 ? m.unsqueeze(0) : m
            precondition(
                shaped.shape == [1, tgtLen, sourceLen] || shaped.shape == [batch * numHeads, tgtLen, sourceLen],
                "The shape of the attn_mask is \(m.shape), but should be (\(tgtLen), \(sourceLen)).")
            return additive(shaped)
        }
        if let kpm = keyPaddingMask {
            let padding = additive(kpm.reshape([batch, 1, 1, sourceLen]))
                .expand([batch, numHeads, 1, sourceLen]).reshape([batch * numHeads, 1, sourceLen])
            mask = mask.map { $0 + padding } ?? padding
        }
        return mask
    }

    /// Self-attention of `input` without masks; the output only.
    override public func forward(_ input: Tensor) -> Tensor { self(input, input, input, needWeights: false).output }
}

/// One Transformer encoder block (`nn.TransformerEncoderLayer`): self-attention and a
/// feed-forward network, each with a residual connection and layer norm (after, or before with
/// `normFirst`).
public final class TransformerEncoderLayer: Module {
    /// Self-attention.
    public let selfAttn: MultiheadAttention
    /// First feed-forward layer, `dModel → dimFeedforward`.
    public let linear1: Linear
    /// Dropout inside the feed-forward network.
    public let dropout: Dropout
    /// Second feed-forward layer, `dimFeedforward → dModel`.
    public let linear2: Linear
    /// Whether layer norms come before each block (pre-norm).
    public let normFirst: Bool
    /// Layer norm of the attention block.
    public let norm1: LayerNorm
    /// Layer norm of the feed-forward block.
    public let norm2: LayerNorm
    /// Dropout on the attention output.
    public let dropout1: Dropout
    /// Dropout on the feed-forward output.
    public let dropout2: Dropout
    /// `"relu"` or `"gelu"`.
    public let activation: String

    /// Maps Swift names to PyTorch's state keys.
    override public class var stateKeyOverrides: [String: String] { ["selfAttn": "self_attn"] }

    /// An encoder layer with PyTorch's arguments and defaults.
    public init(
        _ dModel: Int, _ nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: String = "relu",
        layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true
    ) {
        precondition(
            activation == "relu" || activation == "gelu",
            "activation should be relu/gelu, not \(activation)")
        selfAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst)
        linear1 = Linear(dModel, dimFeedforward, bias: bias)
        self.dropout = Dropout(p: dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias)
        self.normFirst = normFirst
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        dropout1 = Dropout(p: dropout)
        dropout2 = Dropout(p: dropout)
        self.activation = activation
        super.init()
    }

    /// The encoded `src` (`[S, N, E]`, or `[N, S, E]` with `batchFirst`); `srcMask` `[S, S]` and
    /// `srcKeyPaddingMask` `[N, S]` as for `MultiheadAttention`.
    public func callAsFunction(_ src: Tensor, srcMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil) -> Tensor {
        func attention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: srcKeyPaddingMask, needWeights: false, attnMask: srcMask).output)
        }
        func feedForward(_ x: Tensor) -> Tensor {
            let hidden = linear1(x)
            return dropout2(linear2(dropout(activation == "gelu" ? F.gelu(hidden) : F.relu(hidden))))
        }
        if normFirst {
            let x = src + attention(norm1(src))
            return x + feedForward(norm2(x))
        }
        let x = norm1(src + attention(src))
        return norm2(x + feedForward(x))
    }

    /// The encoded input, without masks.
    override public func forward(_ input: Tensor) -> Tensor { self(input) }
}
