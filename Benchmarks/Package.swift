// swift-tools-version: 6.1
import PackageDescription

// A nested package so that programs depending on Descent never resolve benchmark-only
// dependencies. Run from this folder: `swift package benchmark` (see the README).
//
// Descent is a path dependency on "..". SwiftPM names a path dependency after its folder,
// which differs between clones (`main`, `descent`, ...); `name:` pins it to "Descent" so
// that the product references below work from any clone.
let package = Package(
  name: "DescentBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "Descent", path: ".."),
    .package(
      url: "https://github.com/ordo-one/benchmark", from: "1.38.0",
      traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "DescentBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "Descent", package: "Descent"),
        .product(name: "DescentNN", package: "Descent"),
        .product(name: "DescentOptim", package: "Descent"),
      ],
      path: "Benchmarks/DescentBenchmarks",
      swiftSettings: [.swiftLanguageMode(.v5)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ]
)
