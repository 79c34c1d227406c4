import CLinuxIO
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import HTTP

/// A thread-safe list of which handlers ran.
final class EventLog: Sendable {
    let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// Records its events; on the first, closes the partner descriptor and registers a fresh eventfd,
/// which the kernel gives the partner's number.
final class ReusingHandler: EventLoopHandler {
    let loop: EventLoop
    let log: EventLog
    let name: String
    var descriptor: Int32 = -1
    weak var partner: ReusingHandler?

    init(loop: EventLoop, name: String, log: EventLog) {
        self.loop = loop
        self.name = name
        self.log = log
    }

    func handleEvents(_ events: UInt32) {
        log.append(name)
        System.drainCounter(descriptor)
        guard let partner, partner.descriptor >= 0 else { return }
        let reused = partner.descriptor
        loop.unregister(reused)
        System.close(descriptor: reused)
        partner.descriptor = -1
        let fresh = try! System.eventCreate()
        #expect(fresh == reused, "the kernel reuses the lowest free descriptor")
        let newcomer = FreshHandler(log: log)
        try! loop.register(fresh, events: EpollEvents.readable, handler: newcomer)
        descriptorsToClose.withLock { $0.append(fresh) }
    }

    let descriptorsToClose = Mutex<[Int32]>([])
}

/// Must never be called: its descriptor is never signalled.
final class FreshHandler: EventLoopHandler {
    let log: EventLog
    init(log: EventLog) { self.log = log }
    func handleEvents(_ events: UInt32) { log.append("fresh") }
}

@Suite("event loop")
struct EventLoopTests {
    @Test("work from other threads runs on the loop thread, in order")
    func executeFromOtherThreads() throws {
        let loop = try EventLoop(name: "test-execute")
        loop.start()
        defer { loop.stop() }
        let seen = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        for index in 0..<100 {
            loop.execute {
                #expect(loop.inLoop)
                seen.withLock { $0.append(index) }
                if index == 99 { done.signal() }
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen.withLock { $0 } == Array(0..<100))
        #expect(!loop.inLoop)
    }

    @Test("timers fire in deadline order and a cancelled timer never fires")
    func timers() throws {
        let loop = try EventLoop(name: "test-timers")
        loop.start()
        defer { loop.stop() }
        let fired = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            loop.scheduleTimer(afterNanoseconds: 60_000_000) { fired.withLock { $0.append("late") }; done.signal() }
            loop.scheduleTimer(afterNanoseconds: 20_000_000) { fired.withLock { $0.append("early") } }
            let cancelled = loop.scheduleTimer(afterNanoseconds: 40_000_000) { fired.withLock { $0.append("cancelled") } }
            loop.cancelTimer(cancelled)
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(fired.withLock { $0 } == ["early", "late"])
    }

    @Test("a stale event for a closed and reused descriptor is not delivered to the new registration")
    func staleEventIgnored() throws {
        let loop = try EventLoop(name: "test-generations")
        loop.start()
        defer { loop.stop() }
        let log = EventLog()
        let first = ReusingHandler(loop: loop, name: "first", log: log)
        let second = ReusingHandler(loop: loop, name: "second", log: log)
        first.partner = second
        second.partner = first
        let registered = DispatchSemaphore(value: 0)
        let bound = LoopBound(value: (first, second))
        loop.execute {
            let (first, second) = bound.value
            for handler in [first, second] {
                handler.descriptor = try! System.eventCreate()
                try! loop.register(handler.descriptor, events: EpollEvents.readable, handler: handler)
            }
            // Both become readable before the loop waits again, so both events share one wake-up.
            System.eventSignal(first.descriptor)
            System.eventSignal(second.descriptor)
            registered.signal()
        }
        #expect(registered.wait(timeout: .now() + 10) == .success)
        #expect(eventually { log.all.count >= 1 })
        let cleaned = DispatchSemaphore(value: 0)
        loop.execute {
            let (first, second) = bound.value
            for handler in [first, second] {
                if handler.descriptor >= 0 {
                    loop.unregister(handler.descriptor)
                    System.close(descriptor: handler.descriptor)
                }
                for descriptor in handler.descriptorsToClose.withLock({ $0 }) {
                    loop.unregister(descriptor)
                    System.close(descriptor: descriptor)
                }
            }
            cleaned.signal()
        }
        #expect(cleaned.wait(timeout: .now() + 10) == .success)
        #expect(log.all.count == 1)
        #expect(!log.all.contains("fresh"))
    }
}
