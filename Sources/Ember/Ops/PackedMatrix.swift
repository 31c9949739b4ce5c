import CEmberKernels

typealias PackKernel<T> = (Int32, Int64, Int64, UnsafePointer<T>?, Int64, UnsafeMutablePointer<T>?) -> Void
typealias PackedGemmKernel<T> = (
    Int64, Int64, Int64, UnsafePointer<T>?, Int64, UnsafePointer<T>?, Int32, UnsafeMutablePointer<T>?, Int64
) -> Void

// The packed-operand kernels of `GemmScalar` (Sources/CEmberKernels/packed_gemm.c).
extension Float {
    static var packedSize: (Int64, Int64) -> Int64 { ember_packed_size_s }
    static var pack: PackKernel<Float> { ember_pack_s }
    static var packedGemm: PackedGemmKernel<Float> { ember_gemm_packed_s }
}

extension Double {
    static var packedSize: (Int64, Int64) -> Int64 { ember_packed_size_d }
    static var pack: PackKernel<Double> { ember_pack_d }
    static var packedGemm: PackedGemmKernel<Double> { ember_gemm_packed_d }
}

/// The right-hand operand B (k × n) of many products, packed once into column panels, so that
/// each product skips the repacking a BLAS does on every call: a recurrent layer multiplies every
/// time step by the same `W_hh`, and a tall GEMM (`prefersPackedGemm`) every band of its rows.
struct PackedMatrix<T: GemmScalar> {
    /// The inner dimension of the products.
    let k: Int
    /// The columns of B and of the products.
    let n: Int
    /// Owns the panels.
    private let storage: Tensor

    /// Packs B from `b`, read as k × n row-major with leading dimension `ld`, or, when
    /// `transposed`, as the transpose of an n × k row-major matrix; large matrices are packed
    /// across cores, a range of panels each.
    init(_ b: UnsafePointer<T>, k: Int, n: Int, ld: Int, transposed: Bool) {
        (self.k, self.n) = (k, n)
        storage = Tensor(empty: [Int(T.packedSize(Int64(k), Int64(n)))], dtype: T.dtype, zeroed: false)
        let packed = storage.base(T.self)
        let width = Int(T.packedSize(1, 1))
        parallelRanges((n + width - 1) / width, work: k * n) { panels in
            let first = panels.lowerBound * width
            let columns = Swift.min(n, panels.upperBound * width) - first
            T.pack(
                transposed ? 1 : 0, Int64(k), Int64(columns), b + (transposed ? first * ld : first), Int64(ld),
                packed + first * k)
        }
    }

    /// Row-major `c = a · B`, or `c += a · B` when `accumulate`, for the `m` rows of `a`, on the
    /// calling thread.
    func product(
        m: Int, _ a: UnsafePointer<T>, lda: Int, into c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) {
        T.packedGemm(
            Int64(m), Int64(n), Int64(k), a, Int64(lda), storage.base(T.self), accumulate ? 1 : 0, c, Int64(ldc))
    }
}
