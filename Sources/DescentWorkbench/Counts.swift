import Foundation

/// "1M", "2.5M", "50k", "1e6", "2000000" → an element count.
public func parseCount(_ text: String) -> Int? {
  let lower = text.lowercased().replacingOccurrences(of: "_", with: "")
  var scale = 1.0
  var digits = Substring(lower)
  if let last = lower.last, let factor = ["k": 1e3, "m": 1e6, "g": 1e9][String(last)] {
    scale = factor
    digits = lower.dropLast()
  }
  guard let value = Double(digits), value > 0 else { return nil }
  let count = value * scale
  guard count.rounded() == count, count <= Double(Int.max) else { return nil }
  return Int(count)
}

/// 1000000 → "1M", 1500 → "1.5k".
public func formatCount(_ n: Int) -> String {
  for (factor, suffix) in [(1_000_000_000, "G"), (1_000_000, "M"), (1000, "k")] where n >= factor {
    let value = Double(n) / Double(factor)
    return value.rounded() == value ? "\(n / factor)\(suffix)" : String(format: "%.1f", value) + suffix
  }
  return "\(n)"
}
