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
    .executable(name: "descent", targets: ["descent"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
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
    .target(name: "DescentNN", dependencies: ["Descent"], swiftSettings: swift5),
    // Vectorised optimizer kernels with runtime CPU dispatch (`target_clones`), no flags.
    .target(name: "CDescentKernels"),
    .target(
      name: "DescentOptim", dependencies: ["Descent", "CBLAS", "CDescentKernels"],
      swiftSettings: swift5),
    // Counts heap allocations in the `descent` executable only (it defines malloc).
    .target(name: "CMallocCounter"),
    .target(
      name: "DescentData",
      dependencies: ["Descent", .product(name: "SwiftCSV", package: "SwiftCSV")],
      resources: [.copy("Resources")],
      swiftSettings: swift5
    ),
    .executableTarget(
      name: "descent",
      dependencies: [
        "Descent", "DescentNN", "DescentOptim", "DescentData", "CBLAS", "CDescentKernels",
        "CMallocCounter",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swift5
    ),
    // Fixture loading and test helpers shared by the test targets (not a product).
    .target(
      name: "DescentTestSupport", dependencies: ["Descent"], path: "Tests/DescentTestSupport",
      swiftSettings: swift5),
    .testTarget(
      name: "DescentTests",
      dependencies: ["Descent", "DescentTestSupport"],
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
    .testTarget(
      name: "DescentDataTests",
      dependencies: ["Descent", "DescentData", "DescentTestSupport"],
      resources: [.copy("Fixtures")],
      swiftSettings: swift5
    ),
  ]
)
