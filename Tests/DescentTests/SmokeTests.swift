import Testing

@testable import Descent

@Test func smoke() {
  let x = Tensor([1.0, 2.0, 3.0, 4.0], shape: [2, 2])
  #expect((x * 2 + 1).sum().item() == 24)
  let w = Tensor([0.5, -1.5, 2.0, 0.25], shape: [2, 2], dtype: .float64, requiresGrad: true)
  let y = (w.matmul(w.t()).exp().sum(dim: 1) * Tensor([1.0, 2.0], dtype: .float64)).mean()
  y.backward()
  print(w.grad!, y, w.t(), x.matmul(x), Tensor.randn([3, 4]))
  print(Tensor.arange(5), Tensor.eye(3) .> 0.5, Tensor.zeros([0, 3]))
  let q = Linalg.qr(Tensor([1.0, 2, 3, 4, 5, 6], shape: [3, 2], dtype: .float64))
  print(q.q, q.r, q.q.matmul(q.r))
}
