import Crypto
import Foundation
import HTTP
import Raft
import Replica
import Synchronization

// MARK: - Transport over HTTP

/// The production `Transport`: one sender per peer, batching each `send`'s messages into one
/// pipelined `POST /internal/v1/raft` over a keep-alive connection (see `PeerSender`). `send`
/// never blocks the replica thread; a full queue drops the oldest message (Raft retransmits) and
/// counts it. Peer addresses start from the configuration and are learned from incoming batches.
public final class PeerTransport: Transport, @unchecked Sendable {
    /// Messages queued per peer at most; beyond it the oldest are dropped.
    static let maximumQueuedMessages = 8_192

    let selfID: NodeID
    let selfAddress: PeerAddress
    let secretHex: String
    let client: HTTPClient
    let metrics: NodeMetrics
    private let addresses: Mutex<[NodeID: PeerAddress]>
    private let senders = Mutex<[NodeID: PeerSender]>([:])
    /// The address header each peer sent last, parsed, so an unchanged one is not parsed again.
    private let announced = Mutex<[NodeID: (text: String, address: PeerAddress)]>([:])
    private let stopped = Atomic<Bool>(false)

    /// A transport for node `selfID` reachable at `selfAddress`, knowing `peers` at first.
    public init(selfID: NodeID, selfAddress: PeerAddress, peers: [NodeID: PeerAddress], clusterSecret: [UInt8], metrics: NodeMetrics) {
        self.selfID = selfID
        self.selfAddress = selfAddress
        secretHex = NodeConfiguration.hex(clusterSecret)
        self.metrics = metrics
        client = HTTPClient(configuration: HTTPClientConfiguration(
            connectTimeout: .milliseconds(500), responseTimeout: .seconds(5), maximumIdleConnectionsPerHost: 2))
        addresses = Mutex(peers.filter { $0.key != selfID })
    }

    /// Starts a sender (and its periodic announcement) for every configured peer.
    public func start() {
        for id in addresses.withLock({ Array($0.keys) }) { _ = sender(for: id) }
    }

    /// Stops every sender thread and waits for none: they exit after their current request.
    public func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        for sender in senders.withLock({ Array($0.values) }) { sender.stop() }
    }

    /// Sends messages to their peers, one batch per peer; unknown peers' messages are dropped
    /// and counted.
    public func send(_ messages: [PeerMessage]) {
        var byPeer: [(NodeID, [[UInt8]])] = []
        for message in messages where message.to != selfID {
            let encoded = PeerMessageCodec.encode(message)
            if let slot = byPeer.firstIndex(where: { $0.0 == message.to }) {
                byPeer[slot].1.append(encoded)
            } else {
                byPeer.append((message.to, [encoded]))
            }
        }
        for (peer, batch) in byPeer {
            guard let sender = sender(for: peer) else {
                metrics.peerMessagesDropped(batch.count)
                continue
            }
            sender.enqueue(batch)
        }
    }

    /// The address known for `id`.
    public func address(of id: NodeID) -> PeerAddress? {
        id == selfID ? selfAddress : addresses.withLock { $0[id] }
    }

    /// Every known address, this node's included.
    public var knownAddresses: [NodeID: PeerAddress] {
        var all = addresses.withLock { $0 }
        all[selfID] = selfAddress
        return all
    }

    /// Records where `id` is (from a peer's own announcement or a membership request).
    public func learn(id: NodeID, address: PeerAddress) {
        guard id != selfID, id != 0 else { return }
        let changed = addresses.withLock { book in
            defer { book[id] = address }
            return book[id] != address
        }
        if changed { _ = sender(for: id) }
    }

    /// Records the address a peer announced in its batch's header; parsed only when it changed.
    public func learn(id: NodeID, announced text: String) {
        var address = announced.withLock { $0[id].flatMap { $0.text == text ? $0.address : nil } }
        if address == nil {
            address = try? PeerAddress.parse(text)
            if let address { announced.withLock { $0[id] = (text, address) } }
        }
        if let address { learn(id: id, address: address) }
    }

    /// Whether `header` is the cluster secret (constant time in its length).
    public func isClusterSecret(_ header: String?) -> Bool {
        guard let header else { return false }
        return constantTimeEqual(Array(header.utf8), Array(secretHex.utf8))
    }

    private func sender(for id: NodeID) -> PeerSender? {
        guard id != selfID, !stopped.load(ordering: .relaxed), addresses.withLock({ $0[id] }) != nil else { return nil }
        return senders.withLock { table in
            if let existing = table[id] { return existing }
            let created = PeerSender(peerID: id, transport: self)
            table[id] = created
            created.start()
            return created
        }
    }
}
