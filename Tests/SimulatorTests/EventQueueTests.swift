import Testing
@testable import Simulator

@Suite("VirtualClock and EventQueue")
struct EventQueueTests {
    @Test("the virtual clock starts where told and only moves forward")
    func clockMovesForward() {
        var clock = VirtualClock()
        #expect(clock.now == 0)
        clock.advance(to: 5)
        clock.advance(to: 5)
        clock.advance(by: VirtualTime.milliseconds(2))
        #expect(clock.now == 2_000_005)
        #expect(VirtualTime.seconds(3) == 3_000_000_000)
        #expect(VirtualClock(start: 9).now == 9)
    }

    @Test("events come out in time order")
    func eventsComeOutInTimeOrder() {
        var queue = EventQueue<String>()
        queue.schedule("late", at: 30)
        queue.schedule("early", at: 10)
        queue.schedule("middle", at: 20)
        #expect(queue.nextTime == 10)
        #expect(queue.popNext()?.event == "early")
        #expect(queue.popNext()?.event == "middle")
        #expect(queue.popNext()?.event == "late")
        #expect(queue.popNext() == nil)
        #expect(queue.isEmpty)
    }

    @Test("events due at the same time come out in the order they were scheduled")
    func tiesAreStable() {
        var queue = EventQueue<Int>()
        for value in 0..<100 {
            queue.schedule(value, at: 7)
        }
        queue.schedule(-1, at: 3)
        var popped: [Int] = []
        while let entry = queue.popNext() {
            popped.append(entry.event)
        }
        #expect(popped == [-1] + Array(0..<100))
    }

    @Test("a random interleaving of schedules and pops matches a sorted reference")
    func matchesSortedReference() {
        var random = SeededRandom(seed: 42)
        var queue = EventQueue<Int>()
        var reference: [(time: UInt64, sequence: Int)] = []
        var sequence = 0
        for _ in 0..<5_000 {
            if random.bernoulli(0.6) || reference.isEmpty {
                let time = random.uniform(in: UInt64(0)...50)
                queue.schedule(sequence, at: time)
                reference.append((time, sequence))
                sequence += 1
            } else {
                reference.sort { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
                let expected = reference.removeFirst()
                let entry = queue.popNext()
                #expect(entry?.time == expected.time)
                #expect(entry?.event == expected.sequence)
            }
            #expect(queue.count == reference.count)
        }
    }

    @Test("popping with a clock advances the clock to the event's time")
    func popAdvancesClock() {
        var queue = EventQueue<String>()
        var clock = VirtualClock()
        queue.schedule("tick", at: 1_500)
        let entry = queue.popNext(advancing: &clock)
        #expect(entry?.event == "tick")
        #expect(clock.now == 1_500)
        #expect(queue.popNext(advancing: &clock) == nil)
        #expect(clock.now == 1_500)
    }

    @Test("the queue reports when it has no room left under its capacity")
    func capacityIsReported() {
        var queue = EventQueue<Int>(capacity: 2)
        #expect(EventQueue<Int>.defaultCapacity == 1_000_000)
        #expect(queue.hasRoom)
        queue.schedule(1, at: 1)
        queue.schedule(2, at: 1)
        #expect(!queue.hasRoom)
        _ = queue.popNext()
        #expect(queue.hasRoom)
    }
}
