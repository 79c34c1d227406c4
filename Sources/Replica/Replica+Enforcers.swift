import Governance

// MARK: - Enforcer acknowledgements and "kill waits for enforcers or their lease"

/// Acks are node-local, not replicated. That is sound because the guarantee a kill response
/// gives rests on the lease, not on the count: an enforcer decides only while it holds a fresh
/// heartbeat, so at `fencedByMilliseconds` (the kill's apply time here plus the lease) every
/// enforcer, attached here or elsewhere, has either applied the kill or stopped deciding. The
/// acknowledgement count is an early-out and a report about the enforcers attached here.
extension Replica {
    /// Records that enforcer `enforcerID` applied everything up to `revision` (acks never move
    /// an enforcer backwards). Ignored once `maximumEnforcers` distinct enforcers are known.
    public func recordEnforcerAck(enforcerID: String, revision: UInt64) {
        let now = clock.nowMilliseconds
        if var status = enforcerRegistry[enforcerID] {
            status.acknowledgedRevision = max(status.acknowledgedRevision, revision)
            status.lastHeardMilliseconds = max(status.lastHeardMilliseconds, now)
            enforcerRegistry[enforcerID] = status
            return
        }
        guard enforcerRegistry.count < configuration.maximumEnforcers else { return }
        enforcerRegistry[enforcerID] = EnforcerStatus(id: enforcerID, acknowledgedRevision: revision, lastHeardMilliseconds: now, isLive: true)
    }

    /// The enforcers this node has heard from, sorted by id, with liveness as of now.
    public func enforcers() -> [EnforcerStatus] {
        let now = clock.nowMilliseconds
        return enforcerRegistry.keys.sorted().map { id in
            var status = enforcerRegistry[id]!
            status.isLive = isLive(status, now: now)
            return status
        }
    }

    private func isLive(_ status: EnforcerStatus, now: Int64) -> Bool {
        now - status.lastHeardMilliseconds <= state.settings.enforcerLeaseMilliseconds
    }

    /// Completes kills whose live enforcers all acknowledged, or whose lease bound has passed.
    func completeEnforcerWaiters() {
        guard !enforcerWaiters.isEmpty else { return }
        let now = clock.nowMilliseconds
        let live = enforcerRegistry.values.filter { isLive($0, now: now) }
        var waiting: [EnforcerWaiter] = []
        for waiter in enforcerWaiters {
            let acknowledged = live.filter { $0.acknowledgedRevision >= waiter.revision }.count
            guard acknowledged == live.count || now >= waiter.fencedByMilliseconds else {
                waiting.append(waiter)
                continue
            }
            let summary = EnforcerAcknowledgement(acknowledged: acknowledged, total: live.count,
                                                  fencedByMilliseconds: waiter.fencedByMilliseconds)
            complete(waiter.requestID, .applied(revision: waiter.revision, result: waiter.result, enforcers: summary))
        }
        enforcerWaiters = waiting
    }
}
