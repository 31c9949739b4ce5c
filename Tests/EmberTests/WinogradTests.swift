import Testing

@testable import Ember

/// Winograd's F(2×2, 3×3) (Backend/Winograd.swift) against the im2col path it replaces for 3×3
/// stride-1 convolutions, their transposed convolutions (input gradients) and their weight
/// gradients; the PyTorch fixtures `conv2d_winograd_*` and `conv_transpose2d_winograd`
/// (ConvolutionTests) check it against PyTorch itself.
@Suite struct WinogradTests {
    /// A geometry `[batch, inChannels, height, width] ⊛ [outChannels, inChannels, 3, 3]`, stride 1,
    /// that runs as Winograd from `minimumTiles` tiles (1 by default, so that small cases test it).
    private func geometry(
        _ batch: Int, _ inChannels: Int, _ outChannels: Int, _ size: [Int], padding: Int, minimumTiles: Int = 1
    ) -> ConvGeometry {
        var g = ConvGeometry(
            batch: batch, inChannels: inChannels, outChannels: outChannels, groups: 1, inSize: size,
            kernel: [3, 3], stride: [1, 1], padding: [padding, padding], dilation: [1, 1],
            outSize: size.map { $0 + 2 * padding - 2 })
        g.minimumWinogradTiles = minimumTiles
        return g
    }

    /// Partial tiles (odd sizes), partial panels (17, 20 and 40 output channels), tile rows of
    /// several pieces (out_w > 128, and wider than im2col's padded rows), one-row images, chunks
    /// that start inside an image (the default split of 8 images into one chunk per core, and
    /// 64-tile chunks when the budget is tiny).
    @Test(arguments: [
        (2, 16, 16, [5, 7], 1, 1 << 19), (3, 19, 21, [9, 4], 0, 1 << 19), (2, 17, 40, [3, 3], 2, 1 << 19),
        (1, 16, 17, [3, 1100], 1, 1 << 19), (3, 16, 20, [1, 9], 1, 1 << 19), (8, 16, 16, [30, 30], 1, 1 << 19),
        (5, 24, 16, [21, 13], 1, 1),
    ])
    func matchesIm2col(batch: Int, inChannels: Int, outChannels: Int, size: [Int], padding: Int, budget: Int) {
        var g = geometry(batch, inChannels, outChannels, size, padding: padding)
        g.winogradBudget = budget
        #expect(g.usesWinograd)
        let x = Tensor.randn(g.inputShape, dtype: .float64)
        let w = Tensor.randn(g.weightShape, dtype: .float64)
        let b = Tensor.randn([outChannels], dtype: .float64)
        let dy = Tensor.randn(g.outputShape, dtype: .float64)
        let inputBias = Tensor.randn([inChannels], dtype: .float64)
        #expect(g.winogradAdjoint != nil)
        func results() -> [Tensor] {
            [g.convolution(x, w, bias: b), g.transposedConvolution(dy, w, bias: inputBias), g.weightGradient(x, dy)]
        }
        let winograd = results()
        g.allowsWinograd = false
        #expect(g.winogradAdjoint == nil)
        expectClose(winograd, results(), relative: 1e-11)
    }

    /// Each of `fast` has the shape of its counterpart in `slow` and lies within `relative` of its
    /// largest value.
    private func expectClose(_ fast: [Tensor], _ slow: [Tensor], relative: Double) {
        for (fast, slow) in zip(fast, slow) {
            #expect(fast.shape == slow.shape)
            #expect((fast - slow).abs().max().item() < relative * slow.abs().max().item())
        }
    }

    /// `g`'s convolution and weight gradient on random `dtype` tensors, Winograd against im2col.
    private func expectConvolutionAndWeightGradientMatch(_ g: ConvGeometry, dtype: DType, relative: Double) {
        var g = g
        let x = Tensor.randn(g.inputShape, dtype: dtype)
        let w = Tensor.randn(g.weightShape, dtype: dtype)
        let dy = Tensor.randn(g.outputShape, dtype: dtype)
        let winograd = [g.convolution(x, w, bias: nil), g.weightGradient(x, dy)]
        g.allowsWinograd = false
        expectClose(winograd, [g.convolution(x, w, bias: nil), g.weightGradient(x, dy)], relative: relative)
    }

    /// A padding of 3 leaves the transposed convolution to im2col (its adjoint would need a
    /// padding of −1); the convolution and its weight gradient still run as Winograd.
    @Test func largePaddingMatchesIm2col() {
        let g = geometry(2, 16, 18, [5, 6], padding: 3)
        #expect(g.usesWinograd && g.winogradAdjoint == nil)
        expectConvolutionAndWeightGradientMatch(g, dtype: .float64, relative: 1e-11)
    }

