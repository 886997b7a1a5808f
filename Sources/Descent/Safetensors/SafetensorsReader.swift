import Foundation

/// The contents of a safetensors file: its tensors by name and its `__metadata__`.
public struct SafetensorsFile {
  /// The tensors, by name, each a contiguous copy that owns its memory.
  public var tensors: [String: Tensor]
  /// The header's `__metadata__`: what was saved, no keys added (empty when it has none).
  public var metadata: [String: String]

  /// A file's contents.
  public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// Reads the bytes of a whole safetensors file, with every check of
  /// ``loadSafetensors(from:)``. Each tensor is copied once out of `bytes`.
  public init(parsing bytes: UnsafeRawBufferPointer) throws {
    let file = try validateSafetensors(bytes)
    var tensors: [String: Tensor] = [:]
    tensors.reserveCapacity(file.keyStarts.count)
    // Type support is checked for every tensor before any is copied.
    var entries: [SafetensorsEntry] = []
    entries.reserveCapacity(file.keyStarts.count)
    for keyStart in file.keyStarts {
      let entry = try file.entry(at: keyStart)
      guard entry.dtype.descentType != nil else {
        throw SafetensorsError.unsupportedDtype(tensor: entry.name, dtype: entry.dtype.name)
      }
      _ = try descentShape(of: entry)
      entries.append(entry)
    }
    for entry in entries {
      tensors[entry.name] = try makeTensor(entry, data: bytes.baseAddress! + file.dataStart)
    }
    self.init(tensors: tensors, metadata: file.metadata)
  }
}

/// What a safetensors header lists, without the data: for inspecting a file.
public struct SafetensorsHeader {
  /// One tensor of the header.
  public struct Entry: Equatable, Sendable {
    /// The tensor's name, byte for byte.
    public let name: String
    /// The element type as the header names it (`"F32"`, `"BF16"`, ...).
    public let dtype: String
    /// The shape; dimensions may exceed `Int` in a valid file whose tensor is empty.
    public let shape: [UInt64]
    /// Start and end of the data, counted from the end of the header.
    public let dataOffsets: (begin: UInt64, end: UInt64)
    /// Whether Descent can load the tensor (its type and shape).
    public let isSupported: Bool

    public static func == (a: Entry, b: Entry) -> Bool {
      a.name == b.name && a.dtype == b.dtype && a.shape == b.shape
        && a.dataOffsets == b.dataOffsets && a.isSupported == b.isSupported
    }
  }

  /// The tensors in order of their data.
  public let entries: [Entry]
  /// The header's `__metadata__`.
  public let metadata: [String: String]
  /// The length of the JSON header in bytes.
  public let headerLength: Int
  /// The size of the whole file in bytes.
  public let fileSize: Int
}

/// Loads a safetensors file (`safetensors.torch.load_file`).
///
/// The file is mapped into memory (`mmap`), checked completely, then each tensor is copied
/// once into memory it owns: loaded tensors do not alias the file, so changing one leaves the
/// file alone and replacing the file leaves them alone. A malformed file throws before any
/// tensor is made.
///
/// ```swift
/// try saveSafetensors(["w": w, "b": b], to: url, metadata: ["note": "x"])
/// let file = try loadSafetensors(from: url)   // file.tensors["w"], file.metadata["note"]
/// ```
///
/// - Parameter url: a file URL.
/// - Returns: the tensors by name (`F32` as float32, `F64` as float64, `I64` as int64,
///   `BOOL` as bool, `U8` as uint8) and the header's metadata.
/// - Throws: ``SafetensorsError``: for every file that the reference reader (safetensors 0.8)
///   rejects, with the reason and where; for duplicate tensor names, names or metadata keys
///   that are canonically equivalent Unicode, and element types Descent does not have
///   (`F16`, `BF16`, `F8_*`, `I8`, `I32`, ...), which it names.
public func loadSafetensors(from url: URL) throws -> SafetensorsFile {
  try withMappedFile(url) { try SafetensorsFile(parsing: $0) }
}

