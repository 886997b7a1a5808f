import Testing

@testable import Descent

/// Data movement, views and in-place ops on bfloat16/float16 tensors, views that start
/// inside their storage or are not contiguous included, give the float32 results on values
/// that both types hold exactly (and the float32 results rounded once where an op computes).
@Suite struct HalfViewOpsTests {
  @Test("views and data movement on half tensors agree with float32", arguments: [DType.bfloat16, .float16])
  func viewsAgreeWithFloat32(_ dtype: DType) {
    let values = (0..<24).map { Double($0) * 0.5 - 5 }
    let f = Tensor(values, shape: [4, 6], dtype: .float32)
    let h = f.to(dtype: dtype)
    func same(_ name: String, _ a: Tensor, _ b: Tensor) {
      let ok = a.shape == b.shape && a.asArray(Double.self) == b.asArray(Double.self)
      #expect(ok, "\(name)")
    }
    let idx = Tensor([2, 0, 3], shape: [3], dtype: .int64)
    same("transpose.contiguous", h.transpose(0, 1).contiguous(), f.transpose(0, 1).contiguous())
    same("transpose+1", h.transpose(0, 1) + 1, f.transpose(0, 1) + 1)
    same("permute", h.permute([1, 0]).contiguous(), f.permute([1, 0]).contiguous())
    same("expand", h[1].expand([3, 6]).contiguous(), f[1].expand([3, 6]).contiguous())
    same("narrow dim1", h.narrow(dim: 1, start: 2, length: 3) * 2, f.narrow(dim: 1, start: 2, length: 3) * 2)
    same(
      "cat", Tensor.cat([h, h.narrow(dim: 0, start: 2, length: 2)], dim: 0),
      Tensor.cat([f, f.narrow(dim: 0, start: 2, length: 2)], dim: 0))
    same(
      "cat dim1", Tensor.cat([h, h.narrow(dim: 1, start: 1, length: 2)], dim: 1),
      Tensor.cat([f, f.narrow(dim: 1, start: 1, length: 2)], dim: 1))
    same("stack", Tensor.stack([h[0], h[3]]), Tensor.stack([f[0], f[3]]))
    same("indexSelect", h.indexSelect(dim: 0, index: idx), f.indexSelect(dim: 0, index: idx))
    same("indexSelect dim1", h.indexSelect(dim: 1, index: idx), f.indexSelect(dim: 1, index: idx))
    let gi = Tensor(
      [0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], shape: [4, 6], dtype: .int64)
    same("gather", h.gather(dim: 1, index: gi), f.gather(dim: 1, index: gi))
    same(
      "clone of view", h.narrow(dim: 0, start: 1, length: 2).clone(),
      f.narrow(dim: 0, start: 1, length: 2).clone())
    same("where", Tensor.where(h .> 0, h, h * -1), Tensor.where(f .> 0, f, f * -1))
    same("clamp", h.clamp(min: -1, max: 2), f.clamp(min: -1, max: 2))
    same(
      "clamp view", h.narrow(dim: 0, start: 1, length: 3).clamp(min: -1, max: 2),
      f.narrow(dim: 0, start: 1, length: 3).clamp(min: -1, max: 2))
    same("max dim", h.max(dim: 1).values, f.max(dim: 1).values)
    same("argmax", h.argmax(dim: 1), f.argmax(dim: 1))
    same("tril", h.tril(), f.tril())
    same(
      "sum dim0 view", h.narrow(dim: 0, start: 1, length: 3).sum(dims: [0]),
      f.narrow(dim: 0, start: 1, length: 3).sum(dims: [0]))
    same("reshape of transpose", h.transpose(0, 1).reshape([24]), f.transpose(0, 1).reshape([24]))
    same(
      "scatterAdd", Tensor.zeros([4, 6], dtype: dtype).scatterAdd(dim: 1, index: gi, source: h),
      Tensor.zeros([4, 6]).scatterAdd(dim: 1, index: gi, source: f))
    let hv = h.clone()
    hv.narrow(dim: 0, start: 1, length: 2).copyInPlace(from: h.narrow(dim: 0, start: 0, length: 2))
    let fv = f.clone()
    fv.narrow(dim: 0, start: 1, length: 2).copyInPlace(from: f.narrow(dim: 0, start: 0, length: 2))
    same("copyInPlace views", hv, fv)
    let hw = h.clone(); hw[2].fill(7)
    let fw = f.clone(); fw[2].fill(7)
    same("fill view", hw, fw)
    let hc = h.clone(); hc.narrow(dim: 0, start: 1, length: 3).clampInPlace(min: 0)
    let fc = f.clone(); fc.narrow(dim: 0, start: 1, length: 3).clampInPlace(min: 0)
    same("clampInPlace view", hc, fc)
    let ha = h.clone();
    ha.narrow(dim: 0, start: 1, length: 3).addInPlace(h.narrow(dim: 0, start: 0, length: 3))
    let fa = f.clone();
    fa.narrow(dim: 0, start: 1, length: 3).addInPlace(f.narrow(dim: 0, start: 0, length: 3))
    same("addInPlace view", ha, fa)
    same(
      "matmul transposed", (h.transpose(0, 1).matmul(h)).to(dtype: .float32),
      (f.transpose(0, 1).matmul(f)).to(dtype: dtype).to(dtype: .float32))
    same(
      "softmax view", h.narrow(dim: 0, start: 1, length: 3).softmax(dim: 1),
      f.narrow(dim: 0, start: 1, length: 3).softmax(dim: 1).to(dtype: dtype))
    same(
      "relu view", h.narrow(dim: 0, start: 1, length: 3).relu(), f.narrow(dim: 0, start: 1, length: 3).relu())
  }
}
