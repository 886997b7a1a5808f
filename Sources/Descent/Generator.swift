import Foundation

/// A seedable pseudo-random number generator (`torch.Generator`).
///
/// Descent uses xoshiro256** seeded through SplitMix64. Streams are reproducible for a
/// seed across runs and platforms, but they are not PyTorch's Mersenne-Twister streams:
/// the same seed gives different numbers than `torch.manual_seed`. Draws are serialised
/// by an internal lock, so one generator can be shared between threads.
public final class Generator: @unchecked Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
  private var seedValue: UInt64 = 0
  private let lock = NSLock()

  /// The process-wide generator used when no explicit generator is passed.
  public static let `default` = Generator(seed: 0x5EED_DE5C_E47)

  /// A generator seeded with `seed`.
  public init(seed: UInt64 = 0x5EED_DE5C_E47) {
    manualSeed(seed)
  }

  /// Re-seeds the generator (`manual_seed`).
  public func manualSeed(_ seed: UInt64) {
    lock.lock()
    defer { lock.unlock() }
    seedValue = seed
    var s = seed
    func splitMix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// The seed last set (`initial_seed()`).
  public var initialSeed: UInt64 {
    lock.lock()
    defer { lock.unlock() }
    return seedValue
  }

  /// Runs `body` with exclusive access to the raw 64-bit stream.
  func withStream<R>(_ body: (inout RawStream) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    var stream = RawStream(state: state)
    let result = body(&stream)
    state = stream.state
    return result
  }

  /// A uniform integer in `0..<bound`.
  public func nextInt(below bound: Int) -> Int {
    withStream { $0.nextInt(below: bound) }
  }

  /// A uniform double in `[0, 1)`.
  public func nextDouble() -> Double {
    withStream { $0.nextDouble() }
  }
}

/// The unlocked xoshiro256** core that a locked ``Generator`` lends to bulk fills.
struct RawStream: RandomNumberGenerator {
  var state: (UInt64, UInt64, UInt64, UInt64)

  @inline(__always)
  mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = (state.3 << 45) | (state.3 >> 19)
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  @inline(__always)
  mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// Uniform in [0, 1) with 24 random bits.
  @inline(__always)
  mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1.0p-24 }

  /// Standard normal by Box-Muller, on (0, 1] uniforms so the log is finite.
  @inline(__always)
  mutating func nextNormalPair() -> (Double, Double) {
    let u1 = 1.0 - nextDouble()
    let u2 = nextDouble()
    let r = (-2.0 * Foundation.log(u1)).squareRoot()
    let theta = 2.0 * Double.pi * u2
    return (r * Foundation.cos(theta), r * Foundation.sin(theta))
  }

  mutating func nextInt(below bound: Int) -> Int {
    require(bound > 0, "nextInt(below:): bound must be positive, got \(bound)")
    return Int(next(upperBound: UInt64(bound)))
  }
}

/// Seeds the default generator (`torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
  Generator.default.manualSeed(seed)
}
