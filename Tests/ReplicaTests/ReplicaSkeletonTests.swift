import Testing
@testable import Replica

@Test("the replica module builds") func replicaBuilds() { #expect(ReplicaConfiguration(nodeID: 1, initialMembers: .init(voters: [1]), randomSeed: 1).nodeID == 1) }
