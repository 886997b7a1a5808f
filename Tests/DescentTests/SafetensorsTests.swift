import Descent
import Foundation
import Testing

private func temporaryFile(_ name: String = "t.safetensors") throws -> (directory: URL, file: URL) {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "descent-st-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return (directory, directory.appendingPathComponent(name))
}

/// A file: the 8-byte length, the header, then the data.
private func craft(_ header: String, _ data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
  let h = Array(header.utf8)
  var n = length ?? UInt64(h.count)
  var out: [UInt8] = []
  for _ in 0..<8 {
    out.append(UInt8(n & 0xFF))
    n >>= 8
  }
  return out + h + data
}

private func parse(_ bytes: [UInt8]) throws -> SafetensorsFile {
  try bytes.withUnsafeBytes { try SafetensorsFile(parsing: $0) }
}

private func values(_ t: Tensor) -> [Double] {
  t.dtype == .bool ? t.asArray(Bool.self).map { $0 ? 1 : 0 } : t.asArray(Double.self)
}

@Suite struct SafetensorsTests {
  // MARK: Round trips

  static let shapes: [[Int]] = [[], [0], [1], [5], [2, 3], [2, 0, 4], [1, 1, 1], [3, 1, 2, 2]]

  @Test(arguments: DType.allCases)
  func everyDtypeAndShapeRoundTrips(_ dtype: DType) throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    manualSeed(7)
    var tensors: [String: Tensor] = [:]
    for (i, shape) in Self.shapes.enumerated() {
      let random = Tensor.randn(shape, dtype: .float64) * 1000
      tensors["t\(i)"] =
        switch dtype {
        case .bool: random .> 0
        case .int64: random.to(dtype: .int64)
        default: random.to(dtype: dtype)
        }
    }
    try saveSafetensors(tensors, to: url)
    let file = try loadSafetensors(from: url)
    #expect(file.metadata.isEmpty)
    #expect(Set(file.tensors.keys) == Set(tensors.keys))
    for (name, tensor) in tensors {
      let loaded = try #require(file.tensors[name])
      #expect(loaded.shape == tensor.shape && loaded.dtype == tensor.dtype, "\(name)")
      #expect(values(loaded) == values(tensor), "\(name)")
    }
  }

  @Test func nonContiguousViewsAreSavedAsContiguousData() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    let base = Tensor((0..<24).map(Double.init), shape: [2, 3, 4])
    let views: [String: Tensor] = [
      "transpose": base.transpose(0, 2),
      "slice": base.slice(dim: 2, start: 1, end: 4, step: 2),
      "expand": Tensor([1, 2, 3], shape: [3, 1]).expand([3, 4]),
      "select": base.select(dim: 1, index: 2),
      "offset": base.reshape([24]).slice(dim: 0, start: 5, end: 9),
    ]
    #expect(views.values.contains { !$0.isContiguous })
    try saveSafetensors(views, to: url)
    let file = try loadSafetensors(from: url)
    for (name, view) in views {
      let loaded = try #require(file.tensors[name])
      #expect(loaded.shape == view.shape && loaded.isContiguous, "\(name)")
      #expect(loaded.asArray(Double.self) == view.asArray(Double.self), "\(name)")
    }
  }

  @Test func namesAndMetadataComeBackByteForByte() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    let names = ["é", "e\u{301}x", "", "quote\"back\\slash", "tab\tnew\nline\u{1}", "中文.权重", "😀"]
    var tensors: [String: Tensor] = [:]
    for (i, name) in names.enumerated() { tensors[name] = Tensor([Double(i)]) }
    let metadata = ["note": "x", "ünïcode": "välue\n\"q\"", "": "empty key"]
    try saveSafetensors(tensors, to: url, metadata: metadata)
    let file = try loadSafetensors(from: url)
    #expect(file.metadata == metadata)
    for name in names {
      let match = file.tensors.keys.filter { $0.utf8.elementsEqual(name.utf8) }
      #expect(match.count == 1, "\(name)")
      #expect(file.tensors[name]?.asArray(Double.self) == tensors[name]?.asArray(Double.self))
    }
  }

  @Test func theHeaderIsTheOfficialLayout() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    try saveSafetensors(
      ["b": Tensor([1.0, 2, 3]), "a": Tensor([4.0, 5], dtype: .float64), "m": Tensor([true, false])],
      to: url, metadata: ["note": "x"])
    let bytes = [UInt8](try Data(contentsOf: url))
    let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(n % 8 == 0)
    let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
    // The reference writer's order: wider types first, then names; metadata first.
    #expect(
      header.trimmingCharacters(in: .whitespaces)
        == #"{"__metadata__":{"note":"x"},"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},"m":{"dtype":"BOOL","shape":[2],"data_offsets":[28,30]}}"#
    )
    #expect(bytes.count == 8 + n + 30)
    // No metadata, no __metadata__ key.
    try saveSafetensors(["b": Tensor([1])], to: url)
    #expect(!String(decoding: try Data(contentsOf: url), as: UTF8.self).contains("__metadata__"))
  }

  @Test func loadedTensorsDoNotAliasTheFile() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    try saveSafetensors(["w": Tensor([1, 2, 3])], to: url)
    let first = try loadSafetensors(from: url).tensors["w"]!
    withNoGrad { _ = first.fill(9) }
    #expect(try loadSafetensors(from: url).tensors["w"]!.asArray(Double.self) == [1, 2, 3])
    try saveSafetensors(["w": Tensor([7, 7, 7])], to: url)
    #expect(first.asArray(Double.self) == [9, 9, 9])
    let second = try loadSafetensors(from: url).tensors["w"]!
    try FileManager.default.removeItem(at: url)
    #expect(second.asArray(Double.self) == [7, 7, 7])
  }

  @Test func aTensorNamedMetadataCannotBeSaved() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(throws: SafetensorsError.reservedTensorName("__metadata__")) {
      try saveSafetensors(["__metadata__": Tensor([1])], to: url)
    }
    #expect(!FileManager.default.fileExists(atPath: url.path))
  }

  @Test func aSaveIntoAMissingDirectoryThrowsAndLeavesNothing() throws {
    let (directory, _) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("missing/t.safetensors")
    let error = #expect(throws: SafetensorsError.self) { try saveSafetensors(["w": Tensor([1])], to: url) }
    guard case .cannotWrite(_, "open", _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    // A directory where the file should be: the rename fails, the directory stays.
    let occupied = directory.appendingPathComponent("occupied")
    try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
    #expect(throws: SafetensorsError.self) { try saveSafetensors(["w": Tensor([1])], to: occupied) }
    var isDirectory: ObjCBool = false
    #expect(
      FileManager.default.fileExists(atPath: occupied.path, isDirectory: &isDirectory)
        && isDirectory.boolValue)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["occupied"])
  }

  @Test func missingAndNonRegularFilesThrow() throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(throws: SafetensorsError.self) { try loadSafetensors(from: url) }
    #expect(throws: SafetensorsError.notARegularFile(path: directory.path)) {
      try loadSafetensors(from: directory)
    }
  }

  // MARK: One crafted file per violation

  static let f32 = #""dtype":"F32","shape":[1],"data_offsets":[0,4]"#

  /// Each file breaks one rule; the case it must throw.
  static let violations: [(String, [UInt8], (SafetensorsError) -> Bool)] = [
    ("shorter than 8 bytes", [1, 2, 3], { if case .fileTooSmall(3) = $0 { true } else { false } }),
    (
      "header over 100 MB", craft("{}", length: 100_000_001),
      { if case .headerTooLarge(100_000_001) = $0 { true } else { false } }
    ),
    (
      "header past the end", craft("{}", length: 40),
      { if case .headerPastEndOfFile(40, 10) = $0 { true } else { false } }
    ),
    (
      "invalid UTF-8",
      {
        var bytes = craft(#"{"x":1}"#)
        bytes[10] = 0xFF
        return bytes
      }(), { if case .invalidUTF8(2) = $0 { true } else { false } }
    ),
    ("invalid JSON", craft(#"{"a":}"#), { if case .invalidJSON = $0 { true } else { false } }),
    ("trailing characters", craft("{}x"), { if case .invalidJSON = $0 { true } else { false } }),
    (
      "nesting past serde_json's limit",
      craft(
        #"{"a":{"# + f32 + #","x":"# + String(repeating: "[", count: 126) + String(repeating: "]", count: 126)
          + "}}", [0, 0, 0, 0]),
      { if case .invalidJSON(let reason, _) = $0 { reason.contains("recursion") } else { false } }
    ),
    (
      "a number out of range", craft(#"{"a":{"# + f32 + #","x":1e999}}"#, [0, 0, 0, 0]),
      { if case .invalidJSON(let reason, _) = $0 { reason.contains("out of range") } else { false } }
    ),
    ("not an object", craft("[]"), { if case .invalidHeaderEntry(nil, _) = $0 { true } else { false } }),
    (
      "a missing field", craft(#"{"a":{"dtype":"F32","shape":[1]}}"#, [0, 0, 0, 0]),
      { if case .invalidHeaderEntry("a", let reason) = $0 { reason.contains("data_offsets") } else { false } }
    ),
    (
      "a repeated field", craft(#"{"a":{"dtype":"F32","# + f32 + "}}", [0, 0, 0, 0]),
      { if case .invalidHeaderEntry("a", let reason) = $0 { reason.contains("duplicate") } else { false } }
    ),
    (
      "a float in a shape",
      craft(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
      { if case .invalidHeaderEntry("a", _) = $0 { true } else { false } }
    ),
    (
      "metadata that is not strings", craft(#"{"__metadata__":{"k":1}}"#),
      { if case .invalidHeaderEntry(nil, _) = $0 { true } else { false } }
    ),
    (
      "an unknown dtype", craft(#"{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
      { $0 == .unknownDtype(tensor: "a", dtype: "F12") }
    ),
    (
      "offsets not starting at 0",
      craft(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8)),
      { $0 == .dataDoesNotStartAtZero(tensor: "a", start: 4) }
    ),
    (
      "a gap between tensors",
      craft(
        #"{"a":{"# + f32 + #"},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
        [UInt8](repeating: 0, count: 12)),
      { $0 == .gapBeforeTensor(tensor: "b", start: 8, previousEnd: 4) }
    ),
    (
      "overlapping tensors",
      craft(
        #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        [UInt8](repeating: 0, count: 8)),
      { $0 == .overlappingTensors(tensor: "b", start: 4, previousEnd: 8) }
    ),
    (
      "an end before the start",
      craft(
        #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"d":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#,
        [0, 0, 0, 0]),
      { if case .endBeforeStart = $0 { true } else { false } }
    ),
    (
      "a shape product that overflows",
      craft(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}"#),
      {
        if case .shapeOverflow(tensor: "a", shape: [4_294_967_296, 4_294_967_296, 0], dtype: "F32") = $0 {
          true
        } else {
          false
        }
      }
    ),
    (
      "a byte size that overflows",
      craft(#"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#),
      { if case .shapeOverflow = $0 { true } else { false } }
    ),
    (
      "F4 that ends mid-byte", craft(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, [0, 0]),
      { if case .misalignedSubByteTensor(tensor: "a", shape: [3], dtype: "F4") = $0 { true } else { false } }
    ),
    (
      "shape × dtype ≠ byte length",
      craft(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
      { $0 == .byteLengthMismatch(tensor: "a", shape: [2], dtype: "F32", expected: 8, actual: 4) }
    ),
    (
      "data past the end", craft(#"{"a":{"# + f32 + "}}", [0, 0, 0]),
      { $0 == .dataPastEndOfFile(dataEnd: 4, available: 3) }
    ),
    (
      "trailing bytes", craft(#"{"a":{"# + f32 + "}}", [0, 0, 0, 0, 9]),
      { $0 == .trailingBytes(dataEnd: 4, available: 5) }
    ),
    (
      "a duplicate name", craft(#"{"a":{"# + f32 + #"},"\u0061":{"# + f32 + "}}", [0, 0, 0, 0]),
      { $0 == .duplicateTensorName("a") }
    ),
    (
      "canonically equivalent names",
      craft(
        #"{"é":{"# + f32 + #"},"e\u0301":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        [UInt8](repeating: 0, count: 8)),
      { if case .equivalentTensorNames = $0 { true } else { false } }
    ),
    (
      "canonically equivalent metadata keys", craft(#"{"__metadata__":{"Å":"1","A\u030a":"2"}}"#),
      { if case .equivalentMetadataKeys = $0 { true } else { false } }
    ),
    (
      "an unsupported dtype",
      craft(#"{"h":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]),
      { $0 == .unsupportedDtype(tensor: "h", dtype: "I16") }
    ),
    (
      "a shape Descent can't hold",
      craft(#"{"a":{"dtype":"F32","shape":[0,9223372036854775808],"data_offsets":[0,0]}}"#),
      { if case .unsupportedShape(tensor: "a", _, _) = $0 { true } else { false } }
    ),
  ]

  @Test(arguments: violations.indices)
  func eachViolationThrowsItsCase(_ index: Int) throws {
    let (name, bytes, matches) = Self.violations[index]
    do {
      _ = try parse(bytes)
      Issue.record("\(name): loaded")
    } catch let error as SafetensorsError {
      #expect(matches(error), "\(name): \(error)")
      #expect(!"\(error)".isEmpty)
    }
  }

  @Test func referenceLeniencesAreKept() throws {
    // The list form of a tensor, the map form of a dtype, unknown fields, escaped keys,
    // repeated metadata keys (the last wins) and a null __metadata__.
    let file = try parse(
      craft(
        #"{"a":["F32",[1],[0,4]],"b":{"dtype":{"F64":null},"shape":[],"data_offsets":[4,12],"x":[1,{"y":null}]},"__metad\u0061ta__":{"k":"1","k":"2"}}"#,
        [0, 0, 128, 63] + [0, 0, 0, 0, 0, 0, 4, 64]))
    #expect(file.tensors["a"]?.asArray(Float.self) == [1])
    #expect(file.tensors["b"]?.item() == 2.5)
    #expect(file.metadata == ["k": "2"])
    #expect(try parse(craft(#"{"__metadata__":null}"#)).metadata.isEmpty)
  }

  /// A malformed file never costs the reader more than twice its size plus 64 MiB: a 40 MB
  /// header of small tensor entries, or of small metadata entries, whose last entry is
  /// broken, written here and read from disk in a fresh process.
  @Test(arguments: ["tensors", "metadata"])
  func aMalformedFileCostsLittleMemory(_ kind: String) async throws {
    let (directory, url) = try temporaryFile()
    defer { try? FileManager.default.removeItem(at: directory) }
    var header = kind == "tensors" ? "{" : #"{"__metadata__":{"#
    var i = 0
    while header.utf8.count < 40_000_000 {
      header += kind == "tensors" ? "\"\(i)\":[\"F32\",[],[0,0]]," : "\"\(i)\":\"\","
      i += 1
    }
    header += kind == "tensors" ? #""last":["F32",[1],[0,4]]}"# : #""last":1}}"#
    try Data(craft(header)).write(to: url)
    let path = url.path
    await #expect(processExitsWith: .success) { [path = path as String] in
      var before = rusage()
      getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &before)
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
      do {
        _ = try loadSafetensors(from: URL(fileURLWithPath: path))
        exit(2)
      } catch {}
      var after = rusage()
      getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &after)
      // ru_maxrss is in KiB.
      let grown = (after.ru_maxrss - before.ru_maxrss) * 1024
      print("reading a malformed \(size)-byte file grew the peak memory by \(grown) bytes")
      exit(grown <= 2 * size + 64 << 20 ? 0 : 1)
    }
  }
}
