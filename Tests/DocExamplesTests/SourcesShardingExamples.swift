import TensorCore
import Autograd
import Distributed
import Config
import Benchmarks

// The ```swift blocks of bucketed overlap and optimizer sharding (GradientBuckets, ParameterShards,
// CommunicationThread, GradientSynchronizer), each compiled inside a function.

enum ShardingExamples {
    static func buckets() {
        let buckets = GradientBuckets(segments: [0..<30, 30..<60, 60..<90, 90..<400, 400..<410],
                                      bucketElements: 500, firstBucketElements: 50)
        buckets.ranges                  // [90..<410, 30..<90, 0..<30]: a first bucket closed at 320,
                                        // then 0..<90, the last, cut again by 50
        buckets.bucket(containing: 45)  // 1
    }

    static func panels() {
        Tensor.linearWeightGradientPanels(outFeatures: 1024, inFeatures: 1024)
        // [786432..<1048576, 524288..<786432, 262144..<524288, 0..<262144]: rows 768… first
        Tensor.linearWeightGradientPanels(outFeatures: 64, inFeatures: 20)   // [0..<1280]
    }

    static func clock() {
        let deadline = MonotonicClock.nanoseconds + 1_700_000      // 1.7 ms from now
        MonotonicClock.sleep(until: deadline)
    }

    static func shards() {
        let shards = ParameterShards(count: 10_000, worldSize: 3, alignment: 1024)
        shards.shard(ofRank: 0)        // 0..<4096 (blocks 0–3)
        shards.shard(ofRank: 2)        // 7168..<10000
    }

    static func thread(allReduce: DeterministicAllReduce, bucket: UnsafeMutableBufferPointer<Float>, comm: Communicator) throws {
        let thread = CommunicationThread(name: "rank-0-comm")
        thread.submit { try allReduce.sum(bucket, over: comm) }
        try thread.wait()                     // every job done, or the first error
        thread.stop()
    }

    static func synchronizer(sync: GradientSynchronizer, accumulation: Int, loss: Tensor,
                             offset: [ObjectIdentifier: Int]) throws {
        for a in 0..<accumulation {
            let last = a == accumulation - 1
            let listen = sync.beginBackward(isLast: last)
            try loss.backward(onLeafGradientFinal: listen ? { leaf, elements in
                let o = offset[ObjectIdentifier(leaf)]!          // the leaf's start in the flat buffer
                sync.elementsFinal(o + elements.lowerBound ..< o + elements.upperBound)
            } : nil)
            sync.endBackward(isLast: last)          // (after binding absent gradients to zeros)
        }
        try sync.finish()                           // the sum (or this rank's shard of it) is in `gradients`
    }
}

enum ShardingBenchExamples {
    static func optimizerState(wide: RunConfig) throws {
        let row = try OptimizerStateMemory(name: "wide-mlp", config: wide).measure(ranks: 4)
        print(row.line)     // optimizer_state model=wide-mlp … ranks=4 sharded_bytes_per_rank=… ratio=0.2500
    }
}
