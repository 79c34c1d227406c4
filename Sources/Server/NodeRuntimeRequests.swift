import Crypto
import Governance
import HTTP
import Raft
import Replica
import Tokens

// MARK: - Open requests

/// What the runtime remembers about a request submitted to the replica until its completion.
enum NodeRuntimePending {
    /// A client write: render its completion.
    case write(PreparedWrite, HTTPResponder, route: String, started: UInt64, idempotent: Bool)
    /// A client read: authorize and evaluate once the state is fresh enough.
    case read(ReadOperation, HTTPResponder)
    /// `/oauth/introspect`: evaluated once the linearizable read is ready.
    case introspect(token: String, HTTPResponder)
    /// `/oauth/token`: sign once the `tokenIssued` entry applied.
    case token(PreparedGrant, HTTPResponder, started: UInt64)
    /// `/oauth/revoke`: 200 once the revocation applied.
    case revoke(HTTPResponder)
    /// A write the node makes itself (bootstrap admin key, signing key publication).
    case system(NodeRuntimeSystemWrite)
}

/// The node's own writes, one of each in flight at a time.
enum NodeRuntimeSystemWrite {
    /// The first admin API key from `warden init`.
    case bootstrapAdminKey
    /// This node's public signing key.
    case signingKey
}

extension NodeRuntime {
    // MARK: - Dispatch

    /// Serves one routed operation on the replica thread.
    func handle(_ operation: APIOperation, request: HTTPRequest, responder: HTTPResponder) {
        switch operation {
        case .respond(let response): send(response, route: "unmatched", to: responder)
        case .write(let write): startWrite(write, responder: responder)
        case .read(let read): startRead(read, responder: responder)
        case .oauthToken(let form): startTokenGrant(form, responder: responder)
        case .introspect(let form): startIntrospection(form, responder: responder)
        case .revoke(let form): startRevocation(form, responder: responder)
        case .jwks: send(jwksResponse(), route: "GET /.well-known/jwks.json", to: responder)
        case .authorizationServerMetadata: send(metadataResponse(), route: "GET /.well-known/oauth-authorization-server", to: responder)
        case .readyz: send(readinessResponse(), route: "GET /readyz", to: responder)
        case .metrics: send(metricsResponse(), route: "GET /metrics", to: responder)
        case .clusterInfo(let runtime): authorized(runtime, "GET /v1/cluster", responder) { clusterResponse() }
        case .addMember(let runtime, let id, let address):
            authorizedMembership(runtime, "POST /v1/cluster/members", request, responder) { addMember(id, address, responder) }
        case .removeMember(let runtime, let id):
            authorizedMembership(runtime, "DELETE /v1/cluster/members/{id}", request, responder) { removeMember(id, responder) }
        case .transferLeadership(let runtime, let to):
            authorizedMembership(runtime, "POST /v1/cluster/leadership", request, responder) { transfer(to, responder) }
        case .enforcers(let runtime): authorized(runtime, "GET /v1/enforcers", responder) { enforcersResponse() }
        case .enforcerAck(let runtime, let id, let revision):
            authorized(runtime, "POST /v1/enforcers/{id}/ack", responder) {
                replica.recordEnforcerAck(enforcerID: id, revision: revision)
                return APIResponses.json(200, ["enforcer": .string(id), "acknowledged": .integer(Int64(revision))],
                                         revision: replica.appliedRevision)
            }
        case .feed:
            let problem = Problem(status: 501, code: "not_implemented", detail: "the feed is served by a later release")
            send(problem.response(revision: replica.appliedRevision), route: "GET /v1/feed", to: responder)
        }
    }

    /// Sends `response` (with a `Warden-Revision` header when it has none) and counts it.
    func send(_ response: HTTPResponse, route: String, to responder: HTTPResponder) {
        metrics.recordRequest(route: route, status: response.status)
        responder.send(APIResponses.stamped(response, revision: replica.appliedRevision))
    }

