/// The relationship store with the indexes check needs. Deterministic iteration.
///
/// Tuples live in one bucket per `(object, relation)`, found with one hash probe; inside a
/// bucket, plain users (`user:anne`, `folder:x`, wildcards `user:*`) and usersets
/// (`group:x#member`) are kept in two sorted collections, so check finds a direct user or a
/// wildcard by binary search and walks only the usersets (or, for tuple-to-userset, only the
/// plain objects). The `(object, relation)` pairs are kept sorted too, which gives listing in
/// ascending `TupleKey` order without a second copy of every key.
public struct TupleStore: Sendable {
    private(set) var buckets: [ObjectRelation: TupleBucket] = [:]
    private var orderedPairs = ChunkedSortedArray<ObjectRelation>()
    /// The number of tuples.
    public private(set) var count = 0

    /// An empty store.
    public init() {}

    /// Whether a tuple with `key` is stored.
    public func contains(_ key: TupleKey) -> Bool {
        buckets[ObjectRelation(object: key.object, relation: key.relation)]?.entry(forUser: key.user) != nil
    }

    /// The stored tuple with `key`.
    public func tuple(for key: TupleKey) -> RelationshipTuple? {
        guard let entry = buckets[ObjectRelation(object: key.object, relation: key.relation)]?.entry(forUser: key.user) else { return nil }
        return RelationshipTuple(user: key.user, relation: key.relation, object: key.object, condition: entry.condition)
    }

    /// Stores `tuple`; false (and no change) when a tuple with its key exists.
    @discardableResult
    public mutating func insert(_ tuple: RelationshipTuple) -> Bool {
        let pair = ObjectRelation(object: tuple.object, relation: tuple.relation)
        let entry = TupleEntry(user: tuple.user, condition: tuple.condition)
        if buckets[pair] == nil {
            buckets[pair] = TupleBucket()
            orderedPairs.insert(pair)
        }
        guard buckets[pair]!.insert(entry) else { return false }
        count += 1
        return true
    }

    /// Removes the tuple with `key`, returning it.
    @discardableResult
    public mutating func remove(_ key: TupleKey) -> RelationshipTuple? {
        let pair = ObjectRelation(object: key.object, relation: key.relation)
        guard let removed = buckets[pair]?.remove(user: key.user) else { return nil }
        count -= 1
        if buckets[pair]!.isEmpty {
            buckets[pair] = nil
            let removedPair = orderedPairs.remove(key: pair)
            precondition(removedPair != nil, "the ordered pair index is out of step with the buckets")
        }
        return RelationshipTuple(user: key.user, relation: key.relation, object: key.object, condition: removed.condition)
    }

    /// Filtered listing in ascending `TupleKey` order, starting strictly after `after`, at most `limit`.
    public func read(object: String?, relation: String?, user: String?, after: TupleKey?, limit: Int) -> [RelationshipTuple] {
        guard limit > 0 else { return [] }
        var start: ObjectRelation?
        if let object { start = ObjectRelation(object: object, relation: relation ?? "") }
        if let after {
            let cursor = ObjectRelation(object: after.object, relation: after.relation)
            if start.map({ $0 < cursor }) ?? true { start = cursor }
        }
        var result: [RelationshipTuple] = []
        var pairs = orderedPairs.elements(from: start)
        while result.count < limit, let pair = pairs.next() {
            if let object, pair.object != object { break }
            if let relation, pair.relation != relation { continue }
            let skipThrough = after.flatMap { $0.object == pair.object && $0.relation == pair.relation ? $0.user : nil }
            var entries = buckets[pair]!.entriesInOrder(after: skipThrough)
            while result.count < limit, let entry = entries.next() {
                if let user, entry.user != user { continue }
                result.append(RelationshipTuple(user: entry.user, relation: pair.relation, object: pair.object, condition: entry.condition))
            }
        }
        return result
    }

    /// Every tuple in ascending `TupleKey` order (snapshots).
    public func allTuples() -> [RelationshipTuple] {
        var result: [RelationshipTuple] = []
        result.reserveCapacity(count)
        var pairs = orderedPairs.elements()
        while let pair = pairs.next() {
            var entries = buckets[pair]!.entriesInOrder(after: nil)
            while let entry = entries.next() {
                result.append(RelationshipTuple(user: entry.user, relation: pair.relation, object: pair.object, condition: entry.condition))
            }
        }
        return result
    }

