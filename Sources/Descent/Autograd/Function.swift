extension Autograd {
  /// A differentiable function with a hand-written backward rule, like a subclass of
  /// `torch.autograd.Function`.
  ///
  /// `forward` runs without recording. When grad mode is on and an input requires grad, the
  /// result records a node named `name` whose backward is `backward(gradOutput, inputs,
  /// output)`, where `inputs` and `output` are detached views of the forward's tensors (so
  /// the closure never keeps the graph alive). It returns one gradient per input, `nil`
  /// where none is needed; each must have its input's shape.
  ///
  /// ```swift
  /// let y = Autograd.function("CubeBackward", inputs: [x]) { x in
  ///   x[0] * x[0] * x[0]
  /// } backward: { g, x, _ in
  ///   [g * x[0] * x[0] * 3]
  /// }
  /// ```
  public static func function(
    _ name: String, inputs: [Tensor], forward: ([Tensor]) -> Tensor,
    backward: @escaping (_ gradOutput: Tensor, _ inputs: [Tensor], _ output: Tensor) -> [Tensor?]
  ) -> Tensor {
    let saved = inputs.map { $0.detach() }
    // A fresh tensor object even when `forward` returns one of its inputs, so the node is
    // never attached to an input.
    let out = withNoGrad { forward(saved) }.detach()
    let savedOut = out.detach()
    let dtypes = inputs.map(\.dtype)
    return out.recording(name, inputs.map { $0 }) { g in
      let grads = backward(g, saved, savedOut)
      require(
        grads.count == dtypes.count,
        "function \(name) returned an incorrect number of gradients (expected \(dtypes.count), got \(grads.count))"
      )
      return zip(grads, dtypes).map { grad, dtype in grad?.to(dtype: dtype) }
    }
  }
}
