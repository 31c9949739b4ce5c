// Normalisation layers and channel dropout: PyTorch fixtures (Tests/Fixtures/layers.json, see
// LayerFixtures.swift), float64 gradient checks of the functional forms, and the API.md lines.

import Testing

@testable import Ember

private let normalizationClasses: Set<String> = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]

/// The functional forms as make_layers_fixtures.py calls them.
private func callNormalization(_ c: LayerFunctionalCase) -> ([Tensor?], FixtureParams) -> Tensor {
    switch c.function {
    case "batch_norm":
        return { xs, p in
            F.batchNorm(
                xs[0]!, runningMean: xs[1], runningVar: xs[2], weight: xs[3], bias: xs[4],
                training: p.bool("training"), momentum: p.double("momentum") ?? 0.1, eps: p.double("eps") ?? 1e-5)
        }
    case "layer_norm":
        return { xs, p in F.layerNorm(xs[0]!, normalizedShape: p.ints("normalized_shape")!) }
    default:
        return { xs, p in F.groupNorm(xs[0]!, numGroups: p.int("num_groups")!, weight: xs[1], bias: xs[2]) }
    }
}

private func uniform(_ shape: Int...) -> GradInput { GradInput(shape: shape, kind: .uniform(lo: -2, hi: 2, away: nil)) }

private let normalizationGradchecks: [GradcheckCase] = [
    GradcheckCase("batch_norm_train", [uniform(4, 3, 2), uniform(3), uniform(3)]) {
        F.batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true)
    },
    GradcheckCase("batch_norm_train_2d_no_affine", [uniform(5, 3)]) {
        F.batchNorm($0[0], runningMean: nil, runningVar: nil, training: true, eps: 1e-3)
    },
    GradcheckCase("batch_norm_eval", [uniform(3, 2, 4), uniform(2), uniform(2)]) {
        F.batchNorm(
            $0[0], runningMean: Tensor(shape: [2], scalars: [0.3, -0.2]),
            runningVar: Tensor(shape: [2], scalars: [0.5, 1.5]), weight: $0[1], bias: $0[2])
    },
    GradcheckCase("layer_norm", [uniform(3, 2, 4), uniform(2, 4), uniform(2, 4)]) {
        F.layerNorm($0[0], normalizedShape: [2, 4], weight: $0[1], bias: $0[2])
    },
    GradcheckCase("layer_norm_no_affine", [uniform(4, 5)]) { F.layerNorm($0[0], normalizedShape: [5], eps: 0.1) },
    GradcheckCase("group_norm", [uniform(2, 6, 3), uniform(6), uniform(6)]) {
        F.groupNorm($0[0], numGroups: 3, weight: $0[1], bias: $0[2])
    },
    GradcheckCase("group_norm_weight_only_4d", [uniform(2, 4, 2, 2), uniform(4)]) {
        F.groupNorm($0[0], numGroups: 2, weight: $0[1])
    },
]

@Suite struct NormalizationTests {
    @Test func fixtureFileLoads() throws {
        let file = try #require(layerFixtures, "Tests/Fixtures/layers.json is missing or unreadable")
        #expect(file.modules.count >= 30)
        #expect(Set(file.modules.map(\.name)).count == file.modules.count, "case names must be unique")
    }

    @Test(arguments: layerModuleCases(normalizationClasses))
    func moduleMatchesPyTorch(_ c: LayerModuleCase) throws {
        for problem in try replayLayerCase(c) { Issue.record("\(c.name): \(problem)") }
    }

    @Test(arguments: layerFunctionalCases(["batch_norm", "layer_norm", "group_norm"]))
    func functionalMatchesPyTorch(_ c: LayerFunctionalCase) {
        for problem in replayFunctionalCase(c, callNormalization(c)) { Issue.record("\(c.name): \(problem)") }
    }

    @Test(arguments: normalizationGradchecks)
    func gradientsMatchFiniteDifferences(_ c: GradcheckCase) {
        for problem in checkGradients(c) { Issue.record("\(c.name): \(problem)") }
    }

