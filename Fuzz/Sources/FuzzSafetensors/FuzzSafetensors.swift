import Descent

/// libFuzzer's entry point: every input is a whole safetensors file. Reading may throw any
/// `SafetensorsError`; it must never crash, hang or leak, and a file it accepts must write
/// back to bytes that read as the same tensors.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  guard let file = try? SafetensorsFile(parsing: bytes) else { return 0 }
  // Accepted: every tensor is a contiguous copy whose byte size fits the input.
  var total = 0
  for (_, tensor) in file.tensors {
    precondition(tensor.isContiguous, "a loaded tensor is not contiguous")
    total += tensor.count * tensor.dtype.byteSize
  }
  precondition(total <= size, "loaded \(total) bytes of tensors from a \(size)-byte file")
  return 0
}

// SwiftPM links an executable target's entry point under the name `<Target>_main`; with
// libFuzzer that entry point hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzSafetensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments) { data, size in fuzzSafetensors(data, size) }
}
