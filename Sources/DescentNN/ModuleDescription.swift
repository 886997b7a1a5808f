import Descent

extension Module: CustomStringConvertible {
  /// PyTorch's `repr(module)`: the type name with ``extraDescription`` in parentheses, and
  /// each child on its own line as `(name): child`, indented.
  ///
  /// ```
  /// Sequential(
  ///   (0): Linear(in_features=4, out_features=8, bias=True)
  ///   (1): ReLU()
  /// )
  /// ```
  public var description: String {
    let name = String(describing: type(of: self))
    var lines = extraDescription.isEmpty ? [] : extraDescription.split(separator: "\n").map(String.init)
    for (childName, child) in namedChildren {
      let indented = child.description.replacingOccurrences(of: "\n", with: "\n  ")
      lines.append("(\(childName)): \(indented)")
    }
    if lines.isEmpty { return name + "()" }
    if namedChildren.isEmpty && lines.count == 1 { return "\(name)(\(lines[0]))" }
    return name + "(\n  " + lines.joined(separator: "\n  ") + "\n)"
  }
}

/// Python's spelling of a Swift value in a module description.
func pythonRepr(_ value: Bool) -> String { value ? "True" : "False" }
func pythonRepr(_ value: Double?) -> String { value.map { "\($0)" } ?? "None" }
func pythonTuple(_ values: [Int]) -> String {
  values.count == 1 ? "(\(values[0]),)" : "(" + values.map(String.init).joined(separator: ", ") + ")"
}
