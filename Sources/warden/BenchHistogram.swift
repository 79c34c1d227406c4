// MARK: - Latency histogram

/// An HDR-like log-linear histogram of nanosecond latencies: exact below 128 ns, then 64
/// sub-buckets per power of two (relative error under 1.6 %), fixed size, mergeable.
struct BenchHistogram: Sendable {
    /// Sub-buckets per power of two, as a bit count: 2^6 = 64 sub-buckets.
    static let subBucketBits = 6
    /// Values below this are counted exactly, one bucket each.
    static let exactLimit: UInt64 = 1 << (subBucketBits + 1)
    /// Enough buckets for any UInt64 value.
    static let bucketCount = (64 - subBucketBits) << subBucketBits + Int(exactLimit)

    private(set) var counts = [UInt64](repeating: 0, count: bucketCount)
    /// Recorded values.
    private(set) var count: UInt64 = 0
    /// Smallest recorded value (UInt64.max while empty).
    private(set) var minimum: UInt64 = .max
    /// Largest recorded value.
    private(set) var maximum: UInt64 = 0
    /// Sum of recorded values, for the mean.
    private(set) var sum: Double = 0

    /// Counts one latency.
    mutating func record(nanoseconds value: UInt64) {
        counts[Self.bucket(of: value)] += 1
        count += 1
        sum += Double(value)
        minimum = min(minimum, value)
        maximum = max(maximum, value)
    }

    /// Adds every count of another histogram.
    mutating func merge(_ other: BenchHistogram) {
        for index in counts.indices where other.counts[index] != 0 { counts[index] += other.counts[index] }
        count += other.count
        sum += other.sum
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// The bucket holding a value.
    static func bucket(of value: UInt64) -> Int {
        if value < exactLimit { return Int(value) }
        let shift = (63 - value.leadingZeroBitCount) - subBucketBits
        return (shift << subBucketBits) + Int(value >> UInt64(shift))
    }

    /// The smallest value that falls in a bucket.
    static func lowerBound(ofBucket index: Int) -> UInt64 {
        if index < Int(exactLimit) { return UInt64(index) }
        let shift = (index >> subBucketBits) - 1
        let mantissa = UInt64(index & ((1 << subBucketBits) - 1)) + (1 << UInt64(subBucketBits))
        return mantissa << UInt64(shift)
    }

    /// The value at quantile `q` (0…1): the midpoint of its bucket, clamped to min/max.
    func value(atQuantile quantile: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = max(1, UInt64((quantile * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for index in counts.indices where counts[index] != 0 {
            seen += counts[index]
            if seen >= rank {
                let low = Self.lowerBound(ofBucket: index)
                let high = Self.lowerBound(ofBucket: index + 1)
                return min(max(low + (high - low) / 2, minimum), maximum)
            }
        }
        return maximum
    }

    /// Mean latency in nanoseconds.
    var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// (upper value of bucket, cumulative fraction) for every non-empty bucket: the CDF.
    func cumulativeDistribution() -> [(nanoseconds: UInt64, fraction: Double)] {
        guard count > 0 else { return [] }
        var points: [(nanoseconds: UInt64, fraction: Double)] = []
        var seen: UInt64 = 0
        for index in counts.indices where counts[index] != 0 {
            seen += counts[index]
            let upper = min(Self.lowerBound(ofBucket: index + 1), maximum)
            points.append((max(upper, minimum), Double(seen) / Double(count)))
        }
        return points
    }
}
