import Synchronization

/// A seedable pseudo-random number generator (`torch.Generator`), xoshiro256** seeded through
/// SplitMix64. Thread-safe; pass one explicitly for reproducibility independent of other code.
public final class Generator: Sendable {
    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>
    private let seedValue: Mutex<UInt64>

    /// Creates a generator seeded with `seed` (PyTorch's default seed when omitted).
    public init(seed: UInt64 = 67_280_421_310_721) {
        state = Mutex(Generator.expand(seed))
        seedValue = Mutex(seed)
    }

    /// Re-seeds the generator (`manual_seed`).
    public func manualSeed(_ seed: UInt64) {
        state.withLock { $0 = Generator.expand(seed) }
        seedValue.withLock { $0 = seed }
    }

    /// The seed last set (`initial_seed()`).
    public var initialSeed: UInt64 { seedValue.withLock { $0 } }

    /// The full internal state, for checkpoints (`get_state()`).
    public var stateWords: [UInt64] {
        get { state.withLock { [$0.0, $0.1, $0.2, $0.3] } }
        set {
            precondition(newValue.count == 4, "Generator state must have 4 words")
            state.withLock { $0 = (newValue[0], newValue[1], newValue[2], newValue[3]) }
        }
    }

    private static func expand(_ seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// Runs `body` with exclusive access to a raw 64-bit source.
    func withSource<R>(_ body: (inout RawSource) -> R) -> R {
        state.withLock { s in
            var source = RawSource(s: s)
            let r = body(&source)
            s = source.s
            return r
        }
    }

    /// xoshiro256** over a copied state.
    struct RawSource {
        var s: (UInt64, UInt64, UInt64, UInt64)

        @inline(__always)
        mutating func next() -> UInt64 {
            let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
            let t = s.1 << 17
            s.2 ^= s.0
            s.3 ^= s.1
            s.1 ^= s.2
            s.0 ^= s.3
            s.2 ^= t
            s.3 = s.3 << 45 | s.3 >> 19
            return result
        }

        /// Uniform in [0, 1) with 53 random bits.
        @inline(__always)
        mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

        /// Uniform integer in `0..<bound` without modulo bias.
        mutating func below(_ bound: UInt64) -> UInt64 {
            precondition(bound > 0)
            let threshold = (0 &- bound) % bound
            while true {
                let r = next()
                if r >= threshold { return r % bound }
            }
        }

        /// Standard normal by the Box-Muller transform.
        mutating func normalPair() -> (Double, Double) {
            let u1 = 1 - uniform()  // (0, 1]
            let u2 = uniform()
            let radius = (-2 * Double.log(u1)).squareRoot()
            let angle = 2 * Double.pi * u2
            return (radius * Double.cos(angle), radius * Double.sin(angle))
        }
    }

    /// The process-wide default generator (`torch.default_generator`).
    public static let `default` = Generator()

    /// A generator standing in for the default one inside `withGenerator { }`, per task.
    @TaskLocal static var override: Generator?

    /// The generator used when none is passed: the one given to the innermost enclosing
    /// `withGenerator { }`, else `Generator.default`.
    public static var current: Generator { override ?? .default }
}

/// Runs `body` with `generator` in place of the default generator for everything that draws random
/// numbers without an explicit `generator:` (initialisation, dropout, `randn`, shuffling), in this
/// task only (`torch.random.fork_rng` + `manual_seed`, without touching other threads).
public func withGenerator<T>(_ generator: Generator, _ body: () throws -> T) rethrows -> T {
    try Generator.$override.withValue(generator, operation: body)
}

/// Seeds the default generator, so random tensors, shuffling and initialisation repeat
/// (`torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
    Generator.default.manualSeed(seed)
}
