/// A check: does `user` have `relation` on `object`?
public struct CheckRequest: Sendable {
    /// `user:anne` or `agent:bot-1` (a wildcard `user:*` asks about public access).
    public var user: String
    /// A relation of the object's type.
    public var relation: String
    /// `invoice:2026-17`.
    public var object: String
    /// The caller's condition parameters; persisted tuple context takes precedence.
    public var context: [String: ConditionValue]
    /// The `subject` and `agent` attribute maps, supplied by Governance, never by callers.
    public var reservedParameters: [String: ConditionValue]

    /// A check request.
    public init(
        user: String, relation: String, object: String,
        context: [String: ConditionValue] = [:], reservedParameters: [String: ConditionValue] = [:]
    ) {
        self.user = user
        self.relation = relation
        self.object = object
        self.context = context
        self.reservedParameters = reservedParameters
    }
}

/// Bounds on one check.
public struct CheckLimits: Sendable {
    /// Longest chain of relation hops (computed usersets, usersets, tuple-to-usersets); 25 as in OpenFGA.
    public var maximumDepth: Int
    /// Relation resolutions in the whole check; beyond it the check fails with `costExceeded`.
    public var maximumDispatches: Int
    /// Cost units one condition evaluation may spend (about one per operation, plus sizes).
    public var maximumConditionCost: Int

    /// Limits for a check.
    public init(maximumDepth: Int, maximumDispatches: Int, maximumConditionCost: Int) {
        self.maximumDepth = maximumDepth
        self.maximumDispatches = maximumDispatches
        self.maximumConditionCost = maximumConditionCost
    }

    /// Depth 25 (OpenFGA's resolution bound), 2,000 dispatches (a generous check touches tens),
    /// 10,000 condition cost units (far above any sane policy expression, far below a stall).
    public static let standard = CheckLimits(maximumDepth: 25, maximumDispatches: 2_000, maximumConditionCost: 10_000)
}

/// The answer to a check.
public struct CheckOutcome: Sendable, Equatable {
    /// Whether the relation holds.
    public var allowed: Bool
    /// Sorted; non-empty only when the answer depended on parameters given neither by the
    /// tuples nor by the request (deny with `missing_context`).
    public var missingParameters: [String]
    /// Why the check could not be decided (then `allowed` is false).
    public var failure: CheckFailure?

    /// An outcome.
    public init(allowed: Bool, missingParameters: [String] = [], failure: CheckFailure? = nil) {
        self.allowed = allowed
        self.missingParameters = missingParameters
        self.failure = failure
    }
}

/// Why a check failed rather than answering.
public enum CheckFailure: Sendable, Equatable {
    /// A chain of relation hops longer than `maximumDepth` mattered to the answer.
    case depthExceeded
    /// The check needed more than `maximumDispatches` resolutions, or a condition more than its cost.
    case costExceeded
    /// A condition failed to evaluate (runtime type mismatch, division by zero, overflow, bad context value).
    case conditionError(name: String, message: String)
    /// The object's or user's type is not in the model.
    case unknownType(String)
    /// The relation is not defined on the object's type.
    case unknownRelation(type: String, relation: String)
    /// The user or object string is not of the form `type:id` (the user may also be `type:*`).
    case malformedIdentifier(String)
    /// The request context is oversized or sets a reserved parameter, or reserved parameters are misnamed.
    case invalidContext(String)
}

// MARK: - Checker

/// Answers check requests against a model and a tuple store.
///
/// Resolution follows the rewrite of the requested relation, three-valued: each step is granted,
/// denied, unknown (a condition lacked parameters; the names travel with it) or failed. Union,
/// intersection and difference combine these so a missing parameter or an error only decides the
/// answer when it mattered. Revisiting an (object, relation) already on the resolution path is a
/// cycle and denies that path; paths longer than `maximumDepth` fail; the whole check stops after
/// `maximumDispatches` resolutions.
public struct Checker {
    /// Decides `request`; never traps on any input.
    public static func check(
        _ request: CheckRequest, model: AuthorizationModel, tuples: TupleStore, limits: CheckLimits = .standard
    ) -> CheckOutcome {
        switch prepare(request, model: model) {
        case .rejected(let failure):
            return CheckOutcome(allowed: false, failure: failure)
        case .ready(let start):
            var resolver = Resolver(model: model, tuples: tuples, request: request, start: start, limits: limits)
            let verdict = resolver.resolve(object: request.object, typeIndex: start.typeIndex, relationIndex: start.relationIndex, depth: 1, parent: nil)
            if resolver.costExceeded { return CheckOutcome(allowed: false, failure: .costExceeded) }
            switch verdict {
            case .granted: return CheckOutcome(allowed: true)
            case .denied: return CheckOutcome(allowed: false)
            case .unknown(let missing): return CheckOutcome(allowed: false, missingParameters: missing)
            case .failed(let failure): return CheckOutcome(allowed: false, failure: failure)
            }
        }
    }

    /// Where resolution starts.
    struct Start {
        let typeIndex: Int
        let relationIndex: Int
        let userType: Substring
        let userTypeIndex: Int
        let userIsWildcard: Bool
    }

    /// A request ready to resolve, or why it cannot be.
    enum Preparation {
        case ready(Start)
        case rejected(CheckFailure)
    }

    /// Validates ids, types, the relation and the contexts.
    static func prepare(_ request: CheckRequest, model: AuthorizationModel) -> Preparation {
        guard let object = ParsedUser.parseObject(request.object) else {
            return .rejected(.malformedIdentifier(String(request.object.prefix(64))))
        }
        guard let user = ParsedUser.parse(request.user), user.relation == nil else {
            return .rejected(.malformedIdentifier(String(request.user.prefix(64))))
        }
        guard let typeIndex = model.typeIndexByName[String(object.type)] else { return .rejected(.unknownType(String(object.type))) }
        guard let userTypeIndex = model.typeIndexByName[String(user.type)] else { return .rejected(.unknownType(String(user.type))) }
        let type = model.types[typeIndex]
        guard let relationIndex = type.relationIndexByName[request.relation] else {
            return .rejected(.unknownRelation(type: type.name, relation: String(request.relation.prefix(64))))
        }
        if let problem = contextProblem(request) { return .rejected(.invalidContext(problem)) }
        return .ready(Start(
            typeIndex: typeIndex, relationIndex: relationIndex, userType: user.type, userTypeIndex: userTypeIndex, userIsWildcard: user.isWildcard))
    }

    /// The request context comes from callers, so it is bounded and may not set reserved
    /// parameters; the reserved parameters come from Governance's replicated state (already
    /// bounded there), so only their names are checked.
    private static func contextProblem(_ request: CheckRequest) -> String? {
        if !request.context.isEmpty {
            for name in reservedParameterNames where request.context[name] != nil {
                return "the request context must not set the reserved parameter '\(name)'"
            }
            if let problem = ConditionContextLimits.violation(in: request.context) { return "the request context " + problem }
        }
        for name in request.reservedParameters.keys where !reservedParameterNames.contains(name) {
            return "'\(name.prefix(64))' is not a reserved parameter (subject, agent)"
        }
        return nil
    }

    /// `subject` and `agent`, as an array: two string comparisons beat a set lookup here.
    private static let reservedParameterNames = ["subject", "agent"]
}
