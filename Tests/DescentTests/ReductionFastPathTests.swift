import Testing

@testable import Descent

/// `sum` over leading dims skips `reduceRows`' transposing copy; both must give the same bits.
@Suite struct ReductionFastPathTests {
  @Test(
    arguments: [
      ([128, 512], [0]), ([3, 5, 7], [0, 1]), ([3, 5, 7], [0]), ([2, 1], [0]), ([70000, 3], [0]),
      ([4, 40000], [0]),
    ] as [([Int], [Int])], [DType.float32, .float64])
  func leadingSumMatchesRowReduction(_ shapeAndDims: ([Int], [Int]), _ dtype: DType) throws {
    let (shape, dims) = shapeAndDims
    let x = Tensor.randn(shape, dtype: dtype, generator: Generator(seed: UInt64(shape.reduce(1, *))))
    for keepDim in [false, true] {
      let fast = try #require(x.sumOverLeadingDims(dims, keepDim: keepDim))
      let reference = x.reduceRows(SumReducer(), dims: dims, keepDim: keepDim, op: "sum")
      #expect(fast.shape == reference.shape)
      #expect(fast.asArray(Double.self) == reference.asArray(Double.self))
      #expect(x.sum(dims: dims, keepDim: keepDim).asArray(Double.self) == reference.asArray(Double.self))
    }
  }

  @Test func otherLayoutsUseTheRowReduction() {
    let x = Tensor.randn([4, 6])
    #expect(x.sumOverLeadingDims([1], keepDim: false) == nil)
    #expect(x.t().sumOverLeadingDims([0], keepDim: false) == nil)
    #expect(x.sumOverLeadingDims([0, 1], keepDim: false) == nil)
  }
}
