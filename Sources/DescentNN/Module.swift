import Descent

/// The base class of layers and models (`torch.nn.Module`).
///
/// A module owns named parameters (tensors that require grad and that optimizers update in
/// place), named buffers (state that isn't trained, such as ``BatchNorm1d``'s running
/// statistics) and named child modules. Subclasses register them explicitly in their
/// initialiser, the Swift spelling of PyTorch's attribute assignment, so discovery needs no
/// reflection and the order is the registration order, as in PyTorch:
///
/// ```swift
/// final class MLP: Module {
///   let hidden = Linear(4, 8)
///   let output = Linear(8, 1)
///
///   override init() {
///     super.init()
///     registerModule("hidden", hidden)
///     registerModule("output", output)
///   }
///
///   override func forward(_ x: Tensor) -> Tensor {
///     output(hidden(x).relu())
///   }
/// }
///
/// let model = MLP()
/// model.namedParameters().map(\.name)   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
///
/// Registered tensors are held by reference: keep them in `let` properties and update them
/// in place (as optimizers and ``Init`` do) rather than replacing them.
open class Module {
  /// `true` in training mode (the default), `false` after ``eval()`` (`training`).
  public private(set) var isTraining = true

  private var parameterEntries: [(name: String, tensor: Tensor)] = []
  private var bufferEntries: [(name: String, tensor: Tensor, persistent: Bool)] = []
  private var childEntries: [(name: String, module: Module)] = []

  public init() {}

  /// The computation of a single-input module. Subclasses override it; calling the module
  /// (``callAsFunction(_:)``) runs it.
  open func forward(_ input: Tensor) -> Tensor {
    requirementFailure("Module [\(type(of: self))] is missing the required \"forward\" function")
  }

  /// The layer's settings as PyTorch's `extra_repr()` prints them, shown inside the
  /// parentheses of ``description``; empty by default.
  open var extraDescription: String { "" }

