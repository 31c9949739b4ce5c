import CEmberKernels

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Convolution as GEMM: im2col unfolds each image into a column matrix (one row per input channel
/// and kernel offset, one column per output position), so that a convolution is `weight @ col`
/// per group, its input gradient is `col2im(weightᵀ @ grad)` and its weight gradient
/// `grad @ colᵀ`. The work is cut into tiles whose column matrix stays in cache: small images are
/// processed several at a time (side by side, so each GEMM stays large), large ones in bands of
/// output rows; 1×1 stride-1 convolutions use the image itself as its column matrix. The loops
/// live in C (Sources/CEmberKernels/conv.c, pool.c); this file drives them.

typealias Im2colKernel<T> =
    (UnsafePointer<T>, UnsafePointer<ember_conv_geometry>, Int64, Int64, UnsafeMutablePointer<T>, Int64) -> Void
typealias Col2imKernel<T> =
    (UnsafePointer<T>, Int64, UnsafePointer<ember_conv_geometry>, Int64, Int64, UnsafeMutablePointer<T>) -> Void
typealias ChunkToBatchKernel<T> = (UnsafePointer<T>, UnsafePointer<T>?, Int64, Int64, Int64, UnsafeMutablePointer<T>)
    -> Void
typealias BatchToChunkKernel<T> = (UnsafePointer<T>, Int64, Int64, Int64, UnsafeMutablePointer<T>) -> Void
typealias FillChannelsKernel<T> = (UnsafeMutablePointer<T>, Int64, UnsafePointer<T>?, Int64, Int64) -> Void
typealias ChannelSumsKernel<T> = (UnsafePointer<T>, Int64, Int64, Int64, UnsafeMutablePointer<T>) -> Void
typealias PoolKernel<T> = (UnsafePointer<T>, UnsafePointer<ember_pool_geometry>, UnsafeMutablePointer<T>) -> Void
typealias IndexedPoolKernel<T> =
    (UnsafePointer<T>, UnsafePointer<ember_pool_geometry>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int64>?) ->
    Void
typealias AvgPoolKernel<T> = (
    UnsafePointer<T>, UnsafePointer<ember_pool_geometry>, Int32, Int64, UnsafeMutablePointer<T>
)
    -> Void
typealias MaxPoolBackwardKernel<T> = (
    UnsafePointer<T>, UnsafePointer<Int64>, Int64, Int64, Int64, UnsafeMutablePointer<T>
)
    -> Void

/// Element types with C convolution and pooling kernels (`Float` and `Double`), so the drivers
/// are written once.
protocol SpatialKernelScalar: GemmScalar, BinaryFloatingPoint {
    static var im2col: Im2colKernel<Self> { get }
    static var col2im: Col2imKernel<Self> { get }
    static var chunkToBatch: ChunkToBatchKernel<Self> { get }
    static var batchToChunk: BatchToChunkKernel<Self> { get }
    static var fillChannels: FillChannelsKernel<Self> { get }
    static var channelSums: ChannelSumsKernel<Self> { get }
    static var maxPool: IndexedPoolKernel<Self> { get }
    static var maxPoolBackward: MaxPoolBackwardKernel<Self> { get }
    static var avgPool: AvgPoolKernel<Self> { get }
    static var avgPoolBackward: AvgPoolKernel<Self> { get }
    static var adaptiveAvgPool: PoolKernel<Self> { get }
    static var adaptiveAvgPoolBackward: PoolKernel<Self> { get }
    static var adaptiveMaxPool: IndexedPoolKernel<Self> { get }
    /// Transforms kernels into the 16 packed U_ξ of Winograd's F(2×2, 3×3) (Winograd.swift).
    static var winogradWeights: WinogradWeightsKernel<Self> { get }
    /// Transforms the input patches of a run of tiles into rows of the 16 V_ξ.
    static var winogradInput: WinogradInputKernel<Self> { get }
    /// Writes a run of output tiles from rows of the 16 products M_ξ.
    static var winogradOutput: WinogradOutputKernel<Self> { get }
    /// Transforms the output gradient of a run of tiles (A dy Aᵀ) into columns of the 16 Z_ξ.
    static var winogradGradient: WinogradGradientKernel<Self> { get }
    /// Writes the weight gradient of a range of output channels from the 16 sums M_ξ.
    static var winogradWeightGradient: WinogradWeightGradientKernel<Self> { get }
}

extension Float: SpatialKernelScalar {
    static var im2col: Im2colKernel<Float> { ember_im2col_s }
    static var col2im: Col2imKernel<Float> { ember_col2im_s }
    static var chunkToBatch: ChunkToBatchKernel<Float> { ember_chunk_to_batch_s }
    static var batchToChunk: BatchToChunkKernel<Float> { ember_batch_to_chunk_s }
    static var fillChannels: FillChannelsKernel<Float> { ember_fill_channels_s }
    static var channelSums: ChannelSumsKernel<Float> { ember_channel_sums_s }
    static var maxPool: IndexedPoolKernel<Float> { ember_max_pool2d_s }
    static var maxPoolBackward: MaxPoolBackwardKernel<Float> { ember_max_pool2d_backward_s }
    static var avgPool: AvgPoolKernel<Float> { ember_avg_pool2d_s }
    static var avgPoolBackward: AvgPoolKernel<Float> { ember_avg_pool2d_backward_s }
    static var adaptiveAvgPool: PoolKernel<Float> { ember_adaptive_avg_pool2d_s }
    static var adaptiveAvgPoolBackward: PoolKernel<Float> { ember_adaptive_avg_pool2d_backward_s }
    static var adaptiveMaxPool: IndexedPoolKernel<Float> { ember_adaptive_max_pool2d_s }
    static var winogradWeights: WinogradWeightsKernel<Float> { ember_winograd_weights_s }
    static var winogradInput: WinogradInputKernel<Float> { ember_winograd_input_s }
    static var winogradOutput: WinogradOutputKernel<Float> { ember_winograd_output_s }
    static var winogradGradient: WinogradGradientKernel<Float> { ember_winograd_gradient_s }
    static var winogradWeightGradient: WinogradWeightGradientKernel<Float> { ember_winograd_weight_gradient_s }
}

extension Double: SpatialKernelScalar {
    static var im2col: Im2colKernel<Double> { ember_im2col_d }
    static var col2im: Col2imKernel<Double> { ember_col2im_d }
    static var chunkToBatch: ChunkToBatchKernel<Double> { ember_chunk_to_batch_d }
    static var batchToChunk: BatchToChunkKernel<Double> { ember_batch_to_chunk_d }
    static var fillChannels: FillChannelsKernel<Double> { ember_fill_channels_d }
    static var channelSums: ChannelSumsKernel<Double> { ember_channel_sums_d }
    static var maxPool: IndexedPoolKernel<Double> { ember_max_pool2d_d }
    static var maxPoolBackward: MaxPoolBackwardKernel<Double> { ember_max_pool2d_backward_d }
    static var avgPool: AvgPoolKernel<Double> { ember_avg_pool2d_d }
    static var avgPoolBackward: AvgPoolKernel<Double> { ember_avg_pool2d_backward_d }
    static var adaptiveAvgPool: PoolKernel<Double> { ember_adaptive_avg_pool2d_d }
    static var adaptiveAvgPoolBackward: PoolKernel<Double> { ember_adaptive_avg_pool2d_backward_d }
    static var adaptiveMaxPool: IndexedPoolKernel<Double> { ember_adaptive_max_pool2d_d }
    static var winogradWeights: WinogradWeightsKernel<Double> { ember_winograd_weights_d }
    static var winogradInput: WinogradInputKernel<Double> { ember_winograd_input_d }
    static var winogradOutput: WinogradOutputKernel<Double> { ember_winograd_output_d }
    static var winogradGradient: WinogradGradientKernel<Double> { ember_winograd_gradient_d }
    static var winogradWeightGradient: WinogradWeightGradientKernel<Double> { ember_winograd_weight_gradient_d }
}

/// The geometry of a batched, grouped convolution `[N, C, spatial…] ⊛ [O, C/groups, kernel…]`.
/// One-dimensional convolutions are run as two-dimensional ones of height 1; `spatialRank` only
/// decides the shapes of the tensors handed out.
struct ConvGeometry {
    /// Images in the batch.
    let batch: Int
    /// Output channels (the weight's first dimension).
    let outChannels: Int
    /// Channel groups.
    let groups: Int
    /// 1 or 2: the number of spatial dimensions of the tensors.
    let spatialRank: Int
    /// One image's geometry, as the C kernels take it.
    let image: ember_conv_geometry
    /// Elements of column matrix per tile: images larger than this are split into bands of output
    /// rows, so the column matrix stays in cache between im2col and GEMM.
    var columnBudget = 1 << 20
    /// Columns a tile's GEMM should have at least (for BLAS efficiency): small images are grouped
    /// side by side up to this width, and bands are at least this wide.
    var minimumColumns = 256
    /// Whether an eligible convolution may run as Winograd's F(2×2, 3×3) (Winograd.swift).
    var allowsWinograd = true
    /// Elements of transformed inputs and products (forward), or of transformed inputs and output
    /// gradients (weight gradient), per chunk of Winograd tiles; a chunk has at least 64 tiles.
    var winogradBudget = 1 << 19
    /// The fewest 2×2 output blocks (over the batch) for which an eligible convolution runs as
    /// Winograd's: its transformed kernels (16/9 the size of the kernels) are written and read
    /// again on every call, which few tiles do not repay. With 512 channels on each side, 16 tiles
    /// ran 1.3x slower than im2col and 32 tiles 1.5x faster (forward). The weight gradient, whose
    /// 16 sums have the same size, takes the same rule.
    var minimumWinogradTiles = 32

    /// `[N, C, spatial…]`.
    var inputShape: [Int] { [batch, Int(image.channels)] + spatial(image.height, image.width) }
    /// `[O, C / groups, kernel…]`.
    var weightShape: [Int] { [outChannels, Int(image.channels) / groups] + spatial(image.kernel_h, image.kernel_w) }
    /// `[N, O, outSpatial…]`.
    var outputShape: [Int] { [batch, outChannels] + spatial(image.out_h, image.out_w) }

    private func spatial(_ h: Int64, _ w: Int64) -> [Int] { spatialRank == 2 ? [Int(h), Int(w)] : [Int(w)] }

    private var inputPlane: Int { Int(image.height * image.width) }
    private var imageSize: Int { Int(image.channels) * inputPlane }
    private var positions: Int { Int(image.out_h * image.out_w) }
    /// Rows of the column matrix of one group: `C / groups × kernel area`.
    private var groupRows: Int { Int(image.channels) / groups * Int(image.kernel_h * image.kernel_w) }
    /// Whether the image is its own column matrix (1×1 kernel, stride 1, no padding).
    private var isPointwise: Bool {
        image.kernel_h == 1 && image.kernel_w == 1 && image.stride_h == 1 && image.stride_w == 1
            && image.pad_h == 0 && image.pad_w == 0 && image.out_h == image.height && image.out_w == image.width
    }

    /// A run of columns of the `[kernel rows, images × positions]` problem processed at once:
    /// several whole images side by side, or a band of output rows of one image.
    private struct Tile {
        let first: Int
        let count: Int
        let rows: Range<Int>
        let width: Int
        /// Whether the C kernels of this tile may split their work across cores (false when the
        /// tiles themselves are spread across cores).
        let splitsWork: Bool
        /// Output positions per image in the tile.
        var span: Int { rows.count * width }
        /// Columns of the tile's matrices.
        var columns: Int { count * span }
        /// Offset of the band's first position within an image's output.
        var offset: Int { rows.lowerBound * width }
    }

    /// Scratch memory of one part of the batch: the column matrix, the `[O, columns]` block of
    /// tiles of several images, and where to accumulate (the part's own zeroed sum when tiles are
    /// spread).
    private struct Scratch<T: SpatialKernelScalar> {
        let col: UnsafeMutablePointer<T>
        let block: UnsafeMutablePointer<T>
        let accumulator: UnsafeMutablePointer<T>?
    }

    /// Calls `body` for tiles covering the batch. A tile is one image when its output has at least
    /// `minimumColumns` positions (then GEMMs read and write the tensors in place), cut into bands
    /// when its column matrix exceeds `columnBudget`; smaller images are grouped. When each tile's
    /// GEMM is too small to run on several cores (`gemmThreadingThreshold`), whole-image tiles are
    /// spread across cores instead, in parts with their own scratch memory; their accumulators are
    /// then summed into `accumulate` (when given).
    private func forEachTile<T: SpatialKernelScalar>(
        _: T.Type, accumulate: UnsafeMutablePointer<T>? = nil, accumulatorCount: Int = 0,
        _ body: (_ tile: Tile, _ scratch: Scratch<T>) -> Void
    ) {
        let height = Int(image.out_h)
        let width = Int(image.out_w)
        let rowsPerColumn = groupRows * groups
        var images = 1
        var band = height
        if positions < minimumColumns && !isPointwise {
            images = Swift.min(Swift.max(batch, 1), (minimumColumns + positions - 1) / Swift.max(positions, 1))
        } else if rowsPerColumn * positions > columnBudget && !isPointwise {
            let wide = (minimumColumns + width - 1) / Swift.max(width, 1)
            band = Swift.min(height, Swift.max(wide, columnBudget / Swift.max(rowsPerColumn * width, 1)))
        }
        let columns = images * band * width
        let tileCount = (batch + images - 1) / images
        let spread =
            band == height && tileCount > 1 && outChannels / groups * columns * groupRows < gemmThreadingThreshold
        func run(_ tiles: Range<Int>, _ accumulator: UnsafeMutablePointer<T>?) {
            let col = UnsafeMutablePointer<T>.allocate(capacity: isPointwise ? 1 : rowsPerColumn * columns)
            let block = UnsafeMutablePointer<T>.allocate(capacity: images > 1 ? outChannels * columns : 1)
            defer {
                col.deallocate()
                block.deallocate()
            }
            let scratch = Scratch(col: col, block: block, accumulator: accumulator)
            for t in tiles {
                let first = t * images
                for top in stride(from: 0, to: height, by: band) {
                    let tile = Tile(
                        first: first, count: Swift.min(images, batch - first),
                        rows: top..<Swift.min(top + band, height), width: width, splitsWork: !spread)
                    body(tile, scratch)
                }
            }
        }
        guard spread else {
            if let accumulate { accumulate.initializeToZero(count: accumulatorCount) }
            run(0..<tileCount, accumulate)
            return
        }
        // Several parts per core, each with its own scratch and partial sum (so the sums do not
        // depend on which thread ran which part).
        let parts = Swift.min(tileCount, kernelThreads * finePartsPerCore)
        let partials = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(parts * accumulatorCount, 1))
        defer { partials.deallocate() }
        partials.initializeToZero(count: parts * accumulatorCount)
        parallelRanges(parts, work: .max, partsPerCore: finePartsPerCore) { range in
            for part in range {
                run(part * tileCount / parts..<(part + 1) * tileCount / parts, partials + part * accumulatorCount)
            }
        }
        guard let accumulate else { return }
        for i in 0..<accumulatorCount {
            var sum: T = 0
            for part in 0..<parts { sum += partials[part * accumulatorCount + i] }
            accumulate[i] = sum
        }
    }

    /// Runs a C kernel over a tile's images, or over channel ranges of a one-image tile, split
    /// across cores when the tile allows: `body(image, channels, geometry)` gets a geometry
    /// restricted to those channels.
    private func forEachPart(
        _ tile: Tile, _ body: (_ image: Int, _ channels: Range<Int>, UnsafePointer<ember_conv_geometry>) -> Void
    ) {
        let channels = Int(image.channels)
        let work = tile.splitsWork ? tile.columns * groupRows * groups : 0
        withUnsafePointer(to: image) { whole in
            guard tile.count == 1 else {
                parallelRanges(tile.count, work: work) { images in
                    for b in images { body(b, 0..<channels, whole) }
                }
                return
            }
            parallelRanges(channels, work: work) { range in
                var part = image
                part.channels = Int64(range.count)
                withUnsafePointer(to: part) { body(0, range, $0) }
            }
        }
    }

    /// The tile's column matrix and its leading dimension: im2col into `col`, or for pointwise
    /// convolutions the image itself.
    private func unfold<T: SpatialKernelScalar>(
        _ x: UnsafePointer<T>, _ tile: Tile, into col: UnsafeMutablePointer<T>
    ) -> (UnsafePointer<T>, Int) {
        if isPointwise { return (x + tile.first * imageSize + tile.offset, positions) }
        let n = tile.columns
        let kernelArea = Int(image.kernel_h * image.kernel_w)
        forEachPart(tile) { b, channels, g in
            T.im2col(
                x + (tile.first + b) * imageSize + channels.lowerBound * inputPlane, g, Int64(tile.rows.lowerBound),
                Int64(tile.rows.upperBound), col + b * tile.span + channels.lowerBound * kernelArea * n, Int64(n))
        }
        return (UnsafePointer(col), n)
    }

    /// The tile's part of an `[N, O, positions]` tensor as a matrix `[O, columns]` and its leading
    /// dimension: a view for one-image tiles, else gathered into `block`.
    private func gathered<T: SpatialKernelScalar>(
        _ batch: UnsafePointer<T>, _ tile: Tile, block: UnsafeMutablePointer<T>
    ) -> (UnsafePointer<T>, Int) {
        let start = batch + tile.first * outChannels * positions
        if tile.count == 1 { return (start + tile.offset, positions) }
        T.batchToChunk(start, Int64(outChannels), Int64(tile.count), Int64(positions), block)
        return (UnsafePointer(block), tile.columns)
    }

    /// `y = conv(x, w) + bias` (`bias` per output channel); all contiguous. One-image tiles start
    /// from the bias (or zeros) and let GEMM accumulate onto it.
    private func forward<T: SpatialKernelScalar>(_: T.Type, _ x: Tensor, _ w: Tensor, _ bias: Tensor?, into y: Tensor) {
        let (x, w, bias, y) = (
            x.base(T.self), w.base(T.self), bias.map { UnsafePointer($0.base(T.self)) }, y.base(T.self)
        )
        let (og, k) = (outChannels / groups, groupRows)
        forEachTile(T.self) { tile, scratch in
            let n = tile.columns
            let (col, ldcol) = unfold(x, tile, into: scratch.col)
            let output = y + tile.first * outChannels * positions
            let (target, ldt) = tile.count == 1 ? (output + tile.offset, positions) : (scratch.block, n)
            if tile.count == 1 { T.fillChannels(target, Int64(ldt), bias, Int64(outChannels), Int64(n)) }
            let beta: T = tile.count == 1 ? 1 : 0
            for g in 0..<groups {
                T.gemm(
                    false, false, og, n, k, w + g * og * k, k, col + g * k * ldcol, ldcol, beta, target + g * og * ldt,
                    ldt)
            }
            if tile.count > 1 {
                T.chunkToBatch(scratch.block, bias, Int64(outChannels), Int64(tile.count), Int64(positions), output)
            }
        }
    }

    /// The adjoint of `forward` in `x`: `dx = convᵀ(dy, w)`, plus `bias` per input channel (the
    /// transposed convolution's bias); all contiguous. Each image starts from the bias (or zeros)
    /// and the bands' col2im (or, for pointwise convolutions, GEMM) accumulate onto it.
    private func backwardInput<T: SpatialKernelScalar>(
        _: T.Type, _ dy: Tensor, _ w: Tensor, _ bias: Tensor?, into dx: Tensor
    ) {
        let (dy, w, bias, dx) = (
            dy.base(T.self), w.base(T.self), bias.map { UnsafePointer($0.base(T.self)) }, dx.base(T.self)
        )
        let (og, k) = (outChannels / groups, groupRows)
        let kernelArea = Int(image.kernel_h * image.kernel_w)
        forEachTile(T.self) { tile, scratch in
            let n = tile.columns
            let col = scratch.col
            let (grad, ldg) = gathered(dy, tile, block: scratch.block)
            let image0 = dx + tile.first * imageSize
            if isPointwise {
                T.fillChannels(image0 + tile.offset, Int64(positions), bias, image.channels, Int64(n))
            } else if tile.rows.lowerBound == 0 {
                for b in 0..<tile.count {
                    T.fillChannels(image0 + b * imageSize, Int64(inputPlane), bias, image.channels, Int64(inputPlane))
                }
            }
            let (target, ldt) = isPointwise ? (image0 + tile.offset, positions) : (col, n)
            let beta: T = isPointwise ? 1 : 0
            for g in 0..<groups {
                T.gemm(
                    true, false, k, n, og, w + g * og * k, k, grad + g * og * ldg, ldg, beta, target + g * k * ldt, ldt)
            }
            guard !isPointwise else { return }
            forEachPart(tile) { b, channels, g in
                T.col2im(
                    col + b * tile.span + channels.lowerBound * kernelArea * n, Int64(n), g,
                    Int64(tile.rows.lowerBound), Int64(tile.rows.upperBound),
                    image0 + b * imageSize + channels.lowerBound * inputPlane)
            }
        }
    }

    /// The adjoint of `forward` in `w`: `dw = Σ dy @ colᵀ` over the batch; all contiguous.
    private func backwardWeight<T: SpatialKernelScalar>(_: T.Type, _ x: Tensor, _ dy: Tensor, into dw: Tensor) {
        let (x, dy, dw) = (x.base(T.self), dy.base(T.self), dw.base(T.self))
        let (og, k) = (outChannels / groups, groupRows)
        forEachTile(T.self, accumulate: dw, accumulatorCount: outChannels * k) { tile, scratch in
            let n = tile.columns
            let (col, ldcol) = unfold(x, tile, into: scratch.col)
            let (grad, ldg) = gathered(dy, tile, block: scratch.block)
            let sum = scratch.accumulator!
            for g in 0..<groups {
                T.gemm(
                    false, true, og, k, n, grad + g * og * ldg, ldg, col + g * k * ldcol, ldcol, 1, sum + g * og * k, k)
            }
        }
    }
}

