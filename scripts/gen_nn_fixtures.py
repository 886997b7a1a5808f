#!/usr/bin/env python3
"""Reference values for DescentNN's tests, computed with PyTorch.

Writes Tests/DescentNNTests/Fixtures/nn_mlp.json (a two-layer MLP with fixed weights: its
output, every loss under every reduction, and every parameter's gradient, in float32 and
float64), nn_losses.json (loss edge cases) and nn_layers.json (layers and init helpers).

Re-run from the repository root:  python3 scripts/gen_nn_fixtures.py
Pinned to torch 2.13.0 (CPU); the versions used are recorded in each file.
"""

import json
import math
import os
import platform
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EXPECTED_TORCH = "2.13.0"
if not torch.__version__.startswith(EXPECTED_TORCH):
    sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")

torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DescentNNTests", "Fixtures")
VERSIONS = {
    "torch": torch.__version__,
    "numpy": np.__version__,
    "python": platform.python_version(),
    "generator": "scripts/gen_nn_fixtures.py",
}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
REDUCTIONS = ["none", "mean", "sum"]


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    """A tensor as {shape, data[, dtype]} with exact float values (float32 widened)."""
    t = t.detach()
    if t.dtype in (torch.int64, torch.bool):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "dtype": "int64"}
    return {"shape": list(t.shape), "data": [num(v) for v in t.double().reshape(-1).tolist()]}


def write(name, payload):
    payload = {"versions": VERSIONS, **payload}
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


rng = np.random.RandomState(20240613)


def values(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float64)


# ---------------------------------------------------------------- MLP: every loss, every reduction

N, IN, HIDDEN, OUT_F = 6, 4, 8, 3
mlp_values = {
    "x": values(N, IN, low=-2, high=2),
    "0.weight": values(HIDDEN, IN, low=-0.5, high=0.5),
    "0.bias": values(HIDDEN, low=-0.5, high=0.5),
    "2.weight": values(OUT_F, HIDDEN, low=-0.5, high=0.5),
    "2.bias": values(OUT_F, low=-0.5, high=0.5),
}
reg_target = values(N, OUT_F, low=-1.5, high=1.5)
# Targets in [0, 1], some exactly 0 or 1.
bin_target = values(N, OUT_F, low=0, high=1)
bin_target[0, :] = [0.0, 1.0, 1.0]
bin_target[3, :] = [1.0, 0.0, 0.0]
class_target = np.array([2, 0, 1, 1, 2, 0])
prob_target = rng.dirichlet([1.0] * OUT_F, size=N)
class_weight = np.array([0.2, 1.0, 2.5])
elem_weight = np.array([0.5, 1.5, 1.0])
pos_weight = np.array([3.0, 0.5, 1.25])
upstream = values(N, OUT_F, low=0.5, high=1.5)  # gradient fed to reduction='none'

# (name, head, loss-function kind, options); head applied to the MLP output first.
LOSS_CASES = [
    ("mse", None, "mse", {}),
    ("l1", None, "l1", {}),
    ("huber", None, "huber", {}),
    ("huber_delta0.4", None, "huber", {"delta": 0.4}),
    ("smooth_l1", None, "smooth_l1", {}),
    ("smooth_l1_beta0.3", None, "smooth_l1", {"beta": 0.3}),
    ("smooth_l1_beta0", None, "smooth_l1", {"beta": 0.0}),
    ("bce", "sigmoid", "bce", {}),
    ("bce_weight", "sigmoid", "bce", {"weight": elem_weight}),
    ("bce_with_logits", None, "bce_with_logits", {}),
    ("bce_with_logits_weight", None, "bce_with_logits", {"weight": elem_weight}),
    ("bce_with_logits_pos_weight", None, "bce_with_logits", {"pos_weight": pos_weight}),
    ("bce_with_logits_both", None, "bce_with_logits", {"weight": elem_weight, "pos_weight": pos_weight}),
    ("cross_entropy", None, "cross_entropy", {}),
    ("cross_entropy_weight", None, "cross_entropy", {"weight": class_weight}),
    ("cross_entropy_ignore", None, "cross_entropy", {"ignore_index": 1}),
    ("cross_entropy_smoothing", None, "cross_entropy", {"label_smoothing": 0.1}),
    (
        "cross_entropy_smoothing_weight_ignore",
        None,
        "cross_entropy",
        {"label_smoothing": 0.25, "weight": class_weight, "ignore_index": 0},
    ),
    ("cross_entropy_probs", None, "cross_entropy_probs", {}),
    ("cross_entropy_probs_smoothing", None, "cross_entropy_probs", {"label_smoothing": 0.2}),
    ("cross_entropy_probs_weight", None, "cross_entropy_probs", {"weight": class_weight}),
    ("nll", "log_softmax", "nll", {}),
    ("nll_weight", "log_softmax", "nll", {"weight": class_weight}),
    ("nll_weight_ignore", "log_softmax", "nll", {"weight": class_weight, "ignore_index": 2}),
]


