// PyTorch-verified tests for pooling (functional and layers): conv.json cases (see
// make_conv_fixtures.py), float64 gradient checks including second derivatives, reprs and errors.

import Testing

@testable import Ember

// MARK: - The op table

private func window(
    _ f:
        @escaping @Sendable (Tensor, any SpatialArgument, (any SpatialArgument)?, any SpatialArgument, FixtureParams)
        -> Tensor
) -> SpatialFixtureOp {
    { xs, p in
        let stride: (any SpatialArgument)? = p.has("stride") ? p.spatial("stride", default: 1) : nil
        return (f(xs[0], p.spatial("kernel_size", default: 1), stride, p.spatial("padding", default: 0), p), xs)
    }
}

private func adaptive(_ f: @escaping @Sendable (Tensor, any SpatialArgument) -> Tensor) -> SpatialFixtureOp {
    { xs, p in (f(xs[0], p.spatial("output_size", default: 1)), xs) }
}

let poolFixtureOps: [String: SpatialFixtureOp] = [
    "max_pool1d": window { x, k, s, pad, p in
        F.maxPool1d(
            x, kernelSize: k, stride: s, padding: pad, dilation: p.spatial("dilation", default: 1),
            ceilMode: p.bool("ceil_mode"))
    },
    "max_pool2d": window { x, k, s, pad, p in
        F.maxPool2d(
            x, kernelSize: k, stride: s, padding: pad, dilation: p.spatial("dilation", default: 1),
            ceilMode: p.bool("ceil_mode"))
    },
    "max_pool2d_indices": window { x, k, s, pad, p in
        F.maxPool2dWithIndices(x, kernelSize: k, stride: s, padding: pad, ceilMode: p.bool("ceil_mode")).indices
    },
    "avg_pool1d": window { x, k, s, pad, p in
        F.avgPool1d(
            x, kernelSize: k, stride: s, padding: pad, ceilMode: p.bool("ceil_mode"),
            countIncludePad: p.bool("count_include_pad", default: true))
    },
    "avg_pool2d": window { x, k, s, pad, p in
        F.avgPool2d(
            x, kernelSize: k, stride: s, padding: pad, ceilMode: p.bool("ceil_mode"),
            countIncludePad: p.bool("count_include_pad", default: true), divisorOverride: p.int("divisor_override"))
    },
    "adaptive_avg_pool1d": adaptive { F.adaptiveAvgPool1d($0, outputSize: $1) },
    "adaptive_avg_pool2d": adaptive { F.adaptiveAvgPool2d($0, outputSize: $1) },
    "adaptive_max_pool1d": adaptive { F.adaptiveMaxPool1d($0, outputSize: $1) },
    "adaptive_max_pool2d": adaptive { F.adaptiveMaxPool2d($0, outputSize: $1) },
    "adaptive_max_pool2d_indices": adaptive { F.adaptiveMaxPool2dWithIndices($0, outputSize: $1).indices },
]

// MARK: - Gradient checks

private func u(_ shape: Int...) -> GradInput { GradInput(shape: shape, kind: .uniform(lo: -2, hi: 2, away: nil)) }

/// The gradient of `sum(f(x) · c)` in `x` for a fixed `c`, as a differentiable function of `x`.
private func gradient(of f: @escaping @Sendable (Tensor) -> Tensor) -> @Sendable ([Tensor]) -> Tensor {
    { xs in
        enableGrad { gradientBody(f, xs[0]) }
    }
}

private func gradientBody(_ f: (Tensor) -> Tensor, _ x: Tensor) -> Tensor {
    let y = f(x)
    let weights = Tensor(shape: y.shape, scalars: (0..<y.count).map { Double($0 % 5) / 2 - 1 })
    return grad(of: [(y * weights).sum()], withRespectTo: [x], createGraph: true)[0]!
}

let poolGradcheckCases: [GradcheckCase] = [
    GradcheckCase("max_pool2d", [u(2, 2, 5, 5)]) { F.maxPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) },
    GradcheckCase("max_pool2d_ceil_dilation", [u(1, 2, 7, 6)]) {
        F.maxPool2d($0[0], kernelSize: [2, 3], stride: [2, 1], dilation: 2, ceilMode: true)
    },
    GradcheckCase("max_pool1d_unbatched", [u(2, 9)]) { F.maxPool1d($0[0], kernelSize: 3, stride: 2, ceilMode: true) },
    GradcheckCase("avg_pool2d", [u(2, 2, 5, 5)]) { F.avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1) },
    GradcheckCase("avg_pool2d_exclude_pad_ceil", [u(1, 2, 6, 5)]) {
        F.avgPool2d($0[0], kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)
    },
    GradcheckCase("avg_pool2d_divisor", [u(1, 1, 4, 4)]) { F.avgPool2d($0[0], kernelSize: 2, divisorOverride: 3) },
    GradcheckCase("avg_pool1d", [u(2, 2, 8)]) { F.avgPool1d($0[0], kernelSize: 3, stride: 2, padding: 1) },
    GradcheckCase("adaptive_avg_pool2d", [u(2, 2, 7, 5)]) { F.adaptiveAvgPool2d($0[0], outputSize: [3, 2]) },
    GradcheckCase("adaptive_avg_pool1d", [u(2, 7)]) { F.adaptiveAvgPool1d($0[0], outputSize: 4) },
    GradcheckCase("adaptive_max_pool2d", [u(2, 2, 7, 5)]) { F.adaptiveMaxPool2d($0[0], outputSize: [3, 2]) },
    GradcheckCase("adaptive_max_pool1d", [u(2, 2, 7)]) { F.adaptiveMaxPool1d($0[0], outputSize: 3) },
    GradcheckCase("max_pool2d_double_backward", [u(1, 2, 4, 4)], gradient { F.maxPool2d($0, kernelSize: 2).pow(2) }),
    GradcheckCase(
        "avg_pool2d_double_backward", [u(1, 2, 5, 5)],
        gradient { F.avgPool2d($0, kernelSize: 3, stride: 2, padding: 1).pow(2) }),
    GradcheckCase(
        "adaptive_avg_pool2d_double_backward", [u(1, 1, 5, 4)],
        gradient {
            F.adaptiveAvgPool2d($0, outputSize: [2, 3]).pow(2)
        }),
]

