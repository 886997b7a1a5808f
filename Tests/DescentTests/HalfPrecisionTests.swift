import CDescentKernels
import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// `Fixtures/half.json`, written by `scripts/gen_half_fixtures.py` from PyTorch.
struct HalfFixture: Decodable, Sendable {
  struct FromFloat32: Decodable, Sendable {
    struct Strided: Decodable, Sendable {
      let count: Int
      let multiplier: String
      let addend: String
      let fnv1a64: [String: String]
    }
    let inputs: [String]
    let bfloat16: [String]
    let float16: [String]
    let strided: Strided
  }
  struct Widen: Decodable, Sendable {
    let float32_fnv1a64: String
    let float64_fnv1a64: String
  }
  struct FromFloat64: Decodable, Sendable {
    let inputs: [String]
    let bfloat16: [String]
    let float16: [String]
  }
  struct Repr: Decodable, Sendable {
    let dtype: String
    let values: [String]
    let scalar: Bool?
    let requires_grad: Bool?
    let repr: String
  }
  struct Promotion: Decodable, Sendable {
    let a: String
    let b: String
    let a_dim: Int
    let b_dim: Int
    let result: String
  }
  let from_float32: FromFloat32
  let widen: [String: Widen]
  let from_float64: FromFloat64
  let ops: [String: [String: JSON]]
  let repr: [Repr]
  let promotion: [Promotion]

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_half_fixtures.py")
    .load("half", as: HalfFixture.self)
}

/// FNV-1a 64 over bytes, as the generator hashes PyTorch's results.
func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> String {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for b in bytes {
    h ^= UInt64(b)
    h = h &* 0x100_0000_01B3
  }
  let hex = String(h, radix: 16)
  return String(repeating: "0", count: 16 - hex.count) + hex
}

private func bits16(_ t: Tensor) -> [UInt16] {
  let c = t.contiguous()
  return withExtendedLifetime(c) { Array(UnsafeBufferPointer(start: c.pointer(UInt16.self), count: c.count)) }
}

private func halfTensor(_ bits: [UInt16], _ dtype: DType) -> Tensor {
  let t = Tensor(uninitializedShape: [bits.count], dtype: dtype)
  bits.withUnsafeBufferPointer { t.storage.base.copyMemory(from: $0.baseAddress!, byteCount: 2 * bits.count) }
  return t
}

private func floatTensor(bits: [UInt32]) -> Tensor {
  Tensor(bits.map { Float(bitPattern: $0) }, shape: [bits.count])
}

/// Which conversion path a test runs: the public one (F16C on CPUs that have it) or the
/// portable one that CPUs without it run.
enum ConversionPath: String, CaseIterable, Sendable {
  case dispatched, portable

  func narrow(_ src: [Float], to dtype: DType) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: src.count)
    let n = Int64(src.count)
    switch (self, dtype) {
    case (.dispatched, .bfloat16): descent_bf16_from_f32(src, &out, n)
    case (.portable, .bfloat16): descent_bf16_from_f32_portable(src, &out, n)
    case (.dispatched, _): descent_f16_from_f32(src, &out, n)
    case (.portable, _): descent_f16_from_f32_portable(src, &out, n)
    }
    return out
  }

  func widen(_ src: [UInt16], from dtype: DType) -> [UInt32] {
    var out = [Float](repeating: 0, count: src.count)
    let n = Int64(src.count)
    switch (self, dtype) {
    case (_, .bfloat16): descent_f32_from_bf16(src, &out, n)
    case (.dispatched, _): descent_f32_from_f16(src, &out, n)
    case (.portable, _): descent_f32_from_f16_portable(src, &out, n)
    }
    return out.map(\.bitPattern)
  }
}

@Suite("bfloat16 and float16 against PyTorch")
struct HalfPrecisionTests {
  static let halfTypes: [DType] = [.bfloat16, .float16]
  let fixture = HalfFixture.shared

  @Test func dtypeBasics() {
    #expect(DType.bfloat16.byteSize == 2)
    #expect(DType.float16.byteSize == 2)
    #expect(DType.bfloat16.isFloatingPoint && DType.float16.isFloatingPoint)
    #expect(DType.bfloat16.description == "torch.bfloat16")
    #expect(DType.float16.description == "torch.float16")
    let t = Tensor([1, 2, 3], shape: [3], dtype: .bfloat16)
    #expect(t.dtype == .bfloat16)
    #expect(t.storage.byteCount == 6)
    #expect(t.asArray(Float.self) == [1, 2, 3])
    #expect(Tensor.zeros([2, 2], dtype: .float16).asArray(Double.self) == [0, 0, 0, 0])
    #expect(Tensor.ones([3], dtype: .bfloat16).asArray(Int.self) == [1, 1, 1])
  }

