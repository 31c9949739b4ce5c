import CEmberKernels

/// Matrix products: `matmul` with PyTorch's 1-D / 2-D / batched-broadcast rules, `mm`, `bmm`,
/// `addmm`, all through BLAS GEMM (transposed views are passed to GEMM without copying).

/// Whether a CBLAS library was found at run time; prints a one-time note when it was not.
let blasAvailable: Bool = {
    let found = ember_blas_load() != 0
    if !found {
        ember_print_error(
            "Ember: no BLAS library found (on Linux: apt-get install libopenblas-dev); using the built-in GEMM, which is slower.\n"
        )
    }
    return found
}()

/// The BLAS library Ember uses, or `nil` when it runs its built-in GEMM.
public var blasLibrary: String? {
    _ = blasAvailable
    return ember_blas_library().map { String(cString: $0) }
}

/// A matrix operand for GEMM: its memory and whether it is read transposed.
private struct GemmOperand {
    let tensor: Tensor
    let transposed: Bool
    let leadingDimension: Int

    /// Uses a 2-D view's strides directly when one of them is 1, else copies it contiguous.
    init(_ m: Tensor) {
        let rows = m.shape[0]
        let cols = m.shape[1]
        if m.strides[1] == 1 && (rows <= 1 || m.strides[0] >= Swift.max(cols, 1)) {
            tensor = m
            transposed = false
            leadingDimension = Swift.max(m.strides[0], Swift.max(cols, 1))
        } else if m.strides[0] == 1 && (cols <= 1 || m.strides[1] >= Swift.max(rows, 1)) {
            tensor = m
            transposed = true
            leadingDimension = Swift.max(m.strides[1], Swift.max(rows, 1))
        } else {
            tensor = noGrad { m.detach().clone() }
            transposed = false
            leadingDimension = Swift.max(cols, 1)
        }
    }
}

/// Whether Ember spreads GEMMs across cores itself: the BLAS was made single-threaded (OpenBLAS,
/// MKL) or the built-in GEMM runs. Ember's workers block when idle, where a BLAS's own threads
/// spin, which costs little on an idle machine and a great deal next to another busy process.
let gemmThreadsOwned = ember_gemm_threads_owned() != 0

/// Products of at least this many multiply-adds (m·n·k) are cut into one band per core by
/// `splitGemm` when Ember owns the GEMM threads.
let gemmBandThreshold = 1 << 20

/// The smallest product (m·n·k) that runs on several cores: Ember's bands, or, when the BLAS
/// threads its own products, OpenBLAS's threshold (65,536 × 4). Smaller ones run on one core, so
/// a kernel with many of them spreads them across cores itself.
let gemmThreadingThreshold = gemmThreadsOwned ? gemmBandThreshold : 1 << 18

/// Whether an m×n product with inner size k runs through `PackedMatrix` rather than the BLAS:
/// large products with at least as many rows as columns and at least `packedGemmMinimumRows`, so
/// that packing B (k·n copies) is cheap beside the product (m·n·k multiply-adds), on a CPU with
/// the packed kernel's AVX2+FMA variant (or with no BLAS at all). There it matches or beats
/// OpenBLAS (BENCHMARKS.md), reads A in place, and deals out rows finely across cores.
private func prefersPackedGemm(m: Int, n: Int, k: Int) -> Bool {
    m >= Swift.max(n, packedGemmMinimumRows) && m * n * k >= gemmBandThreshold
        && (packedGemmVectorized || !blasAvailable)
}

/// The fewest rows of A for which `prefersPackedGemm` packs B.
private let packedGemmMinimumRows = 128

/// Whether the packed GEMM runs its AVX2+FMA variant on this CPU.
private let packedGemmVectorized = ember_packed_gemm_vectorized() != 0

