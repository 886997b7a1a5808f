import Descent
import DescentOptim
import Testing

/// The contract, verbatim (whitespace included, hence the formatter exemption).
/// It returns what the checks below need.
// swift-format-ignore
func runContractSnippet() throws -> (values: [Double], w: Tensor, b: Tensor, saved: OptimizerStateDict) {
let w = Tensor([0.5, -1.5, 2.0, 0.25], shape: [2, 2], dtype: .float64, requiresGrad: true)
let b = Tensor([0.1, -0.1], shape: [2], dtype: .float64, requiresGrad: true)
w.grad = Tensor([0.1, -0.2, 0.3, 0.05], shape: [2, 2], dtype: .float64)
b.grad = Tensor([1.0, -2.0], shape: [2], dtype: .float64)
let optimizer = try Adam([w], lr: 0.01, betas: (0.9, 0.99), eps: 1e-8, weightDecay: 0.01, amsgrad: true, maximize: false)
try optimizer.addParamGroup(ParamGroup([b]))   // second group, filled from the defaults
optimizer.paramGroups[1].lr = 0.05             // per-group hyperparameter
try optimizer.step()                           // updates w and b in place
let values: [Double] = w.asArray(Double.self)
let saved = optimizer.stateDict()              // snapshot
try optimizer.loadStateDict(saved)
optimizer.zeroGrad()                           // grads become nil
// likewise: try SGD(params, lr:momentum:dampening:weightDecay:nesterov:maximize:),
//           try RMSprop(params, lr:alpha:eps:weightDecay:momentum:centered:maximize:),
//           try AdamW(params, lr:betas:eps:weightDecay:amsgrad:maximize:)
return (values, w, b, saved)
}

@Test("the contract snippet compiles unchanged and matches PyTorch")
func contractSnippet() throws {
  let (values, w, b, saved) = try runContractSnippet()
  let expected = Fixtures.misc.contract
  #expect(worstDiscrepancy(values, expected.w, rtol: 1e-12, atol: 0).passes)
  #expect(worstDiscrepancy(b.asArray(Double.self), expected.b, rtol: 1e-12, atol: 0).passes)
  #expect(w.grad == nil && b.grad == nil)
  #expect(saved.paramGroups.map(\.params) == [[0], [1]])
  #expect(
    saved.paramGroups.map(\.hyperparameters) == expected.param_groups.map { $0.mapValues(\.hyperValue) })
  for (index, expectedState) in expected.state.enumerated() {
    let state = saved.state[index]!
    #expect(Set(state.keys) == Set(expectedState.keys))
    #expect(state["step"]!.item() == expectedState["step"]!.number!)
    for key in ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] {
      let error = worstDiscrepancy(
        state[key]!.asArray(Double.self), expectedState[key]!.doubles!, rtol: 1e-12, atol: 0)
      #expect(error.passes, "\(key) of parameter \(index): \(error)")
    }
  }
}

@Test("the other constructors of the contract compile with every label")
func contractConstructors() throws {
  let p = Tensor.zeros([3], requiresGrad: true)
  let sgd = try SGD(
    [p], lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, maximize: false)
  let rms = try RMSprop(
    [p], lr: 0.01, alpha: 0.9, eps: 1e-8, weightDecay: 0, momentum: 0.1, centered: true, maximize: false)
  let adamw = try AdamW(
    [p], lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false)
  #expect(sgd.paramGroups[0].flag("nesterov"))
  #expect(rms.paramGroups[0].flag("centered"))
  #expect(adamw.paramGroups[0].flag("decoupled_weight_decay"))
}

/// The initialisers of issue 11's elementwise optimizers, verbatim (whitespace included,
/// hence the formatter exemption); they must compile with these labels, order and defaults.
// swift-format-ignore
func runElementwiseInitialisers(_ params: [Tensor]) throws -> [Optimizer] {
let a = try Adagrad(params, lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false)
let b = try Adadelta(params, lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false)
let c = try Adamax(params, lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0, maximize: false)
let d = try NAdam(params, lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3,
                  decoupledWeightDecay: false, maximize: false)          // state includes mu_product
let e = try RAdam(params, lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 0,
                  decoupledWeightDecay: false, maximize: false)          // rectification at rho_t > 5
let f = try ASGD(params, lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false)  // eta, mu, ax
let g = try Rprop(params, lr: 1e-2, etas: (0.5, 1.2), stepSizes: (1e-6, 50), maximize: false)
return [a, b, c, d, e, f, g]
}

@Test("issue 11's initialisers compile with every label, and their values are PyTorch's defaults")
func elementwiseInitialisers() throws {
  let optimizers = try runElementwiseInitialisers([Tensor.zeros([3], requiresGrad: true)])
  #expect(optimizers.map(\.name) == ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
  for optimizer in optimizers {
    #expect(
      optimizer.defaults == Fixtures.optimizers[optimizer.name]!.defaults.mapValues(\.hyperValue),
      "\(optimizer.name)")
  }
}
