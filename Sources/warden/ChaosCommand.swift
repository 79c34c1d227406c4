#if canImport(Glibc)
import Glibc
#endif
import Simulator

/// `warden chaos`: runs seeded chaos simulations of the replica code and reports violations.
///
/// `--seeds N [--first S] [--nodes 3|5] [--virtual-seconds T] [--faults all|network|process|storage|clock|figure8]`
/// runs seeds S..S+N-1, printing progress; exits 1 on any violation with the replay command.
/// `--replay S --trace` (with the same options) reruns one seed and prints its timeline.
enum ChaosCommand {
    static let usage = """
        usage: warden chaos --seeds N [--first S] [--nodes 3|5] [--virtual-seconds T] [--faults all|network|process|storage|clock|figure8]
               warden chaos --replay S [--trace] [--nodes 3|5] [--virtual-seconds T] [--faults ...]
        """
    /// Progress is printed every this many seeds.
    static let progressInterval: UInt64 = 1

    struct Settings {
        var seeds: UInt64 = 0
        var first: UInt64 = 1
        var replay: UInt64?
        var trace = false
        var configuration = SimulationConfiguration()
        var faultsName = "all"

        init?(_ arguments: [String]) {
            var index = 0
            func value() -> String? {
                index += 1
                return index < arguments.count ? arguments[index] : nil
            }
            while index < arguments.count {
                switch arguments[index] {
                case "--seeds": guard let count = value().flatMap(UInt64.init) else { return nil }; seeds = count
                case "--first": guard let start = value().flatMap(UInt64.init) else { return nil }; first = start
                case "--replay": guard let seed = value().flatMap(UInt64.init) else { return nil }; replay = seed
                case "--trace": trace = true
                case "--nodes":
                    guard let count = value().flatMap(Int.init), count == 3 || count == 5 else { return nil }
                    configuration.nodeCount = count
                case "--virtual-seconds":
                    guard let seconds = value().flatMap(UInt64.init), seconds > configuration.healingSeconds else { return nil }
                    configuration.virtualSeconds = seconds
                case "--faults":
                    guard let name = value(), let classes = Self.faultClasses(name) else { return nil }
                    configuration.faults = classes
                    faultsName = name
                default: return nil
                }
                index += 1
            }
            if replay == nil && seeds == 0 { return nil }
        }

        static func faultClasses(_ name: String) -> FaultClasses? {
            switch name {
            case "all": return .all
            case "network": return .network
            case "process": return .process
            case "storage": return [.storage, .process]
            case "clock": return .clock
            case "figure8": return .figure8
            default: return nil
            }
        }

        /// The options that reproduce this configuration, for replay commands.
        var options: String {
            "--nodes \(configuration.nodeCount) --virtual-seconds \(configuration.virtualSeconds) --faults \(faultsName)"
        }
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let settings = Settings(arguments) else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        if let seed = settings.replay { return replay(seed: seed, settings: settings) }
        return runSeeds(settings)
    }

    // MARK: - Many seeds

    private static func runSeeds(_ settings: Settings) -> Int32 {
        let start = monotonicSeconds()
        var failures: [UInt64] = []
        var virtualSeconds = 0.0, simulationSeconds = 0.0, checkerSeconds = 0.0, slowestCheck = 0.0
        for seed in settings.first..<(settings.first + settings.seeds) {
            let simulation = Simulation(seed: seed, configuration: settings.configuration)
            let runStart = monotonicSeconds()
            simulation.runEvents()
            let checkStart = monotonicSeconds()
            if simulation.violations.isEmpty {
                simulation.checkFinalState()
                if simulation.violations.isEmpty { simulation.checkLinearizability() }
            }
            let checkEnd = monotonicSeconds()
            simulationSeconds += checkStart - runStart
            checkerSeconds += checkEnd - checkStart
            slowestCheck = max(slowestCheck, checkEnd - checkStart)
            let report = simulation.report
            virtualSeconds += Double(report.virtualNanoseconds) / 1e9
            if !report.passed {
                failures.append(seed)
                print(report.summary)
                for violation in report.violations.prefix(5) { print("  \(violation)") }
                print("  replay: warden chaos --replay \(seed) --trace \(settings.options)")
            }
            let done = seed - settings.first + 1
            if done % progressInterval == 0 || done == settings.seeds {
                let elapsed = monotonicSeconds() - start
                print("chaos: \(done)/\(settings.seeds) seeds, \(failures.count) with violations, " +
                      "\(format(virtualSeconds / max(simulationSeconds, 1e-9))) simulated s per wall s, " +
                      "\(format(Double(done) / max(elapsed, 1e-9) * 60)) seeds/min, " +
                      "checker \(format(checkerSeconds)) s total (slowest \(format(slowestCheck)) s)")
            }
        }
        if failures.isEmpty { return 0 }
        print("chaos: FAILED seeds \(failures.map(String.init).joined(separator: " "))")
        return 1
    }

    // MARK: - One seed, with its timeline

    private static func replay(seed: UInt64, settings: Settings) -> Int32 {
        var configuration = settings.configuration
        configuration.recordsTimeline = settings.trace
        configuration.stopAtFirstViolation = false
        let simulation = Simulation(seed: seed, configuration: configuration)
        simulation.runAndCheck()
        if settings.trace {
            print("fault plan:\n\(simulation.plan)\n\ntimeline:")
            for line in simulation.timeline { print(line) }
        }
        let report = simulation.report
        print(report.summary)
        for violation in report.violations { print("  \(violation)") }
        return report.passed ? 0 : 1
    }

    // MARK: - Wall time (here only: the simulator itself never reads a clock)

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func format(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        return "\(scaled / 10).\(scaled % 10)"
    }
}