def target_for(kind, dtype):
    if kind in ("mse", "l1", "huber", "smooth_l1"):
        return torch.tensor(reg_target, dtype=dtype)
    if kind in ("bce", "bce_with_logits"):
        return torch.tensor(bin_target, dtype=dtype)
    if kind == "cross_entropy_probs":
        return torch.tensor(prob_target, dtype=dtype)
    return torch.tensor(class_target, dtype=torch.int64)


def apply_loss(kind, pred, target, opts, reduction, dtype):
    o = {k: (torch.tensor(v, dtype=dtype) if isinstance(v, np.ndarray) else v) for k, v in opts.items()}
    if kind == "mse":
        return nn.MSELoss(reduction=reduction)(pred, target)
    if kind == "l1":
        return nn.L1Loss(reduction=reduction)(pred, target)
    if kind == "huber":
        return nn.HuberLoss(reduction=reduction, **o)(pred, target)
    if kind == "smooth_l1":
        return nn.SmoothL1Loss(reduction=reduction, **o)(pred, target)
    if kind == "bce":
        return nn.BCELoss(reduction=reduction, **o)(pred, target)
    if kind == "bce_with_logits":
        return nn.BCEWithLogitsLoss(reduction=reduction, **o)(pred, target)
    if kind in ("cross_entropy", "cross_entropy_probs"):
        return nn.CrossEntropyLoss(reduction=reduction, **o)(pred, target)
    if kind == "nll":
        return nn.NLLLoss(reduction=reduction, **o)(pred, target)
    raise ValueError(kind)


def mlp(dtype):
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT_F)).to(dtype)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor(mlp_values[name], dtype=dtype))
    return model


mlp_out = {
    "parameters": {k: enc(torch.tensor(v)) for k, v in mlp_values.items() if k != "x"},
    "x": enc(torch.tensor(mlp_values["x"])),
    "upstream": enc(torch.tensor(upstream)),
    "options": {
        "class_weight": class_weight.tolist(),
        "elem_weight": elem_weight.tolist(),
        "pos_weight": pos_weight.tolist(),
    },
    "targets": {
        "regression": enc(torch.tensor(reg_target)),
        "binary": enc(torch.tensor(bin_target)),
        "classes": enc(torch.tensor(class_target)),
        "probabilities": enc(torch.tensor(prob_target)),
    },
    "dtypes": {},
}
for dname, dtype in DTYPES.items():
    model = mlp(dtype)
    x = torch.tensor(mlp_values["x"], dtype=dtype)
    pred = model(x)
    cases = []
    for name, head, kind, opts in LOSS_CASES:
        for reduction in REDUCTIONS:
            model.zero_grad()
            pred = model(x)
            h = pred
            if head == "sigmoid":
                h = torch.sigmoid(pred)
            elif head == "log_softmax":
                h = F.log_softmax(pred, dim=1)
            loss = apply_loss(kind, h, target_for(kind, dtype), opts, reduction, dtype)
            if reduction == "none":
                g = torch.tensor(upstream, dtype=dtype)
                if loss.dim() == 1:
                    g = g[:, 0]
                loss.backward(gradient=g)
            else:
                loss.backward()
            cases.append(
                {
                    "name": name,
                    "head": head or "none",
                    "kind": kind,
                    "reduction": reduction,
                    "options": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in opts.items()},
                    "loss": enc(loss),
                    "grads": {n: enc(p.grad) for n, p in model.named_parameters()},
                }
            )
    mlp_out["dtypes"][dname] = {"output": enc(model(x)), "cases": cases}
