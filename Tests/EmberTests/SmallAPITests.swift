// Public functions too small for a test file of their own, each against PyTorch's meaning.
import Foundation
import Testing

@testable import Ember

@Suite struct SmallAPITests {
    /// `torch.full_like`, `rand_like`, `randn_like`: the other tensor's shape and dtype.
    @Test func likeCreation() {
        let x = Tensor.zeros([2, 3], dtype: .float64)
        let full = Tensor.fullLike(x, 2.5)
        #expect(
            full.shape == [2, 3] && full.dtype == .float64 && full.toArray(as: Double.self).allSatisfy { $0 == 2.5 })
        #expect(Tensor.fullLike(x, 7, dtype: .int64).toArray(as: Int64.self) == Array(repeating: 7, count: 6))
        let uniform = Tensor.randLike(x, generator: Generator(seed: 1))
        #expect(uniform.equal(Tensor.rand([2, 3], dtype: .float64, generator: Generator(seed: 1))))
        let normal = Tensor.randnLike(x, generator: Generator(seed: 2))
        #expect(normal.equal(Tensor.randn([2, 3], dtype: .float64, generator: Generator(seed: 2))))
    }

    /// `expand_as` and `clamp_max`.
    @Test func expandAsAndClampMax() {
        let x = Tensor(shape: [3, 1], scalars: [1, 5, 3] as [Float])
        let e = x.expandAs(Tensor.zeros([3, 2]))
        #expect(e.shape == [3, 2] && e.toArray(as: Float.self) == [1, 1, 5, 5, 3, 3])
        #expect(x.clampMax(2).toArray(as: Float.self) == [1, 2, 2])
    }

    /// `F.max_pool1d(x, 2, return_indices=True)`: indices into the length dimension.
    @Test func maxPool1dWithIndices() {
        let x = Tensor(shape: [1, 1, 6], scalars: [1, 3, 2, 5, 4, 0] as [Float])
        let (output, indices) = F.maxPool1dWithIndices(x, kernelSize: 2)
        #expect(output.shape == [1, 1, 3] && output.toArray(as: Float.self) == [3, 5, 4])
        #expect(indices.dtype == .int64 && indices.toArray(as: Int64.self) == [1, 3, 4])
        let (padded, paddedIndices) = F.maxPool1dWithIndices(x, kernelSize: 3, stride: 2, padding: 1)
        #expect(padded.toArray(as: Float.self) == [3, 5, 5] && paddedIndices.toArray(as: Int64.self) == [1, 3, 3])
    }

    /// `torch.Generator.initial_seed()`: the seed last set.
    @Test func initialSeed() {
        let g = Generator(seed: 7)
        #expect(g.initialSeed == 7)
        g.manualSeed(11)
        #expect(g.initialSeed == 11)
    }

    /// `nn.init.xavier_normal_`: std = gain · √(2 / (fan_in + fan_out)), mean 0.
    @Test func xavierNormalStd() {
        let w = Tensor.zeros([400, 600], dtype: .float64)
        Init.xavierNormal(w, gain: 2, generator: Generator(seed: 3))
        let values = w.toArray(as: Double.self)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let expected = 2 * (2.0 / 1000).squareRoot()
        #expect(Swift.abs(std / expected - 1) < 0.01 && Swift.abs(mean) < 0.002)
    }

    /// `register_buffer`: persistent buffers are in the state dict, non-persistent ones are not;
    /// both are buffers.
    @Test func registerBuffer() throws {
        final class Scaler: Module {
            override init() {
                super.init()
                registerBuffer("scale", Tensor.ones([3]))
                registerBuffer("cache", Tensor.zeros([2]), persistent: false)
            }
        }
        let m = Scaler()
        #expect(m.namedBuffers().map(\.0).sorted() == ["cache", "scale"])
        #expect(Array(m.stateDict().keys) == ["scale"])
        try m.loadStateDict(["scale": Tensor.full([3], 2)])
        #expect(m.namedBuffers().first { $0.0 == "scale" }!.1.toArray(as: Float.self) == [2, 2, 2])
    }

    /// `EMBER_BLAS=none` leaves the BLAS unloaded (the built-in GEMM runs).
    @Test func blasLibraryFollowsTheEnvironment() {
        if ProcessInfo.processInfo.environment["EMBER_BLAS"] == "none" {
            #expect(blasLibrary == nil)
        } else if let library = blasLibrary {
            #expect(library.contains("blas") || library.contains("mkl") || library.contains("Accelerate"))
        }
    }
}
