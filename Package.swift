// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Ember",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Ember", targets: ["Ember"]),
        .library(name: "EmberVision", targets: ["EmberVision"]),
        .executable(name: "ember-bench", targets: ["ember-bench"]),
    ],
    targets: [
        .target(
            name: "CEmberKernels",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Ember",
            dependencies: ["CEmberKernels"]
        ),
        .target(
            name: "EmberVision",
            dependencies: ["Ember"],
            path: "Sources/EmberVision"
        ),
        .executableTarget(
            name: "ember-bench",
            dependencies: ["Ember"],
            path: "Benchmarks/EmberBench"
        ),
        .testTarget(
            name: "EmberTests",
            dependencies: ["Ember"]
        ),
        .testTarget(
            name: "EmberVisionTests",
            dependencies: ["EmberVision"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
