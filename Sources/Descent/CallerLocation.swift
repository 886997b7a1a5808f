#if canImport(Runtime)
  import Runtime
#endif

/// Where in the user's code a failed ``require(_:_:file:line:)`` was reached: the innermost
/// frame of the current call stack that belongs to none of Descent's modules.
///
/// A shape check fails deep inside an op, but the line worth reading is the caller's, and
/// operators (`a + b`) cannot take `#fileID`/`#line` arguments. So the stack is walked
/// instead, once, on the way to stopping the process: nothing of this runs while checks
/// hold.
enum CallerLocation {
  /// `path:line` of the user's frame, or its symbol when the binary has no line tables
  /// (a release build without `-g`); `nil` when there is no such frame or the stack
  /// cannot be read.
  static func describe() -> String? {
    #if canImport(Runtime)
      guard let backtrace = try? Backtrace.capture(),
        let symbolicated = backtrace.symbolicated()
      else { return nil }
      for frame in symbolicated.frames {
        guard let symbol = frame.symbol, let module = swiftModule(ofMangled: symbol.rawName)
        else { continue }
        if isDescent(module) || module == "Runtime" { continue }
        if let location = symbol.sourceLocation, location.line > 0 {
          return "\(location.path):\(location.line)"
        }
        return "\(symbol.name) (no line tables; build with -g for the line)"
      }
      return nil
    #else
      return nil
    #endif
  }

  /// Descent's library modules, whose frames are skipped. A list, not a prefix: a user's
  /// `DescentTests` or `DescentDemo` module is a caller.
  static let descentModules: Set<String> = [
    "Descent", "DescentNN", "DescentData", "DescentOptim", "DescentCheckpoint", "DescentSWA",
    "DescentWorkbench", "DescentDistributed",
  ]

  static func isDescent(_ module: String) -> Bool { descentModules.contains(module) }

  /// The module of a Swift symbol from its mangled name (`$s7Descent6TensorV…` → `Descent`);
  /// `nil` for C symbols and for the standard library's (`$ss…`, `$sS…`), which are never
  /// the user's line either.
  static func swiftModule(ofMangled name: String) -> String? {
    var rest = Substring(name)
    guard let prefix = ["$s", "_$s"].first(where: { rest.hasPrefix($0) }) else { return nil }
    rest = rest.dropFirst(prefix.count)
    let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
    guard let length = Int(digits), length > 0 else { return nil }
    rest = rest.dropFirst(digits.count)
    guard rest.count >= length else { return nil }
    return String(rest.prefix(length))
  }
}
