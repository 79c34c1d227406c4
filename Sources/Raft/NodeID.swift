/// Identifies one server of a Raft group. Zero is reserved for "no node".
public typealias NodeID = UInt64
