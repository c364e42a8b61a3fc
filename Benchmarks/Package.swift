// swift-tools-version:6.1
// SPDX-License-Identifier: Apache-2.0
// The Swift layer's benchmarks (package-benchmark), kept out of PageKit's own
// package so the library product gains no dependency. Run from Benchmarks/:
//   swift package --allow-writing-to-package-directory benchmark
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder: whatever PageKit's
/// checkout is called.
let pageKit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "PageKitBenchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The raw-C baselines each Swift case is compared with.
        .target(name: "RawBaselines", path: "Sources/RawBaselines"),
        .executableTarget(
            name: "PageKitBenchmarks",
            dependencies: [
                .product(name: "PageKit", package: pageKit),
                .product(name: "Benchmark", package: "benchmark"),
                "RawBaselines",
            ],
            path: "Benchmarks/PageKitBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
