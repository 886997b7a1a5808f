import Descent
import DescentTestSupport
import Foundation
import Testing

/// `uint8` is storage only: the codes of 8-bit optimizer state.
@Suite struct UInt8StorageTests {
  @Test func createsReadsAndConverts() {
    let t = Tensor([0, 1, 127, 128, 255] as [UInt8], shape: [5])
    #expect(t.dtype == .uint8 && t.dtype.byteSize == 1 && !t.dtype.isFloatingPoint)
    #expect(t.asArray(UInt8.self) == [0, 1, 127, 128, 255])
    #expect(t.asArray(Double.self) == [0, 1, 127, 128, 255])
    #expect(t.to(dtype: .float32).asArray(Float.self) == [0, 1, 127, 128, 255])
    // torch: tensor([-1.5, 2.7, 256.0, 300.9]).to(torch.uint8) == [255, 2, 0, 44]
    #expect(Tensor([-1.5, 2.7, 256, 300.9]).to(dtype: .uint8).asArray(UInt8.self) == [255, 2, 0, 44])
    #expect(Tensor.zeros([3], dtype: .uint8).asArray(UInt8.self) == [0, 0, 0])
    #expect("\(t.dtype)" == "torch.uint8")
    #expect(t.description == "tensor([  0,   1, 127, 128, 255], dtype=torch.uint8)")
  }

  @Test func copiesViews() {
    let t = Tensor((0..<6).map { UInt8($0) }, shape: [2, 3])
    #expect(t.transpose(0, 1).contiguous().asArray(UInt8.self) == [0, 3, 1, 4, 2, 5])
    let c = t.clone()
    c.copyInPlace(from: Tensor([9, 9, 9, 9, 9, 9] as [UInt8], shape: [2, 3]))
    #expect(t.asArray(UInt8.self) == [0, 1, 2, 3, 4, 5] && c.asArray(UInt8.self).allSatisfy { $0 == 9 })
  }

  @Test func savesAndLoadsAsSafetensorsU8() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("codes.safetensors")
    let codes = Tensor((0..<300).map { UInt8($0 % 256) }, shape: [3, 100])
    try saveSafetensors(["codes": codes], to: url)
    let header = String(decoding: try Data(contentsOf: url).prefix(120), as: UTF8.self)
    #expect(header.contains(#""dtype":"U8""#), "\(header)")
    let loaded = try #require(try loadSafetensors(from: url).tensors["codes"])
    #expect(loaded.dtype == .uint8 && loaded.shape == [3, 100])
    #expect(loaded.asArray(UInt8.self) == codes.asArray(UInt8.self))
  }

  @Test func arithmeticStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let codes = Tensor([1, 2] as [UInt8])
      _ = codes + codes
    }
    expectStopMessage(result, mentions: ["expected floating point tensors", "torch.uint8"])
  }
}
