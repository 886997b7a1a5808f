import Descent
import DescentTestSupport
import Testing

@testable import DescentNN

@Suite("Module.to(dtype:)")
struct ModuleDTypeTests {
  @Test func doubleConvertsParametersInPlace() {
    let model = Sequential([
      Linear(3, 4, generator: Generator(seed: 1)), ReLU(), Linear(4, 1, generator: Generator(seed: 2)),
    ])
    let parameters = model.parameters()
    let values = parameters.map { $0.asArray(Double.self) }
    model.double()
    #expect(model.parameters().allSatisfy { $0.dtype == .float64 && $0.requiresGrad })
    // The same tensor objects (an optimizer made before still holds them), same values.
    #expect(zip(model.parameters(), parameters).allSatisfy { $0 === $1 })
    #expect(model.parameters().map { $0.asArray(Double.self) } == values)
    let y = model(Tensor.randn([5, 3], dtype: .float64))
    #expect(y.dtype == .float64)
    y.sum().backward()
    #expect(model.parameters().allSatisfy { $0.grad?.dtype == .float64 })
    model.float()
    #expect(model.parameters().allSatisfy { $0.dtype == .float32 && $0.grad?.dtype == .float32 })
  }

  @Test func integerBuffersStay() {
    let bn = BatchNorm1d(3)
    bn.to(dtype: .float64)
    for (name, buffer) in bn.namedBuffers() {
      #expect(buffer.dtype == (name == "num_batches_tracked" ? .int64 : .float64), "\(name)")
    }
  }

  @Test func nonFloatingDTypeStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Linear(2, 2).to(dtype: .int64)
    }
    expectStopMessage(
      result, "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64")
  }

  @Test func integerInputToLinearStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Linear(3, 2)(Tensor.ones([4, 3], dtype: .int64))
    }
    expectStopMessage(result, "mat1 and mat2 must have the same dtype, but got Long and Float")
    let noBias = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Linear(3, 2, bias: false)(Tensor.ones([4, 3], dtype: .int64))
    }
    expectStopMessage(noBias, "expected m1 and m2 to have the same dtype, but got: long int != float")
  }
}
