/// Elementwise loops over strided, broadcast operands. Every elementwise op funnels through these
/// few functions; the contiguous case is a plain unit-stride loop the optimiser vectorises, split
/// across the cores when the tensor is large (`parallelRanges`).
extension Tensor {
    /// Typed pointer to this view's first element; `T` must match `dtype`.
    @inline(__always)
    func base<T: TensorScalar>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.pointer(as: T.self) + storageOffset
    }

    /// Whether every element is the same memory location: one element, or one element expanded
    /// (all strides 0, as the gradient of a full reduction). Kernels read it as a scalar.
    var isSingleValue: Bool { count == 1 || strides.allSatisfy { $0 == 0 } }

    /// This view's strides as seen from a larger broadcast `shape` (0 on broadcast dimensions).
    func broadcastStrides(to target: [Int]) -> [Int] {
        let lead = target.count - shape.count
        precondition(lead >= 0, "cannot broadcast shape \(shape) to \(target)")
        return (0..<target.count).map { d in
            d < lead || shape[d - lead] == 1 ? 0 : strides[d - lead]
        }
    }
}

/// Runs `body(operands, range)` over `0..<count`, split across cores when `count` is large. The
/// loop body takes the operands as an argument rather than capturing them, so that it captures
/// only the element function, which the optimiser then inlines into a vectorised loop.
@inline(__always)
private func elementwise<Operands>(_ count: Int, _ operands: Operands, _ body: (Operands, Range<Int>) -> Void) {
    if count < parallelWorkThreshold {  // inline, without the capture `parallelRanges` needs
        body(operands, 0..<count)
        return
    }
    parallelRanges(count, work: count, partsPerCore: finePartsPerCore) { range in body(operands, range) }
}

/// `out[i] = f(a[i])`, with `a` broadcast to `out`'s shape.
func map1<A: TensorScalar, R: TensorScalar>(into out: Tensor, _ a: Tensor, _ f: (A) -> R) {
    if out.isContiguous && a.isContiguous && a.shape == out.shape {
        let o = out.base(R.self)
        let x = a.base(A.self)
        elementwise(out.count, (o, x)) { p, range in
            for i in range { p.0[i] = f(p.1[i]) }
        }
        return
    }
    if out.isContiguous && a.isSingleValue && out.count > 0 {
        fill(out, f(a.base(A.self)[0]))
        return
    }
    let loop = StridedLoop(shape: out.shape, strides: [out.strides, a.broadcastStrides(to: out.shape)])
    let po = out.base(R.self)
    let pa = a.base(A.self)
    stridedRuns(loop, writing: out, reading: [a], (po, pa)) { p, off, n, st in
        let o = p.0 + off[0]
        let x = p.1 + off[1]
        if st[0] == 1 && st[1] == 1 {
            for i in 0..<n { o[i] = f(x[i]) }
        } else {
            let s0 = st[0]
            let s1 = st[1]
            for i in 0..<n { o[i * s0] = f(x[i * s1]) }
        }
    }
}

/// `out[i] = f(a[i], b[i])`, with `a` and `b` broadcast to `out`'s shape.
func map2<A: TensorScalar, B: TensorScalar, R: TensorScalar>(
    into out: Tensor, _ a: Tensor, _ b: Tensor, _ f: (A, B) -> R
) {
    // Fast paths: contiguous operands of the output's shape, or a single element on either side.
    if out.isContiguous {
        let n = out.count
        let o = out.base(R.self)
        let aFull = a.isContiguous && a.shape == out.shape
        let bFull = b.isContiguous && b.shape == out.shape
        if aFull && bFull {
            let x = a.base(A.self)
            let y = b.base(B.self)
            elementwise(n, (o, x, y)) { p, range in
                for i in range { p.0[i] = f(p.1[i], p.2[i]) }
            }
            return
        }
        if a.isSingleValue && b.isSingleValue {
            if n > 0 { fill(out, f(a.base(A.self)[0], b.base(B.self)[0])) }
            return
        }
        if aFull && b.isSingleValue {
            let x = a.base(A.self)
            let y = b.base(B.self)[0]
            elementwise(n, (o, x, y)) { p, range in
                for i in range { p.0[i] = f(p.1[i], p.2) }
            }
            return
        }
        if bFull && a.isSingleValue {
            let x = a.base(A.self)[0]
            let y = b.base(B.self)
            elementwise(n, (o, x, y)) { p, range in
                for i in range { p.0[i] = f(p.1, p.2[i]) }
            }
            return
        }
    }
    let loop = StridedLoop(
        shape: out.shape,
        strides: [out.strides, a.broadcastStrides(to: out.shape), b.broadcastStrides(to: out.shape)])
    let po = out.base(R.self)
    let pa = a.base(A.self)
    let pb = b.base(B.self)
    stridedRuns(loop, writing: out, reading: [a, b], (po, pa, pb)) { p, off, n, st in
        let o = p.0 + off[0]
        let x = p.1 + off[1]
        let y = p.2 + off[2]
        let s0 = st[0]
        let s1 = st[1]
        let s2 = st[2]
        if s0 == 1 && s1 == 1 && s2 == 1 {
            for i in 0..<n { o[i] = f(x[i], y[i]) }
        } else if s0 == 1 && s1 == 1 && s2 == 0 {
            let yv = y[0]
            for i in 0..<n { o[i] = f(x[i], yv) }
        } else if s0 == 1 && s1 == 0 && s2 == 1 {
            let xv = x[0]
            for i in 0..<n { o[i] = f(xv, y[i]) }
        } else {
            for i in 0..<n { o[i * s0] = f(x[i * s1], y[i * s2]) }
        }
    }
}

