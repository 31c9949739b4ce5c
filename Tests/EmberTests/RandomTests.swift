import Testing

@testable import Ember

@Suite struct RandomTests {
    @Test func explicitGeneratorsRepeat() {
        let a = Tensor.randn([5], generator: Generator(seed: 42)).toArray(as: Float.self)
        let b = Tensor.randn([5], generator: Generator(seed: 42)).toArray(as: Float.self)
        let c = Tensor.randn([5], generator: Generator(seed: 43)).toArray(as: Float.self)
        #expect(a == b && a != c)
    }

    @Test func withGeneratorReplacesTheDefaultForInitialisation() {
        let first = withGenerator(Generator(seed: 7)) { Linear(6, 4).weight.toArray(as: Float.self) }
        _ = Tensor.randn([100])  // draws from the default generator in between
        let second = withGenerator(Generator(seed: 7)) { Linear(6, 4).weight.toArray(as: Float.self) }
        #expect(first == second)
        #expect(Generator.current === Generator.default)
    }

    @Test func generatorStateRoundTrips() {
        let g = Generator(seed: 1)
        _ = Tensor.rand([3], generator: g)
        let saved = g.stateWords
        let next = Tensor.rand([3], generator: g).toArray(as: Float.self)
        g.stateWords = saved
        #expect(Tensor.rand([3], generator: g).toArray(as: Float.self) == next)
    }

    @Test func distributionsHaveTheRightMoments() {
        let g = Generator(seed: 5)
        let n = Tensor.randn([20_000], dtype: .float64, generator: g)
        #expect(Swift.abs(n.mean().item()) < 0.03 && Swift.abs(n.std().item() - 1) < 0.03)
        let u = Tensor.rand([20_000], dtype: .float64, generator: g)
        #expect(u.min().item() >= 0 && u.max().item() < 1 && Swift.abs(u.mean().item() - 0.5) < 0.01)
        let perm = Tensor.randperm(50, generator: g).toArray(as: Int64.self)
        #expect(perm.sorted() == Array(0..<50))
        let ints = Tensor.randint(3, 7, [1000], generator: g).toArray(as: Int64.self)
        #expect(Set(ints) == [3, 4, 5, 6])
    }
}
