#!/usr/bin/env python3
"""Writes the references for LBFGS, gradient clipping and weight averaging that
Tests/DescentOptimTests and Tests/DescentSWATests compare against.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_optim_extra_fixtures.py

- lbfgs.json: torch.optim.LBFGS on Rosenbrock functions and small least-squares problems,
  with and without the strong-Wolfe line search. Each configuration calls
  `optimizer.step(closure)` several times and records, after every call, the loss it
  returned, the parameters, the closure's call count and the optimizer's state (counters,
  step length, H_diag, history length; the vectors after the last call). The closures are
  written here and, with the same operations, in the Swift tests.
- clip_grad.json: torch.nn.utils.clip_grad_norm_ (and get_total_norm) over lists of
  gradients of both dtypes, for several norm orders, with missing, NaN and infinite
  gradients and error_if_nonfinite; clip_grad_value_ likewise, with the 2-norm of the
  gradients before clipping (which Descent's clipGradValue returns).
- swa.json: torch.optim.swa_utils.AveragedModel (SWA, EMA with get_ema_multi_avg_fn or
  get_ema_avg_fn, with and without use_buffers) fed a recorded sequence of model states,
  and update_bn over a loader; the messages of invalid decays.
"""

import json
import math
import os
import platform
import sys

import numpy
import torch
from torch.optim import swa_utils

EXPECTED_TORCH = "2.13.0"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests")
DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16,
          "float16": torch.float16}


def check_version():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")


def number(x):
    """A float for JSON: NaN and infinities as the strings "nan", "inf", "-inf"."""
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def flat(t):
    return [number(x) for x in t.detach().reshape(-1).tolist()]


