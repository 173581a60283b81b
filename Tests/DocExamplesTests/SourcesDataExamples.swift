import Foundation
import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Distributed
import DistributedMPI
@testable import Checkpointing
import Crypto

// The ```swift blocks of the `///` comments in Datasets, Distributed, DistributedMPI and
// Checkpointing, each compiled inside a function (Checkpointing's internal RegularFile needs the
// @testable import).

enum DatasetsExamples {
    static func keyedPermutation(epoch: UInt32, p: Int) {
        let order = KeyedPermutation(count: 2_000_000, key: RandomKey(seed: 7, stream: .shuffle, a: epoch))
        let sample = order.index(at: p)          // the sample visited p-th
        assert(order.position(of: sample) == p)
    }

    static func aucExamples() {
        auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])   // 0.75
        auc(scores: [0.5, 0.5], labels: [0, 1])                     // 0.5 (a tie)
    }

    static func aucAccumulator() {
        var accumulator = AUCAccumulator()
        accumulator.add(score: 0.3, label: 1)
        accumulator.add(score: -1.2, label: 0)
        accumulator.value()   // 1.0
    }

    static func batchPlan(t: Int, split: DataSplit, train: TabularDataset) throws {
        let plan = try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 2, trainCount: 16_000)
        plan.accumulationSteps                                    // 4
        let order = EpochPermutation(seed: 1).order(epoch: plan.epoch(ofStep: t), of: split.trainIndices)
        let rows = plan.microBatchIndices(step: t, rank: 1, accumulationStep: 2, permutation: order)
        let (x, y) = train.batch(indices: rows)
        _ = (x, y)
    }

    static func csvRowDecoder(layout: TableLayout, line: Range<Int>, bytes: UnsafeBufferPointer<UInt8>) throws {
        var decoder = CSVRowDecoder(layout: layout, path: "patients.csv", refusesMissing: true)
        var row = [Float](repeating: 0, count: layout.featureNames.count)
        let label = try decoder.decode(line, of: bytes, lineNumber: 2, into: &row)
        _ = label
    }

    static func dataFile() throws {
        let file = try DataFile.open("configs/data/digits.csv")
        defer { close(file.descriptor) }
        print(file.size)
    }

    static func csv() throws {
        let digits = try CSVLoader(labelColumn: "digit").load(path: "configs/data/digits.csv")
        (digits.count, digits.featureCount, digits.task)   // (1797, 64, .multiclass(classes: 10))
    }

    static func dataSplit(data: TabularDataset) throws {
        let split = try DataSplit(count: data.count, validationFraction: 0.2, seed: 7)
        let (train, validation) = split.apply(to: data)
        _ = (train, validation)
    }

    static func datasetError() {
        do {
            _ = try CSVLoader(labelColumn: "digit").load(path: "configs/data/digits.csv")
        } catch {
            print(error)   // configs/data/digits.csv:12: column "p3" (4): "x" is not a number
        }
    }

    static func epochPermutation(split: DataSplit) {
        let permutation = EpochPermutation(seed: 42)
        let order = permutation.order(epoch: 3, of: split.trainIndices)   // dataset indices, epoch-3 order
        _ = order
    }

    static func standardizer(train: TabularDataset, validation: TabularDataset) {
        let standardizer = Standardizer(fitting: train)
        let trainZ = standardizer.apply(to: train), validationZ = standardizer.apply(to: validation)
        _ = (trainZ, validationZ)
    }

    static func clinical() {
        let clinical = SyntheticClinical(seed: 2024)
        let train = clinical.dataset(count: 16_000)                             // samples 0..<16000
        let test = clinical.dataset(count: 100_000, firstSample: 1_000_000)    // disjoint samples
        SyntheticClinical.trueProbability(features: train.row(0))             // p(readmission | x)
        _ = test
    }

    static func wide() {
        let data = SyntheticWide(seed: 7, features: 1024, classes: 10).dataset(count: 4096)
        _ = data
    }

    static func hiddenMarkovModel() throws {
        let model = try HiddenMarkovModel(transition: [[0.9, 0.1], [0.2, 0.8]],
                                          emission: [[0.7, 0.3], [0.1, 0.9]])
        model.initial                                      // [2/3, 1/3], the stationary distribution
    }

    static func hiddenMarkovFilter(model: HiddenMarkovModel) {
        var filter = HiddenMarkovFilter(model: model)
        let first = filter.observe(1)       // −log p(x_0 = 1)
        let second = filter.observe(0)      // −log p(x_1 = 0 | x_0 = 1)
        _ = (first, second)
    }

    static func syntheticLanguage() throws {
        let language = try SyntheticLanguage(seed: 7)                  // 64 states, 64 tokens
        let tokens = language.tokens(0..<1_000)                        // [Int32], the stream's first 1,000
        let (training, validation) = try language.windows(context: 64, validationTokens: 65_537,
                                                           trainingTokens: 4_194_305)
        let bound = try language.bound(windows: validation)            // nats per token, ≈ 2.0
        _ = (tokens, training, bound)
    }

    static func syntheticLanguageGenerator(language: SyntheticLanguage) {
        var generator = language.generator(at: 1_000_000)
        let (state, token) = generator.next()              // position 1,000,000
        var chunk = [Int32](repeating: 0, count: 4_096)
        chunk.withUnsafeMutableBufferPointer { generator.fill($0) }   // positions 1,000,001 …
        _ = (state, token)
    }

    static func syntheticLanguageLosses(language: SyntheticLanguage, validation: TokenWindows) throws {
        let losses = try language.losses(windows: validation)
        (losses.bound, losses.bigram, losses.unigram)          // (2.03, 2.88, 4.02) for seed 7's defaults
        losses.boundByTarget[0]                                // target 0 sees one token: the bigram's loss
    }

    static func syntheticLanguageEntropy(language: SyntheticLanguage) {
        let rate = language.entropyRate(tokens: 1_000_000)       // rate ± standardError
        let bracket = language.entropyBracket(context: 64, samples: 20_000)
        (bracket.lower, bracket.upper)                           // the rate lies between, up to sampling error
        _ = rate
    }

    static func tokenWindows(stream: [Int32]) throws {
        let windows = try TokenWindows(tokens: stream, context: 64)
        let window = windows.window(0)                             // 65 tokens
        var inputs = [Int32](repeating: 0, count: 64), targets = inputs
        inputs.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in windows.copyWindow(5, inputs: x, targets: y) }
        }
        _ = window
    }

    static func tabular() {
        let data = TabularDataset(featureNames: ["x", "y"], features: [1, 2, 3, 4, 5, 6],
                                  targets: [0, 1, 1], task: .binaryClassification)
        let (inputs, targets) = data.batch(indices: [2, 0])   // inputs (2, 2): [5, 6, 1, 2]; targets (2, 1): [1, 0]
        _ = (inputs, targets)
    }
}

