import TensorCore
import Autograd
import Distributed
import Config
import Benchmarks

// The ```swift blocks of bucketed overlap and optimizer sharding (GradientBuckets, ParameterShards,
// CommunicationThread, GradientSynchronizer), each compiled inside a function.

enum ShardingExamples {
    static func buckets() {
        let buckets = GradientBuckets(segments: [0..<600, 600..<610, 610..<650, 650..<651],
                                      bucketElements: 500, firstBucketElements: 50)
        buckets.ranges        // [610..<651, 600..<610, 0..<600]: the last two parameters first
        buckets.bucket(ofParameter: 1)   // 1
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
                             index: [ObjectIdentifier: Int]) throws {
        for a in 0..<accumulation {
            let last = a == accumulation - 1
            let listen = sync.beginBackward(isLast: last)
            try loss.backward(onLeafGradientFinal: listen ? { sync.parameterFinal(index[ObjectIdentifier($0)]!) } : nil)
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
