// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Ember",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Ember", targets: ["Ember"]),
        .library(name: "EmberVision", targets: ["EmberVision"]),
        .executable(name: "ember", targets: ["EmberCLI"]),
        .executable(name: "ember-bench", targets: ["ember-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .target(
            name: "CEmberKernels",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Ember",
            dependencies: ["CEmberKernels"],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "EmberCLI",
            dependencies: ["Ember", "EmberVision", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "EmberVision",
            dependencies: ["Ember"],
            path: "Sources/EmberVision"
        ),
        .executableTarget(
            name: "ember-bench",
            dependencies: ["Ember", "EmberVision"],
            path: "Benchmarks/EmberBench"
        ),
        .executableTarget(name: "example-autograd", dependencies: ["Ember"], path: "Examples/Autograd"),
        .executableTarget(name: "example-model-building", dependencies: ["Ember"], path: "Examples/ModelBuilding"),
        .executableTarget(name: "example-optimizers", dependencies: ["Ember"], path: "Examples/Optimizers"),
        .executableTarget(name: "example-save-load", dependencies: ["Ember"], path: "Examples/SaveLoad"),
        .executableTarget(name: "example-mlp-regression", dependencies: ["Ember"], path: "Examples/MLPRegression"),
        .executableTarget(name: "example-data-to-tensors", dependencies: ["Ember"], path: "Examples/DataToTensors"),
        .executableTarget(
            name: "example-pretrained-head", dependencies: ["EmberVision"], path: "Examples/PretrainedHead"),
        .testTarget(
            name: "EmberTests",
            dependencies: ["Ember"]
        ),
        .testTarget(
            name: "EmberCLITests",
            dependencies: ["EmberCLI"]
        ),
        .testTarget(
            name: "EmberVisionTests",
            dependencies: ["EmberVision"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
