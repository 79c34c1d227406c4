import Enforcer
import Foundation
import Glibc

// MARK: - `warden enforcer`

/// Runs an edge enforcer until SIGINT/SIGTERM: parses the options, starts `EdgeEnforcer`,
/// prints the local address once (tests and scripts wait for that line).
enum EnforcerCommand {
    static let usage = """
        usage: warden enforcer --id ID --cluster http://n1:port,http://n2:port [--listen 127.0.0.1:7070]
                               [--key-file PATH | env WARDEN_KEY] [--issuer ISS] [--proxy-to http://tool:port
                               --route "METHOD /prefix ACTION TYPE" ... (ACTION mcp: tools/call → tool name)]
                               [--audit-buffer N] [--audit-full fail-closed|drop]
        """

    static func run(_ arguments: [String]) -> Int32 {
        let parsed = EnforcerConfiguration.parse(
            arguments, environment: ProcessInfo.processInfo.environment,
            readFile: { path in try? String(contentsOfFile: path, encoding: .utf8) })
        let configuration: EnforcerConfiguration
        switch parsed {
        case .success(let value): configuration = value
        case .failure(let error):
            FileHandleOutput.standardError("warden enforcer: \(error)\n" + usage)
            return 2
        }
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals before any thread starts (threads inherit the mask); sigwait takes them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let enforcer = EdgeEnforcer(configuration: configuration)
        let port: Int
        do {
            port = try enforcer.start()
        } catch {
            FileHandleOutput.standardError("warden enforcer: cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(error)")
            return 1
        }
        print("enforcer \(configuration.id) listening on http://\(configuration.listenHost):\(port)")
        fflush(nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        enforcer.stop()
        return 0
    }
}
