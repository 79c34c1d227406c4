import Governance

// MARK: - Enforcer acknowledgements and "kill waits for enforcers or their lease"

/// Acks are node-local, not replicated. That is sound because the guarantee a kill response
/// gives rests on the lease, not on the count: an enforcer decides only while it holds a fresh
/// heartbeat, so at `fencedByMilliseconds` (the kill's apply time here plus the lease) every
/// enforcer, attached here or elsewhere, has either applied the kill or stopped deciding. The
/// acknowledgement count is an early-out and a report about the enforcers attached here.
extension Replica {
    /// Records that enforcer `enforcerID` applied everything up to `revision` (acks never move
    /// an enforcer backwards). With `maximumEnforcers` known, a new one replaces the one heard
    /// from longest ago if that one's lease lapsed, and is ignored otherwise.
    public func recordEnforcerAck(enforcerID: String, revision: UInt64) {
        let now = clock.nowMilliseconds
        if var status = enforcerRegistry[enforcerID] {
            status.acknowledgedRevision = max(status.acknowledgedRevision, revision)
            status.lastHeardMilliseconds = max(status.lastHeardMilliseconds, now)
            enforcerRegistry[enforcerID] = status
            return
        }
        if enforcerRegistry.count >= configuration.maximumEnforcers {
            // Full: make room by forgetting the enforcer heard from longest ago, if its lease lapsed.
            guard let stalest = enforcerRegistry.values.min(by: { ($0.lastHeardMilliseconds, $0.id) < ($1.lastHeardMilliseconds, $1.id) }),
                  !isLive(stalest, now: now) else { return }
            enforcerRegistry[stalest.id] = nil
        }
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

    /// The enforcers heard within the lease, sorted.
    func liveEnforcerIDs(now: Int64) -> [String] {
        enforcerRegistry.keys.sorted().filter { isLive(enforcerRegistry[$0]!, now: now) }
    }

    /// Completes waiting writes once each enforcer live at apply time acknowledged the revision
    /// or let its lease lapse (it then fails closed), or once the lease bound has passed.
    func completeEnforcerWaiters() {
        guard !enforcerWaiters.isEmpty else { return }
        let now = clock.nowMilliseconds
        var waiting: [EnforcerWaiter] = []
        for waiter in enforcerWaiters {
            var acknowledged = 0
            var settled = 0
            for id in waiter.enforcerIDs {
                guard let status = enforcerRegistry[id] else { continue }
                if status.acknowledgedRevision >= waiter.revision {
                    acknowledged += 1
                    settled += 1
                } else if !isLive(status, now: now) {
                    settled += 1
                }
            }
            guard settled == waiter.enforcerIDs.count || now >= waiter.fencedByMilliseconds else {
                waiting.append(waiter)
                continue
            }
            let summary = EnforcerAcknowledgement(acknowledged: acknowledged, total: waiter.enforcerIDs.count,
                                                  fencedByMilliseconds: waiter.fencedByMilliseconds)
            complete(waiter.requestID, .applied(revision: waiter.revision, result: waiter.result, enforcers: summary))
        }
        enforcerWaiters = waiting
    }
}
