#!/usr/bin/env python3
"""Writes the reference learning-rate schedules that Tests/DescentOptimTests compare against.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_scheduler_fixtures.py

For every scheduler of torch.optim.lr_scheduler it runs several configurations on an
optimizer with two param groups of different base learning rates. Each step calls
`optimizer.step()` and then the scheduler's step (with the recorded metric for
ReduceLROnPlateau, or the recorded epoch for CosineAnnealingWarmRestarts), and records
every group's `lr` (which `get_last_lr()` equals) and, for CyclicLR and OneCycleLR, its
`momentum` (or `betas[0]`). Some configurations
change a group's `lr` by hand in the middle, resume with `last_epoch >= 0`, or step past
the end (OneCycleLR), where the exception is recorded. After step 60 it records the
scheduler's `state_dict()`.

Closures cannot be written to JSON, so the lambdas are named here (LAMBDAS) and the Swift
tests define the same functions under the same names.

It also records the messages of invalid arguments, the warning for a scheduler step before
the optimizer's, and the issue's contract snippet run in PyTorch.
"""

import json
import math
import os
import platform
import sys
import warnings
from collections import Counter

import torch
from torch.optim import lr_scheduler as L
from torch.optim import swa_utils

EXPECTED_TORCH = "2.13.0"
STEPS = 150
STATE_AT = 60
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentOptimTests", "Fixtures",
    "schedulers.json",
)

# Functions of an epoch (LambdaLR, MultiplicativeLR) or of a cycle / iteration
# (CyclicLR's scale_fn). The Swift tests define each one identically.
LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "step30": lambda e: 0.1 ** (e // 30),
    "warmup10": lambda e: min(1.0, (e + 1) / 10),
    "inv_sqrt": lambda e: 1.0 / math.sqrt(e + 1),
    "const095": lambda e: 0.95,
    "alternate": lambda e: 1.05 if e % 2 == 0 else 0.9,
    "linear_decay": lambda e: 1.0 - 0.002 * e,
    "inv_cycle": lambda x: 1.0 / x,
    "decay_iter": lambda x: 0.99 ** x,
}


def check_version():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")


def jsonable(value):
    """A JSON-friendly copy of a state-dict value (Counter keys become strings)."""
    if isinstance(value, (Counter, dict)):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, torch.Tensor):
        return float(value.item())
    if callable(value):
        return None
    raise TypeError(f"cannot write {type(value).__name__} {value!r}")


# MARK: building

OPTIMIZERS = {
    "SGD": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "AdamW": lambda params, lr: torch.optim.AdamW(params, lr=lr),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr, momentum=0.5),
}


def make_optimizer(spec):
    """spec: {"type": "SGD", "lrs": [0.1, 0.03]}; one parameter per group."""
    params = [torch.nn.Parameter(torch.zeros(3, dtype=torch.float64)) for _ in spec["lrs"]]
    opt = OPTIMIZERS[spec["type"]]([params[0]], spec["lrs"][0])
    for p, lr in zip(params[1:], spec["lrs"][1:]):
        opt.add_param_group({"params": [p], "lr": lr})
    return opt


def resolve(kwargs):
    out = {}
    for k, v in kwargs.items():
        if k in ("lr_lambda", "scale_fn"):
            out[k] = [LAMBDAS[n] for n in v] if isinstance(v, list) else LAMBDAS[v]
        else:
            out[k] = v
    return out


def make_scheduler(spec, opt):
    kind = spec["type"]
    if kind == "SequentialLR":
        subs = [make_scheduler(s, opt) for s in spec["schedulers"]]
        return L.SequentialLR(opt, schedulers=subs, milestones=spec["milestones"],
                              **spec.get("kwargs", {}))
    if kind == "ChainedScheduler":
        subs = [make_scheduler(s, opt) for s in spec["schedulers"]]
        return L.ChainedScheduler(subs, optimizer=opt if spec.get("pass_optimizer") else None)
    if kind == "SWALR":
        return swa_utils.SWALR(opt, **spec.get("kwargs", {}))
    return getattr(L, kind)(opt, **resolve(spec.get("kwargs", {})))


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


CYCLIC = ("CyclicLR", "OneCycleLR")


