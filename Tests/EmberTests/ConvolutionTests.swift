// PyTorch-verified tests for convolutions (functional and layers), the seed's CNN, and the shared
// runner for Tests/Fixtures/conv.json (written by Tests/Fixtures/make_conv_fixtures.py; see it for
// the format). Pooling cases run in PoolingTests.swift through the same runner.

import Foundation
import Testing

@testable import Ember

// MARK: - conv.json

struct CNNFixture: Decodable, Sendable {
    let stateDict: [String: FixtureTensor]
    let keys: [String]
    let input: FixtureTensor
    let output: FixtureTensor
    let upstream: FixtureTensor
    let inputGrad: FixtureTensor
    let convWeightGrad: FixtureTensor
    let convBiasGrad: FixtureTensor
    let linearBiasGrad: FixtureTensor

    enum CodingKeys: String, CodingKey {
        case keys, input, output, upstream
        case stateDict = "state_dict"
        case inputGrad = "input_grad"
        case convWeightGrad = "conv_weight_grad"
        case convBiasGrad = "conv_bias_grad"
        case linearBiasGrad = "linear_bias_grad"
    }
}

struct ConvFixtureFile: Decodable, Sendable {
    let cases: [OpFixtureCase]
    let reprs: [String: String]
    let cnn: CNNFixture
}

let convFixtureURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures/conv.json")

/// conv.json, or nil when it cannot be read (then `convFixtureFileLoads` fails).
let convFixtures: ConvFixtureFile? = {
    guard let data = try? Data(contentsOf: convFixtureURL) else { return nil }
    return try? JSONDecoder().decode(ConvFixtureFile.self, from: data)
}()

/// The conv.json cases whose op key satisfies `predicate`.
func convCases(_ predicate: (String) -> Bool) -> [OpFixtureCase] {
    (convFixtures?.cases ?? []).filter { predicate($0.op) }
}

/// Runs a conv.json case in Ember: the output, and the tensors whose `.grad` PyTorch reports
/// (the leaves for functions; the input and the layer's parameters for layers).
typealias SpatialFixtureOp = @Sendable (_ leaves: [Tensor], _ p: FixtureParams) -> (Tensor, [Tensor])

extension FixtureParams {
    /// An "int or tuple" argument: `[Int]` for a JSON list, else `Int`.
    func spatial(_ key: String, default d: Int) -> any SpatialArgument {
        if let list = ints(key) { return list }
        return int(key, default: d)
    }
}

/// Checks one conv.json case: the output, then after `backward(upstream)` every gradient.
func checkSpatialFixture(_ c: OpFixtureCase, _ op: SpatialFixtureOp) throws {
    let leaves = c.inputs.map { $0.makeTensor() }
    var xs = leaves
    if c.p.bool("transpose_input") { xs[0] = xs[0].transpose(-2, -1) }
    let (out, gradSources) = op(xs, c.p)
    if let problem = fixtureMismatch(out, c.output) {
        Issue.record("\(c.name): output \(problem)")
    }
    guard let upstream = c.upstream else {
        #expect(!out.requiresGrad, "\(c.name): output requires grad but PyTorch's does not")
        return
    }
    try #require(out.requiresGrad, "\(c.name): output does not require grad")
    out.backward(gradient: upstream.makeTensor())
    let sources = [leaves[0]] + gradSources.dropFirst()
    for (i, (source, expected)) in zip(sources, c.grads).enumerated() {
        guard let expected else { continue }
        guard let grad = source.grad else {
            Issue.record("\(c.name): input \(i) has no grad")
            continue
        }
        if let problem = fixtureMismatch(grad, expected) {
            Issue.record("\(c.name): grad of input \(i): \(problem)")
        }
    }
}

// MARK: - The op table

private func bias(_ xs: [Tensor]) -> Tensor? { xs.count > 2 ? xs[2] : nil }

private func functional(_ f: @escaping @Sendable ([Tensor], FixtureParams) -> Tensor) -> SpatialFixtureOp {
    { xs, p in (f(xs, p), xs) }
}