/// Runs `block(rows, columns)` over an m×n product: whole, or cut into one band per core (along
/// the longer side, at multiples of 16 so each band keeps whole BLAS micro-tiles) when the
/// product is large enough to pay for the threads.
private func splitGemm(m: Int, n: Int, k: Int, _ block: (Range<Int>, Range<Int>) -> Void) {
    let side = Swift.max(m, n)
    let parts = gemmThreadsOwned && m * n * k >= gemmBandThreshold ? Swift.min(kernelThreads, (side + 15) / 16) : 1
    guard parts > 1 else {
        block(0..<m, 0..<n)
        return
    }
    let cut = { (part: Int) in Swift.min(side, (side * part / parts + 15) / 16 * 16) }
    parallelRanges(parts, work: .max) { range in
        for part in range {
            let band = cut(part)..<cut(part + 1)
            if band.isEmpty { continue }
            if n >= m { block(0..<m, band) } else { block(band, 0..<n) }
        }
    }
}

/// One single-threaded row-major `c = alpha·op(a)·op(b) + beta·c` (BLAS when loaded): the
/// signature of `ember_sgemm` and `ember_dgemm`.
typealias GemmKernel<T> = (
    Int32, Int32, Int64, Int64, Int64, T, UnsafePointer<T>?, Int64, UnsafePointer<T>?, Int64, T,
    UnsafeMutablePointer<T>?, Int64
) -> Void

/// The element types GEMM runs on: `Float` and `Double`, with the BLAS (or built-in) GEMM and
/// the packed-operand kernels of `PackedMatrix`.
protocol GemmScalar: TensorScalar, Numeric {
    /// The BLAS GEMM (`ember_sgemm`, `ember_dgemm`).
    static var gemmKernel: GemmKernel<Self> { get }
    /// The elements `pack` writes for a k × n matrix (`ember_packed_size_s`, `_d`).
    static var packedSize: (Int64, Int64) -> Int64 { get }
    /// Packs B into column panels (`ember_pack_s`, `_d`).
    static var pack: PackKernel<Self> { get }
    /// Multiplies by a packed B (`ember_gemm_packed_s`, `_d`).
    static var packedGemm: PackedGemmKernel<Self> { get }
    /// Adds a bias row to a block of rows and applies ReLU (`ember_bias_relu_s`, `_d`).
    static var biasReLU: BiasReLUKernel<Self> { get }
}

/// `ember_bias_relu_s` and `ember_bias_relu_d`: rows, columns, C, its leading dimension, the bias
/// (or nil) and whether to apply ReLU.
typealias BiasReLUKernel<T> = (Int64, Int64, UnsafeMutablePointer<T>?, Int64, UnsafePointer<T>?, Int32) -> Void

extension Float: GemmScalar {
    static var gemmKernel: GemmKernel<Float> { ember_sgemm }
    static var biasReLU: BiasReLUKernel<Float> { ember_bias_relu_s }
}

extension Double: GemmScalar {
    static var gemmKernel: GemmKernel<Double> { ember_dgemm }
    static var biasReLU: BiasReLUKernel<Double> { ember_bias_relu_d }
}

/// What a product does to each block of its result once the block is final: adds a bias to
/// every row, then applies ReLU when asked (`Linear`, and `Linear` followed by `ReLU`). The GEMM
/// runs it on each core's part of the result while that part is in the core's cache, where a
/// separate pass would read the whole result back from memory.
struct GemmEpilogue<T: GemmScalar> {
    /// A row of n values added to every row of the result, or nil.
    let bias: UnsafePointer<T>?
    /// Whether ReLU follows the bias.
    let relu: Bool

    /// Applies the epilogue to the block `rows` × `cols` of the result `c`.
    func apply(rows: Range<Int>, cols: Range<Int>, _ c: UnsafeMutablePointer<T>, ldc: Int) {
        T.biasReLU(
            Int64(rows.count), Int64(cols.count), c + rows.lowerBound * ldc + cols.lowerBound, Int64(ldc),
            bias.map { $0 + cols.lowerBound }, relu ? 1 : 0)
    }
}

