#!/usr/bin/env python3
"""Writes the reference trajectories that Tests/DescentOptimTests compare against.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_optim_fixtures.py [OPTIMIZER ...]

With optimizer names it writes only their files (and misc.json).

For every optimizer (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, NAdam, RAdam,
ASGD, Rprop) it runs a set of configurations for
25 steps on small parameters, feeding a gradient sequence drawn here from a seeded
torch.Generator. The gradients are stored in the fixture, so the Swift tests feed the
very same numbers. After every step it records every parameter and every state buffer.
PyTorch's single-tensor (for-loop) implementation is used (foreach=False), which is the
implementation whose operation order Descent follows.

For the optimizers in CHANGING it also records a run whose hyperparameters change between
steps (`hyperparameter_changes`). It also records the constructor defaults, the final `state_dict()["param_groups"]`
(hyperparameter layout), the error messages for invalid arguments and state dicts, and
the result of the contract snippet of the issue.
"""

import json
import math
import os
import platform
import sys

import numpy
import torch

EXPECTED_TORCH = "2.13.0"
STEPS = 25
OUT_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentOptimTests", "Fixtures"
)
# Keys of PyTorch's param groups that select an implementation or a device mode rather
# than describe the algorithm. Descent does not carry them in param groups.
IMPLEMENTATION_KEYS = {"foreach", "fused", "differentiable", "capturable"}

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def check_version():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")


def plain(value):
    """JSON-friendly copy of a hyperparameter or state value."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return float(value.item())
        return [float(x) for x in value.detach().reshape(-1).tolist()]
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def hyperparameters(group):
    return {k: plain(v) for k, v in group.items() if k not in IMPLEMENTATION_KEYS and k != "params"}


def check_finite(values, where):
    for v in values:
        if not math.isfinite(v):
            sys.exit(f"non-finite value in {where}")


def run_config(cls, config, seed):
    """Runs one configuration and returns its fixture entry."""
    gen = torch.Generator().manual_seed(seed)
    specs = config["params"]  # list of (shape, dtype name, group index)
    params = []
    for shape, dtype_name, _ in specs:
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * 0.7
        params.append(t.to(DTYPES[dtype_name]).requires_grad_(True))
    initial = [plain(p) for p in params]

    groups = config.get("groups", [{}])
    group_params = [[p for p, spec in zip(params, specs) if spec[2] == gi] for gi in range(len(groups))]
    # Lists in the configurations are Python tuples (betas, etas, step_sizes, Adafactor's eps).
    kwargs = pairs_as_tuples(config.get("kwargs", {}))
    opt = cls(group_params[0], foreach=False, **kwargs)
    for gi in range(1, len(groups)):
        opt.add_param_group({"params": group_params[gi], **pairs_as_tuples(groups[gi])})

    missing = config.get("missing", {})  # param index -> list of steps without a grad
    # step index -> [(group index, options)]: set in the group before that step.
    changes = config.get("changes", {})
    steps = []
    for step in range(STEPS):
        for gi, options in changes.get(step, []):
            opt.param_groups[gi].update(pairs_as_tuples(options))
        grads = []
        for i, p in enumerate(params):
            g = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)
            if step in missing.get(i, []):
                p.grad = None
                grads.append(None)
            else:
                p.grad = g
                grads.append(plain(g))
        opt.step()
        state = []
        for p in params:
            entry = {k: plain(v) for k, v in opt.state.get(p, {}).items()}
            state.append(entry)
        record = {"grads": grads, "params": [plain(p) for p in params], "state": state}
        check_finite([x for ps in record["params"] for x in ps], config["name"])
        steps.append(record)

    entry = {
        "name": config["name"],
        "kwargs": {k: plain(v) for k, v in config.get("kwargs", {}).items()},
        "groups": [
            {"params": [i for i, spec in enumerate(specs) if spec[2] == gi],
             "options": {k: plain(v) for k, v in groups[gi].items()}}
            for gi in range(len(groups))
        ],
        "params": [{"shape": list(shape), "dtype": dtype_name} for shape, dtype_name, _ in specs],
        "initial": initial,
        "steps": steps,
        "final_param_groups": [hyperparameters(g) for g in opt.state_dict()["param_groups"]],
    }
    # State that is not shaped like its parameter (Adafactor's row_var and col_var): the
    # shapes, per parameter, so that the tests check them.
    shapes = [{k: list(v.shape) for k, v in opt.state.get(p, {}).items()
               if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape != p.shape} for p in params]
    if any(shapes):
        entry["state_shapes"] = shapes
    if changes:
        entry["changes"] = [
            {"step": step, "group": gi, "options": {k: plain(v) for k, v in options.items()}}
            for step, items in sorted(changes.items()) for gi, options in items
        ]
    return entry


def pairs_as_tuples(options):
    """Lists in the configurations are Python tuples (betas, etas, step_sizes, Adafactor's
    eps)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def two(dtype):
    return [([2, 3], dtype, 0), ([4], dtype, 0)]