def meta():
    return {
        "generator": "scripts/gen_optim_extra_fixtures.py",
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def write(target, name, doc):
    path = os.path.join(OUT_DIR, target, "Fixtures", f"{name}.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")


# MARK: LBFGS

def rosenbrock(x):
    """sum(100 (x[1:] - x[:-1]²)² + (1 - x[:-1])²); the Swift test writes the same ops."""
    head = x[:-1]
    tail = x[1:]
    return (100 * (tail - head * head) ** 2 + (1 - head) ** 2).sum()


def least_squares(a, b):
    def objective(params):
        w = params[0]
        residual = a @ w - b if len(params) == 1 else a @ w + params[1] - b
        return (residual * residual).sum()
    return objective


def lbfgs_config(name, objective, initial, dtype, kwargs, steps, data=None):
    params = [torch.tensor(v, dtype=DTYPES[dtype]).requires_grad_(True) for v in initial]
    opt = torch.optim.LBFGS(params, **kwargs)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = objective(params)
        loss.backward()
        return loss

    records = []
    for _ in range(steps):
        loss = opt.step(closure)
        state = opt.state[params[0]]
        t = state.get("t")
        h = state.get("H_diag")
        records.append({
            "loss": number(loss.item()),
            "params": [flat(p) for p in params],
            "calls": calls[0],
            "func_evals": state["func_evals"],
            "n_iter": state["n_iter"],
            "t": None if t is None else number(t),
            "t_is_tensor": isinstance(t, torch.Tensor),
            "H_diag": None if h is None else number(h),
            "H_diag_is_int": isinstance(h, int),
            "prev_loss": None if state.get("prev_loss") is None else number(state["prev_loss"]),
            "history": len(state.get("old_dirs") or []),
            "al_set": sum(1 for x in state.get("al", []) if x is not None),
        })
    state = opt.state[params[0]]
    final = {k: flat(state[k]) for k in ("d", "prev_flat_grad") if state.get(k) is not None}
    final["ro"] = [number(r) for r in state.get("ro", [])]
    final["old_dirs"] = [flat(v) for v in state.get("old_dirs", [])]
    final["old_stps"] = [flat(v) for v in state.get("old_stps", [])]
    final["al"] = [None if a is None else number(a) for a in state.get("al", [])]
    param_group = {k: v for k, v in opt.state_dict()["param_groups"][0].items() if k != "params"}
    return {"name": name, "objective": objective.__name__ if data is None else "least_squares",
            "dtype": dtype, "kwargs": kwargs, "initial": initial, "data": data,
            "steps": records, "final_state": final, "param_group": param_group}


def lbfgs_configs():
    out = []
    rosen = lambda params: rosenbrock(params[0])
    rosen.__name__ = "rosenbrock"
    start = [[-1.2, 1.0, -1.2, 1.0, 0.5]]
    out.append(lbfgs_config("rosenbrock_strong_wolfe", rosen, start, "float64",
                            {"line_search_fn": "strong_wolfe"}, 6))
    out.append(lbfgs_config("rosenbrock_strong_wolfe_short_history", rosen, start, "float64",
                            {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 8}, 12))
    out.append(lbfgs_config("rosenbrock_fixed_step", rosen, [[-1.2, 1.0]], "float64",
                            {"lr": 0.05, "max_iter": 10}, 8))
    out.append(lbfgs_config("rosenbrock_max_eval", rosen, start, "float64",
                            {"line_search_fn": "strong_wolfe", "max_eval": 9, "lr": 0.5}, 5))

    gen = torch.Generator().manual_seed(11)
    a = torch.randn(12, 5, generator=gen, dtype=torch.float64)
    b = torch.randn(12, generator=gen, dtype=torch.float64)
    w0 = (torch.randn(5, generator=gen, dtype=torch.float64) * 0.5).tolist()
    data = {"a": a.reshape(-1).tolist(), "a_shape": [12, 5], "b": b.tolist()}
    for dtype in ("float64", "float32"):
        ls = least_squares(a.to(DTYPES[dtype]), b.to(DTYPES[dtype]))
        out.append(lbfgs_config(f"least_squares_strong_wolfe_{dtype}", ls, [w0], dtype,
                                {"line_search_fn": "strong_wolfe"}, 4, data))
        out.append(lbfgs_config(f"least_squares_fixed_step_{dtype}", ls, [w0], dtype,
                                {"lr": 0.02, "max_iter": 15, "history_size": 4}, 4, data))
    # Two parameters flattened into one vector (weight and bias).
    ls = least_squares(a, b)
    out.append(lbfgs_config("least_squares_two_params", ls, [w0, [0.3]], "float64",
                            {"line_search_fn": "strong_wolfe", "tolerance_grad": 1e-9}, 3, data))
    return out


def lbfgs_messages():
    w = torch.zeros(2, requires_grad=True)
    out = {}
    for key, make in {
        "lr": lambda: torch.optim.LBFGS([w], lr=-0.5),
        "groups": lambda: torch.optim.LBFGS([{"params": [w]}, {"params": [torch.zeros(1, requires_grad=True)]}]),
    }.items():
        try:
            make()
        except ValueError as error:
            out[key] = str(error)
            continue
        sys.exit(f"LBFGS {key} did not raise")
    opt = torch.optim.LBFGS([w], line_search_fn="bogus")

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss
    try:
        opt.step(closure)
    except RuntimeError as error:
        out["line_search"] = str(error)
    opt = torch.optim.LBFGS([w])
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)]})
    try:
        opt.step(lambda: (w * w).sum())
    except AssertionError as error:
        out["step_groups"] = str(error)
    defaults = torch.optim.LBFGS([w]).defaults
    return out, {k: v for k, v in defaults.items()}


# MARK: clipping

