import Foundation

/// Writes a file so that a crash at any moment leaves either the old file or the new one:
/// the bytes go to a temporary file in the same directory, which is flushed to disk
/// (`fsync`), renamed over the target and followed by a flush of the directory, so that the
/// rename itself survives a power loss.
///
/// A failed write (a full disk, a missing or read-only directory) throws
/// ``SafetensorsError/cannotWrite(path:operation:reason:)``, removes the temporary file and
/// leaves the previous file untouched. A process killed mid-write leaves the target intact
/// and a temporary file named `.NAME.XXXXXXXX.tmp` beside it.
struct AtomicFileWriter {
  private let fd: Int32
  private let path: String
  private var buffer: [UInt8] = []
  private static let bufferLimit = 1 << 20

  private init(fd: Int32, path: String) {
    self.fd = fd
    self.path = path
    buffer.reserveCapacity(Self.bufferLimit)
  }

  /// Writes `url` atomically with the bytes that `body` appends.
  static func write(to url: URL, _ body: (inout AtomicFileWriter) throws -> Void) throws {
    // A symbolic link is followed, so that the file it points to is replaced, not the link.
    let target = url.resolvingSymlinksInPath().path
    let directory = (target as NSString).deletingLastPathComponent
    let base = (target as NSString).lastPathComponent
    let temporary =
      (directory.isEmpty ? "." : directory)
      + "/.\(base).\(String(UInt32.random(in: .min ... .max), radix: 16)).tmp"
    func failure(_ operation: String) -> SafetensorsError {
      .cannotWrite(path: target, operation: operation, reason: systemMessage())
    }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure("open") }
    var closed = false
    var renamed = false
    defer {
      if !closed { close(fd) }
      if !renamed { unlink(temporary) }
    }
    // Keep the permissions of the file being replaced.
    var existing = stat()
    if stat(target, &existing) == 0 { _ = fchmod(fd, existing.st_mode & 0o7777) }
    var writer = AtomicFileWriter(fd: fd, path: target)
    try body(&writer)
    try writer.flush()
    guard fsync(fd) == 0 else { throw failure("fsync") }
    closed = true
    guard close(fd) == 0 else { throw failure("close") }
    guard rename(temporary, target) == 0 else { throw failure("rename") }
    renamed = true
    // The rename is durable once the directory is; some file systems can't sync one.
    let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
      let synced = fsync(directoryFD) == 0 || errno == EINVAL || errno == EBADF
      let error = errno
      close(directoryFD)
      errno = error
      guard synced else { throw failure("fsync of the directory") }
    }
  }

  /// Appends bytes, buffered.
  mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
    if buffer.count + bytes.count > Self.bufferLimit { try flush() }
    if bytes.count >= Self.bufferLimit {
      try writeAll(bytes)
    } else {
      buffer.append(contentsOf: bytes)
    }
  }

  mutating func append(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try append($0) }
  }

  private mutating func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try writeAll($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw SafetensorsError.cannotWrite(path: path, operation: "write", reason: systemMessage())
      }
      offset += n
    }
  }
}
