extension Tensor {
  /// Whether gradients are computed for this tensor (`requires_grad`).
  ///
  /// Results of ops on tensors that require grad require grad themselves. Only leaves can
  /// be switched, and only floating tensors can require grad, as in PyTorch.
  public var requiresGrad: Bool {
    get { requiresGradStorage || gradFn != nil }
    set {
      precondition(
        gradFn == nil || newValue,
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
      )
      precondition(
        !newValue || dtype.isFloatingPoint,
        "only Tensors of floating point dtype can require gradients")
      requiresGradStorage = newValue
    }
  }

  /// `true` for tensors not produced by a recorded op (user-created tensors, parameters,
  /// results computed under ``withNoGrad(_:)``, and tensors that don't require grad).
  public var isLeaf: Bool { gradFn == nil }

  /// Sets ``requiresGrad`` and returns `self` (`requires_grad_()`).
  @discardableResult
  public func requiresGrad(_ flag: Bool) -> Tensor {
    requiresGrad = flag
    return self
  }

  /// Asks a non-leaf tensor to keep its `.grad` after backward (`retain_grad()`).
  public func retainGrad() {
    precondition(requiresGrad, "can't retain_grad on Tensor that has requires_grad=False")
    if gradFn != nil { retainsGradStorage = true }
  }

  /// Whether this non-leaf keeps its gradient (`retains_grad`).
  public var retainsGrad: Bool { retainsGradStorage }

  /// A tensor sharing this one's storage that is cut from the graph (`detach()`).
  public func detach() -> Tensor {
    Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
  }

  /// Computes the gradient of this tensor with respect to the graph's leaves and
  /// accumulates it into their `.grad` (`Tensor.backward`).
  ///
  /// - Parameters:
  ///   - gradient: the gradient of some scalar with respect to `self`. Required unless
  ///     `self` holds a single element, in which case it defaults to one.
  ///   - retainGraph: keep the graph so that backward can run through it again.
  ///     Without it a second backward through the same nodes stops with PyTorch's error.
  ///
  /// The graph is ordered iteratively, so chains of any length work.
  public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) {
    precondition(
      requiresGrad,
      "element 0 of tensors does not require grad and does not have a grad_fn")
    let seed: Tensor
    if let gradient {
      precondition(
        gradient.shape == shape,
        "backward: Mismatch in shape: grad_output[0] has a shape of \(gradient.shape) and output[0] has a shape of \(shape).")
      seed = gradient.to(dtype: dtype)
    } else {
      precondition(count == 1, "grad can be implicitly created only for scalar outputs")
      seed = Tensor.ones(shape, dtype: dtype)
    }
    withNoGrad { runBackward(seed: seed, retainGraph: retainGraph) }
  }

  private func runBackward(seed: Tensor, retainGraph: Bool) {
    // Reverse topological order by iterative post-order DFS over tensors.
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Int)] = [(self, 0)]
    visited.insert(ObjectIdentifier(self))
    while let (tensor, next) = stack.popLast() {
      let inputs = tensor.gradFn?.inputs ?? []
      if next < inputs.count {
        stack.append((tensor, next + 1))
        let input = inputs[next]
        if input.requiresGrad && visited.insert(ObjectIdentifier(input)).inserted {
          stack.append((input, 0))
        }
      } else {
        order.append(tensor)
      }
    }
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
    for tensor in order.reversed() {
      guard let grad = grads.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
      guard let node = tensor.gradFn else {
        tensor.accumulateGrad(grad)
        continue
      }
      if tensor.retainsGradStorage { tensor.accumulateGrad(grad) }
      guard let function = node.backwardFunction else {
        preconditionFailure(
          "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
        )
      }
      let inputGrads = function(grad)
      if !retainGraph { node.backwardFunction = nil }
      for (input, inputGrad) in zip(node.inputs, inputGrads) {
        guard input.requiresGrad, let inputGrad else { continue }
        precondition(
          inputGrad.shape == input.shape,
          "\(node.name): returned a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)"
        )
        let key = ObjectIdentifier(input)
        if let existing = grads[key] {
          grads[key] = existing + inputGrad
        } else {
          grads[key] = inputGrad
        }
      }
    }
  }

  /// Adds `incoming` into `.grad`, allocating a fresh contiguous buffer the first time so
  /// that `.grad` never aliases another tensor.
  private func accumulateGrad(_ incoming: Tensor) {
    if let grad {
      grad.addInPlace(incoming)
    } else {
      grad = incoming.to(dtype: dtype).contiguousCopy()
    }
  }
}
