import Governance
import Raft
import Replica

// MARK: - Clients

extension Simulation {
    /// One-way latency between a client and a replica.
    static let clientLatency = VirtualTime.milliseconds(1)
    /// Actor of every client write.
    static let clientActor = Actor.apiKey(id: "chaos", role: .admin)
    /// A retry waits this long per attempt already made, so a leaderless cluster is not
    /// hammered and an election can finish before the attempts run out.
    static let retryBackoff = VirtualTime.milliseconds(150)

    /// A client invokes its next operation (unless the run is quiescing).
    func startOperation(client: Int) {
        guard clock.now + configuration.quiescence < plan.endsAt else { return }
        let operation = workload.plan(&workloadRandom, nowMilliseconds: SimulatedClock.epochMilliseconds + Int64(clock.now / 1_000_000))
        var state = ClientState()
        state.operation = operation
        state.idempotencyKey = "c\(client)-op\(workload.clients[client].operationsDone)"
        state.operationsDone = workload.clients[client].operationsDone + 1
        state.attempt = workload.clients[client].attempt
        switch operation {
        case .write(_, let modelInput?):
            state.historyIDs = [workload.history.invoke(client: client * Workload.historySlotsPerClient, input: modelInput, at: clock.now)]
        case .check(let chain):
            state.historyIDs = chain.enumerated().map { slot, agent in
                workload.history.invoke(client: client * Workload.historySlotsPerClient + slot, input: .check(agent), at: clock.now)
            }
        case .write(_, nil):
            break
        }
        workload.clients[client] = state
        note("client \(client) invokes \(describe(operation))\(operation.isRead ? "" : " key=\(state.idempotencyKey)")")
        nextAttempt(client: client)
    }

    private func nextAttempt(client: Int) {
        workload.clients[client].attempt += 1
        workload.clients[client].attemptsUsed += 1
        if workload.clients[client].attemptsUsed > 1 { workload.retries += 1 }
        let attempt = workload.clients[client].attempt
        let node = workloadRandom.uniform(in: 0..<configuration.nodeCount)
        let sendAt = clock.now + Self.retryBackoff * UInt64(workload.clients[client].attemptsUsed - 1)
        queue.schedule(.clientSubmit(client: client, attempt: attempt, node: node), at: sendAt + Self.clientLatency)
        queue.schedule(.clientTimeout(client: client, attempt: attempt), at: sendAt + configuration.attemptTimeout)
    }

    /// The request reaches `node`: refused when the node is down, else submitted.
    func submit(client: Int, attempt: Int, node: SimulatedNode) {
        let state = workload.clients[client]
        guard state.attempt == attempt, let operation = state.operation else { return }
        guard let replica = node.replica else {
            attemptEnded(client: client, uncertain: false)
            return
        }
        let requestID = workload.nextRequestID
        workload.nextRequestID += 1
        workload.openRequests[requestID] = client
        workload.clients[client].openRequest = (requestID, node.index)
        hasher.combine(requestID)
        node.clock.trueTime = clock.now
        switch operation {
        case .write(let command, _):
            replica.submitWrite(requestID: requestID, command: command, actor: Self.clientActor, idempotencyKey: state.idempotencyKey)
        case .check:
            replica.submitRead(requestID: requestID, consistency: .linearizable)
        }
        if !node.isPaused { process(node) }
    }

    /// A replica completed `requestID`.
    func completed(requestID: RequestID, outcome: RequestOutcome, at node: SimulatedNode) {
        guard let client = workload.openRequests.removeValue(forKey: requestID) else { return }
        guard let open = workload.clients[client].openRequest, open.requestID == requestID,
              let operation = workload.clients[client].operation else { return }
        workload.clients[client].openRequest = nil
        hasher.combine(requestID)
        switch outcome {
        case .applied(let revision, let result, _):
            hasher.combine(revision)
            writeApplied(client: client, revision: revision, result: result, node: node)
        case .readReady(let revision):
            hasher.combine(revision)
            guard case .check(let chain) = operation, let replica = node.replica else {
                preconditionFailure("a read completion for a write")
            }
            let now = node.clock.nowMilliseconds
            let decision = replica.governance.decide(
                Workload.decisionRequest(chain: chain, nowMilliseconds: now, jti: "check-\(requestID)"), nowMilliseconds: now)
            finish(client: client, outputs: Workload.observations(decision, chain: chain).map { .allowed($0.allowed) },
                   text: "read at \(revision) on node \(node.index): \(Workload.observations(decision, chain: chain))")
            workload.readsServed += 1
        case .failed(let reason):
            note("client \(client) attempt failed on node \(node.index): \(reason)")
            attemptEnded(client: client, uncertain: false)
        case .ambiguous(let reason):
            note("client \(client) attempt ambiguous on node \(node.index): \(reason)")
            attemptEnded(client: client, uncertain: operation.isRead == false)
        }
    }

