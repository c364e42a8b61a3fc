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

let pageKitInclude = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("include").path

let package = Package(
    name: "PageKitBenchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The baselines each Swift case is compared with: bare system calls,
        // and the C layer the Swift layer calls.
        .target(
            name: "RawBaselines",
            dependencies: [.product(name: "CPageShim", package: pageKit)],
            path: "Sources/RawBaselines",
            // PageKit's public headers, as a C program includes them.
            cSettings: [.unsafeFlags(["-I", pageKitInclude])]
        ),
        // Swift against C per call, as interleaved ratios (make bench-swift).
        .executableTarget(
            name: "SwiftRatios",
            dependencies: [.product(name: "PageKit", package: pageKit), "RawBaselines"],
            path: "Sources/SwiftRatios",
            swiftSettings: [.swiftLanguageMode(.v6), .enableExperimentalFeature("Lifetimes")]
        ),
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