/// Calls `body(operands, offsets, runLength, innerStrides)` for every run of `loop`, whose first
/// operand is `out`: split across cores when the loop is large and `out` can be written from
/// several threads at once (each of its elements once, and no input sharing its memory), else in
/// order on this thread. As in `elementwise`, the body takes the operands as an argument so that
/// it captures only the element function, which the optimiser then inlines.
@inline(__always)
private func stridedRuns<Operands>(
    _ loop: StridedLoop, writing out: Tensor, reading inputs: [Tensor], _ operands: Operands,
    _ body: (Operands, UnsafeMutableBufferPointer<Int>, Int, UnsafeBufferPointer<Int>) -> Void
) {
    guard loop.count >= parallelWorkThreshold, loop.visitsEachElementOnce(0),
        inputs.allSatisfy({ $0.storage !== out.storage })
    else {
        loop.forEachRun { off, n, st in body(operands, off, n, st) }
        return
    }
    parallelRanges(loop.runCount, work: loop.count, partsPerCore: finePartsPerCore) { runs in
        loop.forEachRun(runs: runs) { off, n, st in body(operands, off, n, st) }
    }
}

/// Sets every element of the contiguous `out` to `value`.
private func fill<R: TensorScalar>(_ out: Tensor, _ value: R) {
    elementwise(out.count, (out.base(R.self), value)) { p, range in
        for i in range { p.0[i] = p.1 }
    }
}

/// `out[i] = f(a[i], b[i], c[i])`, all broadcast to `out`'s shape.
func map3<A: TensorScalar, B: TensorScalar, C: TensorScalar, R: TensorScalar>(
    into out: Tensor, _ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (A, B, C) -> R
) {
    let loop = StridedLoop(
        shape: out.shape,
        strides: [
            out.strides, a.broadcastStrides(to: out.shape), b.broadcastStrides(to: out.shape),
            c.broadcastStrides(to: out.shape),
        ])
    let po = out.base(R.self)
    let pa = a.base(A.self)
    let pb = b.base(B.self)
    let pc = c.base(C.self)
    stridedRuns(loop, writing: out, reading: [a, b, c], (po, pa, pb, pc)) { p, off, n, st in
        let o = p.0 + off[0]
        let x = p.1 + off[1]
        let y = p.2 + off[2]
        let z = p.3 + off[3]
        for i in 0..<n { o[i * st[0]] = f(x[i * st[1]], y[i * st[2]], z[i * st[3]]) }
    }
}

/// A new contiguous tensor of `shape` holding `f` of `a`'s elements.
func map1<A: TensorScalar, R: TensorScalar>(_ a: Tensor, shape: [Int]? = nil, _ f: (A) -> R) -> Tensor {
    let out = Tensor(empty: shape ?? a.shape, dtype: R.dtype, zeroed: false)
    map1(into: out, a, f)
    return out
}

/// A new contiguous tensor of `shape` holding `f` of `a`'s and `b`'s broadcast elements.
func map2<A: TensorScalar, B: TensorScalar, R: TensorScalar>(
    _ a: Tensor, _ b: Tensor, shape: [Int], _ f: (A, B) -> R
) -> Tensor {
    let out = Tensor(empty: shape, dtype: R.dtype, zeroed: false)
    map2(into: out, a, b, f)
    return out
}
