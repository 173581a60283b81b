import Testing
import TensorCore

struct KernelTests {
    @Test func broadcastingPatterns() {
        let a = Tensor(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(a.zip(Tensor(float32: [10, 20, 30], shape: [3]), .add)!.floatArray == [11, 22, 33, 14, 25, 36])
        #expect(a.zip(Tensor(float32: [10, 20], shape: [2, 1]), .add)!.floatArray == [11, 12, 13, 24, 25, 26])
        #expect(a.zip(Tensor(float32: [2], shape: []), .multiply)!.floatArray == [2, 4, 6, 8, 10, 12])
        #expect(Tensor(float32: [1, 2], shape: [2, 1]).zip(Tensor(float32: [10, 20, 30], shape: [1, 3]), .add)!.floatArray
                == [11, 21, 31, 12, 22, 32])
        #expect(a.zip(Tensor(float32: [1, 2], shape: [2]), .add) == nil)
        #expect(broadcastShape([4, 1, 3], [2, 1]) == [4, 2, 3])
    }

    @Test func matrixProductMatchesHandComputation() {
        let a = Tensor(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]), b = Tensor(float32: [7, 8, 9, 10, 11, 12], shape: [3, 2])
        #expect(a.matrixProduct(b)!.floatArray == [58, 64, 139, 154])
        #expect(a.matrixProduct(a, transposeOther: true)!.floatArray == [14, 32, 32, 77])
        #expect(a.matrixProduct(a, transposeSelf: true)!.shape == [3, 3])
        #expect(a.transposed().floatArray == [1, 4, 2, 5, 3, 6])
    }

    @Test func sumToShapeIsTheAdjointOfBroadcasting() {
        let g = Tensor(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(g.sumToShape([3]).floatArray == [5, 7, 9])
        #expect(g.sumToShape([2, 1]).floatArray == [6, 15])
        #expect(g.sumToShape([]).floatArray == [21])
    }

    @Test func philoxMatchesTheRandom123KnownAnswers() {
        // Known-answer vectors of philox4x32-10 from Random123's kat_vectors.
        let zero = Philox4x32(seed: 0).block(counter: (0, 0, 0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox4x32(seed: 0xffff_ffff_ffff_ffff).block(counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox4x32(seed: 0x299f_31d0_a409_3822).block(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test func eightBlocksAtOnceMatchOneAtATime() {
        // Including a counter that wraps around 2^32 inside the eight lanes.
        for (seed, first) in [(UInt64(0x299f_31d0_a409_3822), UInt32(0x243f_6a88)), (7, 0xffff_fffc)] {
            let philox = Philox4x32(seed: seed)
            let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
            let eight = philox.blocks(counter0: SIMD8(repeating: first) &+ lanes, 0x85a3_08d3, 0x1319_8a2e, 2)
            for j in 0..<8 {
                let one = philox.block(counter: (first &+ UInt32(j), 0x85a3_08d3, 0x1319_8a2e, 2))
                #expect([eight.0[j], eight.1[j], eight.2[j], eight.3[j]] == [one.0, one.1, one.2, one.3], "lane \(j)")
            }
        }
    }

    @Test func keepMaskIsTheUniformDrawRuleAtEveryLength() {
        // 70 = two vector passes of 32, one block of 4, a tail of 2.
        let key = RandomKey(seed: 7, stream: .dropout, a: 3, b: 11)
        for count in [2, 4, 32, 36, 70] {
            var mask = [Float](repeating: -1, count: count)
            key.fillKeepMask(&mask, count: count, first: 1 << 24, dropProbability: 0.3, scale: 2)
            let expected = (0..<count).map { key.uniformFloat(at: (1 << 24) + UInt64($0)) >= 0.3 ? Float(2) : 0 }
            #expect(mask == expected, "count \(count)")
        }
    }

    @Test func randomDrawsArePureFunctionsOfTheirCoordinates() {
        let key = RandomKey(seed: 7, stream: .dropout, a: 3, b: 11)
        #expect(key.uniformFloat(at: 5) == RandomKey(seed: 7, stream: .dropout, a: 3, b: 11).uniformFloat(at: 5))
        #expect(key.uniformFloat(at: 5) != key.with(b: 12).uniformFloat(at: 5))
        let draws = (0..<10_000).map { key.uniformDouble(at: UInt64($0)) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(Swift.abs(mean - 0.5) < 0.01)
        let normals = (0..<10_000).map { key.normal(at: UInt64($0)) }
        let nm = normals.reduce(0, +) / 1e4, nv = normals.map { ($0 - nm) * ($0 - nm) }.reduce(0, +) / 1e4
        #expect(Swift.abs(nm) < 0.05 && Swift.abs(nv - 1) < 0.05)
    }

    @Test func viewsShareStorageAndRebindMovesIt() {
        let t = Tensor(float32: [1, 2, 3, 4], shape: [2, 2])
        let v = t.view([4])
        v.setElement(0, 9)
        #expect(t[0, 0] == 9)
        let flat = TensorStorage(zeroedByteCount: 64)
        t.rebind(to: flat, offset: 2)
        #expect(t.floatArray == [9, 2, 3, 4])
        #expect(Tensor(storage: flat, shape: [6], dtype: .float32).floatArray == [0, 0, 9, 2, 3, 4])
    }
}
