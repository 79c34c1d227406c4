// MARK: - SplitMix64

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator used only to expand one 64-bit
/// seed into well-mixed state words for `SeededRandom`, as Vigna recommends for xoshiro.
public struct SplitMix64: Sendable {
    /// The running counter; each output adds the golden-ratio increment to it.
    public private(set) var state: UInt64

    /// Creates a SplitMix64 stream starting from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Returns the next 64-bit output of the reference SplitMix64 algorithm.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

// MARK: - SeededRandom

/// The simulator's only source of randomness: xoshiro256** (Blackman and Vigna 2018) seeded
/// through SplitMix64. Every helper here is implemented on top of `next()` with our own
/// algorithms, so a seed produces the same run on every platform and every Swift version —
/// the stdlib's `shuffle` and `random(in:using:)` do not promise a stable algorithm.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    /// The seed this generator started from, kept so that reports can name it.
    public let seed: UInt64
    private var state0: UInt64
    private var state1: UInt64
    private var state2: UInt64
    private var state3: UInt64

    /// Creates a generator whose whole output is a function of `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        var expander = SplitMix64(seed: seed)
        state0 = expander.next()
        state1 = expander.next()
        state2 = expander.next()
        state3 = expander.next()
        // SplitMix64 is a bijection of distinct counters, so four outputs are never all zero;
        // the all-zero state is the one xoshiro cannot leave.
        precondition(state0 | state1 | state2 | state3 != 0, "xoshiro256** state must not be all zero")
    }

    /// Creates the independent stream number `stream` of `seed`: subsystems (network, fault
    /// plan, workload) each take their own stream so that extra draws in one do not shift the
    /// random choices of the others when the simulator evolves.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: mixer.next())
    }

    /// Returns the next 64-bit output of the reference xoshiro256** algorithm.
    public mutating func next() -> UInt64 {
        let result = Self.rotateLeft(state1 &* 5, by: 7) &* 9
        let shifted = state1 << 17
        state2 ^= state0
        state3 ^= state1
        state1 ^= state2
        state0 ^= state3
        state2 ^= shifted
        state3 = Self.rotateLeft(state3, by: 45)
        return result
    }

    /// Splits off a child generator seeded from this one's next output; the child and the
    /// parent then produce unrelated streams, and the split itself is deterministic.
    public mutating func fork() -> SeededRandom {
        SeededRandom(seed: next())
    }

    private static func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }
}

// MARK: - Helpers with our own, stable algorithms

extension SeededRandom {
    /// Returns a uniform value in `0..<bound` by rejection sampling: outputs below
    /// `2^64 mod bound` are rejected so every residue is equally likely (no modulo bias).
    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        let rejectionThreshold = (0 &- bound) % bound
        while true {
            let candidate = next()
            if candidate >= rejectionThreshold {
                return candidate % bound
            }
        }
    }

    /// Returns a uniform unsigned value in the closed range `range`.
    public mutating func uniform(in range: ClosedRange<UInt64>) -> UInt64 {
        let width = range.upperBound - range.lowerBound
        if width == UInt64.max {
            return next()
        }
        return range.lowerBound + uniform(below: width + 1)
    }

    /// Returns a uniform integer in the closed range `range`.
    public mutating func uniform(in range: ClosedRange<Int>) -> Int {
        let lower = UInt64(bitPattern: Int64(range.lowerBound))
        let width = UInt64(bitPattern: Int64(range.upperBound)) &- lower
        let offset = width == UInt64.max ? next() : uniform(below: width + 1)
        return Int(Int64(bitPattern: lower &+ offset))
    }

    /// Returns a uniform integer in the half-open range `range`, which must not be empty.
    public mutating func uniform(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "uniform(in:) needs a non-empty range")
        return uniform(in: range.lowerBound...(range.upperBound - 1))
    }

    /// Returns a uniform double in `[0, 1)` built from the top 53 bits, exact in IEEE 754.
    public mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Returns `true` with probability `probability`; 0 is never and 1 is always, and neither
    /// consumes a random draw.
    public mutating func bernoulli(_ probability: Double) -> Bool {
        precondition(probability >= 0 && probability <= 1, "a probability lies in [0, 1]")
        if probability == 0 { return false }
        if probability == 1 { return true }
        return unitInterval() < probability
    }

    /// Returns a uniformly chosen element, or `nil` for an empty collection.
    public mutating func pick<Elements: Collection>(_ elements: Elements) -> Elements.Element? {
        if elements.isEmpty { return nil }
        let offset = Int(uniform(below: UInt64(elements.count)))
        return elements[elements.index(elements.startIndex, offsetBy: offset)]
    }

    /// Shuffles `elements` in place with the Fisher–Yates algorithm driven by `uniform(below:)`.
    public mutating func shuffle<Elements: MutableCollection & RandomAccessCollection>(
        _ elements: inout Elements
    ) {
        var remaining = elements.count
        while remaining > 1 {
            let chosen = Int(uniform(below: UInt64(remaining)))
            remaining -= 1
            let last = elements.index(elements.startIndex, offsetBy: remaining)
            let other = elements.index(elements.startIndex, offsetBy: chosen)
            elements.swapAt(last, other)
        }
    }

    /// Returns a shuffled copy of `elements`.
    public mutating func shuffled<Elements: Sequence>(_ elements: Elements) -> [Elements.Element] {
        var copy = Array(elements)
        shuffle(&copy)
        return copy
    }
}
