// swift-tools-version:6.0
import PackageDescription

/// Lockstep: a data-parallel training runner whose results do not depend on how many processes ran it.
/// Targets and their one-way dependencies follow docs/architecture.md.
let package = Package(
    name: "Lockstep",
    // Built and tested on Linux. macOS is declared so that the Darwin branches of the C-library imports
    // build (README, "Requirements"); that path is not tested.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lockstep", targets: ["LockstepCLI"]),
        // The library is the whole training stack, for programs that bring their own model, loss and
        // data (docs/library.md); introspection and benchmarks are the CLI's tools, not API.
        .library(name: "Lockstep", targets: [
            "TensorCore", "Autograd", "NN", "Optim", "Datasets", "Distributed", "DistributedMPI", "Checkpointing",
            "PackedData", "Charts", "ConfigCoding", "Config", "Training",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // SHA-256 of checkpoints and data files (BoringSSL's, which uses the CPU's SHA instructions).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // File descriptors and errno for the checkpoint files (what it lacks stays a direct libc call).
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // System libraries: OpenBLAS and OpenMPI, found through pkg-config.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),

        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "Autograd", dependencies: ["TensorCore"]),
        .target(name: "NN", dependencies: ["Autograd"]),
        .target(name: "Optim", dependencies: ["TensorCore"]),
        .target(name: "Datasets", dependencies: ["TensorCore"]),
        .target(name: "Distributed", dependencies: ["TensorCore"]),
        .target(name: "DistributedMPI", dependencies: ["Distributed", "CMPI"]),
        .target(name: "Checkpointing", dependencies: [
            "TensorCore", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Strict reading of config values from YAML (one-line errors, `--set`), and their canonical form.
        .target(name: "PackedData", dependencies: [
            "Datasets", "Checkpointing", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "ConfigCoding", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Config", dependencies: ["ConfigCoding", "Datasets", "Distributed"]),
        .target(name: "Charts"),
        .target(name: "Training", dependencies: [
            "Config", "NN", "Optim", "Datasets", "PackedData", "Distributed", "DistributedMPI", "Checkpointing", "Charts",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Introspection", dependencies: ["Config", "Training"]),
        .target(name: "Benchmarks", dependencies: ["Config", "Training", "Charts"]),
        .executableTarget(name: "LockstepCLI", dependencies: [
            "Config", "Training", "Introspection", "Benchmarks", "Distributed", "DistributedMPI", "Datasets", "PackedData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "NN"]),
        .testTarget(name: "NNTests", dependencies: ["NN"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "CheckpointingTests", dependencies: [
            "Checkpointing", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "ConfigCoding"]),
        // Every ```swift example of README.md, docs/ and `///` comments, compiled (DocExampleCoverageTests).
        .testTarget(name: "DocExamplesTests", dependencies: [
            "TensorCore", "Autograd", "NN", "Optim", "Datasets", "Distributed", "DistributedMPI", "Checkpointing",
            "PackedData", "Config", "Training", "Introspection", "Benchmarks", "Charts", "LockstepCLI",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "TrainingTests", dependencies: [
            "Config", "Training", "Introspection", "Benchmarks", "Charts", "NN", "Datasets", "Distributed", "Checkpointing", "PackedData",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
