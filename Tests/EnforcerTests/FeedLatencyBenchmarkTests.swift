import Enforcer
import Testing

@Suite("the feed latency benchmark's arithmetic")
struct FeedLatencyBenchmarkTests {
    @Test("the nearest-rank percentile picks the value at rank ⌈q·n⌉")
    func percentile() {
        let values: [UInt64] = Array(1...100)
        #expect(FeedLatencyBenchmark.percentile(values, 0.5) == 50)
        #expect(FeedLatencyBenchmark.percentile(values, 0.99) == 99)
        #expect(FeedLatencyBenchmark.percentile(values, 1.0) == 100)
        #expect(FeedLatencyBenchmark.percentile(values, 0.0) == 1)
        #expect(FeedLatencyBenchmark.percentile([7, 9, 11], 0.5) == 9)
        #expect(FeedLatencyBenchmark.percentile([42], 0.99) == 42)
        #expect(FeedLatencyBenchmark.percentile([], 0.5) == 0)
    }

    @Test("kill → all subscribers is the last arrival, only for kills every subscriber saw")
    func completeKills() {
        let starts: [UInt64] = [1_000, 2_000, 3_000]
        let arrivals: [[UInt64]] = [[1_500, 1_900, 1_700], [2_100, 2_200], [2_999, 3_400, 3_100]]
        let all = FeedLatencyBenchmark.completeKills(starts: starts, arrivals: arrivals, subscribers: 3)
        #expect(all == [900, 400])
    }

    @Test("arrivals are counted and handed over by revision, once")
    func arrivalsByRevision() {
        let arrivals = FeedLatencyBenchmark.Arrivals()
        arrivals.record("7", at: 10)
        arrivals.record("7", at: 12)
        arrivals.record("8", at: 11)
        #expect(arrivals.count(of: "7") == 2)
        #expect(arrivals.take("7") == [10, 12])
        #expect(arrivals.count(of: "7") == 0)
        #expect(arrivals.take("7") == [])
        #expect(arrivals.count(of: "8") == 1)
        #expect(!arrivals.isStopped)
        arrivals.stop()
        #expect(arrivals.isStopped)
    }
}