/// Reads and checks a safetensors file's header without loading its data, for listing what
/// it holds. Every check of ``loadSafetensors(from:)`` applies except type support:
/// ``SafetensorsHeader/Entry/isSupported`` says whether Descent could load each tensor.
public func readSafetensorsHeader(from url: URL) throws -> SafetensorsHeader {
  try withMappedFile(url) { bytes in
    let file = try validateSafetensors(bytes)
    let entries = try file.entries().map { entry in
      SafetensorsHeader.Entry(
        name: entry.name, dtype: entry.dtype.name, shape: entry.shape,
        dataOffsets: (entry.begin, entry.end),
        isSupported: entry.dtype.descentType != nil && (try? descentShape(of: entry)) != nil)
    }
    return SafetensorsHeader(
      entries: entries, metadata: file.metadata, headerLength: file.header.count, fileSize: bytes.count)
  }
}

/// The shape as Descent holds it; throws when a dimension exceeds `Int`, the strides
/// overflow, or there are more than ``SafetensorsError/maximumRank`` dimensions.
func descentShape(of entry: SafetensorsEntry) throws -> [Int] {
  func unsupported(_ reason: String) -> SafetensorsError {
    .unsupportedShape(tensor: entry.name, shape: entry.shape, reason: reason)
  }
  guard entry.shape.count <= SafetensorsError.maximumRank else {
    throw unsupported("more than \(SafetensorsError.maximumRank) dimensions")
  }
  var span = 1
  for dim in entry.shape {
    guard dim <= UInt64(Int.max) else { throw unsupported("a dimension is larger than Int.max") }
    let (next, overflow) = span.multipliedReportingOverflow(by: Swift.max(Int(dim), 1))
    guard !overflow else { throw unsupported("its strides overflow Int") }
    span = next
  }
  return entry.shape.map { Int($0) }
}

/// A tensor holding a copy of the entry's bytes.
private func makeTensor(_ entry: SafetensorsEntry, data: UnsafeRawPointer) throws -> Tensor {
  let dtype = entry.dtype.descentType!
  let tensor = Tensor(uninitializedShape: try descentShape(of: entry), dtype: dtype)
  let byteCount = Int(entry.end - entry.begin)
  guard byteCount > 0 else { return tensor }
  let source = data + Int(entry.begin)
  if dtype == .bool {
    // Any non-zero byte is true; a Swift Bool must hold exactly 0 or 1.
    let out = tensor.storage.base.assumingMemoryBound(to: UInt8.self)
    let bytes = source.assumingMemoryBound(to: UInt8.self)
    for i in 0..<byteCount { out[i] = bytes[i] == 0 ? 0 : 1 }
  } else {
    tensor.storage.base.copyMemory(from: source, byteCount: byteCount)
  }
  return tensor
}

/// Calls `body` with the bytes of the file at `url`, mapped read-only.
func withMappedFile<R>(_ url: URL, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
  let path = url.path
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw SafetensorsError.cannotRead(path: path, reason: systemMessage()) }
  defer { close(fd) }
  var info = stat()
  guard fstat(fd, &info) == 0 else { throw SafetensorsError.cannotRead(path: path, reason: systemMessage()) }
  guard (info.st_mode & S_IFMT) == S_IFREG else { throw SafetensorsError.notARegularFile(path: path) }
  let size = Int(info.st_size)
  guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
  let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
  guard let mapped, mapped != MAP_FAILED else {
    throw SafetensorsError.cannotRead(path: path, reason: systemMessage())
  }
  defer { munmap(mapped, size) }
  // The header is parsed once front to back and the data copied in order.
  _ = madvise(mapped, size, MADV_SEQUENTIAL)
  return try body(UnsafeRawBufferPointer(start: mapped, count: size))
}

/// The message of the current `errno`.
func systemMessage() -> String { String(cString: strerror(errno)) }
