import Descent
import Foundation
import Testing

/// Descent's reader against the reference reader (safetensors 0.8, the Rust crate behind
/// the Python package) on crafted files: hand-written ones for every rule and seeded random
/// mutations of valid files, with the reference's verdict recorded by
/// scripts/gen_safetensors_fixtures.py.
@Suite struct SafetensorsReferenceTests {
  struct Case: Decodable {
    let name: String
    let file: String
    let reference: String
    let message: String?
    let tensors: [String: Tensor]?
    let departures: [String]?

    struct Tensor: Decodable {
      let dtype: String
      let shape: [UInt64]
      let data: String
    }
  }

  struct Fixture: Decodable {
    let safetensors: String
    let cases: [Case]
  }

  static let fixture: Fixture = {
    let url = Bundle.module.url(
      forResource: "safetensors_reference", withExtension: "json", subdirectory: "Fixtures")!
    let fixture = try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    precondition(fixture.safetensors == "0.8.0", "run scripts/gen_safetensors_fixtures.py")
    return fixture
  }()

  /// The Swift cases that stand for each of the reference's errors.
  static func expectedKinds(forReferenceMessage message: String) -> Set<String> {
    let table: [(String, Set<String>)] = [
      ("header too small", ["fileTooSmall"]),
      ("header too large", ["headerTooLarge"]),
      ("invalid header length", ["headerPastEndOfFile"]),
      ("invalid UTF-8", ["invalidUTF8"]),
      ("invalid JSON", ["invalidJSON", "invalidHeaderEntry", "unknownDtype"]),
      (
        "invalid offset",
        ["dataDoesNotStartAtZero", "gapBeforeTensor", "overlappingTensors", "endBeforeStart"]
      ),
      ("overflow computing buffer size", ["shapeOverflow"]),
      ("subbytes", ["misalignedSubByteTensor"]),
      ("invalid shape, data type, or offset", ["byteLengthMismatch"]),
      ("incomplete metadata", ["dataPastEndOfFile", "trailingBytes"]),
    ]
    return table.first { message.contains($0.0) }?.1 ?? []
  }

  static func kind(of error: SafetensorsError) -> String {
    let text = "\(Mirror(reflecting: error).children.first?.label ?? "\(error)")"
    return text.split(separator: "(").first.map(String.init) ?? text
  }

  @Test func everyCraftedFileGetsTheReferenceVerdict() throws {
    var accepted = 0
    var rejected = 0
    for testCase in Self.fixture.cases {
      let bytes = [UInt8](Data(base64Encoded: testCase.file)!)
      let result = Result { try bytes.withUnsafeBytes { try SafetensorsFile(parsing: $0) } }
      switch (testCase.reference, result) {
      case ("error", .success):
        Issue.record(
          "\(testCase.name): the reference rejects it (\(testCase.message ?? "")), Descent loads it")
      case ("error", .failure(let error)):
        guard let error = error as? SafetensorsError else {
          Issue.record("\(testCase.name): threw \(error), not a SafetensorsError")
          continue
        }
        let expected = Self.expectedKinds(forReferenceMessage: testCase.message ?? "")
        #expect(
          expected.contains(Self.kind(of: error)),
          "\(testCase.name): the reference says \(testCase.message ?? ""), Descent \(error)")
        rejected += 1
      case ("ok", .failure(let error)):
        let kind = (error as? SafetensorsError).map(Self.kind(of:)) ?? "\(error)"
        #expect(
          testCase.departures?.contains(kind) == true,
          "\(testCase.name): the reference accepts it, Descent throws \(error)")
      case ("ok", .success(let file)):
        #expect(
          testCase.departures?.isEmpty != false,
          "\(testCase.name): Descent accepts a file it should reject for \(testCase.departures ?? [])")
        let tensors = testCase.tensors ?? [:]
        #expect(Set(file.tensors.keys) == Set(tensors.keys), "\(testCase.name)")
        for (name, expected) in tensors {
          guard let tensor = file.tensors[name] else { continue }
          #expect(tensor.shape.map { UInt64($0) } == expected.shape, "\(testCase.name): \(name)")
          #expect(dtypeName(tensor.dtype) == expected.dtype, "\(testCase.name): \(name)")
          #expect(hex(tensor) == normalizedHex(expected), "\(testCase.name): \(name)")
        }
        accepted += 1
      default:
        Issue.record("\(testCase.name): unknown verdict \(testCase.reference)")
      }
    }
    #expect(accepted > 50 && rejected > 1000)
  }

  private func dtypeName(_ dtype: DType) -> String {
    switch dtype {
    case .float32: "F32"
    case .float64: "F64"
    case .int64: "I64"
    case .bool: "BOOL"
    case .uint8: "U8"
    case .bfloat16: "BF16"
    case .float16: "F16"
    }
  }

  /// The reference hands BOOL bytes over as they are; Descent makes any non-zero byte true.
  private func normalizedHex(_ expected: Case.Tensor) -> String {
    guard expected.dtype == "BOOL" else { return expected.data }
    var out = ""
    var index = expected.data.startIndex
    while index < expected.data.endIndex {
      let next = expected.data.index(index, offsetBy: 2)
      out += expected.data[index..<next] == "00" ? "00" : "01"
      index = next
    }
    return out
  }

  private func hex(_ tensor: Tensor) -> String {
    let size: Int
    switch tensor.dtype {
    case .float32: size = 4
    case .float64, .int64: size = 8
    case .bool, .uint8: size = 1
    case .bfloat16, .float16: size = 2
    }
    var bytes: [UInt8] = []
    switch tensor.dtype {
    case .float32: for v in tensor.asArray(Float.self) { withUnsafeBytes(of: v) { bytes += $0 } }
    case .float64: for v in tensor.asArray(Double.self) { withUnsafeBytes(of: v) { bytes += $0 } }
    case .int64: for v in tensor.asArray(Int.self) { withUnsafeBytes(of: v) { bytes += $0 } }
    case .bool: for v in tensor.asArray(Bool.self) { bytes.append(v ? 1 : 0) }
    case .uint8: bytes += tensor.asArray(UInt8.self)
    case .bfloat16, .float16:
      let c = tensor.contiguous()
      withExtendedLifetime(c) {
        bytes += UnsafeRawBufferPointer(start: c.storage.base + 2 * c.offset, count: 2 * c.count)
      }
    }
    precondition(bytes.count == tensor.count * size)
    return bytes.map { String(format: "%02x", $0) }.joined()
  }
}
