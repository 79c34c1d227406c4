#if canImport(Glibc)
import Glibc
#endif
import Authorization
import Governance

/// `warden bench governance [--agents N] [--tuples N] [--decisions N] [--applies N]`:
/// in-process decision latency (p50/p90/p99), apply throughput, and resident memory per agent
/// and per tuple. Build with `-c release`; figures from a debug build mean nothing.
enum GovernanceBenchmark {
    /// What to measure, from the command line.
    struct Options {
        var agents = 1_000_000
        var tuples = 10_000_000
        var decisions = 200_000
        var applies = 400_000
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = parse(arguments) else {
            FileHandleOutput.standardError("usage: warden bench governance [--agents N] [--tuples N] [--decisions N] [--applies N]")
            return 2
        }
        print("governance benchmark (release build expected)")
        benchmarkDecision(count: options.decisions)
        benchmarkApply(count: options.applies)
        benchmarkMemory(agents: options.agents, tuples: options.tuples)
        return 0
    }

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index < arguments.count {
            guard index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 else { return nil }
            switch arguments[index] {
            case "--agents": options.agents = value
            case "--tuples": options.tuples = value
            case "--decisions": options.decisions = value
            case "--applies": options.applies = value
            default: return nil
            }
            index += 2
        }
        return options
    }

    // MARK: - Clock and memory (the shell may read them; the Governance module may not)

    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Resident set size in bytes, from `/proc/self/statm` (second field, in pages).
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0, resident = 0
        guard withUnsafeMutablePointer(to: &size, { sizePointer in
            withUnsafeMutablePointer(to: &resident) { residentPointer in
                withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
            }
        }) == 2 else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `index` as 9 zero-padded digits, so string order is numeric order.
    static func padded(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    static func format(_ value: Double, decimals: Int = 2) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return "\(rounded)"
    }

    // MARK: - Fixtures

    /// Approval inherited through three levels (invoice → folder → parent folder) down to a
    /// conditional grant: `amount <= subject.approval_limit && subject.on_duty`.
    static let model = """
    {"schema_version":"1.1","type_definitions":[
      {"type":"user"},
      {"type":"folder","relations":{
         "parent":{"this":{}},
         "approver":{"union":{"child":[{"this":{}},{"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"approver"}}}]}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "approver":{"directly_related_user_types":[{"type":"user","condition":"within_limit"}]}}}},
      {"type":"invoice","relations":{
         "parent":{"this":{}},
         "approver":{"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"approver"}}},
         "viewer":{"this":{}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "viewer":{"directly_related_user_types":[{"type":"user"}]}}}}
    ],
    "conditions":{"within_limit":{"name":"within_limit","expression":"amount <= subject.approval_limit && subject.on_duty",
      "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                    "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}}}
    """

    /// Applies `command` at the next revision; stops the benchmark loudly on a rejection.
    static func apply(_ state: inout GovernanceState, _ command: Command, revision: inout UInt64, now: Int64) {
        revision += 1
        let outcome = state.apply(LogEntryPayload(timestampMilliseconds: now, actor: .system, command: command), revision: revision)
        if case .rejected(let rejection) = outcome.result { fatalError("benchmark fixture rejected: \(rejection.message)") }
    }

    static func registration(_ index: Int) -> Command {
        .registerAgent(AgentRegistration(
            id: "agent-\(index)", name: "Agent \(index)", owner: "user-\(index % 1_000)", kind: .agent,
            scopes: ["invoice:*", "folder:approver"], attributes: ["team": .string("t\(index % 50)")],
            secretHash: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 32)))
    }

    static func tuple(_ object: String, _ relation: String, _ user: String, condition: String? = nil) -> RelationshipTuple {
        RelationshipTuple(user: user, relation: relation, object: object, condition: condition.map { TupleCondition(name: $0, context: [:]) })
    }

    // MARK: - Decision latency

    static func benchmarkDecision(count: Int) {
        var state = GovernanceState()
        var revision: UInt64 = 0
        let now: Int64 = 1_800_000_000_000
        apply(&state, .writeModel(json: Array(model.utf8)), revision: &revision, now: now)
        for index in 0..<10_000 { apply(&state, registration(index), revision: &revision, now: now) }
        apply(&state, .setUserAttributes(userID: "anne", attributes: ["approval_limit": .int(1_000), "on_duty": .bool(true)]),
              revision: &revision, now: now)
        var writes: [RelationshipTuple] = []
        for index in 0..<1_000 {
            writes.append(tuple("invoice:\(index)", "parent", "folder:q\(index % 10)"))
            if writes.count == 100 {
                apply(&state, .writeTuples(writes: writes, deletes: []), revision: &revision, now: now)
                writes = []
            }
        }
        for quarter in 0..<10 { writes.append(tuple("folder:q\(quarter)", "parent", "folder:finance")) }
        writes.append(tuple("folder:finance", "approver", "user:anne", condition: "within_limit"))
        apply(&state, .writeTuples(writes: writes, deletes: []), revision: &revision, now: now)
        apply(&state, .tokenIssued(IssuedToken(jti: "bench-token", subject: "user:anne", chain: ["agent-7"], scopes: ["invoice:*"],
                                               expiresAtMilliseconds: now + 600_000)), revision: &revision, now: now)
        let token = state.issuedTokens["bench-token"]!.presented
        let requests = (0..<64).map { index in
            DecisionRequest(agent: "agent-7", token: token, onBehalfOf: "user:anne", action: "approver",
                            resource: "invoice:\(index * 13 % 1_000)", context: ["amount": .int(Int64(100 + index))])
        }
        precondition(requests.allSatisfy { state.decide($0, nowMilliseconds: now).allowed }, "benchmark decisions must be allowed")
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        var allowed = 0
        for index in 0..<count {
            let start = nanoseconds()
            let decision = state.decide(requests[index & 63], nowMilliseconds: now)
            samples.append(nanoseconds() - start)
            if decision.allowed { allowed += 1 }
        }
        report(samples, label: "decision (token + 3-level inheritance + condition, \(count) calls, \(allowed) allowed)")
        let model = state.model!, tuples = state.tuples
        let checks = requests.map { request in
            CheckRequest(user: "user:anne", relation: request.action, object: request.resource, context: request.context,
                         reservedParameters: ["subject": .map(state.users["anne"]!.attributes), "agent": .map([:])])
        }
        samples.removeAll(keepingCapacity: true)
        for index in 0..<count {
            let start = nanoseconds()
            let outcome = Checker.check(checks[index & 63], model: model, tuples: tuples)
            samples.append(nanoseconds() - start)
            if !outcome.allowed { allowed -= 1 }
        }
        report(samples, label: "  of which Authorization's Checker.check alone (same checks)")
    }

    static func report(_ unsorted: [UInt64], label: String) {
        let samples = unsorted.sorted()
        let percentile = { (fraction: Double) in Double(samples[min(samples.count - 1, Int(Double(samples.count) * fraction))]) / 1_000 }
        print("\(label): p50 \(format(percentile(0.50))) µs, p90 \(format(percentile(0.90))) µs, p99 \(format(percentile(0.99))) µs")
    }

    // MARK: - Apply throughput

    static func benchmarkApply(count: Int) {
        var state = GovernanceState()
        var revision: UInt64 = 0
        let now: Int64 = 1_800_000_000_000
        for index in 0..<1_000 { apply(&state, registration(index), revision: &revision, now: now) }
        let payloads = (0..<count).map { index -> LogEntryPayload in
            let command: Command = index.isMultiple(of: 2)
                ? .setUserAttributes(userID: "user-\(index % 5_000)", attributes: ["on_duty": .bool(index % 4 == 0)])
                : .riskSignal(RiskSignal(agent: "agent-\(index % 1_000)", type: "probe", severity: 0, source: "bench"))
            return LogEntryPayload(timestampMilliseconds: now + Int64(index), actor: .system, command: command)
        }
        let encoded = payloads.map { $0.encode() }
        var start = nanoseconds()
        for payload in payloads {
            revision += 1
            _ = state.apply(payload, revision: revision)
        }
        var seconds = Double(nanoseconds() - start) / 1e9
        print("apply (set user attributes / risk signal, audit chained, \(count) commands): \(format(Double(count) / seconds, decimals: 0)) commands/s")
        start = nanoseconds()
        for bytes in encoded {
            revision += 1
            _ = state.apply(try! LogEntryPayload.decode(bytes), revision: revision)
        }
        seconds = Double(nanoseconds() - start) / 1e9
        print("decode + apply (same mix): \(format(Double(count) / seconds, decimals: 0)) commands/s")
    }

    // MARK: - Memory

    static func benchmarkMemory(agents: Int, tuples: Int) {
        var state = GovernanceState()
        var revision: UInt64 = 0
        let now: Int64 = 1_800_000_000_000
        apply(&state, .writeModel(json: Array(model.utf8)), revision: &revision, now: now)
        let baseline = residentBytes()
        var start = nanoseconds()
        for index in 0..<agents { apply(&state, registration(index), revision: &revision, now: now) }
        let afterAgents = residentBytes()
        let agentSeconds = Double(nanoseconds() - start) / 1e9
        start = nanoseconds()
        var writes: [RelationshipTuple] = []
        writes.reserveCapacity(GovernanceLimits.maximumTuplesPerWrite)
        // Keys ascend (zero-padded object, then user), so the store's sorted key array appends.
        for index in 0..<tuples {
            writes.append(tuple("invoice:inv-\(padded(index / 4))", "viewer", "user:user-\(padded(index % 4))"))
            if writes.count == GovernanceLimits.maximumTuplesPerWrite || index == tuples - 1 {
                apply(&state, .writeTuples(writes: writes, deletes: []), revision: &revision, now: now)
                writes.removeAll(keepingCapacity: true)
            }
        }
        let afterTuples = residentBytes()
        let tupleSeconds = Double(nanoseconds() - start) / 1e9
        let perAgent = Double(afterAgents - baseline) / Double(agents)
        let perTuple = Double(afterTuples - afterAgents) / Double(tuples)
        let projected = (perAgent * 1_000_000 + perTuple * 10_000_000) / Double(1 << 30)
        print("memory: \(agents) agents in \(format(agentSeconds, decimals: 1)) s, \(format(perAgent, decimals: 0)) B/agent; "
              + "\(tuples) tuples in \(format(tupleSeconds, decimals: 1)) s, \(format(perTuple, decimals: 0)) B/tuple")
        print("memory: RSS \(format(Double(afterTuples) / Double(1 << 30))) GiB total; "
              + "1 M agents + 10 M tuples at these rates: \(format(projected)) GiB (goal ≤ 4 GiB)")
        precondition(state.agents.count == agents && state.tuples.count == tuples, "every fixture write applied")
    }
}