    /// Authorizes a runtime request, then sends what `answer` builds.
    private func authorized(_ runtime: RuntimeRequest, _ route: String, _ responder: HTTPResponder, _ answer: () -> HTTPResponse) {
        if !runtime.requiredRoles.isEmpty {
            let result = Authentication.authorize(
                credentials: runtime.credentials, requiredRoles: runtime.requiredRoles, routeName: route, state: replica.governance)
            if case .failure(let refusal) = result { return send(refusal.response, route: route, to: responder) }
        }
        send(answer(), route: route, to: responder)
    }

    // MARK: - Writes

    /// Authorizes, prepares and submits a client write.
    func startWrite(_ write: WriteOperation, responder: HTTPResponder) {
        let state = replica.governance
        let caller: AuthenticatedCaller
        switch Authentication.authorize(credentials: write.credentials, requiredRoles: write.requiredRoles, routeName: write.routeName, state: state) {
        case .failure(let refusal): return send(refusal.response, route: write.routeName, to: responder)
        case .success(let authenticated): caller = authenticated
        }
        let context = WriteContext(state: state, caller: caller, secrets: secrets, randomBytes: { SecureRandom.bytes(count: $0) })
        switch write.makeCommand(context) {
        case .failure(let refusal): send(refusal.response, route: write.routeName, to: responder)
        case .success(let prepared):
            let id = makeRequestID()
            pending[id] = .write(prepared, responder, route: write.routeName, started: SystemClock.monotonicNanoseconds(),
                                 idempotent: write.idempotencyKey != nil)
            replica.submitWrite(requestID: id, command: prepared.command, actor: prepared.actor,
                                idempotencyKey: write.idempotencyKey, waitForEnforcers: write.waitForEnforcers)
        }
    }

    // MARK: - Reads

    /// Submits a read at its consistency; it is authorized and evaluated when ready.
    func startRead(_ read: ReadOperation, responder: HTTPResponder) {
        let id = makeRequestID()
        pending[id] = .read(read, responder)
        submitRead(id, read.consistency)
    }

    /// Submits a read with the replica's own consistency type (same cases, another module).
    func submitRead(_ id: RequestID, _ consistency: ReadConsistency) {
        switch consistency {
        case .linearizable: replica.submitRead(requestID: id, consistency: .linearizable)
        case .serializable: replica.submitRead(requestID: id, consistency: .serializable)
        case .atLeast(let revision): replica.submitRead(requestID: id, consistency: .atLeast(revision))
        }
    }

    /// Evaluates a ready read against the applied state. `GET /v1/audit/verify` first runs as a
    /// sliced job (`advanceAuditJobs`) and comes back with the finished verification in `audit`.
    func evaluate(_ read: ReadOperation, responder: HTTPResponder, audit: (any AuditReader)? = nil) {
        let state = replica.governance
        let caller: AuthenticatedCaller
        switch Authentication.authorize(credentials: read.credentials, requiredRoles: read.requiredRoles, routeName: read.routeName, state: state) {
        case .failure(let refusal): return send(refusal.response, route: read.routeName, to: responder)
        case .success(let authenticated): caller = authenticated
        }
        if read.routeName == Self.auditVerifyRoute && audit == nil {
            auditJobs.append((read: read, responder: responder, progress: AuditReaderSQLite.verificationStart))
            return
        }
        let now = clock.nowMilliseconds
        let verifier = tokenVerifier(state)
        let context = ReadContext(
            state: state, caller: caller, nowMilliseconds: now, randomBytes: { SecureRandom.bytes(count: $0) },
            audit: audit ?? auditReader,
            verifyToken: { token in
                do {
                    let verified = try TokenLiveness.verify(token, verifier: verifier(), state: state, nowMilliseconds: now)
                    return .success(PresentedToken(verified: verified))
                } catch {
                    return .failure(TokenRefusal(message: "\(error)"))
                }
            })
        let result = read.evaluate(context)
        for decision in result.decisions { _ = replica.recordDecision(decision) }
        send(result.response, route: read.routeName, to: responder)
    }

    /// A verifier over the state's key ring, built only when a token is presented.
    func tokenVerifier(_ state: GovernanceState) -> @Sendable () -> TokenVerifier {
        let issuer = configuration.issuer
        return { TokenVerifier(keyRing: KeyRing(state: state), expectedIssuer: issuer, expectedAudience: "") }
    }

