// swift-tools-version:6.1
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

let package = Package(
    name: "PageKit",
    products: [
        .library(name: "PageKit", targets: ["PageKit"]),
        .library(name: "CPageShim", type: .static, targets: ["CPageShim"]),
        .executable(name: "pagekit", targets: ["PageKitTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Documentation only: swift package generate-documentation (make check-docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The C layer. Its public headers live in the top-level include/pagekit/
        // (for C users and `make install`); the module map points Swift at them.
        .target(
            name: "CPageShim",
            cSettings: [
                .headerSearchPath("../../include"),
                .define("_GNU_SOURCE"),
            ]
        ),
        // The Swift layer: ownership, types and span access; no policy.
        .target(
            name: "PageKit",
            dependencies: ["CPageShim", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
        // The command-line tool: `pagekit tour`, `pagekit features`.
        .executableTarget(
            name: "PageKitTool",
            dependencies: ["PageKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/pagekit",
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
        // Examples, built with the package and run by `make check`.
        .executableTarget(
            name: "seed-walkthrough",
            dependencies: ["PageKit"],
            path: "Examples/SeedWalkthrough",
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
        .executableTarget(
            name: "jit",
            dependencies: ["PageKit"],
            path: "Examples/JIT",
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
        .executableTarget(
            name: "purgeable-cache",
            dependencies: ["PageKit"],
            path: "Examples/PurgeableCache",
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
        .testTarget(
            name: "PageKitTests",
            dependencies: ["PageKit", "CPageShim"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