enum DistributedExamples {
    static func communicator(comm: Communicator, gradients: UnsafeMutableBufferPointer<Float>) throws {
        try comm.allReduceSum(gradients)   // every rank ends with the sum
    }

    static func deterministic(comm: Communicator, gradients: UnsafeMutableBufferPointer<Float>) throws {
        let allReduce = DeterministicAllReduce()
        try allReduce.sum(gradients, over: comm)
    }

    static func reducer(comm: Communicator, flat: FlatParameters, acc: BlockAccumulator) throws {
        let reducer = GradientReducer(mode: .deterministic, communicator: comm)
        let gradients = UnsafeMutableBufferPointer(start: flat.gradients.floats, count: flat.gradients.count)
        try reducer.reduce(fragments: acc.fragmentBuffers, leaves: 12, into: gradients)   // Σ over ranks
    }

    static func pairwise(p: Int, microBatchGradients: [Tensor], total: UnsafeMutablePointer<Float>) {
        let sum = PairwiseAccumulator(length: p)
        for g in microBatchGradients { sum.add(g) }
        sum.result(into: total)
    }

    static func replicaDigest(model: Module, comm: Communicator) throws {
        let diverged = try ReplicaDigest.mismatchedRanks(ReplicaDigest.hash(model.stateDict().map(\.tensor)), over: comm)
        _ = diverged
    }

    static func simulated() throws {
        let sums = try SimulatedWorld.run(ranks: 4) { comm in
            var x: [Float] = [Float(comm.rank)]
            try x.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
            return x[0]                                  // 6 on every rank
        }
        _ = sums
    }
}

enum MPIExamples {
    static func communicator(gradients: UnsafeMutableBufferPointer<Float>, parameterBytes: UnsafeMutableRawBufferPointer) throws {
        let comm = try MPIRuntime.start()
        try comm.allReduceSum(gradients)            // MPI_Allreduce, MPI_IN_PLACE, MPI_SUM
        try comm.broadcast(parameterBytes, root: 0) // MPI_Bcast
        try MPIRuntime.finish()
    }

