/// `max`/`min` (values and indices), `argmax`/`argmin` and `amax`/`amin`, NaN-propagating and
/// first-occurrence on ties, as in PyTorch.

/// Index of the extreme element of each reduction group: greatest when `greatest`, NaN wins.
private func extremeIndices(_ layout: ReductionLayout, greatest: Bool) -> [Int] {
    func scan<T: NumericScalar>(_: T.Type) -> [Int] {
        let p = layout.data.base(T.self)
        let n = layout.inner
        return (0..<layout.outer).map { o in
            let s = p + o * n
            var best = 0
            for i in 1..<Swift.max(n, 1) {
                let v = s[i]
                let b = s[best]
                if b != b { break }  // NaN already found
                if v != v || (greatest ? v > b : v < b) { best = i }
            }
            return best
        }
    }
    switch layout.data.dtype {
    case .float32: return scan(Float.self)
    case .float64: return scan(Double.self)
    case .int64: return scan(Int64.self)
    case .bool: return extremeIndices(ReductionLayout(layout.data.to(.int64), dims: nil), greatest: greatest)
    }
}

extension Tensor {
    private func extreme(dim: Int, keepdim: Bool, greatest: Bool) -> (values: Tensor, indices: Tensor) {
        let d = normalizeDim(dim, self.dim)
        precondition(
            self.dim == 0 || shape[d] > 0,
            "\(greatest ? "max" : "min")(): Expected reduction dim \(d) to have non-zero size.")
        let layout = ReductionLayout(self, dims: [d])
        let idx = extremeIndices(layout, greatest: greatest)
        let indices = Tensor(shape: layout.shape(keepdim: keepdim), scalars: idx.map { Int64($0) })
        let keptIndices = keepdim ? indices : indices.reshape(layout.keptShape)
        let values = noGrad { self.detach().gather(dim: d, index: keptIndices) }
        let out = keepdim || self.dim == 0 ? values : values.squeeze(dim: d)
        let inputShape = shape
        let name = greatest ? "MaxBackward0" : "MinBackward0"
        let recorded = Tensor.record(name, output: out, inputs: [self]) { g, _ in
            let kept = keepdim ? g : g.reshape(layout.keptShape)
            return [Tensor.zeros(inputShape, dtype: g.dtype).scatter(dim: d, index: keptIndices, src: kept)]
        }
        return (recorded, indices)
    }

    /// Largest values along `dim` and their indices (`max(dim)`).
    public func max(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(dim: dim, keepdim: keepdim, greatest: true)
    }

    /// Smallest values along `dim` and their indices (`min(dim)`).
    public func min(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(dim: dim, keepdim: keepdim, greatest: false)
    }

    /// The largest element (`max()`); the gradient is shared evenly among ties.
    public func max() -> Tensor { amax(dim: Array(0..<dim), keepdim: false) }

    /// The smallest element (`min()`); the gradient is shared evenly among ties.
    public func min() -> Tensor { amin(dim: Array(0..<dim), keepdim: false) }

    /// Index of the largest element of the flattened tensor, or along `dim` (`argmax`).
    public func argmax(dim: Int? = nil, keepdim: Bool = false) -> Tensor {
        guard let dim else { return reshape([-1]).max(dim: 0).indices }
        return max(dim: dim, keepdim: keepdim).indices
    }

    /// Index of the smallest element of the flattened tensor, or along `dim` (`argmin`).
    public func argmin(dim: Int? = nil, keepdim: Bool = false) -> Tensor {
        guard let dim else { return reshape([-1]).min(dim: 0).indices }
        return min(dim: dim, keepdim: keepdim).indices
    }

    /// Largest values over `dim` (`amax`); the gradient is shared evenly among ties.
    public func amax(dim: [Int], keepdim: Bool = false) -> Tensor { aExtreme(dim, keepdim, greatest: true) }

    /// Smallest values over `dim` (`amin`); the gradient is shared evenly among ties.
    public func amin(dim: [Int], keepdim: Bool = false) -> Tensor { aExtreme(dim, keepdim, greatest: false) }

    private func aExtreme(_ dims: [Int], _ keepdim: Bool, greatest: Bool) -> Tensor {
        precondition(
            count > 0,
            "\(greatest ? "max" : "min")(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
        )
        let layout = ReductionLayout(self, dims: dims)
        let idx = extremeIndices(layout, greatest: greatest)
        let flat = noGrad { layout.data.reshape([layout.outer, layout.inner]) }
        let picked = noGrad {
            flat.gather(dim: 1, index: Tensor(shape: [layout.outer, 1], scalars: idx.map { Int64($0) }))
        }
        let out = picked.reshape(layout.shape(keepdim: keepdim))
        let saved = out.detach()
        let inputShape = shape
        let name = greatest ? "AmaxBackward0" : "AminBackward0"
        return Tensor.record(name, output: out, inputs: [self], saving: [self, saved]) { g, _ in
            let value = self.expandReduced(saved, layout, keepdim: keepdim, to: inputShape)
            let mask = (self.detach() .== value).to(g.dtype)
            let ties = mask.sum(dim: layout.dims, keepdim: true)
            return [self.expandReduced(g, layout, keepdim: keepdim, to: inputShape) * mask / ties]
        }
    }
}
