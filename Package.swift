// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "PageKit",
    products: [
        .library(name: "PageKit", targets: ["PageKit"]),
        .library(name: "CPageShim", type: .static, targets: ["CPageShim"]),
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
        .target(
            name: "PageKit",
            dependencies: ["CPageShim"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "PageKitTests",
            dependencies: ["PageKit", "CPageShim"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
