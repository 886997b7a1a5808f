import Foundation

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
  /// PyTorch's `repr` with its default print options (`torch/_tensor_str.py`):
  /// `tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64)`.
  ///
  /// All elements share one style and width: integer style (`3.`) when every finite
  /// non-zero value is whole, otherwise four decimals (`0.2500`), switching to scientific
  /// notation (`1.0000e-05`) when the magnitudes span more than 1000× or leave
  /// [1e-4, 1e8]. Rows wrap at 80 columns, tensors over 1000 elements are summarised with
  /// `...` (three items at each edge), and the dtype is shown unless it is `float32`,
  /// `int64` or `bool` (for empty tensors, unless it is `float32`).
  public var description: String {
    let indent = 7  // "tensor("
    var suffixes: [String] = []
    let body: String
    if count == 0 {
      if rank != 1 {
        let sizes = shape.map(String.init).joined(separator: ", ")
        suffixes.append("size=(\(sizes)\(rank == 1 ? "," : ""))")
      }
      if dtype != .float32 { suffixes.append("dtype=\(dtype)") }
      body = "[]"
    } else {
      if dtype == .float64 || dtype.isReducedPrecision || dtype == .uint8 {
        suffixes.append("dtype=\(dtype)")
      }
      body = ReprPrinter(self).render(indent: indent)
    }
    if let gradFn {
      suffixes.append("grad_fn=<\(gradFn.name)>")
    } else if requiresGrad {
      suffixes.append("requires_grad=True")
    }
    return Tensor.addSuffixes("tensor(" + body, suffixes, indent: indent)
  }

  public var debugDescription: String { description }

  /// PyTorch's `_add_suffixes`: a suffix moves to a new line when the last line would
  /// pass 80 columns.
  private static func addSuffixes(_ text: String, _ suffixes: [String], indent: Int) -> String {
    var out = text
    // As in PyTorch, the running length counts two more than the last line.
    let lastLine = text.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
    var lastLineLength = lastLine.count + 2
    for suffix in suffixes {
      if lastLineLength + suffix.count + 2 > 80 {
        out += ",\n" + String(repeating: " ", count: indent) + suffix
        lastLineLength = indent + suffix.count
      } else {
        out += ", " + suffix
        lastLineLength += suffix.count + 2
      }
    }
    return out + ")"
  }
}

/// Renders the elements of a non-empty tensor the way `_tensor_str` does.
private struct ReprPrinter {
  static let edgeItems = 3
  static let threshold = 1000
  static let lineWidth = 80

  let shape: [Int]
  let strides: [Int]
  let summarize: Bool
  let element: (Int) -> String
  let width: Int

  init(_ tensor: Tensor) {
    shape = tensor.shape
    let st = Tensor.contiguousStrides(for: tensor.shape)
    strides = st
    summarize = tensor.count > ReprPrinter.threshold
    // Offsets of the elements that are printed: the formatter only looks at those.
    var offsets = [0]
    for d in 0..<shape.count {
      let picked = ReprPrinter.indices(shape[d], summarize).compactMap { $0 }
      offsets = offsets.flatMap { base in picked.map { base + $0 * st[d] } }
    }
    switch tensor.dtype {
    case .float32, .float64, .bfloat16, .float16:
      let values = tensor.asArray(Double.self)
      let format = FloatFormat(offsets.map { values[$0] })
      width = format.width
      element = { format.string(values[$0]) }
    case .uint8:
      let values = tensor.asArray(UInt8.self)
      width = offsets.map { String(values[$0]).count }.max() ?? 1
      element = { String(values[$0]) }
    case .int64:
      let values = tensor.asArray(Int.self)
      width = offsets.map { String(values[$0]).count }.max() ?? 1
      element = { String(values[$0]) }
    case .bool:
      let values = tensor.asArray(Bool.self)
      width = offsets.map { values[$0] ? 4 : 5 }.max() ?? 1
      element = { values[$0] ? "True" : "False" }
    }
  }

  /// The indices printed along a dimension of `size`; `nil` marks the `...`.
  static func indices(_ size: Int, _ summarize: Bool) -> [Int?] {
    if summarize && size > 2 * edgeItems {
      return Array(0..<edgeItems) + [nil] + Array((size - edgeItems)..<size)
    }
    return Array(0..<size)
  }

  func pad(_ s: String) -> String {
    String(repeating: " ", count: Swift.max(0, width - s.count)) + s
  }

  func render(indent: Int) -> String {
    if shape.isEmpty { return pad(element(0)) }
    return render(dim: 0, offset: 0, indent: indent)
  }

  private func render(dim: Int, offset: Int, indent: Int) -> String {
    let remaining = shape.count - dim
    if remaining == 1 {
      // `_vector_str`: a fixed number of elements per line.
      let perLine = Swift.max(1, (ReprPrinter.lineWidth - indent) / (width + 2))
      let items = ReprPrinter.indices(shape[dim], summarize).map { i in
        i.map { pad(element(offset + $0 * strides[dim])) } ?? " ..."
      }
      let lines = stride(from: 0, to: items.count, by: perLine).map {
        items[$0..<Swift.min($0 + perLine, items.count)].joined(separator: ", ")
      }
      return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
    }
    let slices = ReprPrinter.indices(shape[dim], summarize).map { i in
      i.map { render(dim: dim + 1, offset: offset + $0 * strides[dim], indent: indent + 1) } ?? "..."
    }
    let separator =
      "," + String(repeating: "\n", count: remaining - 1) + String(repeating: " ", count: indent + 1)
    return "[" + slices.joined(separator: separator) + "]"
  }
}

/// PyTorch's `_Formatter` for floating tensors, over the printed values.
private struct FloatFormat {
  enum Style { case integer, fixed, scientific }
  var style = Style.integer
  var width = 1

  init(_ values: [Double]) {
    let nonzeroFinite = values.filter { $0.isFinite && $0 != 0 }
    guard !nonzeroFinite.isEmpty else { return }
    let magnitudes = nonzeroFinite.map { Swift.abs($0) }
    let mx = magnitudes.max()!
    let mn = magnitudes.min()!
    let whole = nonzeroFinite.allSatisfy { $0 == $0.rounded(.up) }
    // The integer style's "." counts toward the width.
    let scientific = mx / mn > 1000 || mx > 1e8 || mn < 1e-4
    style = scientific ? .scientific : (whole ? .integer : .fixed)
    for v in nonzeroFinite { width = Swift.max(width, raw(v).count) }
  }

  func raw(_ v: Double) -> String {
    switch style {
    case .scientific:
      return v.isFinite ? String(format: "%.4e", v) : FloatFormat.special(v)
    case .integer:
      return v.isFinite ? String(format: "%.0f", v) + "." : FloatFormat.special(v)
    case .fixed:
      return v.isFinite ? String(format: "%.4f", v) : FloatFormat.special(v)
    }
  }

  static func special(_ v: Double) -> String {
    v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf")
  }

  func string(_ v: Double) -> String { raw(v) }
}
