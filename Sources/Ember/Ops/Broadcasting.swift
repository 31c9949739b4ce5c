/// Shape rules shared by elementwise ops: broadcasting and type promotion.

/// The broadcast shape of two shapes, with PyTorch's error message when they are incompatible.
func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int] {
    if a == b { return a }
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        precondition(
            da == db || da == 1 || db == 1,
            "The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i)"
        )
        out[i] = da == 1 ? db : da
    }
    return out
}

/// The dtype of an op on `tensors`, following `torch.result_type`: dimensioned tensors take
/// priority over 0-dim tensors, which take priority over Swift numbers, unless a lower-priority
/// operand is of a higher category (bool < integer < floating point).
func resultType(_ a: Tensor, _ b: Tensor) -> DType {
    if a.dtype == b.dtype { return a.dtype }
    return resultType([a, b])
}

/// `resultType` of any number of tensors.
func resultType(_ tensors: [Tensor]) -> DType {
    var dimResult: DType?
    var zeroResult: DType?
    var wrappedResult: DType?
    func merge(_ slot: inout DType?, _ t: DType) { slot = slot.map { DType.promote($0, t) } ?? t }
    for t in tensors {
        if t.isWrappedNumber {
            // A Swift number counts as the default type of its category (float32 for Double).
            merge(&wrappedResult, t.dtype.isFloatingPoint ? .float32 : t.dtype)
        } else if t.dim == 0 {
            merge(&zeroResult, t.dtype)
        } else {
            merge(&dimResult, t.dtype)
        }
    }
    return combineCategories(dimResult, combineCategories(zeroResult, wrappedResult))!
}

/// PyTorch's `combine_categories`: the higher-priority type wins unless the lower one is of a
/// higher category.
private func combineCategories(_ higher: DType?, _ lower: DType?) -> DType? {
    guard let higher else { return lower }
    guard let lower else { return higher }
    if higher.isFloatingPoint { return higher }
    if higher == .bool || lower.isFloatingPoint { return DType.promote(higher, lower) }
    return higher
}

extension Tensor {
    /// Sums a broadcast gradient back to `target` (the inverse of broadcasting `target` to `shape`).
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = dim - target.count
        var dims = Array(0..<lead)
        for (i, s) in target.enumerated() where s == 1 && shape[lead + i] != 1 {
            dims.append(lead + i)
        }
        var r = dims.isEmpty ? self : sum(dim: dims, keepdim: true)
        if lead > 0 || r.shape != target { r = r.reshape(target) }
        return r
    }
}
