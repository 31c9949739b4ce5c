/// Walks several tensors of one shape (their strides may differ, broadcast dimensions have stride
/// 0) in row-major order, calling `body` once per run along the innermost dimension with each
/// operand's element offset and inner stride. Adjacent dimensions that are contiguous for every
/// operand are merged first, so contiguous tensors take a single run.
struct StridedLoop {
    private var shape: [Int]
    private var strides: [[Int]]  // [operand][dim]

    init(shape: [Int], strides: [[Int]]) {
        // Drop size-1 dimensions, then merge mergeable neighbours.
        var keptShape: [Int] = []
        var kept = [[Int]](repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            keptShape.append(shape[d])
            for k in 0..<strides.count { kept[k].append(strides[k][d]) }
        }
        var mergedShape: [Int] = []
        var merged = [[Int]](repeating: [], count: strides.count)
        for d in 0..<keptShape.count {
            if let last = mergedShape.last,
                (0..<strides.count).allSatisfy({ merged[$0].last! == kept[$0][d] * keptShape[d] })
            {
                mergedShape[mergedShape.count - 1] = last * keptShape[d]
                for k in 0..<strides.count { merged[k][merged[k].count - 1] = kept[k][d] }
            } else {
                mergedShape.append(keptShape[d])
                for k in 0..<strides.count { merged[k].append(kept[k][d]) }
            }
        }
        self.shape = mergedShape
        self.strides = merged
    }

    /// Number of elements visited.
    var count: Int { shape.reduce(1, *) }

    /// Number of innermost runs.
    var runCount: Int { shape.isEmpty ? 1 : shape.dropLast().reduce(1, *) }

    /// Whether operand `k` visits each of its elements once (no broadcast dimension), so that
    /// writing it from several threads at once is safe.
    func visitsEachElementOnce(_ k: Int) -> Bool { !strides[k].contains(0) }

    /// Runs `body(offsets, runLength, innerStrides)` for every innermost run, or for the runs
    /// numbered `runs` (row-major order) only.
    func forEachRun(
        runs: Range<Int>? = nil,
        _ body: (_ offsets: UnsafeMutableBufferPointer<Int>, _ n: Int, _ inner: UnsafeBufferPointer<Int>) -> Void
    ) {
        let operands = strides.count
        let runs = runs ?? 0..<runCount
        if shape.contains(0) || runs.isEmpty { return }
        var offsets = [Int](repeating: 0, count: operands)
        if shape.isEmpty {
            let ones = [Int](repeating: 1, count: operands)
            offsets.withUnsafeMutableBufferPointer { o in ones.withUnsafeBufferPointer { body(o, 1, $0) } }
            return
        }
        let rank = shape.count
        let n = shape[rank - 1]
        let inner = strides.map { $0[rank - 1] }
        // The outer index of the first run, digit by digit from the innermost outer dimension.
        var index = [Int](repeating: 0, count: rank)
        var rest = runs.lowerBound
        for d in Swift.stride(from: rank - 2, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
            for k in 0..<operands { offsets[k] += index[d] * strides[k][d] }
        }
        offsets.withUnsafeMutableBufferPointer { off in
            inner.withUnsafeBufferPointer { innerPtr in
                for _ in runs {
                    body(off, n, innerPtr)
                    // Advance the outer index (all but the innermost dimension).
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        for k in 0..<operands { off[k] += strides[k][d] }
                        if index[d] < shape[d] { break }
                        for k in 0..<operands { off[k] -= strides[k][d] * shape[d] }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }
}
