import Foundation
import Testing
import TensorCore
import Datasets
import Distributed
import Config
import Training

// The ```swift blocks of the any-world-size tree (CanonicalTree, TreeLayout, TreeExchange,
// BlockAccumulator, DeterministicAllReduce, BatchPlan) and of resume steering, stop signals and
// restarts, each compiled inside a function.

enum TreeExamples {
    static func batchPlan(t: Int, split: DataSplit, train: TabularDataset) throws {
        let plan = try BatchPlan(globalBatch: 384, microBatch: 32, worldSize: 5, trainCount: 16_000)
        plan.microBatchesPerStep                                  // 12
        plan.block(ofRank: 1)                                     // 3..<6  (blocks of 3, 3, 2, 2, 2)
        let order = EpochPermutation(seed: 1).order(epoch: plan.epoch(ofStep: t), of: split.trainIndices)
        let rows = plan.microBatchIndices(step: t, rank: 1, accumulationStep: 2, permutation: order)
        let (x, y) = train.batch(indices: rows)
        _ = (x, y)
    }

    static func blockAccumulator(p: Int, myMicroBatchGradients: [Tensor], gradients: UnsafeMutableBufferPointer<Float>,
                                 comm: Communicator) throws {
        let tree = CanonicalTree(leaves: 12)
        let sum = BlockAccumulator(length: p, fragments: tree.fragments(of: tree.block(rank: 1, worldSize: 5)))
        for g in myMicroBatchGradients { sum.add(g) }       // 3 leaves: fragments 3..<4 and 4..<6
        try DeterministicAllReduce().sum(fragments: sum.fragmentBuffers, leaves: 12, into: gradients, over: comm)
    }

    static func canonicalTree() {
        let tree = CanonicalTree(leaves: 12)
        tree.block(rank: 0, worldSize: 5)       // 0..<3  (12 = 3 + 3 + 2 + 2 + 2)
        tree.fragments(of: 0..<3)               // [0..<2, 2..<3]
    }

    static func allReduce(gradients: UnsafeMutableBufferPointer<Float>, acc: BlockAccumulator, comm: Communicator) throws {
        let allReduce = DeterministicAllReduce()
        try allReduce.sum(gradients, over: comm)                                  // n = W
        try allReduce.sum(fragments: acc.fragmentBuffers, leaves: 12, into: gradients, over: comm)
    }

    static func exchange(sums: [UnsafeMutablePointer<Float>], layout: TreeLayout, p: Int, out: UnsafeMutablePointer<Float>,
                         comm: Communicator) throws {
        let exchange = TreeExchange()
        let mine = try exchange.reduceScatter(fragments: sums, layout: layout, range: 0..<p, into: out, over: comm)
        try exchange.allGather(out, range: 0..<p, over: comm)        // every rank: out[0..<p] = T(leaves)
        _ = mine
    }

    static func layout() {
        let layout = TreeLayout(tree: CanonicalTree(leaves: 12), worldSize: 5)
        layout.fragments                  // [0..<2, 2..<3, 3..<4, 4..<6, 6..<8, 8..<10, 10..<12]
        layout.firstFragment              // [0, 2, 4, 5, 6, 7]  (rank r owns firstFragment[r]..<firstFragment[r+1])
        layout.additions                  // [(0, 1)…]: the upper tree, children before parents
    }
}

enum RunControlExamples {
    static func differences(current: RunConfig, checkpointConfig: RunConfig) {
        let keys = current.differences(from: checkpointConfig).map(\.key)   // ["train.steps"]
        _ = keys
    }

    static func restart(run: TrainingRun) {
        run.restart = .init(number: 1, cause: "rank 2 exited on signal 9 (Killed)")
    }

    static func stop(run: TrainingRun) {
        StopSignal.install()
        run.stopRequest = StopSignal.requested      // TrainingRun checks it after every step
    }
}
