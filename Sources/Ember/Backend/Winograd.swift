import CEmberKernels

/// 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) algorithm (Lavin and Gray, 2015): each
/// 2×2 block of the output costs 16 multiplications per channel pair where im2col + GEMM costs 36,
/// and the transformed input is 4 times the image where im2col's column matrix is 9 times it.
/// The transforms live in C (Sources/CEmberKernels/winograd_impl.h). This file cuts the batch's
/// tiles into chunks: in a convolution, each core runs whole chunks (transforms, 16 single-threaded
/// products, output); in a weight gradient, the chunks run one after the other, each with its
/// transforms and then its 16 products spread across the cores.

/// `ember_winograd_weights_*`: (weights, adjoint, out channels, in channels, first panel, panels,
/// packed U).
typealias WinogradWeightsKernel<T> = (UnsafePointer<T>, Int32, Int64, Int64, Int64, Int64, UnsafeMutablePointer<T>) ->
    Void
/// `ember_winograd_input_*`: (batch, geometry, first tile, tiles, V, rows per V_ξ).
typealias WinogradInputKernel<T> = (
    UnsafePointer<T>, UnsafePointer<ember_conv_geometry>, Int64, Int64, UnsafeMutablePointer<T>, Int64
) -> Void
/// `ember_winograd_output_*`: (M, rows per M_ξ, geometry, out channels, bias, first tile, tiles,
/// output batch).
typealias WinogradOutputKernel<T> = (
    UnsafePointer<T>, Int64, UnsafePointer<ember_conv_geometry>, Int64, UnsafePointer<T>?, Int64, Int64,
    UnsafeMutablePointer<T>
) -> Void

/// `ember_winograd_gradient_*`: (output gradient, geometry, out channels, first tile, tiles, Z,
/// columns per row of Z_ξ).
typealias WinogradGradientKernel<T> = (
    UnsafePointer<T>, UnsafePointer<ember_conv_geometry>, Int64, Int64, Int64, UnsafeMutablePointer<T>, Int64
) -> Void
/// `ember_winograd_weight_gradient_*`: (M, out channels, in channels, first out channel, out
/// channels, weight gradient).
typealias WinogradWeightGradientKernel<T> = (UnsafePointer<T>, Int64, Int64, Int64, Int64, UnsafeMutablePointer<T>)
    -> Void

/// The 16 elements of a transformed 4×4 tile.
private let tileElements = 16

extension ConvGeometry {
    /// Whether `convolution` runs as Winograd's F(2×2, 3×3): an ungrouped 3×3 kernel at stride and
    /// dilation 1, with enough channels on both sides for its products to be worth a GEMM each
    /// (a convolution of few channels, such as one of a grey image, stays with im2col), and at
    /// least `minimumWinogradTiles` tiles to reuse the transformed kernels over.
    var usesWinograd: Bool {
        allowsWinograd && hasWinogradKernel && image.channels >= 16 && outChannels >= 16
            && winogradTiles >= minimumWinogradTiles
    }

    /// The 2×2 output blocks of the whole batch.
    var winogradTiles: Int { batch * Int((image.out_h + 1) / 2) * Int((image.out_w + 1) / 2) }

    /// Tiles in a chunk whose transforms (16 · (C + O) values a tile) stay within `winogradBudget`,
    /// but at least 64 whatever the budget: each chunk reads all of the transformed kernels
    /// (forward) or reads and writes all of the 16 sums (weight gradient).
    private var widestWinogradChunk: Int {
        Swift.max(64, winogradBudget / (tileElements * (Int(image.channels) + outChannels)))
    }

    /// An ungrouped 3×3 kernel at stride and dilation 1.
    private var hasWinogradKernel: Bool {
        groups == 1 && image.kernel_h == 3 && image.kernel_w == 3 && image.stride_h == 1 && image.stride_w == 1
            && image.dilation_h == 1 && image.dilation_w == 1
    }

    /// The convolution that computes this one's transposed convolution (its input gradient), when
    /// that runs as F(2×2, 3×3): at stride 1 the adjoint of a 3×3 convolution padded by p is the
    /// convolution by the kernels turned by 180°, with their channel dimensions swapped, padded by
    /// 2 − p.
    var winogradAdjoint: ConvGeometry? {
        guard hasWinogradKernel, image.pad_h <= 2, image.pad_w <= 2 else { return nil }
        var adjoint = ConvGeometry(
            batch: batch, inChannels: outChannels, outChannels: Int(image.channels), groups: 1,
            inSize: [Int(image.out_h), Int(image.out_w)], kernel: [3, 3], stride: [1, 1],
            padding: [2 - Int(image.pad_h), 2 - Int(image.pad_w)], dilation: [1, 1],
            outSize: [Int(image.height), Int(image.width)])
        adjoint.allowsWinograd = allowsWinograd
        adjoint.winogradBudget = winogradBudget
        adjoint.minimumWinogradTiles = minimumWinogradTiles
        return adjoint.usesWinograd ? adjoint : nil
    }

