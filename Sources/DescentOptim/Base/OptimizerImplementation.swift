/// Which kernels an optimizer's ``Optimizer/step()`` runs, like PyTorch's `foreach` and
/// `fused` flags. All compute PyTorch's update with PyTorch's hyperparameter handling; they
/// differ only in rounding (a few units in the last place), and the tests hold them to
/// PyTorch's trajectories and to each other.
public enum OptimizerImplementation: String, Sendable, CaseIterable {
  /// The axpy-shaped parts of the update (momentum buffers, moment estimates, decoupled
  /// weight decay, and the parameter update where it is an axpy) call BLAS level 1
  /// (`cblas_?axpy`, `?axpby`, `?scal`); the remaining elementwise work (squares, square
  /// roots, divisions, maxima) is one raw-pointer loop.
  case blas
  /// One single-pass kernel per optimizer that reads and writes each buffer once per
  /// element, in PyTorch's operation order; a whole group is one pass, split across
  /// ``Descent/Threads/count`` threads. Bitwise equal to ``reference``. Optimizers without a
  /// fused kernel run their BLAS form.
  case fused
  /// The optimizer's readable rule (``OptimizerRule/reference(_:param:grad:state:scalars:)``),
  /// element by element on one thread: slow, and meant for checking the other two, which
  /// are held to it.
  case reference

  /// The implementation optimizers use unless told otherwise: the fused kernels, which
  /// move fewer bytes and ran faster in every case of `descent bench optimizers` (see the
  /// DescentOptim documentation for the figures).
  public static let `default`: OptimizerImplementation = .fused
}