def snapshot(opt, sched, momentum):
    """Every group's lr (and momentum or betas[0]). get_last_lr() equals the groups' lr in
    every configuration here (checked), so the Swift tests hold `lastLR` to `lr`."""
    lrs = [g["lr"] for g in opt.param_groups]
    assert [float(x) for x in sched.get_last_lr()] == lrs
    entry = {"lr": lrs}
    if momentum:
        entry["momentum"] = [momentum_of(g) for g in opt.param_groups]
    return entry


def run(config):
    opt = make_optimizer(config["optimizer"])
    for group, preset in zip(opt.param_groups, config.get("preset", [])):
        group.update(preset)
    sched = make_scheduler(config["scheduler"], opt)
    entry = dict(config)
    cyclic = config["scheduler"]["type"] in CYCLIC
    # Every configuration records the momentum after construction; the cyclic schedules
    # record it at every step (the others must leave it alone).
    entry["initial"] = snapshot(opt, sched, True)
    trajectory = []
    set_lr = config.get("set_lr", {})
    for step in range(1, STEPS + 1):
        if str(step) in set_lr:
            for g, lr in zip(opt.param_groups, set_lr[str(step)]):
                g["lr"] = lr
        opt.step()
        try:
            if "metrics" in config:
                sched.step(config["metrics"][step - 1])
            elif "epochs" in config and config["epochs"][step - 1] is not None:
                sched.step(config["epochs"][step - 1])
            else:
                sched.step()
        except Exception as e:  # recorded: Descent must throw at the same step
            entry["error"] = {"step": step, "type": type(e).__name__, "message": str(e)}
            break
        trajectory.append(snapshot(opt, sched, cyclic))
        if step == STATE_AT:
            entry["state_dict"] = jsonable(sched.state_dict())
    entry["trajectory"] = trajectory
    return entry


# MARK: configurations

SGD2 = {"type": "SGD", "lrs": [0.1, 0.03]}
ADAM2 = {"type": "Adam", "lrs": [0.1, 0.03]}
HAND = {"40": [0.05, 0.02]}


def sched(kind, **kwargs):
    return {"type": kind, "kwargs": kwargs}


def cfg(name, scheduler, optimizer=SGD2, **extra):
    return {"name": name, "optimizer": optimizer, "scheduler": scheduler, **extra}


def resume_preset(lrs):
    return [{"initial_lr": lr} for lr in lrs]