    static func error(comm: MPICommunicator, s: UnsafeBufferPointer<Float>, r: UnsafeMutableBufferPointer<Float>) {
        do { try comm.sendReceive(send: s, to: 99, receive: r, from: 99) }
        catch let error as MPIError { print(error) }
        // MPI_Sendrecv failed: MPI_ERR_RANK: invalid rank (MPI error 6)
        catch { print(error) }
    }

    static func runtime(train: (MPICommunicator) throws -> Void) throws {
        if MPIRuntime.isLaunchedByMPI {
            let comm = try MPIRuntime.start()      // MPI_Init_thread, errors return as codes
            defer { try? MPIRuntime.finish() }     // MPI_Finalize (on success paths only; see below)
            try train(comm)                        // on failure: comm.abort(reason:) ends every rank
        }
    }
}

enum CheckpointingExamples {
    static func outputTarget() throws {
        switch try OutputTarget.resolve("preds.csv") {
        case .replace(let file): print("temporary beside \(file), renamed over it")
        case .writeThrough: print("written through a descriptor, never renamed")
        }
    }

    static func fileIdentity() throws {
        if try FileIdentity(of: "out/../in.csv") == FileIdentity(of: "in.csv") { print("the same file") }
    }

    static func folderLock() throws {
        let lock = try FolderLock.acquire("runs/x", purpose: "lockstep train")   // or: runs/x: in use by pid 4711 (lockstep train) …
        defer { lock.release() }
    }

    static func atomic() throws {
        try AtomicFile.write(Array("step-00000100.safetensors\n".utf8), to: "run/latest")
    }

    static func directory(archive: SafetensorsArchive) throws {
        let checkpoints = CheckpointDirectory(path: "runs/exp1/checkpoints", keep: 3)
        try checkpoints.save(archive, step: 100)          // runs/exp1/checkpoints/step-00000100.safetensors
        let resumed = try checkpoints.resume { path in  // on resume: the newest checkpoint that loads
            try SafetensorsArchive(contentsOf: path)
        }
        _ = resumed
    }

    static func error() {
        do { _ = try SafetensorsArchive(contentsOf: "run/step-00000100.safetensors") }
        catch let error as CheckpointError where error.kind == .truncated { print(error) }
        // run/step-00000100.safetensors: truncated: tensor 'fc.weight' ends at data byte 2048, but the data section has 1000 bytes
        catch { print(error) }
    }

    static func contentDigest(archive: inout SafetensorsArchive, loaded: SafetensorsArchive, path: String) throws {
        archive.recordDigests()                        // before writing
        try loaded.verifyDigests(source: path)         // after reading: throws on any change
    }

    static func regularFile() throws {
        let file = try RegularFile(path: "run/model.safetensors")
        defer { file.close() }
        var prefix = [UInt8](repeating: 0, count: 8)
        try prefix.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
    }

    static func paramsDigest(archive: inout SafetensorsArchive, loaded: SafetensorsArchive, path: String) throws {
        archive.recordParamsSHA256()                 // before writing
        try loaded.verifyParamsSHA256(source: path)  // after reading
    }

    static func digestHex() {
        SHA256.hash(data: Array("abc".utf8)).hex   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    }

    static func archive(weight: Tensor, bias: Tensor) throws {
        let archive = SafetensorsArchive(
            tensors: [("fc.weight", weight), ("fc.bias", bias)],
            metadata: ["step": "100"])
        try archive.write(to: "run/step-00000100.safetensors")          // atomic
        let back = try SafetensorsArchive(contentsOf: "run/step-00000100.safetensors")
        back["fc.bias"]?.shape                                            // [10]
    }

    static func spec(archive: SafetensorsArchive, path: String) throws {
        let expected = [TensorSpec(name: "layer1.weight", shape: [64, 20], dtype: .float32)]
        try archive.validate(against: expected, source: path)
        // run/model.safetensors: tensor 'layer1.weight' has shape [32, 20], expected [64, 20]
    }

    static func outputDirectory() throws {
        try OutputDirectory.check("runs/x", files: ["model.safetensors", "summary.json"])
        // … load data, build the model …
        try OutputDirectory.create("runs/x")
    }
}
