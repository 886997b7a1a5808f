#!/usr/bin/env python3
"""Writes the PyTorch reference values that Tests/DescentTests/LinalgFunctionTests compares
Descent's `Linalg` against: values, errors and gradients of every torch.linalg function
Descent has, in float32 and float64.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_linalg_fixtures.py

Each case names a function ("fn"), its keyword arguments, and its inputs: float64 values in
row-major order with a shape, and optionally "view": "mT" (the input is the transpose of
that contiguous tensor, so it is not contiguous). For each float dtype the case records
either PyTorch's outputs, in the order of the function's named tuple, or the message of the
error it raised. Outputs whose sign is not determined (eigenvectors, singular vectors) are
marked in "gauge": the tests compare them column by column (or row by row) up to sign, and
only the first "count" of them (the others of a full SVD are an arbitrary basis).

Gradients: for a differentiable case, "weights" holds one random tensor per output (null
for integer outputs and for outputs that carry no gradient) and each dtype records the
gradient of  sum_i sum(weights_i * h_i(output_i))  with respect to each input, where h_i
squares gauge outputs (so that the loss does not depend on their signs) and is the
identity otherwise.

"tol" gives, per dtype, the normwise tolerance the tests use: |descent - torch| <=
tol * max|torch| per output, scaled by the condition number of the case's matrix (LAPACK
builds differ in rounding: Descent runs on OpenBLAS, PyTorch on MKL).

Written into Tests/DescentTests/Fixtures/linalg_functions.json with a "generator" record of
the torch, numpy and Python versions.
"""

import json
import math
import os
import platform
import sys

import numpy as np
import torch

EXPECTED_TORCH = "2.13.0"
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "Tests", "DescentTests", "Fixtures", "linalg_functions.json",
)
DTYPES = {"float32": torch.float32, "float64": torch.float64}
rng = np.random.default_rng(15)


def check_version():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")


def encode(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def tensor_record(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(x) for x in t.reshape(-1).tolist()]
    elif t.dtype in (torch.int64, torch.int32):
        data = [int(x) for x in t.reshape(-1).tolist()]
    else:
        data = [encode(x) for x in t.to(torch.float64).reshape(-1).tolist()]
    dtype = {torch.int32: "int64"}.get(t.dtype, str(t.dtype).replace("torch.", ""))
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


# ---------------------------------------------------------------- inputs


def randn(*shape):
    return rng.standard_normal(shape).round(4)


def well(n, batch=()):
    return (randn(*batch, n, n) + 3 * np.eye(n)).round(4)


def spd(n, batch=()):
    x = randn(*batch, n, n)
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).round(4)


def sym(n, batch=()):
    x = randn(*batch, n, n)
    return ((x + np.swapaxes(x, -1, -2)) / 2).round(4)


def hilbert(n):
    return np.array([[1.0 / (i + j + 1) for j in range(n)] for i in range(n)])


def junk_upper(a):
    """`a` with random values above the diagonal: only the lower triangle may be read."""
    n = a.shape[-1]
    return np.where(np.triu(np.ones((n, n)), 1) > 0, randn(*a.shape) * 7, a)


def junk_lower(a):
    n = a.shape[-1]
    return np.where(np.tril(np.ones((n, n)), -1) > 0, randn(*a.shape) * 7, a)


def cond_of(a):
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0 or not np.isfinite(a).all():
        return 1.0
    s = np.linalg.svd(a.reshape(-1, a.shape[-2], a.shape[-1]), compute_uv=False)
    with np.errstate(divide="ignore"):
        c = s[..., 0] / s[..., -1]
    c = c[np.isfinite(c)]
    return float(c.max()) if c.size else 1.0


# ---------------------------------------------------------------- functions

GAUGE = {
    "eigh": [None, "columns"],
    "svd": ["columns", None, "rows"],
}


