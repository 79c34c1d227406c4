// MARK: - The network, as the replica needs it

/// Carries peer messages to other nodes: HTTP in production, the virtual network in the simulator.
public protocol Transport: AnyObject {
    /// Hands messages over without blocking. Delivery is best effort: loss, delay, duplication
    /// and reordering are all tolerated by the replica.
    func send(_ messages: [PeerMessage])
}
