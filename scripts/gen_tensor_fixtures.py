#!/usr/bin/env python3
"""Writes the PyTorch reference values that Tests/DescentTests compare the Tensor core against.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_tensor_fixtures.py

Every case names an op, its arguments and its inputs. An input is a list of decimal values
(strings "nan", "inf", "-inf" for the special values), a shape, a dtype ("float" means the
dtype the test runs in, float32 or float64) and an optional recipe of views ("views") that
turns the freshly created contiguous tensor into a transposed, sliced, expanded ... view.
The Swift tests build the same inputs with the same recipe, run the same op and compare with
the values PyTorch produced here, for each float dtype the case lists (both, unless noted). For view ops the shape, strides,
storage offset and whether the result shares storage with the input are recorded too.

Files written into Tests/DescentTests/Fixtures/:
  creation.json, views.json, elementwise.json, promotion.json, inplace.json,
  reductions.json, matmul.json, linalg.json, repr.json, autograd.json
Each carries a "generator" record with the torch, numpy and Python versions.
"""

import json
import math
import os
import platform
import sys

import numpy
import torch

EXPECTED_TORCH = "2.13.0"
OUT_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentTests", "Fixtures"
)
FLOATS = {"float32": torch.float32, "float64": torch.float64}
OTHER = {"int64": torch.int64, "bool": torch.bool}


def check_version():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")