def run(fn, args, ts):
    L = torch.linalg
    if fn == "solve":
        return [L.solve(ts[0], ts[1], **args)]
    if fn == "solve_triangular":
        return [L.solve_triangular(ts[0], ts[1], **args)]
    if fn == "cholesky":
        return [L.cholesky(ts[0], **args)]
    if fn == "cholesky_ex":
        r = L.cholesky_ex(ts[0], **args)
        return [r.L, r.info]
    if fn == "inv":
        return [L.inv(ts[0])]
    if fn == "inv_ex":
        r = L.inv_ex(ts[0])
        return [r.inverse, r.info]
    if fn == "det":
        return [L.det(ts[0])]
    if fn == "slogdet":
        r = L.slogdet(ts[0])
        return [r.sign, r.logabsdet]
    if fn == "eigh":
        r = L.eigh(ts[0], **args)
        return [r.eigenvalues, r.eigenvectors]
    if fn == "eigvalsh":
        return [L.eigvalsh(ts[0], **args)]
    if fn == "svd":
        r = L.svd(ts[0], **args)
        return [r.U, r.S, r.Vh]
    if fn == "svdvals":
        return [L.svdvals(ts[0])]
    if fn == "qr":
        r = L.qr(ts[0], **args)
        return [r.Q, r.R]
    if fn == "lstsq":
        r = L.lstsq(ts[0], ts[1], **args)
        return [r.solution, r.residuals, r.rank, r.singular_values]
    if fn == "pinv":
        return [L.pinv(ts[0], **args)]
    if fn == "matrix_norm":
        return [L.matrix_norm(ts[0], **args)]
    if fn == "vector_norm":
        return [L.vector_norm(ts[0], **args)]
    if fn == "matrix_rank":
        return [L.matrix_rank(ts[0], **args)]
    if fn == "cond":
        return [L.cond(ts[0], **args)]
    raise ValueError(fn)


# Outputs that carry no gradient: integer outputs, slogdet's sign, an empty residual.
def differentiable(fn, index, out):
    if not out.dtype.is_floating_point or out.numel() == 0:
        return False
    if fn == "slogdet" and index == 0:
        return False
    if fn == "lstsq" and index == 3:
        return False
    return True


CASES = []


def case(name, fn, inputs, args=None, grad=True, views=None, gauge=None, tol_matrix=None,
         ignore=None):
    CASES.append(dict(name=name, fn=fn, inputs=[np.asarray(x, dtype=np.float64) for x in inputs],
                      args=args or {}, grad=grad, views=views or [None] * len(inputs),
                      gauge=gauge, tol_matrix=tol_matrix, ignore=ignore))


