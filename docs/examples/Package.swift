// swift-tools-version:6.0
import PackageDescription

/// Programs that bring their own model, loss and data to Lockstep, as a package outside it would:
/// they depend on the `Lockstep` library by path and nothing of the CLI (docs/library.md).
/// `launch/examples.sh` builds and runs them at several world sizes.
let package = Package(
    name: "LockstepExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, because a path dependency's identity would otherwise be its folder's name.
        .package(name: "Lockstep", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(name: "transformer-lm", dependencies: [
            .product(name: "Lockstep", package: "Lockstep"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/TransformerLM"),
        .executableTarget(name: "tabular-embedding", dependencies: [
            .product(name: "Lockstep", package: "Lockstep"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/TabularEmbedding"),
    ]
)
