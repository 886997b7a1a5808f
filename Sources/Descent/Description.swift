import Foundation

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
  /// PyTorch's `repr`: `tensor([[1., 2.],\n        [3., 4.]], dtype=torch.float64)`.
  ///
  /// Floats use PyTorch's default print options (precision 4, scientific notation when the
  /// magnitudes span more than 1000× or leave [1e-4, 1e8], integer style for whole
  /// numbers), tensors over 1000 elements are summarised with `...`, and the dtype is shown
  /// unless it is the default for its kind.
  public var description: String {
    let values = asArray(Double.self)
    let format = ElementFormat(values: values, dtype: dtype)
    var body: String
    if count == 0 {
      body = "[]"
    } else {
      let summarize = count > 1000
      body = render(values, dim: 0, offset: 0, indent: 7, format: format, summarize: summarize)
    }
    var suffixes: [String] = []
    if count == 0 && rank != 1 {
      suffixes.append("size=(\(shape.map(String.init).joined(separator: ", "))\(rank == 1 ? "," : ""))")
    }
    if dtype == .float64 { suffixes.append("dtype=torch.float64") }
    if let gradFn {
      suffixes.append("grad_fn=<\(gradFn.name)>")
    } else if requiresGrad {
      suffixes.append("requires_grad=True")
    }
    body = "tensor(" + body
    for s in suffixes { body += ", " + s }
    return body + ")"
  }

  public var debugDescription: String { description }

  private func render(
    _ values: [Double], dim: Int, offset: Int, indent: Int, format: ElementFormat, summarize: Bool
  ) -> String {
    if rank == 0 { return format.string(values[0]) }
    let size = shape[dim]
    let inner = shape[(dim + 1)...].reduce(1, *)
    let edge = 3
    let indices: [Int?] =
      summarize && size > 2 * edge
      ? Array(0..<edge) + [nil] + Array((size - edge)..<size) : Array(0..<size)
    if dim == rank - 1 {
      let items = indices.map { i in i.map { format.string(values[offset + $0]) } ?? "..." }
      // PyTorch wraps rows at 80 characters.
      var lines: [String] = []
      var line = ""
      for item in items {
        let piece = line.isEmpty ? item : ", " + item
        if !line.isEmpty && line.count + piece.count + indent + 1 > 80 {
          lines.append(line + ",")
          line = item
        } else {
          line += piece
        }
      }
      lines.append(line)
      return "[" + lines.joined(separator: "\n" + String(repeating: " ", count: indent + 1)) + "]"
    }
    let separator = "," + String(repeating: "\n", count: rank - dim - 1) + String(repeating: " ", count: indent + 1)
    let parts = indices.map { i in
      i.map {
        render(values, dim: dim + 1, offset: offset + $0 * inner, indent: indent + 1, format: format, summarize: summarize)
      } ?? "..."
    }
    return "[" + parts.joined(separator: separator) + "]"
  }
}

/// PyTorch's `_Formatter`: one style and width for all elements of a tensor.
private struct ElementFormat {
  enum Style { case integer, fixed, scientific, bool, int }
  var style: Style = .fixed
  var width = 0

  init(values: [Double], dtype: DType) {
    switch dtype {
    case .bool: style = .bool
    case .int64: style = .int
    default:
      let finite = values.filter { $0.isFinite }
      let nonzero = finite.map { Swift.abs($0) }.filter { $0 != 0 }
      if finite.allSatisfy({ $0 == $0.rounded() }) {
        style = .integer
        if let mx = nonzero.max(), mx > 1e8 { style = .scientific }
      } else if let mx = nonzero.max(), let mn = nonzero.min() {
        style = (mx / mn > 1000 || mx > 1e8 || mn < 1e-4) ? .scientific : .fixed
      }
    }
    width = values.map { raw($0).count }.max() ?? 0
  }

  func raw(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    switch style {
    case .bool: return v != 0 ? "True" : "False"
    case .int: return String(Int(v))
    case .integer: return String(format: "%.0f.", v)
    case .fixed: return String(format: "%.4f", v)
    case .scientific: return String(format: "%.4e", v)
    }
  }

  func string(_ v: Double) -> String {
    let s = raw(v)
    return String(repeating: " ", count: Swift.max(0, width - s.count)) + s
  }
}