TWO_GROUPS = [([2, 3], "float64", 0), ([4], "float64", 1)]
MIXED = [([2, 3], "float32", 0), ([4], "float64", 0)]
# Parameter 1 has no gradient at these steps: its state starts late (step 3) and its step
# counter lags behind parameter 0's.
MISSING = {1: [0, 1, 2, 10, 11]}

CONFIGS = {
    "SGD": [
        {"name": "defaults", "params": two("float64")},
        {"name": "momentum", "params": two("float64"), "kwargs": {"lr": 0.05, "momentum": 0.9}},
        {"name": "dampening_weight_decay", "params": two("float64"),
         "kwargs": {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}},
        {"name": "nesterov", "params": two("float64"),
         "kwargs": {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}},
        {"name": "maximize_momentum", "params": two("float64"),
         "kwargs": {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}},
        {"name": "maximize_plain", "params": two("float64"),
         "kwargs": {"lr": 0.1, "weight_decay": 0.2, "maximize": True}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.05, "momentum": 0.9},
         "groups": [{}, {"lr": 0.01, "momentum": 0.7, "nesterov": True, "weight_decay": 0.1}]},
        {"name": "float32_nesterov", "params": two("float32"),
         "kwargs": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.05, "momentum": 0.9}},
        {"name": "mixed_dtypes", "params": MIXED,
         "kwargs": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}},
    ],
    "RMSprop": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"weight_decay": 0.1}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"maximize": True, "weight_decay": 0.05}},
        {"name": "centered", "params": two("float64"), "kwargs": {"centered": True}},
        {"name": "momentum", "params": two("float64"), "kwargs": {"lr": 0.005, "momentum": 0.9}},
        {"name": "centered_momentum_weight_decay", "params": two("float64"),
         "kwargs": {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.9,
                    "eps": 1e-6}},
        # 1 - alpha >= 0.5 takes lerp's other formula for grad_avg.
        {"name": "centered_small_alpha", "params": two("float64"),
         "kwargs": {"centered": True, "alpha": 0.3}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01, "centered": True},
         "groups": [{}, {"lr": 0.001, "momentum": 0.9, "alpha": 0.95, "centered": False}]},
        {"name": "float32_centered_momentum", "params": two("float32"),
         "kwargs": {"centered": True, "momentum": 0.9, "weight_decay": 0.01}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"momentum": 0.9, "centered": True}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"momentum": 0.5, "weight_decay": 0.01}},
    ],
    "Adam": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.01, "maximize": True, "weight_decay": 0.05}},
        {"name": "amsgrad", "params": two("float64"),
         "kwargs": {"lr": 0.01, "amsgrad": True, "betas": [0.8, 0.99]}},
        {"name": "decoupled_weight_decay", "params": two("float64"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}},
        # beta1 = 0.5 takes lerp's other formula for exp_avg.
        {"name": "large_eps_beta_half", "params": two("float64"),
         "kwargs": {"lr": 0.01, "eps": 0.1, "betas": [0.5, 0.9]}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01},
         "groups": [{}, {"lr": 0.002, "amsgrad": True, "weight_decay": 0.01, "betas": [0.95, 0.9]}]},
        {"name": "float32_amsgrad_weight_decay", "params": two("float32"),
         "kwargs": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.01, "amsgrad": True}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.01, "weight_decay": 0.01}},
    ],
    "AdamW": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
        {"name": "amsgrad", "params": two("float64"), "kwargs": {"lr": 0.01, "amsgrad": True}},
        {"name": "maximize", "params": two("float64"), "kwargs": {"lr": 0.01, "maximize": True}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01},
         "groups": [{}, {"lr": 0.003, "weight_decay": 0.5, "amsgrad": True}]},
        {"name": "float32_amsgrad", "params": two("float32"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING, "kwargs": {"lr": 0.01}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
    ],
}