def plateau_metrics(mode, seed):
    """A noisy curve with plateaus: falling for min, rising for max."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.rand(STEPS, generator=gen, dtype=torch.float64).tolist()
    values = []
    level = 1.0
    for i in range(STEPS):
        if (i // 12) % 3 != 2:  # two improving stretches, then a plateau
            level *= 0.97
        values.append(level * (1.0 + 0.02 * noise[i]) if mode == "min" else 1.0 - level * (1.0 + 0.02 * noise[i]))
    return values


def configs():
    out = []
    # LambdaLR
    out += [
        cfg("LambdaLR/pow095", sched("LambdaLR", lr_lambda="pow095")),
        cfg("LambdaLR/per-group", sched("LambdaLR", lr_lambda=["warmup10", "step30"])),
        cfg("LambdaLR/inv_sqrt-hand", sched("LambdaLR", lr_lambda="inv_sqrt"), set_lr=HAND),
        cfg("LambdaLR/step30-resume", sched("LambdaLR", lr_lambda="step30", last_epoch=19),
            preset=resume_preset([0.2, 0.05])),
    ]
    # MultiplicativeLR
    out += [
        cfg("MultiplicativeLR/const095", sched("MultiplicativeLR", lr_lambda="const095")),
        cfg("MultiplicativeLR/per-group", sched("MultiplicativeLR", lr_lambda=["alternate", "const095"])),
        cfg("MultiplicativeLR/alternate-hand", sched("MultiplicativeLR", lr_lambda="alternate"), set_lr=HAND),
        cfg("MultiplicativeLR/linear_decay-adam", sched("MultiplicativeLR", lr_lambda="linear_decay"), ADAM2),
    ]
    # StepLR
    out += [
        cfg("StepLR/7-0.5", sched("StepLR", step_size=7, gamma=0.5)),
        cfg("StepLR/30-default", sched("StepLR", step_size=30)),
        cfg("StepLR/1-0.97", sched("StepLR", step_size=1, gamma=0.97)),
        cfg("StepLR/10-0.5-hand", sched("StepLR", step_size=10, gamma=0.5), set_lr=HAND),
        cfg("StepLR/7-resume13", sched("StepLR", step_size=7, gamma=0.5, last_epoch=13),
            preset=resume_preset([0.2, 0.05])),
        cfg("StepLR/0-raises", sched("StepLR", step_size=0)),
    ]
    # MultiStepLR
    out += [
        cfg("MultiStepLR/10-40-90", sched("MultiStepLR", milestones=[10, 40, 90], gamma=0.1)),
        cfg("MultiStepLR/30-80-0.5", sched("MultiStepLR", milestones=[30, 80], gamma=0.5)),
        cfg("MultiStepLR/repeated", sched("MultiStepLR", milestones=[20, 20, 60], gamma=0.3)),
        cfg("MultiStepLR/unsorted-hand", sched("MultiStepLR", milestones=[50, 10, 100], gamma=0.5),
            set_lr=HAND),
    ]
    # ConstantLR
    out += [
        cfg("ConstantLR/defaults", sched("ConstantLR")),
        cfg("ConstantLR/0.5-10", sched("ConstantLR", factor=0.5, total_iters=10)),
        cfg("ConstantLR/0.25-0", sched("ConstantLR", factor=0.25, total_iters=0)),
        cfg("ConstantLR/1.0-40-hand", sched("ConstantLR", factor=1.0, total_iters=40), set_lr=HAND),
        cfg("ConstantLR/0.1-200", sched("ConstantLR", factor=0.1, total_iters=200)),
        cfg("ConstantLR/0-raises", sched("ConstantLR", factor=0.0, total_iters=30)),
    ]
    # LinearLR
    out += [
        cfg("LinearLR/defaults", sched("LinearLR")),
        cfg("LinearLR/0.1-1-20", sched("LinearLR", start_factor=0.1, end_factor=1.0, total_iters=20)),
        cfg("LinearLR/1-0.1-30", sched("LinearLR", start_factor=1.0, end_factor=0.1, total_iters=30)),
        cfg("LinearLR/0.5-0-100", sched("LinearLR", start_factor=0.5, end_factor=0.0, total_iters=100)),
        cfg("LinearLR/0.25-50-hand", sched("LinearLR", start_factor=0.25, total_iters=50), set_lr=HAND),
    ]
    # ExponentialLR
    out += [
        cfg("ExponentialLR/0.97", sched("ExponentialLR", gamma=0.97)),
        cfg("ExponentialLR/0.9", sched("ExponentialLR", gamma=0.9)),
        cfg("ExponentialLR/1.01", sched("ExponentialLR", gamma=1.01)),
        cfg("ExponentialLR/0.95-hand", sched("ExponentialLR", gamma=0.95), set_lr=HAND),
        cfg("ExponentialLR/0.9-resume10", sched("ExponentialLR", gamma=0.9, last_epoch=10),
            preset=resume_preset([0.2, 0.05])),
    ]
    # PolynomialLR
    out += [
        cfg("PolynomialLR/defaults", sched("PolynomialLR")),
        cfg("PolynomialLR/50-2", sched("PolynomialLR", total_iters=50, power=2.0)),
        cfg("PolynomialLR/150-0.5", sched("PolynomialLR", total_iters=150, power=0.5)),
        cfg("PolynomialLR/100-1-hand", sched("PolynomialLR", total_iters=100, power=1.0), set_lr=HAND),
        cfg("PolynomialLR/200-3", sched("PolynomialLR", total_iters=200, power=3.0)),
        cfg("PolynomialLR/negative-power-raises", sched("PolynomialLR", total_iters=20, power=-1.0)),
    ]
    # CosineAnnealingLR
    out += [
        cfg("CosineAnnealingLR/30-0.001", sched("CosineAnnealingLR", T_max=30, eta_min=0.001)),
        cfg("CosineAnnealingLR/10-periodic", sched("CosineAnnealingLR", T_max=10)),
        cfg("CosineAnnealingLR/150", sched("CosineAnnealingLR", T_max=150)),
        cfg("CosineAnnealingLR/50-0.01-hand", sched("CosineAnnealingLR", T_max=50, eta_min=0.01),
            set_lr={"20": [0.05, 0.02]}),
        cfg("CosineAnnealingLR/20-resume5", sched("CosineAnnealingLR", T_max=20, last_epoch=5),
            preset=resume_preset([0.2, 0.05])),
        cfg("CosineAnnealingLR/0-raises", sched("CosineAnnealingLR", T_max=0)),
    ]
    # CosineAnnealingWarmRestarts
    gen = torch.Generator().manual_seed(7)
    jumps = (torch.rand(STEPS, generator=gen, dtype=torch.float64) * 100).tolist()
    out += [
        cfg("CosineAnnealingWarmRestarts/10-2-1e-4",
            sched("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=1e-4)),
        cfg("CosineAnnealingWarmRestarts/10-1", sched("CosineAnnealingWarmRestarts", T_0=10)),
        cfg("CosineAnnealingWarmRestarts/5-3", sched("CosineAnnealingWarmRestarts", T_0=5, T_mult=3)),
        cfg("CosineAnnealingWarmRestarts/fractional-10-2",
            sched("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0.001),
            epochs=[i * 0.37 for i in range(1, STEPS + 1)]),
        cfg("CosineAnnealingWarmRestarts/fractional-7-1",
            sched("CosineAnnealingWarmRestarts", T_0=7), epochs=[i / 7 for i in range(1, STEPS + 1)]),
        cfg("CosineAnnealingWarmRestarts/mixed-4-2",
            sched("CosineAnnealingWarmRestarts", T_0=4, T_mult=2),
            epochs=[(i / 3 if i % 5 else None) for i in range(1, STEPS + 1)]),
        cfg("CosineAnnealingWarmRestarts/jumps-6-3",
            sched("CosineAnnealingWarmRestarts", T_0=6, T_mult=3, eta_min=0.002), epochs=jumps),
    ]
    # CyclicLR
    out += [
        cfg("CyclicLR/triangular2-issue",
            sched("CyclicLR", base_lr=0.001, max_lr=0.1, step_size_up=10, step_size_down=None,
                  mode="triangular2", gamma=0.98)),
        cfg("CyclicLR/triangular-20-5", sched("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=20,
                                               step_size_down=5)),
        cfg("CyclicLR/exp_range", sched("CyclicLR", base_lr=0.001, max_lr=0.05, step_size_up=15,
                                         mode="exp_range", gamma=0.99)),
        cfg("CyclicLR/adam-betas", sched("CyclicLR", base_lr=0.001, max_lr=0.01, step_size_up=10), ADAM2),
        cfg("CyclicLR/scale_fn-cycle-lists",
            sched("CyclicLR", base_lr=[0.001, 0.002], max_lr=[0.1, 0.05], step_size_up=8,
                  scale_fn="inv_cycle")),
        cfg("CyclicLR/scale_fn-iterations-no-momentum",
            sched("CyclicLR", base_lr=0.005, max_lr=0.02, step_size_up=6, step_size_down=12,
                  scale_fn="decay_iter", scale_mode="iterations", cycle_momentum=False)),
        cfg("CyclicLR/momentum-lists-rmsprop",
            sched("CyclicLR", base_lr=0.001, max_lr=0.1, step_size_up=12,
                  base_momentum=[0.8, 0.85], max_momentum=0.95),
            {"type": "RMSprop", "lrs": [0.1, 0.03]}),
    ]
    # OneCycleLR
    out += [
        cfg("OneCycleLR/issue-past-total",
            sched("OneCycleLR", max_lr=0.5, total_steps=125, pct_start=0.3, anneal_strategy="cos",
                  three_phase=False, div_factor=25, final_div_factor=1e4)),
        cfg("OneCycleLR/linear-three-phase",
            sched("OneCycleLR", max_lr=0.2, total_steps=150, anneal_strategy="linear", three_phase=True)),
        cfg("OneCycleLR/epochs-adam", sched("OneCycleLR", max_lr=0.01, epochs=10, steps_per_epoch=15), ADAM2),
        cfg("OneCycleLR/lists-no-momentum",
            sched("OneCycleLR", max_lr=[0.1, 0.3], total_steps=160, pct_start=0.25, cycle_momentum=False,
                  div_factor=10.0, final_div_factor=100.0)),
        cfg("OneCycleLR/three-phase-momentum-lists",
            sched("OneCycleLR", max_lr=0.3, total_steps=200, three_phase=True, base_momentum=[0.8, 0.85],
                  max_momentum=[0.9, 0.95]), {"type": "AdamW", "lrs": [0.1, 0.03]}),
    ]
    # ReduceLROnPlateau: both modes and both threshold modes
    out += [
        cfg("ReduceLROnPlateau/min-rel-defaults", sched("ReduceLROnPlateau"),
            metrics=plateau_metrics("min", 1)),
        cfg("ReduceLROnPlateau/min-abs", sched("ReduceLROnPlateau", mode="min", factor=0.5, patience=3,
                                                threshold=0.01, threshold_mode="abs", cooldown=2),
            metrics=plateau_metrics("min", 2)),
        cfg("ReduceLROnPlateau/max-rel", sched("ReduceLROnPlateau", mode="max", factor=0.5, patience=2,
                                                cooldown=1, min_lr=0.001),
            metrics=plateau_metrics("max", 3)),
        cfg("ReduceLROnPlateau/max-abs-min_lr-list",
            sched("ReduceLROnPlateau", mode="max", factor=0.3, patience=4, threshold=0.005,
                  threshold_mode="abs", min_lr=[0.01, 0.001]),
            metrics=plateau_metrics("max", 4)),
        cfg("ReduceLROnPlateau/issue", sched("ReduceLROnPlateau", mode="min", factor=0.5, patience=3,
                                              threshold=1e-4, threshold_mode="rel", cooldown=1, min_lr=0.001),
            metrics=plateau_metrics("min", 5)),
        cfg("ReduceLROnPlateau/large-eps", sched("ReduceLROnPlateau", factor=0.5, patience=1, eps=0.01),
            metrics=plateau_metrics("min", 6)),
    ]
    # SequentialLR
    lin = lambda **k: sched("LinearLR", **k)
    out += [
        cfg("SequentialLR/warmup-cosine",
            {"type": "SequentialLR", "schedulers": [lin(start_factor=0.1, total_iters=10),
                                                    sched("CosineAnnealingLR", T_max=90)], "milestones": [10]}),
        cfg("SequentialLR/constant-exponential",
            {"type": "SequentialLR", "schedulers": [sched("ConstantLR", factor=0.1, total_iters=20),
                                                    sched("ExponentialLR", gamma=0.9)], "milestones": [20]}),
        cfg("SequentialLR/three",
            {"type": "SequentialLR", "schedulers": [lin(start_factor=0.5, total_iters=5),
                                                    sched("StepLR", step_size=30, gamma=0.5),
                                                    sched("CosineAnnealingLR", T_max=50)],
             "milestones": [5, 50]}),
        cfg("SequentialLR/warmup-restarts",
            {"type": "SequentialLR", "schedulers": [lin(start_factor=0.1, total_iters=10),
                                                    sched("CosineAnnealingWarmRestarts", T_0=20)],
             "milestones": [10]}),
        cfg("SequentialLR/exponential-multistep-hand",
            {"type": "SequentialLR", "schedulers": [sched("ExponentialLR", gamma=0.95),
                                                    sched("MultiStepLR", milestones=[60, 90], gamma=0.5)],
             "milestones": [30]}, set_lr=HAND),
        cfg("SequentialLR/chained-second-raises",
            {"type": "SequentialLR",
             "schedulers": [lin(start_factor=0.5, total_iters=5),
                            {"type": "ChainedScheduler", "schedulers": [sched("ExponentialLR", gamma=0.9)]}],
             "milestones": [8]}),
    ]
    # ChainedScheduler
    out += [
        cfg("ChainedScheduler/constant-exponential",
            {"type": "ChainedScheduler", "schedulers": [sched("ConstantLR", factor=0.5, total_iters=15),
                                                        sched("ExponentialLR", gamma=0.97)]}),
        cfg("ChainedScheduler/linear-step",
            {"type": "ChainedScheduler", "schedulers": [lin(start_factor=0.2, total_iters=10),
                                                        sched("StepLR", step_size=20, gamma=0.5)]}),
        cfg("ChainedScheduler/three-with-optimizer",
            {"type": "ChainedScheduler", "pass_optimizer": True,
             "schedulers": [sched("ConstantLR", factor=0.1, total_iters=20), sched("ExponentialLR", gamma=0.9),
                            sched("PolynomialLR", total_iters=100, power=2.0)]}),
        cfg("ChainedScheduler/cosine-exponential-hand",
            {"type": "ChainedScheduler", "schedulers": [sched("CosineAnnealingLR", T_max=30),
                                                        sched("ExponentialLR", gamma=0.99)]}, set_lr=HAND),
    ]
    # SWALR (torch.optim.swa_utils)
    out += [
        cfg("SWALR/cos", sched("SWALR", swa_lr=0.05)),
        cfg("SWALR/linear-per-group", sched("SWALR", swa_lr=[0.05, 0.001], anneal_epochs=7,
                                            anneal_strategy="linear")),
        cfg("SWALR/zero-epochs", sched("SWALR", swa_lr=0.02, anneal_epochs=0)),
        cfg("SWALR/cos-hand", sched("SWALR", swa_lr=0.01, anneal_epochs=60), set_lr=HAND),
        cfg("SWALR/linear-adam", sched("SWALR", swa_lr=[0.2, 0.003], anneal_epochs=3,
                                       anneal_strategy="linear"), ADAM2),
        cfg("SWALR/cos-resume", sched("SWALR", swa_lr=0.05, anneal_epochs=20, last_epoch=4),
            preset=resume_preset([0.2, 0.05])),
    ]
    return out


# MARK: messages

def two_groups(kind="SGD"):
    return make_optimizer({"type": kind, "lrs": [0.1, 0.03]})


def adagrad():
    return torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))], lr=0.1)


def invalid_cases():
    o = two_groups
    other = lambda: L.StepLR(two_groups(), step_size=3)
    cases = {
        "ConstantLR/factor>1": lambda: L.ConstantLR(o(), factor=1.5),
        "ConstantLR/factor<0": lambda: L.ConstantLR(o(), factor=-0.1),
        "LinearLR/start=0": lambda: L.LinearLR(o(), start_factor=0.0),
        "LinearLR/start>1": lambda: L.LinearLR(o(), start_factor=1.5),
        "LinearLR/end>1": lambda: L.LinearLR(o(), end_factor=1.5),
        "LinearLR/end<0": lambda: L.LinearLR(o(), end_factor=-0.1),
        "LambdaLR/count": lambda: L.LambdaLR(o(), lr_lambda=[LAMBDAS["pow095"]] * 3),
        "MultiplicativeLR/count": lambda: L.MultiplicativeLR(o(), lr_lambda=[LAMBDAS["const095"]]),
        "CosineAnnealingWarmRestarts/T_0": lambda: L.CosineAnnealingWarmRestarts(o(), T_0=0),
        "CosineAnnealingWarmRestarts/T_mult": lambda: L.CosineAnnealingWarmRestarts(o(), T_0=5, T_mult=0),
        "CosineAnnealingWarmRestarts/negative-epoch": lambda: L.CosineAnnealingWarmRestarts(o(), T_0=5).step(-1.5),
        "CyclicLR/base_lr-count": lambda: L.CyclicLR(o(), base_lr=[0.01, 0.02, 0.03], max_lr=0.1),
        "CyclicLR/max_lr-count": lambda: L.CyclicLR(o(), base_lr=0.01, max_lr=[0.1]),
        "CyclicLR/no-momentum": lambda: L.CyclicLR(adagrad(), base_lr=0.01, max_lr=0.1),
        "CyclicLR/base_momentum-count": lambda: L.CyclicLR(o(), base_lr=0.01, max_lr=0.1, base_momentum=[0.8]),
        "CyclicLR/max_momentum-count": lambda: L.CyclicLR(o(), base_lr=0.01, max_lr=0.1,
                                                          max_momentum=[0.9, 0.9, 0.9]),
        "CyclicLR/zero-steps": lambda: L.CyclicLR(o(), base_lr=0.01, max_lr=0.1, step_size_up=0,
                                                  step_size_down=0),
        "OneCycleLR/total_steps": lambda: L.OneCycleLR(o(), max_lr=0.1, total_steps=0),
        "OneCycleLR/epochs": lambda: L.OneCycleLR(o(), max_lr=0.1, epochs=0, steps_per_epoch=10),
        "OneCycleLR/steps_per_epoch": lambda: L.OneCycleLR(o(), max_lr=0.1, epochs=3, steps_per_epoch=-1),
        "OneCycleLR/no-total": lambda: L.OneCycleLR(o(), max_lr=0.1),
        "OneCycleLR/pct_start": lambda: L.OneCycleLR(o(), max_lr=0.1, total_steps=10, pct_start=1.5),
        "OneCycleLR/max_lr-count": lambda: L.OneCycleLR(o(), max_lr=[0.1, 0.2, 0.3], total_steps=10),
        "OneCycleLR/no-momentum": lambda: L.OneCycleLR(adagrad(), max_lr=0.1, total_steps=10),
        "OneCycleLR/max_momentum-count": lambda: L.OneCycleLR(o(), max_lr=0.1, total_steps=10,
                                                              max_momentum=[0.9]),
        "ReduceLROnPlateau/factor": lambda: L.ReduceLROnPlateau(o(), factor=1.0),
        "ReduceLROnPlateau/min_lr-count": lambda: L.ReduceLROnPlateau(o(), min_lr=[0.1, 0.2, 0.3]),
        "SequentialLR/empty": lambda: L.SequentialLR(o(), schedulers=[], milestones=[]),
        "SequentialLR/milestones": lambda: (lambda opt: L.SequentialLR(
            opt, schedulers=[L.ConstantLR(opt), L.ExponentialLR(opt, gamma=0.9)], milestones=[5, 10]))(o()),
        "ChainedScheduler/empty": lambda: L.ChainedScheduler([]),
        "StepLR/resume-without-initial_lr": lambda: L.StepLR(o(), step_size=3, last_epoch=5),
        "SWALR/swa_lr-count": lambda: swa_utils.SWALR(o(), swa_lr=[0.1, 0.2, 0.3]),
        "SWALR/anneal_epochs": lambda: swa_utils.SWALR(o(), swa_lr=0.1, anneal_epochs=-1),
    }
    out = []
    for name, fn in cases.items():
        try:
            fn()
        except Exception as e:
            out.append({"case": name, "type": type(e).__name__, "message": e.args[0]})
        else:
            sys.exit(f"{name} did not raise")
    # Messages that embed the other optimizer's repr: recorded up to it and after it.
    for kind in ("SequentialLR", "ChainedScheduler"):
        opt = o()
        try:
            if kind == "SequentialLR":
                L.SequentialLR(opt, schedulers=[L.ConstantLR(opt), other()], milestones=[5])
            else:
                L.ChainedScheduler([L.ConstantLR(opt), other()])
        except ValueError as e:
            text = e.args[0]
            head, _, rest = text.partition(" has ")
            out.append({"case": f"{kind}/other-optimizer", "type": "ValueError",
                        "prefix": head + " has SGD (", "suffix": ", which is different from SGD."})
            assert text.startswith(head + " has SGD (") and text.endswith(", which is different from SGD.")
    # ReduceLROnPlateau: state dicts with unknown modes.
    for key, value in (("mode", "median"), ("threshold_mode", "percent")):
        s = L.ReduceLROnPlateau(o())
        state = s.state_dict()
        state[key] = value
        try:
            s.load_state_dict(state)
        except ValueError as e:
            out.append({"case": f"ReduceLROnPlateau/load-{key}", "type": "ValueError", "message": e.args[0]})
    # ReduceLROnPlateau: a group added after per-group min_lr.
    opt = o()
    s = L.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    s.step(1.0)
    try:
        s.step(2.0)
    except RuntimeError as e:
        out.append({"case": "ReduceLROnPlateau/group-added", "type": "RuntimeError", "message": e.args[0]})
    return out


def step_order_warning():
    opt = two_groups()
    s = L.StepLR(opt, step_size=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.step()
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    # The right order warns about nothing.
    opt = two_groups()
    s = L.StepLR(opt, step_size=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()
        s.step()
    assert not caught, [str(w.message) for w in caught]
    return messages[0]


def contract():
    """The issue's snippet, line for line."""
    a = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    b = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = torch.optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.03})
    record = {}

    def note(name):
        record[name] = {"lr": [g["lr"] for g in opt.param_groups],
                        "momentum": [g["momentum"] for g in opt.param_groups]}

    s1 = L.StepLR(opt, step_size=7, gamma=0.5); note("s1")
    L.MultiStepLR(opt, milestones=[10, 40, 90], gamma=0.1); note("s2")
    L.ConstantLR(opt, factor=0.5, total_iters=10); note("s3")
    L.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=20); note("s4")
    L.ExponentialLR(opt, gamma=0.97); note("s5")
    L.PolynomialLR(opt, total_iters=50, power=2.0); note("s6")
    L.CosineAnnealingLR(opt, T_max=30, eta_min=0.001); note("s7")
    L.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=1e-4); note("s8")
    L.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=10, step_size_down=None, mode="triangular2",
               gamma=0.98); note("s9")
    L.OneCycleLR(opt, max_lr=0.5, total_steps=125, pct_start=0.3, anneal_strategy="cos", three_phase=False,
                 div_factor=25, final_div_factor=1e4); note("s10")
    s11 = L.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3, threshold=1e-4, threshold_mode="rel",
                              cooldown=1, min_lr=0.001); note("s11")
    L.SequentialLR(opt, schedulers=[L.LinearLR(opt, start_factor=0.1, total_iters=10),
                                    L.CosineAnnealingLR(opt, T_max=90)], milestones=[10]); note("s12")
    L.ChainedScheduler([L.ConstantLR(opt, factor=0.5, total_iters=15), L.ExponentialLR(opt, gamma=0.97)])
    note("s13")
    opt.step()
    s1.step(); note("s1.step")
    s11.step(0.42); note("s11.step")
    record["lrs"] = s1.get_last_lr()
    record["lr0"] = opt.param_groups[0]["lr"]
    record["m0"] = opt.param_groups[0]["momentum"]
    record["saved"] = jsonable(s1.state_dict())
    record["param_group_keys"] = sorted(k for k in opt.param_groups[0].keys()
                                        if k not in ("params", "foreach", "fused", "differentiable"))
    return record


