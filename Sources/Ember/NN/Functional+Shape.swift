/// Padding and vector normalisation in the functional API: `F.pad`, `F.normalize`,
/// `F.cosineSimilarity`.

extension F {
    /// Pads (or, with negative sizes in `"constant"` mode, crops) the trailing dimensions of `x`
    /// (`F.pad`). `pad` lists `(before, after)` pairs starting from the last dimension, as in
    /// PyTorch: `[left, right, top, bottom, ...]`. `mode` is `"constant"` (filled with `value`),
    /// `"reflect"`, `"replicate"` or `"circular"`.
    public static func pad(_ x: Tensor, pad: [Int], mode: String = "constant", value: Double = 0) -> Tensor {
        precondition(pad.count % 2 == 0, "Padding length must be divisible by 2")
        precondition(
            pad.count / 2 <= x.dim,
            "Padding length should be less than or equal to two times the input dimension but got padding length \(pad.count) and input of dimension \(x.dim)"
        )
        let padded = pad.count / 2
        // Pairs in dimension order, first padded dimension first.
        let before = (0..<padded).reversed().map { pad[2 * $0] }
        let after = (0..<padded).reversed().map { pad[2 * $0 + 1] }
        switch mode {
        case "constant": return constantPad(x, before: before, after: after, value: value)
        case "reflect", "replicate", "circular":
            precondition(
                (1...2).contains(x.dim - padded) && padded <= 3,
                "Padding size \(pad.count) is not supported for \(x.dim)D input tensor."
            )
            return spatialPad(x, before: before, after: after, mode: mode)
        default:
            fatalError("Unrecognised padding mode \(mode)")
        }
    }

    /// Constant padding: negative sizes crop, positive ones concatenate blocks of `value`.
    private static func constantPad(_ x: Tensor, before: [Int], after: [Int], value: Double) -> Tensor {
        var result = x
        let first = x.dim - before.count
        for i in before.indices.reversed() {
            let dim = first + i
            let size = result.shape[dim]
            let (lo, hi) = (before[i], after[i])
            if lo < 0 || hi < 0 {
                result = result.slice(dim: dim, start: Swift.max(-lo, 0), end: size - Swift.max(-hi, 0))
            }
            func block(_ count: Int) -> Tensor {
                var blockShape = result.shape
                blockShape[dim] = count
                return Tensor.full(blockShape, value, dtype: x.dtype)
            }
            let pieces = (lo > 0 ? [block(lo)] : []) + [result] + (hi > 0 ? [block(hi)] : [])
            if pieces.count > 1 { result = Tensor.cat(pieces, dim: dim) }
        }
        return result
    }

    /// `x / max(‖x‖_p, eps)` along `dim` (`F.normalize`).
    public static func normalize(_ x: Tensor, p: Double = 2, dim: Int = 1, eps: Double = 1e-12) -> Tensor {
        x / x.norm(p: p, dim: [dim], keepdim: true).clampMin(eps)
    }

    /// Cosine of the angle between `x1` and `x2` along `dim`, each norm clamped below at `eps`
    /// (`F.cosine_similarity`).
    public static func cosineSimilarity(_ x1: Tensor, _ x2: Tensor, dim: Int = 1, eps: Double = 1e-8) -> Tensor {
        let n1 = x1.norm(p: 2, dim: [dim], keepdim: true).clampMin(eps)
        let n2 = x2.norm(p: 2, dim: [dim], keepdim: true).clampMin(eps)
        return ((x1 / n1) * (x2 / n2)).sum(dim: dim)
    }
}