    /// `y = conv(x, w) + bias` by F(2×2, 3×3), or when `adjoint` the convolution by `w`'s kernels
    /// turned by 180° with its channel dimensions swapped (`winogradAdjoint`); all contiguous.
    func winogradForward<T: SpatialKernelScalar>(
        _: T.Type, _ x: Tensor, _ w: Tensor, adjoint: Bool = false, _ bias: Tensor?, into y: Tensor
    ) {
        let (x, w, bias, y) = (
            UnsafePointer(x.base(T.self)), UnsafePointer(w.base(T.self)), bias.map { UnsafePointer($0.base(T.self)) },
            y.base(T.self)
        )
        let (channels, outs) = (Int(image.channels), outChannels)
        let tiles = winogradTiles
        guard tiles > 0 else { return }
        let packedSize = Int(T.packedSize(Int64(channels), Int64(outs)))
        let panels = packedSize / channels / Int(T.packedSize(1, 1))
        let u = UnsafeMutablePointer<T>.allocate(capacity: tileElements * packedSize)
        defer { u.deallocate() }
        parallelRanges(panels, work: outs * channels * tileElements) { range in
            T.winogradWeights(
                w, adjoint ? 1 : 0, Int64(outs), Int64(channels), Int64(range.lowerBound), Int64(range.count), u)
        }
        // Chunks no wider than `widestWinogradChunk`, and as many per core, unless that leaves
        // fewer than 8 tiles a chunk: then U's reading would cost about as much as the chunk's
        // products (2 · 8 FLOP per value of U).
        let widest = widestWinogradChunk
        var chunks = (tiles + widest - 1) / widest
        let evenChunks = (chunks + kernelThreads - 1) / kernelThreads * kernelThreads
        if tiles / evenChunks >= 8 { chunks = evenChunks }
        let width = (tiles + chunks - 1) / chunks
        // One spare row between the 16 V_ξ (and M_ξ): at the usual power-of-two sizes they would
        // lie whole multiples of 4 KB apart, where the transforms' 16 streams of writes compete for
        // the same cache sets (a heuristic: rows of 4 KB or more stay aligned).
        let ld = width + 1
        withUnsafePointer(to: image) { g in
            parallelRanges(chunks, work: tiles * channels * outs * tileElements) { range in
                let v = UnsafeMutablePointer<T>.allocate(capacity: tileElements * ld * channels)
                let m = UnsafeMutablePointer<T>.allocate(capacity: tileElements * ld * outs)
                defer {
                    v.deallocate()
                    m.deallocate()
                }
                for chunk in range where chunk * width < tiles {
                    let (first, count) = (chunk * width, Swift.min(width, tiles - chunk * width))
                    T.winogradInput(x, g, Int64(first), Int64(count), v, Int64(ld))
                    for xi in 0..<tileElements {
                        T.packedGemm(
                            Int64(count), Int64(outs), Int64(channels), v + xi * ld * channels, Int64(channels),
                            u + xi * packedSize, 0, m + xi * ld * outs, Int64(outs))
                    }
                    T.winogradOutput(m, Int64(ld), g, Int64(outs), bias, Int64(first), Int64(count), y)
                }
            }
        }
    }

    /// The weight gradient `Σ dy ⊛ x` of a convolution that `usesWinograd`, by F(2×2, 3×3), into
    /// `dw`; all contiguous. Chunks of tiles are transformed (the input patches into V_ξ, the output
    /// gradient into Z_ξ), the 16 products M_ξ += Z_ξ V_ξ accumulate over the chunks, and each
    /// kernel's gradient is then Gᵀ M G (Sources/CEmberKernels/winograd_impl.h).
    func winogradWeightGradient<T: SpatialKernelScalar>(_: T.Type, _ x: Tensor, _ dy: Tensor, into dw: Tensor) {
        let (x, dy, dw) = (UnsafePointer(x.base(T.self)), UnsafePointer(dy.base(T.self)), dw.base(T.self))
        let (channels, outs, tiles) = (Int(image.channels), outChannels, winogradTiles)
        let products = tileElements * outs * channels
        let m = UnsafeMutablePointer<T>.allocate(capacity: products)
        // The first chunk's products overwrite M; with no tiles, it is zero.
        if tiles == 0 { m.initializeToZero(count: products) }
        let width = Swift.max(1, Swift.min(tiles, widestWinogradChunk))
        // Rows of V_ξ and columns of Z_ξ: one spare, as in the forward pass.
        let ld = width + 1
        let v = UnsafeMutablePointer<T>.allocate(capacity: tileElements * ld * channels)
        let z = UnsafeMutablePointer<T>.allocate(capacity: tileElements * ld * outs)
        defer {
            m.deallocate()
            v.deallocate()
            z.deallocate()
        }
        withUnsafePointer(to: image) { g in
            for first in stride(from: 0, to: tiles, by: width) {
                let count = Swift.min(width, tiles - first)
                parallelRanges(count, work: count * (channels + outs) * tileElements) { run in
                    let (start, length) = (Int64(first + run.lowerBound), Int64(run.count))
                    T.winogradInput(x, g, start, length, v + run.lowerBound * channels, Int64(ld))
                    T.winogradGradient(dy, g, Int64(outs), start, length, z + run.lowerBound, Int64(ld))
                }
                // The 16 products, taken by the cores as they come free (one after the other when
                // the BLAS threads them).
                let work = gemmThreadsOwned ? count * channels * outs * tileElements : 0
                parallelRanges(tileElements, work: work, partsPerCore: finePartsPerCore) { xis in
                    for xi in xis {
                        T.gemm(
                            false, false, outs, channels, count, z + xi * outs * ld, ld,
                            v + xi * ld * channels, channels, first == 0 ? 0 : 1, m + xi * outs * channels, channels)
                    }
                }
            }
        }
        parallelRanges(outs, work: products) { range in
            T.winogradWeightGradient(
                m, Int64(outs), Int64(channels), Int64(range.lowerBound), Int64(range.count), dw)
        }
    }
}
