import Crypto
import Foundation
import Glibc
import HTTP
import Raft
import Replica
import Storage
import Tokens

// MARK: - One Warden node, assembled

/// Opens the node's storage and key, builds the replica, and runs the replica thread, the peer
/// senders and the HTTP server until SIGTERM or SIGINT.
public final class WardenNode {
    /// Exit status when the data cannot be trusted (corrupt, truncated, another node's).
    public static let exitStorageRefused: Int32 = 2
    /// Exit status when the configuration or start-up failed otherwise.
    public static let exitStartFailed: Int32 = 1
    /// Time in-flight requests get to finish at shutdown.
    static let shutdownGraceSeconds: Int64 = 5

    let configuration: NodeConfiguration
    let runtime: NodeRuntime
    let server: HTTPServer
    let transport: PeerTransport

    /// Opens everything; the message of a thrown `WardenNodeError` says what is wrong and what to do.
    public init(configuration: NodeConfiguration) throws(WardenNodeError) {
        self.configuration = configuration
        let store = try Self.openStore(configuration)
        let privateKey = try Self.loadOrCreateSigningKey(configuration)
        let metrics = NodeMetrics()
        transport = PeerTransport(selfID: configuration.nodeID, selfAddress: configuration.advertise, peers: configuration.peers,
                                  clusterSecret: configuration.clusterSecret, metrics: metrics)
        var replicaConfiguration = ReplicaConfiguration(
            nodeID: configuration.nodeID, initialMembers: ClusterConfiguration(voters: configuration.initialMembers),
            randomSeed: UInt64.random(in: 1...UInt64.max))
        replicaConfiguration.decisionSource = "node-\(configuration.nodeID)"
        if let interval = configuration.snapshotIntervalEntries { replicaConfiguration.snapshotIntervalEntries = interval }
        if let margin = configuration.compactionMarginEntries { replicaConfiguration.compactionMarginEntries = margin }
        replicaConfiguration.raftOptions.electionTimeoutTicks = max(
            NodeRuntime.minimumElectionTicks, configuration.electionTimeoutMilliseconds / Int(NodeRuntime.tickMilliseconds))
        replicaConfiguration.raftOptions.heartbeatIntervalTicks = max(
            1, configuration.heartbeatIntervalMilliseconds / Int(NodeRuntime.tickMilliseconds))
        let replica: Replica
        do {
            replica = try Replica(configuration: replicaConfiguration, logStore: SQLiteLogStoreAdapter(store: store),
                                  transport: transport, clock: SystemClock())
        } catch {
            throw WardenNodeError(status: Self.exitStorageRefused, message: "cannot recover the stored log: \(error)")
        }
        runtime = NodeRuntime(configuration: configuration, replica: replica, store: store, transport: transport,
                              metrics: metrics, identity: NodeSigningIdentity(privateKey: privateKey))
        let limits = HTTPLimits(maximumBodyBytes: PeerTransportBatch.maximumBatchBytes + APIRouter.maximumBodyBytes)
        server = HTTPServer(
            configuration: HTTPServerConfiguration(host: configuration.listen.host, port: configuration.listen.port,
                                                   loopCount: configuration.httpThreads, limits: limits),
            handler: NodeRuntimeHTTPHandler(runtime: runtime))
    }

    /// Serves until SIGTERM/SIGINT, then shuts down gracefully; returns the exit status.
    public func run() -> Int32 {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        runtime.start()
        transport.start()
        do {
            try server.start()
        } catch {
            NodeRuntimeLog.event(configuration.nodeID, "cannot listen on \(configuration.listen): \(error)")
            runtime.stop()
            return Self.exitStartFailed
        }
        NodeRuntimeLog.event(configuration.nodeID, "serving on \(configuration.listen) (cluster \(String(configuration.clusterID, radix: 16)))")
        var received: Int32 = 0
        sigwait(&signals, &received)
        NodeRuntimeLog.event(configuration.nodeID, "signal \(received): shutting down")
        server.shutdown(gracePeriod: .seconds(Self.shutdownGraceSeconds))
        runtime.stop()
        runtime.auditBackfill.stop()
        transport.stop()
        runtime.store.close()
        NodeRuntimeLog.event(configuration.nodeID, "stopped")
        return 0
    }

    // MARK: - Start-up

    private static func openStore(_ configuration: NodeConfiguration) throws(WardenNodeError) -> SQLiteLogStore {
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw WardenNodeError(status: exitStartFailed, message: "cannot create data directory \(configuration.dataDirectory): \(error)")
        }
        do {
            let store = try SQLiteLogStore(path: configuration.databasePath)
            try store.claimIdentity(SQLiteLogStore.Identity(clusterID: configuration.clusterID, nodeID: configuration.nodeID))
            return store
        } catch {
            throw WardenNodeError(status: exitStorageRefused, message: "refusing to serve: \(error)")
        }
    }

    private static func loadOrCreateSigningKey(_ configuration: NodeConfiguration) throws(WardenNodeError) -> Ed25519.PrivateKey {
        let path = configuration.signingKeyPath
        do {
            if FileManager.default.fileExists(atPath: path) {
                return try NodeKeyFile.decode(SQLiteLogStore.loadNodeKey(path: path))
            }
            let key = Ed25519.PrivateKey.generate()
            try SQLiteLogStore.saveNodeKey(NodeKeyFile.encode(key), path: path)
            return key
        } catch {
            throw WardenNodeError(status: exitStorageRefused, message: "refusing to serve: signing key \(path): \(error)")
        }
    }
}

/// Why a node could not start, with the process exit status to use.
public struct WardenNodeError: Error, Sendable, CustomStringConvertible {
    /// The exit status (2: the data cannot be trusted).
    public var status: Int32
    /// What is wrong and what to do.
    public var message: String
    /// The message.
    public var description: String { message }

    /// An error with its status and message.
    public init(status: Int32, message: String) {
        self.status = status
        self.message = message
    }
}