# The rest of torch.optim's elementwise optimizers.
CONFIGS.update({
    "Adagrad": [
        {"name": "defaults", "params": two("float64")},
        {"name": "lr_decay_weight_decay", "params": two("float64"),
         "kwargs": {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}},
        {"name": "initial_accumulator", "params": two("float64"),
         "kwargs": {"lr": 0.05, "initial_accumulator_value": 0.5, "eps": 1e-3}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.05, "maximize": True, "weight_decay": 0.05}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.05},
         "groups": [{}, {"lr": 0.01, "lr_decay": 0.1, "weight_decay": 0.1, "eps": 1e-6}]},
        # PyTorch fills an added group's `sum` from the optimizer's defaults, not the group.
        {"name": "added_group_accumulator", "params": TWO_GROUPS,
         "kwargs": {"lr": 0.05, "initial_accumulator_value": 0.2},
         "groups": [{}, {"initial_accumulator_value": 0.7}]},
        {"name": "float32_everything", "params": two("float32"),
         "kwargs": {"lr": 0.05, "lr_decay": 0.01, "weight_decay": 0.01,
                    "initial_accumulator_value": 0.1, "maximize": True}},
        {"name": "float32_defaults", "params": two("float32")},
        # Adagrad makes state in its constructor: parameter 1 has it before its first grad.
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.05, "lr_decay": 0.02}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.05, "weight_decay": 0.01}},
    ],
    "Adadelta": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"weight_decay": 0.1}},
        {"name": "rho_eps", "params": two("float64"), "kwargs": {"lr": 0.5, "rho": 0.5, "eps": 1e-4}},
        {"name": "rho_zero", "params": two("float64"), "kwargs": {"rho": 0.0}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"maximize": True, "weight_decay": 0.05}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.8},
         "groups": [{}, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}]},
        {"name": "float32_weight_decay_maximize", "params": two("float32"),
         "kwargs": {"rho": 0.8, "weight_decay": 0.01, "maximize": True}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"rho": 0.7}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"weight_decay": 0.01}},
    ],
    "Adamax": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.01, "maximize": True, "weight_decay": 0.05}},
        # beta1 = 0.5 takes lerp's other formula for exp_avg.
        {"name": "large_eps_beta_half", "params": two("float64"),
         "kwargs": {"lr": 0.01, "eps": 0.1, "betas": [0.5, 0.9]}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01},
         "groups": [{}, {"lr": 0.002, "weight_decay": 0.01, "betas": [0.95, 0.9]}]},
        {"name": "float32_weight_decay_maximize", "params": two("float32"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "maximize": True}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.01}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.01, "weight_decay": 0.01}},
    ],
    "NAdam": [
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
        {"name": "decoupled_weight_decay", "params": two("float64"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}},
        {"name": "momentum_decay", "params": two("float64"),
         "kwargs": {"lr": 0.01, "momentum_decay": 0.1, "betas": [0.8, 0.99]}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.01, "maximize": True, "weight_decay": 0.05}},
        {"name": "large_eps_beta_half", "params": two("float64"),
         "kwargs": {"lr": 0.01, "eps": 0.1, "betas": [0.5, 0.9]}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01},
         "groups": [{}, {"lr": 0.002, "decoupled_weight_decay": True, "weight_decay": 0.1,
                         "momentum_decay": 0.01}]},
        {"name": "float32_decoupled_maximize", "params": two("float32"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
                    "maximize": True}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.01}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.01, "weight_decay": 0.01}},
    ],
    "RAdam": [
        # With beta2 = 0.999, rho_t > 5 from step 6: both branches run.
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.01, "weight_decay": 0.1}},
        {"name": "decoupled_weight_decay", "params": two("float64"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.01, "maximize": True, "weight_decay": 0.05}},
        {"name": "large_eps_beta_half", "params": two("float64"),
         "kwargs": {"lr": 0.01, "eps": 0.1, "betas": [0.5, 0.9]}},
        # rho_inf = 4: never rectified.
        {"name": "never_rectified", "params": two("float64"),
         "kwargs": {"lr": 0.01, "betas": [0.9, 0.6]}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.01},
         "groups": [{}, {"lr": 0.002, "decoupled_weight_decay": True, "weight_decay": 0.1,
                         "betas": [0.8, 0.99]}]},
        {"name": "float32_decoupled_maximize", "params": two("float32"),
         "kwargs": {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
                    "maximize": True}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.01}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.01, "weight_decay": 0.01}},
    ],
    "ASGD": [
        # t0 = 1e6: mu stays 1, and ax copies the parameter.
        {"name": "defaults", "params": two("float64")},
        {"name": "weight_decay", "params": two("float64"), "kwargs": {"lr": 0.05, "weight_decay": 0.1}},
        {"name": "averaging", "params": two("float64"),
         "kwargs": {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5.0}},
        {"name": "maximize", "params": two("float64"),
         "kwargs": {"lr": 0.05, "maximize": True, "t0": 3.0, "weight_decay": 0.05}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.05, "t0": 4.0},
         "groups": [{}, {"lr": 0.01, "lambd": 0.05, "alpha": 1.0, "t0": 10.0,
                         "weight_decay": 0.05}]},
        {"name": "float32_averaging", "params": two("float32"),
         "kwargs": {"lr": 0.05, "lambd": 0.1, "t0": 2.0, "weight_decay": 0.01}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.05, "t0": 3.0}},
        {"name": "mixed_dtypes", "params": MIXED,
         "kwargs": {"lr": 0.05, "t0": 5.0, "weight_decay": 0.01}},
    ],
    "Rprop": [
        {"name": "defaults", "params": two("float64")},
        {"name": "etas", "params": two("float64"), "kwargs": {"etas": [0.3, 1.5]}},
        # Limits that the step sizes reach: clamp_ at both ends.
        {"name": "step_size_limits", "params": two("float64"),
         "kwargs": {"lr": 0.1, "step_sizes": [0.01, 0.2]}},
        {"name": "maximize", "params": two("float64"), "kwargs": {"maximize": True}},
        {"name": "two_groups", "params": TWO_GROUPS, "kwargs": {"lr": 0.05},
         "groups": [{}, {"lr": 0.002, "etas": [0.4, 1.3], "step_sizes": [1e-4, 0.01]}]},
        {"name": "float32_maximize_limits", "params": two("float32"),
         "kwargs": {"lr": 0.1, "maximize": True, "step_sizes": [0.02, 0.15]}},
        {"name": "float32_defaults", "params": two("float32")},
        {"name": "missing_grads", "params": two("float64"), "missing": MISSING,
         "kwargs": {"lr": 0.05}},
        {"name": "mixed_dtypes", "params": MIXED, "kwargs": {"lr": 0.05, "etas": [0.6, 1.1]}},
    ],
})