write("nn_mlp.json", mlp_out)

# ---------------------------------------------------------------- loss edge cases


def loss_case(name, fn, inputs, grad_of=(0,)):
    """Runs fn on float64 and float32 copies of inputs; records value and input grads."""
    out = {"name": name, "dtypes": {}}
    for dname, dtype in DTYPES.items():
        ts = []
        for i, v in enumerate(inputs):
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                t = torch.tensor(v, dtype=dtype, requires_grad=i in grad_of)
            else:
                t = torch.tensor(v)
            ts.append(t)
        try:
            loss = fn(*ts)
        except Exception as e:  # recorded: PyTorch rejects this case
            out["dtypes"][dname] = {"error": f"{type(e).__name__}: {e}"}
            continue
        entry = {"loss": enc(loss), "grad_fn": type(loss.grad_fn).__name__ if loss.grad_fn is not None else None}
        if loss.requires_grad and loss.numel() > 0:
            g = torch.ones_like(loss)
            loss.backward(gradient=g)
            entry["grads"] = [enc(ts[i].grad) if ts[i].grad is not None else None for i in grad_of]
        elif loss.requires_grad:
            loss.backward(gradient=torch.ones_like(loss))
            entry["grads"] = [enc(ts[i].grad) if ts[i].grad is not None else None for i in grad_of]
        out["dtypes"][dname] = entry
    out["inputs"] = [enc(torch.tensor(v)) for v in inputs]
    return out


edge = []
logits = np.array([100.0, -100.0, 100.0, -100.0, 0.0, 50.0, -37.5, 17.0])
logit_targets = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.3, 1.0, 0.0])
logit_pos = np.array([2.0])
for r in REDUCTIONS:
    edge.append(
        loss_case(
            f"bce_with_logits_extreme_{r}",
            lambda x, y, r=r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
            [logits, logit_targets],
        )
    )
    edge.append(
        loss_case(
            f"bce_with_logits_extreme_pos_weight_{r}",
            lambda x, y, p, r=r: F.binary_cross_entropy_with_logits(x, y, pos_weight=p, reduction=r),
            [logits, logit_targets, logit_pos],
        )
    )
probs = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5, 0.999999, 0.25])
prob_targets = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 0.0, 0.75])
for r in REDUCTIONS:
    edge.append(
        loss_case(f"bce_clamped_{r}", lambda x, y, r=r: F.binary_cross_entropy(x, y, reduction=r), [probs, prob_targets])
    )

ce_logits = values(5, 4, low=-3, high=3)
ce_targets = np.array([3, -100, 0, -100, 2])
ce_all_ignored = np.array([-100, -100, -100, -100, -100])
ce_weight = np.array([0.5, 2.0, 1.0, 0.25])
for r in REDUCTIONS:
    edge.append(
        loss_case(f"cross_entropy_ignored_{r}", lambda x, t, r=r: F.cross_entropy(x, t, reduction=r), [ce_logits, ce_targets])
    )
    edge.append(
        loss_case(
            f"cross_entropy_all_ignored_{r}",
            lambda x, t, r=r: F.cross_entropy(x, t, reduction=r),
            [ce_logits, ce_all_ignored],
        )
    )
    edge.append(
        loss_case(
            f"cross_entropy_smoothing_ignored_weight_{r}",
            lambda x, t, w, r=r: F.cross_entropy(x, t, weight=w, reduction=r, label_smoothing=0.3),
            [ce_logits, ce_targets, ce_weight],
        )
    )
    edge.append(
        loss_case(
            f"cross_entropy_smoothing_all_ignored_{r}",
            lambda x, t, r=r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.3),
            [ce_logits, ce_all_ignored],
        )
    )
    edge.append(
        loss_case(
            f"nll_ignored_weight_{r}",
            lambda x, t, w, r=r: F.nll_loss(x, t, weight=w, reduction=r),
            [ce_logits, ce_targets, ce_weight],
        )
    )