def build_cases():
    # solve
    case("solve 4x4 by 4x2", "solve", [well(4), randn(4, 2)])
    case("solve vector right-hand side", "solve", [well(3), randn(3)])
    case("solve batched", "solve", [well(3, (2,)), randn(2, 3, 2)])
    case("solve broadcast A over B's batch", "solve", [well(3), randn(2, 3, 1)])
    case("solve batched vector right-hand side", "solve", [well(3, (2,)), randn(2, 3)])
    case("solve left=false", "solve", [well(3), randn(2, 3)], args={"left": False})
    case("solve transposed view of A", "solve", [well(4), randn(4, 3)], views=["mT", None])
    case("solve ill-conditioned (Hilbert 4)", "solve", [hilbert(4), randn(4, 2)])
    case("solve singular", "solve", [[[1, 2], [2, 4]], randn(2, 1)], grad=False)
    case("solve batched singular element 1", "solve",
         [np.stack([well(2), np.array([[1.0, 2], [2, 4]])]), randn(2, 2, 1)], grad=False)
    # solve_triangular
    upper = np.triu(well(4))
    case("solve_triangular upper left, junk below", "solve_triangular",
         [junk_lower(upper), randn(4, 2)], args={"upper": True})
    lower = np.tril(well(3))
    case("solve_triangular lower right unitriangular, junk diagonal", "solve_triangular",
         [junk_upper(lower + np.diag(randn(3) * 5)), randn(2, 3)],
         args={"upper": False, "left": False, "unitriangular": True})
    case("solve_triangular batched broadcast", "solve_triangular",
         [np.tril(well(3)), randn(2, 3, 2)], args={"upper": False})
    case("solve_triangular transposed view", "solve_triangular",
         [np.triu(well(3)), randn(3, 2)], args={"upper": False}, views=["mT", None])
    case("solve_triangular zero on the diagonal", "solve_triangular",
         [[[1.0, 2.0], [0.0, 0.0]], [[1.0], [1.0]]], args={"upper": True}, grad=False)
    # cholesky
    case("cholesky lower, junk above", "cholesky", [junk_upper(spd(4))])
    case("cholesky upper, junk below", "cholesky", [junk_lower(spd(4))], args={"upper": True})
    case("cholesky batched", "cholesky", [spd(3, (2,))])
    case("cholesky transposed view", "cholesky", [spd(3)], views=["mT"])
    notpd = spd(4)
    notpd[2, 2] = -10.0
    case("cholesky not positive-definite (minor 3)", "cholesky", [notpd], grad=False)
    case("cholesky batched, element 1 not positive-definite", "cholesky",
         [np.stack([spd(3), -np.eye(3)])], grad=False)
    case("cholesky_ex reports info", "cholesky_ex", [np.stack([spd(3), -np.eye(3)])], grad=False)
    # inv
    case("inv 4x4", "inv", [well(4)])
    case("inv batched", "inv", [well(3, (2,))])
    case("inv transposed view", "inv", [well(3)], views=["mT"])
    case("inv singular", "inv", [[[1, 2], [2, 4]]], grad=False)
    # (Where the zero pivot of an exactly singular non-symmetric matrix lands depends on the
    # LAPACK build, MKL's or OpenBLAS's, so only symmetric singular matrices are used.)
    case("inv batched, element 1 singular", "inv",
         [np.stack([well(2), np.array([[1.0, 2], [2, 4]])])], grad=False)
    # The "inverse" of the singular element is whatever the triangular solves leave (inf,
    # NaN, zeros in a pattern that depends on the LAPACK build): not compared.
    case("inv_ex reports info", "inv_ex", [np.stack([well(2), np.array([[0.0, 0], [0, 1]])])],
         grad=False, ignore={0: [1]})
    # det / slogdet
    case("det 3x3", "det", [randn(3, 3)])
    case("det 4x4 batched", "det", [randn(2, 4, 4)])
    case("det transposed view", "det", [randn(3, 3)], views=["mT"])
    case("det 1x1", "det", [[[2.5]]])
    case("det 0x0", "det", [np.zeros((0, 0))], grad=False)
    case("det singular (exact zero pivot): 0, zero gradient", "det", [[[1, 2], [2, 4]]])
    case("slogdet 3x3", "slogdet", [randn(3, 3)])
    case("slogdet negative determinant", "slogdet", [[[0.0, 2.0], [3.0, 1.0]]])
    case("slogdet batched", "slogdet", [randn(2, 3, 3)])
    case("slogdet singular: (0, -inf)", "slogdet", [[[1, 2], [2, 4]]], grad=False)
    # eigh / eigvalsh
    case("eigh lower, junk above", "eigh", [junk_upper(sym(4))], gauge=[None, ("columns", 4)])
    case("eigh upper, junk below", "eigh", [junk_lower(sym(4))], args={"UPLO": "U"},
         gauge=[None, ("columns", 4)])
    case("eigh batched", "eigh", [sym(3, (2,))], gauge=[None, ("columns", 3)])
    case("eigh repeated eigenvalues: values only", "eigvalsh", [np.diag([2.0, 2.0, 5.0])])
    case("eigvalsh lower", "eigvalsh", [junk_upper(sym(4))])
    case("eigvalsh upper", "eigvalsh", [junk_lower(sym(3))], args={"UPLO": "U"})
    # svd / svdvals
    case("svd 4x3 reduced", "svd", [randn(4, 3)], args={"full_matrices": False},
         gauge=[("columns", 3), None, ("rows", 3)])
    case("svd 4x3 full", "svd", [randn(4, 3)], args={"full_matrices": True},
         gauge=[("columns", 3), None, ("rows", 3)])
    case("svd 3x5 reduced", "svd", [randn(3, 5)], args={"full_matrices": False},
         gauge=[("columns", 3), None, ("rows", 3)])
    case("svd 3x5 full", "svd", [randn(3, 5)], args={"full_matrices": True},
         gauge=[("columns", 3), None, ("rows", 3)])
    case("svd batched square", "svd", [randn(2, 3, 3)], args={"full_matrices": False},
         gauge=[("columns", 3), None, ("rows", 3)])
    case("svd non-finite input", "svd", [[[float("nan"), 1.0], [1.0, 1.0]]], grad=False,
         gauge=[("columns", 2), None, ("rows", 2)])
    case("svdvals 4x3", "svdvals", [randn(4, 3)])
    case("svdvals 3x5 batched", "svdvals", [randn(2, 3, 5)])
    case("svdvals transposed view", "svdvals", [randn(3, 4)], views=["mT"])
    # qr
    case("qr 5x3 reduced", "qr", [randn(5, 3)], args={"mode": "reduced"})
    case("qr 5x3 complete", "qr", [randn(5, 3)], args={"mode": "complete"}, grad=False)
    case("qr 5x3 r", "qr", [randn(5, 3)], args={"mode": "r"}, grad=False)
    case("qr 3x5 reduced", "qr", [randn(3, 5)], args={"mode": "reduced"})
    case("qr 3x5 complete", "qr", [randn(3, 5)], args={"mode": "complete"})
    case("qr batched", "qr", [randn(2, 4, 3)], args={"mode": "reduced"})
    # lstsq
    tall, rhs = randn(6, 3), randn(6, 2)
    for driver in ["gelsy", "gels", "gelsd", "gelss"]:
        case(f"lstsq tall 6x3 {driver}", "lstsq", [tall, rhs], args={"driver": driver})
    case("lstsq default driver", "lstsq", [tall, rhs])
    case("lstsq wide 3x5: minimum norm", "lstsq", [randn(3, 5), randn(3, 2)])
    case("lstsq wide 3x5 gelsd", "lstsq", [randn(3, 5), randn(3, 1)], args={"driver": "gelsd"})
    case("lstsq vector right-hand side gels", "lstsq", [randn(5, 2), randn(5)],
         args={"driver": "gels"})
    case("lstsq batched gelsd", "lstsq", [randn(2, 4, 3), randn(2, 4, 2)], args={"driver": "gelsd"})
    deficient = randn(6, 2) @ randn(2, 3)
    case("lstsq rank-deficient gelsd: no residuals", "lstsq", [deficient, randn(6, 1)],
         args={"driver": "gelsd"}, grad=False)
    case("lstsq rcond gelss", "lstsq", [np.diag([1.0, 1e-3, 1e-9]), randn(3, 1)],
         args={"driver": "gelss", "rcond": 1e-6}, grad=False)
    # pinv
    case("pinv tall 5x3", "pinv", [randn(5, 3)])
    case("pinv wide 3x4", "pinv", [randn(3, 4)])
    case("pinv rank 2 of 4x4", "pinv", [randn(4, 2) @ randn(2, 4)], grad=False)
    case("pinv hermitian", "pinv", [sym(4)], args={"hermitian": True})
    case("pinv batched", "pinv", [randn(2, 3, 2)])
    case("pinv atol", "pinv", [np.diag([3.0, 1.0, 0.01])], args={"atol": 0.1}, grad=False)
    # norms
    a34 = randn(3, 4)
    for ord_ in ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]:
        case(f"matrix_norm ord={ord_}", "matrix_norm", [a34], args={"ord": ord_})
    case("matrix_norm batched keepdim ord=1", "matrix_norm", [randn(2, 3, 3)],
         args={"ord": 1, "keepdim": True})
    case("matrix_norm nuc keepdim dim=(-1,-2)", "matrix_norm", [randn(2, 3, 4)],
         args={"ord": "nuc", "keepdim": True, "dim": (-1, -2)})
    v = randn(2, 5)
    for ord_ in [2, 1, float("inf"), float("-inf"), 0, 3, 0.5, -1]:
        case(f"vector_norm ord={ord_}", "vector_norm", [v], args={"ord": ord_})
    case("vector_norm dim=1 keepdim", "vector_norm", [v], args={"ord": 2, "dim": 1, "keepdim": True})
    # matrix_rank
    case("matrix_rank full", "matrix_rank", [well(4)], grad=False)
    case("matrix_rank 2 of 4x4", "matrix_rank", [randn(4, 2) @ randn(2, 4)], grad=False)
    case("matrix_rank batched", "matrix_rank", [np.stack([well(3), np.ones((3, 3))])], grad=False)
    case("matrix_rank hermitian", "matrix_rank", [np.diag([2.0, -3.0, 0.0])],
         args={"hermitian": True}, grad=False)
    case("matrix_rank atol", "matrix_rank", [np.diag([3.0, 1.0, 0.01])], args={"atol": 0.1},
         grad=False)
    # cond
    a33 = well(3)
    for ord_ in [None, "fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]:
        # PyTorch's cond through inv_ex fills the inverse in place (masked_fill_), so its
        # backward raises for these orders; only the SVD-based ones have gradients.
        case(f"cond p={ord_}", "cond", [a33], args={} if ord_ is None else {"p": ord_},
             grad=ord_ in (None, 2, -2))
    case("cond rectangular", "cond", [randn(4, 3)])
    case("cond singular fro: inf", "cond", [[[1, 2], [2, 4]]], args={"p": "fro"}, grad=False)


def record(c):
    fn = c["fn"]
    out = dict(name=c["name"], fn=fn, args={k: encode(v) if isinstance(v, float) else v
                                             for k, v in c["args"].items()})
    out["inputs"] = []
    for x, view in zip(c["inputs"], c["views"]):
        base = x.swapaxes(-1, -2) if view == "mT" else x
        rec = {"shape": list(base.shape), "data": [encode(v) for v in base.reshape(-1).tolist()]}
        if view:
            rec["view"] = view
        out["inputs"].append(rec)
    gauge = c["gauge"]
    out["gauge"] = [None if g is None else {"kind": g[0], "count": g[1]} for g in gauge] if gauge else None
    if c["ignore"]:
        # {output index: [batch elements whose values are not compared]}
        out["ignore"] = {str(k): v for k, v in c["ignore"].items()}
    kappa = cond_of(c["inputs"][0]) if c["inputs"][0].ndim >= 2 else 1.0
    if c["tol_matrix"] is not None:
        kappa = c["tol_matrix"]
    kappa = max(1.0, min(kappa, 1e7))
    out["tol"] = {"float32": min(0.5, 2e-6 * kappa), "float64": 1e-12 * kappa}
    # Gradients are at most as well-conditioned as the values squared.
    out["gradTol"] = {"float32": min(1.0, 2e-5 * kappa * kappa), "float64": 1e-10 * kappa * kappa}
    weights = None
    for name, dtype in DTYPES.items():
        ts = []
        for x, view in zip(c["inputs"], c["views"]):
            base = torch.tensor(x.swapaxes(-1, -2) if view == "mT" else x, dtype=torch.float64)
            base = base.to(dtype).requires_grad_(c["grad"])
            ts.append(base.mT if view == "mT" else base)
        entry = {}
        try:
            outs = run(fn, c["args"], ts)
        except Exception as e:  # noqa: BLE001 - the message is the fixture
            entry["error"] = str(e).split("\n")[0]
            out[name] = entry
            continue
        entry["outputs"] = [tensor_record(o) for o in outs]
        if c["grad"]:
            if weights is None:
                weights = [
                    (np.round(rng.standard_normal(tuple(o.shape)), 4)
                     if differentiable(fn, i, o) else None)
                    for i, o in enumerate(outs)
                ]
                if fn == "svd" and c["args"].get("full_matrices", True):
                    # The extra columns of a full U (rows of Vh) are an arbitrary basis.
                    k = min(c["inputs"][0].shape[-2:])
                    weights[0][..., k:] = 0
                    weights[2][..., k:, :] = 0
            loss = 0
            gauges = gauge or [None] * len(outs)
            for o, w, g in zip(outs, weights, gauges):
                if w is None:
                    continue
                h = o * o if g else o
                loss = loss + (h * torch.tensor(w, dtype=dtype)).sum()
            leaves = [t for t in ts if t.requires_grad]
            grads = torch.autograd.grad(loss, leaves, allow_unused=True)
            entry["grads"] = [tensor_record(g if g is not None else torch.zeros_like(t))
                              for g, t in zip(grads, leaves)]
        out[name] = entry
    if weights is not None:
        out["weights"] = [None if w is None else
                          {"shape": list(w.shape), "data": [float(v) for v in w.reshape(-1).tolist()]}
                          for w in weights]
    return out


def main():
    check_version()
    torch.set_num_threads(1)
    build_cases()
    payload = {
        "generator": {
            "script": "scripts/gen_linalg_fixtures.py",
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "cases": [record(c) for c in CASES],
    }
    with open(OUT, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {len(payload['cases'])} cases to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
