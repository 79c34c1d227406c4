// MARK: - What one run found

/// The outcome of one chaos run: its identity (seed, trace hash), what checkers found, and
/// counters for progress reports.
public struct SimulationReport: Sendable {
    /// The seed.
    public let seed: UInt64
    /// Every processed event and client outcome folded together: equal for equal runs.
    public let traceHash: UInt64
    /// Everything the checkers found; empty means the seed passed.
    public let violations: [SimulationViolation]
    /// Virtual time simulated.
    public let virtualNanoseconds: VirtualNanoseconds
    /// Events processed.
    public let events: Int
    /// Client operations recorded in the kill-switch history.
    public let historyOperations: Int
    /// Writes applied, reads served, operations failed and ambiguous, retries made.
    public let applied: Int, readsServed: Int, failed: Int, ambiguous: Int, retries: Int

    /// Whether every checker passed.
    public var passed: Bool { violations.isEmpty }

    /// One line for a progress log.
    public var summary: String {
        "seed \(seed): \(passed ? "ok" : "VIOLATION") trace=\(String(traceHash, radix: 16)) events=\(events) " +
            "ops=\(historyOperations) applied=\(applied) reads=\(readsServed) failed=\(failed) ambiguous=\(ambiguous) retries=\(retries)"
    }
}

extension Simulation {
    /// The report of the run so far.
    public var report: SimulationReport {
        SimulationReport(
            seed: seed, traceHash: traceHash, violations: violations, virtualNanoseconds: clock.now,
            events: processedEvents, historyOperations: workload.history.operations.count,
            applied: workload.applied, readsServed: workload.readsServed, failed: workload.failed,
            ambiguous: workload.ambiguous, retries: workload.retries)
    }

    /// Runs `seed` from start to finish with every checker and returns the report.
    public static func run(seed: UInt64, configuration: SimulationConfiguration) -> SimulationReport {
        let simulation = Simulation(seed: seed, configuration: configuration)
        simulation.runAndCheck()
        return simulation.report
    }

    /// Runs the events, then (unless a step check already failed and the run stops at the first
    /// violation) the final-state checks and the linearizability check.
    public func runAndCheck() {
        runEvents()
        guard violations.isEmpty || !configuration.stopAtFirstViolation else { return }
        checkFinalState()
        guard violations.isEmpty || !configuration.stopAtFirstViolation else { return }
        checkLinearizability()
    }
}
