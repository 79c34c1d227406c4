import Testing
@testable import Simulator

/// Short runs of the real replica code under every fault class: small enough for a debug
/// build, long enough for faults, an election or two, and healing.
private func shortRun() -> SimulationConfiguration {
    var configuration = SimulationConfiguration()
    configuration.virtualSeconds = 6
    configuration.healingSeconds = 4
    configuration.quiescence = VirtualTime.seconds(1)
    configuration.livenessBound = VirtualTime.seconds(3)
    configuration.clientCount = 4
    return configuration
}

struct ChaosSimulationTests {
    @Test("the same seed run twice gives the same trace hash and the same report")
    func sameSeedSameTrace() {
        let first = Simulation.run(seed: 7, configuration: shortRun())
        let second = Simulation.run(seed: 7, configuration: shortRun())
        #expect(first.traceHash == second.traceHash)
        #expect(first.events == second.events)
        #expect(first.applied == second.applied)
        #expect(first.historyOperations > 0)
    }

    @Test("different seeds take different paths")
    func differentSeedsDiffer() {
        let first = Simulation.run(seed: 7, configuration: shortRun())
        let second = Simulation.run(seed: 8, configuration: shortRun())
        #expect(first.traceHash != second.traceHash)
    }

    @Test("a few seeds under every fault class pass every checker", arguments: [UInt64(1), 2, 3])
    func shortChaosRunPasses(seed: UInt64) {
        let report = Simulation.run(seed: seed, configuration: shortRun())
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(report.applied > 0)
        #expect(report.readsServed > 0)
    }

    @Test("a figure-8 plan cuts off each election winner as it wins, and the correct code passes every checker")
    func figure8RunPasses() {
        var configuration = shortRun()
        configuration.virtualSeconds = 10
        configuration.faults = .figure8
        configuration.recordsTimeline = true
        configuration.stopAtFirstViolation = false
        let simulation = Simulation(seed: 3, configuration: configuration)
        simulation.runAndCheck()
        #expect(simulation.plan.hasFigure8Episode)
        #expect(simulation.timeline.contains { $0.hasSuffix("isolated as it wins an election") })
        #expect(simulation.violations.isEmpty, "\(simulation.violations)")
        #expect(simulation.report.applied > 0)
    }
}