  @Test(
    "float32 -> half: edge cases and random bit patterns, bit for bit",
    arguments: halfTypes, ConversionPath.allCases)
  func narrowFromFloat32(_ dtype: DType, _ path: ConversionPath) {
    let f = fixture.from_float32
    let inputs = f.inputs.map { UInt32($0, radix: 16)! }
    let expected = (dtype == .bfloat16 ? f.bfloat16 : f.float16).map { UInt16($0, radix: 16)! }
    let floats = inputs.map { Float(bitPattern: $0) }
    let got = path.narrow(floats, to: dtype)
    var mismatches = 0
    for i in inputs.indices where got[i] != expected[i] {
      mismatches += 1
      if mismatches <= 5 {
        Issue.record(
          "\(dtype) \(path): 0x\(String(inputs[i], radix: 16)) -> 0x\(String(got[i], radix: 16)), PyTorch 0x\(String(expected[i], radix: 16))"
        )
      }
    }
    #expect(mismatches == 0)
    // The public API (to(dtype:)) gives the same bits.
    if path == .dispatched {
      #expect(bits16(floatTensor(bits: inputs).to(dtype: dtype)) == expected)
    }
  }

  @Test(
    "float32 -> half over 4M strided float32 bit patterns (hash of PyTorch's results)",
    arguments: halfTypes, ConversionPath.allCases)
  func narrowStrided(_ dtype: DType, _ path: ConversionPath) {
    let s = fixture.from_float32.strided
    let multiplier = UInt64(s.multiplier, radix: 16)!
    let addend = UInt64(s.addend, radix: 16)!
    let floats = (0..<UInt64(s.count)).map {
      Float(bitPattern: UInt32(truncatingIfNeeded: $0 &* multiplier &+ addend))
    }
    let got = path.narrow(floats, to: dtype)
    #expect(got.withUnsafeBytes { fnv1a64($0) } == s.fnv1a64[dtype.rawValue])
  }

  @Test(
    "half -> float32 and float64, all 65,536 bit patterns (hash of PyTorch's results)",
    arguments: halfTypes, ConversionPath.allCases)
  func widenExhaustive(_ dtype: DType, _ path: ConversionPath) {
    let all = (0..<65536).map { UInt16($0) }
    let got = path.widen(all, from: dtype)
    #expect(got.withUnsafeBytes { fnv1a64($0) } == fixture.widen[dtype.rawValue]!.float32_fnv1a64)
    if path == .dispatched {
      let doubles = halfTensor(all, dtype).to(dtype: .float64).asArray(Double.self).map(\.bitPattern)
      #expect(doubles.withUnsafeBytes { fnv1a64($0) } == fixture.widen[dtype.rawValue]!.float64_fnv1a64)
    }
  }

