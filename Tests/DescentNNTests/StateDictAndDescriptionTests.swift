import Descent
import DescentNN
import Testing

/// The reference strings in nn_layers.json: `print(model)` and `load_state_dict` errors.
struct ReprFixture: Decodable {
  struct Reprs: Decodable {
    let model: String
    let bceWithLogits: String
    let gelu: String
    let embedding: String
    let stateDictKeys: [String]
    enum CodingKeys: String, CodingKey {
      case model, gelu, embedding
      case bceWithLogits = "bce_with_logits"
      case stateDictKeys = "state_dict_keys"
    }
  }
  let reprs: Reprs
  let loadErrors: [String: String?]
  enum CodingKeys: String, CodingKey {
    case reprs
    case loadErrors = "load_errors"
  }
}

/// The model whose PyTorch twin the generator prints.
func reprModel() throws -> Sequential {
  Sequential(
    Linear(4, 8),
    ReLU(),
    Sequential(LayerNorm(8), try Dropout(p: 0.25)),
    Linear(8, 3, bias: false),
    LeakyReLU(negativeSlope: 0.2),
    GELU(approximate: .tanh),
    Softmax(dim: 1),
    LogSoftmax(dim: -1),
    Flatten(),
    BatchNorm1d(3),
    BatchNorm1d(3, momentum: nil, affine: false),
    Embedding(5, 3, paddingIdx: 1),
    Sigmoid(),
    Tanh(),
    Identity(),
    LayerNorm([2, 3], elementwiseAffine: false)
  )
}

@Suite("Descriptions and state dicts against PyTorch 2.13")
struct StateDictAndDescriptionTests {
  let fixture = Fixtures.load("nn_layers", as: ReprFixture.self)

  @Test("print(model) matches PyTorch's repr")
  func descriptions() throws {
    #expect(try reprModel().description == fixture.reprs.model)
    #expect(BCEWithLogitsLoss(reduction: .sum).description == fixture.reprs.bceWithLogits)
    #expect(GELU().description == fixture.reprs.gelu)
    #expect(Embedding(5, 3).description == fixture.reprs.embedding)
  }

  @Test("stateDict keys and order match PyTorch's")
  func stateDictKeys() throws {
    #expect(try Array(reprModel().stateDict().keys) == fixture.reprs.stateDictKeys)
  }

  @Test("loadStateDict copies every tensor, converting dtypes")
  func roundTrip() throws {
    let source = Sequential(Linear(3, 4), BatchNorm1d(4), Linear(4, 2))
    source(Tensor.randn([5, 3])).sum().backward()  // moves the running statistics
    let target = Sequential(
      Linear(3, 4, dtype: .float64), BatchNorm1d(4, dtype: .float64), Linear(4, 2, dtype: .float64))
    let snapshot = source.stateDict().map { ($0.key, $0.value.clone()) }
    try target.loadStateDict(snapshot)
    for ((name, a), (_, b)) in zip(source.stateDict(), target.stateDict()) {
      #expect(a.asArray(Double.self) == b.asArray(Double.self), "\(name)")
    }
    #expect(target.parameters().allSatisfy { $0.dtype == .float64 && $0.isLeaf && $0.requiresGrad })
    #expect(target[1].namedBuffers().last?.buffer.item(Int.self) == 1)
    // The dictionary form.
    let other = Sequential(Linear(3, 4), BatchNorm1d(4), Linear(4, 2))
    try other.loadStateDict(Dictionary(uniqueKeysWithValues: snapshot))
    #expect(other.parameters()[0].asArray(Double.self) == source.parameters()[0].asArray(Double.self))
  }

  @Test(
    "loadStateDict throws PyTorch's errors and leaves the module untouched",
    arguments: ["missing_unexpected_mismatch", "mismatch_only", "not_strict_mismatch"])
  func loadErrors(_ name: String) throws {
    let model = Sequential(Linear(4, 8))
    let before = model.parameters().map { $0.asArray(Double.self) }
    let entries: [(name: String, tensor: Tensor)] =
      switch name {
      case "mismatch_only": [("0.weight", Tensor.zeros([3, 4])), ("0.bias", Tensor.zeros([8]))]
      default: [("0.weight", Tensor.zeros([3, 4])), ("x", Tensor.zeros([1]))]
      }
    let expected = try #require(fixture.loadErrors[name] ?? nil)
    let error = #expect(throws: NNError.self) {
      try model.loadStateDict(entries, strict: name != "not_strict_mismatch")
    }
    #expect(error?.message == expected)
    #expect(model.parameters().map { $0.asArray(Double.self) } == before)
  }
}