# K-dimensional and unbatched cross entropy.
kdim_logits = values(2, 3, 4, low=-2, high=2)
kdim_targets = np.array([[0, 2, -100, 1], [1, 1, 0, 2]])
kdim_weight = np.array([1.5, 0.5, 1.0])
for r in REDUCTIONS:
    edge.append(
        loss_case(
            f"cross_entropy_kdim_{r}",
            lambda x, t, w, r=r: F.cross_entropy(x, t, weight=w, reduction=r, label_smoothing=0.15),
            [kdim_logits, kdim_targets, kdim_weight],
        )
    )
    edge.append(
        loss_case(
            f"cross_entropy_unbatched_{r}",
            lambda x, t, r=r: F.cross_entropy(x, t, reduction=r),
            [values(5, low=-2, high=2), np.array(3)],
        )
    )
    edge.append(
        loss_case(
            f"cross_entropy_kdim_probs_{r}",
            lambda x, t, r=r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.1),
            [kdim_logits, np.abs(values(2, 3, 4))],
        )
    )
# Huber / smooth L1 exactly at the switch points.
at_switch_in = np.array([0.0, 1.0, -1.0, 0.5, 2.0, -0.25])
at_switch_t = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
for r in REDUCTIONS:
    edge.append(
        loss_case(f"huber_switch_{r}", lambda x, y, r=r: F.huber_loss(x, y, reduction=r, delta=1.0), [at_switch_in, at_switch_t])
    )
    edge.append(
        loss_case(
            f"smooth_l1_switch_{r}", lambda x, y, r=r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5), [at_switch_in, at_switch_t]
        )
    )
    edge.append(loss_case(f"l1_zero_{r}", lambda x, y, r=r: F.l1_loss(x, y, reduction=r), [at_switch_in, at_switch_t]))
# Zero-size batches.
empty2 = np.zeros((0, 3))
empty_idx = np.zeros((0,), dtype=np.int64)
ZERO = {
    "mse": (lambda x, y, r: F.mse_loss(x, y, reduction=r), [empty2, empty2]),
    "l1": (lambda x, y, r: F.l1_loss(x, y, reduction=r), [empty2, empty2]),
    "huber": (lambda x, y, r: F.huber_loss(x, y, reduction=r), [empty2, empty2]),
    "smooth_l1": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r), [empty2, empty2]),
    "bce": (lambda x, y, r: F.binary_cross_entropy(x, y, reduction=r), [empty2, empty2]),
    "bce_with_logits": (lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r), [empty2, empty2]),
    "cross_entropy": (lambda x, t, r: F.cross_entropy(x, t, reduction=r), [empty2, empty_idx]),
    "cross_entropy_smoothing": (
        lambda x, t, r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.1),
        [empty2, empty_idx],
    ),
    "cross_entropy_probs": (lambda x, t, r: F.cross_entropy(x, t, reduction=r), [empty2, empty2]),
    "nll": (lambda x, t, r: F.nll_loss(x, t, reduction=r), [empty2, empty_idx]),
}
for kind, (fn, ins) in ZERO.items():
    for r in REDUCTIONS:
        edge.append(loss_case(f"zero_size_{kind}_{r}", lambda *a, fn=fn, r=r: fn(*a, r), ins))
write("nn_losses.json", {"cases": edge})

# ---------------------------------------------------------------- layers


def layer_case(name, make, x, upstream_seed, dtypes=DTYPES, index_input=False):
    """Forward `x` through make(dtype); loss = sum(out * R); record output and all grads."""
    out = {"name": name, "dtypes": {}}
    for dname, dtype in dtypes.items():
        layer = make(dtype)
        xt = torch.tensor(x) if index_input else torch.tensor(x, dtype=dtype, requires_grad=True)
        y = layer(xt)
        r = torch.tensor(np.random.RandomState(upstream_seed).uniform(-1, 1, size=tuple(y.shape)), dtype=dtype)
        (y * r).sum().backward()
        out["dtypes"][dname] = {
            "output": enc(y),
            "upstream": enc(r),
            "input_grad": None if index_input else enc(xt.grad),
            "param_grads": {n: enc(p.grad) for n, p in layer.named_parameters()},
            "params": {n: enc(p) for n, p in layer.named_parameters()},
            "buffers": {n: enc(b) for n, b in layer.named_buffers()},
        }
    out["input"] = enc(torch.tensor(x))
    return out