private func conv(_ rank: Int) -> SpatialFixtureOp {
    functional { xs, p in
        let (x, w) = (xs[0], xs[1])
        let (stride, dilation) = (p.spatial("stride", default: 1), p.spatial("dilation", default: 1))
        let groups = p.int("groups", default: 1)
        if let padding = p.string("padding") {
            return rank == 1
                ? F.conv1d(x, w, bias: bias(xs), stride: stride, padding: padding, dilation: dilation, groups: groups)
                : F.conv2d(x, w, bias: bias(xs), stride: stride, padding: padding, dilation: dilation, groups: groups)
        }
        let padding = p.spatial("padding", default: 0)
        return rank == 1
            ? F.conv1d(x, w, bias: bias(xs), stride: stride, padding: padding, dilation: dilation, groups: groups)
            : F.conv2d(x, w, bias: bias(xs), stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

private func convTranspose(_ rank: Int) -> SpatialFixtureOp {
    functional { xs, p in
        let f = rank == 1 ? F.convTranspose1d : F.convTranspose2d
        return f(
            xs[0], xs[1], bias(xs), p.spatial("stride", default: 1), p.spatial("padding", default: 0),
            p.spatial("output_padding", default: 0), p.int("groups", default: 1), p.spatial("dilation", default: 1))
    }
}

/// A convolution layer built from PyTorch's constructor arguments.
func makeConvLayer(_ kind: String, _ p: FixtureParams, dtype: DType) -> ConvNd {
    let (inC, outC) = (p.int("in_channels")!, p.int("out_channels")!)
    let kernel = p.spatial("kernel_size", default: 1)
    let stride = p.spatial("stride", default: 1)
    let dilation = p.spatial("dilation", default: 1)
    let groups = p.int("groups", default: 1)
    let hasBias = p.bool("bias", default: true)
    let mode = p.string("padding_mode") ?? "zeros"
    let padding = p.spatial("padding", default: 0)
    switch (kind, p.string("padding")) {
    case ("Conv1d", let s?):
        return Conv1d(
            inC, outC, kernelSize: kernel, stride: stride, padding: s, dilation: dilation, groups: groups,
            bias: hasBias, paddingMode: mode, dtype: dtype)
    case ("Conv1d", nil):
        return Conv1d(
            inC, outC, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups,
            bias: hasBias, paddingMode: mode, dtype: dtype)
    case ("Conv2d", let s?):
        return Conv2d(
            inC, outC, kernelSize: kernel, stride: stride, padding: s, dilation: dilation, groups: groups,
            bias: hasBias, paddingMode: mode, dtype: dtype)
    case ("Conv2d", nil):
        return Conv2d(
            inC, outC, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups,
            bias: hasBias, paddingMode: mode, dtype: dtype)
    default:
        return ConvTranspose2d(
            inC, outC, kernelSize: kernel, stride: stride, padding: padding,
            outputPadding: p.spatial("output_padding", default: 0), groups: groups, bias: hasBias, dilation: dilation,
            dtype: dtype)
    }
}

private func layer(_ kind: String) -> SpatialFixtureOp {
    { xs, p in
        let m = makeConvLayer(kind, p, dtype: xs[0].dtype)
        var state = ["weight": xs[1]]
        if xs.count > 2 { state["bias"] = xs[2] }
        do {
            try m.loadStateDict(state)
        } catch {
            Issue.record("\(error)")
        }
        return (m(xs[0]), [xs[0], m.weight] + (m.bias.map { [$0] } ?? []))
    }
}

let convFixtureOps: [String: SpatialFixtureOp] = [
    "conv1d": conv(1),
    "conv2d": conv(2),
    "conv_transpose1d": convTranspose(1),
    "conv_transpose2d": convTranspose(2),
    "Conv1d": layer("Conv1d"),
    "Conv2d": layer("Conv2d"),
    "ConvTranspose2d": layer("ConvTranspose2d"),
]

// MARK: - Gradient checks

private func u(_ shape: Int...) -> GradInput { GradInput(shape: shape, kind: .uniform(lo: -2, hi: 2, away: nil)) }

/// `f`'s gradient with respect to its first input, with a fixed random upstream, as a function of
/// all inputs: gradcheck on it checks the second derivatives (`gradgradcheck`).
private func gradient(of f: @escaping @Sendable ([Tensor]) -> Tensor) -> @Sendable ([Tensor]) -> Tensor {
    { xs in
        enableGrad { gradientBody(f, xs) }
    }
}

private func gradientBody(_ f: ([Tensor]) -> Tensor, _ xs: [Tensor]) -> Tensor {
    let y = f(xs)
    let weights = Tensor(shape: y.shape, scalars: (0..<y.count).map { Double($0 % 7) / 3 - 1 })
    return grad(of: [(y * weights).sum()], withRespectTo: [xs[0]], createGraph: true)[0]!
}

let convGradcheckCases: [GradcheckCase] = [
    GradcheckCase("conv2d_bias", [u(2, 2, 4, 4), u(3, 2, 3, 3), u(3)]) { F.conv2d($0[0], $0[1], bias: $0[2]) },
    GradcheckCase("conv2d_stride_pad", [u(1, 2, 5, 5), u(2, 2, 3, 3)]) {
        F.conv2d($0[0], $0[1], stride: 2, padding: 1)
    },
    GradcheckCase("conv2d_dilation_groups", [u(2, 4, 5, 5), u(4, 2, 2, 2), u(4)]) {
        F.conv2d($0[0], $0[1], bias: $0[2], padding: [1, 2], dilation: 2, groups: 2)
    },
    GradcheckCase("conv2d_same_even", [u(1, 2, 4, 5), u(2, 2, 2, 3)]) { F.conv2d($0[0], $0[1], padding: "same") },
    GradcheckCase("conv2d_pointwise", [u(2, 3, 3, 3), u(2, 3, 1, 1), u(2)]) { F.conv2d($0[0], $0[1], bias: $0[2]) },
    // 16 channels on both sides and 32 tiles: the forward pass, the input gradient and the weight
    // gradient run as Winograd's F(2×2, 3×3).
    GradcheckCase("conv2d_winograd", [u(2, 16, 7, 8), u(16, 16, 3, 3), u(16)]) {
        F.conv2d($0[0], $0[1], bias: $0[2], padding: 1)
    },
    GradcheckCase("conv2d_unbatched", [u(2, 4, 4), u(2, 2, 3, 3)]) { F.conv2d($0[0], $0[1], stride: [1, 2]) },
    GradcheckCase("conv1d", [u(2, 2, 7), u(3, 2, 3), u(3)]) {
        F.conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1, dilation: 2)
    },
    GradcheckCase("conv_transpose2d", [u(2, 2, 3, 3), u(2, 2, 3, 3), u(4)]) {
        F.convTranspose2d($0[0], $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1, groups: 2)
    },
    GradcheckCase("conv_transpose1d", [u(1, 2, 4), u(2, 3, 2)]) {
        F.convTranspose1d($0[0], $0[1], stride: 3, dilation: 2)
    },
    GradcheckCase("conv2d_reflect_pad", [u(1, 2, 4, 4), u(2, 2, 3, 3)]) {
        F.conv2d(spatialPad($0[0], before: [1, 2], after: [2, 1], mode: "reflect"), $0[1])
    },
    GradcheckCase("replicate_circular_pad", [u(1, 2, 3, 3)]) {
        spatialPad(
            spatialPad($0[0], before: [2], after: [1], mode: "replicate"), before: [1, 0], after: [3, 1],
            mode: "circular"
        )
        .sin()
    },
    GradcheckCase(
        "conv2d_double_backward", [u(1, 2, 4, 4), u(2, 2, 3, 3)],
        gradient { xs in
            F.conv2d(xs[0], xs[1], padding: 1).pow(2)
        }),
    GradcheckCase(
        "conv_transpose2d_double_backward", [u(1, 2, 3, 3), u(2, 1, 2, 2)],
        gradient { xs in
            F.convTranspose2d(xs[0], xs[1], stride: 2).pow(2)
        }),
    GradcheckCase(
        "conv2d_bias_double_backward", [u(2), u(2, 1, 3, 3), u(2, 1, 2, 2)],
        gradient { xs in
            // The gradient in the bias (first input) as a function of bias, input and weight.
            F.conv2d(xs[1], xs[2], bias: xs[0]).pow(2)
        }),
    GradcheckCase(
        "conv2d_weight_double_backward", [u(2, 2, 3, 3), u(1, 2, 4, 4)],
        gradient { xs in
            // The gradient in the weight (first input) as a function of weight and input.
            F.conv2d(xs[1], xs[0], padding: 1, groups: 1).pow(2)
        }),
]

// MARK: - Tests

@Suite("Convolution")
struct ConvolutionTests {
    @Test func convFixtureFileLoads() throws {
        let data = try Data(contentsOf: convFixtureURL)
        let file = try JSONDecoder().decode(ConvFixtureFile.self, from: data)
        #expect(file.cases.count > 60)
        #expect(Set(file.cases.map(\.name)).count == file.cases.count, "case names must be unique")
        let unknown = Set(file.cases.map(\.op)).subtracting(convFixtureOps.keys).subtracting(poolFixtureOps.keys)
        #expect(unknown.isEmpty, "conv.json uses op keys the Swift tables do not know: \(unknown.sorted())")
    }

    @Test(arguments: convCases { convFixtureOps[$0] != nil })
    func matchesPyTorch(_ c: OpFixtureCase) throws {
        try checkSpatialFixture(c, convFixtureOps[c.op]!)
    }

    @Test(arguments: convGradcheckCases)
    func gradientsMatchFiniteDifferences(_ c: GradcheckCase) {
        let problems = checkGradients(c)
        #expect(problems.isEmpty, "\(c.name): \(problems.joined(separator: "\n"))")
    }

    @Test func apiSpellings() {
        let img = Tensor.randn([2, 4, 9, 9])
        let w = Tensor.randn([6, 4, 3, 3])
        let b = Tensor.randn([6])
        #expect(F.conv2d(img, w, bias: b, stride: 2, padding: 1).shape == [2, 6, 5, 5])
        #expect(F.conv2d(img, Tensor.randn([6, 2, 3, 3]), padding: 2, dilation: 2, groups: 2).shape == [2, 6, 9, 9])
        let c1 = F.conv1d(Tensor.randn([2, 3, 10]), Tensor.randn([5, 3, 3]), bias: Tensor.randn([5]), padding: 1)
        #expect(c1.shape == [2, 5, 10])
        let cnn = Sequential(
            Conv2d(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
            Linear(6 * 14 * 14, 10))
        #expect(cnn(Tensor.randn([3, 1, 28, 28])).shape == [3, 10])
        let stride = 2
        #expect(F.conv2d(img, w, stride: stride, padding: [1, 0]).shape == [2, 6, 5, 4])
        #expect(F.conv2d(img, w, padding: "valid").shape == [2, 6, 7, 7])
        #expect(ConvTranspose2d(4, 2, kernelSize: 3, stride: 2)(img, outputSize: [20, 20]).shape == [2, 2, 20, 20])
        // An empty batch works, and the weight gradient is zero.
        let weight = Tensor.randn([6, 4, 3, 3], requiresGrad: true)
        let empty = F.conv2d(Tensor.randn([0, 4, 9, 9]), weight, padding: 1)
        #expect(empty.shape == [0, 6, 9, 9])
        empty.sum().backward()
        #expect(weight.grad?.abs().max().item() == 0)
    }

    @Test func reprsMatchPyTorch() throws {
        let reprs = try #require(convFixtures?.reprs)
        let layers: [String: Module] = [
            "conv2d_1_32_3": Conv2d(1, 32, kernelSize: 3),
            "conv2d_padding": Conv2d(1, 6, kernelSize: 5, padding: 2),
            "conv2d_stride_nobias": Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, bias: false),
            "conv2d_everything": Conv2d(
                4, 6, kernelSize: [3, 5], padding: "same", dilation: 2, groups: 2, paddingMode: "reflect"),
            "conv2d_valid": Conv2d(4, 6, kernelSize: 3, padding: "valid"),
            "conv2d_rect": Conv2d(2, 4, kernelSize: [1, 3], stride: [2, 1], padding: [0, 1]),
            "conv1d_padding": Conv1d(3, 5, kernelSize: 3, padding: 1),
            "conv1d_circular": Conv1d(3, 5, kernelSize: 3, stride: 2, paddingMode: "circular"),
            "conv_transpose2d_outpad": ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1),
            "conv_transpose2d_groups": ConvTranspose2d(4, 6, kernelSize: 3, groups: 2, bias: false, dilation: 2),
            "cnn": Sequential(
                Conv2d(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
                Linear(6 * 14 * 14, 10)),
        ]
        for (name, layer) in layers {
            #expect(layer.description == reprs[name], "\(name)")
        }
    }

    @Test func stateDictKeysAndShapes() {
        let conv = Conv2d(3, 8, kernelSize: [3, 5], groups: 1)
        #expect(conv.stateDictKeys() == ["weight", "bias"])
        #expect(conv.weight.shape == [8, 3, 3, 5] && conv.bias?.shape == [8])
        #expect(Conv1d(4, 6, kernelSize: 3, groups: 2, bias: false).stateDictKeys() == ["weight"])
        #expect(Conv1d(4, 6, kernelSize: 3, groups: 2).weight.shape == [6, 2, 3])
        #expect(ConvTranspose2d(4, 6, kernelSize: 3, groups: 2).weight.shape == [4, 3, 3, 3])
        #expect(conv.inChannels == 3 && conv.outChannels == 8 && conv.kernelSize == [3, 5] && conv.stride == [1, 1])
        #expect(conv.padding == .explicit([0, 0]) && Conv2d(1, 1, kernelSize: 2, padding: "same").padding == .same)
    }

    @Test func defaultInitialisationMatchesPyTorchBounds() {
        // kaiming_uniform(a=√5) gives U(-1/√fanIn, 1/√fanIn); the bias draws from the same range.
        Ember.manualSeed(1)
        let conv = Conv2d(8, 16, kernelSize: 3)
        let bound = 1 / (8.0 * 9).squareRoot()
        let w = conv.weight.toArray(as: Double.self)
        let b = conv.bias!.toArray(as: Double.self)
        #expect(w.allSatisfy { Swift.abs($0) <= bound } && b.allSatisfy { Swift.abs($0) <= bound })
        #expect(w.map(Swift.abs).max()! > 0.95 * bound)
        let mean = w.reduce(0, +) / Double(w.count)
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)
        #expect(Swift.abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3)
        // Transposed: fan-in is weight.size(1) × kernel area = (out / groups) × 9.
        let t = ConvTranspose2d(4, 6, kernelSize: 3, groups: 2)
        let tBound = 1 / (3.0 * 9).squareRoot()
        #expect(t.bias!.toArray(as: Double.self).allSatisfy { Swift.abs($0) <= tBound })
        #expect(t.weight.toArray(as: Double.self).map(Swift.abs).max()! > 0.8 * tBound)
    }

    @Test func seedCNNMatchesPyTorch() throws {
        let fixture = try #require(convFixtures?.cnn)
        let cnn = Sequential(
            Conv2d(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
            Linear(6 * 14 * 14, 10))
        #expect(cnn.stateDictKeys() == fixture.keys)
        try cnn.loadStateDict(fixture.stateDict.mapValues { $0.makeTensor() })
        let x = fixture.input.makeTensor()
        x.requiresGrad = true
        let out = cnn(x)
        #expect(fixtureMismatch(out, fixture.output) == nil, "\(fixtureMismatch(out, fixture.output) ?? "")")
        out.backward(gradient: fixture.upstream.makeTensor())
        let params = Dictionary(uniqueKeysWithValues: cnn.namedParameters())
        let checks: [(Tensor?, FixtureTensor, String)] = [
            (x.grad, fixture.inputGrad, "input"), (params["0.weight"]?.grad, fixture.convWeightGrad, "0.weight"),
            (params["0.bias"]?.grad, fixture.convBiasGrad, "0.bias"),
            (params["4.bias"]?.grad, fixture.linearBiasGrad, "4.bias"),
        ]
        for (grad, expected, name) in checks {
            let g = try #require(grad, "\(name) has no grad")
            #expect(fixtureMismatch(g, expected) == nil, "\(name): \(fixtureMismatch(g, expected) ?? "")")
        }
    }

    @Test func residualBlockFromTheAPI() {
        // API.md's ResidualBlock (APIContractTests.swift), with its in-place `x += residual`.
        let block = ResidualBlock(3, 3).to(.float64)
        let x = Tensor.randn([2, 3, 5, 5], dtype: .float64, requiresGrad: true)
        let y = block(x)
        y.sum().backward()
        // Reference without the in-place add.
        let h = F.conv2d(
            F.relu(F.conv2d(x, block.conv1.weight, bias: block.conv1.bias, padding: 1)),
            block.conv2.weight, bias: block.conv2.bias, padding: 1)
        let reference = F.relu(h + x)
        #expect((reference - y).abs().max().item() < 1e-12)
        let gx = grad(of: [reference.sum()], withRespectTo: [x])[0]!
        #expect((gx - x.grad!).abs().max().item() < 1e-12)
        #expect(block.stateDictKeys() == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"])
    }

    /// Tiling (single output rows, bands of two rows with a remainder, one image or two images at
    /// a time spread across cores) gives the same numbers as one tile for the whole batch.
    @Test(arguments: [(1, 1), (1, 6), (36 * 3 * 2, 1), (1 << 17, 1), (1, 30)])
    func tilingDoesNotChangeResults(budget: Int, minimumColumns: Int) {
        var geometry = ConvGeometry(
            batch: 5, inChannels: 4, outChannels: 6, groups: 2, inSize: [5, 6], kernel: [3, 3], stride: [1, 2],
            padding: [1, 1], dilation: [1, 1], outSize: [5, 3])
        let x = Tensor.randn(geometry.inputShape, dtype: .float64)
        let w = Tensor.randn(geometry.weightShape, dtype: .float64)
        let b = Tensor.randn([6], dtype: .float64)
        let inputBias = Tensor.randn([4], dtype: .float64)
        let dy = Tensor.randn(geometry.outputShape, dtype: .float64)
        let whole = (
            geometry.convolution(x, w, bias: b), geometry.transposedConvolution(dy, w, bias: inputBias),
            geometry.weightGradient(x, dy)
        )
        geometry.columnBudget = budget
        geometry.minimumColumns = minimumColumns
        let chunked = (
            geometry.convolution(x, w, bias: b), geometry.transposedConvolution(dy, w, bias: inputBias),
            geometry.weightGradient(x, dy)
        )
        #expect((whole.0 - chunked.0).abs().max().item() < 1e-12)
        #expect((whole.1 - chunked.1).abs().max().item() < 1e-12)
        #expect((whole.2 - chunked.2).abs().max().item() < 1e-12)
    }

    /// A convolution whose GEMMs are large enough to be cut into bands across cores gives the
    /// numbers of the same convolution run two output channels at a time (GEMMs too small to cut),
    /// forward and backward.
    @Test func gemmBandsDoNotChangeResults() {
        Ember.manualSeed(5)
        let x = Tensor.randn([2, 16, 20, 20], dtype: .float64, requiresGrad: true)
        let w = Tensor.randn([32, 16, 3, 3], dtype: .float64, requiresGrad: true)
        let dy = Tensor.randn([2, 32, 20, 20], dtype: .float64)
        let whole = F.conv2d(x, w, padding: 1)
        (whole * dy).sum().backward()
        let (wholeInputGrad, wholeWeightGrad) = (x.grad!, w.grad!)
        x.grad = nil
        let pieces = w.detach().split(2, dim: 0).map { $0.clone().requiresGrad() }
        let outputs = pieces.map { F.conv2d(x, $0, padding: 1) }
        (Tensor.cat(outputs, dim: 1) * dy).sum().backward()
        #expect((whole - Tensor.cat(outputs, dim: 1)).abs().max().item() < 1e-12)
        #expect((wholeInputGrad - x.grad!).abs().max().item() < 1e-12)
        #expect((wholeWeightGrad - Tensor.cat(pieces.map { $0.grad! }, dim: 0)).abs().max().item() < 1e-12)
    }

    @Test func gradFnNames() {
        let x = Tensor.randn([1, 2, 4, 4], requiresGrad: true)
        #expect(F.conv2d(x, Tensor.randn([3, 2, 3, 3])).gradFn?.name == "ConvolutionBackward0")
        #expect(F.conv1d(x[0], Tensor.randn([3, 4, 3])).gradFn?.name == "ConvolutionBackward0")
        #expect(F.convTranspose2d(x, Tensor.randn([2, 3, 3, 3])).gradFn?.name == "ConvolutionBackward0")
    }
}

// MARK: - Errors

@Suite struct ConvolutionErrorTests {
    @Test func channelMismatch() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 3, 9, 9]), Tensor.randn([6, 4, 3, 3]))
            }
            #expect(
                exitTestStderr(result).contains(
                    "Given groups=1, weight of size [6, 4, 3, 3], expected input[2, 3, 9, 9] to have 4 channels, but got 3 channels instead"
                ))
        }
    }

    @Test func wrongInputRank() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 3]), Tensor.randn([6, 4, 3, 3]))
            }
            #expect(
                exitTestStderr(result).contains(
                    "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"))
        }
    }

    @Test func kernelLargerThanInput() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 4, 2, 2]), Tensor.randn([6, 4, 3, 3]))
            }
            #expect(
                exitTestStderr(result).contains(
                    "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size"
                ))
        }
    }

    @Test func groupsMustDivideWeight() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 4, 9, 9]), Tensor.randn([5, 2, 3, 3]), groups: 2)
            }
            #expect(
                exitTestStderr(result).contains(
                    "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[5, 2, 3, 3]] instead"
                ))
        }
    }

    @Test func sameNeedsStrideOne() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 4, 9, 9]), Tensor.randn([6, 4, 3, 3]), stride: 2, padding: "same")
            }
            #expect(exitTestStderr(result).contains("padding='same' is not supported for strided convolutions"))
        }
    }

    @Test func biasSize() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 4, 9, 9]), Tensor.randn([6, 4, 3, 3]), bias: Tensor.randn([5]))
            }
            #expect(
                exitTestStderr(result).contains(
                    "Given weight of size [6, 4, 3, 3], expected bias to be 1-dimensional with 6 elements, but got bias of size [5] instead"
                ))
        }
    }

    @Test func dtypeMismatch() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.conv2d(Tensor.randn([2, 4, 5, 5], dtype: .float64), Tensor.randn([6, 4, 3, 3]))
            }
            #expect(exitTestStderr(result).contains("expected scalar type Double but found Float"))
        }
    }

    @Test func outputPaddingTooLarge() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = F.convTranspose2d(
                    Tensor.randn([2, 4, 5, 5]), Tensor.randn([4, 2, 3, 3]), stride: 2, outputPadding: 2)
            }
            #expect(
                exitTestStderr(result).contains(
                    "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1"
                ))
        }
    }

    @Test func layerArguments() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Conv2d(4, 6, kernelSize: 3, groups: 3)
            }
            #expect(exitTestStderr(result).contains("in_channels must be divisible by groups"))
        }
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Conv2d(4, 6, kernelSize: 3, paddingMode: "foo")
            }
            #expect(
                exitTestStderr(result).contains(
                    "padding_mode must be one of {'replicate', 'circular', 'zeros', 'reflect'}, but got padding_mode='foo'"
                ))
        }
    }

    @Test func reflectPaddingTooLarge() async {
        do {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Conv2d(4, 6, kernelSize: 3, padding: 3, paddingMode: "reflect")(Tensor.randn([2, 4, 3, 3]))
            }
            #expect(
                exitTestStderr(result).contains(
                    "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 3 of input [2, 4, 3, 3]"
                ))
        }
    }
}

/// The standard error of an exit test's child process.
func exitTestStderr(_ result: ExitTest.Result?) -> String {
    result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
}
