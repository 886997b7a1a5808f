import Foundation

/// Writes `files` (name, contents) into `folder`, created when missing, and returns their
/// paths. Each file is written atomically.
func writeFiles(_ files: [(name: String, text: String)], to folder: String) throws -> [String] {
  let url = URL(fileURLWithPath: folder, isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return try files.map { name, text in
    let file = url.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }
}

/// Pretty-printed JSON with sorted keys; infinities and NaN as the strings `inf`, `-inf`,
/// `nan`.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  encoder.nonConformingFloatEncodingStrategy = .convertToString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}

/// Reads what ``encodeJSON(_:)`` wrote.
func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
  let decoder = JSONDecoder()
  decoder.nonConformingFloatDecodingStrategy = .convertFromString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  return try decoder.decode(type, from: data)
}