def generator_record():
    return {
        "script": "scripts/gen_tensor_fixtures.py",
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


# ---------------------------------------------------------------- encoding


def encode_value(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def decode_value(v):
    if v == "nan":
        return float("nan")
    if v == "inf":
        return float("inf")
    if v == "-inf":
        return float("-inf")
    return v


def encode_tensor(t, with_layout=False, base=None):
    out = {
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "data": [encode_value(v) for v in t.detach().reshape(-1).tolist()],
    }
    if with_layout:
        out["strides"] = list(t.stride())
        out["offset"] = t.storage_offset()
        if base is not None:
            out["shares"] = t.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    return out


def inp(data, shape=None, dtype="float", views=None):
    """An input spec. `data` is a list of numbers/specials, or ("arange", start, step)."""
    if shape is None:
        shape = [len(data)]
    spec = {"shape": list(shape), "dtype": dtype}
    if isinstance(data, tuple) and data[0] == "arange":
        spec["arange"] = [data[1], data[2]]
    else:
        spec["data"] = [encode_value(v) if not isinstance(v, str) else v for v in data]
    if views:
        spec["views"] = views
    return spec


def apply_view(t, v):
    name = v[0]
    if name == "t":
        return t.t()
    if name == "transpose":
        return t.transpose(v[1], v[2])
    if name == "permute":
        return t.permute(*v[1])
    if name == "slice":
        dim, start, end, step = v[1], v[2], v[3], v[4]
        index = [slice(None)] * t.dim()
        index[dim] = slice(start, end, step)
        return t[tuple(index)]
    if name == "expand":
        return t.expand(*v[1])
    if name == "unsqueeze":
        return t.unsqueeze(v[1])
    if name == "select":
        return t.select(v[1], v[2])
    if name == "reshape":
        return t.reshape(*v[1])
    raise ValueError(name)


def build(spec, float_dtype):
    dtype_name = spec["dtype"]
    if dtype_name == "float":
        dtype = float_dtype
    elif dtype_name in FLOATS:
        dtype = FLOATS[dtype_name]
    else:
        dtype = OTHER[dtype_name]
    n = math.prod(spec["shape"])
    if "arange" in spec:
        start, step = spec["arange"]
        base = (torch.arange(n, dtype=torch.float64) * step + start).to(dtype)
    else:
        base = torch.tensor([decode_value(v) for v in spec["data"]], dtype=torch.float64)
        if dtype == torch.bool:
            base = base != 0
        else:
            base = base.to(dtype)
    base = base.reshape(spec["shape"])
    t = base
    for v in spec.get("views", []):
        t = apply_view(t, v)
    return base, t


# ---------------------------------------------------------------- values

# A general-purpose 3x4 input with mixed signs and magnitudes, and a 3x4 second operand
# containing a zero (division by zero gives inf/nan in both libraries).
A34 = [-2.5, -1.25, -0.5, 0.0, 0.3, 0.75, 1.0, 1.5, 2.25, 3.0, -0.125, 4.5]
B34 = [1.5, -0.75, 2.0, 0.5, -1.0, 0.25, 3.0, 0.0, -2.0, 1.25, 0.5, -3.5]
# Unary inputs: ordinary values plus signed zeros, NaN and infinities.
U = [-3.5, -1.25, -0.5, -0.0, 0.0, 0.3, 1.0, 2.75, 10.0, "nan", "inf", "-inf"]
POS = [0.01, 0.25, 0.5, 1.0, 1.75, 2.0, 3.3, 9.0, 100.0, 0.0, "inf", "nan"]
R234 = [
    0.5, -1.2, 3.3, 0.7, -0.4, 2.2, 1.1, -2.6, 0.9, 1.8, -0.3, 0.05,
    -1.5, 2.4, 0.6, -0.8, 1.3, -2.1, 0.2, 3.1, -0.7, 1.6, -1.9, 0.4,
]


def col(values, n):
    return [values[i % len(values)] for i in range(n)]


# ---------------------------------------------------------------- op tables


def run_case(op, args, inputs, fdtype):
    """Runs `op` in PyTorch on built inputs; returns (bases, outputs)."""
    built = [build(s, fdtype) for s in inputs]
    bases = [b for b, _ in built]
    xs = [t for _, t in built]
    f = OPS[op]
    out = f(xs, args, fdtype)
    if not isinstance(out, (tuple, list)):
        out = [out]
    return bases, xs, list(out)


def slice_op(x, a):
    index = [slice(None)] * x.dim()
    index[a["dim"]] = slice(a.get("start"), a.get("end"), a.get("step", 1))
    return x[tuple(index)]


def inplace(fn):
    def run(xs, a, d):
        target = xs[0].clone()
        fn(target, xs[1:], a)
        return target

    return run


OPS = {
    # creation
    "zeros": lambda xs, a, d: torch.zeros(a["shape"], dtype=d),
    "ones": lambda xs, a, d: torch.ones(a["shape"], dtype=d),
    "full": lambda xs, a, d: torch.full(a["shape"], a["value"], dtype=d),
    "arange": lambda xs, a, d: torch.arange(a["start"], a["end"], a["step"], dtype=d),
    "linspace": lambda xs, a, d: torch.linspace(a["start"], a["end"], a["steps"], dtype=d),
    "eye": lambda xs, a, d: torch.eye(a["n"], a.get("m", a["n"]), dtype=d),
    "zeros_like": lambda xs, a, d: torch.zeros_like(xs[0]),
    "ones_like": lambda xs, a, d: torch.ones_like(xs[0]),
    "full_like": lambda xs, a, d: torch.full_like(xs[0], a["value"]),
    # views and copies
    "reshape": lambda xs, a, d: xs[0].reshape(a["shape"]),
    "view": lambda xs, a, d: xs[0].view(a["shape"]),
    "flatten": lambda xs, a, d: xs[0].flatten(a.get("start", 0), a.get("end", -1)),
    "transpose": lambda xs, a, d: xs[0].transpose(a["dim0"], a["dim1"]),
    "permute": lambda xs, a, d: xs[0].permute(a["dims"]),
    "t": lambda xs, a, d: xs[0].t(),
    "squeeze": lambda xs, a, d: xs[0].squeeze() if a.get("dim") is None else xs[0].squeeze(a["dim"]),
    "unsqueeze": lambda xs, a, d: xs[0].unsqueeze(a["dim"]),
    "expand": lambda xs, a, d: xs[0].expand(a["shape"]),
    "slice": lambda xs, a, d: slice_op(xs[0], a),
    "narrow": lambda xs, a, d: xs[0].narrow(a["dim"], a["start"], a["length"]),
    "select": lambda xs, a, d: xs[0].select(a["dim"], a["index"]),
    "contiguous": lambda xs, a, d: xs[0].contiguous(),
    "clone": lambda xs, a, d: xs[0].clone(),
    "split": lambda xs, a, d: xs[0].split(a["size"], a["dim"]),
    "cat": lambda xs, a, d: torch.cat(xs, a["dim"]),
    "stack": lambda xs, a, d: torch.stack(xs, a["dim"]),
    "gather": lambda xs, a, d: torch.gather(xs[0], a["dim"], xs[1]),
    "scatter_add": lambda xs, a, d: xs[0].scatter_add(a["dim"], xs[1], xs[2]),
    "index_select": lambda xs, a, d: torch.index_select(xs[0], a["dim"], xs[1]),
    "to_float64": lambda xs, a, d: xs[0].to(torch.float64),
    "to_float32": lambda xs, a, d: xs[0].to(torch.float32),
    "to_int64": lambda xs, a, d: xs[0].to(torch.int64),
    "to_bool": lambda xs, a, d: xs[0].to(torch.bool),
    # binary elementwise
    "add": lambda xs, a, d: xs[0] + xs[1],
    "sub": lambda xs, a, d: xs[0] - xs[1],
    "mul": lambda xs, a, d: xs[0] * xs[1],
    "div": lambda xs, a, d: xs[0] / xs[1],
    "add_alpha": lambda xs, a, d: torch.add(xs[0], xs[1], alpha=a["alpha"]),
    "sub_alpha": lambda xs, a, d: torch.sub(xs[0], xs[1], alpha=a["alpha"]),
    "pow": lambda xs, a, d: torch.pow(xs[0], xs[1]),
    "maximum": lambda xs, a, d: torch.maximum(xs[0], xs[1]),
    "minimum": lambda xs, a, d: torch.minimum(xs[0], xs[1]),
    "eq": lambda xs, a, d: xs[0] == xs[1],
    "ne": lambda xs, a, d: xs[0] != xs[1],
    "lt": lambda xs, a, d: xs[0] < xs[1],
    "le": lambda xs, a, d: xs[0] <= xs[1],
    "gt": lambda xs, a, d: xs[0] > xs[1],
    "ge": lambda xs, a, d: xs[0] >= xs[1],
    "where": lambda xs, a, d: torch.where(xs[0], xs[1], xs[2]),
    # tensor-scalar
    "add_scalar": lambda xs, a, d: xs[0] + a["value"],
    "radd_scalar": lambda xs, a, d: a["value"] + xs[0],
    "sub_scalar": lambda xs, a, d: xs[0] - a["value"],
    "rsub_scalar": lambda xs, a, d: a["value"] - xs[0],
    "mul_scalar": lambda xs, a, d: xs[0] * a["value"],
    "rmul_scalar": lambda xs, a, d: a["value"] * xs[0],
    "div_scalar": lambda xs, a, d: xs[0] / a["value"],
    "rdiv_scalar": lambda xs, a, d: a["value"] / xs[0],
    "pow_scalar": lambda xs, a, d: xs[0] ** a["value"],
    "maximum_scalar": lambda xs, a, d: torch.maximum(xs[0], torch.tensor(a["value"], dtype=xs[0].dtype)),
    "minimum_scalar": lambda xs, a, d: torch.minimum(xs[0], torch.tensor(a["value"], dtype=xs[0].dtype)),
    "eq_scalar": lambda xs, a, d: xs[0] == a["value"],
    "ne_scalar": lambda xs, a, d: xs[0] != a["value"],
    "lt_scalar": lambda xs, a, d: xs[0] < a["value"],
    "le_scalar": lambda xs, a, d: xs[0] <= a["value"],
    "gt_scalar": lambda xs, a, d: xs[0] > a["value"],
    "ge_scalar": lambda xs, a, d: xs[0] >= a["value"],
    "where_scalar_other": lambda xs, a, d: torch.where(xs[0], xs[1], a["value"]),
    "where_scalar_input": lambda xs, a, d: torch.where(xs[0], a["value"], xs[1]),
    # unary
    "neg": lambda xs, a, d: -xs[0],
    "exp": lambda xs, a, d: xs[0].exp(),
    "log": lambda xs, a, d: xs[0].log(),
    "log1p": lambda xs, a, d: xs[0].log1p(),
    "sqrt": lambda xs, a, d: xs[0].sqrt(),
    "rsqrt": lambda xs, a, d: xs[0].rsqrt(),
    "abs": lambda xs, a, d: xs[0].abs(),
    "sign": lambda xs, a, d: xs[0].sign(),
    "sigmoid": lambda xs, a, d: xs[0].sigmoid(),
    "tanh": lambda xs, a, d: xs[0].tanh(),
    "relu": lambda xs, a, d: xs[0].relu(),
    "leaky_relu": lambda xs, a, d: torch.nn.functional.leaky_relu(xs[0], a["slope"]),
    "gelu": lambda xs, a, d: torch.nn.functional.gelu(xs[0]),
    "sin": lambda xs, a, d: xs[0].sin(),
    "cos": lambda xs, a, d: xs[0].cos(),
    "square": lambda xs, a, d: xs[0].square(),
    "clamp": lambda xs, a, d: xs[0].clamp(a.get("min"), a.get("max")),
    # in place (applied to a clone of the first input)
    "add_": inplace(lambda t, o, a: t.add_(o[0], alpha=a.get("alpha", 1))),
    "sub_": inplace(lambda t, o, a: t.sub_(o[0], alpha=a.get("alpha", 1))),
    "mul_": inplace(lambda t, o, a: t.mul_(o[0])),
    "div_": inplace(lambda t, o, a: t.div_(o[0])),
    "add_scalar_": inplace(lambda t, o, a: t.add_(a["value"])),
    "sub_scalar_": inplace(lambda t, o, a: t.sub_(a["value"])),
    "mul_scalar_": inplace(lambda t, o, a: t.mul_(a["value"])),
    "div_scalar_": inplace(lambda t, o, a: t.div_(a["value"])),
    "addcmul_": inplace(lambda t, o, a: t.addcmul_(o[0], o[1], value=a["value"])),
    "addcdiv_": inplace(lambda t, o, a: t.addcdiv_(o[0], o[1], value=a["value"])),
    "lerp_": inplace(lambda t, o, a: t.lerp_(o[0], a["weight"])),
    "clamp_": inplace(lambda t, o, a: t.clamp_(a.get("min"), a.get("max"))),
    "fill_": inplace(lambda t, o, a: t.fill_(a["value"])),
    "zero_": inplace(lambda t, o, a: t.zero_()),
    "copy_": inplace(lambda t, o, a: t.copy_(o[0])),
    # reductions
    "sum": lambda xs, a, d: xs[0].sum() if a.get("dims") is None else xs[0].sum(a["dims"], keepdim=a.get("keepdim", False)),
    "mean": lambda xs, a, d: xs[0].mean() if a.get("dims") is None else xs[0].mean(a["dims"], keepdim=a.get("keepdim", False)),
    "max_all": lambda xs, a, d: xs[0].max(),
    "min_all": lambda xs, a, d: xs[0].min(),
    "max_dim": lambda xs, a, d: tuple(xs[0].max(a["dim"], keepdim=a.get("keepdim", False))),
    "min_dim": lambda xs, a, d: tuple(xs[0].min(a["dim"], keepdim=a.get("keepdim", False))),
    "amax": lambda xs, a, d: xs[0].amax(a["dims"], keepdim=a.get("keepdim", False)),
    "amin": lambda xs, a, d: xs[0].amin(a["dims"], keepdim=a.get("keepdim", False)),
    "argmax": lambda xs, a, d: xs[0].argmax(a.get("dim"), keepdim=a.get("keepdim", False)),
    "argmin": lambda xs, a, d: xs[0].argmin(a.get("dim"), keepdim=a.get("keepdim", False)),
    "var": lambda xs, a, d: torch.var(xs[0], a.get("dims"), correction=a.get("correction", 1), keepdim=a.get("keepdim", False)),
    "std": lambda xs, a, d: torch.std(xs[0], a.get("dims"), correction=a.get("correction", 1), keepdim=a.get("keepdim", False)),
    "logsumexp": lambda xs, a, d: torch.logsumexp(xs[0], a["dims"], keepdim=a.get("keepdim", False)),
    "norm": lambda xs, a, d: torch.linalg.vector_norm(xs[0], decode_value(a.get("p", 2)), a.get("dims"), keepdim=a.get("keepdim", False)),
    # linear algebra
    "matmul": lambda xs, a, d: torch.matmul(xs[0], xs[1]),
    "dot": lambda xs, a, d: torch.dot(xs[0], xs[1]),
    "mv": lambda xs, a, d: torch.mv(xs[0], xs[1]),
    "outer": lambda xs, a, d: torch.outer(xs[0], xs[1]),
    "addmm": lambda xs, a, d: torch.addmm(xs[0], xs[1], xs[2], beta=a.get("beta", 1), alpha=a.get("alpha", 1)),
    "linear": lambda xs, a, d: torch.nn.functional.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None),
    "qr": lambda xs, a, d: tuple(torch.linalg.qr(xs[0])),
}


def case(name, op, inputs=(), args=None, tol="exact", layout=False, dtypes=("float32", "float64")):
    """Runs one case in both float dtypes and returns its JSON record."""
    args = args or {}
    record = {"name": name, "op": op, "args": args, "tol": tol}
    expected = {}
    contiguity = None
    for dn in dtypes:
        fd = FLOATS[dn]
        bases, xs, outs = run_case(op, args, list(inputs), fd)
        base = bases[0] if bases else None
        expected[dn] = [encode_tensor(o, with_layout=layout, base=base) for o in outs]
        contiguity = [x.is_contiguous() for x in xs]
    record["inputs"] = [dict(spec, contiguous=c) for spec, c in zip(inputs, contiguity or [])]
    record["expected"] = expected
    return record


# ---------------------------------------------------------------- case lists


def creation_cases():
    return [
        case("zeros 2x3", "zeros", args={"shape": [2, 3]}),
        case("zeros empty", "zeros", args={"shape": [0, 3]}),
        case("zeros 0-d", "zeros", args={"shape": []}),
        case("ones 3", "ones", args={"shape": [3]}),
        case("full 2x2", "full", args={"shape": [2, 2], "value": 0.1}),
        case("arange 0..5", "arange", args={"start": 0, "end": 5, "step": 1}),
        case("arange fractional", "arange", args={"start": -1.0, "end": 1.0, "step": 0.3}),
        case("arange negative step", "arange", args={"start": 2.0, "end": -1.0, "step": -0.7}),
        case("arange empty", "arange", args={"start": 1.0, "end": 1.0, "step": 1.0}),
        case("linspace 0..1 x5", "linspace", args={"start": 0.0, "end": 1.0, "steps": 5}),
        case("linspace 0.1..0.7 x7", "linspace", args={"start": 0.1, "end": 0.7, "steps": 7}),
        case("linspace -3..2.2 x6", "linspace", args={"start": -3.0, "end": 2.2, "steps": 6}),
        case("linspace -1.3..2.9 x11", "linspace", args={"start": -1.3, "end": 2.9, "steps": 11}),
        case("linspace 0.17..-5.3 x13", "linspace", args={"start": 0.17, "end": -5.3, "steps": 13}),
        case("arange 0.1 step 0.7", "arange", args={"start": 0.1, "end": 6.0, "step": 0.7}),
        case("linspace one step", "linspace", args={"start": 3.0, "end": 10.0, "steps": 1}),
        case("linspace zero steps", "linspace", args={"start": 3.0, "end": 10.0, "steps": 0}),
        case("eye 3", "eye", args={"n": 3}),
        case("eye 2x4", "eye", args={"n": 2, "m": 4}),
        case("eye 4x2", "eye", args={"n": 4, "m": 2}),
        case("zeros_like", "zeros_like", [inp(A34, [3, 4])]),
        case("ones_like transposed", "ones_like", [inp(A34, [3, 4], views=[["t"]])]),
        case("full_like", "full_like", [inp(A34, [3, 4])], {"value": -2.5}),
    ]


def views_cases():
    x = inp(R234, [2, 3, 4])
    xt = inp(R234, [2, 3, 4], views=[["transpose", 0, 2]])
    m = inp(A34, [3, 4])
    mt = inp(A34, [3, 4], views=[["t"]])
    ms = inp(A34, [3, 4], views=[["slice", 1, 0, None, 2]])
    L = dict(layout=True)
    return [
        case("reshape contiguous", "reshape", [x], {"shape": [4, 6]}, **L),
        case("reshape infer", "reshape", [x], {"shape": [-1, 2]}, **L),
        case("reshape to 0-d", "reshape", [inp([2.5], [1, 1])], {"shape": []}, **L),
        case("reshape transposed needs copy", "reshape", [mt], {"shape": [12]}, **L),
        case("reshape transposed viewable", "reshape", [xt], {"shape": [4, 3, 2, 1]}, **L),
        case("reshape permuted split", "reshape", [inp(R234, [2, 3, 4], views=[["permute", [1, 0, 2]]])], {"shape": [3, 2, 2, 2]}, **L),
        case("reshape sliced merge", "reshape", [ms], {"shape": [6]}, **L),
        case("reshape empty", "reshape", [inp([], [0, 3])], {"shape": [3, 0]}, **L),
        case("view contiguous", "view", [x], {"shape": [6, 4]}, **L),
        case("view transposed split last", "view", [mt], {"shape": [2, 2, 3]}, **L),
        case("view sliced rows", "view", [inp(R234, [6, 4], views=[["slice", 0, 1, 5, 1]])], {"shape": [2, 2, 4]}, **L),
        case("flatten", "flatten", [x], {}, **L),
        case("flatten 1..2 transposed", "flatten", [xt], {"start": 1, "end": 2}, **L),
        case("flatten 0-d", "flatten", [inp([7.0], [])], {}, **L),
        case("transpose 0 2", "transpose", [x], {"dim0": 0, "dim1": 2}, **L),
        case("transpose negative", "transpose", [x], {"dim0": -1, "dim1": -2}, **L),
        case("permute", "permute", [x], {"dims": [2, 0, 1]}, **L),
        case("permute negative", "permute", [x], {"dims": [-1, -3, -2]}, **L),
        case("t 2-D", "t", [m], **L),
        case("t 1-D", "t", [inp([1.0, 2.0, 3.0])], **L),
        case("squeeze all", "squeeze", [inp(R234[:6], [1, 2, 1, 3])], {}, **L),
        case("squeeze dim", "squeeze", [inp(R234[:6], [1, 2, 1, 3])], {"dim": 2}, **L),
        case("squeeze non-1 dim", "squeeze", [inp(R234[:6], [1, 2, 1, 3])], {"dim": 1}, **L),
        case("unsqueeze 0", "unsqueeze", [m], {"dim": 0}, **L),
        case("unsqueeze last", "unsqueeze", [m], {"dim": -1}, **L),
        case("unsqueeze middle transposed", "unsqueeze", [mt], {"dim": 1}, **L),
        case("expand row", "expand", [inp([1.0, 2.0, 3.0], [1, 3])], {"shape": [4, 3]}, **L),
        case("expand new dims", "expand", [inp([1.0, 2.0], [2, 1])], {"shape": [3, 2, 5]}, **L),
        case("expand keep -1", "expand", [inp([1.0, 2.0], [2, 1])], {"shape": [-1, 4]}, **L),
        case("expand 0-d", "expand", [inp([4.0], [])], {"shape": [2, 3]}, **L),
        case("slice step 2", "slice", [m], {"dim": 1, "start": 0, "end": 4, "step": 2}, **L),
        case("slice negative bounds", "slice", [m], {"dim": 0, "start": -2, "end": None, "step": 1}, **L),
        case("slice clamped", "slice", [m], {"dim": 1, "start": 1, "end": 100, "step": 3}, **L),
        case("slice empty", "slice", [m], {"dim": 0, "start": 2, "end": 1, "step": 1}, **L),
        case("slice of transposed", "slice", [mt], {"dim": 0, "start": 1, "end": 3, "step": 1}, **L),
        case("narrow", "narrow", [x], {"dim": 2, "start": 1, "length": 2}, **L),
        case("select", "select", [x], {"dim": 1, "index": -1}, **L),
        case("select 1-D to 0-d", "select", [inp([1.0, 2.0, 3.0])], {"dim": 0, "index": 1}, **L),
        case("contiguous of transposed", "contiguous", [xt], **L),
        case("contiguous of expanded", "contiguous", [inp([1.0, 2.0], [2, 1], views=[["expand", [2, 3]]])], **L),
        case("contiguous of contiguous", "contiguous", [x], **L),
        case("clone of sliced", "clone", [ms], **L),
        case("split", "split", [inp(R234[:10], [10])], {"size": 4, "dim": 0}, **L),
        case("cat dim 0", "cat", [m, inp(B34[:4], [1, 4])], {"dim": 0}),
        case("cat dim 1 non-contiguous", "cat", [mt, inp(B34[:8], [4, 2])], {"dim": 1}),
        case("cat with empty", "cat", [m, inp([], [0, 4])], {"dim": 0}),
        case("stack", "stack", [m, inp(B34, [3, 4])], {"dim": 1}),
        case("gather dim 1", "gather", [m, inp([0, 3, 3, 1, 2, 0], [3, 2], dtype="int64")], {"dim": 1}),
        case("gather dim 0 transposed", "gather", [mt, inp([2, 0, 1, 1, 0, 2], [2, 3], dtype="int64")], {"dim": 0}),
        case("scatter_add dim 0", "scatter_add", [m, inp([2, 0, 0, 1, 1, 1, 0, 2], [2, 4], dtype="int64"), inp(B34[:8], [2, 4])], {"dim": 0}),
        case("scatter_add larger source", "scatter_add", [m, inp([3, 3, 0, 1], [2, 2], dtype="int64"), inp(B34, [3, 4])], {"dim": 1}),
        case("index_select", "index_select", [m, inp([2, 0, 2], [3], dtype="int64")], {"dim": 0}),
        case("index_select columns of transposed", "index_select", [mt, inp([1, 0], [2], dtype="int64")], {"dim": 1}),
        case("index_select empty", "index_select", [m, inp([], [0], dtype="int64")], {"dim": 1}),
        case("to float64", "to_float64", [mt]),
        case("to float32", "to_float32", [mt]),
        case("to int64 truncates", "to_int64", [inp(U[:9], [9])]),
        case("to bool", "to_bool", [inp(U, [12])]),
    ]


def broadcast_pairs():
    """(label, a, b) operand pairs covering broadcasting and layout edge cases."""
    return [
        ("same shape", inp(A34, [3, 4]), inp(B34, [3, 4])),
        ("row vector", inp(A34, [3, 4]), inp(B34[:4], [4])),
        ("column and row", inp(A34[:3], [3, 1]), inp(B34[:4], [1, 4])),
        ("0-d scalar", inp(A34, [3, 4]), inp([0.75], [])),
        ("0-d on the left", inp([-1.5], []), inp(B34, [3, 4])),
        ("rank mismatch", inp(R234[:6], [2, 1, 3]), inp(B34[:4], [4, 1])),
        ("size-1 dims", inp(A34[:3], [1, 3]), inp(B34[:2], [2, 1])),
        ("transposed and strided", inp(A34, [4, 3], views=[["t"]]), inp(col(B34, 24), [3, 8], views=[["slice", 1, 1, None, 2]])),
        ("expanded", inp(A34[:4], [4, 1], views=[["expand", [4, 3]]]), inp(B34, [4, 3])),
        ("empty", inp([], [0, 3]), inp(B34[:3], [3])),
        ("empty broadcast", inp([], [0]), inp([2.0], [1])),
    ]


def elementwise_cases():
    cases = []
    binary = ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"]
    for op in binary:
        for label, a, b in broadcast_pairs():
            cases.append(case(f"{op} {label}", op, [a, b]))
    # equal values so that comparisons see ties
    ties = inp([1.0, 2.0, "nan", 3.0, -0.0, "inf"], [6])
    ties_b = inp([1.0, 2.5, "nan", 2.0, 0.0, "inf"], [6])
    for op in ["eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum"]:
        cases.append(case(f"{op} ties nan inf", op, [ties, ties_b]))
    for label, a, b in broadcast_pairs()[:4] + broadcast_pairs()[7:8]:
        # With a 0-d `other`, PyTorch's scalar tail loop rounds alpha * other before adding
        # while its vector loop fuses: results depend on the element's position, so these
        # allow one rounding ("fma").
        tol = "fma" if label == "0-d scalar" else "exact"
        cases.append(case(f"add_alpha {label}", "add_alpha", [a, b], {"alpha": 0.3}, tol=tol))
        cases.append(case(f"sub_alpha {label}", "sub_alpha", [a, b], {"alpha": -1.7}, tol=tol))
    pos = inp(POS[:9] + [2.0, 0.5, 4.0], [3, 4])
    for label, b in [("same shape", inp(B34, [3, 4])), ("row", inp([2.0, 0.5, -1.0, 3.0], [4])), ("0-d", inp([1.5], []))]:
        cases.append(case(f"pow positive base {label}", "pow", [pos, b], tol="ulp"))
    cases.append(case("pow negative base integer exponents", "pow",
                      [inp([-2.0, -1.5, -0.5, 3.0, -3.0, 0.0], [6]), inp([3.0, 2.0, -1.0, 0.5, 0.0, -2.0], [6])], tol="ulp"))
    cases.append(case("pow negative base fractional exponent", "pow",
                      [inp([-2.0, -0.5], [2]), inp([0.5, 1.5], [2])], tol="ulp"))
    for v in [2.5, -1.0, 0.0]:
        a = inp(A34, [3, 4])
        cases.append(case(f"add_scalar {v}", "add_scalar", [a], {"value": v}))
        cases.append(case(f"radd_scalar {v}", "radd_scalar", [a], {"value": v}))
        cases.append(case(f"sub_scalar {v}", "sub_scalar", [a], {"value": v}))
        cases.append(case(f"rsub_scalar {v}", "rsub_scalar", [a], {"value": v}))
        cases.append(case(f"mul_scalar {v}", "mul_scalar", [a], {"value": v}))
        cases.append(case(f"rmul_scalar {v}", "rmul_scalar", [a], {"value": v}))
        cases.append(case(f"div_scalar {v}", "div_scalar", [a], {"value": v}))
        cases.append(case(f"rdiv_scalar {v}", "rdiv_scalar", [a], {"value": v}))
        cases.append(case(f"maximum_scalar {v}", "maximum_scalar", [a], {"value": v}))
        cases.append(case(f"minimum_scalar {v}", "minimum_scalar", [a], {"value": v}))
        for cmp in ["eq", "ne", "lt", "le", "gt", "ge"]:
            cases.append(case(f"{cmp}_scalar {v}", f"{cmp}_scalar", [inp(A34 + [v], [13])], {"value": v}))
    cases.append(case("div_scalar 3 (inexact)", "div_scalar", [inp(A34, [3, 4])], {"value": 3.0}))
    cases.append(case("mul_scalar 0.1 (inexact)", "mul_scalar", [inp(A34, [3, 4])], {"value": 0.1}))
    cases.append(case("add_scalar transposed", "add_scalar", [inp(A34, [3, 4], views=[["t"]])], {"value": 0.1}))
    cases.append(case("div_scalar specials", "div_scalar", [inp(U, [12])], {"value": -0.0}))
    for e in [2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.0, 0.0, 1.5, -1.3]:
        cases.append(case(f"pow_scalar {e}", "pow_scalar", [inp(U, [12])], {"value": e}, tol="ulp"))
    cases.append(case("pow_scalar 3 non-contiguous", "pow_scalar", [inp(A34, [3, 4], views=[["t"]])], {"value": 3.0}, tol="ulp"))
    # where
    cond = inp([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1], [3, 4], dtype="bool")
    cases.append(case("where same shape", "where", [cond, inp(A34, [3, 4]), inp(B34, [3, 4])]))
    cases.append(case("where broadcast", "where", [inp([1, 0, 1, 1], [4], dtype="bool"), inp(A34[:3], [3, 1]), inp([9.0], [])]))
    cases.append(case("where non-contiguous", "where", [cond, inp(A34, [4, 3], views=[["t"]]), inp(col(B34, 24), [3, 8], views=[["slice", 1, 0, None, 2]])]))
    cases.append(case("where empty", "where", [inp([], [0, 4], dtype="bool"), inp(A34[:4], [4]), inp([1.0], [])]))
    cases.append(case("where scalar other", "where_scalar_other", [cond, inp(A34, [3, 4])], {"value": -7.5}))
    cases.append(case("where scalar input", "where_scalar_input", [cond, inp(A34, [3, 4])], {"value": 0.1}))
    # unary
    unary_math = ["exp", "log", "log1p", "sigmoid", "tanh", "sin", "cos"]
    unary_exact = ["neg", "abs", "sign", "relu", "square", "sqrt", "rsqrt"]
    for op in unary_exact + unary_math:
        tol = "ulp" if op in unary_math else "exact"
        cases.append(case(f"{op} specials", op, [inp(U, [3, 4])], tol=tol))
        cases.append(case(f"{op} positive", op, [inp(POS, [3, 4])], tol=tol))
        cases.append(case(f"{op} transposed", op, [inp(A34, [3, 4], views=[["t"]])], tol=tol))
        cases.append(case(f"{op} empty", op, [inp([], [2, 0])], tol=tol))
    # float32 GELU: PyTorch runs oneDNN's erf approximation (about 1e-4 relative error for
    # x < -3, NaN at +inf), Descent the exact erf; only float64 is compared.
    for label, a in [("specials", inp(U, [3, 4])), ("positive", inp(POS, [3, 4])), ("transposed", inp(A34, [3, 4], views=[["t"]]))]:
        cases.append(case(f"gelu {label}", "gelu", [a], tol="ulp", dtypes=("float64",)))
    cases.append(case("exp large and small", "exp", [inp([-100.0, -20.0, 20.0, 80.0, 88.5, 700.0], [6])], tol="ulp"))
    cases.append(case("sigmoid tails", "sigmoid", [inp([-100.0, -30.0, -15.0, 15.0, 30.0, 100.0], [6])], tol="ulp"))
    cases.append(case("log1p tiny", "log1p", [inp([1e-10, -1e-7, 3e-5, 0.0], [4])], tol="ulp"))
    cases.append(case("leaky_relu", "leaky_relu", [inp(U, [12])], {"slope": 0.01}))
    cases.append(case("leaky_relu slope 0.2", "leaky_relu", [inp(A34, [3, 4], views=[["t"]])], {"slope": 0.2}))
    for label, a in [("min and max", {"min": -1.0, "max": 2.0}), ("min only", {"min": 0.5}), ("max only", {"max": -0.25}),
                     ("min above max", {"min": 2.0, "max": 1.0})]:
        cases.append(case(f"clamp {label}", "clamp", [inp(U, [12])], a))
    cases.append(case("clamp transposed", "clamp", [inp(A34, [3, 4], views=[["t"]])], {"min": -1.0, "max": 1.0}))
    return cases


def promotion_cases():
    """Type promotion: fixed dtypes, run once (dtype-independent)."""
    only = dict(dtypes=("float32",))
    a32 = inp(A34, [3, 4], dtype="float32")
    a64 = inp(B34, [3, 4], dtype="float64")
    s64 = inp([0.1], [], dtype="float64")
    s32 = inp([0.1], [], dtype="float32")
    i64 = inp([1, -2, 3, 4], [4], dtype="int64")
    b = inp([1, 0, 1, 1], [4], dtype="bool")
    return [
        case("float32 + float64", "add", [a32, a64], **only),
        case("float64 * float32", "mul", [a64, a32], **only),
        case("float32 + 0-d float64", "add", [a32, s64], **only),
        case("0-d float64 * float32", "mul", [s64, a32], **only),
        case("float64 - 0-d float32", "sub", [a64, s32], **only),
        case("0-d float32 + 0-d float64", "add", [s32, s64], **only),
        case("int64 + float scalar", "add_scalar", [i64], {"value": 0.5}, **only),
        case("int64 * float32", "mul", [i64, inp(A34[:4], [4], dtype="float32")], **only),
        case("int64 + 0-d float64", "add", [i64, s64], **only),
        case("bool * float scalar", "mul_scalar", [b], {"value": 2.5}, **only),
        case("float32 < float64", "lt", [a32, a64], **only),
        case("float32 == 0-d float64", "eq", [inp([0.1, 0.2], [2], dtype="float32"), s64], **only),
        case("int64 > float scalar", "gt_scalar", [i64], {"value": 1.5}, **only),
        case("where float32 float64", "where", [b, inp(A34[:4], [4], dtype="float32"), inp(B34[:4], [4], dtype="float64")], **only),
        case("where float32 0-d float64", "where", [b, inp(A34[:4], [4], dtype="float32"), s64], **only),
        case("maximum float32 float64", "maximum", [inp(A34[:4], [4], dtype="float32"), inp(B34[:4], [4], dtype="float64")], **only),
        case("sum bool counts", "sum", [inp([1, 0, 1, 1, 0, 1], [2, 3], dtype="bool")], {}, **only),
        case("sum bool dims", "sum", [inp([1, 0, 1, 1, 0, 1], [2, 3], dtype="bool")], {"dims": [1]}, **only),
        case("sum int64 keepdim", "sum", [inp([1, -2, 3, 4, 50, -6], [2, 3], dtype="int64")], {"dims": [0], "keepdim": True}, **only),
        case("max int64", "max_all", [inp([1, -2, 3, 4, 50, -6], [2, 3], dtype="int64")], **only),
        case("amin int64", "amin", [inp([1, -2, 3, 4, 50, -6], [2, 3], dtype="int64")], {"dims": [1]}, **only),
        case("max_dim int64", "max_dim", [inp([1, -2, 3, 4, 50, -6], [2, 3], dtype="int64")], {"dim": 1}, **only),
        case("argmax int64", "argmax", [inp([1, -2, 3, 4, 50, -6], [2, 3], dtype="int64")], {"dim": 0}, **only),
        case("pow float32 0-d float64", "pow", [inp(POS[:4], [4], dtype="float32"), s64], tol="ulp", **only),
    ]


def inplace_cases():
    cases = []
    # 37 elements: long enough for PyTorch's vectorised loop plus a scalar tail.
    n = 37
    a = inp(col(R234, n), [n])
    b = inp(col(B34, n), [n])
    c = inp([v + 0.5 for v in col(A34[1:], n)], [n])
    for alpha in [1.0, 0.3, -2.5]:
        cases.append(case(f"add_ alpha {alpha}", "add_", [a, b], {"alpha": alpha}))
        cases.append(case(f"sub_ alpha {alpha}", "sub_", [a, b], {"alpha": alpha}))
    cases.append(case("add_ broadcast row", "add_", [inp(A34, [3, 4]), inp(B34[:4], [4])]))
    cases.append(case("add_ into transposed", "add_", [inp(A34, [4, 3], views=[["t"]]), inp(B34, [3, 4])], {"alpha": 0.5}))
    cases.append(case("mul_", "mul_", [a, b]))
    cases.append(case("div_", "div_", [a, c]))
    cases.append(case("mul_ broadcast 0-d", "mul_", [inp(A34, [3, 4]), inp([0.7], [])]))
    for v in [0.1, -3.0]:
        cases.append(case(f"add_ scalar {v}", "add_scalar_", [a], {"value": v}))
        cases.append(case(f"sub_ scalar {v}", "sub_scalar_", [a], {"value": v}))
        cases.append(case(f"mul_ scalar {v}", "mul_scalar_", [a], {"value": v}))
        cases.append(case(f"div_ scalar {v}", "div_scalar_", [a], {"value": v}))
    for v in [1.0, 0.3, -0.01]:
        cases.append(case(f"addcmul_ value {v}", "addcmul_", [a, b, c], {"value": v}))
        cases.append(case(f"addcdiv_ value {v}", "addcdiv_", [a, b, c], {"value": v}))
    for w in [0.1, 0.5, 0.9, 0.001]:
        cases.append(case(f"lerp_ weight {w}", "lerp_", [a, b], {"weight": w}))
    cases.append(case("addcmul_ broadcast", "addcmul_", [inp(A34, [3, 4]), inp(B34[:4], [4]), inp([2.0], [])], {"value": 0.5}))
    cases.append(case("clamp_", "clamp_", [inp(U, [12])], {"min": -1.0, "max": 1.0}))
    cases.append(case("fill_", "fill_", [inp(A34, [3, 4])], {"value": 0.1}))
    cases.append(case("zero_", "zero_", [inp(A34, [3, 4])]))
    cases.append(case("copy_ broadcast", "copy_", [inp(A34, [3, 4]), inp(B34[:4], [4])]))
    cases.append(case("copy_ from transposed", "copy_", [inp(A34, [3, 4]), inp(B34, [4, 3], views=[["t"]])]))
    cases.append(case("copy_ from float64 int64", "copy_", [inp(A34[:4], [4]), inp([1, -2, 3, 4], [4], dtype="int64")]))
    return cases


def reduction_cases():
    cases = []
    x = inp(R234, [2, 3, 4])
    xp = inp(R234, [4, 3, 2], views=[["permute", [2, 1, 0]]])
    empty = inp([], [0, 3])
    dims_variants = [
        ("all", {}),
        ("dim 0", {"dims": [0]}),
        ("dim -1 keepdim", {"dims": [-1], "keepdim": True}),
        ("dims 0 2", {"dims": [0, 2]}),
        ("dims 2 0 keepdim", {"dims": [2, 0], "keepdim": True}),
    ]
    for op in ["sum", "mean", "var", "std", "norm"]:
        for label, a in dims_variants:
            cases.append(case(f"{op} {label}", op, [x], a, tol="accum"))
        cases.append(case(f"{op} permuted dims 1", op, [xp], {"dims": [1]}, tol="accum"))
        cases.append(case(f"{op} 0-d", op, [inp([2.5], [])], {}, tol="accum"))
    for corr in [0, 2]:
        cases.append(case(f"var correction {corr}", "var", [x], {"dims": [1], "correction": corr}, tol="accum"))
        cases.append(case(f"std correction {corr}", "std", [x], {"correction": corr}, tol="accum"))
    cases.append(case("var single element", "var", [inp([3.0], [1])], {}, tol="accum"))
    for p in [1, 3, 0, "inf", "-inf", 0.5]:
        pv = float(p) if isinstance(p, str) else p
        cases.append(case(f"norm p={p}", "norm", [x], {"p": encode_value(pv), "dims": [2]}, tol="accum"))
    for p in [2, "inf", 0]:
        pv = float(p) if isinstance(p, str) else p
        cases.append(case(f"norm p={p} with zeros", "norm", [inp([0.0, 0.0, 3.0, -4.0, 0.0, 0.0], [2, 3])], {"p": encode_value(pv), "dims": [1]}, tol="accum"))
    for label, a in [("dims 1", {"dims": [1]}), ("dims 0 2 keepdim", {"dims": [0, 2], "keepdim": True}), ("dims -1", {"dims": [-1]})]:
        cases.append(case(f"logsumexp {label}", "logsumexp", [x], a, tol="accum"))
    cases.append(case("logsumexp large", "logsumexp", [inp([1000.0, 1000.5, -1000.0, 999.0], [2, 2])], {"dims": [1]}, tol="accum"))
    cases.append(case("logsumexp -inf row", "logsumexp", [inp(["-inf", "-inf", 1.0, "inf"], [2, 2])], {"dims": [1]}, tol="accum"))
    cases.append(case("logsumexp permuted", "logsumexp", [xp], {"dims": [0]}, tol="accum"))
    for op in ["max_all", "min_all"]:
        cases.append(case(f"{op}", op, [x]))
        cases.append(case(f"{op} permuted", op, [xp]))
        cases.append(case(f"{op} nan", op, [inp([1.0, "nan", 3.0], [3])]))
        cases.append(case(f"{op} 0-d", op, [inp([-2.0], [])]))
    ties = inp([1.0, 3.0, 3.0, -2.0, -2.0, 0.5, 2.0, 2.0, 2.0], [3, 3])
    for op in ["max_dim", "min_dim"]:
        for label, a in [("dim 1", {"dim": 1}), ("dim 0 keepdim", {"dim": 0, "keepdim": True}), ("dim -1", {"dim": -1})]:
            cases.append(case(f"{op} {label}", op, [x], a))
        cases.append(case(f"{op} ties", op, [ties], {"dim": 1}))
        cases.append(case(f"{op} permuted", op, [xp], {"dim": 2}))
        cases.append(case(f"{op} nan", op, [inp([1.0, "nan", 3.0, 0.0, 5.0, -1.0], [2, 3])], {"dim": 1}))
    for op in ["amax", "amin"]:
        cases.append(case(f"{op} dims 0 2", op, [x], {"dims": [0, 2]}))
        cases.append(case(f"{op} dims 1 keepdim", op, [xp], {"dims": [1], "keepdim": True}))
    for op in ["argmax", "argmin"]:
        cases.append(case(f"{op} flat", op, [x]))
        cases.append(case(f"{op} dim 1", op, [x], {"dim": 1}))
        cases.append(case(f"{op} dim 2 keepdim", op, [x], {"dim": 2, "keepdim": True}))
        cases.append(case(f"{op} permuted dim 0", op, [xp], {"dim": 0}))
        cases.append(case(f"{op} ties", op, [ties], {"dim": 1}))
        cases.append(case(f"{op} flat ties", op, [ties]))
        cases.append(case(f"{op} nan", op, [inp([1.0, "nan", 3.0, "nan", 5.0, -1.0], [2, 3])], {"dim": 1}))
    # empty tensors
    cases.append(case("sum empty all", "sum", [empty], {}, tol="accum"))
    cases.append(case("sum empty dim 0", "sum", [empty], {"dims": [0]}, tol="accum"))
    cases.append(case("sum empty dim 1", "sum", [empty], {"dims": [1]}, tol="accum"))
    cases.append(case("mean empty dim 0", "mean", [empty], {"dims": [0]}, tol="accum"))
    cases.append(case("logsumexp empty dim 0", "logsumexp", [empty], {"dims": [0]}, tol="accum"))
    cases.append(case("norm empty dim 0", "norm", [empty], {"dims": [0]}, tol="accum"))
    cases.append(case("var empty dim 0", "var", [empty], {"dims": [0]}, tol="accum"))
    cases.append(case("amax empty rows", "amax", [empty], {"dims": [1]}))
    cases.append(case("max_dim empty rows", "max_dim", [empty], {"dim": 1}))
    cases.append(case("sum expanded", "sum", [inp([1.0, 2.0, 3.0], [3, 1], views=[["expand", [3, 4]]])], {"dims": [1]}, tol="accum"))
    return cases


def matmul_cases():
    def rnd(n, seed):
        g = torch.Generator().manual_seed(seed)
        return [round(v, 3) for v in (torch.rand(n, generator=g, dtype=torch.float64) * 4 - 2).tolist()]

    combos = [
        ("1-D x 1-D", [4], [4]),
        ("1-D x 2-D", [3], [3, 4]),
        ("2-D x 1-D", [2, 3], [3]),
        ("2-D x 2-D", [2, 3], [3, 4]),
        ("3-D x 3-D", [2, 2, 3], [2, 3, 4]),
        ("3-D x 2-D", [2, 2, 3], [3, 4]),
        ("2-D x 3-D", [2, 3], [2, 3, 4]),
        ("4-D x 3-D broadcast batch", [2, 1, 2, 3], [3, 3, 2]),
        ("1-D x 3-D", [3], [2, 3, 4]),
        ("3-D x 1-D", [2, 2, 3], [3]),
        ("1-D x 4-D", [3], [2, 1, 3, 2]),
        ("4-D x 1-D", [1, 2, 2, 3], [3]),
        ("3-D x 3-D broadcast 1", [1, 2, 3], [3, 3, 2]),
        ("4-D x 4-D broadcast both", [2, 1, 2, 3], [1, 3, 3, 2]),
        ("2-D x 2-D column result", [3, 4], [4, 1]),
        ("2-D x 2-D row operand", [1, 4], [4, 3]),
        ("k = 1", [3, 1], [1, 2]),
    ]
    cases = []
    seed = 1
    for label, sa, sb in combos:
        a = inp(rnd(math.prod(sa), seed), sa)
        b = inp(rnd(math.prod(sb), seed + 100), sb)
        seed += 1
        cases.append(case(f"matmul {label}", "matmul", [a, b], tol="accum"))
    # layouts that BLAS takes with transpose flags, and layouts that need a copy
    A = rnd(12, 50)
    B = rnd(20, 51)
    cases += [
        case("matmul A transposed", "matmul", [inp(A, [4, 3], views=[["t"]]), inp(B[:16], [4, 4])], tol="accum"),
        case("matmul B transposed", "matmul", [inp(A, [3, 4]), inp(B, [5, 4], views=[["t"]])], tol="accum"),
        case("matmul both transposed", "matmul", [inp(A, [4, 3], views=[["t"]]), inp(B, [5, 4], views=[["t"]])], tol="accum"),
        case("matmul A column slice (lda > cols)", "matmul", [inp(col(A, 15), [3, 5], views=[["slice", 1, 1, 5, 1]]), inp(B[:16], [4, 4])], tol="accum"),
        case("matmul A strided columns (copy)", "matmul", [inp(col(A, 24), [3, 8], views=[["slice", 1, 0, None, 2]]), inp(B[:16], [4, 4])], tol="accum"),
        case("matmul B row step (copy)", "matmul", [inp(A, [3, 4]), inp(col(B, 32), [8, 4], views=[["slice", 0, 0, None, 2]])], tol="accum"),
        case("matmul batch transposed", "matmul", [inp(col(A, 24), [2, 4, 3], views=[["transpose", 1, 2]]), inp(col(B, 24), [2, 4, 3])], tol="accum"),
        case("matmul batch-major permuted", "matmul", [inp(col(A, 24), [3, 2, 4], views=[["permute", [1, 0, 2]]]), inp(col(B, 20), [4, 5])], tol="accum"),
        case("matmul expanded batch", "matmul", [inp(A, [1, 3, 4], views=[["expand", [2, 3, 4]]]), inp(col(B, 40), [2, 4, 5])], tol="accum"),
        case("matmul expanded row (stride 0)", "matmul", [inp(A[:4], [1, 4], views=[["expand", [3, 4]]]), inp(B[:16], [4, 4])], tol="accum"),
        case("matmul transposed matrix x vector", "matmul", [inp(A, [4, 3], views=[["t"]]), inp(B[:4], [4])], tol="accum"),
        case("matmul matrix x strided vector", "matmul", [inp(A, [3, 4]), inp(B[:8], [8], views=[["slice", 0, 0, None, 2]])], tol="accum"),
        case("matmul vector x transposed matrix", "matmul", [inp(B[:3], [3]), inp(A, [4, 3], views=[["t"]])], tol="accum"),
        case("matmul strided 1-D x 1-D", "matmul", [inp(B[:8], [8], views=[["slice", 0, 1, None, 2]]), inp(A[:4], [4])], tol="accum"),
        case("matmul empty n", "matmul", [inp([], [0, 3]), inp(A, [3, 4])], tol="accum"),
        case("matmul empty k", "matmul", [inp([], [2, 0]), inp([], [0, 3])], tol="accum"),
        case("matmul empty batch", "matmul", [inp([], [0, 2, 3]), inp(A, [3, 4])], tol="accum"),
        case("matmul empty 1-D", "matmul", [inp([], [0]), inp([], [0])], tol="accum"),
        case("dot", "dot", [inp(A[:5], [5]), inp(B[:5], [5])], tol="accum"),
        case("dot strided", "dot", [inp(A[:10], [10], views=[["slice", 0, 0, None, 2]]), inp(B[:5], [5])], tol="accum"),
        case("mv", "mv", [inp(A, [3, 4]), inp(B[:4], [4])], tol="accum"),
        case("mv transposed", "mv", [inp(A, [4, 3], views=[["t"]]), inp(B[:4], [4])], tol="accum"),
        case("outer", "outer", [inp(A[:3], [3]), inp(B[:4], [4])]),
        case("outer strided", "outer", [inp(A[:6], [6], views=[["slice", 0, 1, None, 2]]), inp(B[:2], [2])]),
    ]
    # one larger product so that BLAS takes its blocked path
    cases.append(case("matmul 17x33 @ 33x9", "matmul", [inp(rnd(17 * 33, 90), [17, 33]), inp(rnd(33 * 9, 91), [33, 9])], tol="accum"))
    # addmm (the bias added by the gemm) and F.linear, as nn.Linear runs them
    W = rnd(20, 92)
    X = rnd(12, 93)
    b5 = rnd(5, 94)
    cases += [
        case("addmm row bias, transposed mat2", "addmm", [inp(b5, [5]), inp(X, [3, 4]), inp(W, [5, 4], views=[["t"]])], tol="accum"),
        case("addmm full input, beta and alpha", "addmm", [inp(rnd(15, 95), [3, 5]), inp(X, [3, 4]), inp(W, [4, 5])], {"beta": 0.5, "alpha": -2.0}, tol="accum"),
        case("addmm beta 0 ignores NaN input", "addmm", [inp(["nan"] * 5, [5]), inp(X, [3, 4]), inp(W, [4, 5])], {"beta": 0}, tol="accum"),
        case("addmm column input, transposed mat1", "addmm", [inp(rnd(3, 96), [3, 1]), inp(X, [4, 3], views=[["t"]]), inp(W, [4, 5])], tol="accum"),
        case("addmm 0-d input", "addmm", [inp([1.5], []), inp(X, [3, 4]), inp(W, [4, 5])], tol="accum"),
        case("addmm empty k", "addmm", [inp(b5, [5]), inp([], [3, 0]), inp([], [0, 5])], {"beta": 2.0}, tol="accum"),
        case("linear 2-D", "linear", [inp(X, [3, 4]), inp(W, [5, 4]), inp(b5, [5])], tol="accum"),
        case("linear 1-D input", "linear", [inp(X[:4], [4]), inp(W, [5, 4]), inp(b5, [5])], tol="accum"),
        case("linear 3-D input", "linear", [inp(rnd(24, 97), [2, 3, 4]), inp(W, [5, 4]), inp(b5, [5])], tol="accum"),
        case("linear transposed 3-D input", "linear", [inp(rnd(24, 97), [2, 4, 3], views=[["transpose", 1, 2]]), inp(W, [5, 4]), inp(b5, [5])], tol="accum"),
        case("linear without bias", "linear", [inp(X, [3, 4]), inp(W, [5, 4])], tol="accum"),
    ]
    return cases


def linalg_cases():
    def rnd(n, seed):
        g = torch.Generator().manual_seed(seed)
        return [round(v, 3) for v in (torch.rand(n, generator=g, dtype=torch.float64) * 4 - 2).tolist()]

    cases = []
    for label, shape, seed in [("tall 5x3", [5, 3], 7), ("square 4x4", [4, 4], 8), ("wide 3x5", [3, 5], 9), ("column 4x1", [4, 1], 10)]:
        cases.append(case(f"qr {label}", "qr", [inp(rnd(math.prod(shape), seed), shape)], tol="qr"))
    cases.append(case("qr transposed input", "qr", [inp(rnd(12, 11), [3, 4], views=[["t"]])], tol="qr"))
    return cases


def repr_cases():
    """Tensors and the strings PyTorch's repr gives for them."""
    specs = [
        ("integers", inp([1.0, 2.0, 3.0], [3])),
        ("fixed", inp([1.5, -0.25, 3.125], [3])),
        ("matrix", inp(A34, [3, 4])),
        ("3-D", inp(R234, [2, 3, 4])),
        ("0-d float", inp([3.5], [])),
        ("0-d integer valued", inp([3.0], [])),
        ("negative zero", inp([-0.0, 1.0], [2])),
        ("scientific small", inp([1e-5, 0.5], [2])),
        ("scientific ratio", inp([0.001, 2.5], [2])),
        ("scientific large", inp([1.5e9, 2.0], [2])),
        ("integer ratio > 1000", inp([1.0, 10000.0], [2])),
        ("integers with nan", inp([1.0, "nan", 10.0], [3])),
        ("fixed with inf", inp([1.5, "inf", "-inf"], [3])),
        ("zeros and nan", inp([0.0, "nan"], [2])),
        ("all zeros", inp([0.0, 0.0], [2])),
        ("wide negative", inp([-123.456, 0.5, 7.0], [3])),
        ("long row", inp(("arange", -3.0, 0.37), [30])),
        ("long integer row", inp(("arange", 0.0, 1.0), [40])),
        ("long rows 2-D", inp(("arange", 0.5, 1.0), [2, 25])),
        ("summarized 1-D", inp(("arange", 0.0, 0.5), [1200])),
        ("summarized 2-D", inp(("arange", 0.0, 1.0), [40, 40])),
        ("summarized 3-D", inp(("arange", 0.0, 0.25), [10, 10, 11])),
        ("empty 1-D", inp([], [0])),
        ("empty 2-D", inp([], [0, 3])),
        ("empty 3-D", inp([], [2, 0, 1])),
        ("transposed", inp(A34, [3, 4], views=[["t"]])),
    ]
    out = []
    for label, spec in specs:
        for dn in ["float32", "float64"]:
            _, t = build(spec, FLOATS[dn])
            out.append({"name": f"{label} {dn}", "input": spec, "dtype": dn, "requiresGrad": False, "repr": repr(t)})
    extra = [
        ("int64", inp([1, -20, 300], [3], dtype="int64")),
        ("int64 matrix", inp([1, -20, 300, 4, 5, 6], [2, 3], dtype="int64")),
        ("int64 empty", inp([], [0], dtype="int64")),
        ("bool", inp([1, 0, 1], [3], dtype="bool")),
        ("bool empty", inp([], [0, 2], dtype="bool")),
        ("int64 0-d", inp([7], [], dtype="int64")),
    ]
    for label, spec in extra:
        _, t = build(spec, torch.float32)
        out.append({"name": label, "input": spec, "dtype": spec["dtype"], "requiresGrad": False, "repr": repr(t)})
    for label, spec, dn in [("requires grad", inp([1.5, 2.0], [2]), "float32"), ("requires grad float64", inp([1.0, 2.0], [2]), "float64"),
                            ("requires grad long row", inp(("arange", 0.25, 1.0), [13]), "float64")]:
        _, t = build(spec, FLOATS[dn])
        t.requires_grad_(True)
        out.append({"name": label, "input": spec, "dtype": dn, "requiresGrad": True, "repr": repr(t)})
    return out


# ---------------------------------------------------------------- autograd


def error_message(fn):
    """PyTorch's message if `fn` raises, else None."""
    try:
        fn()
    except RuntimeError as e:
        return str(e)
    return None


def grad_assignment_cases():
    """`t.grad = g` for every pair of dtypes, with g of t's size and of another size."""
    dtypes = {**FLOATS, **OTHER}
    out = []
    for tn, td in dtypes.items():
        for gn, gd in dtypes.items():
            for gshape in ([2, 3], [3, 2], [6]):
                t = torch.zeros(2, 3, dtype=td, requires_grad=td.is_floating_point)

                def assign():
                    t.grad = torch.zeros(gshape, dtype=gd)

                out.append({"dtype": tn, "shape": [2, 3], "grad_dtype": gn, "grad_shape": gshape, "message": error_message(assign)})
    own = torch.zeros(2, requires_grad=True)

    def assign_own():
        own.grad = own

    return {"cases": out, "own_grad_message": error_message(assign_own)}


def copy_cases():
    """`dst.copy_(src)` with `src` requiring grad: the node it records on a fresh `dst` and the
    gradient `src` gets from `(dst * weights).sum()` (or, with "used_before", from an earlier
    `(dst + weights).sum()`, weights requiring grad, recorded before the copy)."""
    specs = [
        ("same shape and dtype", [3], "float32", [3], "float32", False, False),
        ("broadcast row into float64", [2, 3], "float64", [3], "float32", False, False),
        ("broadcast column, float64 source", [2, 3], "float32", [2, 1], "float64", False, False),
        ("0-d source", [2, 2], "float32", [], "float32", False, False),
        ("int64 destination", [3], "int64", [3], "float32", False, False),
        ("under no_grad", [3], "float32", [3], "float32", True, False),
        ("destination used before the copy", [3], "float32", [3], "float32", False, True),
    ]
    out = []
    for name, dshape, dn, sshape, sn, no_grad, used_before in specs:
        n = math.prod(sshape)
        src = (torch.arange(n, dtype=torch.float64) * 0.5 - 1).to({**FLOATS, **OTHER}[sn]).reshape(sshape).requires_grad_()
        dst = torch.zeros(dshape, dtype={**FLOATS, **OTHER}[dn])
        weights = torch.arange(math.prod(dshape), dtype=torch.float64).reshape(dshape) + 1
        # `dst + w` with a `w` that requires grad: `dst` gets no edge in this earlier graph.
        earlier = (dst + weights.clone().requires_grad_()).sum() if used_before else None
        if no_grad:
            with torch.no_grad():
                dst.copy_(src)
        else:
            dst.copy_(src)
        record = {
            "name": name, "dst_shape": dshape, "dst_dtype": dn, "src_shape": sshape, "src_dtype": sn,
            "src": encode_tensor(src), "weights": [encode_value(v) for v in weights.reshape(-1).tolist()],
            "no_grad": no_grad, "used_before": used_before,
            "grad_fn": type(dst.grad_fn).__name__ if dst.grad_fn is not None else None,
            "requires_grad": dst.requires_grad, "is_leaf": dst.is_leaf,
            "dst": encode_tensor(dst),
        }
        if used_before:
            earlier.backward()
        elif dst.requires_grad:
            (dst * weights.to(dst.dtype)).sum().backward()
        record["src_grad"] = encode_tensor(src.grad) if src.grad is not None else None
        out.append(record)
    leaf = torch.zeros(3, requires_grad=True)
    return {"cases": out, "leaf_message": error_message(lambda: leaf.copy_(torch.ones(3)))}


def index_select_cases():
    """`index_select` of a [3, 4] float64 leaf: its node and the gradient of
    `(out * weights).sum()`, including empty and 0-d indices."""
    specs = [
        ("rows with a repeat", 0, [2, 0, 2]),
        ("one column", 1, [1]),
        ("0-d index", 1, 3),
        ("empty index along dim 0", 0, []),
        ("empty index along dim 1", 1, []),
    ]
    out = []
    for name, dim, index in specs:
        x = torch.tensor(A34, dtype=torch.float64).reshape(3, 4).requires_grad_()
        idx = torch.tensor(index, dtype=torch.int64)
        y = torch.index_select(x, dim, idx)
        weights = torch.arange(y.numel(), dtype=torch.float64).reshape(y.shape) + 1
        (y * weights).sum().backward()
        out.append({
            "name": name, "input": encode_tensor(x), "dim": dim, "index": index, "index_shape": list(idx.shape),
            "grad_fn": type(y.grad_fn).__name__, "output": encode_tensor(y), "grad": encode_tensor(x.grad),
        })
    return out


def grad_fn_name_cases():
    """Ops (from OPS) on inputs whose floating base tensors require grad, with the name of each
    output's grad_fn (None where the output is not part of the graph). Names don't depend on
    the float dtype; float32 is used."""
    m = inp(A34, [3, 4])
    mt = inp(A34, [3, 4], views=[["t"]])
    v = inp(A34[:4])
    w = inp(B34[:4])
    mb = inp(B34, [3, 4])
    m314 = inp(A34, [3, 1, 4])
    mask = inp(col([1, 0, 0, 1, 1], 12), [3, 4], dtype="bool")
    index = inp([2, 0], [2], dtype="int64")
    gather_index = inp([0, 3, 1, 1, 2, 0], [3, 2], dtype="int64")
    specs = [
        # views and copies
        ("reshape contiguous", "reshape", [m], {"shape": [4, 3]}),
        ("reshape transposed as a view", "reshape", [mt], {"shape": [4, 3, 1]}),
        ("reshape transposed to its own shape", "reshape", [mt], {"shape": [4, 3]}),
        ("reshape transposed with a copy", "reshape", [mt], {"shape": [12]}),
        ("view", "view", [m], {"shape": [12]}),
        ("flatten", "flatten", [m], {}),
        ("flatten one dim", "flatten", [m], {"start": 1, "end": 1}),
        ("flatten transposed", "flatten", [mt], {}),
        ("transpose", "transpose", [m], {"dim0": 0, "dim1": 1}),
        ("transpose 1-D", "transpose", [v], {"dim0": 0, "dim1": 0}),
        ("permute", "permute", [m], {"dims": [1, 0]}),
        ("t", "t", [m], {}),
        ("t 1-D", "t", [v], {}),
        ("squeeze all", "squeeze", [m314], {"dim": None}),
        ("squeeze dim", "squeeze", [m314], {"dim": 1}),
        ("squeeze dim not of size 1", "squeeze", [m314], {"dim": 0}),
        ("unsqueeze", "unsqueeze", [m], {"dim": 1}),
        ("expand", "expand", [m], {"shape": [2, 3, 4]}),
        ("expand to its own shape", "expand", [m], {"shape": [3, 4]}),
        ("slice", "slice", [m], {"dim": 1, "start": 1, "end": 3, "step": 1}),
        ("narrow", "narrow", [m], {"dim": 0, "start": 1, "length": 2}),
        ("select", "select", [m], {"dim": 1, "index": -1}),
        ("split", "split", [m], {"size": 2, "dim": 1}),
        ("contiguous of contiguous", "contiguous", [m], {}),
        ("contiguous of transposed", "contiguous", [mt], {}),
        ("clone", "clone", [m], {}),
        ("to float64", "to_float64", [m], {}),
        ("cat", "cat", [m, mb], {"dim": 0}),
        ("stack", "stack", [m, mb], {"dim": 1}),
        ("gather", "gather", [m, gather_index], {"dim": 1}),
        ("index_select", "index_select", [m, index], {"dim": 0}),
        ("scatter_add", "scatter_add", [m, gather_index, mb], {"dim": 1}),
        # reductions
        ("sum", "sum", [m], {}),
        ("sum over a dim", "sum", [m], {"dims": [1]}),
        ("sum over no dims", "sum", [m], {"dims": []}),
        ("mean", "mean", [m], {}),
        ("mean over a dim, keepdim", "mean", [m], {"dims": [0], "keepdim": True}),
        ("max", "max_all", [m], {}),
        ("min", "min_all", [m], {}),
        ("max over a dim", "max_dim", [m], {"dim": 1}),
        ("min over a dim", "min_dim", [m], {"dim": 0, "keepdim": True}),
        ("amax", "amax", [m], {"dims": [1]}),
        ("amin", "amin", [m], {"dims": [0, 1]}),
        ("var", "var", [m], {"dims": [1]}),
        ("std", "std", [m], {}),
        ("logsumexp", "logsumexp", [m], {"dims": [1]}),
        ("norm", "norm", [m], {}),
        # elementwise
        ("add", "add", [m, mb], {}),
        ("sub", "sub", [m, mb], {}),
        ("mul", "mul", [m, mb], {}),
        ("div", "div", [m, mb], {}),
        ("add alpha", "add_alpha", [m, mb], {"alpha": 2.0}),
        ("sub alpha", "sub_alpha", [m, mb], {"alpha": 2.0}),
        ("pow", "pow", [m, mb], {}),
        ("maximum", "maximum", [m, mb], {}),
        ("minimum", "minimum", [m, mb], {}),
        ("where", "where", [mask, m, mb], {}),
        ("eq", "eq", [m, mb], {}),
        ("add scalar", "add_scalar", [m], {"value": 1.5}),
        ("radd scalar", "radd_scalar", [m], {"value": 1.5}),
        ("sub scalar", "sub_scalar", [m], {"value": 1.5}),
        ("rsub scalar", "rsub_scalar", [m], {"value": 1.5}),
        ("mul scalar", "mul_scalar", [m], {"value": 1.5}),
        ("rmul scalar", "rmul_scalar", [m], {"value": 1.5}),
        ("div scalar", "div_scalar", [m], {"value": 1.5}),
        ("rdiv scalar", "rdiv_scalar", [m], {"value": 1.5}),
        ("pow scalar", "pow_scalar", [m], {"value": 3.0}),
        ("maximum scalar", "maximum_scalar", [m], {"value": 0.5}),
        ("square", "square", [m], {}),
        ("neg", "neg", [m], {}),
        ("exp", "exp", [m], {}),
        ("log", "log", [m], {}),
        ("log1p", "log1p", [m], {}),
        ("sqrt", "sqrt", [m], {}),
        ("rsqrt", "rsqrt", [m], {}),
        ("abs", "abs", [m], {}),
        ("sign", "sign", [m], {}),
        ("sigmoid", "sigmoid", [m], {}),
        ("tanh", "tanh", [m], {}),
        ("relu", "relu", [m], {}),
        ("leaky_relu", "leaky_relu", [m], {"slope": 0.1}),
        ("gelu", "gelu", [m], {}),
        ("sin", "sin", [m], {}),
        ("cos", "cos", [m], {}),
        ("clamp", "clamp", [m], {"min": -1.0, "max": 1.0}),
        # linear algebra
        ("matmul 2-D", "matmul", [m, inp(B34, [4, 3])], {}),
        ("addmm", "addmm", [inp(A34[:3], [3]), m, inp(B34, [4, 3])], {}),
        ("linear 2-D", "linear", [m, inp(B34[:8], [2, 4]), inp(A34[:2], [2])], {}),
        ("linear 1-D input", "linear", [v, inp(B34[:8], [2, 4]), inp(A34[:2], [2])], {}),
        ("linear 3-D input", "linear", [m314, inp(B34[:8], [2, 4]), inp(A34[:2], [2])], {}),
        ("linear without bias", "linear", [m, inp(B34[:8], [2, 4])], {}),
        ("matmul 2-D by 1-D", "matmul", [m, w], {}),
        ("matmul 1-D by 1-D", "matmul", [v, w], {}),
        ("dot", "dot", [v, w], {}),
        ("mv", "mv", [m, w], {}),
        ("outer", "outer", [v, w], {}),
    ]
    out = []
    for name, op, inputs, args in specs:
        xs = []
        for spec in inputs:
            base, _ = build(spec, torch.float32)
            if base.is_floating_point():
                base = base.detach().requires_grad_()
            t = base
            for view in spec.get("views", []):
                t = apply_view(t, view)
            xs.append(t)
        outs = OPS[op](xs, args, torch.float32)
        if not isinstance(outs, (tuple, list)):
            outs = [outs]
        names = [type(o.grad_fn).__name__ if o.grad_fn is not None else None for o in outs]
        out.append({"name": name, "op": op, "args": args, "inputs": inputs, "grad_fn": names})
    return out


def std_constant_case():
    """`std` over rows of which one is constant: PyTorch's gradient is zero there (its
    std_backward masks a zero result), not the NaN of differentiating `sqrt(var)`."""
    x = torch.tensor([[2.0, 2.0, 2.0], [1.0, -0.5, 3.0]], dtype=torch.float64, requires_grad=True)
    y = x.std(1)
    (y * torch.tensor([1.5, -2.0], dtype=torch.float64)).sum().backward()
    return {"input": encode_tensor(x), "weights": [1.5, -2.0], "output": encode_tensor(y), "grad": encode_tensor(x.grad)}


def activation_backward_case():
    """ReLU's backward is `threshold_backward(grad, result, 0)` (the gradient where the result
    is above 0, else 0: a NaN result passes it, an infinite gradient at 0 gives 0), and leaky
    ReLU's `leaky_relu_backward` (grad where x > 0, else grad * slope), one pass each."""
    nan, inf = float("nan"), float("inf")
    xs = [nan, -1.0, 0.0, 2.0, inf, -0.0, 3.0, -inf]
    gs = [1.0, 2.0, inf, 4.0, 5.0, nan, -inf, 7.0]
    out = {"input": encode_tensor(torch.tensor(xs, dtype=torch.float64)), "upstream": encode_tensor(torch.tensor(gs, dtype=torch.float64))}
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    x.relu().backward(torch.tensor(gs, dtype=torch.float64))
    out["relu_grad"] = encode_tensor(x.grad)
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.leaky_relu(x, 0.2).backward(torch.tensor(gs, dtype=torch.float64))
    out["leaky_relu_grad"] = encode_tensor(x.grad)
    return out


def autograd_fixture():
    return {
        "activation_backward": activation_backward_case(),
        "std_constant": std_constant_case(),
        "grad_assignment": grad_assignment_cases(),
        "copy": copy_cases(),
        "index_select": index_select_cases(),
        "grad_fn_names": grad_fn_name_cases(),
    }


def write(name, payload):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    check_version()
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    gen = generator_record()
    write("creation.json", {"generator": gen, "cases": creation_cases()})
    write("views.json", {"generator": gen, "cases": views_cases()})
    write("elementwise.json", {"generator": gen, "cases": elementwise_cases()})
    write("promotion.json", {"generator": gen, "cases": promotion_cases()})
    write("inplace.json", {"generator": gen, "cases": inplace_cases()})
    write("reductions.json", {"generator": gen, "cases": reduction_cases()})
    write("matmul.json", {"generator": gen, "cases": matmul_cases()})
    write("linalg.json", {"generator": gen, "cases": linalg_cases()})
    write("repr.json", {"generator": gen, "cases": repr_cases()})
    write("autograd.json", {"generator": gen, **autograd_fixture()})


if __name__ == "__main__":
    main()
