import CEmberKernels

/// Pooling (`F.maxPool1d/2d`, `F.avgPool1d/2d`, `F.adaptiveAvgPool1d/2d`,
/// `F.adaptiveMaxPool1d/2d`): PyTorch's shape rules and messages, C kernels over the
/// `[height, width]` planes of the input (Sources/CEmberKernels/pool.c), and gradients that are
/// themselves differentiable: max pooling routes gradients to the saved argmax indices (the first
/// maximum on ties, as PyTorch's CPU kernels), average pooling spreads them over each window.
/// One-dimensional pooling runs as two-dimensional pooling of height 1.
extension F {
    /// Max pooling over `[N, C, L]` or `[C, L]` (`F.max_pool1d`); `stride` defaults to `kernelSize`.
    public static func maxPool1d(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) -> Tensor {
        let window = PoolWindow(
            rank: 1, function: "max_pool1d", kernelSize: kernelSize, stride: stride, padding: padding,
            dilation: dilation)
        return PoolGeometry(input, window: window, ceilMode: ceilMode, kind: .max).maxPool(input, indices: false).output
    }

    /// `F.max_pool1d(..., return_indices=True)`: the pooled values and the position of each
    /// maximum within its input row.
    public static func maxPool1dWithIndices(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) -> (output: Tensor, indices: Tensor) {
        let window = PoolWindow(
            rank: 1, function: "max_pool1d", kernelSize: kernelSize, stride: stride, padding: padding,
            dilation: dilation)
        let (output, indices) = PoolGeometry(input, window: window, ceilMode: ceilMode, kind: .max)
            .maxPool(input, indices: true)
        return (output, indices!)
    }

    /// Max pooling over `[N, C, H, W]` or `[C, H, W]` (`F.maxPool2d(img, kernelSize: 2)`);
    /// `stride` defaults to `kernelSize`.
    public static func maxPool2d(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) -> Tensor {
        let window = PoolWindow(
            rank: 2, function: "max_pool2d", kernelSize: kernelSize, stride: stride, padding: padding,
            dilation: dilation)
        return PoolGeometry(input, window: window, ceilMode: ceilMode, kind: .max).maxPool(input, indices: false).output
    }

    /// `F.max_pool2d(..., return_indices=True)`: the pooled values and the flat position of each
    /// maximum within its input plane.
    public static func maxPool2dWithIndices(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, dilation: any SpatialArgument = 1, ceilMode: Bool = false
    ) -> (output: Tensor, indices: Tensor) {
        let window = PoolWindow(
            rank: 2, function: "max_pool2d", kernelSize: kernelSize, stride: stride, padding: padding,
            dilation: dilation)
        let (output, indices) = PoolGeometry(input, window: window, ceilMode: ceilMode, kind: .max)
            .maxPool(input, indices: true)
        return (output, indices!)
    }