extension GemmScalar {
    /// Row-major `c = alpha·op(a)·op(b) + beta·c` for an m×n result with inner size k, where
    /// `op(x)` is `x` or, when `trans`, `xᵀ` read from the same memory; large products are cut
    /// into one band per core (nested calls from a parallel kernel run whole). The `epilogue`
    /// runs on each band once it is computed.
    static func gemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Self = 1, _ a: UnsafePointer<Self>,
        _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int,
        epilogue: GemmEpilogue<Self>? = nil
    ) {
        _ = blasAvailable
        if !transA && alpha == 1 && (beta == 0 || beta == 1) && prefersPackedGemm(m: m, n: n, k: k) {
            let packed = PackedMatrix(b, k: k, n: n, ld: ldb, transposed: transB)
            parallelRanges(m, work: .max, partsPerCore: finePartsPerCore) { rows in
                packed.product(
                    m: rows.count, a + rows.lowerBound * lda, lda: lda, into: c + rows.lowerBound * ldc, ldc: ldc,
                    accumulate: beta == 1)
                epilogue?.apply(rows: rows, cols: 0..<n, c, ldc: ldc)
            }
            return
        }
        splitGemm(m: m, n: n, k: k) { rows, cols in
            gemmKernel(
                transA ? 1 : 0, transB ? 1 : 0, Int64(rows.count), Int64(cols.count), Int64(k), alpha,
                a + (transA ? rows.lowerBound : rows.lowerBound * lda), Int64(lda),
                b + (transB ? cols.lowerBound * ldb : cols.lowerBound), Int64(ldb), beta,
                c + rows.lowerBound * ldc + cols.lowerBound, Int64(ldc))
            epilogue?.apply(rows: rows, cols: cols, c, ldc: ldc)
        }
    }
}

/// `out = beta * out + alpha * a @ b` for 2-D tensors of one float dtype; `out` is contiguous.
/// A floating-point product then adds `bias` (contiguous, n elements) to every row and applies
/// ReLU when `relu`, on each core's part of `out` as soon as it is computed.
func gemm(
    _ a: Tensor, _ b: Tensor, into out: Tensor, alpha: Double = 1, beta: Double = 0, bias: Tensor? = nil,
    relu: Bool = false
) {
    let m = a.shape[0]
    let k = a.shape[1]
    let n = b.shape[1]
    let x = GemmOperand(a)
    let y = GemmOperand(b)
    func run<T: GemmScalar & BinaryFloatingPoint>(_: T.Type) {
        let epilogue =
            bias != nil || relu ? GemmEpilogue(bias: bias.map { UnsafePointer($0.base(T.self)) }, relu: relu) : nil
        T.gemm(
            x.transposed, y.transposed, m, n, k, alpha: T(alpha), x.tensor.base(T.self), x.leadingDimension,
            y.tensor.base(T.self), y.leadingDimension, T(beta), out.base(T.self), Swift.max(n, 1), epilogue: epilogue)
    }
    switch out.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    default:
        // Integer matmul: a plain triple loop (rare; PyTorch supports it too).
        let pa = a.contiguous()
        let pb = b.contiguous()
        let ia = pa.base(Int64.self)
        let ib = pb.base(Int64.self)
        let io = out.base(Int64.self)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Int64 = beta == 0 ? 0 : io[i * n + j] * Int64(beta)
                for p in 0..<k { acc &+= Int64(alpha) * ia[i * k + p] * ib[p * n + j] }
                io[i * n + j] = acc
            }
        }
    }
}

