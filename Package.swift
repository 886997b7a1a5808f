// swift-tools-version: 6.1
import PackageDescription

// Library targets carry no unsafe compiler flags: Descent is meant to be a dependency of other
// numerical Swift programs, and SwiftPM refuses such flags in dependencies.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
  name: "Descent",
  products: [
    .library(name: "Descent", targets: ["Descent"]),
    .library(name: "DescentNN", targets: ["DescentNN"]),
    .library(name: "DescentOptim", targets: ["DescentOptim"]),
    .library(name: "DescentData", targets: ["DescentData"]),
    .library(name: "DescentSWA", targets: ["DescentSWA"]),
    .library(name: "DescentCheckpoint", targets: ["DescentCheckpoint"]),
    .library(name: "DescentDistributed", targets: ["DescentDistributed"]),
    .executable(name: "descent", targets: ["descent"]),
    .executable(name: "descent-distributed", targets: ["descent-distributed"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
    // `swift package generate-documentation` renders the DocC catalog of every library target.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    // Property tests of the linear-algebra identities (test targets only).
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .systemLibrary(
      name: "CLAPACKE",
      pkgConfig: "lapacke",
      providers: [.apt(["liblapacke-dev"])]
    ),
    // Open MPI (Debian's libopenmpi-dev), for DescentDistributed only: nothing else links it.
    .systemLibrary(
      name: "CMPI",
      pkgConfig: "ompi",
      providers: [.apt(["libopenmpi-dev"])]
    ),
    // OpenBLAS's kernel choice ("core"): cpuid, dlsym'd OpenBLAS entry points, a forked check.
    .target(name: "CDescentBLAS", dependencies: ["CBLAS"]),
    .target(
      name: "Descent",
      dependencies: [
        "CBLAS",
        "CLAPACKE",
        "CDescentBLAS",
        "CDescentKernels",
        .product(name: "RealModule", package: "swift-numerics"),
      ],
      swiftSettings: swift5
    ),
    .target(
      name: "DescentNN",
      dependencies: ["Descent", "CDescentKernels", .product(name: "OrderedCollections", package: "swift-collections")],
      swiftSettings: swift5),
    // Vectorised optimizer kernels with runtime CPU dispatch (`target_clones`), no flags.
    .target(name: "CDescentKernels"),
    .target(
      name: "DescentOptim", dependencies: ["Descent", "CDescentKernels"],
      swiftSettings: swift5),
    // A model, an optimizer and a scheduler in one safetensors file.
    .target(
      name: "DescentCheckpoint",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim",
        .product(name: "OrderedCollections", package: "swift-collections"),
      ],
      swiftSettings: swift5),
    // Counts heap allocations in the `descent` executable only (it defines malloc).
    .target(name: "CMallocCounter"),
    // The benchmark's streaming yardstick, for the `descent` executable only.
    .target(name: "CBenchKernels"),
    .target(
      name: "DescentData",
      dependencies: ["Descent", .product(name: "SwiftCSV", package: "SwiftCSV")],
      resources: [.copy("Resources")],
      swiftSettings: swift5
    ),
    // Data-parallel training and sharded optimizer state over MPI.
    .target(
      name: "DescentDistributed",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData", "CMPI"],
      swiftSettings: swift5
    ),
    // The commands that need MPI (`train --distributed`, `bench allreduce`,
    // `bench optimizers --zero`) and the workers that the distributed tests launch with
    // mpirun. A separate program so that `descent` itself never loads libmpi: `descent`
    // hands those commands to it (an executable target that depended on this one would
    // link libmpi too).
    .executableTarget(
      name: "descent-distributed",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentData", "DescentDistributed",
        "DescentWorkbench",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swift5
    ),
    // Weight averaging over modules (AveragedModel, updateBN): needs DescentNN and
    // DescentData beside DescentOptim, which must not import them.
    .target(
      name: "DescentSWA", dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData"],
      swiftSettings: swift5),
    // What `descent compare` and `descent lr-find` run, report and plot, in a library that
    // the tests can import (not a product).
    .target(
      name: "DescentWorkbench",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentData",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swift5
    ),
    .executableTarget(
      name: "descent",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentData", "DescentWorkbench", "DescentCheckpoint",
        "CBLAS",
        "CDescentKernels", "CMallocCounter", "CBenchKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swift5
    ),
    // Small programs for users to read and run (`swift run TutorialLoop`); no products, so a
    // package that depends on Descent never builds them. The tests run each for a few steps.
    .executableTarget(
      name: "TutorialLoop", dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData"],
      path: "Examples/TutorialLoop", swiftSettings: swift5),
    .executableTarget(
      name: "DigitsClassifier",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData"],
      path: "Examples/DigitsClassifier", swiftSettings: swift5),
    .executableTarget(
      name: "LeastSquares", dependencies: ["Descent", "DescentNN", "DescentOptim"],
      path: "Examples/LeastSquares", swiftSettings: swift5),
    // The Descent half of scripts/test_checkpoint_interop.py (PyTorch → Descent → PyTorch).
    .executableTarget(
      name: "CheckpointInterop",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentCheckpoint"],
      path: "Tests/CheckpointInterop",
      swiftSettings: swift5
    ),
    // Fixture loading and test helpers shared by the test targets (not a product).
    .target(
      name: "DescentTestSupport", dependencies: ["Descent"], path: "Tests/DescentTestSupport",
      swiftSettings: swift5),
    .testTarget(
      name: "DescentTests",
      dependencies: [
        "Descent", "DescentTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentNNTests",
      dependencies: ["Descent", "DescentNN", "DescentTestSupport"],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentOptimTests",
      dependencies: ["Descent", "DescentOptim", "DescentNN", "DescentTestSupport"],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentIntegrationTests",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData"],
      swiftSettings: swift5
    ),
    // Starts `descent-distributed` workers under mpirun and checks what they write; it does
    // not import DescentDistributed, so the test binary does not load libmpi.
    .testTarget(
      name: "DescentDistributedTests",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData", "DescentTestSupport"],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentWorkbenchTests",
      dependencies: ["Descent", "DescentNN", "DescentOptim", "DescentData", "DescentWorkbench"],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentSWATests",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentData", "DescentSWA", "DescentTestSupport",
      ],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentCheckpointTests",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentCheckpoint", "DescentTestSupport",
      ],
      swiftSettings: swift5
    ),
    .testTarget(
      name: "DescentDataTests",
      dependencies: ["Descent", "DescentData", "DescentTestSupport"],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
  ]
)
