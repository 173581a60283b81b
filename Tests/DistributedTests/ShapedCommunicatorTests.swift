import Testing
import Foundation
import TensorCore
import Distributed

/// `ShapedCommunicator` charges the network model's time and changes no bits; `NetworkModel` parses
/// the `--network` specs and rejects anything else with one line.
struct ShapedCommunicatorTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// A message of b bytes takes at least α + b/β (a lower bound: sleeping never ends early), and not
    /// absurdly more. Both ranks see it, since both wait for the exchange.
    @Test func sendReceiveTakesAtLeastAlphaPlusBytesOverBeta() throws {
        // α = 3 ms, β = 0.1 Gbit/s = 12.5 MB/s: 40 KB take 3.2768 ms more, 6.2768 ms in all.
        let network = try NetworkModel(latencyMicroseconds: 3000, gigabitsPerSecond: 0.1)
        let floats = 10_240
        let expected = network.latencySeconds + Double(floats * 4) / network.bytesPerSecond
        #expect(abs(expected - 0.0062768) < 1e-9)
        let elapsed = try SimulatedWorld.run(ranks: 2) { comm -> Double in
            let shaped = ShapedCommunicator(comm, network: network)
            let send = [Float](repeating: Float(comm.rank), count: floats)
            var receive = [Float](repeating: -1, count: floats)
            return try Self.seconds {
                try send.withUnsafeBufferPointer { s in
                    try receive.withUnsafeMutableBufferPointer { r in
                        try shaped.sendReceive(send: s, to: 1 - comm.rank, receive: r, from: 1 - comm.rank)
                    }
                }
                #expect(receive.allSatisfy { $0 == Float(1 - comm.rank) })
            }
        }
        for (rank, t) in elapsed.enumerated() {
            #expect(t >= expected, "rank \(rank): \(t) s < α + b/β = \(expected) s")
            #expect(t < expected + 1, "rank \(rank): \(t) s, absurdly more than \(expected) s")
        }
    }

    /// The library allreduce is charged the ring's 2(W−1)α + 2(W−1)/W·b/β; a barrier ⌈lg W⌉α.
    @Test func collectivesAreChargedTheirAlgorithmsCost() throws {
        let network = try NetworkModel(latencyMicroseconds: 2000, gigabitsPerSecond: 0.1)
        let floats = 12_500   // 50 KB: 4 ms at 12.5 MB/s
        let ring = 2 * network.latencySeconds + 50_000 / network.bytesPerSecond   // W = 2: 8 ms
        let times = try SimulatedWorld.run(ranks: 2) { comm -> [Double] in
            let shaped = ShapedCommunicator(comm, network: network)
            var x = [Float](repeating: 1, count: floats)
            let allReduce = try Self.seconds { try x.withUnsafeMutableBufferPointer { try shaped.allReduceSum($0) } }
            #expect(x.allSatisfy { $0 == 2 })
            let barrier = try Self.seconds { try shaped.barrier() }
            return [allReduce, barrier]
        }
        for t in times {
            #expect(t[0] >= ring && t[0] < ring + 1)
            #expect(t[1] >= network.latencySeconds && t[1] < network.latencySeconds + 1)
        }
    }

    /// The deterministic allreduce through the shaper equals the one without it, bit for bit, on
    /// power-of-two and folded worlds and on both of its algorithms.
    @Test(arguments: [2, 3, 4], [0, 1 << 30])
    func changesNoBits(world: Int, doublingLimit: Int) throws {
        let network = try NetworkModel(parsing: "100gbit")
        func reduce(shaped: Bool) throws -> [[UInt32]] {
            try SimulatedWorld.run(ranks: world) { comm -> [UInt32] in
                let key = RandomKey(seed: 5, stream: .syntheticData, a: UInt32(comm.rank))
                var x = (0..<777).map { Float(key.normal(at: UInt64($0)) * pow(10, Double($0 % 5) - 2)) }
                let c: Communicator = shaped ? ShapedCommunicator(comm, network: network) : comm
                try x.withUnsafeMutableBufferPointer {
                    try DeterministicAllReduce(recursiveDoublingLimit: doublingLimit).sum($0, over: c)
                }
                return x.map(\.bitPattern)
            }
        }
        let plain = try reduce(shaped: false), shaped = try reduce(shaped: true)
        #expect(plain == shaped)
        #expect(Set(plain).count == 1, "every rank holds the same sum")
    }

    @Test func parsesPresetsAndLatencyCommaBandwidth() throws {
        let ten = try NetworkModel(parsing: "10gbit")
        #expect(ten.latencyMicroseconds == 5 && ten.gigabitsPerSecond == 10 && ten.bytesPerSecond == 1.25e9)
        #expect(try NetworkModel(parsing: "25GBIT").gigabitsPerSecond == 25)
        #expect(try NetworkModel(parsing: "100gbit").latencyMicroseconds == 1.5)
        let custom = try NetworkModel(parsing: "2.5,40")
        #expect(abs(custom.latencySeconds - 2.5e-6) < 1e-15 && custom.bytesPerSecond == 5e9)
        #expect(custom.transferSeconds(bytes: 5_000_000) == custom.latencySeconds + 1e-3)
    }

    @Test(arguments: ["", "10", "10gb", "fast", "5,", ",10", "5,10,1", "-1,10", "5,0", "5,-3", "nan,10", "5,inf"])
    func rejectsBadSpecsWithOneLine(spec: String) {
        do {
            _ = try NetworkModel(parsing: spec)
            Issue.record("'\(spec)' was accepted")
        } catch let error as NetworkModelError {
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("network"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// A world of one has no network: nothing is charged.
    @Test func worldOfOneIsNotCharged() throws {
        let shaped = ShapedCommunicator(LocalCommunicator(), network: try NetworkModel(latencyMicroseconds: 1e6, gigabitsPerSecond: 1))
        var x: [Float] = [1, 2]
        let t = try Self.seconds {
            try x.withUnsafeMutableBufferPointer { try shaped.allReduceSum($0) }
            try shaped.barrier()
        }
        #expect(t < 0.5 && x == [1, 2])
    }
}
