/// The relationship store with the indexes check needs. Deterministic iteration.
///
/// Three views of the same tuples:
/// - `tuplesByKey`: exact lookups, which is how check finds a direct user or a wildcard
///   (`(object, relation, "user:*")`) in one hash probe;
/// - `buckets[(object, relation)]`: the userset tuples (`group:x#member`) and plain object
///   users of that object and relation, sorted by user, for userset expansion and
///   tuple-to-userset;
/// - `sortedKeys`: every key in ascending `TupleKey` order, for paginated listing and snapshots.
public struct TupleStore: Sendable {
    private(set) var tuplesByKey: [TupleKey: StoredTuple] = [:]
    private(set) var buckets: [ObjectRelation: TupleBucket] = [:]
    private var sortedKeys: [TupleKey] = []

    /// An empty store.
    public init() {}

    /// The number of tuples.
    public var count: Int { tuplesByKey.count }

    /// Whether a tuple with `key` is stored.
    public func contains(_ key: TupleKey) -> Bool { tuplesByKey[key] != nil }

    /// The stored tuple with `key`.
    public func tuple(for key: TupleKey) -> RelationshipTuple? { tuplesByKey[key]?.tuple }

    /// Stores `tuple`; false (and no change) when a tuple with its key exists.
    @discardableResult
    public mutating func insert(_ tuple: RelationshipTuple) -> Bool {
        let key = tuple.key
        guard tuplesByKey[key] == nil else { return false }
        tuplesByKey[key] = StoredTuple(tuple)
        sortedKeys.insert(key, at: insertionIndex(of: key))
        if let entry = TupleBucket.Entry(tuple) {
            buckets[ObjectRelation(object: tuple.object, relation: tuple.relation), default: TupleBucket()].insert(entry)
        }
        return true
    }

    /// Removes the tuple with `key`, returning it.
    @discardableResult
    public mutating func remove(_ key: TupleKey) -> RelationshipTuple? {
        guard let removed = tuplesByKey.removeValue(forKey: key)?.tuple else { return nil }
        let position = insertionIndex(of: key)
        precondition(position < sortedKeys.count && sortedKeys[position] == key, "sorted key index out of step with the tuples")
        sortedKeys.remove(at: position)
        let bucketKey = ObjectRelation(object: key.object, relation: key.relation)
        if var bucket = buckets[bucketKey] {
            buckets[bucketKey] = nil
            bucket.remove(user: key.user)
            if !bucket.isEmpty { buckets[bucketKey] = bucket }
        }
        return removed
    }

    /// Filtered listing in ascending `TupleKey` order, starting strictly after `after`, at most `limit`.
    public func read(object: String?, relation: String?, user: String?, after: TupleKey?, limit: Int) -> [RelationshipTuple] {
        guard limit > 0 else { return [] }
        var start = 0
        if let object { start = insertionIndex(of: TupleKey(user: "", relation: relation ?? "", object: object)) }
        if let after { start = max(start, insertionIndex(of: after)) }
        var result: [RelationshipTuple] = []
        var position = start
        while position < sortedKeys.count, result.count < limit {
            let key = sortedKeys[position]
            position += 1
            if let object, key.object != object { break }
            if let after, !(after < key) { continue }
            if let relation, key.relation != relation { continue }
            if let user, key.user != user { continue }
            result.append(tuplesByKey[key]!.tuple)
        }
        return result
    }

    /// Every tuple in ascending `TupleKey` order (snapshots).
    public func allTuples() -> [RelationshipTuple] {
        sortedKeys.map { tuplesByKey[$0]!.tuple }
    }

    /// Whether `tuple` may be written under `model` (type restrictions, known relation, declared
    /// condition with typed context, well-formed ids).
    public func validate(_ tuple: RelationshipTuple, against model: AuthorizationModel) throws(TupleValidationError) {
        try TupleValidator(model: model).validate(tuple)
    }

    /// The first index whose key is not less than `key` (binary search).
    private func insertionIndex(of key: TupleKey) -> Int {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let middle = (low + high) / 2
            if sortedKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

// MARK: - Index structures

/// A stored tuple behind one reference, so a lookup on the check path retains one object
/// instead of each of the tuple's strings.
final class StoredTuple: Sendable {
    let tuple: RelationshipTuple
    /// The condition's name, or nil: the field check reads first.
    let conditionName: String?

    init(_ tuple: RelationshipTuple) {
        self.tuple = tuple
        conditionName = tuple.condition?.name
    }
}

/// The `(object, relation)` a bucket of tuples belongs to.
struct ObjectRelation: Hashable, Sendable {
    let object: String
    let relation: String
}

/// The tuples of one `(object, relation)` whose users check must expand: usersets
/// (`group:x#member`, to recurse into) and plain objects (`folder:x`, for tuple-to-userset).
/// Each list is sorted by user so iteration is deterministic.
struct TupleBucket: Sendable {
    /// One indexed tuple, with its user pre-split; a class so iterating a bucket retains one
    /// reference per entry rather than each field.
    final class Entry: Sendable {
        /// The full user string.
        let user: String
        /// The user's type.
        let userType: String
        /// `type:id` of the user (the object to recurse into).
        let userObject: String
        /// The userset relation, for userset users.
        let userRelation: String?
        /// The tuple's condition.
        let condition: TupleCondition?

        /// Nil for wildcards and malformed users, which need no expansion.
        init?(_ tuple: RelationshipTuple) {
            guard let parsed = ParsedUser.parse(tuple.user), !parsed.isWildcard else { return nil }
            user = tuple.user
            userType = String(parsed.type)
            userObject = String(parsed.objectPart)
            userRelation = parsed.relation.map(String.init)
            condition = tuple.condition
        }
    }

    /// Userset users, sorted by `user`.
    private(set) var usersets: [Entry] = []
    /// Plain object users, sorted by `user`.
    private(set) var objects: [Entry] = []

    var isEmpty: Bool { usersets.isEmpty && objects.isEmpty }

    mutating func insert(_ entry: Entry) {
        if entry.userRelation != nil {
            usersets.insert(entry, at: Self.insertionIndex(of: entry.user, in: usersets))
        } else {
            objects.insert(entry, at: Self.insertionIndex(of: entry.user, in: objects))
        }
    }

    mutating func remove(user: String) {
        let usersetIndex = Self.insertionIndex(of: user, in: usersets)
        if usersetIndex < usersets.count, usersets[usersetIndex].user == user { usersets.remove(at: usersetIndex) }
        let objectIndex = Self.insertionIndex(of: user, in: objects)
        if objectIndex < objects.count, objects[objectIndex].user == user { objects.remove(at: objectIndex) }
    }

    private static func insertionIndex(of user: String, in entries: [Entry]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].user < user { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
