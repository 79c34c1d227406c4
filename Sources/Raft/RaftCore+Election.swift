// MARK: - Elections: PreVote, votes, CheckQuorum and the leader lease

extension RaftCore {
    /// Decides whether a message's term lets it through, changing term or role when it is newer.
    /// Follows etcd: a vote request inside a leader lease is ignored, pre-votes never change
    /// anyone's term, and a stale leader or pre-candidate is told the newer term.
    mutating func acceptTerm(of message: RaftMessage) -> Bool {
        if message.term > term {
            switch message.body {
            case .voteRequest(let request):
                let inLease = options.checkQuorum && leaderID != nil && electionElapsed < options.electionTimeoutTicks
                if inLease && !request.isLeadershipTransfer { return false }
                if request.isPreVote { return true }
                becomeFollower(term: message.term, leader: nil)
            case .voteResponse(let isPreVote, let granted) where isPreVote && granted:
                return true
            case .append, .heartbeat, .snapshotChunk:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: nil)
            }
            return true
        }
        if message.term < term {
            switch message.body {
            case .append, .heartbeat:
                // A stale leader (or a node stuck at a lower term after a partition) learns our
                // term from this and steps down, so no one stays stuck (etcd#9586 class).
                if options.checkQuorum || options.preVote {
                    outbox.append(self.message(.heartbeatResponse(readRound: 0), to: message.from))
                }
            case .voteRequest(let request) where request.isPreVote:
                outbox.append(self.message(.voteResponse(isPreVote: true, granted: false), to: message.from))
            default:
                break
            }
            return false
        }
        return true
    }

    /// Starts a pre-vote round (or an election when PreVote is off).
    mutating func campaign() {
        guard isPromotable, !hasUnappliedConfiguration else { return }
        if options.preVote {
            role = .preCandidate
            leaderID = nil
            votesReceived = [id: true]
            resetElectionTimer()
            requestVotes(isPreVote: true, isLeadershipTransfer: false)
        } else {
            startElection(isLeadershipTransfer: false)
        }
    }

    /// Bumps the term, votes for itself and asks the voters.
    mutating func startElection(isLeadershipTransfer: Bool) {
        if role == .leader { dropReads() }
        term += 1
        votedFor = id
        role = .candidate
        leaderID = nil
        votesReceived = [id: true]
        resetElectionTimer()
        requestVotes(isPreVote: false, isLeadershipTransfer: isLeadershipTransfer)
    }

    /// A committed configuration entry the state machine has not applied yet: campaigning now
    /// would use a configuration the rest of the node has not seen (etcd#12133 class).
    var hasUnappliedConfiguration: Bool {
        committedConfigurationIndex > log.appliedIndex
    }

    private mutating func requestVotes(isPreVote: Bool, isLeadershipTransfer: Bool) {
        if tallyVotes() == .won {
            if isPreVote { startElection(isLeadershipTransfer: false) } else { becomeLeader() }
            return
        }
        let request = RaftMessage.VoteRequest(isPreVote: isPreVote, lastLogIndex: log.lastIndex,
                                              lastLogTerm: log.lastTerm, isLeadershipTransfer: isLeadershipTransfer)
        let requestTerm = isPreVote ? term + 1 : term
        for voter in membership.voters where voter != id {
            let outgoing = message(.voteRequest(request), to: voter, term: requestTerm)
            // A real vote request goes out only once the self-vote is durable.
            if isPreVote { outbox.append(outgoing) } else { outboxAfterPersistence.append(outgoing) }
        }
    }

    mutating func handleVoteRequest(_ request: RaftMessage.VoteRequest, from candidate: NodeID, messageTerm: UInt64) {
        let canVote = votedFor == candidate
            || (votedFor == nil && leaderID == nil)
            || (request.isPreVote && messageTerm > term)
        let granted = canVote && log.isUpToDate(lastIndex: request.lastLogIndex, lastTerm: request.lastLogTerm)
        if request.isPreVote {
            let responseTerm = granted ? messageTerm : term
            outbox.append(message(.voteResponse(isPreVote: true, granted: granted), to: candidate, term: responseTerm))
        } else if granted {
            votedFor = candidate
            electionElapsed = 0
            // The vote is a promise: it leaves only after the hard state holding it is durable.
            outboxAfterPersistence.append(message(.voteResponse(isPreVote: false, granted: true), to: candidate))
        } else {
            outbox.append(message(.voteResponse(isPreVote: false, granted: false), to: candidate))
        }
    }

    mutating func handleVoteResponse(isPreVote: Bool, granted: Bool, from voter: NodeID, messageTerm: UInt64) {
        switch role {
        case .preCandidate where isPreVote:
            break
        case .candidate where !isPreVote && messageTerm == term:
            break
        default:
            return
        }
        if votesReceived[voter] == nil { votesReceived[voter] = granted }
        switch tallyVotes() {
        case .won:
            if role == .preCandidate { startElection(isLeadershipTransfer: false) } else { becomeLeader() }
        case .lost:
            becomeFollower(term: term, leader: nil)
        case .pending:
            break
        }
    }

    enum VoteOutcome { case won, lost, pending }

    func tallyVotes() -> VoteOutcome {
        var granted = 0
        var rejected = 0
        for voter in membership.voters {
            switch votesReceived[voter] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        if granted >= membership.quorum { return .won }
        if rejected > membership.voters.count - membership.quorum { return .lost }
        return .pending
    }

    /// CheckQuorum: whether a quorum of voters was heard from since the last check; resets it.
    mutating func quorumRecentlyActive() -> Bool {
        var active = 0
        for voter in membership.voters {
            if voter == id {
                active += 1
            } else if progress[voter]?.recentActive == true {
                active += 1
            }
        }
        for member in membership.members where member != id { progress[member]?.recentActive = false }
        return active >= membership.quorum
    }

    mutating func handleTimeoutNow(from sender: NodeID) {
        guard role != .leader, isPromotable, !hasUnappliedConfiguration else { return }
        startElection(isLeadershipTransfer: true)
    }
}
