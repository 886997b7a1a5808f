import DescentTestSupport
import Foundation

/// `Fixtures/data.json`, written by `scripts/gen_data_fixtures.py` from PyTorch and
/// scikit-learn (versions recorded in the file).
struct DataFixtures: Decodable, Sendable {
  struct PyError: Decodable, Sendable {
    let type: String
    let message: String
  }
  struct LoaderLength: Decodable, Sendable {
    let n: Int
    let batch_size: Int
    let drop_last: Bool
    let len: Int
    let batch_sizes: [Int]
  }
  struct BatchSamplerCase: Decodable, Sendable {
    let n: Int
    let batch_size: Int
    let drop_last: Bool
    let batches: [[Int]]
  }
  struct FractionSplit: Decodable, Sendable {
    let n: Int
    let fractions: [Double]
    let lengths: [Int]?
    let error: PyError?
  }
  struct CountSplit: Decodable, Sendable {
    let n: Int
    let lengths: [Int]
    let result: [Int]?
    let error: PyError?
  }
  struct RandomSplit: Decodable, Sendable {
    let fractions: [FractionSplit]
    let counts: [CountSplit]
  }
  struct MultinomialCase: Decodable, Sendable {
    let weights: [String]
    let num_samples: Int
    let replacement: Bool
    let error: PyError?
    var weightValues: [Double] { weights.map { Double($0)! } }
  }
  struct Collate: Decodable, Sendable {
    let int_dtype: String
    let float_dtype: String
    let bool_dtype: String
    let dict_shapes: [String: [Int]]
    let list_of_tensors_shapes: [[Int]]
    let strings: [String]
  }
  struct IterableOrder: Decodable, Sendable {
    let dataset: String
    let num_workers: Int
    let batch_size: Int?
    let drop_last: Bool
    let batches: [[Int]]
  }
  struct SklearnSet: Decodable, Sendable {
    let mean: [Double]
    let scale: [Double]
    let first_row: [Double]
    let last_row: [Double]
    let target_head: [Int]
  }
  struct SplitSize: Decodable, Sendable {
    let n: Int
    let test_size: Double
    let train: Int
    let test: Int
  }
  struct Sklearn: Decodable, Sendable {
    let breast_cancer: SklearnSet
    let digits: SklearnSet
    let train_test_split: [SplitSize]
    let train_test_split_errors: [String: PyError]
  }

  let versions: [String: String]
  let loader_lengths: [LoaderLength]
  let batch_sampler: [BatchSamplerCase]
  let random_split: RandomSplit
  let option_errors: [String: PyError?]
  let multinomial_errors: [MultinomialCase]
  let collate: Collate
  let iterable_orders: [IterableOrder]
  let map_worker_order: [[Int]]
  let sklearn: Sklearn

  static let shared = FixtureLoader(bundle: .module, script: "scripts/gen_data_fixtures.py")
    .load("data", as: DataFixtures.self)

  /// PyTorch's message for the named option error.
  static func message(_ key: String) -> String {
    guard let error = shared.option_errors[key] ?? nil else {
      fatalError("fixture option_errors[\(key)] is missing or PyTorch raised nothing")
    }
    return error.message
  }
}