    /// Whether `tuple` may be written under `model` (type restrictions, known relation, declared
    /// condition with typed context, well-formed ids).
    public func validate(_ tuple: RelationshipTuple, against model: AuthorizationModel) throws(TupleValidationError) {
        try TupleValidator(model: model).validate(tuple)
    }
}

// MARK: - Index structures

/// The `(object, relation)` a bucket of tuples belongs to; ordered by object, then relation.
struct ObjectRelation: Hashable, Comparable, Sendable, SortKeyed {
    let object: String
    let relation: String

    static func < (left: ObjectRelation, right: ObjectRelation) -> Bool {
        left.object != right.object ? left.object < right.object : left.relation < right.relation
    }

    var sortKey: ObjectRelation { self }
}

/// One stored tuple of a bucket: its user and condition (object and relation are the bucket's).
/// For a userset user the parts check recurses into are split out once, on insert.
struct TupleEntry: Sendable, SortKeyed {
    /// The full user string.
    let user: String
    /// The tuple's condition.
    let condition: TupleCondition?
    /// For `group:x#member`: `group`, `group:x` and `member`; nil for plain users and wildcards.
    let userset: UsersetParts?
    /// Whether the user is a well-formed plain object (`folder:x`): what tuple-to-userset follows.
    let isObject: Bool

    init(user: String, condition: TupleCondition?) {
        self.user = user
        self.condition = condition
        let parsed = ParsedUser.parse(user)
        if let parsed, let relation = parsed.relation {
            userset = UsersetParts(type: String(parsed.type), object: String(parsed.objectPart), relation: String(relation))
        } else {
            userset = nil
        }
        isObject = parsed.map { $0.relation == nil && !$0.isWildcard } ?? false
    }

    var sortKey: String { user }
}

/// The parts of a userset user; a class so plain entries (the common case) pay one pointer.
final class UsersetParts: Sendable {
    let type: String
    let object: String
    let relation: String

    init(type: String, object: String, relation: String) {
        self.type = type
        self.object = object
        self.relation = relation
    }
}

/// The tuples of one `(object, relation)`: plain users (objects and wildcards) and usersets,
/// each sorted by user.
struct TupleBucket: Sendable {
    private(set) var plainUsers = ChunkedSortedArray<TupleEntry>()
    private(set) var usersets = ChunkedSortedArray<TupleEntry>()

    var isEmpty: Bool { plainUsers.isEmpty && usersets.isEmpty }

    func entry(forUser user: String) -> TupleEntry? {
        plainUsers.element(forKey: user) ?? usersets.element(forKey: user)
    }

    mutating func insert(_ entry: TupleEntry) -> Bool {
        guard self.entry(forUser: entry.user) == nil else { return false }
        return entry.userset == nil ? plainUsers.insert(entry) : usersets.insert(entry)
    }

    mutating func remove(user: String) -> TupleEntry? {
        plainUsers.remove(key: user) ?? usersets.remove(key: user)
    }

    /// Both collections merged in user order, starting strictly after `after`.
    func entriesInOrder(after: String?) -> MergedEntries {
        MergedEntries(plain: plainUsers.elements(from: after), usersets: usersets.elements(from: after), after: after)
    }

    /// A two-way merge of the sorted plain and userset entries.
    struct MergedEntries: IteratorProtocol {
        var plain: ChunkedSortedArray<TupleEntry>.Iterator
        var usersets: ChunkedSortedArray<TupleEntry>.Iterator
        let after: String?
        private var nextPlain: TupleEntry?
        private var nextUserset: TupleEntry?

        init(plain: ChunkedSortedArray<TupleEntry>.Iterator, usersets: ChunkedSortedArray<TupleEntry>.Iterator, after: String?) {
            self.plain = plain
            self.usersets = usersets
            self.after = after
            nextPlain = Self.advance(&self.plain, after: after)
            nextUserset = Self.advance(&self.usersets, after: after)
        }

        mutating func next() -> TupleEntry? {
            if let first = nextPlain, nextUserset.map({ first.user < $0.user }) ?? true {
                nextPlain = Self.advance(&plain, after: after)
                return first
            }
            guard let second = nextUserset else { return nil }
            nextUserset = Self.advance(&usersets, after: after)
            return second
        }

        /// The next entry strictly after `after`.
        private static func advance(_ iterator: inout ChunkedSortedArray<TupleEntry>.Iterator, after: String?) -> TupleEntry? {
            while let entry = iterator.next() {
                if entry.user != after { return entry }
            }
            return nil
        }
    }
}
