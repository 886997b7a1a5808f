import Foundation

/// A line chart written as a standalone SVG file: a title, labelled axes with ticks (linear
/// or logarithmic), one `<path>` per series in its own colour, a legend, and optional
/// labelled markers. Points that are not finite (or not positive on a log axis) break the
/// line.
struct LinePlot {
  enum Scale {
    case linear, log
  }

  struct Series {
    var name: String
    var points: [(x: Double, y: Double)]
    /// A colour from the palette by position when `nil`.
    var color: String? = nil
    var width = 2.0
    var opacity = 1.0
  }

  struct Marker {
    var label: String
    var x: Double
    var y: Double
    var color: String
  }

  var title: String
  var subtitle = ""
  var xLabel: String
  var yLabel: String
  var xScale = Scale.linear
  var yScale = Scale.linear
  var series: [Series] = []
  var markers: [Marker] = []
  /// Clamps the y range (data outside is clipped); the data's range when `nil`.
  var yLimits: (lower: Double?, upper: Double?) = (nil, nil)

  /// matplotlib's `tab10` colours.
  static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
  ]

  // Layout, in pixels; the legend's column is as wide as its longest entry.
  private let plotWidthTarget = 620.0
  private let height = 520.0
  private let left = 80.0
  private let top = 64.0
  private let bottom = 64.0
  private var right: Double {
    let longest = (series.map(\.name.count) + markers.map(\.label.count)).max() ?? 0
    return 56 + 7 * Double(longest)
  }
  private var width: Double { left + plotWidthTarget + right }
  private var plotWidth: Double { plotWidthTarget }
  private var plotHeight: Double { height - top - bottom }

  func svg() -> String {
    let xs = series.flatMap { $0.points.map(\.x) }.filter { usable($0, xScale) }
    // The y range covers the points inside the limits; lines beyond them are clipped.
    let ys = series.flatMap { $0.points.map(\.y) }.filter {
      usable($0, yScale) && $0 >= (yLimits.lower ?? -.infinity) && $0 <= (yLimits.upper ?? .infinity)
    }
    let xRange = Axis(values: xs, scale: xScale, pad: false)
    var yAxis = Axis(values: ys, scale: yScale, pad: true)
    if let lower = yLimits.lower, usable(lower, yScale) { yAxis.lo = max(yAxis.lo, yAxis.map(lower)) }
    if let upper = yLimits.upper, usable(upper, yScale) { yAxis.hi = min(yAxis.hi, yAxis.map(upper)) }
    if yAxis.hi <= yAxis.lo { yAxis.hi = yAxis.lo + 1 }

    func px(_ x: Double) -> Double {
      left + plotWidth * (xRange.map(x) - xRange.lo) / (xRange.hi - xRange.lo)
    }
    func py(_ y: Double) -> Double {
      top + plotHeight * (1 - (yAxis.map(y) - yAxis.lo) / (yAxis.hi - yAxis.lo))
    }

    var s = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <defs><clipPath id="plot-area"><rect x="\(f(left))" y="\(f(top))" width="\(f(plotWidth))" height="\(f(plotHeight))"/></clipPath></defs>
      <text x="\(f(left))" y="24" font-size="16" font-weight="bold">\(escape(title))</text>

      """
    if !subtitle.isEmpty {
      s += "<text x=\"\(f(left))\" y=\"44\" fill=\"#444\">\(escape(subtitle))</text>\n"
    }
    // Grid and tick labels.
    for tick in xRange.ticks() {
      let x = px(tick)
      s +=
        "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
      s +=
        "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(escape(xRange.label(tick)))</text>\n"
    }
    for tick in yAxis.ticks() {
      let y = py(tick)
      s +=
        "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>\n"
      s +=
        "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(yAxis.label(tick)))</text>\n"
    }
    s +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
    s +=
      "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>\n"
    let yMid = top + plotHeight / 2
    s +=
      "<text x=\"18\" y=\"\(f(yMid))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 \(f(yMid)))\">\(escape(yLabel))</text>\n"

    // One path per series.
    for (k, line) in series.enumerated() {
      var d = ""
      var pen = "M"
      for (x, y) in line.points {
        guard usable(x, xScale), usable(y, yScale) else {
          pen = "M"
          continue
        }
        d += "\(pen)\(f(px(x))) \(f(py(y))) "
        pen = "L"
      }
      s +=
        "<path d=\"\(d.trimmingCharacters(in: .whitespaces))\" fill=\"none\" stroke=\"\(color(k, line))\" stroke-width=\"\(line.width)\" stroke-opacity=\"\(line.opacity)\"\(dash(k)) stroke-linejoin=\"round\" clip-path=\"url(#plot-area)\"><title>\(escape(line.name))</title></path>\n"
    }
    for marker in markers where usable(marker.x, xScale) && usable(marker.y, yScale) {
      let x = px(marker.x)
      let y = py(marker.y)
      s += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"5\" fill=\"\(marker.color)\" stroke=\"white\"/>\n"
      // Labels of markers in the right half go to their left, inside the plot.
      let onRight = x > left + plotWidth / 2
      s +=
        "<text x=\"\(f(onRight ? x - 8 : x + 8))\" y=\"\(f(y - 8))\" text-anchor=\"\(onRight ? "end" : "start")\" fill=\"\(marker.color)\" stroke=\"white\" stroke-width=\"4\" paint-order=\"stroke\">\(escape(marker.label))</text>\n"
    }

    // Legend: a swatch and the name of every series, then the markers.
    var ly = top + 8
    let lx = left + plotWidth + 16
    for (k, line) in series.enumerated() {
      s +=
        "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 22))\" y2=\"\(f(ly))\" stroke=\"\(color(k, line))\" stroke-width=\"3\" stroke-opacity=\"\(line.opacity)\"\(dash(k))/>\n"
      s += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly + 4))\">\(escape(line.name))</text>\n"
      ly += 20
    }
    for marker in markers {
      s += "<circle cx=\"\(f(lx + 11))\" cy=\"\(f(ly))\" r=\"5\" fill=\"\(marker.color)\"/>\n"
      s += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly + 4))\">\(escape(marker.label))</text>\n"
      ly += 20
    }
    s += "</svg>\n"
    return s
  }

  /// Series after the first take turns with dashes, so that lines lying on top of each
  /// other (Adam and AdamW early on) both show.
  private func dash(_ k: Int) -> String {
    guard series.count > 2 else { return "" }
    return ["", " stroke-dasharray=\"8 4\"", " stroke-dasharray=\"2 3\""][k % 3]
  }

  private func color(_ k: Int, _ line: Series) -> String {
    line.color ?? Self.palette[k % Self.palette.count]
  }

  private func usable(_ v: Double, _ scale: Scale) -> Bool {
    v.isFinite && (scale == .linear || v > 0)
  }

  private func f(_ v: Double) -> String { String(format: "%.1f", v) }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}

/// One axis: its range in plot coordinates (log10 of the value on a log axis), its ticks
/// and their labels.
private struct Axis {
  let scale: LinePlot.Scale
  var lo: Double
  var hi: Double

  init(values: [Double], scale: LinePlot.Scale, pad: Bool) {
    self.scale = scale
    let mapped = values.map { scale == .log ? log10($0) : $0 }
    var lo = mapped.min() ?? 0
    var hi = mapped.max() ?? 1
    if hi - lo < 1e-12 {
      lo -= scale == .log ? 0.5 : max(abs(lo) * 0.1, 0.5)
      hi += scale == .log ? 0.5 : max(abs(hi) * 0.1, 0.5)
    } else if pad {
      let margin = (hi - lo) * 0.04
      lo -= margin
      hi += margin
    }
    self.lo = lo
    self.hi = hi
  }

  func map(_ v: Double) -> Double { scale == .log ? log10(v) : v }

  /// Values (not plot coordinates) at which to draw ticks.
  func ticks() -> [Double] {
    switch scale {
    case .linear:
      let step = Self.niceStep((hi - lo) / 6)
      var ticks: [Double] = []
      var t = (lo / step).rounded(.up) * step
      while t <= hi + step * 1e-9 {
        ticks.append(abs(t) < step * 1e-9 ? 0 : t)
        t += step
      }
      return ticks
    case .log:
      let decades = hi - lo
      // Whole decades on long ranges (every other one past 12), 1-2-5 on short ones.
      let mantissas: [Double] = decades > 3 ? [1] : decades > 1.2 ? [1, 2, 5] : [1, 2, 3, 5, 7]
      let stride = decades > 12 ? 2 : 1
      var ticks: [Double] = []
      var e = Int(lo.rounded(.down))
      while Double(e) <= hi {
        if e % stride == 0 {
          for m in mantissas {
            let v = m * pow(10, Double(e))
            let c = log10(v)
            if c >= lo - 1e-9 && c <= hi + 1e-9 { ticks.append(v) }
          }
        }
        e += 1
      }
      return ticks
    }
  }

  func label(_ v: Double) -> String {
    if scale == .log {
      let e = log10(v)
      if abs(e - e.rounded()) < 1e-9 && (e < -3 || e > 4) { return "1e\(Int(e.rounded()))" }
    }
    if v == 0 { return "0" }
    let text = String(format: "%g", v)
    return text
  }

  /// 1, 2 or 5 times a power of ten, at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let power = pow(10, (log10(raw)).rounded(.down))
    for m in [1.0, 2, 5, 10] where m * power >= raw { return m * power }
    return 10 * power
  }
}
