import Testing
import TensorCore
@testable import Datasets

@Suite("keyed permutation")
struct KeyedPermutationTests {
    static func key(_ a: UInt32 = 0) -> RandomKey { RandomKey(seed: 7, stream: .shuffle, a: a) }

    @Test("a bijection of 0..<n whose inverse undoes it, for every n up to 300 and some large ones")
    func bijection() {
        for n in Array(0...300) + [1_023, 1_024, 1_025, 4_097, 65_537] {
            let p = KeyedPermutation(count: n, key: Self.key(UInt32(n)))
            var seen = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let position = p.position(of: i)
                #expect(position >= 0 && position < n && !seen[position], "n = \(n): \(i) → \(position)")
                seen[position] = true
                #expect(p.index(at: position) == i)
            }
        }
    }

    @Test("a pure function of key and count; another key gives another order")
    func determinism() {
        let n = 10_000
        let a = (0..<n).map(KeyedPermutation(count: n, key: Self.key(1)).index(at:))
        let b = (0..<n).map(KeyedPermutation(count: n, key: Self.key(1)).index(at:))
        let c = (0..<n).map(KeyedPermutation(count: n, key: Self.key(2)).index(at:))
        #expect(a == b && a != c)
        #expect(a != Array(0..<n), "the identity is no shuffle")
    }

    @Test("it shuffles: where index 0 lands over 4,000 keys is spread over all quarters of 0..<1000")
    func spread() {
        var quarters = [0, 0, 0, 0]
        for a in 0..<4_000 { quarters[KeyedPermutation(count: 1_000, key: Self.key(UInt32(a))).position(of: 0) / 250] += 1 }
        #expect(quarters.allSatisfy { $0 > 850 && $0 < 1_150 }, "\(quarters)")
        // Neighbours do not stay neighbours.
        let p = KeyedPermutation(count: 1_000_000, key: Self.key(9))
        let gaps = (0..<1_000).map { abs(p.position(of: $0 + 1) - p.position(of: $0)) }
        #expect(gaps.filter { $0 < 1_000 }.count < 20, "adjacent indices land close together too often")
    }
}
