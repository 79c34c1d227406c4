/// The members of a Raft group: voters decide elections and commits, learners only follow.
///
/// Membership changes one server at a time (Raft thesis §4.3) and a configuration takes effect
/// when its entry commits, as in etcd; one change may be pending at a time.
public struct ClusterConfiguration: Sendable, Hashable {
    /// The voting members, sorted and unique.
    public private(set) var voters: [NodeID]
    /// The non-voting members, sorted, unique and disjoint from `voters`.
    public private(set) var learners: [NodeID]

    /// Creates a configuration; a node listed in both sets is a voter.
    public init(voters: [NodeID], learners: [NodeID] = []) {
        let voterSet = Set(voters)
        self.voters = voterSet.sorted()
        self.learners = Set(learners).subtracting(voterSet).sorted()
    }

    /// Every member, voters and learners, sorted.
    public var members: [NodeID] { (voters + learners).sorted() }

    /// How many voters make a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    /// Whether `node` votes.
    public func isVoter(_ node: NodeID) -> Bool { voters.contains(node) }

    /// Whether `node` is a learner.
    public func isLearner(_ node: NodeID) -> Bool { learners.contains(node) }

    /// The configuration after `change`, or `invalidChange` when it does not apply.
    public func applying(_ change: MembershipChange) throws(RaftError) -> ClusterConfiguration {
        switch change {
        case .addLearner(let node):
            guard node != 0, !isVoter(node), !isLearner(node) else { throw .invalidChange }
            return ClusterConfiguration(voters: voters, learners: learners + [node])
        case .promoteLearner(let node):
            guard isLearner(node) else { throw .invalidChange }
            return ClusterConfiguration(voters: voters + [node], learners: learners.filter { $0 != node })
        case .remove(let node):
            guard isVoter(node) || isLearner(node) else { throw .invalidChange }
            guard !(isVoter(node) && voters.count == 1) else { throw .invalidChange }
            return ClusterConfiguration(voters: voters.filter { $0 != node }, learners: learners.filter { $0 != node })
        }
    }

    // MARK: - Encoding inside configuration entries

    /// The configuration as bytes, as stored in a `.configuration` entry.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        write(to: &writer)
        return writer.bytes
    }

    /// Decodes a configuration from entry bytes; nil when they are malformed.
    public init?(decoding bytes: [UInt8]) {
        var reader = BinaryReader(bytes)
        guard let configuration = ClusterConfiguration(from: &reader), reader.isAtEnd else { return nil }
        self = configuration
    }

    func write(to writer: inout BinaryWriter) {
        writer.write(UInt32(voters.count))
        for voter in voters { writer.write(voter) }
        writer.write(UInt32(learners.count))
        for learner in learners { writer.write(learner) }
    }

    init?(from reader: inout BinaryReader) {
        guard let voters = reader.readNodeList(), let learners = reader.readNodeList() else { return nil }
        self.init(voters: voters, learners: learners)
    }
}