    private func writeApplied(client: Int, revision: UInt64, result: CommandResult, node: SimulatedNode) {
        if let entry = node.replica?.raft.entry(at: revision) {
            workload.acknowledged.append(AcknowledgedWrite(
                revision: revision, term: entry.term, contentHash: RaftSafetyChecker.contentHash(entry), node: node.index))
        }
        workload.applied += 1
        livenessWitness()
        let output: WardenKillSwitchModel.Output = result.isRejection ? .rejected : .done
        finish(client: client, outputs: [output], text: "applied at \(revision) on node \(node.index)\(result.isRejection ? " (rejected)" : "")")
    }

    /// The attempt ended without an answer; retry while attempts remain, else record the
    /// operation as failed (no attempt could have applied) or ambiguous.
    func attemptEnded(client: Int, uncertain: Bool) {
        if uncertain { workload.clients[client].everUncertain = true }
        workload.clients[client].openRequest = nil
        if workload.clients[client].attemptsUsed < configuration.maximumAttempts {
            nextAttempt(client: client)
            return
        }
        let ids = workload.clients[client].historyIDs
        if workload.clients[client].everUncertain {
            workload.ambiguous += 1
            for id in ids { workload.history.markAmbiguous(id, at: clock.now) }
            note("client \(client) gives up: ambiguous")
        } else {
            workload.failed += 1
            for id in ids { workload.history.fail(id, at: clock.now) }
            note("client \(client) gives up: failed")
        }
        endOperation(client: client)
    }

    private func finish(client: Int, outputs: [WardenKillSwitchModel.Output], text: String) {
        let ids = workload.clients[client].historyIDs
        if ids.count == outputs.count {
            for (id, output) in zip(ids, outputs) { workload.history.complete(id, output: output, at: clock.now) }
        }
        note("client \(client) ok: \(text)")
        endOperation(client: client)
    }

    private func endOperation(client: Int) {
        workload.clients[client].operation = nil
        workload.clients[client].attempt += 1
        queue.schedule(.clientStart(client: client), at: clock.now + workloadRandom.uniform(in: configuration.thinkTime))
    }

    /// The client stops waiting for one attempt: a write may still apply (ambiguous); a read
    /// that never answered observed nothing.
    func attemptTimedOut(client: Int, attempt: Int) {
        let state = workload.clients[client]
        guard state.attempt == attempt, let operation = state.operation else { return }
        if let open = state.openRequest { workload.openRequests[open.requestID] = nil }
        note("client \(client) attempt timed out")
        attemptEnded(client: client, uncertain: !operation.isRead)
    }

    /// A node crashed: its open client requests see their connection reset.
    func connectionsCut(at index: Int) {
        for client in workload.clients.indices {
            guard let open = workload.clients[client].openRequest, open.node == index,
                  let operation = workload.clients[client].operation else { continue }
            workload.openRequests[open.requestID] = nil
            note("client \(client) attempt cut: node \(index) crashed")
            attemptEnded(client: client, uncertain: !operation.isRead)
        }
    }

    func describe(_ operation: PlannedOperation) -> String {
        switch operation {
        case .write(let command, let modelInput):
            switch command {
            case .riskSignal(let signal): return "\(command.name) \(signal.agent)"
            case .createConnection(let connection): return "\(command.name) \(connection.caller)->\(connection.callee)"
            case .tokenIssued(let token): return "\(command.name) \(token.chain.joined(separator: "->"))"
            default: return modelInput.map { "\(command.name) \($0.agent)" } ?? "\(command.name)"
            }
        case .check(let chain): return "check \(chain.joined(separator: "->"))"
        }
    }
}