# Runs whose hyperparameters change between steps (set in the group before the given
# step), as a scheduler or a user changes them: each optimizer reads its group at every
# step. Parameter 1 gets its first gradient at step 7 (index 6), so state that the group's
# values seed (Rprop's step_size from lr, ASGD's eta) is made after the change.
CHANGING_PARAMS = [([2, 3], "float64", 0), ([4], "float32", 0)]
CHANGING_MISSING = {1: [0, 1, 2, 3, 4, 5]}
CHANGING = {
    "Adagrad": {"kwargs": {"lr": 0.1, "lr_decay": 0.05},
                "changes": {4: [(0, {"lr": 0.02})], 9: [(0, {"lr_decay": 0.5, "weight_decay": 0.1})],
                            14: [(0, {"maximize": True})]}},
    "Adadelta": {"kwargs": {},
                 "changes": {4: [(0, {"lr": 0.5})], 9: [(0, {"rho": 0.5})],
                             14: [(0, {"eps": 1e-3, "weight_decay": 0.1})]}},
    "Adamax": {"kwargs": {"lr": 0.01},
               "changes": {4: [(0, {"lr": 0.02})], 9: [(0, {"betas": [0.5, 0.99]})],
                           14: [(0, {"weight_decay": 0.1, "maximize": True})]}},
    "NAdam": {"kwargs": {"lr": 0.01},
              "changes": {4: [(0, {"lr": 0.02})], 9: [(0, {"momentum_decay": 0.1, "betas": [0.8, 0.99]})],
                          14: [(0, {"decoupled_weight_decay": True, "weight_decay": 0.1})]}},
    "RAdam": {"kwargs": {"lr": 0.01},
              "changes": {4: [(0, {"lr": 0.02})], 9: [(0, {"betas": [0.8, 0.99]})],
                          14: [(0, {"decoupled_weight_decay": True, "weight_decay": 0.1})]}},
    "ASGD": {"kwargs": {"lr": 0.05},
             "changes": {4: [(0, {"lr": 0.2})], 9: [(0, {"lambd": 0.01, "alpha": 0.5, "t0": 8.0})],
                         14: [(0, {"weight_decay": 0.1})]}},
    "Rprop": {"kwargs": {"lr": 0.05},
              "changes": {4: [(0, {"lr": 0.5})], 9: [(0, {"etas": [0.3, 1.5]})],
                          14: [(0, {"step_sizes": [1e-3, 0.05], "maximize": True})]}},
}