    /// Average pooling over `[N, C, L]` or `[C, L]` (`F.avg_pool1d`); `stride` defaults to
    /// `kernelSize`.
    public static func avgPool1d(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, ceilMode: Bool = false, countIncludePad: Bool = true
    ) -> Tensor {
        let window = PoolWindow(
            rank: 1, function: "avg_pool1d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: 1)
        let kind = PoolKind.average(countIncludePad: countIncludePad, divisorOverride: nil)
        return PoolGeometry(input, window: window, ceilMode: ceilMode, kind: kind).averagePool(input)
    }

    /// Average pooling over `[N, C, H, W]` or `[C, H, W]` (`F.avgPool2d(img, kernelSize: 2)`);
    /// `stride` defaults to `kernelSize`; `divisorOverride` replaces the window size as divisor.
    public static func avgPool2d(
        _ input: Tensor, kernelSize: any SpatialArgument, stride: (any SpatialArgument)? = nil,
        padding: any SpatialArgument = 0, ceilMode: Bool = false, countIncludePad: Bool = true,
        divisorOverride: Int? = nil
    ) -> Tensor {
        precondition(divisorOverride.map { $0 != 0 } ?? true, "divisor must be not zero")
        let window = PoolWindow(
            rank: 2, function: "avg_pool2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: 1)
        let kind = PoolKind.average(countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        return PoolGeometry(input, window: window, ceilMode: ceilMode, kind: kind).averagePool(input)
    }

    /// Adaptive average pooling of `[N, C, L]` or `[C, L]` to `outputSize` positions
    /// (`F.adaptive_avg_pool1d`).
    public static func adaptiveAvgPool1d(_ input: Tensor, outputSize: any SpatialArgument) -> Tensor {
        PoolGeometry(input, adaptive: outputSize, rank: 1, kind: .adaptiveAverage).averagePool(input)
    }

    /// Adaptive average pooling of `[N, C, H, W]` or `[C, H, W]` to `outputSize`
    /// (`F.adaptiveAvgPool2d(img, outputSize: [1, 1])`); windows need not divide the input evenly.
    public static func adaptiveAvgPool2d(_ input: Tensor, outputSize: any SpatialArgument) -> Tensor {
        PoolGeometry(input, adaptive: outputSize, rank: 2, kind: .adaptiveAverage).averagePool(input)
    }

    /// Adaptive max pooling of `[N, C, L]` or `[C, L]` to `outputSize` positions
    /// (`F.adaptive_max_pool1d`).
    public static func adaptiveMaxPool1d(_ input: Tensor, outputSize: any SpatialArgument) -> Tensor {
        adaptiveMaxPool1dWithIndices(input, outputSize: outputSize).output
    }

    /// `F.adaptive_max_pool1d(..., return_indices=True)`.
    public static func adaptiveMaxPool1dWithIndices(_ input: Tensor, outputSize: any SpatialArgument)
        -> (output: Tensor, indices: Tensor)
    {
        let (output, indices) = PoolGeometry(input, adaptive: outputSize, rank: 1, kind: .adaptiveMax)
            .maxPool(input, indices: true)
        return (output, indices!)
    }

    /// Adaptive max pooling of `[N, C, H, W]` or `[C, H, W]` to `outputSize`
    /// (`F.adaptive_max_pool2d`).
    public static func adaptiveMaxPool2d(_ input: Tensor, outputSize: any SpatialArgument) -> Tensor {
        adaptiveMaxPool2dWithIndices(input, outputSize: outputSize).output
    }

    /// `F.adaptive_max_pool2d(..., return_indices=True)`.
    public static func adaptiveMaxPool2dWithIndices(_ input: Tensor, outputSize: any SpatialArgument)
        -> (output: Tensor, indices: Tensor)
    {
        let (output, indices) = PoolGeometry(input, adaptive: outputSize, rank: 2, kind: .adaptiveMax)
            .maxPool(input, indices: true)
        return (output, indices!)
    }
}

/// What a pooling computes over each window.
enum PoolKind: Equatable {
    case max
    case average(countIncludePad: Bool, divisorOverride: Int?)
    case adaptiveMax
    case adaptiveAverage
}

/// A pooling window's arguments, checked and expanded to `rank` values each.
struct PoolWindow {
    let rank: Int
    let function: String
    let kernel: [Int]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]

    init(
        rank: Int, function: String, kernelSize: any SpatialArgument, stride: (any SpatialArgument)?,
        padding: any SpatialArgument, dilation: any SpatialArgument
    ) {
        func expand(_ argument: any SpatialArgument, _ name: String) -> [Int] {
            let values = argument.values(count: rank)
            precondition(values.count == rank || values.count == 1, Self.arityMessage(function, name, values.count))
            return values.count == rank ? values : [Int](repeating: values[0], count: rank)
        }
        self.rank = rank
        self.function = function
        kernel = expand(kernelSize, "kernel_size")
        self.stride = stride.map { expand($0, "stride") } ?? kernel
        self.padding = expand(padding, "padding")
        self.dilation = expand(dilation, "dilation")
        if function == "max_pool1d" {
            checkMaxPool1d()
        } else {
            check()
        }
    }

    /// PyTorch's message for an argument with the wrong number of values.
    private static func arityMessage(_ function: String, _ name: String, _ count: Int) -> String {
        switch function {
        case "max_pool1d":
            "max_pool1d() \(name) must be an int, list of ints or tuple of ints of size 1 but got size \(count)"
        case "avg_pool1d": "avg_pool1d() argument '\(name)' should contain one int (got \(count))"
        default:
            name == "stride"
                ? "\(function): stride must either be omitted, a single int, or a tuple of two ints"
                : "\(function): \(name) must \(name == "dilation" ? "be either" : "either be") a single int, or a tuple of two ints"
        }
    }

    /// The checks of `max_pool1d`, with its own messages.
    private func checkMaxPool1d() {
        let (k, s, p, d) = (kernel[0], stride[0], padding[0], dilation[0])
        precondition(k > 0, "max_pool1d() kernel_size must be greater than zero, but got \(k)")
        precondition(s > 0, "max_pool1d() stride must be greater than zero, but got \(s)")
        precondition(p >= 0, "max_pool1d() padding must be non-negative, but got \(p)")
        precondition(
            p <= k / 2,
            "max_pool1d() padding should be at most half of kernel size, but got padding=\(p) and kernel_size=\(k)")
        precondition(d > 0, "max_pool1d() dilation must be greater than zero, but got \(d)")
    }

    /// The checks of the 2-D poolings and `avg_pool1d` (PyTorch's `pool2d_shape_check`), which
    /// report height and width, 1-D arguments as height 1.
    private func check() {
        precondition(stride.allSatisfy { $0 != 0 }, "stride should not be zero")
        let (kh, sh, dh) = rank == 2 ? (kernel, stride, dilation) : ([1] + kernel, [1] + stride, [1] + dilation)
        precondition(
            kh.allSatisfy { $0 > 0 }, "kernel size should be greater than zero, but got kH: \(kh[0]) kW: \(kh[1])")
        precondition(sh.allSatisfy { $0 > 0 }, "stride should be greater than zero, but got dH: \(sh[0]) dW: \(sh[1])")
        precondition(
            dh.allSatisfy { $0 > 0 },
            "dilation should be greater than zero, but got dilationH: \(dh[0]) dilationW: \(dh[1])")
        for d in 0..<rank {
            precondition(padding[d] >= 0, "pad must be non-negative, but got pad: \(padding[d])")
            precondition(
                padding[d] <= kernel[d] / 2,
                "pad should be at most half of effective kernel size, but got pad=\(padding[d]), kernel_size=\(kernel[d]) and dilation=\(dilation[d])"
            )
        }
    }

    /// PyTorch's `pooling_output_shape`: floor or ceil division, and a last window that starts
    /// inside the input or its left padding.
    func outputSize(_ size: Int, _ d: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1 + (ceilMode ? stride[d] - 1 : 0)
        var out = floorDivide(span, stride[d]) + 1
        if ceilMode && (out - 1) * stride[d] >= size + padding[d] { out -= 1 }
        return out
    }

    private func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// The geometry of one pooling call: the input's leading dimensions are flattened into planes.
struct PoolGeometry {
    let kind: PoolKind
    /// Dimensions before the spatial ones (`[N, C]` or `[C]`).
    let leading: [Int]
    let spatialRank: Int
    let plane: ember_pool_geometry

    var inputShape: [Int] { leading + spatial(plane.height, plane.width) }
    var outputShape: [Int] { leading + spatial(plane.out_h, plane.out_w) }
    private func spatial(_ h: Int64, _ w: Int64) -> [Int] { spatialRank == 2 ? [Int(h), Int(w)] : [Int(w)] }

    /// A windowed (max or average) pooling of `input`.
    init(_ input: Tensor, window: PoolWindow, ceilMode: Bool, kind: PoolKind) {
        let rank = window.rank
        if rank == 2 {
            precondition(
                (input.dim == 3 || input.dim == 4) && input.shape.dropFirst().allSatisfy { $0 > 0 },
                "non-empty 3D or 4D (batch mode) tensor expected for input")
        } else if kind == .max {
            precondition(
                input.dim == 2 || input.dim == 3,
                "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:\(input.shape)"
            )
        } else {
            precondition(
                input.dim == 2 || input.dim == 3,
                "Expected 2 to 3 dimensions, but got \(input.dim)-dimensional tensor for argument #1 'self' (while checking arguments for \(window.function))"
            )
        }
        let size = Array(input.shape.suffix(rank))
        let out = (0..<rank).map { window.outputSize(size[$0], $0, ceilMode: ceilMode) }
        if rank == 1 && kind == .max {
            precondition(out[0] > 0, "max_pool1d() Invalid computed output size: \(out[0])")
        }
        let channels = input.shape[input.dim - rank - 1]
        precondition(
            out.allSatisfy { $0 > 0 },
            "Given input size: (\(([channels] + (rank == 1 ? [1] : []) + size).map(String.init).joined(separator: "x"))). Calculated output size: (\(([channels] + (rank == 1 ? [1] : []) + out).map(String.init).joined(separator: "x"))). Output size is too small"
        )
        let (kh, kw) = heightAndWidth(window.kernel, fill: 1)
        let (sh, sw) = heightAndWidth(window.stride, fill: 1)
        let (ph, pw) = heightAndWidth(window.padding, fill: 0)
        let (dh, dw) = heightAndWidth(window.dilation, fill: 1)
        self.init(
            kind: kind, leading: Array(input.shape.dropLast(rank)), spatialRank: rank, size: size, outSize: out,
            window: (kh, kw, sh, sw, ph, pw, dh, dw))
    }

    /// An adaptive pooling of `input` to `outputSize`.
    init(_ input: Tensor, adaptive outputSize: any SpatialArgument, rank: Int, kind: PoolKind) {
        let name = kind == .adaptiveMax ? "adaptive_max_pool\(rank)d" : "adaptive_avg_pool\(rank)d"
        if rank == 2 {
            precondition(
                input.dim == 3 || input.dim == 4,
                "\(name)(): Expected 3D or 4D tensor, but got\(kind == .adaptiveMax ? ":" : "") \(input.shape)")
        } else {
            precondition(
                input.dim == 2 || input.dim == 3,
                "Expected 2 to 3 dimensions, but got \(input.dim)-dimensional tensor for argument #1 'self' (while checking arguments for \(name))"
            )
        }
        for d in 1..<input.dim where input.shape[d] == 0 {
            preconditionFailure(
                "\(name)(): Expected input to have non-zero size for non-batch dimensions, but input has sizes \(input.shape) with dimension \(d) being empty"
            )
        }
        let out = outputSize.values(count: rank)
        precondition(out.count == rank, "\(name): output_size must be \(rank)")
        precondition(
            out.allSatisfy { $0 >= 0 },
            "\(name): elements of output_size must be greater than or equal to 0 but received {\(out.map(String.init).joined(separator: ", "))}"
        )
        self.init(
            kind: kind, leading: Array(input.shape.dropLast(rank)), spatialRank: rank,
            size: Array(input.shape.suffix(rank)), outSize: out, window: (1, 1, 1, 1, 0, 0, 1, 1))
    }

    private init(
        kind: PoolKind, leading: [Int], spatialRank: Int, size: [Int], outSize: [Int],
        window: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64)
    ) {
        self.kind = kind
        self.leading = leading
        self.spatialRank = spatialRank
        let (h, w) = heightAndWidth(size, fill: 1)
        let (oh, ow) = heightAndWidth(outSize, fill: 1)
        plane = ember_pool_geometry(
            planes: Int64(leading.reduce(1, *)), height: h, width: w, out_h: oh, out_w: ow, kernel_h: window.0,
            kernel_w: window.1, stride_h: window.2, stride_w: window.3,
            pad_h: window.4, pad_w: window.5, dilation_h: window.6, dilation_w: window.7)
    }

    private var nodeName: String {
        let rank = "\(spatialRank)D"
        switch kind {
        case .max: return "MaxPool\(rank)WithIndicesBackward0"
        case .average: return "AvgPool\(rank)Backward0"
        case .adaptiveMax: return "AdaptiveMaxPool\(rank)Backward0"
        case .adaptiveAverage: return "AdaptiveAvgPool\(rank)Backward0"
        }
    }

    // MARK: Max pooling

    /// The maxima, recorded (the gradient goes to each window's argmax), and their indices when
    /// asked for. Without autograd and without `indices`, no indices are computed.
    func maxPool(_ input: Tensor, indices wanted: Bool) -> (output: Tensor, indices: Tensor?) {
        precondition(
            input.dtype.isFloatingPoint, "\(nodeName): Ember pools float32 and float64 tensors, got \(input.dtype)")
        let out = Tensor(empty: outputShape, dtype: input.dtype, zeroed: false)
        let needed = wanted || kind == .adaptiveMax || Tensor.willRecord(input)
        let indices = needed ? Tensor(empty: outputShape, dtype: .int64, zeroed: false) : nil
        maxPool(spatialKernelScalar(input.dtype), dense(input), into: out, indices)
        guard let indices else { return (out, nil) }
        let recorded = Tensor.record(nodeName, output: out, inputs: [input]) { g, _ in
            [scatterToArgmax(g, indices)]
        }
        return (recorded, indices)
    }

    private func maxPool<T: SpatialKernelScalar>(_: T.Type, _ input: Tensor, into out: Tensor, _ indices: Tensor?) {
        let kernel = kind == .max ? T.maxPool : T.adaptiveMaxPool
        let (source, target, positions) = (input.base(T.self), out.base(T.self), indices?.base(Int64.self))
        forEachPlaneRange { first, part in
            kernel(
                source + first * inputPlane, part, target + first * outputPlane,
                positions.map { $0 + first * outputPlane })
        }
    }

    /// The max-pooling gradient: `g` added at each window's argmax, recorded (its own gradient
    /// gathers at the same indices).
    private func scatterToArgmax(_ g: Tensor, _ indices: Tensor) -> Tensor {
        let out = Tensor(empty: inputShape, dtype: g.dtype, zeroed: false)
        scatter(spatialKernelScalar(g.dtype), dense(g), indices, into: out)
        let planes = Int(plane.planes)
        let flatIndices = indices.reshape([planes, -1])
        return Tensor.record(nodeName.replacing("Backward0", with: "BackwardBackward0"), output: out, inputs: [g]) {
            gg, _ in
            [gg.reshape([planes, -1]).gather(dim: 1, index: flatIndices).reshape(outputShape)]
        }
    }

    private func scatter<T: SpatialKernelScalar>(_: T.Type, _ g: Tensor, _ indices: Tensor, into out: Tensor) {
        let (source, positions, target) = (g.base(T.self), indices.base(Int64.self), out.base(T.self))
        forEachPlaneRange { first, part in
            T.maxPoolBackward(
                source + first * outputPlane, positions + first * outputPlane, part.pointee.planes,
                Int64(inputPlane), Int64(outputPlane), target + first * inputPlane)
        }
    }

    // MARK: Average pooling

    /// Window averages, recorded: the gradient is spread evenly over each window.
    func averagePool(_ input: Tensor) -> Tensor {
        precondition(
            input.dtype.isFloatingPoint, "\(nodeName): Ember pools float32 and float64 tensors, got \(input.dtype)")
        let out = Tensor(empty: outputShape, dtype: input.dtype, zeroed: false)
        average(spatialKernelScalar(input.dtype), dense(input), into: out, backward: false)
        return Tensor.record(nodeName, output: out, inputs: [input]) { g, _ in [spreadOverWindows(g)] }
    }

    /// The average-pooling gradient, recorded (it is linear; its own gradient is the pooling).
    private func spreadOverWindows(_ g: Tensor) -> Tensor {
        let out = Tensor(empty: inputShape, dtype: g.dtype, zeroed: false)
        average(spatialKernelScalar(g.dtype), dense(g), into: out, backward: true)
        return Tensor.record(nodeName.replacing("Backward0", with: "BackwardBackward0"), output: out, inputs: [g]) {
            gg, _ in
            [averagePool(gg)]
        }
    }

    private func average<T: SpatialKernelScalar>(_: T.Type, _ source: Tensor, into out: Tensor, backward: Bool) {
        let (sourcePlane, targetPlane) = backward ? (outputPlane, inputPlane) : (inputPlane, outputPlane)
        let (from, to) = (source.base(T.self), out.base(T.self))
        forEachPlaneRange { first, part in
            let (a, b) = (from + first * sourcePlane, to + first * targetPlane)
            switch kind {
            case .average(let countIncludePad, let divisorOverride):
                let kernel = backward ? T.avgPoolBackward : T.avgPool
                kernel(a, part, countIncludePad ? 1 : 0, Int64(divisorOverride ?? 0), b)
            default:
                (backward ? T.adaptiveAvgPoolBackward : T.adaptiveAvgPool)(a, part, b)
            }
        }
    }

    // MARK: Planes

    private var inputPlane: Int { Int(plane.height * plane.width) }
    private var outputPlane: Int { Int(plane.out_h * plane.out_w) }

    /// Calls `body(first, geometry)` for runs of planes (split across cores when large), with the
    /// geometry of that run; the caller offsets its pointers by `first` planes.
    private func forEachPlaneRange(_ body: (_ first: Int, _ part: UnsafePointer<ember_pool_geometry>) -> Void) {
        let planes = Int(plane.planes)
        parallelRanges(planes, work: planes * (inputPlane + outputPlane), partsPerCore: finePartsPerCore) { range in
            var part = plane
            part.planes = Int64(range.count)
            withUnsafePointer(to: part) { body(range.lowerBound, $0) }
        }
    }
}