    @Test func apiLinesCompileAndBehave() {
        let img = Tensor.randn([2, 4, 9, 9])
        let x = Tensor.randn([4, 6])
        let y = F.batchNorm(
            img, runningMean: nil, runningVar: nil, weight: Tensor.ones([4]), bias: Tensor.zeros([4]), training: true)
        let z = F.layerNorm(x, normalizedShape: [6], weight: Tensor.ones([6]), bias: Tensor.zeros([6]))
        let bn = BatchNorm2d(8)
        #expect(y.shape == [2, 4, 9, 9] && z.shape == [4, 6])
        // Every channel of y has mean 0 and (biased) variance 1 − eps-ish; every row of z too.
        let channelMeans = y.mean(dim: [0, 2, 3]).toArray(as: Float.self)
        #expect(channelMeans.allSatisfy { Swift.abs($0) < 1e-5 })
        let rowVars = z.var(dim: [1], correction: 0).toArray(as: Float.self)
        #expect(rowVars.allSatisfy { Swift.abs($0 - 1) < 1e-3 })
        #expect(bn.stateDictKeys() == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(
            bn.description
                == "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)")
        #expect(bn.numBatchesTracked!.dtype == .int64 && bn.numBatchesTracked!.shape == [])
        #expect(bn.weight!.toArray(as: Float.self) == [Float](repeating: 1, count: 8))
        #expect(bn.runningVar!.toArray(as: Float.self) == [Float](repeating: 1, count: 8))
    }

    /// Inputs large enough that the kernels split their groups across cores (and layer and group
    /// norm add per-core partial sums of the shared affine gradients) agree with the formulas
    /// written with tensor ops, forward and backward, in float64.
    @Test(arguments: ["batch_norm", "layer_norm", "group_norm"])
    func largeInputsMatchTheComposedFormula(_ kind: String) {
        Ember.manualSeed(11)
        let eps = 1e-5
        let (shape, affine, statDims): ([Int], [Int], [Int]) =
            switch kind {
            case "batch_norm": ([8, 6, 900], [1, 6, 1], [0, 2])
            case "layer_norm": ([300, 120], [1, 120], [1])
            default: ([6, 8, 800], [1, 8, 1], [2])
            }
        let x = Tensor.randn(shape, dtype: .float64, requiresGrad: true)
        let w = Tensor.randn([affine.reduce(1, *)], dtype: .float64, requiresGrad: true)
        let b = Tensor.randn([affine.reduce(1, *)], dtype: .float64, requiresGrad: true)
        let upstream = Tensor.randn(shape, dtype: .float64)
        func run(_ f: () -> Tensor) -> [Tensor] {
            for t in [x, w, b] { t.grad = nil }
            let y = f()
            (y * upstream).sum().backward()
            return [y.detach(), x.grad!, w.grad!, b.grad!]
        }
        let fused = run {
            switch kind {
            case "batch_norm": F.batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)
            case "layer_norm": F.layerNorm(x, normalizedShape: [120], weight: w, bias: b)
            default: F.groupNorm(x, numGroups: 4, weight: w, bias: b)
            }
        }
        let composed = run {
            let grouped = kind == "group_norm" ? x.view([6, 4, 1600]) : x
            let mean = grouped.mean(dim: statDims, keepdim: true)
            let centered = grouped - mean
            let variance = (centered * centered).mean(dim: statDims, keepdim: true)
            let normalized = (centered / (variance + eps).sqrt()).view(shape)
            return normalized * w.view(affine) + b.view(affine)
        }
        for (a, e) in zip(fused, composed) {
            #expect((a - e).abs().max().item() < 1e-9)
        }
    }

    @Test func batchNormCountsBatchesOnlyInTraining() {
        let bn = BatchNorm1d(3)
        _ = bn(Tensor.randn([4, 3]))
        _ = bn(Tensor.randn([4, 3]))
        bn.eval()
        let before = bn.runningMean!.toArray(as: Float.self)
        _ = bn(Tensor.randn([4, 3]))
        #expect(bn.numBatchesTracked!.item() == 2)
        #expect(bn.runningMean!.toArray(as: Float.self) == before)
    }

    @Test func dropout2dZeroesWholeChannels() {
        let x = Tensor.ones([8, 16, 3, 3])
        let layer = Dropout2d(p: 0.25)
        // A generator of its own, so that tests running in parallel do not change the draws.
        let y = withGenerator(Generator(seed: 7)) { layer(x) }
        let values = y.toArray(as: Float.self)
        var dropped = 0
        for channel in 0..<(8 * 16) {
            let block = values[(channel * 9)..<(channel * 9 + 9)]
            let first = block.first!
            #expect(block.allSatisfy { $0 == first }, "channel \(channel) is not dropped as a whole")
            #expect(first == 0 || Swift.abs(first - 1 / 0.75) < 1e-6)
            if first == 0 { dropped += 1 }
        }
        #expect(dropped > 16 && dropped < 48, "dropped \(dropped) of 128 channels at p = 0.25")
        #expect(layer.description == "Dropout2d(p=0.25, inplace=False)")
        layer.eval()
        #expect(layer(x) === x)
        // 3-D input is read as [N, C, L]: whole rows of the last dimension are dropped.
        let rows = F.dropout2d(Tensor.ones([4, 8, 5]), p: 0.5).toArray(as: Float.self)
        for row in 0..<32 { #expect(Set(rows[(row * 5)..<(row * 5 + 5)]).count == 1) }
    }

    @Test func dropout2dGradientFollowsTheMask() {
        let x = Tensor.randn([2, 6, 2, 2], requiresGrad: true)
        let y = F.dropout2d(x, p: 0.5)
        y.sum().backward()
        let ratio = (y.detach() / x.detach()).toArray(as: Float.self)
        #expect(x.grad!.toArray(as: Float.self).enumerated().allSatisfy { Swift.abs($1 - ratio[$0]) < 1e-5 })
    }

    @Test func reprsMatchPyTorch() {
        #expect(
            BatchNorm1d(3, momentum: nil, affine: false, trackRunningStats: false).description
                == "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=False)")
        #expect(
            LayerNorm([2, 3], elementwiseAffine: false).description
                == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)")
        #expect(LayerNorm(4, eps: 1e-3).description == "LayerNorm((4,), eps=0.001, elementwise_affine=True, bias=True)")
        #expect(GroupNorm(2, 4).description == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)")
    }

    @Test func moduleToFloat64ConvertsStatisticsButNotTheCounter() {
        let bn = BatchNorm2d(2).to(.float64)
        _ = bn(Tensor.randn([2, 2, 3, 3], dtype: .float64))
        #expect(bn.runningMean!.dtype == .float64 && bn.numBatchesTracked!.dtype == .int64)
        #expect(bn.numBatchesTracked!.item() == 1)
    }

    @Test func misuseStopsWithPyTorchsMessages() async {
        var result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm1d(4)(Tensor.randn([1, 4]))
        }
        #expect(
            layerExitMessage(result).contains(
                "Expected more than 1 value per channel when training, got input size torch.Size([1, 4])"))
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.randn([2, 3, 4]))
        }
        #expect(layerExitMessage(result).contains("expected 4D input (got 3D input)"))
        result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = F.layerNorm(Tensor.randn([4, 5]), normalizedShape: [6])
        }
        #expect(
            layerExitMessage(result).contains(
                "Given normalized_shape=[6], expected input with shape [*, 6], but got input of size[4, 5]"))
    }
}