  /// Runs ``forward(_:)``: `model(x)`.
  public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }

  // MARK: Registration

  private func checkNewName(_ name: String, kind: String) {
    require(!name.isEmpty, "\(kind) name can't be empty string \"\"")
    require(!name.contains("."), "\(kind) name can't contain \".\", got \"\(name)\"")
    require(
      !parameterEntries.contains { $0.name == name } && !bufferEntries.contains { $0.name == name }
        && !childEntries.contains { $0.name == name },
      "attribute '\(name)' already exists in \(type(of: self))")
  }

  /// Adds a parameter under `name` (`register_parameter`) and returns it.
  ///
  /// The tensor must be a leaf of floating dtype; it is set to require grad, as wrapping it
  /// in `nn.Parameter` does.
  @discardableResult
  public func registerParameter(_ name: String, _ tensor: Tensor) -> Tensor {
    checkNewName(name, kind: "parameter")
    require(
      tensor.isLeaf,
      "Cannot assign non-leaf Tensor to parameter '\(name)'. Model parameters must be created explicitly. To express '\(name)' as a function of another Tensor, compute the value in the forward() method."
    )
    tensor.requiresGrad = true
    parameterEntries.append((name, tensor))
    return tensor
  }

  /// Adds a buffer under `name` (`register_buffer`) and returns it.
  ///
  /// - Parameters:
  ///   - name: the buffer's name, without dots.
  ///   - tensor: the buffer; updated in place by the module.
  ///   - persistent: whether the buffer belongs in the module's state dict (default
  ///     `true`); non-persistent buffers are still listed by ``buffers(recurse:)``.
  @discardableResult
  public func registerBuffer(_ name: String, _ tensor: Tensor, persistent: Bool = true) -> Tensor {
    checkNewName(name, kind: "buffer")
    bufferEntries.append((name, tensor, persistent))
    return tensor
  }

  /// Adds a child module under `name` (`register_module` / `add_module`) and returns it.
  @discardableResult
  public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
    checkNewName(name, kind: "module")
    childEntries.append((name, module))
    return module
  }

  // MARK: Traversal

  /// This module and all its descendants, depth first in registration order, each once,
  /// with dotted names (`named_modules`); this module is named `prefix`.
  public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
    var seen = Set<ObjectIdentifier>()
    var out: [(name: String, module: Module)] = []
    // Depth-first pre-order with an explicit stack, children pushed in reverse.
    var stack: [(String, Module)] = [(prefix, self)]
    while let (name, module) = stack.popLast() {
      guard seen.insert(ObjectIdentifier(module)).inserted else { continue }
      out.append((name, module))
      for child in module.childEntries.reversed() {
        stack.append((name.isEmpty ? child.name : name + "." + child.name, child.module))
      }
    }
    return out
  }

  /// This module and all its descendants (`modules()`).
  public func modules() -> [Module] { namedModules().map(\.module) }

  /// The direct children with their names, in registration order (`named_children`).
  public var namedChildren: [(name: String, module: Module)] {
    var seen = Set<ObjectIdentifier>()
    return childEntries.filter { seen.insert(ObjectIdentifier($0.module)).inserted }
  }

  /// The direct children in registration order (`children()`).
  public var children: [Module] { namedChildren.map(\.module) }

  /// Parameters with dotted names such as `"0.weight"`, in registration order, each tensor
  /// once (`named_parameters`).
  ///
  /// - Parameters:
  ///   - prefix: prepended to every name.
  ///   - recurse: include the parameters of descendants (default `true`).
  public func namedParameters(prefix: String = "", recurse: Bool = true) -> [(
    name: String, parameter: Tensor
  )] {
    collect(prefix: prefix, recurse: recurse) { $0.parameterEntries.map { ($0.name, $0.tensor) } }
  }

  /// The parameters in registration order (`parameters()`): what an optimizer takes.
  public func parameters(recurse: Bool = true) -> [Tensor] {
    namedParameters(recurse: recurse).map(\.parameter)
  }

  /// Buffers with dotted names (`named_buffers`), each tensor once.
  public func namedBuffers(prefix: String = "", recurse: Bool = true) -> [(name: String, buffer: Tensor)] {
    collect(prefix: prefix, recurse: recurse) { $0.bufferEntries.map { ($0.name, $0.tensor) } }
  }

  /// The buffers in registration order (`buffers()`).
  public func buffers(recurse: Bool = true) -> [Tensor] { namedBuffers(recurse: recurse).map(\.buffer) }

  /// Parameters and persistent buffers by dotted name, in PyTorch's `state_dict()` order:
  /// for each module (depth first), its parameters then its buffers.
  ///
  /// A keyed, ordered collection, like PyTorch's `OrderedDict`: `sd["0.weight"]`,
  /// `sd.keys`, and `for (name, tensor) in sd` in order. The tensors are detached views of
  /// the live ones (as in PyTorch, whose `state_dict()` holds the parameters' own storage):
  /// later training changes them, and writing into one writes into the model. `clone()` them
  /// for a snapshot. `Optimizer.stateDict()` is the other way round: it returns copies, so a
  /// saved optimizer state does not move on with training.
  public func stateDict() -> ModuleStateDict {
    var out = ModuleStateDict()
    for (prefix, module) in namedModules() {
      let dot = prefix.isEmpty ? "" : prefix + "."
      for p in module.parameterEntries { out[dot + p.name] = p.tensor.detach() }
      for b in module.bufferEntries where b.persistent { out[dot + b.name] = b.tensor.detach() }
    }
    return out
  }

  /// Copies parameters and persistent buffers from `stateDict` into this module's tensors,
  /// in place and without recording autograd (`load_state_dict`). Values are converted to
  /// each tensor's dtype.
  ///
  /// Everything is checked before anything is copied, so a failed load leaves the module
  /// untouched (PyTorch may have copied some tensors by the time it raises).
  ///
  /// - Parameters:
  ///   - stateDict: names and tensors, as ``stateDict()`` returns them.
  ///   - strict: require exactly this module's keys (default `true`). Shape mismatches are
  ///     errors either way.
  /// - Throws: ``NNError`` with PyTorch's message listing all the missing keys, the
  ///   unexpected keys (in the order `stateDict` has them) and the shape mismatches.
  public func loadStateDict(_ stateDict: ModuleStateDict, strict: Bool = true) throws {
    let copies = try stateDictCopies(stateDict, strict: strict)
    withNoGrad {
      for (target, source) in copies { target.copyInPlace(from: source) }
    }
  }

  /// Throws what ``loadStateDict(_:strict:)-(ModuleStateDict,_)`` would throw for
  /// `stateDict`, without copying anything: for loads that must succeed or fail together with
  /// others (a checkpoint's model, optimizer and scheduler).
  public func checkStateDict(_ stateDict: ModuleStateDict, strict: Bool = true) throws {
    _ = try stateDictCopies(stateDict, strict: strict)
  }

  /// ``loadStateDict(_:strict:)-(ModuleStateDict,_)`` from a dictionary; unexpected keys are
  /// listed in sorted order.
  public func loadStateDict(_ stateDict: [String: Tensor], strict: Bool = true) throws {
    try loadStateDict(
      ModuleStateDict(stateDict.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), strict: strict)
  }

  /// ``loadStateDict(_:strict:)-(ModuleStateDict,_)`` from name–tensor pairs; a repeated
  /// name keeps its last tensor.
  public func loadStateDict(_ stateDict: [(name: String, tensor: Tensor)], strict: Bool = true) throws {
    try loadStateDict(
      ModuleStateDict(stateDict.map { ($0.name, $0.tensor) }), strict: strict)
  }

  /// The (own tensor, source) pairs a load copies, after every check.
  private func stateDictCopies(_ stateDict: ModuleStateDict, strict: Bool) throws -> [(Tensor, Tensor)] {
    let own = self.stateDict()
    var missing: [String] = []
    var mismatches: [String] = []
    var copies: [(Tensor, Tensor)] = []
    for (name, tensor) in own {
      guard let source = stateDict[name] else {
        missing.append(name)
        continue
      }
      if source.shape != tensor.shape {
        mismatches.append(
          "size mismatch for \(name): copying a param with shape torch.Size(\(source.shape)) from checkpoint, the shape in current model is torch.Size(\(tensor.shape))."
        )
      }
      copies.append((tensor, source))
    }
    let unexpected = stateDict.keys.filter { own[$0] == nil }
    var errors = mismatches
    if strict {
      if !unexpected.isEmpty {
        errors.insert(
          "Unexpected key(s) in state_dict: \(unexpected.map { "\"\($0)\"" }.joined(separator: ", ")). ",
          at: 0)
      }
      if !missing.isEmpty {
        errors.insert(
          "Missing key(s) in state_dict: \(missing.map { "\"\($0)\"" }.joined(separator: ", ")). ", at: 0)
      }
    }
    guard errors.isEmpty else {
      throw NNError(
        "Error(s) in loading state_dict for \(type(of: self)):\n\t" + errors.joined(separator: "\n\t"))
    }
    return copies
  }

  private func collect(
    prefix: String, recurse: Bool, _ entries: (Module) -> [(String, Tensor)]
  ) -> [(String, Tensor)] {
    let modules = recurse ? namedModules(prefix: prefix) : [(prefix, self)]
    var seen = Set<ObjectIdentifier>()
    var out: [(String, Tensor)] = []
    for (modulePrefix, module) in modules {
      for (name, tensor) in entries(module) where seen.insert(ObjectIdentifier(tensor)).inserted {
        out.append((modulePrefix.isEmpty ? name : modulePrefix + "." + name, tensor))
      }
    }
    return out
  }

  // MARK: Modes and gradients

  /// Sets training mode on this module and its descendants (`train(mode)`): ``Dropout``
  /// and ``BatchNorm1d`` behave differently in each mode.
  @discardableResult
  public func train(_ mode: Bool = true) -> Self {
    for module in modules() { module.isTraining = mode }
    return self
  }

  /// Sets evaluation mode (`eval()`), the same as `train(false)`.
  @discardableResult
  public func eval() -> Self { train(false) }

  /// Resets the gradients of all parameters (`zero_grad`).
  ///
  /// - Parameter setToNone: set `.grad` to `nil` (default `true`, as in PyTorch 2) instead
  ///   of filling it with zeros.
  public func zeroGrad(setToNone: Bool = true) {
    for p in parameters() {
      guard let grad = p.grad else { continue }
      if setToNone {
        p.grad = nil
      } else {
        withNoGrad { _ = grad.zero() }
      }
    }
  }

  /// Calls `body` on every module, children before parents (`apply(fn)`), e.g. to
  /// re-initialise weights. Returns `self`.
  @discardableResult
  public func apply(_ body: (Module) -> Void) -> Self {
    for child in children { child.apply(body) }
    body(self)
    return self
  }
}
