import DescentTestSupport
import Foundation
import Testing

@testable import Descent

/// What a PyTorch user reaches for in the first hour: non-finite guards, anomaly detection,
/// dtype discipline in products, tensors from nested arrays, `requiresGrad:` on random
/// creation, and `DType`'s printing.
@Suite("First-hour conveniences")
struct FirstHourTests {
  @Test(arguments: [DType.float32, .float64])
  func nonFiniteMasks(_ dtype: DType) {
    let x = Tensor([.nan, .infinity, -.infinity, 1, -0.0] as [Double], dtype: dtype)
    #expect(x.isnan().asArray(Bool.self) == [true, false, false, false, false])
    #expect(x.isinf().asArray(Bool.self) == [false, true, true, false, false])
    #expect(x.isfinite().asArray(Bool.self) == [false, false, false, true, true])
    #expect(x.isnan().dtype == .bool)
    let big = dtype == .float32 ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
    #expect(x.nanToNum().asArray(Double.self) == [0, big, -big, 1, 0])
    #expect(x.nanToNum(nan: 7, posinf: 8, neginf: -9).asArray(Double.self) == [7, 8, -9, 1, 0])
    let ints = Tensor([1, 2] as [Int])
    #expect(ints.isnan().asArray(Bool.self) == [false, false])
    #expect(ints.isfinite().asArray(Bool.self) == [true, true])
    #expect(ints.nanToNum().asArray(Int.self) == [1, 2])
  }

  @Test func nanToNumPassesGradientOnlyThroughFiniteElements() {
    let x = Tensor([.nan, 2, .infinity] as [Double], dtype: .float64, requiresGrad: true)
    (x.nanToNum() * 3).sum().backward()
    #expect(x.grad!.asArray(Double.self) == [0, 3, 0])
  }

  @Test func detectAnomalyNamesTheOp() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
      Autograd.detectAnomaly { (x / x).sum().backward() }
    }
    expectStopMessage(result, "Function 'DivBackward0' returned nan values in its 1th output.")
    let sqrt = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([-1, 4] as [Double], requiresGrad: true)
      Autograd.detectAnomaly { x.sqrt().sum().backward() }
    }
    expectStopMessage(sqrt, "Function 'SqrtBackward0' returned nan values in its 0th output.")
  }

  @Test func withoutAnomalyModeNaNGradientsPassThrough() {
    let x = Tensor.zeros([2], dtype: .float64, requiresGrad: true)
    (x / x).sum().backward()
    #expect(x.grad!.asArray(Double.self).allSatisfy { $0.isNaN })
    #expect(!Autograd.isAnomalyEnabled)
    Autograd.detectAnomaly {
      #expect(Autograd.isAnomalyEnabled)
      Autograd.detectAnomaly(checkNaN: false) { #expect(!Autograd.isAnomalyEnabled) }
      #expect(Autograd.isAnomalyEnabled)
      let y = Tensor([1, 2] as [Double], requiresGrad: true)
      (y * y).sum().backward()  // finite: no stop
      #expect(y.grad!.asArray(Double.self) == [2, 4])
    }
    #expect(!Autograd.isAnomalyEnabled)
  }

  @Test func integerOperandsOfMatmulStopWithPyTorchsMessage() async {
    let mixed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([2, 3], dtype: .int64).matmul(Tensor.ones([3, 2]))
    }
    expectStopMessage(mixed, "expected m1 and m2 to have the same dtype, but got: long int != float")
    let dot = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([3]).matmul(Tensor.ones([3], dtype: .int64))
    }
    expectStopMessage(dot, "dot : expected both vectors to have same dtype, but found Float and Long")
    let mv = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([2, 3], dtype: .int64).matmul(Tensor.ones([3]))
    }
    expectStopMessage(mv, "addmv input tensors must have the same dtype, but got Float, Long, and Float")
    let bmm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([4, 2, 3]).matmul(Tensor.ones([4, 3, 2], dtype: .int64))
    }
    expectStopMessage(bmm, "expected scalar type Float but found Long")
    let both = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([2, 3], dtype: .int64).matmul(Tensor.ones([3, 2], dtype: .int64))
    }
    expectStopMessage(both, "\"addmm_impl_cpu_\" not implemented for 'Long'")
  }

  @Test func tensorFromNestedArrays() {
    let a = Tensor([[1, 2], [3, 4]])
    #expect(a.shape == [2, 2] && a.dtype == .int64)
    #expect(a.asArray(Int.self) == [1, 2, 3, 4])
    let b = Tensor([[1.5, 2], [3, 4], [5, 6]])
    #expect(b.shape == [3, 2] && b.dtype == .float32)
    let c = Tensor([[[1.0, 2], [3, 4]], [[5, 6], [7, 8]]], dtype: .float64, requiresGrad: true)
    #expect(c.shape == [2, 2, 2] && c.dtype == .float64 && c.requiresGrad)
    #expect(c.asArray(Double.self) == [1, 2, 3, 4, 5, 6, 7, 8])
    let m = Tensor([[true], [false]])
    #expect(m.shape == [2, 1] && m.dtype == .bool)
    let f = Tensor([[Float(1), 2]])
    #expect(f.dtype == .float32 && f.shape == [1, 2])
  }

  @Test func raggedNestedArraysStop() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([[1, 2], [3]])
    }
    expectStopMessage(result, "expected sequence of length 2 at dim 1 (got 1)")
    let deep = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([[[1, 2], [3, 4]], [[5, 6], [7]]])
    }
    expectStopMessage(deep, "expected sequence of length 2 at dim 2 (got 1)")
  }

  @Test func randomCreationTakesRequiresGrad() {
    let g = Generator(seed: 0)
    #expect(Tensor.randn([2, 3], generator: g, requiresGrad: true).requiresGrad)
    #expect(Tensor.rand([2], dtype: .float64, requiresGrad: true).requiresGrad)
    #expect(Tensor.full([2], 3, requiresGrad: true).requiresGrad)
    #expect(!Tensor.randn([2]).requiresGrad)
    // Same stream with or without the flag.
    let x = Tensor.randn([4], generator: Generator(seed: 5))
    let y = Tensor.randn([4], generator: Generator(seed: 5), requiresGrad: true)
    #expect(x.asArray(Float.self) == y.asArray(Float.self))
  }

  @Test func dtypePrintsAsPyTorchDoes() {
    #expect("\(DType.float32)" == "torch.float32")
    #expect(DType.int64.rawValue == "int64")
    // A tensor's description is PyTorch's repr, with PyTorch's spelling.
    #expect(
      Tensor([1, 2] as [Double], dtype: .float64).description == "tensor([1., 2.], dtype=torch.float64)")
  }

  @Test func convertInPlaceKeepsIdentityAndConvertsGrad() {
    let p = Tensor([1.5, -2] as [Double], requiresGrad: true)
    (p * p).sum().backward()
    let before = ObjectIdentifier(p)
    p.convertInPlace(to: .float64)
    #expect(ObjectIdentifier(p) == before && p.dtype == .float64 && p.requiresGrad)
    #expect(p.asArray(Double.self) == [1.5, -2])
    #expect(p.grad!.dtype == .float64 && p.grad!.asArray(Double.self) == [3, -4])
  }
}