extension Tensor {
    /// Product of two matrices (`mm`), with PyTorch's error for mismatched shapes.
    public func mm(_ other: Tensor) -> Tensor {
        precondition(dim == 2, "self must be a matrix")
        precondition(other.dim == 2, "mat2 must be a matrix")
        precondition(
            shape[1] == other.shape[0],
            "mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))"
        )
        precondition(
            dtype == other.dtype,
            "expected m1 and m2 to have the same dtype, but got: \(dtype.cName) != \(other.dtype.cName)")
        precondition(dtype != .bool, "\"addmm_impl_cpu_\" not implemented for 'Bool'")
        let out = Tensor(empty: [shape[0], other.shape[1]], dtype: dtype, zeroed: false)
        gemm(detach(), other.detach(), into: out)
        return Tensor.record("MmBackward0", output: out, inputs: [self, other], saving: [self, other]) {
            g, needs in
            [needs[0] ? g.mm(other.t()) : nil, needs[1] ? self.t().mm(g) : nil]
        }
    }

    /// Batched product of 3-D tensors `[b, n, m] @ [b, m, p]` (`bmm`).
    public func bmm(_ other: Tensor) -> Tensor {
        precondition(dim == 3, "batch1 must be a 3D tensor")
        precondition(other.dim == 3, "batch2 must be a 3D tensor")
        precondition(
            shape[0] == other.shape[0],
            "batch1 and batch2 must have same number of batches, got \(shape[0]) and \(other.shape[0])")
        precondition(
            shape[2] == other.shape[1],
            "Expected size for first two dimensions of batch2 tensor to be: [\(shape[0]), \(shape[2])] but got: [\(other.shape[0]), \(other.shape[1])]."
        )
        precondition(
            dtype == other.dtype,
            "expected scalar type \(dtype.pytorchName) but found \(other.dtype.pytorchName)")
        let out = Tensor(empty: [shape[0], shape[1], other.shape[2]], dtype: dtype, zeroed: false)
        let a = detach()
        let b = other.detach()
        for i in 0..<shape[0] {
            gemm(a.select(dim: 0, index: i), b.select(dim: 0, index: i), into: out.detach().select(dim: 0, index: i))
        }
        return Tensor.record("BmmBackward0", output: out, inputs: [self, other], saving: [self, other]) {
            g, needs in
            [
                needs[0] ? g.bmm(other.transpose(1, 2)) : nil,
                needs[1] ? self.transpose(1, 2).bmm(g) : nil,
            ]
        }
    }