  @Test("the portable and the dispatched conversions agree on all half values and a float32 sweep")
  func pathsAgree() {
    let all = (0..<65536).map { UInt16($0) }
    #expect(
      ConversionPath.dispatched.widen(all, from: .float16)
        == ConversionPath.portable.widen(all, from: .float16))
    // Every 257th float32 bit pattern (16.7M values).
    let sweep = stride(from: UInt64(0), to: 1 << 32, by: 257).map { Float(bitPattern: UInt32($0)) }
    for dtype in Self.halfTypes {
      #expect(
        ConversionPath.dispatched.narrow(sweep, to: dtype) == ConversionPath.portable.narrow(sweep, to: dtype)
      )
    }
  }

  @Test("scalar rounding to half (the per-op kernels') equals the conversions", arguments: halfTypes)
  func scalarRoundingAgrees(_ dtype: DType) {
    // Every 1021st float32 bit pattern (4.2M values: NaNs, infinities, subnormals and the
    // overflow boundary among them), and values halfway between half neighbours.
    var values = stride(from: UInt64(0), to: 1 << 32, by: 1021).map { Float(bitPattern: UInt32($0)) }
    values += (0..<65536).flatMap { h -> [Float] in
      let low = ConversionPath.dispatched.widen([UInt16(h)], from: dtype)[0]
      let step: UInt32 = dtype == .bfloat16 ? 0x8000 : 0x1000
      return [
        Float(bitPattern: low &+ step), Float(bitPattern: low &+ step &- 1),
        Float(bitPattern: low &+ step &+ 1),
      ]
    }
    let converted = ConversionPath.dispatched.widen(
      ConversionPath.dispatched.narrow(values, to: dtype), from: dtype)
    var wrong = 0
    for (x, want) in zip(values, converted) where dtype.rounding(x).bitPattern != want { wrong += 1 }
    #expect(wrong == 0, "\(wrong) of \(values.count) values round differently")
  }

  @Test("float64 -> half rounds through float32, as PyTorch", arguments: halfTypes)
  func narrowFromFloat64(_ dtype: DType) {
    let f = fixture.from_float64
    let values = f.inputs.map { Double($0)! }
    let expected = (dtype == .bfloat16 ? f.bfloat16 : f.float16).map { UInt16($0, radix: 16)! }
    #expect(bits16(Tensor(values, shape: [values.count], dtype: .float64).to(dtype: dtype)) == expected)
    // Creating the tensor directly from Doubles rounds the same way.
    #expect(bits16(Tensor(values, shape: [values.count], dtype: dtype)) == expected)
  }

  @Test("elementwise ops compute in float32 and round once", arguments: halfTypes)
  func elementwise(_ dtype: DType) throws {
    let ops = try #require(fixture.ops[dtype.rawValue])
    func bits(_ key: String) -> [UInt16] { ops[key]!.ints.map { UInt16($0) } }
    let a = halfTensor(bits("a"), dtype)
    let b = halfTensor(bits("b"), dtype)
    let cases: [(String, Tensor)] = [
      ("add", a + b), ("sub", a - b), ("mul", a * b), ("div", a / b), ("add_alpha", a.add(b, alpha: 0.3)),
      ("sqrt_abs", a.abs().sqrt()), ("neg", -a), ("maximum", Tensor.maximum(a, b)), ("relu", a.relu()),
      ("mul_scalar", a * 0.1), ("add_scalar", a + 2.5), ("add_scalar_inexact", a + 0.1),
      ("div_scalar", a / 0.3), ("sub_scalar", a - 0.7),
      ("addcmul_", a.clone().addcmulInPlace(b, b, value: 0.3)),
      ("lerp_", a.clone().lerpInPlace(b, weight: 0.1)),
      ("where", Tensor.where(a .> b, a, b)),
    ]
    for (name, result) in cases {
      #expect(result.dtype == dtype, "\(name)")
      let got = bits16(result)
      let want = bits(name)
      let wrong = zip(got, want).filter { $0 != $1 }.count
      #expect(wrong == 0, "\(name): \(wrong) of \(want.count) elements differ from PyTorch")
    }
  }

  @Test("softmax and log_softmax rows as PyTorch's half kernels round them", arguments: halfTypes)
  func rowKernels(_ dtype: DType) throws {
    let ops = try #require(fixture.ops[dtype.rawValue])
    func bits(_ key: String) -> [UInt16] { ops[key]!.ints.map { UInt16($0) } }
    let rows = halfTensor(bits("a"), dtype).reshape([40, 25])
    let cases: [(String, Tensor)] = [
      ("log_softmax_last", rows.logSoftmax(dim: 1)), ("log_softmax_dim0", rows.logSoftmax(dim: 0)),
      ("softmax_last", rows.softmax(dim: 1)),
    ]
    for (name, result) in cases {
      #expect(result.dtype == dtype)
      let wrong = zip(bits16(result), bits(name)).filter { $0 != $1 }.count
      #expect(wrong == 0, "\(name): \(wrong) of 1000 elements differ from PyTorch")
    }
  }

  @Test("views that start inside their storage convert their own elements", arguments: halfTypes)
  func offsetViews(_ dtype: DType) throws {
    let values = (0..<40).map { Double($0) * 0.25 - 3 }
    let a = Tensor(values, shape: [40], dtype: dtype)
    #expect(a[5].item() == values[5])
    #expect(a.narrow(dim: 0, start: 7, length: 20).asArray(Double.self) == Array(values[7..<27]))
    #expect(
      a.narrow(dim: 0, start: 3, length: 8).to(dtype: .float32).asArray(Double.self) == Array(values[3..<11]))
    #expect((a.narrow(dim: 0, start: 9, length: 4) + 1).asArray(Double.self) == values[9..<13].map { $0 + 1 })
    // Writing float32 values into a view of a half tensor lands in the view's elements.
    let b = Tensor.zeros([10], dtype: dtype)
    b.narrow(dim: 0, start: 6, length: 3).copyInPlace(from: Tensor([1, 2, 3], shape: [3], dtype: .float32))
    #expect(b.asArray(Double.self) == [0, 0, 0, 0, 0, 0, 1, 2, 3, 0])
  }

  @Test("scalar ops on 0-d half tensors stay half, mul/div with the scalar in float32", arguments: halfTypes)
  func zeroDimensionalScalarOps(_ dtype: DType) throws {
    let ops = try #require(fixture.ops[dtype.rawValue])
    func bits(_ key: String) -> [UInt16] { ops[key]!.ints.map { UInt16($0) } }
    let a = halfTensor(bits("a"), dtype)
    let cases: [(String, (Tensor) -> Tensor)] = [
      ("zero_dim_mul_scalar", { $0 * 0.1 }), ("zero_dim_scalar_mul", { 0.3 * $0 }),
      ("zero_dim_div_scalar", { $0 / 0.3 }), ("zero_dim_scalar_div", { 2.5 / $0 }),
      ("zero_dim_add_scalar_inexact", { $0 + 0.1 }), ("zero_dim_sub_scalar", { $0 - 0.7 }),
    ]
    for (name, op) in cases {
      let results = (0..<64).map { op(a[$0]) }
      #expect(results.allSatisfy { $0.dtype == dtype && $0.rank == 0 }, "\(name)")
      let got = results.map { bits16($0)[0] }
      let wrong = zip(got, bits(name)).filter { $0 != $1 }.count
      #expect(wrong == 0, "\(name): \(wrong) of 64 values differ from PyTorch")
    }
    // Gradients stay half: PyTorch 2.13 gives x.grad = 0.10009765625 (bfloat16) and
    // 0.0999755859375 (float16) for (x * 0.1).backward(), 3.328125 and 3.333984375 for
    // (x / 0.3).backward(), with x = 1.25.
    let x = Tensor(scalar: 1.25, dtype: dtype).requiresGrad(true)
    (x * 0.1).backward()
    #expect(x.grad?.dtype == dtype)
    #expect(x.grad?.item() == (dtype == .bfloat16 ? 0.10009765625 : 0.0999755859375))
    let y = Tensor(scalar: 1.25, dtype: dtype).requiresGrad(true)
    (y / 0.3).backward()
    #expect(y.grad?.item() == (dtype == .bfloat16 ? 3.328125 : 3.333984375))
  }

  @Test("reductions and matmul: float32 accumulation, rounded once", arguments: halfTypes)
  func reductionsAndMatmul(_ dtype: DType) throws {
    let ops = try #require(fixture.ops[dtype.rawValue])
    func bits(_ key: String) -> [UInt16] { ops[key]!.ints.map { UInt16($0) } }
    let a = halfTensor(bits("a"), dtype)
    let b = halfTensor(bits("b"), dtype)
    // One unit in the last place of the half result: PyTorch sums in another order.
    let ulp = dtype == .bfloat16 ? 1.0 / 128 : 1.0 / 1024
    let sum = a.sum()
    #expect(sum.dtype == dtype)
    let torchSum = ops["sum"]!.number!
    #expect(Swift.abs(sum.item() - torchSum) <= ulp * Swift.max(1, Swift.abs(torchSum)))
    let mean = a.mean()
    #expect(
      Swift.abs(mean.item() - ops["mean"]!.number!) <= ulp * Swift.max(1, Swift.abs(ops["mean"]!.number!)))
    let m1 = a.narrow(dim: 0, start: 0, length: 128).reshape([8, 16])
    let m2 = b.narrow(dim: 0, start: 0, length: 64).reshape([16, 4])
    let product = m1.matmul(m2)
    #expect(product.dtype == dtype)
    let want = ops["matmul"]!.doubles!
    for (g, w) in zip(product.asArray(Double.self), want) {
      #expect(Swift.abs(g - w) <= ulp * Swift.max(1, Swift.abs(w)), "matmul \(g) vs \(w)")
    }
  }

  @Test("autograd: gradients in the parameter's dtype", arguments: halfTypes)
  func autograd(_ dtype: DType) throws {
    let ops = try #require(fixture.ops[dtype.rawValue])
    func bits(_ key: String) -> [UInt16] { ops[key]!.ints.map { UInt16($0) } }
    let p = halfTensor(Array(bits("a").prefix(16)), dtype).requiresGrad(true)
    let b = halfTensor(Array(bits("b").prefix(16)), dtype)
    (p * b).sum().backward()
    let grad = try #require(p.grad)
    #expect(grad.dtype == dtype)
    #expect(ops["grad_dtype"]!.string == dtype.rawValue)
    #expect(bits16(grad) == bits("grad_mul"))
    // A float32 consumer of a half leaf still hands back a half gradient.
    let q = Tensor([1, 2], shape: [2], dtype: dtype).requiresGrad(true)
    (q.to(dtype: .float32) * 3).sum().backward()
    #expect(q.grad?.dtype == dtype)
    #expect(q.grad?.asArray(Double.self) == [3, 3])
  }

  @Test("description is PyTorch's repr")
  func repr() {
    for c in fixture.repr {
      let dtype = DType(rawValue: c.dtype)!
      let values = c.values.map { Double($0)! }
      let t =
        c.scalar == true
        ? Tensor(values, shape: [], dtype: dtype) : Tensor(values, shape: [values.count], dtype: dtype)
      if c.requires_grad == true { t.requiresGrad = true }
      #expect(t.description == c.repr)
    }
  }

  @Test("type promotion is PyTorch's")
  func promotion() {
    for row in fixture.promotion {
      let a = Tensor.ones(row.a_dim == 1 ? [2] : [], dtype: DType(rawValue: row.a)!)
      let b = Tensor.ones(row.b_dim == 1 ? [2] : [], dtype: DType(rawValue: row.b)!)
      #expect(
        resultType(a, b).rawValue == row.result,
        "\(row.a)[\(row.a_dim)] + \(row.b)[\(row.b_dim)]")
      if DType(rawValue: row.result)!.isFloatingPoint {
        #expect((a + b).dtype.rawValue == row.result)
      }
    }
  }

  @Test("views, strided copies and in-place updates keep 16-bit storage", arguments: halfTypes)
  func viewsAndCopies(_ dtype: DType) {
    let t = Tensor((0..<12).map(Double.init), shape: [3, 4], dtype: dtype)
    let tt = t.t()
    #expect(tt.contiguous().asArray(Double.self) == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    let f = Tensor.zeros([4, 3], dtype: .float32)
    f.copyInPlace(from: tt)
    #expect(f.asArray(Double.self) == tt.asArray(Double.self))
    // A strided half destination.
    let d = Tensor.zeros([4, 3], dtype: dtype).t()
    d.copyInPlace(from: t.to(dtype: .float64))
    #expect(d.asArray(Double.self) == t.asArray(Double.self))
    t.mulInPlace(0.5)
    #expect(t.dtype == dtype && t.asArray(Double.self) == (0..<12).map { Double($0) / 2 })
    #expect(Tensor.full([2], 1e6, dtype: .float16).asArray(Double.self) == [.infinity, .infinity])
    #expect(Tensor.full([1], 1.00390625, dtype: .bfloat16).item() == 1.0)  // a tie, to even
  }

  @Test("safetensors round trip of BF16 and F16", arguments: halfTypes)
  func safetensors(_ dtype: DType) throws {
    let t = Tensor([0.1, -2.5, 65504, .nan], shape: [2, 2], dtype: dtype)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("half-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try saveSafetensors(["w": t], to: url)
    let header = try readSafetensorsHeader(from: url)
    #expect(header.entries.first?.dtype == (dtype == .bfloat16 ? "BF16" : "F16"))
    #expect(header.entries.first?.isSupported == true)
    let back = try loadSafetensors(from: url).tensors["w"]!
    #expect(back.dtype == dtype)
    #expect(bits16(back) == bits16(t))
  }

  @Test("linalg refuses half precision with PyTorch's message")
  func linalgRefuses() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = try? Linalg.inv(Tensor.eye(2, dtype: .bfloat16))
    }
    expectStopMessage(result, "linalg.inv: Low precision dtypes not supported. Got BFloat16")
  }
}