def grads_case(name, shapes, dtypes, seed, missing=(), special=None, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    grads = []
    for i, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        g = (torch.randn(shape, generator=gen, dtype=torch.float64) * scale).to(DTYPES[dtype])
        if special and i in special:
            for index, value in special[i]:
                g.view(-1)[index] = value
        grads.append(None if i in missing else g)
    return name, shapes, dtypes, grads


def clip_cases():
    shapes = [[3, 4], [5], [2, 2, 2]]
    inputs = [
        grads_case("float32", shapes, ["float32"] * 3, 1),
        grads_case("float64", shapes, ["float64"] * 3, 2),
        grads_case("mixed", shapes, ["float32", "float64", "float32"], 3),
        grads_case("missing", shapes, ["float64"] * 3, 4, missing=(1,)),
        grads_case("large", [[12, 10], [7]], ["float32", "float32"], 5, scale=30.0),
        grads_case("nan", shapes, ["float32"] * 3, 6, special={1: [(2, float("nan"))]}),
        grads_case("inf", shapes, ["float64"] * 3, 7, special={0: [(5, float("inf"))]}),
        grads_case("neg_inf", shapes, ["float32"] * 3, 8, special={2: [(0, float("-inf"))]}),
        grads_case("zeros", [[4], [3]], ["float64"] * 2, 9, scale=0.0),
        grads_case("bfloat16", shapes, ["bfloat16"] * 3, 10),
        grads_case("float16", shapes, ["float16"] * 3, 11, scale=3.0),
        grads_case("half_mixed", shapes, ["bfloat16", "float32", "bfloat16"], 12),
        grads_case("half_two_types", shapes, ["bfloat16", "float16", "bfloat16"], 13),
        grads_case("bfloat16_nan", shapes, ["bfloat16"] * 3, 14, special={1: [(2, float("nan"))]}),
    ]
    norm_cases = []
    for name, shapes_, dtypes, grads in inputs:
        for norm_type in (2.0, 1.0, float("inf"), 0.5, 3.0, float("-inf"), 0.0):
            for max_norm in (0.5, 0.3, 1e6):
                for error_if_nonfinite in (False, True):
                    if error_if_nonfinite and name not in ("nan", "inf", "neg_inf"):
                        continue
                    params = [torch.zeros(s, dtype=DTYPES[d], requires_grad=True) for s, d in zip(shapes_, dtypes)]
                    for p, g in zip(params, grads):
                        p.grad = None if g is None else g.clone()
                    entry = {"input": name, "norm_type": number(norm_type), "max_norm": max_norm,
                             "error_if_nonfinite": error_if_nonfinite}
                    try:
                        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type,
                                                               error_if_nonfinite)
                        entry["total_norm"] = number(total)
                        entry["total_dtype"] = str(total.dtype).replace("torch.", "")
                    except RuntimeError as error:
                        entry["error"] = str(error)
                    entry["grads"] = [None if p.grad is None else flat(p.grad) for p in params]
                    norm_cases.append(entry)
    value_cases = []
    for name, shapes_, dtypes, grads in inputs:
        for clip_value in (0.5, 2.0, -0.25):
            params = [torch.zeros(s, dtype=DTYPES[d], requires_grad=True) for s, d in zip(shapes_, dtypes)]
            for p, g in zip(params, grads):
                p.grad = None if g is None else g.clone()
            before = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None], 2.0)
            torch.nn.utils.clip_grad_value_(params, clip_value)
            value_cases.append({"input": name, "clip_value": clip_value, "total_norm": number(before),
                                "total_dtype": str(before.dtype).replace("torch.", ""),
                                "grads": [None if p.grad is None else flat(p.grad) for p in params]})
    empty = torch.nn.utils.clip_grad_norm_([], 1.0)
    return {
        "inputs": [{"name": n, "shapes": s, "dtypes": d,
                    "grads": [None if g is None else flat(g) for g in gs]} for n, s, d, gs in inputs],
        "norm_cases": norm_cases,
        "value_cases": value_cases,
        "empty": {"total_norm": number(empty), "total_dtype": str(empty.dtype).replace("torch.", "")},
    }


# MARK: weight averaging

class Net(torch.nn.Module):
    """Linear(4, 3) → BatchNorm1d(3) → ReLU → Linear(3, 2), as the Swift test builds it."""

    def __init__(self, dtype):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 3, dtype=dtype)
        self.bn = torch.nn.BatchNorm1d(3, dtype=dtype)
        self.fc2 = torch.nn.Linear(3, 2, dtype=dtype)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def model_state(model):
    return {k: flat(v) if v.dtype.is_floating_point else [int(x) for x in v.reshape(-1).tolist()]
            for k, v in model.state_dict().items()}


