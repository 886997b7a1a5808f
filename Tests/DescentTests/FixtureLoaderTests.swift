import DescentTestSupport
import Foundation
import Testing

/// The shared fixture loader (DescentTestSupport) used by every test target.
@Suite("Fixture loader")
struct FixtureLoaderTests {
  /// A bundle directory holding `Fixtures/<name>.json` with `contents`.
  static func bundle(writing contents: String, as name: String) throws -> Bundle {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("descent-fixture-\(UUID().uuidString)")
    let fixtures = dir.appendingPathComponent("Fixtures")
    try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
    try contents.write(to: fixtures.appendingPathComponent("\(name).json"), atomically: true, encoding: .utf8)
    return try #require(Bundle(path: dir.path))
  }

  struct Values: Decodable { let values: [Double] }

  @Test(
    "the torch version is read from generator, versions or meta; non-finite numbers from strings",
    arguments: [
      #"{"generator": {"torch": "2.13.0+cpu"}, "values": [1.5, "nan", "inf", "-inf"]}"#,
      #"{"versions": {"torch": "2.13.0+cpu"}, "values": [1.5, "nan", "inf", "-inf"]}"#,
      #"{"meta": {"torch": "2.13.0"}, "values": [1.5, "nan", "inf", "-inf"]}"#,
    ])
  func readsVersionAndSpecialNumbers(_ contents: String) throws {
    let loader = FixtureLoader(bundle: try Self.bundle(writing: contents, as: "sample"), script: "gen.py")
    let values = loader.load("sample", as: Values.self).values
    #expect(values[0] == 1.5 && values[1].isNaN && values[2] == .infinity && values[3] == -.infinity)
  }

  @Test("a fixture from another torch version stops, naming the script")
  func otherVersionStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let bundle = try FixtureLoaderTests.bundle(
        writing: #"{"generator": {"torch": "2.1.0"}, "values": []}"#, as: "old")
      _ = FixtureLoader(bundle: bundle, script: "scripts/gen.py").load("old", as: Values.self)
    }
    expectStopMessage(r, mentions: ["old.json", "torch 2.1.0", "expected 2.13.0", "scripts/gen.py"])
  }

  @Test("a missing fixture stops, naming the script")
  func missingStops() async {
    let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Fixtures.loader.load("no_such_fixture", as: Values.self)
    }
    expectStopMessage(r, mentions: ["no_such_fixture.json is missing", "scripts/gen_tensor_fixtures.py"])
  }
}
