/// Why a safetensors file could not be read or written.
///
/// Reading follows the reference reader (the `safetensors` crate, 0.8): every file it
/// rejects throws one of these cases, each saying what is wrong and where (a byte offset in
/// the header, or the tensor's name). Descent rejects a few files that the reference accepts,
/// with cases of their own: duplicate tensor names, names (or metadata keys) that are
/// canonically equivalent Unicode, element types and shapes that Descent has no tensors for.
public enum SafetensorsError: Error, Equatable, Sendable {
  // MARK: The file and its header length

  /// The file is shorter than the 8-byte header length.
  case fileTooSmall(byteCount: Int)
  /// The header length is over the reference's limit of 100,000,000 bytes.
  case headerTooLarge(length: UInt64)
  /// The header length runs past the end of the file.
  case headerPastEndOfFile(length: UInt64, fileSize: Int)

  // MARK: The JSON header

  /// The header is not valid UTF-8; `offset` is the first bad byte, counted from the start of
  /// the header.
  case invalidUTF8(offset: Int)
  /// The header is not valid JSON (as serde_json reads it: strict RFC 8259, at most 127
  /// levels of nesting, numbers that fit a double); `offset` counts from the header's start.
  case invalidJSON(reason: String, offset: Int)
  /// The header is JSON but not a safetensors header: not an object, a tensor entry that is
  /// not `{"dtype", "shape", "data_offsets"}` (a field missing, repeated or of the wrong
  /// type), or `__metadata__` that is not an object of strings. `tensor` is `nil` for the
  /// header itself and `__metadata__`.
  case invalidHeaderEntry(tensor: String?, reason: String)
  /// A tensor's `dtype` is not one of the reference's element types.
  case unknownDtype(tensor: String, dtype: String)

  // MARK: Offsets, shapes and coverage (checked in order of data offsets)

  /// The first tensor's data does not start at offset 0.
  case dataDoesNotStartAtZero(tensor: String, start: UInt64)
  /// A tensor's data starts after the previous one ends, leaving bytes no tensor covers.
  case gapBeforeTensor(tensor: String, start: UInt64, previousEnd: UInt64)
  /// A tensor's data starts before the previous one ends.
  case overlappingTensors(tensor: String, start: UInt64, previousEnd: UInt64)
  /// A tensor's end offset is before its start offset.
  case endBeforeStart(tensor: String, start: UInt64, end: UInt64)
  /// The product of a tensor's shape, or that product times its element size, overflows 64
  /// bits.
  case shapeOverflow(tensor: String, shape: [UInt64], dtype: String)
  /// A tensor of a sub-byte type (`F4`, `F6_E2M3`, `F6_E3M2`) whose elements don't end on a
  /// byte boundary.
  case misalignedSubByteTensor(tensor: String, shape: [UInt64], dtype: String)
  /// A tensor's byte length differs from its shape times its element size.
  case byteLengthMismatch(tensor: String, shape: [UInt64], dtype: String, expected: UInt64, actual: UInt64)
  /// The tensors' data ends past the end of the file.
  case dataPastEndOfFile(dataEnd: UInt64, available: UInt64)
  /// Bytes after the last tensor's data that no tensor covers.
  case trailingBytes(dataEnd: UInt64, available: UInt64)

  // MARK: What Descent rejects beyond the reference

  /// Two tensors with the same name (the reference keeps the last one).
  case duplicateTensorName(String)
  /// Two tensor names with different bytes that are canonically equivalent Unicode
  /// (precomposed `é` and `e` + U+0301): one Swift dictionary can't hold both.
  case equivalentTensorNames(String, String)
  /// Two `__metadata__` keys with different bytes that are canonically equivalent Unicode.
  case equivalentMetadataKeys(String, String)
  /// A valid tensor whose element type Descent has no tensors for (`F16`, `BF16`, `F8_*`,
  /// `I8`, `I32`, ...).
  case unsupportedDtype(tensor: String, dtype: String)
  /// A valid tensor whose shape Descent can't hold: a dimension over `Int.max`, strides that
  /// overflow, or more than ``maximumRank`` dimensions.
  case unsupportedShape(tensor: String, shape: [UInt64], reason: String)

  // MARK: Files

  /// The file could not be opened or read (`reason` is the system's message).
  case cannotRead(path: String, reason: String)
  /// The file is not a regular file (a directory, a pipe, a device).
  case notARegularFile(path: String)
  /// Saving failed; the previous file, if any, is untouched. `operation` names the step
  /// (`open`, `write`, `fsync`, `rename`) and `reason` is the system's message.
  case cannotWrite(path: String, operation: String, reason: String)
  /// A tensor can't be saved under this name: `__metadata__` is the header's metadata key.
  case reservedTensorName(String)