    /// An empty batch gives an empty output, an empty input gradient and a zero weight gradient (no
    /// tiles to cut), through the Winograd kernels and through the public API (which leaves so few
    /// tiles to im2col).
    @Test func emptyBatch() {
        var g = geometry(0, 16, 16, [9, 9], padding: 1, minimumTiles: 0)
        #expect(g.usesWinograd && g.winogradAdjoint != nil)
        let (empty, kernels, gradient) = (
            Tensor.zeros(g.inputShape), Tensor.randn(g.weightShape), Tensor.zeros(g.outputShape)
        )
        #expect(g.convolution(empty, kernels, bias: nil).shape == [0, 16, 9, 9])
        #expect(g.transposedConvolution(gradient, kernels, bias: nil).shape == [0, 16, 9, 9])
        let dw = g.weightGradient(empty, gradient)
        #expect(dw.shape == [16, 16, 3, 3] && dw.abs().max().item() == 0)
        g.minimumWinogradTiles = 32
        #expect(!g.usesWinograd)
        let x = Tensor.randn([0, 16, 9, 9], requiresGrad: true)
        let w = Tensor.randn([16, 16, 3, 3], requiresGrad: true)
        let y = F.conv2d(x, w, padding: 1)
        #expect(y.shape == [0, 16, 9, 9])
        y.sum().backward()
        #expect(x.grad?.shape == [0, 16, 9, 9])
        #expect(w.grad.map { $0.abs().max().item() } == 0)
    }

    /// Float32, with the weight gradient in four chunks (the smallest budget).
    @Test func float32MatchesIm2col() {
        var g = geometry(4, 64, 48, [14, 14], padding: 1)
        g.winogradBudget = 1
        expectConvolutionAndWeightGradientMatch(g, dtype: .float32, relative: 1e-5)
    }

    /// Only ungrouped 3×3 kernels at stride and dilation 1 with at least 16 channels on each side;
    /// transposed ones also need a padding of at most 2 (the adjoint convolution's is 2 − p).
    @Test func eligibility() {
        #expect(geometry(1, 16, 16, [4, 4], padding: 1).usesWinograd)
        #expect(geometry(1, 16, 16, [4, 4], padding: 3).usesWinograd)
        #expect(geometry(1, 16, 16, [4, 4], padding: 3).winogradAdjoint == nil)
        #expect(geometry(1, 16, 15, [4, 4], padding: 1).winogradAdjoint == nil)
        #expect(!geometry(1, 15, 16, [4, 4], padding: 1).usesWinograd)
        #expect(!geometry(1, 16, 15, [4, 4], padding: 1).usesWinograd)
        // 16 tiles (an 8×8 output) are too few by default, 32 are enough, for the adjoint too.
        #expect(!geometry(1, 16, 16, [8, 8], padding: 1, minimumTiles: 32).usesWinograd)
        #expect(geometry(1, 16, 16, [8, 8], padding: 1, minimumTiles: 32).winogradAdjoint == nil)
        #expect(geometry(2, 16, 16, [8, 8], padding: 1, minimumTiles: 32).usesWinograd)
        #expect(geometry(2, 16, 16, [8, 8], padding: 1, minimumTiles: 32).winogradAdjoint != nil)
        #expect(
            ConvGeometry(
                batch: 1, inChannels: 16, outChannels: 16, groups: 1, inSize: [8, 8], kernel: [3, 3], stride: [1, 1],
                padding: [1, 1], dilation: [1, 1], outSize: [8, 8]
            ).minimumWinogradTiles == 32)
        // 16 channels each side, a 5×5 image: stride 2, groups 2, dilation 2, a 3×5 kernel.
        for (groups, kernel, stride, padding, dilation, out) in [
            (1, [3, 3], [2, 2], [1, 1], [1, 1], [3, 3]), (2, [3, 3], [1, 1], [1, 1], [1, 1], [5, 5]),
            (1, [3, 3], [1, 1], [2, 2], [2, 2], [5, 5]), (1, [3, 5], [1, 1], [1, 2], [1, 1], [5, 5]),
        ] {
            let g = ConvGeometry(
                batch: 1, inChannels: 16, outChannels: 16, groups: groups, inSize: [5, 5], kernel: kernel,
                stride: stride, padding: padding, dilation: dilation, outSize: out)
            #expect(!g.usesWinograd && g.winogradAdjoint == nil, "\(kernel) \(stride) \(dilation) \(groups)")
        }
    }
}
