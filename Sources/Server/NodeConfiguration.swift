import Foundation
import Raft

// MARK: - Configuration

/// Everything `warden serve` needs to run one node, read from a `key = value` file and flags.
///
/// Optional keys `snapshot_interval_entries` and `compaction_margin_entries` set how often
/// Governance is snapshotted and how far compaction trails it (the replica's defaults when absent;
/// small values make tests and drills exercise catching up from a snapshot).
///
/// Keys (one per line, `#` starts a comment):
/// `id` (this node's Raft id, > 0), `cluster_id` (hex), `listen` (`host:port` to bind),
/// `advertise` (`host:port` peers reach this node at; defaults to `listen`), `data` (directory
/// of the database and signing key), `peers` (`id=host:port,…`, every known node, this one
/// included or not), `members` (the initial voter ids, `1,2,3`; a node not in it joins later as
/// a learner), `cluster_secret` (hex, authenticates peers to each other), `issuer` (token `iss`),
/// `bootstrap_admin_key` (`<key id>:<hex SHA-256 of the secret>`, created once by the first
/// leader), `http_threads` (HTTP loop threads), `election_timeout_ms` (a follower campaigns after
/// a random silence in [T, 2T); default 150, raise it on slow disks or overloaded hosts; the
/// leader's heartbeat interval follows it, see `heartbeatIntervalMilliseconds`).
public struct NodeConfiguration: Sendable, Equatable {
    /// This node's Raft id.
    public var nodeID: NodeID
    /// The cluster's id (stored in the database: a node refuses another cluster's data).
    public var clusterID: UInt64
    /// Where the HTTP server binds.
    public var listen: PeerAddress
    /// Where peers reach this node.
    public var advertise: PeerAddress
    /// The data directory.
    public var dataDirectory: String
    /// Known node addresses by id.
    public var peers: [NodeID: PeerAddress]
    /// The first voters of the cluster.
    public var initialMembers: [NodeID]
    /// The shared secret peers authenticate with.
    public var clusterSecret: [UInt8]
    /// The `iss` of tokens this cluster signs.
    public var issuer: String
    /// The first admin key: id and SHA-256 of its secret.
    public var bootstrapAdminKey: (id: String, hash: [UInt8])?
    /// HTTP event loop threads.
    public var httpThreads: Int
    /// The base election timeout in milliseconds (Raft waits a random [T, 2T) of silence).
    public var electionTimeoutMilliseconds: Int = NodeConfiguration.defaultElectionTimeoutMilliseconds
    /// Applied entries between snapshots (nil: `ReplicaConfiguration`'s default).
    public var snapshotIntervalEntries: Int? = nil
    /// Entries compaction keeps behind a snapshot (nil: `ReplicaConfiguration`'s default).
    public var compactionMarginEntries: Int? = nil

    /// How often the leader sends heartbeats: a fifth of the election timeout, at most 100 ms
    /// (30 ms by default). Commits and read rounds do not wait for them (both are sent at once).
    public var heartbeatIntervalMilliseconds: Int {
        min(Self.maximumHeartbeatMilliseconds, electionTimeoutMilliseconds / Self.heartbeatsPerElectionTimeout)
    }

    /// The smallest cluster secret accepted (bytes): guessing it must be hopeless.
    public static let minimumSecretBytes = 16
    /// The most HTTP threads a node starts.
    public static let maximumHTTPThreads = 64
    /// The default base election timeout. A crashed leader is replaced after the first
    /// follower's random [T, 2T) runs out (on average T + T/3 with two followers) plus a pre-vote
    /// and a vote round: about 200–300 ms at 150, inside the 300 ms failover target. At 100 an
    /// overloaded host (fsync stalls, starved threads) held up a leader long enough to trigger
    /// needless elections; etcd's 1 000 ms gives 1–2 s failovers.
    public static let defaultElectionTimeoutMilliseconds = 150
    /// Heartbeats in one election timeout: enough that a few lost or late ones do not end a term.
    public static let heartbeatsPerElectionTimeout = 5
    /// The longest heartbeat interval (etcd's default), reached from an election timeout of 500 ms.
    public static let maximumHeartbeatMilliseconds = 100
    /// Accepted election timeouts: at least a few heartbeats, at most a minute.
    public static let electionTimeoutRange = 50...60_000
    /// Accepted snapshot intervals and compaction margins, in entries.
    public static let snapshotEntriesRange = 1...100_000_000

    /// The database file inside the data directory.
    public var databasePath: String { dataDirectory + "/warden.db" }
    /// The node's Ed25519 signing key file (mode 0600).
    public var signingKeyPath: String { dataDirectory + "/signing.key" }

    /// Equality ignores nothing; the admin key tuple compares by parts.
    public static func == (left: NodeConfiguration, right: NodeConfiguration) -> Bool {
        left.nodeID == right.nodeID && left.clusterID == right.clusterID && left.listen == right.listen
            && left.advertise == right.advertise && left.dataDirectory == right.dataDirectory && left.peers == right.peers
            && left.initialMembers == right.initialMembers && left.clusterSecret == right.clusterSecret
            && left.issuer == right.issuer && left.bootstrapAdminKey?.id == right.bootstrapAdminKey?.id
            && left.bootstrapAdminKey?.hash == right.bootstrapAdminKey?.hash && left.httpThreads == right.httpThreads
            && left.electionTimeoutMilliseconds == right.electionTimeoutMilliseconds
            && left.snapshotIntervalEntries == right.snapshotIntervalEntries
            && left.compactionMarginEntries == right.compactionMarginEntries
    }
}

// MARK: - Parsing