def averaging_configs():
    """The model goes through a recorded sequence of states (from SGD steps); each
    configuration averages the same sequence."""
    out = []
    for dtype_name in ("float32", "float64"):
        dtype = DTYPES[dtype_name]
        torch.manual_seed(0)
        model = Net(dtype)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        gen = torch.Generator().manual_seed(21)
        states = []
        for _ in range(6):
            x = torch.randn(8, 4, generator=gen, dtype=torch.float64).to(dtype)
            y = torch.randn(8, 2, generator=gen, dtype=torch.float64).to(dtype)
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
            states.append(model_state(model))
        variants = {
            "swa": {},
            "swa_buffers": {"use_buffers": True},
            "ema_multi": {"multi_avg_fn": ("ema_multi", 0.9)},
            "ema_multi_buffers": {"multi_avg_fn": ("ema_multi", 0.75), "use_buffers": True},
            "ema_single": {"avg_fn": ("ema", 0.8)},
            "swa_multi": {"multi_avg_fn": ("swa_multi", None)},
        }
        for name, spec in variants.items():
            torch.manual_seed(0)
            source = Net(dtype)
            kwargs = {"use_buffers": spec.get("use_buffers", False)}
            if "multi_avg_fn" in spec:
                kind, decay = spec["multi_avg_fn"]
                kwargs["multi_avg_fn"] = (swa_utils.get_ema_multi_avg_fn(decay) if kind == "ema_multi"
                                          else swa_utils.get_swa_multi_avg_fn())
            if "avg_fn" in spec:
                kwargs["avg_fn"] = swa_utils.get_ema_avg_fn(spec["avg_fn"][1])
            averaged = swa_utils.AveragedModel(source, **kwargs)
            records = []
            for state in states:
                with torch.no_grad():
                    for k, v in source.state_dict().items():
                        v.copy_(torch.tensor(state[k], dtype=v.dtype).reshape(v.shape))
                averaged.update_parameters(source)
                records.append({"averaged": model_state(averaged.module),
                                "n_averaged": int(averaged.n_averaged)})
            out.append({"name": f"{name}_{dtype_name}", "dtype": dtype_name,
                        "use_buffers": kwargs["use_buffers"],
                        "avg_fn": spec.get("avg_fn"), "multi_avg_fn": spec.get("multi_avg_fn"),
                        "states": states, "records": records,
                        "state_dict_keys": list(averaged.state_dict().keys())})
    return out


def update_bn_cases():
    out = []
    for dtype_name in ("float32", "float64"):
        dtype = DTYPES[dtype_name]
        torch.manual_seed(0)
        model = Net(dtype)
        gen = torch.Generator().manual_seed(5)
        x = torch.randn(20, 4, generator=gen, dtype=torch.float64).to(dtype)
        y = torch.randn(20, 2, generator=gen, dtype=torch.float64).to(dtype)
        with torch.no_grad():  # stale statistics, which update_bn resets
            model.bn.running_mean.fill_(3.0)
            model.bn.running_var.fill_(7.0)
        model.eval()
        initial = model_state(model)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=6)
        swa_utils.update_bn(loader, model)
        out.append({"dtype": dtype_name, "x": flat(x), "y": flat(y), "batch_size": 6,
                    "initial": initial,
                    "after": model_state(model), "training_after": model.training,
                    "momentum_after": model.bn.momentum})
    return out


def averaging_messages():
    out = {}
    for key, make in {
        "ema_multi": lambda: swa_utils.get_ema_multi_avg_fn(1.5),
        "ema": lambda: swa_utils.get_ema_avg_fn(-0.1),
    }.items():
        try:
            make()
        except ValueError as error:
            out[key] = str(error)
    return out


def main():
    check_version()
    torch.set_num_threads(1)
    messages, defaults = lbfgs_messages()
    write("DescentOptimTests", "lbfgs",
          {"meta": meta(), "configs": lbfgs_configs(), "messages": messages, "defaults": defaults})
    write("DescentOptimTests", "clip_grad", {"meta": meta(), **clip_cases()})
    write("DescentSWATests", "swa", {"meta": meta(), "averaging": averaging_configs(),
                                     "update_bn": update_bn_cases(), "messages": averaging_messages()})


if __name__ == "__main__":
    main()
