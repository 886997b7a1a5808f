/// A matrix that a `Linalg` function could not factorise: singular for `solve` and `inv`,
/// not positive-definite for `cholesky`, or an eigen / singular value decomposition that did
/// not converge (`torch.linalg.LinAlgError`).
///
/// The ``message`` is PyTorch's, word for word: it names the function, the batch element
/// (for batched input) and LAPACK's `info`, which is the failing pivot or leading minor:
///
/// ```
/// linalg.cholesky: (Batch element 1): The factorization could not be completed because
/// the input is not positive-definite (the leading minor of order 3 is not positive-definite).
/// ```
///
/// LAPACK's own messages (LAPACKE's `xerbla` warnings) are never printed: Descent calls the
/// routines with arguments it has checked, and reads `info` itself.
public struct LinalgError: Error, Equatable, Sendable, CustomStringConvertible {
  /// PyTorch's name of the function that failed, e.g. `"linalg.cholesky"`.
  public let function: String
  /// The row-major index of the failing matrix in the batch, or `nil` for a single matrix.
  public let batchIndex: Int?
  /// LAPACK's `info`: the 1-based failing pivot (`solve`, `inv`), the order of the leading
  /// minor that is not positive-definite (`cholesky`), or the number of values that did not
  /// converge (`eigh`, `svd`); negative for non-finite input to `svd`.
  public let info: Int
  /// PyTorch's message.
  public let message: String

  public var description: String { message }

  /// PyTorch's `_linalg_check_errors` for the first non-zero `info`.
  init(function: String, batchIndex: Int?, info: Int) {
    self.function = function
    self.batchIndex = batchIndex
    self.info = info
    let prefix = function + (batchIndex.map { ": (Batch element \($0))" } ?? "")
    if info < 0 {
      message =
        function.contains("svd")
        ? "\(prefix): The algorithm failed to converge because the input matrix contained non-finite values."
        : "\(prefix): Argument \(-info) has illegal value. Most certainly there is a bug in the implementation calling the backend library."
    } else if function.contains("inv") {
      message =
        "\(prefix): The diagonal element \(info) is zero, the inversion could not be completed because the input matrix is singular."
    } else if function.contains("solve") {
      message = "\(prefix): The solver failed because the input matrix is singular."
    } else if function.contains("cholesky") {
      message =
        "\(prefix): The factorization could not be completed because the input is not positive-definite (the leading minor of order \(info) is not positive-definite)."
    } else if function.contains("svd") {
      message =
        "\(prefix): The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated singular values (error code: \(info))."
    } else if function.contains("eig") {
      message =
        "\(prefix): The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: \(info))."
    } else if function.contains("lstsq") {
      message =
        "\(prefix): The least squares solution could not be computed because the input matrix does not have full rank (error code: \(info))."
    } else {
      message = "\(prefix): Unknown error code: \(info)."
    }
  }

  /// Throws for the first non-zero entry of `infos` (one per matrix of the batch); a batch
  /// shape of `[]` means a single matrix, reported without a batch index, as PyTorch does.
  static func check(_ infos: [Int32], function: String, batchShape: [Int]) throws {
    guard let index = infos.firstIndex(where: { $0 != 0 }) else { return }
    throw LinalgError(
      function: function, batchIndex: batchShape.isEmpty ? nil : index, info: Int(infos[index]))
  }
}
