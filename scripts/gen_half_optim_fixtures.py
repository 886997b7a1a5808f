#!/usr/bin/env python3
"""Writes the reference trajectories of optimizers on bfloat16 / float16 parameters.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_half_optim_fixtures.py

Writes Tests/DescentOptimTests/Fixtures/half_params.json. Each case runs one optimizer on
two half-precision parameters (37 and 100 elements: PyTorch's vectorised loop and its scalar
tail; matrices where a case names shapes) for STEPS steps, feeding gradients drawn here (stored, as bit patterns, so that the
Swift tests feed the same numbers), and records the parameters and state after every step
as bit patterns. `fused: true` cases use PyTorch's fused CPU kernels (`fused=True`: Adam,
AdamW, SGD, Adagrad), which compute in float32 and round each stored tensor once;
`fused: false` cases use the for-loop (`foreach=False`), which rounds after every op.
"""

import json
import os
import platform
import sys

import numpy as np
import torch

EXPECTED_TORCH = "2.13.0"
STEPS = 5
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentOptimTests", "Fixtures",
    "half_params.json",
)
HALF = {"bfloat16": torch.bfloat16, "float16": torch.float16}
SIZES = [37, 100]

CASES = [
    ("Adam", True, {"lr": 1e-2}),
    ("Adam", True, {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", True, {"lr": 3e-3, "betas": (0.3, 0.99), "maximize": True, "eps": 1e-6}),
    ("AdamW", True, {"lr": 1e-2}),
    ("AdamW", True, {"lr": 1e-2, "weight_decay": 0.05, "amsgrad": True}),
    ("SGD", True, {"lr": 0.1, "momentum": 0.9}),
    ("SGD", True, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", True, {"lr": 0.05, "momentum": 0.5, "dampening": 0.1, "maximize": True}),
    ("SGD", True, {"lr": 0.1}),
    ("Adagrad", True, {"lr": 0.1}),
    ("Adagrad", True, {"lr": 0.1, "weight_decay": 0.1, "lr_decay": 0.01}),
    ("RMSprop", False, {"lr": 1e-2}),
    ("RMSprop", False, {"lr": 1e-2, "momentum": 0.9, "centered": True}),
    ("Adamax", False, {"lr": 1e-2}),
    ("Adam", False, {"lr": 1e-2}),
    ("NAdam", False, {"lr": 1e-2}),
    ("NAdam", False, {"lr": 1e-2, "weight_decay": 0.1}),
    ("NAdam", False, {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", False, {"lr": 1e-2, "betas": (0.9, 0.8)}),
    ("RAdam", False, {"lr": 1e-2, "betas": (0.9, 0.8), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", False, {"lr": 1e-2, "betas": (0.9, 0.8), "weight_decay": 0.1}),
    ("Adadelta", False, {"lr": 1.0}),
    ("Adadelta", False, {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1}),
    ("ASGD", False, {"lr": 1e-2}),
    ("ASGD", False, {"lr": 1e-2, "weight_decay": 0.1, "t0": 2}),
    ("Rprop", False, {"lr": 1e-2}),
    ("Rprop", False, {"lr": 1e-2, "etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}),
    ("Adafactor", False, {"lr": 1e-2}),
    ("Adafactor", False, {"lr": 1e-2, "weight_decay": 0.1}, [(6, 20), (3, 37)]),
    ("Adafactor", False, {"lr": 1e-2, "maximize": True, "beta2_decay": -0.5, "eps": (1e-3, 1e-3), "d": 2.0},
     [(5, 8), (40,)]),
    ("Adamax", False, {"lr": 1e-2, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", False, {"lr": 1e-2, "weight_decay": 0.1, "centered": True}),
    ("NAdam", False, {"lr": 1e-2, "maximize": True, "momentum_decay": 0.01}),
    ("Adadelta", False, {"lr": 0.3, "maximize": True}),
    ("Rprop", False, {"lr": 1e-2, "maximize": True}),
    ("ASGD", False, {"lr": 1e-2, "maximize": True, "lambd": 0.1, "alpha": 0.5}),
    ("RAdam", False, {"lr": 1e-2, "betas": (0.8, 0.8), "maximize": True, "eps": 1e-3}),
]
# RAdam rectifies only once its ρₜ exceeds 5: with β₂ = 0.8 from the 8th step.
STEPS_OF = {"RAdam": 10}
TRAINING_STEPS = 4


def bits(t):
    return t.detach().contiguous().view(torch.int16).reshape(-1).numpy().view(np.uint16).tolist()


def run(name, fused, hp, dtype, shapes=None):
    g = torch.Generator().manual_seed(1600 + len(name))
    params = [(torch.randn(n, generator=g)).to(dtype).requires_grad_(True) for n in (shapes or SIZES)]
    init = [bits(p) for p in params]
    cls = getattr(torch.optim, name)
    kwargs = dict(hp)
    if fused:
        kwargs["fused"] = True
    else:
        kwargs["foreach"] = False
    opt = cls(params, **kwargs)
    steps = []
    for _ in range(STEPS_OF.get(name, STEPS)):
        grads = [(torch.randn(p.shape, generator=g) * 0.5).to(dtype) for p in params]
        for p, gr in zip(params, grads):
            p.grad = gr.clone()
        opt.step()
        state = []
        for p in params:
            st = {k: bits(v) for k, v in opt.state[p].items() if torch.is_tensor(v) and v.dtype == dtype}
            st.update({k: float(v) for k, v in opt.state[p].items() if torch.is_tensor(v) and v.dtype != dtype})
            state.append(st)
        steps.append({"grads": [bits(x) for x in grads], "params": [bits(p) for p in params], "state": state})
    hp_out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in hp.items()}
    return {"optimizer": name, "fused": fused, "dtype": str(dtype)[6:], "hyperparameters": hp_out,
            "shapes": [list(p.shape) for p in params], "initial": init, "steps": steps}


def training(dtype, loss, arch="mlp"):
    """A model trained in the half dtype end to end, Adam(lr=1e-2, fused=True), TRAINING_STEPS
    steps on one batch: "mlp" is Linear(8, 16), ReLU, Linear(16, 4); "deep" is Linear(8, 16),
    Tanh, Linear(16, 16), Sigmoid, Linear(16, 16), LeakyReLU, Linear(16, 4) (the loss takes
    logits; no GELU: PyTorch's erf is SLEEF's, a float32 ulp from libm's, see `layers`).
    Losses: cross-entropy, MSE, BCE with logits, smooth L1 (mean).
    Records the loss, every gradient and every parameter after each step."""
    g = torch.Generator().manual_seed(1700 + len(loss) + (0 if arch == "mlp" else 100))
    if arch == "mlp":
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    else:
        model = torch.nn.Sequential(
            torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Sigmoid(),
            torch.nn.Linear(16, 16), torch.nn.LeakyReLU(), torch.nn.Linear(16, 4))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
    model = model.to(dtype)
    x = torch.randn(32, 8, generator=g).to(dtype)
    if loss == "cross_entropy":
        y = torch.randint(0, 4, (32,), generator=g)
        criterion = torch.nn.CrossEntropyLoss()
        target = y.tolist()
    elif loss == "bce_logits":
        y = (torch.rand(32, 4, generator=g) > 0.5).to(dtype)
        criterion = torch.nn.BCEWithLogitsLoss()
        target = bits(y)
    else:
        y = torch.randn(32, 4, generator=g).to(dtype)
        criterion = torch.nn.MSELoss() if loss == "mse" else torch.nn.SmoothL1Loss(beta=0.5)
        target = bits(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
    out = {"dtype": str(dtype)[6:], "arch": arch, "loss": loss, "x": bits(x), "target": target,
           "initial": [bits(p) for p in model.parameters()], "steps": []}
    for _ in range(TRAINING_STEPS):
        opt.zero_grad()
        value = criterion(model(x), y)
        value.backward()
        grads = [bits(p.grad) for p in model.parameters()]
        opt.step()
        out["steps"].append({"loss": bits(value.detach().reshape(1))[0], "grads": grads,
                             "params": [bits(p) for p in model.parameters()]})
    return out


def losses(dtype):
    """cross_entropy on [40, 25] half logits (nll_loss sums in a cascade of half-precision
    partial sums; 40 rows are carried between its levels): the loss and the logits' gradient
    for each reduction, a class weight and an ignored class."""
    g = torch.Generator().manual_seed(1800)
    logits = (torch.randn(40, 25, generator=g) * 3).to(dtype)
    target = torch.arange(40) * 7 % 25
    weight = (torch.arange(25, dtype=torch.float32) % 5 * 0.3 + 0.2).to(dtype)
    out = {"dtype": str(dtype)[6:], "logits": bits(logits), "target": target.tolist(), "weight": bits(weight),
           "cases": []}
    for reduction, kwargs in [("mean", {}), ("sum", {"reduction": "sum"}), ("weighted_mean", {"weight": weight}),
                              ("weighted_sum", {"weight": weight, "reduction": "sum"}),
                              ("ignore_mean", {"ignore_index": 7}), ("none", {"reduction": "none"})]:
        x = logits.clone().requires_grad_(True)
        value = torch.nn.functional.cross_entropy(x, target, **kwargs)
        value.sum().backward() if reduction == "none" else value.backward()
        out["cases"].append({"name": reduction, "loss": bits(value.detach().reshape(-1)), "grad": bits(x.grad)})
    return out


def layers(dtype):
    """Layers and losses on half tensors, forward and backward, one call each: a [32, 16]
    input and an upstream gradient; LayerNorm and BatchNorm1d (training) with random affine
    parameters; losses on [32, 4] logits."""
    g = torch.Generator().manual_seed(1900)
    x = (torch.randn(32, 16, generator=g) * 1.5).to(dtype)
    up = (torch.randn(32, 16, generator=g) * 0.1).to(dtype)
    out = {"dtype": str(dtype)[6:], "x": bits(x), "up": bits(up), "outputs": {}}
    norms = {"layernorm": torch.nn.LayerNorm(16).to(dtype), "batchnorm": torch.nn.BatchNorm1d(16).to(dtype)}
    with torch.no_grad():
        for name, m in norms.items():
            m.weight.copy_(torch.randn(16, generator=g))
            m.bias.copy_(torch.randn(16, generator=g))
            out[name + "_weight"], out[name + "_bias"] = bits(m.weight), bits(m.bias)
    modules = dict(norms, gelu=torch.nn.GELU(), tanh=torch.nn.Tanh(), sigmoid=torch.nn.Sigmoid())
    for name, m in modules.items():
        xi = x.clone().requires_grad_(True)
        y = m(xi)
        y.backward(up)
        out["outputs"][name + "_y"] = bits(y)
        out["outputs"][name + "_dx"] = bits(xi.grad)
        if name in norms:
            out["outputs"][name + "_dweight"] = bits(m.weight.grad)
            out["outputs"][name + "_dbias"] = bits(m.bias.grad)
        if name == "batchnorm":
            out["outputs"]["batchnorm_running_mean"] = bits(m.running_mean)
            out["outputs"]["batchnorm_running_var"] = bits(m.running_var)
    # Embedding(10, 8) looked up 64 times: repeated rows add their gradients in turn.
    table = torch.randn(10, 8, generator=g).to(dtype).requires_grad_(True)
    lookups = torch.randint(0, 10, (64,), generator=g)
    upstream = (torch.randn(64, 8, generator=g) * 0.3).to(dtype)
    torch.nn.functional.embedding(lookups, table).backward(upstream)
    out.update({"embedding_weight": bits(table), "embedding_indices": lookups.tolist(),
                "embedding_up": bits(upstream)})
    out["outputs"]["embedding_dweight"] = bits(table.grad)
    z = (torch.randn(32, 4, generator=g) * 2).to(dtype)
    t = (torch.rand(32, 4, generator=g) > 0.5).to(dtype)
    r = torch.randn(32, 4, generator=g).to(dtype)
    out.update({"z": bits(z), "t": bits(t), "r": bits(r)})
    for name, f in {"bce_logits": lambda a: torch.nn.functional.binary_cross_entropy_with_logits(a, t),
                    "smooth_l1": lambda a: torch.nn.functional.smooth_l1_loss(a, r, beta=0.5),
                    "mse": lambda a: torch.nn.functional.mse_loss(a, r),
                    "l1": lambda a: torch.nn.functional.l1_loss(a, r)}.items():
        zi = z.clone().requires_grad_(True)
        value = f(zi)
        value.backward()
        out["outputs"][name + "_loss"] = bits(value.reshape(1))
        out["outputs"][name + "_dz"] = bits(zi.grad)
    return out


def main():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    torch.set_num_threads(1)
    cases = [run(*case[:3], dt, *case[3:]) for case in CASES for dt in HALF.values()]
    data = {
        "meta": {"script": "scripts/gen_half_optim_fixtures.py", "torch": torch.__version__,
                 "numpy": np.__version__, "python": platform.python_version(),
                 "cpu_capability": torch.backends.cpu.get_cpu_capability(), "steps": STEPS},
        "cases": cases,
        "training": [training(dt, loss) for loss in ("cross_entropy", "mse") for dt in HALF.values()]
        + [training(dt, loss, "deep") for loss in ("bce_logits", "smooth_l1", "cross_entropy")
           for dt in HALF.values()],
        "layers": [layers(dt) for dt in HALF.values()],
        "losses": [losses(dt) for dt in HALF.values()],
    }
    with open(OUT, "w") as f:
        json.dump(data, f)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), len(cases), "cases")


if __name__ == "__main__":
    main()
