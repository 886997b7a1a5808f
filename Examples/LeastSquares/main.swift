// A least-squares fit by gradient descent, checked against the exact solution from a QR
// decomposition: min_w ‖X w − y‖² is solved by R w = Qᵀ y with X = Q R.
//
//   swift run -c release LeastSquares          2000 Adam steps, then the check
//   swift run LeastSquares 10                  10 steps (the check needs the full run)
import Descent
import DescentNN
import DescentOptim
import Foundation

let defaultSteps = 2000
let steps = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? defaultSteps

// 200 noisy observations of a linear function of 5 features, in float64.
let generator = Generator(seed: 0)
let x = Tensor.randn([200, 5], dtype: .float64, generator: generator)
let trueW = Tensor([1.5, -2.0, 0.5, 3.0, -1.0], shape: [5, 1], dtype: .float64)
let y = x.matmul(trueW) + 0.1 * Tensor.randn([200, 1], dtype: .float64, generator: generator)

// The exact least-squares solution: back-substitution in R w = Qᵀ y.
let (q, r) = Linalg.qr(x)
let qty = q.t().matmul(y).asArray(Double.self)
let rows = r.asArray(Double.self)
var exact = [Double](repeating: 0, count: 5)
for i in stride(from: 4, through: 0, by: -1) {
  var s = qty[i]
  for j in (i + 1)..<5 { s -= rows[i * 5 + j] * exact[j] }
  exact[i] = s / rows[i * 5 + i]
}

// The same fit by gradient descent on the mean squared error.
let w = Tensor.zeros([5, 1], dtype: .float64, requiresGrad: true)
let criterion = MSELoss()
let optimizer = try Adam([w], lr: 0.05)
let scheduler = try StepLR(optimizer, stepSize: 500, gamma: 0.3)
for step in 1...steps {
  optimizer.zeroGrad()
  let loss = criterion(x.matmul(w), y)
  loss.backward()
  try optimizer.step()
  try scheduler.step()
  if step % 250 == 0 || step == steps { print("step \(step): mean squared error \(loss.item())") }
}

let fitted = w.detach().asArray(Double.self)
let gap = zip(fitted, exact).map { abs($0 - $1) }.max()!
print("QR solution:      \(exact.map { String(format: "%.6f", $0) }.joined(separator: " "))")
print("gradient descent: \(fitted.map { String(format: "%.6f", $0) }.joined(separator: " "))")
print("largest difference: \(gap)")
if steps >= defaultSteps && gap > 1e-6 {
  print("the fit did not reach the QR solution")
  exit(1)
}
