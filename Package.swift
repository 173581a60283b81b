// swift-tools-version:6.0
import PackageDescription

/// Code generation for every Lockstep target. On x86-64 the kernels are compiled for AVX2 (`haswell`:
/// a `SIMD8<Float>` is one register instead of two SSE halves, and the transformer's step is 12–15 %
/// faster) with the same bits: Swift never contracts `a * b + c` into a fused multiply-add, whatever
/// the CPU offers. `LOCKSTEP_TARGET_CPU=x86-64 swift build` builds for any x86-64 CPU (or names another
/// `-target-cpu`); other architectures get no flag. An unsafe flag, so a dependent package takes
/// Lockstep by path, by branch or revision, or by version with SwiftPM 6.2 or newer (docs/library.md).
let codeGeneration: [SwiftSetting] = {
    #if arch(x86_64)
    let cpu = Context.environment["LOCKSTEP_TARGET_CPU"] ?? "haswell"
    return cpu.isEmpty ? [] : [.unsafeFlags(["-target-cpu", cpu])]
    #else
    return []
    #endif
}()

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
        // A header of vector operations Swift's SIMD types do not vectorise (no library to link).
        .systemLibrary(name: "CVectorMath"),

        .target(name: "TensorCore", dependencies: ["CBLAS"], swiftSettings: codeGeneration),
        .target(name: "Autograd", dependencies: ["TensorCore"], swiftSettings: codeGeneration),
        .target(name: "NN", dependencies: ["Autograd"], swiftSettings: codeGeneration),
        .target(name: "Optim", dependencies: ["TensorCore", "CVectorMath"], swiftSettings: codeGeneration),
        .target(name: "Datasets", dependencies: ["TensorCore"], swiftSettings: codeGeneration),
        .target(name: "Distributed", dependencies: ["TensorCore"], swiftSettings: codeGeneration),
        .target(name: "DistributedMPI", dependencies: ["Distributed", "CMPI"], swiftSettings: codeGeneration),
        .target(name: "Checkpointing", dependencies: [
            "TensorCore", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: codeGeneration),
        .target(name: "PackedData", dependencies: [
            "Datasets", "Checkpointing", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SystemPackage", package: "swift-system"),
        ], swiftSettings: codeGeneration),
        // Strict reading of config values from YAML (one-line errors, `--set`), and their canonical form.
        .target(name: "ConfigCoding", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: codeGeneration),
        .target(name: "Config", dependencies: ["ConfigCoding", "Datasets", "Distributed"], swiftSettings: codeGeneration),
        .target(name: "Charts", swiftSettings: codeGeneration),
        .target(name: "Training", dependencies: [
            "Config", "NN", "Optim", "Datasets", "PackedData", "Distributed", "DistributedMPI", "Checkpointing", "Charts",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codeGeneration),
        .target(name: "Introspection", dependencies: ["Config", "Training"], swiftSettings: codeGeneration),
        .target(name: "Benchmarks", dependencies: ["Config", "Training", "Charts"], swiftSettings: codeGeneration),
        .executableTarget(name: "LockstepCLI", dependencies: [
            "Config", "Training", "Introspection", "Benchmarks", "Distributed", "DistributedMPI", "Datasets", "PackedData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: codeGeneration),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"], swiftSettings: codeGeneration),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "NN"], swiftSettings: codeGeneration),
        .testTarget(name: "NNTests", dependencies: ["NN"], swiftSettings: codeGeneration),
        .testTarget(name: "OptimTests", dependencies: ["Optim"], swiftSettings: codeGeneration),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], swiftSettings: codeGeneration),
        .testTarget(name: "CheckpointingTests", dependencies: [
            "Checkpointing", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codeGeneration),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"], swiftSettings: codeGeneration),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "ConfigCoding"], swiftSettings: codeGeneration),
        // Every ```swift example of README.md, docs/ and `///` comments, compiled (DocExampleCoverageTests).
        .testTarget(name: "DocExamplesTests", dependencies: [
            "TensorCore", "Autograd", "NN", "Optim", "Datasets", "Distributed", "DistributedMPI", "Checkpointing",
            "PackedData", "Config", "Training", "Introspection", "Benchmarks", "Charts", "LockstepCLI",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codeGeneration),
        .testTarget(name: "TrainingTests", dependencies: [
            "Config", "Training", "Introspection", "Benchmarks", "Charts", "NN", "Datasets", "Distributed", "Checkpointing", "PackedData",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codeGeneration),
    ]
)