// MARK: - Tensor-level kernels (no autograd)

extension ConvGeometry {
    /// `conv(x, w) + bias` as a new `[N, O, outSpatial…]` tensor.
    func convolution(_ x: Tensor, _ w: Tensor, bias: Tensor?) -> Tensor {
        let out = Tensor(empty: outputShape, dtype: x.dtype, zeroed: false)
        if usesWinograd {
            winogradForward(spatialKernelScalar(x.dtype), dense(x), dense(w), bias.map(dense), into: out)
        } else {
            forward(spatialKernelScalar(x.dtype), dense(x), dense(w), bias.map(dense), into: out)
        }
        return out
    }

    /// `convᵀ(dy, w) + bias` (the transposed convolution) as a new `[N, C, spatial…]` tensor.
    func transposedConvolution(_ dy: Tensor, _ w: Tensor, bias: Tensor?) -> Tensor {
        let out = Tensor(empty: inputShape, dtype: dy.dtype, zeroed: false)
        if let adjoint = winogradAdjoint {
            adjoint.winogradForward(
                spatialKernelScalar(dy.dtype), dense(dy), dense(w), adjoint: true, bias.map(dense), into: out)
        } else {
            backwardInput(spatialKernelScalar(dy.dtype), dense(dy), dense(w), bias.map(dense), into: out)
        }
        return out
    }

