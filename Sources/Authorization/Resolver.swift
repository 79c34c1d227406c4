/// The three-valued (plus failure) result of resolving part of a check.
enum Verdict: Sendable, Equatable {
    case granted
    case denied
    /// Undecided for want of these parameters (sorted, unique).
    case unknown([String])
    case failed(CheckFailure)

    /// Union: granted if any side is; else unknown (names merged) if any is; else the first failure; else denied.
    static func union(_ left: Verdict, _ right: Verdict) -> Verdict {
        switch (left, right) {
        case (.granted, _), (_, .granted): return .granted
        case (.unknown(let leftNames), .unknown(let rightNames)): return .unknown(mergeNames(leftNames, rightNames))
        case (.unknown, _): return left
        case (_, .unknown): return right
        case (.failed, _): return left
        case (_, .failed): return right
        default: return .denied
        }
    }

    /// Intersection: denied if any side is; else unknown (names merged) if any is; else the first failure; else granted.
    static func intersection(_ left: Verdict, _ right: Verdict) -> Verdict {
        switch (left, right) {
        case (.denied, _), (_, .denied): return .denied
        case (.unknown(let leftNames), .unknown(let rightNames)): return .unknown(mergeNames(leftNames, rightNames))
        case (.unknown, _): return left
        case (_, .unknown): return right
        case (.failed, _): return left
        case (_, .failed): return right
        default: return .granted
        }
    }

    /// Difference: `base` and not `subtract`.
    static func difference(_ base: Verdict, _ subtract: Verdict) -> Verdict {
        intersection(base, subtract.negated)
    }

    /// Not: swaps granted and denied; unknown and failed stay.
    var negated: Verdict {
        switch self {
        case .granted: return .denied
        case .denied: return .granted
        case .unknown, .failed: return self
        }
    }

    var isGranted: Bool {
        if case .granted = self { return true }
        return false
    }

    var isDenied: Bool {
        if case .denied = self { return true }
        return false
    }

    static func mergeNames(_ left: [String], _ right: [String]) -> [String] {
        Array(Set(left).union(right)).sorted()
    }
}

/// A node of the resolution path, linked to its parent on the call stack (no allocation).
struct ResolutionFrame {
    let object: String
    let typeIndex: Int
    let relationIndex: Int
    let parent: UnsafePointer<ResolutionFrame>?
}

/// One check's resolution state: the inputs it reads (only the fields it needs, so setting up
/// and tearing down a check touches few references) and the dispatch budget.
struct Resolver {
    private let types: [TypeDefinition]
    private let conditionPrograms: [String: ConditionProgram]
    private let buckets: [ObjectRelation: TupleBucket]
    private let user: String
    private let requestContext: [String: ConditionValue]
    private let reservedParameters: [String: ConditionValue]
    private let userType: Substring
    private let userIsWildcard: Bool
    /// The user's type in the model, and that type's wildcard user (`user:*`).
    private let userTypeIndex: Int
    private let wildcardUser: String
    private let limits: CheckLimits
    private(set) var dispatches = 0
    private(set) var costExceeded = false

    init(model: AuthorizationModel, tuples: TupleStore, request: CheckRequest, start: Checker.Start, limits: CheckLimits) {
        types = model.types
        conditionPrograms = model.conditionPrograms
        buckets = tuples.buckets
        user = request.user
        requestContext = request.context
        reservedParameters = request.reservedParameters
        userType = start.userType
        userIsWildcard = start.userIsWildcard
        userTypeIndex = start.userTypeIndex
        wildcardUser = types[start.userTypeIndex].wildcardUser
        self.limits = limits
    }

    // MARK: - Relations

    /// Whether the user has relation `relationIndex` on `object` (of type `typeIndex`).
    mutating func resolve(object: String, typeIndex: Int, relationIndex: Int, depth: Int, parent: UnsafePointer<ResolutionFrame>?) -> Verdict {
        if costExceeded { return .failed(.costExceeded) }
        dispatches += 1
        guard dispatches <= limits.maximumDispatches else {
            costExceeded = true
            return .failed(.costExceeded)
        }
        guard depth <= limits.maximumDepth else { return .failed(.depthExceeded) }
        var ancestor = parent
        while let frame = ancestor {
            if frame.pointee.relationIndex == relationIndex, frame.pointee.typeIndex == typeIndex, frame.pointee.object == object {
                return .denied
            }
            ancestor = frame.pointee.parent
        }
        let frame = ResolutionFrame(object: object, typeIndex: typeIndex, relationIndex: relationIndex, parent: parent)
        let rewrite = types[typeIndex].relations[relationIndex].rewrite
        return withUnsafePointer(to: frame) { pointer in
            evaluate(rewrite, frame: pointer, depth: depth)
        }
    }

