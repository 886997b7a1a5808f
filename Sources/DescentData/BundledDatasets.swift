import Descent
import Foundation
import SwiftCSV

/// The Wisconsin Diagnostic Breast Cancer data (`sklearn.datasets.load_breast_cancer`):
/// 569 rows, 30 real-valued features computed from images of fine-needle aspirates, and the
/// diagnosis, 0 = malignant (212 rows) or 1 = benign (357 rows).
///
/// Bundled with the package (UCI Machine Learning Repository, CC BY 4.0,
/// <https://doi.org/10.24432/C5DW2B>). Features are in their raw units, spanning several
/// orders of magnitude; standardise them with ``StandardScaler`` before training.
public func loadBreastCancer(dtype: DType = .float32) throws -> TabularData {
  try BundledData.load("breast_cancer", dtype: dtype)
}

/// The handwritten-digits data (`sklearn.datasets.load_digits`): 1,797 images of 8 x 8
/// pixels with values 0–16, flattened to 64 features, and the digit 0–9.
///
/// Bundled with the package (UCI Machine Learning Repository, Optical Recognition of
/// Handwritten Digits, CC BY 4.0, <https://doi.org/10.24432/C50P49>).
public func loadDigits(dtype: DType = .float32) throws -> TabularData {
  try BundledData.load("digits", dtype: dtype)
}

extension TabularData {
  /// Reads a CSV file whose first row names the columns, one of which, `targetColumn`,
  /// holds integer class labels `0..<k`; every other column is a numeric feature.
  ///
  /// Parsing goes through SwiftCSV. A missing file, a ragged row or a cell that is not a
  /// number throws ``DataError/file(_:)`` naming the file, the row and the column.
  public init(
    contentsOf url: URL, targetColumn: String = "target", targetNames: [String]? = nil,
    dtype: DType = .float32
  ) throws {
    let table = try CSVTable(url: url, targetColumn: targetColumn)
    let names = targetNames ?? (0..<((table.labels.max() ?? -1) + 1)).map(String.init)
    try self.init(table: table, targetNames: names, dtype: dtype)
  }

  init(table: CSVTable, targetNames: [String], dtype: DType) throws {
    try self.init(
      features: Tensor(table.values, shape: [table.labels.count, table.featureNames.count], dtype: dtype),
      targets: Tensor(table.labels), featureNames: table.featureNames, targetNames: targetNames)
  }
}

/// The numbers of a CSV file with a header row and an integer label column.
struct CSVTable {
  let featureNames: [String]
  let values: [Double]
  let labels: [Int]

  init(url: URL, targetColumn: String) throws {
    let file = url.lastPathComponent
    let csv: EnumeratedCSV
    do {
      csv = try EnumeratedCSV(url: url, delimiter: .comma, loadColumns: false)
    } catch {
      throw DataError.file("cannot read CSV file \(url.path): \(error)")
    }
    guard let targetIndex = csv.header.firstIndex(of: targetColumn) else {
      throw DataError.file("\(file): no column named \"\(targetColumn)\" in the header \(csv.header)")
    }
    let width = csv.header.count
    var values: [Double] = []
    values.reserveCapacity(csv.rows.count * (width - 1))
    var labels: [Int] = []
    labels.reserveCapacity(csv.rows.count)
    for (r, row) in csv.rows.enumerated() {
      // Row numbers as a text editor shows them: the header is line 1.
      let line = r + 2
      guard row.count == width else {
        throw DataError.file("\(file) line \(line): \(row.count) fields, the header has \(width)")
      }
      for (c, cell) in row.enumerated() {
        let text = cell.trimmingCharacters(in: .whitespaces)
        if c == targetIndex {
          guard let label = Int(text), label >= 0 else {
            throw DataError.file(
              "\(file) line \(line), column \"\(csv.header[c])\": \"\(cell)\" is not a class label (an integer >= 0)"
            )
          }
          labels.append(label)
        } else {
          guard let value = Double(text) else {
            throw DataError.file(
              "\(file) line \(line), column \"\(csv.header[c])\": \"\(cell)\" is not a number")
          }
          values.append(value)
        }
      }
    }
    var names = csv.header
    names.remove(at: targetIndex)
    self.featureNames = names
    self.values = values
    self.labels = labels
  }
}

/// The CSV files in the target's `Resources` folder and their manifest, `datasets.json`,
/// written by `scripts/export_datasets.py`.
enum BundledData {
  struct Manifest: Decodable {
    struct Entry: Decodable {
      let file: String
      let rows: Int
      let features: Int
      let target_names: [String]
    }
    let datasets: [String: Entry]
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var cache: [String: CSVTable] = [:]

  static func url(_ file: String) throws -> URL {
    let name = (file as NSString).deletingPathExtension
    let ext = (file as NSString).pathExtension
    guard
      let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")
    else {
      throw DataError.file("bundled resource Resources/\(file) is missing from the DescentData bundle")
    }
    return url
  }

  static func manifest() throws -> Manifest {
    let url = try url("datasets.json")
    do {
      return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url))
    } catch {
      throw DataError.file("cannot read \(url.path): \(error)")
    }
  }

  /// Parses a bundled set once per process; later loads reuse the numbers.
  static func load(_ name: String, dtype: DType) throws -> TabularData {
    guard let entry = try manifest().datasets[name] else {
      throw DataError.file("datasets.json has no entry \"\(name)\"")
    }
    lock.lock()
    let cached = cache[name]
    lock.unlock()
    let table: CSVTable
    if let cached {
      table = cached
    } else {
      table = try CSVTable(url: url(entry.file), targetColumn: "target")
      guard table.labels.count == entry.rows, table.featureNames.count == entry.features else {
        throw DataError.file(
          "\(entry.file): \(table.labels.count) x \(table.featureNames.count), datasets.json says \(entry.rows) x \(entry.features)"
        )
      }
      lock.lock()
      cache[name] = table
      lock.unlock()
    }
    return try TabularData(table: table, targetNames: entry.target_names, dtype: dtype)
  }
}
