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
        .executableTarget(name: "example-autograd", dependencies: ["Ember"], path: "Examples/Autograd"),
        .executableTarget(name: "example-model-building", dependencies: ["Ember"], path: "Examples/ModelBuilding"),
        .executableTarget(name: "example-optimizers", dependencies: ["Ember"], path: "Examples/Optimizers"),
        .executableTarget(name: "example-save-load", dependencies: ["Ember"], path: "Examples/SaveLoad"),
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
