import Foundation

/// Reads the JSON fixtures that a generator script in `scripts/` wrote from PyTorch into a
/// test target's `Fixtures/` resource folder.
///
/// Each test target makes one with its own bundle:
///
/// ```swift
/// let fixtures = FixtureLoader(bundle: .module, script: "scripts/gen_tensor_fixtures.py")
/// let cases = fixtures.load("views", as: FixtureFile.self)
/// ```
///
/// Loading checks that the file was written with ``expectedTorch`` (from its `generator`,
/// `versions` or `meta` record) and stops, naming the file and its script, when the file is
/// missing, malformed or from another version: a test can't run without its reference.
public struct FixtureLoader: Sendable {
  /// The PyTorch release every fixture comes from.
  public static let expectedTorch = "2.13.0"

  public let bundle: Bundle
  /// The generator to re-run when a fixture is missing or stale, for the error message.
  public let script: String

  public init(bundle: Bundle, script: String) {
    self.bundle = bundle
    self.script = script
  }

  /// The URL of `Fixtures/<name>.json`.
  public func url(_ name: String) -> URL {
    guard let url = bundle.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")
    else { fatalError("fixture \(name).json is missing; run \(script)") }
    return url
  }

  /// `Fixtures/<name>.json` decoded as `T`. Numbers may be written as the strings `"nan"`,
  /// `"inf"` and `"-inf"`.
  public func load<T: Decodable>(_ name: String, as _: T.Type = T.self) -> T {
    do {
      let data = try Data(contentsOf: url(name))
      let decoder = JSONDecoder()
      decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
      let torch = try decoder.decode(Provenance.self, from: data).torch
      guard torch?.hasPrefix(Self.expectedTorch) == true else {
        fatalError(
          "fixture \(name).json was written with torch \(torch ?? "(unrecorded)"), expected \(Self.expectedTorch); run \(script)"
        )
      }
      return try decoder.decode(T.self, from: data)
    } catch {
      fatalError("fixture \(name).json does not decode: \(error); run \(script)")
    }
  }

  /// Where the generators record the torch version: `generator.torch` (tensor fixtures),
  /// `versions.torch` (nn and data) or `meta.torch` (optim).
  private struct Provenance: Decodable {
    let generator: JSON?
    let versions: JSON?
    let meta: JSON?
    var torch: String? {
      for record in [generator, versions, meta] {
        if case .string(let version)? = record?["torch"] { return version }
      }
      return nil
    }
  }
}
