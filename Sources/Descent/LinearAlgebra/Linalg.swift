/// Linear algebra on LAPACK and BLAS, as `torch.linalg`: float32 and float64, batched over
/// leading dimensions, differentiable with PyTorch's backward formulas.
///
/// ```swift
/// let x = try Linalg.solve(a, b)                    // A·X = B
/// let l = try Linalg.cholesky(a)                     // A = L·Lᵀ
/// let (sign, logabsdet) = Linalg.slogdet(a)
/// let eig = try Linalg.eigh(a)                       // eig.eigenvalues, eig.eigenvectors
/// let s = try Linalg.svd(a, fullMatrices: false)     // s.u, s.s, s.vh
/// let ls = try Linalg.lstsq(a, b)                    // ls.solution
/// ```
///
/// Functions that can meet a singular, non-positive-definite or non-convergent input throw a
/// ``LinalgError`` carrying PyTorch's message; shape and dtype mistakes stop, as elsewhere in
/// Descent, with a message naming the function. Results have the input's batch shape and
/// dtype, `matrixRank` is `int64`. LAPACK is called column-major on the row-major buffers,
/// through transposed problems where one does the job (a row-major matrix is the column-major
/// buffer of its transpose), and each call queries its workspace once for a whole batch.
///
/// ## Topics
///
/// ### Linear systems
/// - ``solve(_:_:left:)``
/// - ``solveTriangular(_:_:upper:left:unitriangular:)``
/// - ``lstsq(_:_:rcond:driver:)``
/// - ``LstsqDriver``
///
/// ### Factorisations
/// - ``cholesky(_:upper:)``
/// - ``choleskyEx(_:upper:)``
/// - ``qr(_:mode:)``
/// - ``qr(_:)``
/// - ``QRMode``
/// - ``eigh(_:uplo:)``
/// - ``eigvalsh(_:uplo:)``
/// - ``Triangle``
/// - ``svd(_:fullMatrices:)``
/// - ``svdvals(_:)``
///
/// ### Inverses and determinants
/// - ``inv(_:)``
/// - ``invEx(_:)``
/// - ``pinv(_:atol:rtol:hermitian:)``
/// - ``det(_:)``
/// - ``slogdet(_:)``
///
/// ### Norms, rank and conditioning
/// - ``vectorNorm(_:ord:dim:keepDim:)``
/// - ``matrixNorm(_:ord:dim:keepDim:)``
/// - ``MatrixNormOrder``
/// - ``matrixRank(_:atol:rtol:hermitian:)``
/// - ``cond(_:ord:)``
///
/// ### Errors
/// - ``LinalgError``
public enum Linalg {}
