/// The Raft consensus core (placeholder until the core lands).
public struct RaftCore {}