def changing_configs(name):
    spec = CHANGING.get(name)
    if spec is None:
        return []
    return [{"name": "changing_hyperparameters", "params": CHANGING_PARAMS,
             "missing": CHANGING_MISSING, **spec}]


CLASSES = {
    "SGD": torch.optim.SGD,
    "RMSprop": torch.optim.RMSprop,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "Adagrad": torch.optim.Adagrad,
    "Adadelta": torch.optim.Adadelta,
    "Adamax": torch.optim.Adamax,
    "NAdam": torch.optim.NAdam,
    "RAdam": torch.optim.RAdam,
    "ASGD": torch.optim.ASGD,
    "Rprop": torch.optim.Rprop,
}

# Invalid constructor arguments: one case per message.
INVALID = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"momentum": -0.5}),
    ("SGD", {"weight_decay": -0.01}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("RMSprop", {"lr": -1.0}),
    ("RMSprop", {"eps": -1e-08}),
    ("RMSprop", {"momentum": -0.9}),
    ("RMSprop", {"weight_decay": -0.5}),
    ("RMSprop", {"alpha": -0.99}),
    ("Adam", {"lr": -0.001}),
    ("Adam", {"lr": float("nan")}),
    ("Adam", {"eps": -1e-08}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (-0.1, 0.999)}),
    ("Adam", {"betas": (0.9, 1.0)}),
    ("Adam", {"weight_decay": -0.01}),
    ("AdamW", {"lr": -0.5}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("AdamW", {"weight_decay": -1e-2}),
    ("Adagrad", {"lr": -0.01}),
    ("Adagrad", {"lr_decay": -0.1}),
    ("Adagrad", {"weight_decay": -0.1}),
    ("Adagrad", {"initial_accumulator_value": -0.5}),
    ("Adagrad", {"eps": -1e-10}),
    ("Adagrad", {"lr_decay": float("nan")}),
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"rho": float("nan")}),
    ("Adadelta", {"eps": -1e-6}),
    ("Adadelta", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -0.002}),
    ("Adamax", {"eps": -1e-8}),
    ("Adamax", {"betas": (1.0, 0.999)}),
    ("Adamax", {"betas": (0.9, -0.5)}),
    ("Adamax", {"weight_decay": -0.1}),
    ("NAdam", {"lr": -0.002}),
    ("NAdam", {"eps": -1e-8}),
    ("NAdam", {"betas": (-0.1, 0.999)}),
    ("NAdam", {"betas": (0.9, 1.0)}),
    ("NAdam", {"weight_decay": -0.1}),
    ("NAdam", {"momentum_decay": -0.004}),
    ("RAdam", {"lr": -0.001}),
    ("RAdam", {"lr": float("nan")}),
    ("RAdam", {"eps": -1e-8}),
    ("RAdam", {"betas": (1.5, 0.999)}),
    ("RAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"weight_decay": -0.1}),
    ("ASGD", {"lr": -0.01}),
    ("ASGD", {"weight_decay": -0.1}),
    ("Rprop", {"lr": -0.01}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("Rprop", {"etas": (1.0, 1.2)}),
    ("Rprop", {"etas": (0.5, 1.0)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (float("nan"), 1.2)}),
]


# Adafactor: vectors (full second moment), matrices and rank-3 tensors (factored over the
# last two dimensions) and a scalar.
def adafactor_shapes(dtype):
    return [([2, 3], dtype, 0), ([5], dtype, 0), ([2, 2, 3], dtype, 0)]


CONFIGS["Adafactor"] = [
    {"name": "defaults", "params": adafactor_shapes("float64")},
    {"name": "float32_defaults", "params": adafactor_shapes("float32")},
    {"name": "weight_decay", "params": adafactor_shapes("float64"),
     "kwargs": {"lr": 0.05, "weight_decay": 0.1}},
    {"name": "maximize", "params": adafactor_shapes("float64"),
     "kwargs": {"maximize": True, "weight_decay": 0.05}},
    # An explicit eps1 and a looser clipping threshold.
    {"name": "eps1_d", "params": adafactor_shapes("float64"),
     "kwargs": {"eps": [1e-30, 1e-3], "d": 2.0}},
    # lr above 1/sqrt(t) from step 5 on: rho follows 1/sqrt(t); eps2 above the parameters'
    # RMS at first.
    {"name": "large_lr_beta2_decay", "params": adafactor_shapes("float64"),
     "kwargs": {"lr": 0.5, "beta2_decay": -0.5, "eps": [None, 1.0]}},
    {"name": "two_groups",
     "params": [([2, 3], "float64", 0), ([2, 2, 3], "float64", 1), ([6], "float64", 1)],
     "kwargs": {"lr": 0.05},
     "groups": [{}, {"lr": 0.02, "weight_decay": 0.05, "eps": [1e-20, 1e-2], "maximize": True}]},
    {"name": "float32_rank3_weight_decay", "params": [([3, 2, 4], "float32", 0), ([7], "float32", 0)],
     "kwargs": {"lr": 0.1, "weight_decay": 0.2, "d": 1.5}},
    {"name": "missing_grads", "params": adafactor_shapes("float64"), "missing": MISSING,
     "kwargs": {"lr": 0.05}},
    # eps1 = None resolves to the machine epsilon of the first parameter of the group,
    # float32's here, and PyTorch keeps it for the float64 parameter after it.
    {"name": "mixed_dtypes", "params": [([3, 4], "float32", 0), ([4, 2], "float64", 0), ([3], "float64", 0)],
     "kwargs": {"lr": 0.05}},
    {"name": "one_element_and_rank4", "params": [([1], "float64", 0), ([2, 1, 3, 2], "float64", 0)],
     "kwargs": {"lr": 0.05, "weight_decay": 0.01}},
]
CLASSES["Adafactor"] = torch.optim.Adafactor
INVALID += [
    ("Adafactor", {"lr": -0.01}),
    ("Adafactor", {"lr": float("nan")}),
    ("Adafactor", {"beta2_decay": 0.5}),
    ("Adafactor", {"eps": (-1e-30, 1e-3)}),
    ("Adafactor", {"eps": (None, -1e-3)}),
    ("Adafactor", {"d": 0.5}),
    ("Adafactor", {"weight_decay": -0.1}),
]


def json_number(value):
    """JSON has no NaN or infinity: those travel as the strings "nan", "inf", "-inf"."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [json_number(v) for v in value]
    return value


def invalid_cases():
    cases = []
    for name, kwargs in INVALID:
        w = torch.zeros(2, requires_grad=True)
        try:
            CLASSES[name]([w], **kwargs)
        except ValueError as error:
            cases.append({"optimizer": name, "kwargs": {k: json_number(plain(v)) for k, v in kwargs.items()},
                          "message": str(error)})
            continue
        sys.exit(f"{name}{kwargs} did not raise")
    return cases


def base_messages():
    """Messages of the Optimizer base class, keyed by situation."""
    messages = {}
    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)

    def capture(key, body):
        try:
            body()
        except ValueError as error:
            messages[key] = str(error)
            return
        sys.exit(f"{key} did not raise")

    capture("empty", lambda: torch.optim.SGD([]))
    capture("duplicate", lambda: torch.optim.SGD([w]).add_param_group({"params": [w]}))
    capture("non_leaf", lambda: torch.optim.SGD([w * 2]))
    one_group = torch.optim.SGD([w, b]).state_dict()
    two_groups = torch.optim.SGD([w])
    two_groups.add_param_group({"params": [b]})
    capture("group_count", lambda: two_groups.load_state_dict(one_group))
    other = torch.optim.SGD([w])
    other.add_param_group({"params": [b, torch.zeros(1, requires_grad=True)]})
    capture("group_size", lambda: two_groups.load_state_dict(other.state_dict()))
    return messages


def contract():
    """The issue's contract snippet, run in PyTorch."""
    w = torch.tensor([[0.5, -1.5], [2.0, 0.25]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.1, -0.1], dtype=torch.float64, requires_grad=True)
    w.grad = torch.tensor([[0.1, -0.2], [0.3, 0.05]], dtype=torch.float64)
    b.grad = torch.tensor([1.0, -2.0], dtype=torch.float64)
    opt = torch.optim.Adam([w], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01,
                           amsgrad=True, maximize=False, foreach=False)
    opt.add_param_group({"params": [b]})
    opt.param_groups[1]["lr"] = 0.05
    opt.step()
    return {
        "w": plain(w),
        "b": plain(b),
        "state": [{k: plain(v) for k, v in opt.state[p].items()} for p in (w, b)],
        "param_groups": [hyperparameters(g) for g in opt.state_dict()["param_groups"]],
    }


def main():
    check_version()
    torch.set_num_threads(1)
    meta = {
        "generator": "scripts/gen_optim_fixtures.py",
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": STEPS,
    }
    os.makedirs(OUT_DIR, exist_ok=True)
    # Optional optimizer names: write only their files (and misc.json).
    only = {name.lower() for name in sys.argv[1:]}
    unknown = only - {name.lower() for name in CONFIGS}
    if unknown:
        sys.exit(f"unknown optimizers {sorted(unknown)}; expected some of {list(CONFIGS)}")
    for index, (name, configs) in enumerate(CONFIGS.items()):
        if only and name.lower() not in only:
            continue
        cls = CLASSES[name]
        defaults = {k: plain(v) for k, v in cls([torch.zeros(1, requires_grad=True)]).defaults.items()
                    if k not in IMPLEMENTATION_KEYS}
        entries = [run_config(cls, c, seed=1000 * (index + 1) + j) for j, c in enumerate(configs)]
        doc = {"meta": meta, "optimizer": name, "defaults": defaults, "configs": entries}
        changing = changing_configs(name)
        if changing:
            doc["hyperparameter_changes"] = [
                run_config(cls, c, seed=1000 * (index + 1) + 500 + j) for j, c in enumerate(changing)]
        path = os.path.join(OUT_DIR, f"{name.lower()}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"), allow_nan=False)
            f.write("\n")
        print(f"wrote {os.path.relpath(path)} ({len(entries)} configurations)")
    doc = {"meta": meta, "invalid_arguments": invalid_cases(), "base_messages": base_messages(),
           "contract": contract()}
    path = os.path.join(OUT_DIR, "misc.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