// MARK: - Tests

@Suite("Pooling")
struct PoolingTests {
    @Test(arguments: convCases { poolFixtureOps[$0] != nil })
    func matchesPyTorch(_ c: OpFixtureCase) throws {
        try checkSpatialFixture(c, poolFixtureOps[c.op]!)
    }

    @Test(arguments: poolGradcheckCases)
    func gradientsMatchFiniteDifferences(_ c: GradcheckCase) {
        let problems = checkGradients(c)
        #expect(problems.isEmpty, "\(c.name): \(problems.joined(separator: "\n"))")
    }

    @Test func apiSpellings() {
        let img = Tensor.randn([2, 4, 9, 9])
        #expect(F.maxPool2d(img, kernelSize: 2).shape == [2, 4, 4, 4])
        #expect(F.maxPool2d(img, kernelSize: 3, stride: 2, padding: 1).shape == [2, 4, 5, 5])
        #expect(F.avgPool2d(img, kernelSize: 2).shape == [2, 4, 4, 4])
        #expect(F.adaptiveAvgPool2d(img, outputSize: [1, 1]).shape == [2, 4, 1, 1])
        #expect(MaxPool2d(kernelSize: 2)(img).shape == [2, 4, 4, 4])
        #expect(AvgPool1d(kernelSize: 3)(img[0]).shape == [4, 9, 3])
        #expect(AdaptiveMaxPool2d(outputSize: 2)(img).shape == [2, 4, 2, 2])
        #expect(MaxPool2d(kernelSize: 2).stateDictKeys().isEmpty)
    }

    @Test func maxPoolRoutesTiesToTheFirstMaximum() {
        let x = Tensor(shape: [1, 1, 2, 2], scalars: [1, 1, 1, 1] as [Float])
        x.requiresGrad = true
        let (out, indices) = F.maxPool2dWithIndices(x, kernelSize: 2)
        #expect(indices.toArray(as: Int64.self) == [0])
        out.sum().backward()
        #expect(x.grad!.toArray(as: Float.self) == [1, 0, 0, 0])
        #expect(out.gradFn?.name == "MaxPool2DWithIndicesBackward0")
    }

    @Test func reprsMatchPyTorch() throws {
        let reprs = try #require(convFixtures?.reprs)
        let layers: [String: Module] = [
            "max_pool2d_2": MaxPool2d(kernelSize: 2),
            "max_pool2d_3_2_1": MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
            "max_pool2d_rect_ceil": MaxPool2d(kernelSize: [2, 3], ceilMode: true),
            "max_pool1d_3": MaxPool1d(kernelSize: 3),
            "avg_pool2d_2": AvgPool2d(kernelSize: 2),
            "avg_pool2d_full": AvgPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            "avg_pool1d_3": AvgPool1d(kernelSize: 3),
            "adaptive_avg_pool2d_pair": AdaptiveAvgPool2d(outputSize: [1, 1]),
            "adaptive_avg_pool2d_int": AdaptiveAvgPool2d(outputSize: 3),
            "adaptive_avg_pool1d_4": AdaptiveAvgPool1d(outputSize: 4),
            "adaptive_max_pool2d_pair": AdaptiveMaxPool2d(outputSize: [2, 3]),
            "adaptive_max_pool1d_2": AdaptiveMaxPool1d(outputSize: 2),
        ]
        for (name, layer) in layers {
            #expect(layer.description == reprs[name], "\(name)")
        }
    }
}

// MARK: - Errors

@Suite struct PoolingErrorTests {
    @Test func paddingTooLarge() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.maxPool2d(Tensor.randn([2, 3, 9, 9]), kernelSize: 2, padding: 2)
            }
            #expect(
                exitTestStderr(result).contains(
                    "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"))
        }
    }

    @Test func outputTooSmall() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.avgPool2d(Tensor.randn([1, 1, 2, 2]), kernelSize: 3)
            }
            #expect(
                exitTestStderr(result).contains(
                    "Given input size: (1x2x2). Calculated output size: (1x0x0). Output size is too small"))
        }
    }

    @Test func wrongInputRank() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.maxPool2d(Tensor.randn([3, 9]), kernelSize: 2)
            }
            #expect(exitTestStderr(result).contains("non-empty 3D or 4D (batch mode) tensor expected for input"))
        }
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.adaptiveAvgPool2d(Tensor.randn([9]), outputSize: 2)
            }
            #expect(exitTestStderr(result).contains("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [9]"))
        }
    }

    @Test func maxPool1dMessages() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = F.maxPool1d(Tensor.randn([2, 3, 9]), kernelSize: 2, padding: 2)
        }
        #expect(
            exitTestStderr(result).contains(
                "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2"))
    }

    @Test func kernelSizeArity() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.maxPool2d(Tensor.randn([2, 4, 5, 5]), kernelSize: [2, 2, 2])
            }
            #expect(
                exitTestStderr(result).contains(
                    "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"))
        }
    }
}
