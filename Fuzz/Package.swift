// swift-tools-version: 6.1
import PackageDescription

// A fuzz-only package, so that the sanitizer flags never reach Descent's library targets:
// build it with `scripts/fuzz-safetensors.sh`, which passes `-sanitize=fuzzer,address` on
// the command line. Descent is a path dependency on ".."; `name:` pins its identity to
// "Descent" whatever the clone's folder is called.
let package = Package(
  name: "DescentFuzz",
  dependencies: [.package(name: "Descent", path: "..")],
  targets: [
    .executableTarget(
      name: "FuzzSafetensors",
      dependencies: [.product(name: "Descent", package: "Descent")],
      swiftSettings: [.swiftLanguageMode(.v5)]
    )
  ]
)
