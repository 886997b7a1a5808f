/// A node of the autograd graph: the backward function of the op that made a tensor.
///
/// It holds the op's inputs that required grad when the op ran (its edges; `nil` in the
/// other positions, as PyTorch records no edge for them) and a closure that maps the
/// output's gradient to one gradient per input (`nil` where an input needs none). An input
/// that starts requiring grad later, say by a `copyInPlace(from:)`, gets no gradient from
/// this node, as in PyTorch. After a backward pass without `retainGraph` the closure and
/// the inputs are released, like PyTorch's freed saved tensors; the node stays attached to
/// its tensor so that a second pass stops with PyTorch's error.
public final class GradNode {
  /// PyTorch's name for the node, e.g. `"MulBackward0"`.
  public let name: String
  var inputs: [Tensor?]
  var backwardFunction: ((Tensor) -> [Tensor?])?

  init(name: String, inputs: consuming [Tensor?], backward: @escaping (Tensor) -> [Tensor?]) {
    self.name = name
    // The caller's array, taken over and edited in place (no second array per node).
    var edges = inputs
    for i in edges.indices where edges[i]?.requiresGrad != true { edges[i] = nil }
    self.inputs = edges
    self.backwardFunction = backward
  }

  /// The nodes this one passes gradients to (`next_functions`, without leaves); empty
  /// once a backward pass has freed this node.
  public var nextFunctions: [GradNode] { inputs.compactMap { $0?.gradFn } }

  // Releasing a long chain recursively would overflow the stack (a 100k-op chain is a
  // 100k-deep release), so the graph is taken apart here with an explicit stack.
  deinit {
    var pending = inputs.compactMap { $0 }
    inputs = []
    backwardFunction = nil
    while var tensor = pending.popLast() {
      guard isKnownUniquelyReferenced(&tensor), var node = tensor.gradFn else { continue }
      tensor.gradFn = nil
      if isKnownUniquelyReferenced(&node) {
        pending.append(contentsOf: node.inputs.compactMap { $0 })
        node.inputs = []
        node.backwardFunction = nil
      }
    }
  }
}

extension Tensor {
  /// Records `self` as the output of a differentiable op when grad mode is on and an input
  /// requires grad. Returns `self` for chaining.
  @discardableResult
  func recording(
    _ name: String, _ inputs: consuming [Tensor?], _ backward: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    guard GradMode.isEnabled, inputs.contains(where: { $0?.requiresGrad == true }) else { return self }
    gradFn = GradNode(name: name, inputs: inputs, backward: backward)
    return self
  }
}