    /// Matrix product with PyTorch's rules (`matmul`, `@`): 1-D·1-D is a dot product, 1-D operands
    /// gain and then lose a dimension, and leading batch dimensions broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(
            dim > 0 && other.dim > 0,
            "both arguments to matmul need to be at least 1D, but they are \(dim)D and \(other.dim)D")
        let dtype = resultType(self, other)
        let a = self.to(dtype)
        let b = other.to(dtype)
        switch (a.dim, b.dim) {
        case (1, 1):
            precondition(
                a.shape[0] == b.shape[0],
                "inconsistent tensor size, expected tensor [\(a.shape[0])] and src [\(b.shape[0])] to have the same number of elements, but got \(a.shape[0]) and \(b.shape[0]) elements respectively"
            )
            return a.unsqueeze(0).mm(b.unsqueeze(1)).reshape([])
        case (2, 1):
            return a.mm(b.unsqueeze(1)).squeeze(dim: 1)
        case (1, 2):
            return a.unsqueeze(0).mm(b).squeeze(dim: 0)
        case (2, 2):
            return a.mm(b)
        case (_, 1):
            return a.matmul(b.unsqueeze(1)).squeeze(dim: -1)
        case (1, _):
            return a.unsqueeze(0).matmul(b).squeeze(dim: -2)
        default:
            if b.dim == 2 && a.isContiguous {
                // Fold the batch into rows: one GEMM instead of many.
                let rows = a.shape.dropLast().reduce(1, *)
                return a.reshape([rows, a.shape[a.dim - 1]]).mm(b).reshape(Array(a.shape.dropLast()) + [b.shape[1]])
            }
            let n = a.shape[a.dim - 2]
            let k = a.shape[a.dim - 1]
            let k2 = b.shape[b.dim - 2]
            let p = b.shape[b.dim - 1]
            precondition(
                k == k2,
                "mat1 and mat2 shapes cannot be multiplied (\(a.shape.dropLast().reduce(1, *))x\(k) and \(k2)x\(p))")
            let batch = broadcastShapes(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
            let count = batch.reduce(1, *)
            let x = a.expand(batch + [n, k]).reshape([count, n, k])
            let y = b.expand(batch + [k, p]).reshape([count, k, p])
            return x.bmm(y).reshape(batch + [n, p])
        }
    }

    /// `beta * input + alpha * (mat1 @ mat2)` (`torch.addmm`), one GEMM: a bias row (`Linear`'s,
    /// which runs through here) is added by its epilogue, any other `input` is broadcast into the
    /// accumulator the product adds to.
    public static func addmm(_ input: Tensor, _ mat1: Tensor, _ mat2: Tensor, beta: Double = 1, alpha: Double = 1)
        -> Tensor
    {
        precondition(mat1.dim == 2, "mat1 must be a matrix, got \(mat1.dim)-D tensor")
        precondition(mat2.dim == 2, "mat2 must be a matrix, got \(mat2.dim)-D tensor")
        precondition(
            mat1.shape[1] == mat2.shape[0],
            "mat1 and mat2 shapes cannot be multiplied (\(mat1.shape[0])x\(mat1.shape[1]) and \(mat2.shape[0])x\(mat2.shape[1]))"
        )
        precondition(
            mat1.dtype == mat2.dtype && input.dtype == mat1.dtype,
            "expected m1 and m2 to have the same dtype, but got: \(mat1.dtype.cName) != \(mat2.dtype.cName)")
        let shape = [mat1.shape[0], mat2.shape[1]]
        precondition(
            broadcastShapes(input.shape, shape) == shape,
            "The expanded size of the tensor (\(shape[1])) must match the existing size (\(input.shape.last ?? 1)) at non-singleton dimension 1.  Target sizes: \(shape).  Tensor sizes: \(input.shape)"
        )
        // A bias row (Linear's) is added by the product's epilogue, after the product as in
        // `mm` then `+`; any other input is the accumulator the product adds into.
        let biasRow =
            mat1.dtype.isFloatingPoint && beta == 1 && input.shape.last == shape[1] && input.numel() == shape[1]
        let out = Tensor(empty: shape, dtype: mat1.dtype, zeroed: biasRow ? mat1.shape[1] == 0 : beta == 0)
        if biasRow {
            gemm(mat1.detach(), mat2.detach(), into: out, alpha: alpha, bias: input.detach().contiguous())
        } else {
            if beta != 0 {
                copyElements(into: out, from: input)
                if beta != 1 { noGrad { _ = out.mulInPlace(.wrapping(beta, dtype: .float64)) } }
            }
            gemm(mat1.detach(), mat2.detach(), into: out, alpha: alpha, beta: beta == 0 ? 0 : 1)
        }
        return Tensor.record(
            "AddmmBackward0", output: out, inputs: [input, mat1, mat2], saving: [mat1, mat2]
        ) { g, needs in
            let scaled = alpha == 1 ? g : g * alpha
            return [
                needs[0] ? (beta == 1 ? g : g * beta) : nil,
                needs[1] ? scaled.mm(mat2.t()) : nil,
                needs[2] ? mat1.t().mm(scaled) : nil,
            ]
        }
    }
}

/// Matrix product with PyTorch's broadcasting rules (`torch.matmul(a, b)`).
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b) }

extension DType {
    /// The C++ scalar name PyTorch uses in some messages (`float`, `double`).
    var cName: String {
        switch self {
        case .float32: "float"
        case .float64: "double"
        case .int64: "long int"
        case .bool: "bool"
        }
    }
}
