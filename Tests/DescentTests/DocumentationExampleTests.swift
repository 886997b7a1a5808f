import Testing

@testable import Descent

/// The example on the DocC landing page (Descent.docc/Descent.md) runs as written.
@Test func landingPageExampleRuns() {
  let x = Tensor([1, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
  let w = Tensor.randn([3, 2], generator: Generator(seed: 0)).requiresGrad(true)
  let y = (x.matmul(w) + 1).relu()
  let loss = (y - 0.5).pow(2).mean()
  loss.backward()
  #expect(x.dtype == .float32)
  #expect(w.grad?.shape == [3, 2])
  #expect(x.t().storage === x.storage)
  #expect(w.grad!.description.hasPrefix("tensor([["))
}
