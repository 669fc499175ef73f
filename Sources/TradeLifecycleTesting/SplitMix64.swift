/// SplitMix64 (Steele, Lea and Flood): a small, fast, seeded random number generator, so that
/// generated test data and benchmark inputs are the same on every run and a failing case
/// replays from its seed.
///
/// Not for anything that must be unpredictable (ids, tokens): use
/// `SystemRandomNumberGenerator` there.
///
/// ```swift
/// var random = SplitMix64(seed: 42)
/// let quantity = Int.random(in: 1...1_000, using: &random)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state; the next value is derived from it.
    public private(set) var state: UInt64

    /// Creates a generator.
    ///
    /// - Parameter seed: The initial state; the same seed gives the same sequence.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
