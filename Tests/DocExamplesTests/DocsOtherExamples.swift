import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Distributed
import DistributedMPI
import Config
import Training
import Introspection

// The ```swift blocks of docs/config.md, datasets.md, introspection.md and mpi.md, each compiled
// inside a function whose parameters stand for what the surrounding prose has defined.

enum ConfigDocs {
    static func fromSwift(comm: Communicator) throws {
        let config = try RunConfig.load(path: "configs/clinical-mlp.yaml", overrides: ["train.steps=30"])
        let plan = try config.layerShapes()                       // [ResolvedLayer]: name, type, in/out features
        let A = try config.accumulationSteps(worldSize: comm.worldSize)
        let lr = config.learningRate                              // after lr_scaling
        let digest = config.configDigest
        _ = (plan, A, lr, digest)
    }
}

enum DatasetsDocs {
    static func pipeline(comm: Communicator, t: Int) throws {
        let data = SyntheticClinical(seed: 7).dataset(count: 20_000)
        let split = try DataSplit(count: data.count, validationFraction: 0.2, seed: 7)
        var (train, validation) = split.apply(to: data)
        let standardizer = Standardizer(fitting: train)
        (train, validation) = (standardizer.apply(to: train), standardizer.apply(to: validation))

        let plan = try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: comm.worldSize, trainCount: train.count)
        let order = EpochPermutation(seed: 7).positions(epoch: plan.epoch(ofStep: t), count: train.count)
        for a in 0..<plan.accumulationSteps(rank: comm.rank) {
            let rows = plan.microBatchIndices(step: t, rank: comm.rank, accumulationStep: a, permutation: order)
            let (x, y) = train.batch(indices: rows)      // x (32, 20), y (32, 1)
            // rows[k] is sample k's global sample index: dropout keys its mask on (step, rows[k]).
        }
    }

    static func syntheticLanguage(i: Int) throws {
        let language = try SyntheticLanguage(seed: 7)          // 64 hidden states, 64 tokens
        let (training, validation) = try language.windows(context: 64, validationTokens: 65_537,
                                                           trainingTokens: 4_194_305)
        let losses = try language.losses(windows: validation)  // bound 2.0277, bigram 2.8842, unigram 4.0157
        var window = [Int32](repeating: 0, count: 65)
        window.withUnsafeMutableBufferPointer { training.copyWindow(i, into: $0) }   // sample i: 65 tokens
        _ = losses
    }
}

enum IntrospectionDocs {
    static func names(config: RunConfig) throws {
        let model = try ModelBuilder.build(config)
        model.namedModules().map(\.name)   // ["", "layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"]
    }

    static func hooks(model: Module, x: Tensor) throws {
        var handles: [HookHandle] = []
        for (name, module) in model.namedModules() where !name.isEmpty {
            handles.append(module.registerForwardHook { module, input, output in
                print(name, module.summary, input.shape, "→", output.shape)
            })
        }
        defer { handles.forEach { $0.remove() } }
        _ = try noGrad { try model(x) }
    }

    static func shapeTrace(model: Module, x: Tensor) throws {
        let rows = try ShapeTrace.run(model: model, input: x)   // eval mode, noGrad; `training: true` for train mode
        rows[0].description                                     // "layer1 (16, 20) → (16, 64)"
        rows[0].summary; rows[0].inputShape; rows[0].outputShape; rows[0].parameterCount
        print(ShapeTrace.table(rows, totalParameters: model.parameterCount))
    }

    static func capture(model: Module, x: Tensor) throws {
        model.eval()
        let captured = try ActivationCapture.capture(model, layers: ["bn1", "2"], input: x)
        for (name, activation) in captured { print(name, activation.shape) }   // bn1 [512, 64], then 2 [512, 64]
        ActivationCapture.layerNames(of: model)   // ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"]
    }

    static func report(model: Module, x: Tensor) throws {
        model.eval()
        let report = try ActivationReport.inspect(model, input: x)       // every layer; or layers: ["bn1"]
        report[1].normalizedFit!.meanAbs                                 // bn1's x̂: 0.054
        report[1].normalizedFit!.stdDeviation                            // 0.035
        report[2].deadFraction                                           // the first ReLU: 0.0
        print(ActivationReport.table(report))
        print(try ActivationReport.json(report, samples: 512))
    }

    static func gradcheck(config: RunConfig) throws {
        let (rows, withoutBackward) = try GradientCheckSuite.checkOps()   // every op; withoutBackward: ["round", "sign", "argmax"]
        let relu = try GradientCheckSuite.checkOp("relu")                 // throws GradientCheckError if unknown or without backward
        let layers = try GradientCheckSuite.checkModel(config, batch: 8)  // every layer, then the model with its loss
        print(GradientCheckSuite.table(rows + layers))
        print(GradientCheckSuite.summary(rows + layers))                  // "gradcheck: 64 checks passed (…)"
        _ = (withoutBackward, relu)
    }
}

enum MPIDocs {
    static func launch(train: (MPICommunicator) throws -> Void) throws {
        if MPIRuntime.isLaunchedByMPI {
            let comm = try MPIRuntime.start()   // MPI_Init_thread(SERIALIZED), MPI_ERRORS_RETURN on the world
            do { try train(comm) } catch { comm.abort(reason: "rank \(comm.rank): \(error)") }
            try MPIRuntime.finish()             // MPI_Finalize, on every rank, after its last collective
        }
    }
}
