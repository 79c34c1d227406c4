import Foundation
import HTTP
import Raft
import Replica

// MARK: - Membership and leadership by API

extension NodeRuntime {
    /// Header marking a request a follower proxied to the leader, so it is never proxied twice.
    static let forwardedHeader = "Warden-Forwarded"

    /// Authorizes, then runs `body` on the leader, or proxies the request to the leader.
    func authorizedMembership(
        _ runtime: RuntimeRequest, _ route: String, _ request: HTTPRequest, _ responder: HTTPResponder, _ body: () -> Void
    ) {
        let result = Authentication.authorize(
            credentials: runtime.credentials, requiredRoles: runtime.requiredRoles, routeName: route, state: replica.governance)
        if case .failure(let refusal) = result { return send(refusal.response, route: route, to: responder) }
        if replica.role == .leader { return body() }
        guard let leader = replica.leaderID, let address = transport.address(of: leader),
              request.headers[Self.forwardedHeader] == nil, proxiesInFlight < Self.maximumProxies
        else { return send(unavailable("no leader is known or reachable right now"), route: route, to: responder) }
        proxiesInFlight += 1
        proxy(request, to: address, route: route, responder: responder)
    }

    /// Forwards `request` to the leader on its own thread (the HTTP client blocks).
    private func proxy(_ request: HTTPRequest, to address: PeerAddress, route: String, responder: HTTPResponder) {
        var headers = HTTPHeaders()
        for field in request.headers where ["authorization", "content-type", "idempotency-key"].contains(field.name.lowercased()) {
            headers.add(name: field.name, value: field.value)
        }
        headers.add(name: Self.forwardedHeader, value: String(configuration.nodeID))
        let forwarded = HTTPClientRequest(method: request.method, target: request.target, headers: headers, body: request.body)
        let client = proxyClient, metrics = metrics, inbox = inbox
        let thread = Thread {
            let response: HTTPResponse
            do {
                let answer = try client.send(forwarded, host: address.host, port: address.port)
                var kept = HTTPHeaders()
                for field in answer.headers where ["content-type", "warden-revision", "retry-after"].contains(field.name.lowercased()) {
                    kept.add(name: field.name, value: field.value)
                }
                response = HTTPResponse(status: answer.status, headers: kept, body: answer.body)
            } catch {
                response = Self.proxyFailure(error)
            }
            metrics.recordRequest(route: route, status: response.status)
            responder.send(response)
            _ = inbox.push(.proxyFinished)
        }
        thread.start()
    }

    /// The answer when the leader did not answer a proxied request: 503 ("not applied") only when
    /// the request never reached it; once it may have been sent, the change may have applied, so
    /// 504 `outcome_unknown`, as for any ambiguous write.
    static func proxyFailure(_ error: Error) -> HTTPResponse {
        switch error as? HTTPClientError {
        case .unresolvable?, .connectFailed?, .connectTimedOut?:
            return Problem(status: 503, code: "unavailable", detail: "the leader could not be reached: \(error); the change was not applied, retry")
                .response(headers: [("Retry-After", "1")])
        default:
            return Problem(status: 504, code: "outcome_unknown",
                           detail: "the leader did not answer (\(error)); the change may have applied: check GET /v1/cluster")
                .response()
        }
    }

    /// 503 with `Retry-After`.
    func unavailable(_ detail: String) -> HTTPResponse {
        Problem(status: 503, code: "unavailable", detail: detail)
            .response(revision: replica.appliedRevision, headers: [("Retry-After", String(APIResponses.defaultRetryAfterSeconds))])
    }

    // MARK: - Changes (leader only)

    /// Adds `id` at `address` as a learner; the leader promotes it once it has caught up.
    func addMember(_ id: String, _ address: String, _ responder: HTTPResponder) {
        let route = "POST /v1/cluster/members"
        guard let node = NodeID(id), node > 0 else {
            return send(Problem.invalid("id", "must be a positive integer node id").response(), route: route, to: responder)
        }
        let parsed: PeerAddress
        do {
            parsed = try PeerAddress.parse(address)
        } catch {
            return send(Problem.invalid("address", "must be host:port").response(), route: route, to: responder)
        }
        transport.learn(id: node, address: parsed)
        propose(.addLearner(node), route: route, responder: responder)
    }

    /// Removes a voter or learner.
    func removeMember(_ id: String, _ responder: HTTPResponder) {
        let route = "DELETE /v1/cluster/members/{id}"
        guard let node = NodeID(id), node > 0 else {
            return send(Problem.invalid("id", "must be a positive integer node id").response(), route: route, to: responder)
        }
        propose(.remove(node), route: route, responder: responder)
    }

    private func propose(_ change: MembershipChange, route: String, responder: HTTPResponder) {
        do {
            let index = try replica.proposeMembershipChange(change)
            NodeRuntimeLog.event(configuration.nodeID, "membership change \(change) proposed at entry \(index)")
            membershipWaits.append((index: index, term: replica.term, responder: responder,
                                    deadline: tickCount + Self.membershipTimeoutTicks))
        } catch {
            let problem = Problem(status: 409, code: "conflict", detail: "membership change \(change) refused: \(error)")
            send(problem.response(revision: replica.appliedRevision), route: route, to: responder)
        }
    }

    /// Starts a leadership transfer and answers with the cluster as it stands.
    func transfer(_ to: String, _ responder: HTTPResponder) {
        let route = "POST /v1/cluster/leadership"
        guard let node = NodeID(to), node > 0 else {
            return send(Problem.invalid("to", "must be a positive integer node id").response(), route: route, to: responder)
        }
        do {
            try replica.transferLeadership(to: node)
            NodeRuntimeLog.event(configuration.nodeID, "leadership transfer to \(node) started")
            send(clusterResponse(), route: route, to: responder)
        } catch {
            let problem = Problem(status: 409, code: "conflict", detail: "leadership transfer to \(node) refused: \(error)")
            send(problem.response(revision: replica.appliedRevision), route: route, to: responder)
        }
    }

    /// Answers membership changes whose entry applied (cluster info) or was overwritten (503).
    func answerMembershipWaits() {
        guard !membershipWaits.isEmpty else { return }
        let applied = replica.appliedRevision
        membershipWaits.removeAll { wait in
            guard applied >= wait.index else { return false }
            if replica.raft.term(at: wait.index).map({ $0 == wait.term }) ?? true {
                send(clusterResponse(), route: "cluster membership", to: wait.responder)
            } else {
                send(unavailable("leadership changed before the membership change committed; retry"),
                     route: "cluster membership", to: wait.responder)
            }
            return true
        }
    }

    /// 504 for membership changes that did not apply in time.
    func expireMembershipWaits() {
        guard !membershipWaits.isEmpty else { return }
        membershipWaits.removeAll { wait in
            guard tickCount >= wait.deadline else { return false }
            let problem = Problem(status: 504, code: "timeout", detail: "the membership change did not apply in time; check GET /v1/cluster")
            send(problem.response(revision: replica.appliedRevision), route: "cluster membership", to: wait.responder)
            return true
        }
    }
}