  /// The most dimensions a loaded tensor may have (NumPy's limit).
  public static let maximumRank = 64
}

extension SafetensorsError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .fileTooSmall(let n):
      return "safetensors: the file has \(n) bytes, fewer than the 8-byte header length"
    case .headerTooLarge(let n):
      return "safetensors: the header length \(n) is over the limit of 100000000 bytes"
    case .headerPastEndOfFile(let n, let size):
      return "safetensors: the header length \(n) runs past the end of the \(size)-byte file"
    case .invalidUTF8(let offset):
      return "safetensors: the header is not valid UTF-8 (byte \(offset) of the header)"
    case .invalidJSON(let reason, let offset):
      return "safetensors: the header is not valid JSON: \(reason) at byte \(offset) of the header"
    case .invalidHeaderEntry(let tensor, let reason):
      if let tensor { return "safetensors: tensor \(quoted(tensor)): \(reason)" }
      return "safetensors: invalid header: \(reason)"
    case .unknownDtype(let tensor, let dtype):
      return "safetensors: tensor \(quoted(tensor)) has unknown dtype \(quoted(dtype))"
    case .dataDoesNotStartAtZero(let tensor, let start):
      return "safetensors: the data starts at offset \(start) instead of 0 (tensor \(quoted(tensor)))"
    case .gapBeforeTensor(let tensor, let start, let end):
      return
        "safetensors: bytes \(end)..<\(start) of the data belong to no tensor (before tensor \(quoted(tensor)))"
    case .overlappingTensors(let tensor, let start, let end):
      return
        "safetensors: tensor \(quoted(tensor)) starts at offset \(start), inside the previous tensor, which ends at \(end)"
    case .endBeforeStart(let tensor, let start, let end):
      return
        "safetensors: tensor \(quoted(tensor)) has data_offsets [\(start), \(end)]: the end is before the start"
    case .shapeOverflow(let tensor, let shape, let dtype):
      return
        "safetensors: tensor \(quoted(tensor)) of shape \(shape) and dtype \(dtype): its byte size overflows"
    case .misalignedSubByteTensor(let tensor, let shape, let dtype):
      return
        "safetensors: tensor \(quoted(tensor)) of shape \(shape) and dtype \(dtype) does not end on a byte boundary"
    case .byteLengthMismatch(let tensor, let shape, let dtype, let expected, let actual):
      return
        "safetensors: tensor \(quoted(tensor)) of shape \(shape) and dtype \(dtype) needs \(expected) bytes, but its data_offsets cover \(actual)"
    case .dataPastEndOfFile(let end, let available):
      return
        "safetensors: the tensors' data ends at offset \(end), but the file has only \(available) data bytes"
    case .trailingBytes(let end, let available):
      return
        "safetensors: the tensors' data ends at offset \(end), but the file has \(available) data bytes: \(available - end) trailing bytes belong to no tensor"
    case .duplicateTensorName(let name):
      return "safetensors: the header names tensor \(quoted(name)) twice"
    case .equivalentTensorNames(let a, let b):
      return
        "safetensors: tensor names \(quoted(a)) and \(quoted(b)) are canonically equivalent Unicode, so one dictionary can't hold both"
    case .equivalentMetadataKeys(let a, let b):
      return
        "safetensors: metadata keys \(quoted(a)) and \(quoted(b)) are canonically equivalent Unicode, so one dictionary can't hold both"
    case .unsupportedDtype(let tensor, let dtype):
      return
        "safetensors: tensor \(quoted(tensor)) has dtype \(dtype), which Descent does not support (it reads F32, F64, I64 and BOOL)"
    case .unsupportedShape(let tensor, let shape, let reason):
      return "safetensors: tensor \(quoted(tensor)) has shape \(shape), which Descent can't hold: \(reason)"
    case .cannotRead(let path, let reason):
      return "safetensors: can't read \(path): \(reason)"
    case .notARegularFile(let path):
      return "safetensors: \(path) is not a regular file"
    case .cannotWrite(let path, let operation, let reason):
      return
        "safetensors: can't save \(path) (\(operation) failed: \(reason)); the previous file is untouched"
    case .reservedTensorName(let name):
      return "safetensors: a tensor can't be named \(quoted(name)), the header's metadata key"
    }
  }
}

/// A name in double quotes with control characters escaped, so that odd names stay readable.
private func quoted(_ name: String) -> String {
  var out = "\""
  for scalar in name.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case _ where scalar.value < 0x20 || scalar.value == 0x7F:
      out += "\\u{\(String(scalar.value, radix: 16))}"
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}
