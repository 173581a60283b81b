import Datasets
import Testing

@Suite struct EpochPermutationTests {
    @Test(arguments: [0, 1, 2, 3, 10, 1_000, 16_001])
    func isAPermutation(count: Int) {
        let order = EpochPermutation(seed: 7).positions(epoch: 2, count: count)
        #expect(order.sorted() == Array(0..<count))
    }

    @Test func deterministicAndDifferentByEpochAndSeed() {
        let permutation = EpochPermutation(seed: 42)
        let epoch0 = permutation.positions(epoch: 0, count: 1_000)
        #expect(EpochPermutation(seed: 42).positions(epoch: 0, count: 1_000) == epoch0)
        #expect(permutation.positions(epoch: 1, count: 1_000) != epoch0)
        #expect(EpochPermutation(seed: 43).positions(epoch: 0, count: 1_000) != epoch0)
        #expect(epoch0 != Array(0..<1_000))
    }

    @Test func pinnedOrder() {
        // Resuming a run with a newer Lockstep must replay the same data order: any change to the
        // shuffle algorithm, the key layout or the draw order shows up here.
        #expect(EpochPermutation(seed: 42).positions(epoch: 0, count: 10) == [0, 8, 9, 7, 4, 1, 5, 3, 2, 6])   // checked against an independent Python Philox
    }

    @Test func noShuffleIsTheIdentity() {
        let permutation = EpochPermutation(seed: 42, shuffle: false)
        #expect(permutation.positions(epoch: 5, count: 100) == Array(0..<100))
        #expect(permutation.order(epoch: 5, of: [9, 4, 7]) == [9, 4, 7])
    }

    @Test func ordersGivenIndices() {
        let indices = [3, 5, 8, 13, 21, 34, 55]
        let permutation = EpochPermutation(seed: 1)
        let positions = permutation.positions(epoch: 4, count: indices.count)
        #expect(permutation.order(epoch: 4, of: indices) == positions.map { indices[$0] })
    }

    @Test func allOrdersEquallyLikely() {
        // Over 6,000 epochs each of the 6 orders of 3 items should appear ≈ 1,000 times (sd ≈ 29).
        var counts: [[Int]: Int] = [:]
        let permutation = EpochPermutation(seed: 99)
        for epoch in 0..<6_000 { counts[permutation.positions(epoch: epoch, count: 3), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { abs($0 - 1_000) < 150 }, "\(counts)")
    }
}

@Suite struct DataSplitTests {
    @Test func partitionsTheRows() throws {
        let split = try DataSplit(count: 1_000, validationFraction: 0.2, seed: 3)
        #expect(split.validationIndices.count == 200)
        #expect(split.trainIndices.count == 800)
        #expect((split.trainIndices + split.validationIndices).sorted() == Array(0..<1_000))
        #expect(split.trainIndices == split.trainIndices.sorted())
        #expect(split.validationIndices == split.validationIndices.sorted())
        #expect(split.validationIndices != Array(0..<200))
    }

    @Test func deterministicBySeed() throws {
        let a = try DataSplit(count: 500, validationFraction: 0.1, seed: 3)
        #expect(try DataSplit(count: 500, validationFraction: 0.1, seed: 3) == a)
        #expect(try DataSplit(count: 500, validationFraction: 0.1, seed: 4) != a)
    }

    @Test func smallFractionsStillValidate() throws {
        #expect(try DataSplit(count: 5, validationFraction: 0.01, seed: 1).validationIndices.count == 1)
        #expect(try DataSplit(count: 5, validationFraction: 0, seed: 1).trainIndices == Array(0..<5))
    }

    @Test func rejectsBadFractions() {
        #expect(throws: DatasetError.self) { try DataSplit(count: 10, validationFraction: 1, seed: 1) }
        #expect(throws: DatasetError.self) { try DataSplit(count: 10, validationFraction: -0.1, seed: 1) }
        #expect(throws: DatasetError.self) { try DataSplit(count: 1, validationFraction: 0.5, seed: 1) }
        #expect(throws: DatasetError.self) { try DataSplit(count: 0, validationFraction: 0.2, seed: 1) }
    }

    @Test func appliesToADataset() throws {
        let data = TabularDataset(featureNames: ["x"], features: (0..<10).map(Float.init),
                                  targets: (0..<10).map { Float($0 % 2) }, task: .binaryClassification)
        let split = try DataSplit(count: 10, validationFraction: 0.3, seed: 2)
        let (train, validation) = split.apply(to: data)
        #expect(train.features == split.trainIndices.map(Float.init))
        #expect(validation.targets == split.validationIndices.map { Float($0 % 2) })
    }
}