    /// Evaluates a rewrite for the frame's object and relation.
    private mutating func evaluate(_ rewrite: Rewrite, frame: UnsafePointer<ResolutionFrame>, depth: Int) -> Verdict {
        switch rewrite {
        case .direct:
            return evaluateDirect(frame: frame, depth: depth)
        case .computed(let relationIndex):
            return resolve(object: frame.pointee.object, typeIndex: frame.pointee.typeIndex, relationIndex: relationIndex, depth: depth + 1, parent: frame)
        case .tupleToUserset(let tuplesetIndex, _, let targets):
            return evaluateTupleToUserset(tuplesetIndex: tuplesetIndex, targets: targets, frame: frame, depth: depth)
        case .union(let children):
            var verdict = Verdict.denied
            for child in children {
                verdict = Verdict.union(verdict, evaluate(child, frame: frame, depth: depth))
                if verdict.isGranted || costExceeded { break }
            }
            return verdict
        case .intersection(let children):
            var verdict = Verdict.granted
            for child in children {
                verdict = Verdict.intersection(verdict, evaluate(child, frame: frame, depth: depth))
                if verdict.isDenied || costExceeded { break }
            }
            return verdict
        case .difference(let base, let subtract):
            let baseVerdict = evaluate(base, frame: frame, depth: depth)
            if baseVerdict.isDenied || costExceeded { return baseVerdict }
            return Verdict.difference(baseVerdict, evaluate(subtract, frame: frame, depth: depth))
        }
    }

    // MARK: - Direct tuples

    /// `this`: the user's own tuple, a wildcard tuple for the user's type, and userset tuples
    /// whose usersets contain the user. Tuples the current type restrictions no longer admit
    /// (written under an older model) are ignored.
    private mutating func evaluateDirect(frame: UnsafePointer<ResolutionFrame>, depth: Int) -> Verdict {
        let relation = types[frame.pointee.typeIndex].relations[frame.pointee.relationIndex]
        guard let bucket = buckets[ObjectRelation(object: frame.pointee.object, relation: relation.name)] else { return .denied }
        var verdict = Verdict.denied
        if relation.admitsPlainUsersOfType[userTypeIndex] || (userIsWildcard && relation.admitsWildcardOfType[userTypeIndex]),
            let entry = bucket.plainUsers.element(forKey: user),
            relation.admits(userType: userType, userRelation: nil, isWildcard: userIsWildcard, condition: entry.condition?.name)
        {
            verdict = conditionVerdict(entry.condition)
            if verdict.isGranted { return verdict }
        }
        if !userIsWildcard, relation.admitsWildcardOfType[userTypeIndex],
            let entry = bucket.plainUsers.element(forKey: wildcardUser),
            relation.admits(userType: userType, userRelation: nil, isWildcard: true, condition: entry.condition?.name)
        {
            verdict = Verdict.union(verdict, conditionVerdict(entry.condition))
            if verdict.isGranted { return verdict }
        }
        guard relation.admitsUsersets else { return verdict }
        var entries = bucket.usersets.elements()
        while let entry = entries.next() {
            verdict = Verdict.union(verdict, expandUserset(entry, relation: relation, frame: frame, depth: depth))
            if verdict.isGranted || costExceeded { break }
        }
        return verdict
    }

    /// A userset tuple `object#relation@group:x#member`: its condition and the user's `member` on `group:x`.
    private mutating func expandUserset(_ entry: TupleEntry, relation: RelationDefinition, frame: UnsafePointer<ResolutionFrame>, depth: Int) -> Verdict {
        guard let userset = entry.userset,
            let target = relation.admittedUsersetTarget(userType: userset.type, userRelation: userset.relation, condition: entry.condition?.name),
            target.typeIndex >= 0, target.relationIndex >= 0
        else { return .denied }
        let condition = conditionVerdict(entry.condition)
        if case .denied = condition { return .denied }
        let membership = resolve(object: userset.object, typeIndex: target.typeIndex, relationIndex: target.relationIndex, depth: depth + 1, parent: frame)
        return Verdict.intersection(condition, membership)
    }

    /// `tupleToUserset`: for each object related by the tupleset relation, the target relation on it.
    private mutating func evaluateTupleToUserset(tuplesetIndex: Int, targets: [Int], frame: UnsafePointer<ResolutionFrame>, depth: Int) -> Verdict {
        let tupleset = types[frame.pointee.typeIndex].relations[tuplesetIndex]
        guard let bucket = buckets[ObjectRelation(object: frame.pointee.object, relation: tupleset.name)] else { return .denied }
        var verdict = Verdict.denied
        var entries = bucket.plainUsers.elements()
        while let entry = entries.next() {
            guard entry.isObject, let targetType = tupleset.admittedObjectTypeIndex(user: entry.user, condition: entry.condition?.name),
                targetType >= 0, targets[targetType] >= 0
            else { continue }
            let condition = conditionVerdict(entry.condition)
            if case .denied = condition { continue }
            let target = resolve(object: entry.user, typeIndex: targetType, relationIndex: targets[targetType], depth: depth + 1, parent: frame)
            verdict = Verdict.union(verdict, Verdict.intersection(condition, target))
            if verdict.isGranted || costExceeded { break }
        }
        return verdict
    }

    // MARK: - Conditions

    /// Granted for an unconditional tuple; otherwise the condition evaluated with the tuple's
    /// context first, then the reserved parameters, then the request context.
    private func conditionVerdict(_ condition: TupleCondition?) -> Verdict {
        guard let condition else { return .granted }
        guard let program = conditionPrograms[condition.name] else { return .denied }
        let outcome = program.evaluate(
            tupleContext: condition.context, reservedParameters: reservedParameters,
            requestContext: requestContext, costLimit: limits.maximumConditionCost)
        switch outcome {
        case .satisfied: return .granted
        case .unsatisfied: return .denied
        case .missing(let names): return .unknown(names)
        case .failed(let message): return .failed(.conditionError(name: condition.name, message: message))
        case .costExceeded: return .failed(.costExceeded)
        }
    }
}
