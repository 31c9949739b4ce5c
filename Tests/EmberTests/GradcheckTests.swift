// Float64 gradient checks: every differentiable op's analytic Jacobian (from `backward`) is
// compared with central finite differences, with PyTorch's gradcheck defaults (eps 1e-6,
// atol 1e-5, rtol 1e-3).
//
// `checkGradients` below runs Ember's public `gradcheck` on inputs built deterministically from
// each case's name.

import Testing

@testable import Ember

// MARK: - Inputs

/// Deterministic pseudo-random numbers (GradcheckRNG), seeded per case from its name.
struct GradcheckRNG {
    var state: UInt64
    init(seed: String) {
        // FNV-1a: stable across runs (Swift's hashValue is not).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in seed.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        state = h
    }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
    }
}

/// One input of a gradient check: a float64 tensor to differentiate, or a constant (indices,
/// masks, or float64 data held fixed).
struct GradInput: Sendable {
    enum Kind: Sendable {
        /// Uniform in [lo, hi]; with `away`, magnitudes are at least `away` (random signs), to
        /// stay clear of kinks at zero.
        case uniform(lo: Double, hi: Double, away: Double?)
        case values([Double])
        case int64([Int64])
        case bool([Bool])
    }
    let shape: [Int]
    let kind: Kind

    var differentiable: Bool {
        switch kind {
        case .uniform, .values: true
        case .int64, .bool: false
        }
    }

    func initialValues(_ rng: inout GradcheckRNG) -> [Double] {
        let n = shape.reduce(1, *)
        switch kind {
        case .uniform(let lo, let hi, let away):
            return (0..<n).map { _ in
                var v = rng.uniform(lo, hi)
                if let away {
                    v = (rng.next() & 1 == 0 ? 1 : -1) * (away + Swift.abs(v))
                }
                return v
            }
        case .values(let v): return v
        case .int64(let v): return v.map(Double.init)
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }

    func tensor(_ values: [Double]) -> Tensor {
        switch kind {
        case .uniform, .values: Tensor(shape: shape, scalars: values)
        case .int64: Tensor(shape: shape, scalars: values.map { Int64($0) })
        case .bool: Tensor(shape: shape, scalars: values.map { $0 != 0 })
        }
    }
}

/// Standard normal-ish inputs (uniform in [-2, 2]).
private func x(_ shape: Int...) -> GradInput { GradInput(shape: shape, kind: .uniform(lo: -2, hi: 2, away: nil)) }
/// Positive inputs, for log, sqrt, division and the like.
private func pos(_ shape: Int..., lo: Double = 0.5, hi: Double = 2) -> GradInput {
    GradInput(shape: shape, kind: .uniform(lo: lo, hi: hi, away: nil))
}
/// Inputs with |x| in [0.1, 1.1], clear of the kink at zero.
private func away(_ shape: Int...) -> GradInput { GradInput(shape: shape, kind: .uniform(lo: 0, hi: 1, away: 0.1)) }
private func values(_ shape: [Int], _ v: [Double]) -> GradInput { GradInput(shape: shape, kind: .values(v)) }
private func indices(_ shape: [Int], _ v: [Int64]) -> GradInput { GradInput(shape: shape, kind: .int64(v)) }
private func mask(_ shape: [Int], _ v: [Bool]) -> GradInput { GradInput(shape: shape, kind: .bool(v)) }

struct GradcheckCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [GradInput]
    let f: @Sendable ([Tensor]) -> Tensor
    init(_ name: String, _ inputs: [GradInput], _ f: @escaping @Sendable ([Tensor]) -> Tensor) {
        self.name = name
        self.inputs = inputs
        self.f = f
    }
    var testDescription: String { name }
}

// MARK: - The checker

/// Runs Ember's public `gradcheck` (central differences, PyTorch's eps/atol/rtol) on a case;
/// returns the mismatch description, or nothing when the check passes.
func checkGradients(_ c: GradcheckCase) -> [String] {
    var rng = GradcheckRNG(seed: c.name)
    let inputs = c.inputs.map { input in
        let t = input.tensor(input.initialValues(&rng))
        if input.differentiable { t.requiresGrad = true }
        return t
    }
    let probe = noGrad { c.f(inputs) }
    guard probe.dtype == .float64 else { return ["output dtype is \(probe.dtype), expected float64"] }
    do {
        try gradcheck(c.f, inputs: inputs)
        return []
    } catch {
        return [error.description]
    }
}

