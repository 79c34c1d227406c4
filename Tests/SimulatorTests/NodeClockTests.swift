import Testing
@testable import Simulator

@Suite("NodeClock")
struct NodeClockTests {
    @Test("a clock without faults reads true time and times timers exactly")
    func faultFreeClockIsTrueTime() {
        let clock = NodeClock()
        #expect(clock.localTime(at: 12_345) == 12_345)
        #expect(clock.offset(at: 99) == 0)
        #expect(clock.trueDuration(forLocal: 1_000) == 1_000)
    }

    @Test("skew offsets the reading, forwards or backwards")
    func skewOffsetsReading() {
        var clock = NodeClock()
        clock.setSkew(500, at: 1_000)
        #expect(clock.localTime(at: 2_000) == 2_500)
        clock.setSkew(-300, at: 3_000)
        #expect(clock.localTime(at: 3_000) == 2_700)
        #expect(clock.offset(at: 4_000) == -300)
    }

    @Test("a fast clock gains time and fires its timers early in true time; a slow one the reverse")
    func driftChangesRate() {
        var fast = NodeClock()
        fast.setDrift(50_000, at: 0)
        #expect(fast.localTime(at: VirtualTime.seconds(1)) == 1_050_000_000)
        #expect(fast.trueDuration(forLocal: 1_050_000_000) == VirtualTime.seconds(1))
        #expect(fast.trueDuration(forLocal: 1_000) == 953)
        var slow = NodeClock()
        slow.setDrift(-50_000, at: 0)
        #expect(slow.localTime(at: VirtualTime.seconds(1)) == 950_000_000)
        #expect(slow.trueDuration(forLocal: 950_000_000) == VirtualTime.seconds(1))
    }

    @Test("changing the drift keeps local time continuous")
    func driftChangeIsContinuous() {
        var clock = NodeClock()
        clock.setDrift(100_000, at: 0)
        let before = clock.localTime(at: 10_000)
        clock.setDrift(-100_000, at: 10_000)
        #expect(clock.localTime(at: 10_000) == before)
        #expect(clock.localTime(at: 20_000) == before + 9_000)
        #expect(clock.driftPartsPerMillion == -100_000)
    }

    @Test("hours of simulated time at high drift do not overflow")
    func longRunsDoNotOverflow() {
        var clock = NodeClock()
        clock.setDrift(NodeClock.maximumDriftPartsPerMillion, at: 0)
        let tenDays = VirtualTime.seconds(864_000)
        #expect(clock.localTime(at: tenDays) == Int64(tenDays) + Int64(tenDays / 2))
        #expect(clock.trueDuration(forLocal: tenDays) == (tenDays * 2 + 2) / 3)
    }
}
