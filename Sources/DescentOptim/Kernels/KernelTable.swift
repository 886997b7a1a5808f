import Descent

/// The entries one fused step hands to a C kernel: one per parameter with a gradient, laid
/// end to end so that a whole group is a single range of elements that ``run(_:)`` splits
/// across threads, however many tensors it holds.
///
/// The buffer is kept between steps and only grows, so a steady-state step allocates
/// nothing.
final class KernelTable<Entry> {
  private var entries: UnsafeMutablePointer<Entry>
  private var capacity: Int
  private(set) var count = 0
  /// Elements in all entries: the length of the concatenation.
  private(set) var elementCount = 0
  /// Tensors that only this step holds alive (contiguous copies of hand-assigned
  /// non-contiguous gradients).
  private var temporaries: [Tensor] = []

  init() {
    capacity = 16
    entries = .allocate(capacity: capacity)
  }

  deinit {
    entries.deinitialize(count: count)
    entries.deallocate()
  }

  /// Empties the table, keeping its memory.
  func reset() {
    entries.deinitialize(count: count)
    count = 0
    elementCount = 0
    if !temporaries.isEmpty { temporaries.removeAll(keepingCapacity: true) }
  }

  /// The offset the next entry starts at.
  var nextStart: Int64 { Int64(elementCount) }

  /// Appends an entry of `elements` elements, which must start at ``nextStart``.
  func append(_ entry: Entry, elements: Int) {
    if count == capacity {
      let grown = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
      grown.moveInitialize(from: entries, count: count)
      entries.deallocate()
      entries = grown
      capacity *= 2
    }
    (entries + count).initialize(to: entry)
    count += 1
    elementCount += elements
  }

  /// Keeps `tensor` alive until the next ``reset()``.
  func keepAlive(_ tensor: Tensor) { temporaries.append(tensor) }

  /// Calls `kernel(entries, count, begin, end)` on contiguous chunks of the concatenation,
  /// in parallel when it is large enough (``Descent/parallelChunks(_:grain:_:)``).
  func run(_ kernel: (UnsafePointer<Entry>, Int64, Int64, Int64) -> Void) {
    guard count > 0, elementCount > 0 else { return }
    let base = UnsafePointer(entries)
    let n = Int64(count)
    parallelChunks(elementCount) { range in
      kernel(base, n, Int64(range.lowerBound), Int64(range.upperBound))
    }
  }
}

/// One table per floating-point dtype: a group may mix float32 and float64 parameters.
struct KernelTables<Entry> {
  let float32 = KernelTable<Entry>()
  let float64 = KernelTable<Entry>()

  func reset() {
    float32.reset()
    float64.reset()
  }

  func table(for dtype: DType) -> KernelTable<Entry> {
    dtype == .float64 ? float64 : float32
  }
}