def with_params(layer, dtype, **params):
    layer = layer.to(dtype)
    with torch.no_grad():
        for n, v in params.items():
            getattr(layer, n).copy_(torch.tensor(v, dtype=dtype))
    return layer


layers = []
x34 = values(3, 4, low=-2, high=2)
ln_w, ln_b = values(4, low=0.5, high=1.5), values(4, low=-0.5, high=0.5)
layers.append(layer_case("layer_norm", lambda d: with_params(nn.LayerNorm(4), d, weight=ln_w, bias=ln_b), x34, 1))
ln2_w, ln2_b = values(2, 3, low=0.5, high=1.5), values(2, 3, low=-0.5, high=0.5)
layers.append(
    layer_case(
        "layer_norm_2d",
        lambda d: with_params(nn.LayerNorm([2, 3]), d, weight=ln2_w, bias=ln2_b),
        values(2, 2, 2, 3, low=-2, high=2),
        2,
    )
)
layers.append(
    layer_case("layer_norm_no_affine", lambda d: nn.LayerNorm(4, elementwise_affine=False).to(d), x34, 3)
)
emb_w = values(5, 3, low=-1, high=1)
layers.append(
    layer_case(
        "embedding_padding",
        lambda d: with_params(nn.Embedding(5, 3, padding_idx=1), d, weight=emb_w),
        np.array([[0, 1, 3], [3, 4, 1]]),
        4,
        index_input=True,
    )
)
for name, make in [
    ("relu", lambda d: nn.ReLU()),
    ("leaky_relu", lambda d: nn.LeakyReLU(0.2)),
    ("sigmoid", lambda d: nn.Sigmoid()),
    ("tanh", lambda d: nn.Tanh()),
    ("gelu", lambda d: nn.GELU()),
    ("gelu_tanh", lambda d: nn.GELU(approximate="tanh")),
    ("softmax_dim1", lambda d: nn.Softmax(dim=1)),
    ("softmax_dim0", lambda d: nn.Softmax(dim=0)),
    ("log_softmax_dim1", lambda d: nn.LogSoftmax(dim=1)),
    ("log_softmax_dim0", lambda d: nn.LogSoftmax(dim=0)),
    ("flatten", lambda d: nn.Flatten()),
    ("dropout_eval", lambda d: nn.Dropout(0.3).eval()),
]:
    layers.append(layer_case(name, make, values(3, 2, 2, low=-3, high=3), 5))

# BatchNorm1d: two training steps then evaluation, for 2-D and 3-D input and both momenta.
bn_cases = []
for name, momentum, shapes in [
    ("batch_norm_2d", 0.1, [(5, 3), (4, 3), (6, 3)]),
    ("batch_norm_3d", 0.1, [(4, 3, 2), (3, 3, 5), (2, 3, 2)]),
    ("batch_norm_cumulative", None, [(5, 3), (4, 3), (6, 3)]),
]:
    entry = {"name": name, "momentum": momentum, "dtypes": {}}
    batches = [values(*s, low=-2, high=3) for s in shapes]
    bn_w, bn_b = values(3, low=0.5, high=1.5), values(3, low=-0.5, high=0.5)
    entry["weight"], entry["bias"] = enc(torch.tensor(bn_w)), enc(torch.tensor(bn_b))
    entry["batches"] = [enc(torch.tensor(b)) for b in batches]
    for dname, dtype in DTYPES.items():
        bn = with_params(nn.BatchNorm1d(3, momentum=momentum), dtype, weight=bn_w, bias=bn_b)
        steps = []
        for i, b in enumerate(batches):
            if i == len(batches) - 1:
                bn.eval()
            bn.zero_grad()
            xt = torch.tensor(b, dtype=dtype, requires_grad=True)
            y = bn(xt)
            r = torch.tensor(np.random.RandomState(10 + i).uniform(-1, 1, size=tuple(y.shape)), dtype=dtype)
            (y * r).sum().backward()
            steps.append(
                {
                    "training": bn.training,
                    "output": enc(y),
                    "upstream": enc(r),
                    "input_grad": enc(xt.grad),
                    "weight_grad": enc(bn.weight.grad),
                    "bias_grad": enc(bn.bias.grad),
                    "running_mean": enc(bn.running_mean),
                    "running_var": enc(bn.running_var),
                    "num_batches_tracked": int(bn.num_batches_tracked),
                }
            )
        entry["dtypes"][dname] = steps
    bn_cases.append(entry)

