import Testing
@testable import Simulator

@Suite("SimulatedNetwork")
struct SimulatedNetworkTests {
    static func network(nodes: Int = 3, seed: UInt64 = 1, faults: LinkFaults = .healthy) -> SimulatedNetwork<Int> {
        SimulatedNetwork(nodeCount: nodes, random: SeededRandom(seed: seed), faults: faults)
    }

    @Test("a healthy link delivers every message once within its delay range")
    func healthyLinkDelivers() {
        var network = Self.network()
        for message in 0..<200 {
            let deliveries = network.send(from: 0, to: 1, message: message, at: 1_000)
            #expect(deliveries.count == 1)
            let delivery = deliveries[0]
            #expect(delivery.message == message && !delivery.isDuplicate)
            #expect((1_000 + LinkFaults.healthy.minimumDelay...1_000 + LinkFaults.healthy.maximumDelay).contains(delivery.deliverAt))
            #expect(network.arrive(delivery, at: delivery.deliverAt) == .deliver)
        }
        #expect(network.statistics.sent == 200 && network.statistics.delivered == 200)
    }

    @Test("drop probability 1 loses everything; 0.3 loses about three in ten")
    func dropProbability() {
        var lossless = Self.network(faults: LinkFaults(dropProbability: 1))
        #expect((0..<100).allSatisfy { lossless.send(from: 0, to: 1, message: $0, at: 0).isEmpty })
        var lossy = Self.network(faults: LinkFaults(dropProbability: 0.3))
        let delivered = (0..<10_000).map { lossy.send(from: 1, to: 2, message: $0, at: 0).count }.reduce(0, +)
        #expect(abs(delivered - 7_000) < 300)
        #expect(lossy.statistics.droppedRandomly == 10_000 - delivered)
    }

    @Test("duplication delivers a second copy of the same send")
    func duplication() {
        var network = Self.network(faults: LinkFaults(duplicateProbability: 1))
        let deliveries = network.send(from: 2, to: 0, message: 42, at: 0)
        #expect(deliveries.count == 2)
        #expect(deliveries.map(\.message) == [42, 42])
        #expect(deliveries[0].sendNumber == deliveries[1].sendNumber)
        #expect(deliveries.map(\.isDuplicate) == [false, true])
    }

    @Test("a fixed delay keeps order, and reordering lets later messages overtake earlier ones")
    func reordering() {
        func arrivalOrder(_ faults: LinkFaults) -> [Int] {
            var network = Self.network(faults: faults)
            let deliveries = (0..<100).flatMap { network.send(from: 0, to: 1, message: $0, at: UInt64($0) * 1_000) }
            return deliveries.sorted { ($0.deliverAt, $0.sendNumber) < ($1.deliverAt, $1.sendNumber) }.map(\.message)
        }
        let fixed = LinkFaults(minimumDelay: 5_000, maximumDelay: 5_000)
        #expect(arrivalOrder(fixed) == Array(0..<100))
        let reordering = LinkFaults(minimumDelay: 5_000, maximumDelay: 5_000, reorderProbability: 0.5, maximumReorderDelay: 50_000)
        let order = arrivalOrder(reordering)
        #expect(order.sorted() == Array(0..<100))
        #expect(order != Array(0..<100))
    }

    @Test("a symmetric partition cuts links between groups both ways and heals")
    func symmetricPartition() {
        var network = Self.network()
        network.partition([[0], [1, 2]])
        #expect(!network.isLinkUp(from: 0, to: 1, at: 0) && !network.isLinkUp(from: 1, to: 0, at: 0))
        #expect(!network.isLinkUp(from: 0, to: 2, at: 0) && !network.isLinkUp(from: 2, to: 0, at: 0))
        #expect(network.isLinkUp(from: 1, to: 2, at: 0) && network.isLinkUp(from: 2, to: 1, at: 0))
        #expect(network.send(from: 0, to: 1, message: 1, at: 0).isEmpty)
        #expect(network.statistics.droppedByPartition == 1)
        network.healPartitions()
        #expect(network.send(from: 0, to: 1, message: 1, at: 0).count == 1)
    }

    @Test("a one-way partition blocks one direction only")
    func oneWayPartition() {
        var network = Self.network()
        network.blockOneWay(from: [0], to: [1])
        #expect(!network.isLinkUp(from: 0, to: 1, at: 0))
        #expect(network.isLinkUp(from: 1, to: 0, at: 0))
        #expect(network.isLinkUp(from: 0, to: 2, at: 0))
    }