def defaults():
    """state_dict() right after construction with only the required arguments: the Swift
    initialisers' defaults must give the same entries."""
    o = two_groups
    makers = {
        "LambdaLR": lambda: L.LambdaLR(o(), lr_lambda=LAMBDAS["pow095"]),
        "MultiplicativeLR": lambda: L.MultiplicativeLR(o(), lr_lambda=LAMBDAS["const095"]),
        "StepLR": lambda: L.StepLR(o(), step_size=7),
        "MultiStepLR": lambda: L.MultiStepLR(o(), milestones=[3, 9]),
        "ConstantLR": lambda: L.ConstantLR(o()),
        "LinearLR": lambda: L.LinearLR(o()),
        "ExponentialLR": lambda: L.ExponentialLR(o(), gamma=0.9),
        "PolynomialLR": lambda: L.PolynomialLR(o()),
        "CosineAnnealingLR": lambda: L.CosineAnnealingLR(o(), T_max=10),
        "CosineAnnealingWarmRestarts": lambda: L.CosineAnnealingWarmRestarts(o(), T_0=10),
        "CyclicLR": lambda: L.CyclicLR(o(), base_lr=0.01, max_lr=0.1),
        "CyclicLR/adam": lambda: L.CyclicLR(two_groups("Adam"), base_lr=0.01, max_lr=0.1),
        "OneCycleLR": lambda: L.OneCycleLR(o(), max_lr=0.1, total_steps=100),
        "ReduceLROnPlateau": lambda: L.ReduceLROnPlateau(o()),
        "SequentialLR": lambda: (lambda opt: L.SequentialLR(
            opt, schedulers=[L.ConstantLR(opt), L.ExponentialLR(opt, gamma=0.9)], milestones=[5]))(o()),
        "ChainedScheduler": lambda: (lambda opt: L.ChainedScheduler(
            [L.ConstantLR(opt), L.ExponentialLR(opt, gamma=0.9)]))(o()),
        "SWALR": lambda: swa_utils.SWALR(o(), swa_lr=0.05),
    }
    out = {}
    for name, make in makers.items():
        s = make()
        out[name] = {"state_dict": jsonable(s.state_dict()),
                     "param_groups": [{k: jsonable(v) for k, v in g.items()
                                       if k not in ("params", "foreach", "fused", "differentiable",
                                                    "capturable")}
                                      for g in s.optimizer.param_groups]}
    return out


def main():
    check_version()
    entries = [run(c) for c in configs()]
    per_type = Counter(e["scheduler"]["type"] for e in entries)
    doc = {
        "meta": {
            "generator": "scripts/gen_scheduler_fixtures.py",
            "torch": torch.__version__,
            "python": platform.python_version(),
            "steps": STEPS,
            "state_at": STATE_AT,
        },
        "configs": entries,
        "defaults": defaults(),
        "invalid_arguments": invalid_cases(),
        "step_order_warning": step_order_warning(),
        "contract": contract(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    values = sum(len(s["lr"]) + len(s.get("momentum", []))
                 for e in entries for s in [e["initial"]] + e["trajectory"])
    print(f"wrote {os.path.relpath(OUT)}: {len(entries)} configurations "
          f"({', '.join(f'{k} {v}' for k, v in sorted(per_type.items()))}), {values} values")


if __name__ == "__main__":
    main()
