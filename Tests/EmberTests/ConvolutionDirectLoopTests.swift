// Convolutions against their definition written as a direct float64 loop, for the geometries the
// PyTorch fixtures (small images) do not reach: output rows of at least one vector, which take
// im2col's padded-row path (Sources/CEmberKernels/conv_impl.h).

import Testing

@testable import Ember

@Suite struct ConvolutionDirectLoopTests {
    /// Convolutions with unit horizontal stride and output rows of at least one vector (im2col's
    /// padded-row path), forward and weight gradient, against a direct float64 loop: padding wider
    /// than the kernel, vertical stride and dilation, rows of exactly one vector, both dtypes.
    @Test(arguments: [
        ConvCase(size: [9, 12], kernel: [5, 3], stride: [1, 1], padding: [2, 1], dilation: [1, 1]),
        ConvCase(size: [11, 8], kernel: [3, 2], stride: [2, 1], padding: [1, 3], dilation: [2, 1]),
        ConvCase(size: [6, 10], kernel: [2, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1]),
        ConvCase(size: [5, 4], kernel: [3, 5], stride: [1, 1], padding: [1, 4], dilation: [1, 1]),
    ])
    func unitStrideRowsMatchADirectLoop(_ c: ConvCase) {
        let g = Generator(seed: 11)
        let x64 = Tensor.randn([2, 3] + c.size, dtype: .float64, generator: g)
        let w64 = Tensor.randn([4, 3] + c.kernel, dtype: .float64, generator: g)
        let expected = c.direct(x64, w64)
        for dtype in [DType.float32, .float64] {
            let (x, w) = (x64.to(dtype), w64.to(dtype).requiresGrad())
            let y = F.conv2d(x, w, stride: c.stride, padding: c.padding, dilation: c.dilation)
            #expect(y.shape == expected.shape)
            let tolerance = dtype == .float32 ? 1e-4 : 1e-12
            #expect((y.to(.float64) - expected).abs().max().item() < tolerance, "\(dtype)")
            // The weight gradient of sum(y · y) is the direct loop's, which is linear in w.
            let dy = Tensor.randn(expected.shape, dtype: .float64, generator: g)
            (y * dy.to(dtype)).sum().backward()
            let expectedGrad = c.directWeightGradient(x64, dy, kernel: c.kernel)
            #expect((w.grad!.to(.float64) - expectedGrad).abs().max().item() < tolerance * 10, "\(dtype) grad")
        }
    }
}

/// A 2-D convolution geometry, with a direct float64 loop for reference.
struct ConvCase: CustomTestStringConvertible, Sendable {
    let size: [Int]
    let kernel: [Int]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]
    var testDescription: String { "\(size) k\(kernel) s\(stride) p\(padding) d\(dilation)" }

    private func outSize(_ d: Int) -> Int {
        (size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d] + 1
    }

    /// Calls `body(n, o, c, oh, ow, ki, kj, ih, iw)` for every product of the convolution that lands
    /// inside the input.
    private func forEachTap(
        batch: Int, outChannels: Int, inChannels: Int, _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void
    ) {
        for n in 0..<batch {
            for o in 0..<outChannels {
                for ch in 0..<inChannels {
                    for oh in 0..<outSize(0) {
                        for ow in 0..<outSize(1) {
                            for ki in 0..<kernel[0] {
                                for kj in 0..<kernel[1] {
                                    let ih = oh * stride[0] - padding[0] + ki * dilation[0]
                                    let iw = ow * stride[1] - padding[1] + kj * dilation[1]
                                    if ih >= 0 && ih < size[0] && iw >= 0 && iw < size[1] {
                                        body(n, o, ch, oh, ow, ki, kj, ih, iw)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `conv2d(x, w)` by its definition, `x` `[N, C, H, W]`, `w` `[O, C, kh, kw]`, in float64.
    func direct(_ x: Tensor, _ w: Tensor) -> Tensor {
        let (batch, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
        let (xs, ws) = (x.toArray(as: Double.self), w.toArray(as: Double.self))
        let (oh0, ow0) = (outSize(0), outSize(1))
        var y = [Double](repeating: 0, count: batch * outChannels * oh0 * ow0)
        forEachTap(batch: batch, outChannels: outChannels, inChannels: channels) { n, o, ch, oh, ow, ki, kj, ih, iw in
            y[((n * outChannels + o) * oh0 + oh) * ow0 + ow] +=
                ws[((o * channels + ch) * kernel[0] + ki) * kernel[1] + kj]
                * xs[((n * channels + ch) * size[0] + ih) * size[1] + iw]
        }
        return Tensor(shape: [batch, outChannels, oh0, ow0], scalars: y)
    }

    /// The gradient of `sum(conv2d(x, w) · dy)` in `w`, by the definition, in float64.
    func directWeightGradient(_ x: Tensor, _ dy: Tensor, kernel: [Int]) -> Tensor {
        let (batch, channels, outChannels) = (x.shape[0], x.shape[1], dy.shape[1])
        let (xs, dys) = (x.toArray(as: Double.self), dy.toArray(as: Double.self))
        let (oh0, ow0) = (outSize(0), outSize(1))
        var dw = [Double](repeating: 0, count: outChannels * channels * kernel[0] * kernel[1])
        forEachTap(batch: batch, outChannels: outChannels, inChannels: channels) { n, o, ch, oh, ow, ki, kj, ih, iw in
            dw[((o * channels + ch) * kernel[0] + ki) * kernel[1] + kj] +=
                dys[((n * outChannels + o) * oh0 + oh) * ow0 + ow]
                * xs[((n * channels + ch) * size[0] + ih) * size[1] + iw]
        }
        return Tensor(shape: [outChannels, channels, kernel[0], kernel[1]], scalars: dw)
    }
}
