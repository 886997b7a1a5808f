import DescentWorkbench
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The elements of an XML document, by name, with their attributes and text.
final class SVGSummary: NSObject, XMLParserDelegate {
  var elements: [(name: String, attributes: [String: String])] = []
  var texts: [String] = []
  private var text = ""

  /// Parses `svg`; throws with the parser's error when it is not well-formed XML.
  static func parse(_ svg: String) throws -> SVGSummary {
    let summary = SVGSummary()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = summary
    guard parser.parse() else {
      throw TestFailure(
        "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
    }
    return summary
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String]
  ) {
    elements.append((name, attributes))
    text = ""
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?)
  {
    if name == "text" || name == "title" { texts.append(text) }
    text = ""
  }

  func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }
  var paths: [[String: String]] { elements.filter { $0.name == "path" }.map(\.attributes) }
}

@Suite("descent compare and lr-find: SVG plots")
struct SVGTests {
  static let labels = ["sgd:lr=0.1", "sgd:lr=0.01,momentum=0.9", "adam:lr=0.01", "adamw"]

  static func report() throws -> CompareReport {
    let arguments = ["--epochs", "3", "--hidden", "8", "--params", "0"] + labels.flatMap { ["--opt", $0] }
    return try CompareRunner(options: try compareOptions(arguments), progress: .silent).run()
  }

  /// loss.svg and accuracy.svg: well-formed, one `<path>` per optimizer, each with a point
  /// per epoch, a legend entry per optimizer, distinct colours, labelled axes.
  @Test func comparePlotsHaveOnePathPerOptimizer() throws {
    let report = try Self.report()
    for (svg, yLabel) in [(report.lossSVG(), "(log scale)"), (report.accuracySVG(), "share of test rows")] {
      let summary = try SVGSummary.parse(svg)
      #expect(summary.elements.first?.name == "svg")
      let paths = summary.paths
      #expect(paths.count == Self.labels.count)
      for path in paths {
        let d = try #require(path["d"])
        // Epochs 0...3: a move and three lines.
        #expect(d.filter { $0 == "M" }.count == 1)
        #expect(d.filter { $0 == "L" }.count == 3)
        #expect(path["fill"] == "none")
      }
      #expect(Set(paths.compactMap { $0["stroke"] }).count == Self.labels.count)
      for label in Self.labels { #expect(summary.texts.filter { $0 == label }.count == 2) }  // legend + title
      #expect(summary.texts.contains("epoch"))
      #expect(summary.texts.contains { $0.contains(yLabel) })
      // Tick labels on both axes.
      #expect(summary.texts.contains("0") && summary.texts.contains("3"))
    }
  }

  /// The command line tool writes the same plots into --out.
  @Test func commandWritesThePlots() throws {
    let out = try temporaryFolder("svg")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try runProduct(
      "descent", ["compare", "--epochs", "2", "--hidden", "4", "--params", "0", "--out", out.path])
    #expect(run.status == 0, "\(run.stderr)")
    for name in ["loss.svg", "accuracy.svg"] {
      let summary = try SVGSummary.parse(
        String(contentsOf: out.appendingPathComponent(name), encoding: .utf8))
      #expect(summary.count("path") == CompareOptions.defaultOptimizers.count)
    }
  }

  /// lr-find.svg: the raw and the smoothed loss, and a marker per suggestion.
  @Test func lrFindPlot() throws {
    let options = try LRFindOptions.parse(["--steps", "120", "--hidden", "8"])
    let report = try LRFindRunner(options: options).run()
    let summary = try SVGSummary.parse(report.svg())
    #expect(summary.count("path") == 2)
    #expect(summary.count("circle") == 4)  // two markers, two legend entries
    #expect(summary.texts.contains("learning rate (log scale)"))
    #expect(summary.texts.contains { $0.hasPrefix("steepest: ") })
  }

  /// Labels that XML would misread are escaped.
  @Test func labelsAreEscaped() throws {
    var report = try Self.report()
    report.results[0].optimizer = "a<b & \"c\""
    let summary = try SVGSummary.parse(report.lossSVG())
    #expect(summary.texts.contains("a<b & \"c\""))
  }
}