gains = {}
for nl in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
    gains[nl] = nn.init.calculate_gain(nl)
gains["leaky_relu_0.2"] = nn.init.calculate_gain("leaky_relu", 0.2)
gains["leaky_relu_sqrt5"] = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
fans = {}
for shape in [(3, 4), (5, 2, 3, 3), (7, 1), (200, 300)]:
    fi, fo = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    fans["x".join(map(str, shape))] = [fi, fo]
# Bounds and standard deviations that PyTorch's own initialisers use for a [200, 300]
# weight, from its code paths (not from sampled values: Descent's random streams differ).
w = torch.empty(200, 300)
fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
bounds = {
    "linear_weight_bound": math.sqrt(3.0) * nn.init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(fan_in),
    "linear_bias_bound": 1 / math.sqrt(fan_in),
    "kaiming_uniform_relu_fan_out_bound": math.sqrt(3.0)
    * nn.init.calculate_gain("relu")
    / math.sqrt(nn.init._calculate_correct_fan(w, "fan_out")),
    "kaiming_normal_leaky0.2_fan_in_std": nn.init.calculate_gain("leaky_relu", 0.2)
    / math.sqrt(nn.init._calculate_correct_fan(w, "fan_in")),
    "xavier_uniform_gain2_bound": 2 * math.sqrt(6.0 / (fan_in + fan_out)),
    "xavier_normal_gain0.5_std": 0.5 * math.sqrt(2.0 / (fan_in + fan_out)),
}
# print(model) and load_state_dict's errors.
repr_model = nn.Sequential(
    nn.Linear(4, 8),
    nn.ReLU(),
    nn.Sequential(nn.LayerNorm(8), nn.Dropout(0.25)),
    nn.Linear(8, 3, bias=False),
    nn.LeakyReLU(0.2),
    nn.GELU(approximate="tanh"),
    nn.Softmax(dim=1),
    nn.LogSoftmax(dim=-1),
    nn.Flatten(),
    nn.BatchNorm1d(3),
    nn.BatchNorm1d(3, momentum=None, affine=False),
    nn.Embedding(5, 3, padding_idx=1),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.Identity(),
    nn.LayerNorm([2, 3], elementwise_affine=False),
)
reprs = {
    "model": str(repr_model),
    "bce_with_logits": str(nn.BCEWithLogitsLoss(reduction="sum")),
    "gelu": str(nn.GELU()),
    "embedding": str(nn.Embedding(5, 3)),
    "state_dict_keys": list(repr_model.state_dict().keys()),
}
load_errors = {}
for name, sd, strict in [
    ("missing_unexpected_mismatch", {"0.weight": torch.zeros(3, 4), "x": torch.zeros(1)}, True),
    ("mismatch_only", {"0.weight": torch.zeros(3, 4), "0.bias": torch.zeros(8)}, True),
    ("not_strict_mismatch", {"0.weight": torch.zeros(3, 4), "x": torch.zeros(1)}, False),
]:
    try:
        nn.Sequential(nn.Linear(4, 8)).load_state_dict(sd, strict=strict)
        load_errors[name] = None
    except RuntimeError as e:
        load_errors[name] = str(e)
write(
    "nn_layers.json",
    {
        "layers": layers,
        "batch_norm": bn_cases,
        "gains": gains,
        "fans": fans,
        "bounds": bounds,
        "reprs": reprs,
        "load_errors": load_errors,
    },
)
