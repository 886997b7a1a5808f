extension Tensor {
  /// Whether gradients are computed for this tensor (`requires_grad`).
  ///
  /// Results of ops on tensors that require grad require grad themselves. Only leaves can
  /// be switched, and only floating tensors can require grad, as in PyTorch.
  public var requiresGrad: Bool {
    get { requiresGradStorage || gradFn != nil }
    set {
      require(
        gradFn == nil || newValue,
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
      )
      require(
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
  ///
  /// Like PyTorch, the retained gradient accumulates across backward passes. On a leaf
  /// this does nothing (leaves always keep their gradient).
  public func retainGrad() {
    require(requiresGrad, "can't retain_grad on Tensor that has requires_grad=False")
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
  ///
  /// Departure from PyTorch: a backward pass without `retainGraph` frees every node it ran
  /// through. PyTorch frees only the saved tensors, so it lets a second pass run through
  /// nodes that save none (such as an addition); Descent stops there too.
  public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) {
    require(
      requiresGrad,
      "element 0 of tensors does not require grad and does not have a grad_fn")
    let seed = AutogradEngine.seed(for: self, gradient: gradient, index: 0)
    withNoGrad {
      _ = AutogradEngine.run(roots: [(self, seed)], retainGraph: retainGraph, capturing: nil)
    }
  }

  /// Adds `incoming` into `.grad`. The first time, `.grad` becomes a fresh contiguous
  /// tensor that aliases nothing: `incoming` itself when `mayTake` and nothing else refers
  /// to it or its storage (the engine's own temporary, as PyTorch's `AccumulateGrad`
  /// steals a gradient whose use count allows it), else a copy.
  func accumulateGrad(_ incoming: inout Tensor, mayTake: Bool = false) {
    if let grad {
      grad.addInPlace(incoming)
    } else if mayTake, incoming.dtype == dtype, incoming.shape == shape, incoming.offset == 0,
      incoming.gradFn == nil, !incoming.requiresGradStorage, incoming.isContiguous,
      incoming.storage.count == incoming.count, isKnownUniquelyReferenced(&incoming),
      isKnownUniquelyReferenced(&incoming.storage)
    {
      gradStorage = incoming
    } else {
      gradStorage = incoming.to(dtype: dtype).contiguousCopy()
    }
  }
}

/// The reverse-mode engine shared by ``Tensor/backward(gradient:retainGraph:)`` and
/// ``Autograd/grad(_:inputs:gradOutputs:retainGraph:allowUnused:)``.
enum AutogradEngine {
  /// The gradient that starts a backward pass from `output`: the given one (checked against
  /// the output's shape) or, for a single-element output, one.
  static func seed(for output: Tensor, gradient: Tensor?, index: Int) -> Tensor {
    if let gradient {
      require(
        gradient.shape == output.shape,
        "backward: Mismatch in shape: grad_output[\(index)] has a shape of \(gradient.shape) and output[\(index)] has a shape of \(output.shape)."
      )
      return gradient.detach().to(dtype: output.dtype)
    }
    require(output.count == 1, "grad can be implicitly created only for scalar outputs")
    return Tensor.ones(output.shape, dtype: output.dtype)
  }

  /// Runs the graph behind `roots` backwards.
  ///
  /// With `capturing == nil` leaves accumulate into `.grad` (and so do non-leaves that
  /// retain their gradient). Otherwise nothing accumulates: the total gradient reaching
  /// each captured tensor is returned, keyed by its identity (`torch.autograd.grad`).
  static func run(
    roots: [(Tensor, Tensor)], retainGraph: Bool, capturing: Set<ObjectIdentifier>?
  ) -> [ObjectIdentifier: Tensor] {
    // Reverse topological order by iterative post-order DFS over tensors: no recursion, so
    // a graph of any depth works.
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Int)] = []
    for (root, _) in roots where visited.insert(ObjectIdentifier(root)).inserted {
      stack.append((root, 0))
      while let (tensor, next) = stack.popLast() {
        let inputs = tensor.gradFn?.inputs ?? []
        if next < inputs.count {
          stack.append((tensor, next + 1))
          if let input = inputs[next], input.requiresGrad,
            visited.insert(ObjectIdentifier(input)).inserted
          {
            stack.append((input, 0))
          }
        } else {
          order.append(tensor)
        }
      }
    }
    var grads: [ObjectIdentifier: Tensor] = [:]
    for (root, seed) in roots {
      let key = ObjectIdentifier(root)
      grads[key] = grads[key].map { $0 + seed } ?? seed
    }
    var captured: [ObjectIdentifier: Tensor] = [:]
    for tensor in order.reversed() {
      let key = ObjectIdentifier(tensor)
      guard var grad = grads.removeValue(forKey: key) else { continue }
      if let capturing {
        if capturing.contains(key) { captured[key] = grad }
      } else if tensor.gradFn == nil || tensor.retainsGradStorage {
        // A leaf's gradient goes nowhere else and may become its `.grad` as it is.
        tensor.accumulateGrad(&grad, mayTake: tensor.gradFn == nil)
        if tensor.gradFn == nil { PostAccumulateGradHooks.run(for: tensor) }
      }
      guard let node = tensor.gradFn else { continue }
      guard let function = node.backwardFunction else {
        requirementFailure(
          "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
        )
      }
      let inputGrads = function(grad)
      if AnomalyMode.isEnabled {
        for (i, g) in inputGrads.enumerated() { if let g { AnomalyMode.check(g, node: node.name, index: i) } }
      }
      require(
        inputGrads.count == node.inputs.count,
        "function \(node.name) returned an incorrect number of gradients (expected \(node.inputs.count), got \(inputGrads.count))"
      )
      for (input, inputGrad) in zip(node.inputs, inputGrads) {
        guard let input, input.requiresGrad, let inputGrad else { continue }
        require(
          inputGrad.shape == input.shape,
          "Function \(node.name) returned an invalid gradient - got \(inputGrad.shape) but expected shape compatible with \(input.shape)"
        )
        let inputKey = ObjectIdentifier(input)
        if let existing = grads[inputKey] {
          grads[inputKey] = existing + inputGrad
        } else {
          grads[inputKey] = inputGrad
        }
      }
      if !retainGraph {
        // Free the saved values and the inputs, as PyTorch frees saved tensors: the
        // intermediates of a finished graph don't outlive the pass even while the output
        // (say, the loss) is kept. A later pass stops at this node with PyTorch's error.
        node.backwardFunction = nil
        node.inputs = []
      }
    }
    return captured
  }
}

/// Functional autograd entry points (`torch.autograd`).
public enum Autograd {
  /// The gradients of `outputs` with respect to `inputs`, returned instead of accumulated
  /// into `.grad` (`torch.autograd.grad`).
  ///
  /// - Parameters:
  ///   - outputs: tensors to differentiate; each must require grad.
  ///   - inputs: tensors (leaves or not) to differentiate with respect to.
  ///   - gradOutputs: one gradient per output (`grad_outputs`); `nil` entries, or a `nil`
  ///     list, mean "ones", which is allowed only for single-element outputs.
  ///   - retainGraph: keep the graph for another pass (`retain_graph`, default `false`).
  ///   - allowUnused: return `nil` for an input that the outputs don't depend on instead of
  ///     stopping (`allow_unused`, default `false`).
  /// - Returns: one gradient per input, in order. Results are computed without recording,
  ///   as with `create_graph=False` (higher-order gradients are not supported).
  public static func grad(
    _ outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
    retainGraph: Bool = false, allowUnused: Bool = false
  ) -> [Tensor?] {
    require(
      gradOutputs == nil || gradOutputs!.count == outputs.count,
      "grad requires one grad_output per output: got \(gradOutputs!.count) grad_outputs and \(outputs.count) outputs"
    )
    for (i, input) in inputs.enumerated() {
      require(input.requiresGrad, "One of the differentiated Tensors (input \(i)) does not require grad")
    }
    var roots: [(Tensor, Tensor)] = []
    for (i, output) in outputs.enumerated() {
      require(
        output.requiresGrad,
        "element \(i) of tensors does not require grad and does not have a grad_fn")
      roots.append((output, AutogradEngine.seed(for: output, gradient: gradOutputs?[i], index: i)))
    }
    let keys = Set(inputs.map(ObjectIdentifier.init))
    let captured = withNoGrad {
      AutogradEngine.run(roots: roots, retainGraph: retainGraph, capturing: keys)
    }
    return inputs.enumerated().map { i, input in
      let g = captured[ObjectIdentifier(input)]
      require(
        g != nil || allowUnused,
        "One of the differentiated Tensors (input \(i)) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
      )
      return g.map { $0.to(dtype: input.dtype).contiguousCopy() }
    }
  }

  /// `grad` of a single output.
  public static func grad(
    _ output: Tensor, inputs: [Tensor], gradOutput: Tensor? = nil, retainGraph: Bool = false,
    allowUnused: Bool = false
  ) -> [Tensor?] {
    grad(
      [output], inputs: inputs, gradOutputs: [gradOutput], retainGraph: retainGraph,
      allowUnused: allowUnused)
  }
}