    /// The weight gradient `Σ dy ⊛ x` as a new `[O, C / groups, kernel…]` tensor.
    func weightGradient(_ x: Tensor, _ dy: Tensor) -> Tensor {
        let out = Tensor(empty: weightShape, dtype: x.dtype, zeroed: false)
        if usesWinograd {
            winogradWeightGradient(spatialKernelScalar(x.dtype), dense(x), dense(dy), into: out)
        } else {
            backwardWeight(spatialKernelScalar(x.dtype), dense(x), dense(dy), into: out)
        }
        return out
    }
}

/// Sums of `[N, C, spatial…]` over all but the channel dimension (a convolution's bias gradient),
/// recorded: its gradient broadcasts back over the batch and spatial dimensions.
func channelSums(_ g: Tensor) -> Tensor {
    let dense = dense(g)
    let channels = g.shape[1]
    let out = Tensor(empty: [channels], dtype: g.dtype, zeroed: false)
    channelSums(spatialKernelScalar(g.dtype), dense, into: out)
    let shape = g.shape
    return Tensor.record("SumBackward1", output: out, inputs: [g]) { gg, _ in
        [gg.reshape([1, channels] + [Int](repeating: 1, count: shape.count - 2)).expand(shape)]
    }
}

private func channelSums<T: SpatialKernelScalar>(_: T.Type, _ g: Tensor, into out: Tensor) {
    let positions = g.shape.dropFirst(2).reduce(1, *)
    T.channelSums(g.base(T.self), Int64(g.shape[0]), Int64(g.shape[1]), Int64(positions), out.base(T.self))
}

/// The kernel element type for a floating-point dtype.
func spatialKernelScalar(_ dtype: DType) -> any SpatialKernelScalar.Type {
    switch dtype {
    case .float32: Float.self
    case .float64: Double.self
    default: fatalError("convolution and pooling kernels need float32 or float64 tensors, got \(dtype)")
    }
}

/// Height and width from per-dimension values: 1-D ones run as 2-D with height `fill`.
func heightAndWidth(_ values: [Int], fill: Int) -> (Int64, Int64) {
    values.count == 2 ? (Int64(values[0]), Int64(values[1])) : (Int64(fill), Int64(values[0]))
}

/// `t` itself when contiguous, else a contiguous copy; never recorded for autograd.
func dense(_ t: Tensor) -> Tensor { t.detach().contiguous() }