// MARK: - Cases

let gradcheckCases: [GradcheckCase] = [
    // Binary arithmetic.
    GradcheckCase("add", [x(2, 3), x(2, 3)]) { $0[0] + $0[1] },
    GradcheckCase("add_bcast", [x(4, 1), x(1, 3)]) { $0[0] + $0[1] },
    GradcheckCase("add_alpha", [x(2, 3), x(3)]) { $0[0].add($0[1], alpha: -0.5) },
    GradcheckCase("add_scalar", [x(2, 3)]) { 2.5 + $0[0] },
    GradcheckCase("sub", [x(2, 3), x(3)]) { $0[0] - $0[1] },
    GradcheckCase("sub_scalar_left", [x(2, 3)]) { 2.5 - $0[0] },
    GradcheckCase("sub_alpha", [x(2, 3), x(2, 3)]) { $0[0].sub($0[1], alpha: 2) },
    GradcheckCase("mul", [x(2, 3), x(2, 3)]) { $0[0] * $0[1] },
    GradcheckCase("mul_bcast", [x(2, 1, 3), x(4, 1)]) { $0[0] * $0[1] },
    GradcheckCase("mul_self", [x(5)]) { $0[0] * $0[0] },
    GradcheckCase("mul_int_scalar", [x(2, 3)]) { $0[0] * 3 },
    GradcheckCase("div", [x(2, 3), pos(2, 3)]) { $0[0] / $0[1] },
    GradcheckCase("div_bcast", [x(2, 3), pos(3)]) { $0[0] / $0[1] },
    GradcheckCase("div_scalar_left", [pos(2, 3)]) { 2.5 / $0[0] },
    GradcheckCase("div_scalar_right", [x(2, 3)]) { $0[0] / 2.5 },
    GradcheckCase("pow_tensor", [pos(2, 3), x(2, 3)]) { $0[0].pow($0[1]) },
    GradcheckCase("pow_tensor_bcast", [pos(2, 3), x(3)]) { $0[0].pow($0[1]) },
    GradcheckCase("pow_scalar", [pos(2, 3)]) { $0[0].pow(2.5) },
    GradcheckCase("pow_int", [x(2, 3)]) { $0[0].pow(3) },
    GradcheckCase("pow_negative", [pos(2, 3)]) { $0[0].pow(-1.5) },
    GradcheckCase("pow_zero", [x(4)]) { $0[0].pow(0) },
    GradcheckCase("maximum", [x(2, 3), x(2, 3)]) { $0[0].maximum($0[1]) },
    GradcheckCase("maximum_bcast", [x(4, 1), x(1, 3)]) { $0[0].maximum($0[1]) },
    GradcheckCase("minimum", [x(2, 3), x(2, 3)]) { $0[0].minimum($0[1]) },
    GradcheckCase("minimum_bcast", [x(3), x(2, 3)]) { $0[0].minimum($0[1]) },
    GradcheckCase("mixed_expression", [x(2, 3), pos(3)]) { a in ((a[0] + 1) * a[0] - a[0] / 2) / a[1] },

    // Unary.
    GradcheckCase("neg", [x(2, 3)]) { -$0[0] },
    GradcheckCase("abs", [away(2, 3)]) { $0[0].abs() },
    GradcheckCase("exp", [x(2, 3)]) { $0[0].exp() },
    GradcheckCase("log", [pos(2, 3, lo: 0.2, hi: 3)]) { $0[0].log() },
    GradcheckCase("log1p", [pos(2, 3, lo: -0.5, hi: 3)]) { $0[0].log1p() },
    GradcheckCase("expm1", [x(2, 3)]) { $0[0].expm1() },
    GradcheckCase("sqrt", [pos(2, 3, lo: 0.2, hi: 3)]) { $0[0].sqrt() },
    GradcheckCase("rsqrt", [pos(2, 3, lo: 0.2, hi: 3)]) { $0[0].rsqrt() },
    GradcheckCase("sin", [x(2, 3)]) { $0[0].sin() },
    GradcheckCase("cos", [x(2, 3)]) { $0[0].cos() },
    GradcheckCase("tanh", [x(2, 3)]) { $0[0].tanh() },
    GradcheckCase("sigmoid", [x(2, 3)]) { $0[0].sigmoid() },
    GradcheckCase("reciprocal", [away(2, 3)]) { $0[0].reciprocal() },
    GradcheckCase("erf", [x(2, 3)]) { $0[0].erf() },
    GradcheckCase("relu", [away(2, 3)]) { $0[0].relu() },
    GradcheckCase("sign", [away(2, 3)]) { $0[0].sign() },
    GradcheckCase("floor", [x(2, 3)]) { $0[0].floor() },
    GradcheckCase("ceil", [x(2, 3)]) { $0[0].ceil() },
    GradcheckCase("round", [x(2, 3)]) { $0[0].round() },
    GradcheckCase("trunc", [x(2, 3)]) { $0[0].trunc() },
    GradcheckCase("clamp", [x(3, 4)]) { $0[0].clamp(min: -0.5, max: 0.5) },
    GradcheckCase("clamp_min", [x(3, 4)]) { $0[0].clamp(min: 0.1) },
    GradcheckCase("clamp_max", [x(3, 4)]) { $0[0].clamp(max: 0.1) },
    GradcheckCase("unary_strided", [x(2, 6)]) { $0[0].slice(dim: 1, start: 0, end: nil, step: 2).tanh() },
    GradcheckCase("unary_transposed", [x(3, 2)]) { $0[0].t().exp() },

    // Reductions.
    GradcheckCase("sum_all", [x(2, 3, 4)]) { $0[0].sum() },
    GradcheckCase("sum_dim", [x(2, 3, 4)]) { $0[0].sum(dim: 1) },
    GradcheckCase("sum_dims_keepdim", [x(2, 3, 4)]) { $0[0].sum(dim: [0, 2], keepdim: true) },
    GradcheckCase("mean_all", [x(2, 3, 4)]) { $0[0].mean() },
    GradcheckCase("mean_dim_keepdim", [x(2, 3, 4)]) { $0[0].mean(dim: -1, keepdim: true) },
    GradcheckCase("mean_dims", [x(2, 3, 4)]) { $0[0].mean(dim: [0, 1]) },
    GradcheckCase("prod_all", [pos(2, 3)]) { $0[0].prod() },
    GradcheckCase("prod_dim", [x(3, 4)]) { $0[0].prod(dim: 1) },
    GradcheckCase("prod_dim_keepdim", [x(3, 4)]) { $0[0].prod(dim: 0, keepdim: true) },
    GradcheckCase("prod_one_zero", [values([4], [1.5, 0, -2, 0.5])]) { $0[0].prod() },
    GradcheckCase("prod_two_zeros", [values([2, 3], [1.5, 0, 0, 0.5, 2, -1])]) { $0[0].prod(dim: 1) },
    GradcheckCase("max_dim", [x(3, 4)]) { $0[0].max(dim: 1).values },
    GradcheckCase("max_dim_keepdim", [x(3, 4)]) { $0[0].max(dim: 0, keepdim: true).values },
    GradcheckCase("min_dim", [x(2, 3, 4)]) { $0[0].min(dim: -1).values },
    GradcheckCase("max_all", [x(3, 4)]) { $0[0].max() },
    GradcheckCase("min_all", [x(3, 4)]) { $0[0].min() },
    GradcheckCase("amax", [x(2, 3, 4)]) { $0[0].amax(dim: [0, 2]) },
    GradcheckCase("amin_keepdim", [x(3, 4)]) { $0[0].amin(dim: [1], keepdim: true) },
    GradcheckCase("var_all", [x(3, 4)]) { $0[0].var() },
    GradcheckCase("var_all_biased", [x(3, 4)]) { $0[0].var(unbiased: false) },
    GradcheckCase("var_dim", [x(3, 4)]) { $0[0].var(dim: 1) },
    GradcheckCase("var_dim_biased_keepdim", [x(3, 4)]) { $0[0].var(dim: 0, unbiased: false, keepdim: true) },
    GradcheckCase("var_dims_correction", [x(2, 3, 4)]) { $0[0].var(dim: [0, 2], correction: 1) },
    GradcheckCase("std_all", [x(3, 4)]) { $0[0].std() },
    GradcheckCase("std_dim", [x(3, 4)]) { $0[0].std(dim: 1, unbiased: false) },
    GradcheckCase("std_dims_keepdim", [x(2, 3, 4)]) { $0[0].std(dim: [1, 2], correction: 0, keepdim: true) },
    GradcheckCase("logsumexp", [x(3, 4)]) { $0[0].logsumexp(dim: 1) },
    GradcheckCase("logsumexp_keepdim", [x(3, 4)]) { $0[0].logsumexp(dim: 0, keepdim: true) },
    GradcheckCase("norm_p2_all", [x(3, 4)]) { $0[0].norm() },
    GradcheckCase("norm_p2_dim", [x(3, 4)]) { $0[0].norm(p: 2, dim: [1]) },
    GradcheckCase("norm_p1", [away(3, 4)]) { $0[0].norm(p: 1) },
    GradcheckCase("norm_p3", [x(3, 4)]) { $0[0].norm(p: 3) },
    GradcheckCase("norm_p3_dim_keepdim", [x(3, 4)]) { $0[0].norm(p: 3, dim: [0], keepdim: true) },
    GradcheckCase("norm_p1_5", [away(5)]) { $0[0].norm(p: 1.5) },
    GradcheckCase("norm_pinf", [x(3, 4)]) { $0[0].norm(p: .infinity) },
    GradcheckCase("norm_pinf_dim", [x(3, 4)]) { $0[0].norm(p: .infinity, dim: [1]) },

    // Softmax.
    GradcheckCase("softmax_dim0", [x(3, 4)]) { $0[0].softmax(dim: 0) },
    GradcheckCase("softmax_dim1", [x(3, 4)]) { $0[0].softmax(dim: 1) },
    GradcheckCase("softmax_3d", [x(2, 3, 2)]) { $0[0].softmax(dim: -2) },
    GradcheckCase("log_softmax_dim0", [x(3, 4)]) { $0[0].logSoftmax(dim: 0) },
    GradcheckCase("log_softmax_dim1", [x(3, 4)]) { $0[0].logSoftmax(dim: -1) },

    // Views and shape ops (composed with a non-linear op so the Jacobian is not a permutation).
    GradcheckCase("view", [x(2, 6)]) { $0[0].view([-1, 4]) * 1.5 },
    GradcheckCase("reshape_transposed", [x(3, 4)]) { $0[0].t().reshape([2, -1]).sin() },
    GradcheckCase("flatten", [x(2, 3, 2)]) { $0[0].flatten(startDim: 1).sin() },
    GradcheckCase("squeeze", [x(2, 1, 3)]) { $0[0].squeeze(dim: 1).sin() },
    GradcheckCase("squeeze_all", [x(2, 1, 3, 1)]) { $0[0].squeeze().sin() },
    GradcheckCase("unsqueeze", [x(2, 3)]) { $0[0].unsqueeze(1).sin() },
    GradcheckCase("permute", [x(2, 3, 4)]) { $0[0].permute([2, 0, 1]).sin() },
    GradcheckCase("transpose", [x(2, 3, 4)]) { $0[0].transpose(0, 2).sin() },
    GradcheckCase("t", [x(2, 3)]) { $0[0].t().sin() },
    GradcheckCase("expand", [x(3, 1)]) { $0[0].expand([2, 3, 4]).sin() },
    GradcheckCase("slice_step", [x(4, 6)]) { $0[0].slice(dim: 1, start: 0, end: 6, step: 2).sin() },
    GradcheckCase("slice_rows", [x(5, 3)]) { $0[0].slice(dim: 0, start: 1, end: 4).sin() },
    GradcheckCase("select", [x(3, 4)]) { $0[0].select(dim: 1, index: 2).sin() },
    GradcheckCase("narrow", [x(3, 5)]) { $0[0].narrow(dim: 1, start: 1, length: 3).sin() },
    GradcheckCase("contiguous", [x(3, 4)]) { $0[0].t().contiguous().sin() },
    GradcheckCase("cat_dim0", [x(2, 3), x(1, 3)]) { Tensor.cat([$0[0], $0[1]], dim: 0).sin() },
    GradcheckCase("cat_dim1", [x(2, 3), x(2, 2)]) { Tensor.cat([$0[0], $0[1]], dim: 1).sin() },
    GradcheckCase("cat_same_tensor", [x(2, 3)]) { Tensor.cat([$0[0], $0[0]], dim: 0).sin() },
    GradcheckCase("stack", [x(2, 3), x(2, 3)]) { Tensor.stack([$0[0], $0[1]], dim: 1).sin() },
    GradcheckCase("split", [x(5, 3)]) { $0[0].split(2, dim: 0)[2].sin() },
    GradcheckCase("split_sum", [x(2, 6)]) { a in
        let parts = a[0].split(2, dim: 1)
        return parts[0] * parts[1] + parts[2]
    },
    GradcheckCase("chunk", [x(2, 7)]) { a in
        let parts = a[0].chunk(3, dim: 1)
        return parts[0] * parts[1] + parts[2].sum(dim: 1, keepdim: true)
    },
    GradcheckCase("index_select", [x(4, 3), indices([4], [3, 0, 3, 1])]) {
        $0[0].indexSelect(dim: 0, index: $0[1]).sin()
    },
    GradcheckCase("gather", [x(3, 4), indices([3, 2], [0, 3, 1, 1, 2, 0])]) {
        $0[0].gather(dim: 1, index: $0[1]).sin()
    },
    GradcheckCase("scatter", [x(3, 4), indices([3, 2], [0, 3, 1, 2, 2, 0]), x(3, 2)]) {
        $0[0].scatter(dim: 1, index: $0[1], src: $0[2]).sin()
    },
    GradcheckCase("masked_fill", [x(2, 3), mask([2, 3], [true, false, true, false, false, true])]) {
        $0[0].maskedFill($0[1], value: -1.5).sin()
    },
    GradcheckCase("where", [mask([2, 3], [true, false, true, false, true, true]), x(2, 1), x(2, 3)]) {
        Tensor.where($0[0], $0[1], $0[2]).sin()
    },

    // Linear algebra.
    GradcheckCase("matmul_1d_1d", [x(4), x(4)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_2d_1d", [x(3, 4), x(4)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_1d_2d", [x(3), x(3, 4)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_2d_2d", [x(2, 3), x(3, 4)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_3d_3d", [x(2, 3, 4), x(2, 4, 2)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_3d_2d", [x(2, 3, 4), x(4, 2)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_4d_3d", [x(2, 1, 3, 4), x(5, 4, 2)]) { $0[0].matmul($0[1]) },
    GradcheckCase("matmul_transposed", [x(4, 3), x(2, 4)]) { $0[0].t().matmul($0[1].t()) },
    GradcheckCase("mm", [x(3, 4), x(4, 2)]) { $0[0].mm($0[1]) },
    GradcheckCase("bmm", [x(2, 3, 4), x(2, 4, 3)]) { $0[0].bmm($0[1]) },
    GradcheckCase("addmm", [x(3, 2), x(3, 4), x(4, 2)]) {
        Tensor.addmm($0[0], $0[1], $0[2], beta: 0.5, alpha: 2)
    },
    GradcheckCase("addmm_bcast", [x(2), x(3, 4), x(4, 2)]) { Tensor.addmm($0[0], $0[1], $0[2], beta: 1, alpha: 1) },

    // Graphs with shared subexpressions (gradient accumulation in the engine).
    GradcheckCase("diamond", [x(2, 3)]) { a in
        let h = a[0].tanh()
        return h * h.exp() + h.sum(dim: 1, keepdim: true)
    },
]

@Suite("Gradient checks (float64, finite differences)")
struct GradcheckTests {
    /// The checker itself must catch a wrong gradient: `x * x.detach()` has analytic gradient
    /// `x` but true derivative `2x`.
    @Test func checkerDetectsWrongGradient() {
        let wrong = GradcheckCase("checker_self_test", [x(3)]) { $0[0] * $0[0].detach() }
        #expect(checkGradients(wrong).count == 1)
        let right = GradcheckCase("checker_self_test", [x(3)]) { $0[0] * $0[0] }
        #expect(checkGradients(right).isEmpty)
    }

    @Test(arguments: gradcheckCases)
    func gradientsMatchFiniteDifferences(_ c: GradcheckCase) {
        let problems = checkGradients(c)
        #expect(
            problems.isEmpty,
            "\(c.name): \(problems.joined(separator: "\n"))")
    }
}
