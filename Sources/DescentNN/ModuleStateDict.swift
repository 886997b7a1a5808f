import Descent
import OrderedCollections

/// A module's state: parameters and persistent buffers by dotted name (`"0.weight"`,
/// `"bn.running_mean"`), in PyTorch's order (``Module/stateDict()``), like PyTorch's
/// `OrderedDict`.
///
/// It is keyed and ordered at once: `sd["0.weight"]` looks a tensor up by name,
/// `sd.keys` lists the names in order, and as a collection its elements are
/// `(name:, tensor:)` pairs in order, so `for (name, tensor) in sd`, `sd[0].name` and
/// `sd.map(\.name)` read as they did when a state dict was a list of pairs.
public struct ModuleStateDict: RandomAccessCollection, ExpressibleByDictionaryLiteral {
  public typealias Element = (name: String, tensor: Tensor)
  public typealias Index = Int

  /// The entries, in order.
  public private(set) var entries: OrderedDictionary<String, Tensor>

  /// An empty state dict.
  public init() { entries = [:] }

  /// The given entries, in order.
  public init(_ entries: OrderedDictionary<String, Tensor>) { self.entries = entries }

  /// The given pairs, in order; a repeated name keeps its last tensor, at its first place.
  public init<S: Sequence>(_ pairs: S) where S.Element == (String, Tensor) {
    entries = OrderedDictionary(pairs, uniquingKeysWith: { $1 })
  }

  public init(dictionaryLiteral elements: (String, Tensor)...) {
    self.init(elements)
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { entries.count }

  /// The `position`-th entry.
  public subscript(position: Int) -> Element {
    let entry = entries.elements[position]
    return (entry.key, entry.value)
  }

  /// The tensor named `name`, or `nil`; setting `nil` removes the entry, setting a new name
  /// appends it.
  public subscript(name: String) -> Tensor? {
    get { entries[name] }
    set { entries[name] = newValue }
  }

  /// The names, in order.
  public var keys: OrderedSet<String> { entries.keys }

  /// The tensors, in order.
  public var values: [Tensor] { Array(entries.values) }

  /// The same names with each tensor transformed.
  public func mapValues(_ transform: (Tensor) throws -> Tensor) rethrows -> ModuleStateDict {
    ModuleStateDict(try entries.mapValues(transform))
  }

  /// Removes the entry named `name` and returns its tensor, or `nil`.
  @discardableResult
  public mutating func removeValue(forKey name: String) -> Tensor? {
    entries.removeValue(forKey: name)
  }
}