/// Why a configuration was refused; the message names the key and what is expected.
public struct NodeConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The explanation.
    public var description: String

    /// An error with its explanation.
    public init(_ description: String) { self.description = description }
}

extension NodeConfiguration {
    /// Every key the file and flags accept.
    public static let knownKeys: Set<String> = [
        "id", "cluster_id", "listen", "advertise", "data", "peers", "members", "cluster_secret", "issuer",
        "bootstrap_admin_key", "http_threads", "election_timeout_ms", "snapshot_interval_entries", "compaction_margin_entries",
    ]

    /// Parses `key = value` lines into a dictionary; unknown keys and repeated keys are refused.
    public static func parseLines(_ text: String) throws(NodeConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw NodeConfigurationError("line \(number + 1): expected `key = value`")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard knownKeys.contains(key) else { throw NodeConfigurationError("line \(number + 1): unknown key `\(key)`") }
            guard values[key] == nil else { throw NodeConfigurationError("line \(number + 1): `\(key)` given twice") }
            values[key] = value
        }
        return values
    }

    /// A configuration from parsed values (file values with flag overrides already merged).
    public init(values: [String: String]) throws(NodeConfigurationError) {
        func required(_ key: String) throws(NodeConfigurationError) -> String {
            guard let value = values[key], !value.isEmpty else { throw NodeConfigurationError("`\(key)` is required") }
            return value
        }
        guard let id = UInt64(try required("id")), id > 0 else { throw NodeConfigurationError("`id` must be a positive integer") }
        guard let cluster = UInt64(try required("cluster_id"), radix: 16) else { throw NodeConfigurationError("`cluster_id` must be hex") }
        let listen = try PeerAddress.parse(try required("listen"), key: "listen")
        let advertise = try values["advertise"].map { (text) throws(NodeConfigurationError) in try PeerAddress.parse(text, key: "advertise") }
        let peers = try Self.parsePeers(values["peers"] ?? "")
        guard let secret = Self.hexBytes(try required("cluster_secret")), secret.count >= Self.minimumSecretBytes else {
            throw NodeConfigurationError("`cluster_secret` must be hex of at least \(Self.minimumSecretBytes) bytes")
        }
        var members = peers.keys.sorted()
        if let text = values["members"] {
            let parsed = text.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw NodeConfigurationError("`members` must be node ids separated by commas")
            }
            members = parsed.compactMap { $0 }
        }
        guard !members.isEmpty else { throw NodeConfigurationError("`members` (or `peers`) must name the initial voters") }
        let threads = Int(values["http_threads"] ?? "2") ?? 0
        guard (1...Self.maximumHTTPThreads).contains(threads) else {
            throw NodeConfigurationError("`http_threads` must be 1 to \(Self.maximumHTTPThreads)")
        }
        let election = Int(values["election_timeout_ms"] ?? String(Self.defaultElectionTimeoutMilliseconds)) ?? 0
        guard Self.electionTimeoutRange.contains(election) else {
            throw NodeConfigurationError("`election_timeout_ms` must be \(Self.electionTimeoutRange.lowerBound) to \(Self.electionTimeoutRange.upperBound)")
        }
        let clusterText = try required("cluster_id")
        self.init(
            nodeID: id, clusterID: cluster, listen: listen, advertise: advertise ?? listen, dataDirectory: try required("data"),
            peers: peers, initialMembers: members, clusterSecret: secret, issuer: values["issuer"] ?? "warden-\(clusterText)",
            bootstrapAdminKey: try Self.parseAdminKey(values["bootstrap_admin_key"]), httpThreads: threads,
            electionTimeoutMilliseconds: election)
        snapshotIntervalEntries = try Self.parseEntries(values, "snapshot_interval_entries")
        compactionMarginEntries = try Self.parseEntries(values, "compaction_margin_entries")
    }

    /// An optional entry count within `snapshotEntriesRange`.
    static func parseEntries(_ values: [String: String], _ key: String) throws(NodeConfigurationError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let value = Int(text), snapshotEntriesRange.contains(value) else {
            throw NodeConfigurationError("`\(key)` must be \(snapshotEntriesRange.lowerBound) to \(snapshotEntriesRange.upperBound)")
        }
        return value
    }

    /// `id=host:port,…`.
    static func parsePeers(_ text: String) throws(NodeConfigurationError) -> [NodeID: PeerAddress] {
        var peers: [NodeID: PeerAddress] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let id = UInt64(parts[0]), id > 0 else {
                throw NodeConfigurationError("`peers` must be `id=host:port` items separated by commas")
            }
            peers[id] = try PeerAddress.parse(parts[1], key: "peers")
        }
        return peers
    }

    static func parseAdminKey(_ text: String?) throws(NodeConfigurationError) -> (id: String, hash: [UInt8])? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hash = hexBytes(String(parts[1])), hash.count == 32 else {
            throw NodeConfigurationError("`bootstrap_admin_key` must be `<key id>:<64 hex digits>`")
        }
        return (String(parts[0]), hash)
    }

    /// Bytes from lowercase or uppercase hex; nil on odd length or another character.
    public static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

// MARK: - Addresses

/// A node's `host:port` (an `http://` prefix is accepted and dropped).
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IPv4 address or host name.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }

    /// Parses `host:port` or `http://host:port`.
    public static func parse(_ text: String, key: String = "address") throws(NodeConfigurationError) -> PeerAddress {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port), colon > rest.startIndex
        else { throw NodeConfigurationError("`\(key)`: `\(text)` is not host:port") }
        return PeerAddress(host: String(rest[..<colon]), port: port)
    }
}
