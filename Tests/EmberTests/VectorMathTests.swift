// The vectorised float32 exp, sigmoid and tanh (CEmberKernels/vmath.c) against float64 references,
// over a dense sweep and the edges: zeros, tiny values, overflow, denormal results, infinities, NaN.

import Foundation
import Testing

@testable import Ember

/// A dense sweep of [-lo, hi] plus every special value, as float32.
private func sweep(_ low: Float, _ high: Float, count: Int = 20_001) -> [Float] {
    let grid = (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
    let specials: [Float] = [
        0, -0, 1e-30, -1e-30, 1e-8, 0.625, -0.625, 0.62499, 9, -9, 88.7, 88.72, 88.73, 89, -87.3, -87.4, -100,
        -103.9, -104, -200, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
    ]
    return grid + specials
}

/// Distance in units in the last place of `expected` (float32), or an absolute error in ulps of 1
/// when `floor` says results near zero are judged absolutely.
private func ulpError(_ actual: Float, _ expected: Double, absoluteBelow floor: Double = 0) -> Double {
    if expected.isNaN { return actual.isNaN ? 0 : .infinity }
    if expected.isInfinite || Float(expected).isInfinite {
        return Double(actual) == Double(Float(expected)) ? 0 : .infinity
    }
    let scale = Swift.max(Double(Float(expected).ulp), Swift.max(floor, Double(Float.leastNonzeroMagnitude)))
    return Swift.abs(Double(actual) - expected) / scale
}

private func worstError(_ values: [Float], _ op: (Tensor) -> Tensor, _ reference: (Double) -> Double, floor: Double)
    -> (error: Double, at: Float)
{
    let out = op(Tensor(shape: [values.count], scalars: values)).toArray(as: Float.self)
    var worst: (error: Double, at: Float) = (0, 0)
    for (x, y) in zip(values, out) {
        let e = ulpError(y, reference(Double(x)), absoluteBelow: floor)
        if e > worst.error || e.isNaN { worst = (e, x) }
    }
    return worst
}

@Suite struct VectorMathTests {
    @Test func expIsWithinTwoUlps() {
        let worst = worstError(sweep(-110, 90), { $0.exp() }, { Foundation.exp($0) }, floor: 0)
        #expect(worst.error <= 2, "exp(\(worst.at)) is \(worst.error) ulp off")
    }

    @Test func sigmoidIsWithinFourUlps() {
        // Like PyTorch's `1 / (1 + exp(-x))`, results below the normal range flush towards 0.
        let worst = worstError(
            sweep(-110, 110), { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) },
            floor: Double(Float.leastNormalMagnitude))
        #expect(worst.error <= 4, "sigmoid(\(worst.at)) is \(worst.error) ulp off")
    }

    @Test func tanhIsWithinThreeUlps() {
        let worst = worstError(sweep(-12, 12), { $0.tanh() }, { Foundation.tanh($0) }, floor: 0)
        #expect(worst.error <= 3, "tanh(\(worst.at)) is \(worst.error) ulp off")
        let edges: [Float] = [20, -20, 9.1, -9.1, 50, .infinity, -.infinity, 0, -0.0]
        let big = Tensor(shape: [9], scalars: edges).tanh().toArray(as: Float.self)
        #expect(big == [1, -1, 1, -1, 1, 1, -1, 0, 0])
        #expect(big[8].sign == .minus, "tanh(-0) is -0")
        let nine = Tensor(shape: [8], scalars: [Float](repeating: 9, count: 8)).tanh().toArray(as: Float.self)
        #expect(nine.allSatisfy { $0 == Float(Foundation.tanh(9.0)) && $0 < 1 })
    }

    @Test func everyLengthAndOffsetTakesTheSamePath() {
        // Lengths around the 8-lane blocks, views starting mid-buffer, and a large split tensor.
        let base = Tensor.randn([70_001], generator: Generator(seed: 9)) * 4
        for n in [1, 7, 8, 9, 15, 16, 17, 70_000] {
            let x = base.narrow(dim: 0, start: 1, length: n)
            let reference = x.to(.float64)
            #expect(((x.exp().to(.float64) - reference.exp()) / reference.exp()).abs().max().item() <= 3e-7)
            #expect((x.tanh().to(.float64) - reference.tanh()).abs().max().item() <= 1e-6)
            #expect((x.sigmoid().to(.float64) - reference.sigmoid()).abs().max().item() <= 1e-6)
        }
    }

    @Test func largeElementwiseOpsSplitAcrossCoresAgreeWithScalarArithmetic() {
        // Above the threading threshold, with tensor-tensor, tensor-scalar and scalar-tensor
        // operands, unary ops, and offsets into the storage.
        let g = Generator(seed: 4)
        let a = Tensor.randn([100_003], generator: g).narrow(dim: 0, start: 3, length: 100_000)
        let b = Tensor.rand([100_000], generator: g) + 0.5
        let (x, y) = (a.toArray(as: Float.self), b.toArray(as: Float.self))
        #expect((a + b).toArray(as: Float.self) == zip(x, y).map { $0 + $1 })
        #expect((a / b).toArray(as: Float.self) == zip(x, y).map { $0 / $1 })
        #expect((a * 3).toArray(as: Float.self) == x.map { $0 * 3 })
        #expect((2 - a).toArray(as: Float.self) == x.map { 2 - $0 })
        #expect(a.relu().toArray(as: Float.self) == x.map { Swift.max($0, 0) })
        #expect(a.neg().toArray(as: Float.self) == x.map { -$0 })
    }
}
