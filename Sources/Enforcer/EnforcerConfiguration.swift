import Governance

// MARK: - Configuration

/// Everything `warden enforcer` is told on its command line.
public struct EnforcerConfiguration: Sendable {
    /// Default decision records buffered before the full-buffer policy applies.
    public static let defaultAuditBufferRecords = 100_000
    /// Default local API address.
    public static let defaultListen = "127.0.0.1:7070"

    /// This enforcer's id (acks, decision batches, metrics).
    public var id: String
    /// The cluster's nodes, tried in order, then round-robin on failure.
    public var cluster: [NodeAddress]
    /// Local API host.
    public var listenHost: String
    /// Local API port (0: ephemeral).
    public var listenPort: Int
    /// The API key (role `enforcer`) sent to the cluster.
    public var apiKey: String
    /// The token issuer to accept; nil: read from the cluster's RFC 8414 metadata.
    public var issuer: String?
    /// The tool server to front as an authorizing proxy, if any.
    public var proxyTo: NodeAddress?
    /// Proxy route → action rules (`METHOD /path/prefix=action resource-template`).
    public var proxyRoutes: [ProxyRoute]
    /// Decision records buffered at most.
    public var auditBufferRecords: Int
    /// What a full record buffer does.
    public var auditFullPolicy: DecisionRecordBuffer.FullPolicy

    /// A configuration from its parts.
    public init(
        id: String, cluster: [NodeAddress], listenHost: String = "127.0.0.1", listenPort: Int = 7070, apiKey: String,
        issuer: String? = nil, proxyTo: NodeAddress? = nil, proxyRoutes: [ProxyRoute] = [],
        auditBufferRecords: Int = defaultAuditBufferRecords, auditFullPolicy: DecisionRecordBuffer.FullPolicy = .failClosed
    ) {
        self.id = id
        self.cluster = cluster
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.apiKey = apiKey
        self.issuer = issuer
        self.proxyTo = proxyTo
        self.proxyRoutes = proxyRoutes
        self.auditBufferRecords = auditBufferRecords
        self.auditFullPolicy = auditFullPolicy
    }

    /// Parses `--id --cluster --listen --key-file|WARDEN_KEY --issuer --proxy-to --route
    /// --audit-buffer --audit-full`; `readFile` reads the key file (injected for tests).
    public static func parse(
        _ arguments: [String], environment: [String: String], readFile: (String) -> String?
    ) -> Result<EnforcerConfiguration, ConfigurationError> {
        var options: [String: [String]] = [:]
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard name.hasPrefix("--"), index + 1 < arguments.count else { return .failure(ConfigurationError("unexpected '\(name)'")) }
            options[String(name.dropFirst(2)), default: []].append(arguments[index + 1])
            index += 2
        }
        let known: Set<String> = ["id", "cluster", "listen", "key-file", "issuer", "proxy-to", "route", "audit-buffer", "audit-full"]
        if let unknown = options.keys.first(where: { !known.contains($0) }) { return .failure(ConfigurationError("unknown option --\(unknown)")) }
        guard let id = options["id"]?.last, id.isWardenIdentifier else { return .failure(ConfigurationError("--id must be an identifier")) }
        let urls = (options["cluster"]?.last ?? "").split(separator: ",").map { String($0).trimmingSpaces }
        let cluster = urls.compactMap(NodeAddress.init(url:))
        guard !cluster.isEmpty, cluster.count == urls.count else { return .failure(ConfigurationError("--cluster must list http://host:port URLs")) }
        let key = options["key-file"]?.last.flatMap(readFile)?.trimmingSpaces ?? environment["WARDEN_KEY"]
        guard let key, !key.isEmpty else { return .failure(ConfigurationError("give --key-file PATH or WARDEN_KEY")) }
        let listen = options["listen"]?.last ?? defaultListen
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            return .failure(ConfigurationError("--listen must be host:port"))
        }
        var configuration = EnforcerConfiguration(
            id: id, cluster: cluster, listenHost: String(listen[..<colon]), listenPort: port, apiKey: key, issuer: options["issuer"]?.last)
        if let proxy = options["proxy-to"]?.last {
            guard let address = NodeAddress(url: proxy) else { return .failure(ConfigurationError("--proxy-to must be http://host:port")) }
            configuration.proxyTo = address
        }
        for rule in options["route"] ?? [] {
            guard let route = ProxyRoute(rule: rule) else { return .failure(ConfigurationError("bad --route '\(rule)'")) }
            configuration.proxyRoutes.append(route)
        }
        if let text = options["audit-buffer"]?.last {
            guard let records = Int(text), records > 0 else { return .failure(ConfigurationError("--audit-buffer must be a positive count")) }
            configuration.auditBufferRecords = records
        }
        if let text = options["audit-full"]?.last {
            guard let policy = DecisionRecordBuffer.FullPolicy(rawValue: text) else { return .failure(ConfigurationError("--audit-full is fail-closed or drop")) }
            configuration.auditFullPolicy = policy
        }
        return .success(configuration)
    }
}

/// A command-line mistake, said in one line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let description: String

    init(_ description: String) { self.description = description }
}

extension String {
    /// Whether this is a Warden id: `[A-Za-z0-9._:@-]{1,128}`.
    var isWardenIdentifier: Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-".utf8)
        return (1...128).contains(utf8.count) && utf8.allSatisfy(allowed.contains)
    }

    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
