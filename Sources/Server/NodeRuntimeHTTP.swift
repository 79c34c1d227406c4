import HTTP
import Raft
import Replica

// MARK: - The HTTP side

/// Runs on the HTTP loop threads: peer batches are checked and queued, public requests are
/// routed (`APIRouter.route`, pure) and either answered at once or queued for the replica thread.
/// It never blocks.
struct NodeRuntimeHTTPHandler: HTTPHandler {
    let runtime: NodeRuntime

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if request.path == PeerTransportBatch.path { return handlePeer(request, responder) }
        if request.path == AuditBackfillWire.path { return runtime.acceptAuditRangeRequest(request, responder) }
        let operation = APIRouter.route(request)
        if case .respond(let response) = operation {
            runtime.metrics.recordRequest(route: APIRouter.routeLabel(request), status: response.status)
            return responder.send(response)
        }
        if !runtime.enqueue(.request(operation, request, responder)) {
            runtime.metrics.inboxRejected()
            let problem = Problem(status: 503, code: "overloaded", detail: "the node is saturated; retry shortly")
            responder.send(problem.response(headers: [("Retry-After", "1")]))
        }
    }

    /// `POST /internal/v1/raft`: cluster secret, then the batch; 204 as soon as it is queued.
    private func handlePeer(_ request: HTTPRequest, _ responder: HTTPResponder) {
        guard request.method == "POST" else {
            return responder.send(Problem(status: 405, code: "method_not_allowed", detail: "POST only").response(headers: [("Allow", "POST")]))
        }
        guard runtime.transport.isClusterSecret(request.headers[PeerTransportBatch.secretHeader]) else {
            return responder.send(Problem.unauthenticated("peer requests need the cluster secret").response())
        }
        guard let messages = PeerTransportBatch.decode(request.body) else {
            return responder.send(Problem.invalid("body", "not a batch of peer messages").response())
        }
        if let idText = request.headers[PeerTransportBatch.nodeIDHeader], let id = NodeID(idText),
           let addressText = request.headers[PeerTransportBatch.addressHeader] {
            runtime.transport.learn(id: id, announced: addressText)
        }
        if !messages.isEmpty && !runtime.enqueue(.peers(messages)) {
            runtime.metrics.peerMessagesDropped(messages.count)
        }
        responder.send(HTTPResponse(status: 204))
    }
}
