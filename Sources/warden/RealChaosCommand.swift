#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Command

/// `warden chaos-real`: a bounded chaos run against three real `warden serve` processes on
/// loopback. Clients register, kill, reinstate and check agents through every node while a
/// seeded nemesis kill -9s, pauses (SIGSTOP/SIGCONT) and restarts nodes and cuts the peer links
/// between them (through proxies it owns; `--no-partitions` connects the nodes directly); at the end the history
/// goes through the simulator's linearizability checker with `WardenKillSwitchModel`, plus direct
/// kill-switch, lost-write, convergence and audit-chain checks. Exit 0 only when every check passes.
enum RealChaosCommand {
    static let usage = "usage: warden chaos-real --seconds S [--seed N] [--clients C] [--no-partitions] [--keep-data] | --check-history FILE"

    /// The command line, parsed.
    struct Options {
        var seconds = 0
        var seed = UInt64(RealChaosClock.wallSeconds())
        var clients = RealChaosBounds.defaultClients
        var keepData = false
        var partitions = true

        init?(_ arguments: [String]) {
            var index = 0
            func value() -> String? {
                index += 1
                return index < arguments.count ? arguments[index] : nil
            }
            while index < arguments.count {
                switch arguments[index] {
                case "--seconds": guard let count = value().flatMap(Int.init), count > 0 else { return nil }; seconds = count
                case "--seed": guard let number = value().flatMap(UInt64.init) else { return nil }; seed = number
                case "--clients":
                    guard let count = value().flatMap(Int.init), (1...RealChaosBounds.maximumClients).contains(count) else { return nil }
                    clients = count
                case "--keep-data": keepData = true
                case "--no-partitions": partitions = false
                default: return nil
                }
                index += 1
            }
            if seconds == 0 { return nil }
        }

        /// The command that reruns this configuration (timing differs: real processes do not replay exactly).
        var replayCommand: String {
            "warden chaos-real --seconds \(seconds) --seed \(seed) --clients \(clients)\(partitions ? "" : " --no-partitions") --keep-data"
        }
    }

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.count == 2 && arguments[0] == "--check-history" { return checkHistory(arguments[1]) }
        guard let options = Options(arguments) else {
            FileHandleOutput.standardError(usage)
            return 2
        }
        let cluster: RealChaosCluster
        do {
            cluster = try RealChaosCluster(binary: executablePath(), partitions: options.partitions)
        } catch {
            FileHandleOutput.standardError("chaos-real: cannot initialize a cluster: \(error)")
            return 1
        }
        RealChaosSignals.install(cluster: cluster, keepData: options.keepData)
        let passed = RealChaosRun(options: options, cluster: cluster).execute()
        cluster.shutdown(keepData: options.keepData || !passed)
        if !passed {
            RealChaosCommand.say("chaos-real: FAILED (seed \(options.seed)); data kept in \(cluster.directory)")
            RealChaosCommand.say("replay: \(options.replayCommand)")
        } else {
            RealChaosCommand.say("chaos-real: passed (seed \(options.seed))")
        }
        return passed ? 0 : 1
    }

    /// Checks a history a failed run saved (or a hand-cut part of one) with the history-only checks.
    static func checkHistory(_ path: String) -> Int32 {
        let operations: [RealChaosRecorder.Operation]
        do {
            operations = try RealChaosHistoryFile.parse(try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            FileHandleOutput.standardError("chaos-real: cannot read \(path): \(error)")
            return 2
        }
        let verdict = RealChaosVerdict.evaluateHistory(operations)
        say(RealChaosVerdict.outcomeTable(operations))
        verdict.lines.forEach { say($0) }
        return verdict.passed ? 0 : 1
    }

    /// Prints a line and flushes it, so a run cut short by CI's timeout still shows how far it got.
    static func say(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// This executable, so the nodes run the very build under test.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