    /// Verifies a slice of the oldest pending audit verification; answers it once complete.
    func advanceAuditJobs() {
        guard var job = auditJobs.first else { return }
        let (progress, done) = auditReader.verifyStep(job.progress, pages: Self.auditPagesPerIteration)
        job.progress = progress
        if done {
            auditJobs.removeFirst()
            evaluate(job.read, responder: job.responder, audit: AuditReaderVerified(base: auditReader, verification: progress))
        } else {
            auditJobs[0] = job
        }
    }

    // MARK: - Completions

    /// Answers the request `requestID` with its outcome.
    func complete(_ requestID: RequestID, _ outcome: RequestOutcome) {
        guard let open = pending.removeValue(forKey: requestID) else { return }
        switch open {
        case .write(let prepared, let responder, let route, let started, let idempotent):
            recordProposal(outcome, started: started)
            send(prepared.render(Self.writeCompletion(outcome, idempotent: idempotent)), route: route, to: responder)
        case .read(let read, let responder):
            guard case .readReady = outcome else { return send(readFailure(outcome), route: read.routeName, to: responder) }
            evaluate(read, responder: responder)
        case .introspect(let token, let responder):
            guard case .readReady = outcome else { return send(readFailure(outcome), route: "POST /oauth/introspect", to: responder) }
            finishIntrospection(token, responder: responder)
        case .token(let grant, let responder, let started):
            recordProposal(outcome, started: started)
            finishTokenGrant(grant, outcome, responder: responder)
        case .revoke(let responder):
            finishRevocation(outcome, responder: responder)
        case .system(let write):
            finishSystemWrite(write, outcome)
        }
    }

    /// Counts a finished client write and its latency.
    func recordProposal(_ outcome: RequestOutcome, started: UInt64) {
        switch outcome {
        case .applied:
            metrics.proposalFinished("applied")
            metrics.commitLatency(seconds: Double(SystemClock.monotonicNanoseconds() - started) / 1e9)
        case .failed: metrics.proposalFinished("failed")
        case .ambiguous: metrics.proposalFinished("ambiguous")
        case .readReady: break
        }
    }

    /// The API layer's view of a replica outcome.
    static func writeCompletion(_ outcome: RequestOutcome, idempotent: Bool) -> WriteCompletion {
        switch outcome {
        case .applied(let revision, let result, let enforcers):
            let acknowledgement = enforcers.map {
                Server.EnforcerAcknowledgement(acknowledged: $0.acknowledged, total: $0.total, fencedByMilliseconds: $0.fencedByMilliseconds)
            }
            let replayed = idempotent && Self.isFirstResult(result, appliedAt: revision)
            return .applied(AppliedWrite(revision: revision, result: result, replayed: replayed, enforcers: acknowledgement))
        case .failed(let reason):
            return .unavailable(detail: "the write was not applied (\(reason)); retry", retryAfterSeconds: APIResponses.defaultRetryAfterSeconds)
        case .ambiguous(let reason):
            return .ambiguous(detail: "the write may or may not have applied (\(reason)); retry with the same Idempotency-Key")
        case .readReady:
            preconditionFailure("a write completed as a read")
        }
    }

    /// Whether `result` was made at an earlier revision than the entry that returned it: an
    /// idempotent replay handing back the first result. The replica's outcome does not carry
    /// Governance's `replayed` flag, so it is recognised where it matters (a replay must not show
    /// a freshly generated secret): agents and API keys carry the revision that made them.
    static func isFirstResult(_ result: CommandResult, appliedAt revision: UInt64) -> Bool {
        switch result {
        case .agent(let agent): return agent.updatedRevision != revision
        case .apiKey(let key): return key.createdRevision != revision
        default: return false
        }
    }

    /// 503 for a read that could not be served (no leader, timed out).
    func readFailure(_ outcome: RequestOutcome) -> HTTPResponse {
        let detail: String
        if case .failed(let reason) = outcome { detail = "the read could not be served (\(reason)); retry" } else { detail = "the read could not be served; retry" }
        return Problem(status: 503, code: "unavailable", detail: detail)
            .response(revision: replica.appliedRevision, headers: [("Retry-After", String(APIResponses.defaultRetryAfterSeconds))])
    }
}