    @Test("isolating a node cuts it from everyone while the others still talk")
    func isolation() {
        var network = Self.network(nodes: 5)
        network.isolate(3)
        for other in [0, 1, 2, 4] {
            #expect(!network.isLinkUp(from: 3, to: other, at: 0))
            #expect(!network.isLinkUp(from: other, to: 3, at: 0))
        }
        #expect(network.isLinkUp(from: 0, to: 4, at: 0))
    }

    @Test("a message in flight when its link goes down is lost on arrival")
    func inFlightMessageLostToPartition() {
        var network = Self.network()
        let delivery = network.send(from: 0, to: 1, message: 7, at: 0)[0]
        network.isolate(1)
        #expect(network.arrive(delivery, at: delivery.deliverAt) == .droppedByPartition)
    }

    @Test("a clogged link holds messages without losing them and releases them in order")
    func cloggingHoldsAndReleases() {
        var network = Self.network()
        let inFlight = network.send(from: 0, to: 1, message: 0, at: 0)[0]
        network.clog(from: 0, to: 1)
        #expect(network.isClogged(from: 0, to: 1))
        #expect(network.isLinkUp(from: 0, to: 1, at: 0))
        #expect(network.arrive(inFlight, at: inFlight.deliverAt) == .heldByClog)
        for message in 1...5 {
            #expect(network.send(from: 0, to: 1, message: message, at: 10).isEmpty)
        }
        #expect(network.send(from: 1, to: 0, message: 99, at: 10).count == 1)
        let released = network.unclog(from: 0, to: 1, at: 1_000_000)
        #expect(released.map(\.message) == [0, 1, 2, 3, 4, 5])
        #expect(released.allSatisfy { $0.deliverAt > 1_000_000 })
        #expect(zip(released, released.dropFirst()).allSatisfy { $0.deliverAt <= $1.deliverAt })
        #expect(!network.isClogged(from: 0, to: 1))
        #expect(network.unclog(from: 0, to: 1, at: 2_000_000).isEmpty)
    }

    @Test("unclogging all links releases every held message")
    func unclogAllReleasesEverything() {
        var network = Self.network()
        network.clog(from: 0, to: 1)
        network.clog(from: 2, to: 0)
        _ = network.send(from: 0, to: 1, message: 1, at: 0)
        _ = network.send(from: 2, to: 0, message: 2, at: 0)
        #expect(network.unclogAll(at: 10).map(\.message).sorted() == [1, 2])
    }

    @Test("a flapping link alternates down and up every period until stopped")
    func flapping() {
        var network = Self.network()
        network.startFlapping(from: 0, to: 1, period: 100, at: 1_000)
        #expect(!network.isLinkUp(from: 0, to: 1, at: 1_050))
        #expect(network.isLinkUp(from: 0, to: 1, at: 1_150))
        #expect(!network.isLinkUp(from: 0, to: 1, at: 1_250))
        #expect(network.isLinkUp(from: 1, to: 0, at: 1_050))
        network.stopFlapping(from: 0, to: 1)
        #expect(network.isLinkUp(from: 0, to: 1, at: 1_250))
    }

    @Test("per-link faults apply to their link only")
    func perLinkFaults() {
        var network = Self.network()
        network.setFaults(LinkFaults(dropProbability: 1), from: 0, to: 1)
        #expect(network.faults(from: 0, to: 1).dropProbability == 1)
        #expect(network.send(from: 0, to: 1, message: 1, at: 0).isEmpty)
        #expect(network.send(from: 1, to: 0, message: 1, at: 0).count == 1)
        network.setFaultsOnAllLinks(.healthy)
        #expect(network.send(from: 0, to: 1, message: 1, at: 0).count == 1)
    }

    @Test("the same seed and sends give the same deliveries; another seed does not")
    func deterministicFromSeed() {
        func run(_ seed: UInt64) -> [UInt64] {
            var network = Self.network(seed: seed, faults: LinkFaults(dropProbability: 0.1, duplicateProbability: 0.1, reorderProbability: 0.2))
            return (0..<300).flatMap { network.send(from: $0 % 3, to: ($0 + 1) % 3, message: $0, at: UInt64($0)) }.map(\.deliverAt)
        }
        #expect(run(5) == run(5))
        #expect(run(5) != run(6))
    }

    @Test("sending into an event queue schedules each delivery at its arrival time")
    func sendIntoQueue() {
        var network = Self.network(faults: LinkFaults(duplicateProbability: 1))
        var queue = EventQueue<Delivery<Int>>()
        network.send(from: 0, to: 2, message: 8, at: 100, into: &queue, as: { $0 })
        #expect(queue.count == 2)
        while let entry = queue.popNext() {
            #expect(entry.time == entry.event.deliverAt)
            #expect(entry.event.message == 8)
        }
    }
}
