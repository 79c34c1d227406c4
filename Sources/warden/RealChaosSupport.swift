#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Bounds

/// Every bound of the run, named with its reason.
enum RealChaosBounds {
    /// Clients by default: enough concurrency per agent to make the checker work, few enough for 2 cores.
    static let defaultClients = 6
    /// More client threads than this only measure CPU starvation.
    static let maximumClients = 32
    /// Agents the workload spreads over; each is one partition of the linearizability check.
    static let agentCount = 8
    /// Operations per agent: keeps each partition's search small enough to finish (not `unknown`);
    /// 5,000 per agent checks in a few seconds when few operations are ambiguous.
    static let maximumOperationsPerAgent = 5_000
    /// Attempts per write (the same idempotency key each time, a different node each time).
    static let writeAttempts = 4
    /// How often a client takes a 503 at its word (the write did not apply) and stops retrying:
    /// a retry with the same key would mask a 503 for a write that did apply, so some must not retry.
    static let takeNotAppliedAtItsWordPercent = 25
    /// Attempts per check; a check that never answers is dropped (a read has no effect).
    static let checkAttempts = 3
    /// Pause between attempts, so a fresh election can finish.
    static let retryPauseMilliseconds: UInt64 = 150
    /// Client timeouts: a paused node holds a request at most this long.
    static let connectTimeout = Duration.seconds(1)
    static let responseTimeout = Duration.seconds(5)
    /// Liveness waits: generous (a loaded 2-core host elects slowly) but bounded.
    static let readyWaitSeconds = 120.0
    static let convergeWaitSeconds = 120.0
    static let setupWaitSeconds = 120.0
    /// Polling interval of the liveness waits.
    static let pollMilliseconds: UInt64 = 100
    /// Nemesis: a fault every 1–3 s, each lasting 0.5–2 s.
    static let faultGapMilliseconds: ClosedRange<UInt64> = 1_000...3_000
    static let faultLengthMilliseconds: ClosedRange<UInt64> = 500...2_000
    /// A flapping link changes state every 50–300 ms.
    static let flapStepMilliseconds: ClosedRange<UInt64> = 50...300
    /// A slow link holds each chunk this long: around the 100–200 ms election timeout.
    static let slowLinkMilliseconds: ClosedRange<UInt64> = 20...250
    /// Node log lines printed when a node misbehaves.
    static let logTailLines = 20
    /// Evidence lines printed per failed check.
    static let evidenceLines = 10
}

// MARK: - Time and signals

/// The monotonic clock every history time is read from (the checker's real-time order).
enum RealChaosClock {
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func wallSeconds() -> Int { Int(time(nil)) }

    static func sleep(milliseconds: UInt64) {
        usleep(useconds_t(min(milliseconds * 1_000, UInt64(UInt32.max))))
    }
}

/// Stops every node this process started, and removes the data unless kept, when the run is
/// interrupted or terminated (Ctrl-C, CI `timeout`): the signals are blocked in every thread
/// and one thread waits for them, so the cleanup runs as ordinary code, not in a handler.
enum RealChaosSignals {
    static let handled = [SIGINT, SIGTERM, SIGHUP]

    /// Call before any other thread starts, so every thread inherits the blocked mask.
    static func install(cluster: RealChaosCluster, keepData: Bool) {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in handled { sigaddset(&signals, number) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let waited = signals
        Thread {
            var set = waited
            var received: Int32 = 0
            sigwait(&set, &received)
            RealChaosCommand.say("chaos-real: signal \(received): stopping every node this run started")
            cluster.shutdown(keepData: keepData)
            exit(128 + received)
        }.start()
    }
}

/// Why the run could not set itself up (a socket call failed) or a saved history is unreadable.
struct RealChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
