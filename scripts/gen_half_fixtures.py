#!/usr/bin/env python3
"""Writes the PyTorch reference values for Descent's bfloat16 / float16 tensors.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_half_fixtures.py

Writes Tests/DescentTests/Fixtures/half.json:
  - conversions: bit patterns of PyTorch's float32 -> bfloat16 / float16 conversion for an
    edge-case list (zeros, subnormals, ties, overflow, inf, NaN payloads) and a hash of the
    results over a large strided sample of all float32 bit patterns; the float16 -> float32
    and bfloat16 -> float32 results over all 65,536 bit patterns (hashed); float64 inputs.
    PyTorch converts on the vectorised path here (tensors much longer than one vector);
    its scalar tail path gives other NaN payloads (noted in the tests).
  - ops: elementwise results in half precision (computed in float32 and rounded once).
  - repr and type promotion.
Hash: FNV-1a 64 over the little-endian bytes of the result array.
"""

import json
import os
import platform
import sys

import numpy as np
import torch

EXPECTED_TORCH = "2.13.0"
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentTests", "Fixtures", "half.json"
)
HALF = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    arr = np.frombuffer(data, dtype=np.uint8)
    # Vectorising FNV is not possible; chunked pure Python is fast enough for a few MiB.
    for b in arr.tobytes():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def strided_f32_bits(count):
    i = np.arange(count, dtype=np.uint64)
    return ((i * 0x9E3779B1 + 0x12345) & 0xFFFFFFFF).astype(np.uint32)


EDGE_F32 = [
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x3F800000,
    0xBF800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
    0x7F800001, 0xFFC12345, 0x7FA00000, 0x7FFFFFFF, 0xFFFFFFFF,
    # bfloat16 ties and near-ties around 1.0 and large values
    0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0x7F7F8000, 0x7F7F7FFF, 0x7F7FC000,
    0x00008000, 0x00018000, 0x00007FFF,
    # float16: max 65504, the overflow tie 65520, min normal 2^-14, subnormal ties
    0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0x38800000, 0x387FFFFF,
    0x33800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x33C00000, 0x34000000, 0x34200000,
    0x3F801000, 0x3F803000, 0x3F801001, 0x3F800FFF, 0x38801000, 0x38803000, 0x387FF000,
    0x38000000, 0x37800000, 0xB3800000, 0xB3000000, 0xC77FF000, 0x3D4CCCCD, 0x3EAAAAAB,
]


def f32_case():
    edge = np.array(EDGE_F32 * 4, dtype=np.uint32)  # long enough for the vectorised path
    rng = np.random.default_rng(16)
    rand = rng.integers(0, 2**32, size=4096, dtype=np.uint64).astype(np.uint32)
    inputs = np.concatenate([edge, rand])
    x = torch.from_numpy(inputs.view(np.float32).copy())
    out = {"inputs": [f"{v:08x}" for v in inputs.tolist()]}
    for name, dt in HALF.items():
        out[name] = [f"{v:04x}" for v in x.to(dt).view(torch.int16).numpy().view(np.uint16).tolist()]
    strided = torch.from_numpy(strided_f32_bits(1 << 22).view(np.float32).copy())
    hashes = {}
    for name, dt in HALF.items():
        hashes[name] = fnv1a64(strided.to(dt).view(torch.int16).numpy().view(np.uint16).tobytes())
    out["strided"] = {"count": 1 << 22, "multiplier": "9e3779b1", "addend": "12345", "fnv1a64": hashes}
    return out


def widen_case():
    bits = torch.arange(65536, dtype=torch.int32).to(torch.int16)
    out = {}
    for name, dt in HALF.items():
        f = bits.view(dt).to(torch.float32).view(torch.int32).numpy().view(np.uint32)
        d = bits.view(dt).to(torch.float64).view(torch.int64).numpy().view(np.uint64)
        out[name] = {"float32_fnv1a64": fnv1a64(f.tobytes()), "float64_fnv1a64": fnv1a64(d.tobytes())}
    return out


def f64_case():
    vals = [0.0, -0.0, 1.0 + 2**-8 + 2**-40, 1.0 + 2**-11 + 2**-40, 65519.99, 65520.0, 1e-45, 5e-324,
            1e300, -1e300, float("inf"), float("-inf"), float("nan"), 3.141592653589793,
            2.9802322387695312e-08 * 1.0000001, 1e-40, 0.1, -0.3]
    x = torch.tensor(vals * 4, dtype=torch.float64)
    out = {"inputs": [float(v).hex() for v in vals]}
    for name, dt in HALF.items():
        out[name] = [f"{v:04x}" for v in x.to(dt).view(torch.int16).numpy().view(np.uint16)[: len(vals)].tolist()]
    return out


def ops_case():
    g = torch.Generator().manual_seed(16)
    a = torch.randn(1000, generator=g) * 3
    b = torch.randn(1000, generator=g) + 0.5
    out = {}
    for name, dt in HALF.items():
        ah, bh = a.to(dt), b.to(dt)
        res = {
            "a": ah.view(torch.int16).numpy().view(np.uint16).tolist(),
            "b": bh.view(torch.int16).numpy().view(np.uint16).tolist(),
        }
        for op, f in [
            ("add", lambda x, y: x + y), ("sub", lambda x, y: x - y), ("mul", lambda x, y: x * y),
            ("div", lambda x, y: x / y), ("add_alpha", lambda x, y: torch.add(x, y, alpha=0.3)),
            ("sqrt_abs", lambda x, y: x.abs().sqrt()), ("neg", lambda x, y: -x),
            ("maximum", lambda x, y: torch.maximum(x, y)), ("relu", lambda x, y: x.relu()),
            ("mul_scalar", lambda x, y: x * 0.1), ("add_scalar", lambda x, y: x + 2.5),
            ("add_scalar_inexact", lambda x, y: x + 0.1), ("div_scalar", lambda x, y: x / 0.3),
            ("sub_scalar", lambda x, y: x - 0.7), ("addcmul_", lambda x, y: x.clone().addcmul_(y, y, value=0.3)),
            ("lerp_", lambda x, y: x.clone().lerp_(y, 0.1)), ("where", lambda x, y: torch.where(x > y, x, y)),
        ]:
            res[op] = f(ah, bh).view(torch.int16).numpy().view(np.uint16).tolist()
        # The same scalar ops on 0-d tensors (one per element of `a`'s first 64): PyTorch
        # keeps the scalar unrounded in mul/div and rounds it to half in add/sub, as above.
        for op, f in [
            ("zero_dim_mul_scalar", lambda x: x * 0.1), ("zero_dim_scalar_mul", lambda x: 0.3 * x),
            ("zero_dim_div_scalar", lambda x: x / 0.3), ("zero_dim_scalar_div", lambda x: 2.5 / x),
            ("zero_dim_add_scalar_inexact", lambda x: x + 0.1), ("zero_dim_sub_scalar", lambda x: x - 0.7),
        ]:
            res[op] = [f(ah[i].clone()).view(torch.int16).item() & 0xFFFF for i in range(64)]
        # Row kernels on a [40, 25] view of `a`: log_softmax keeps the row sum and its log
        # in the half type along the last dim, and stays in float32 along another.
        rows = ah.reshape(40, 25)
        res["log_softmax_last"] = torch.log_softmax(rows, 1).view(torch.int16).numpy().view(np.uint16).reshape(-1).tolist()
        res["log_softmax_dim0"] = torch.log_softmax(rows, 0).view(torch.int16).numpy().view(np.uint16).reshape(-1).tolist()
        res["softmax_last"] = torch.softmax(rows, 1).view(torch.int16).numpy().view(np.uint16).reshape(-1).tolist()
        # Reductions and products accumulate in a different order than PyTorch's kernels:
        # compared within a tolerance (values as floats).
        res["sum"] = ah.sum().item()
        res["mean"] = ah.mean().item()
        m1, m2 = ah[:128].reshape(8, 16), bh[:64].reshape(16, 4)
        res["matmul"] = (m1 @ m2).float().flatten().tolist()
        # Autograd: gradients in the parameter's dtype.
        p = ah[:16].clone().requires_grad_(True)
        (p * bh[:16]).sum().backward()
        res["grad_mul"] = p.grad.view(torch.int16).numpy().view(np.uint16).tolist()
        res["grad_dtype"] = str(p.grad.dtype)[6:]
        out[name] = res
    return out


def repr_case():
    cases = []
    for name, dt in HALF.items():
        for vals in [[1.5, 2.25, 3.0], [1e-3, 1e5], [1.0, 2.0], [0.1, -0.2, float("nan"), float("inf")]]:
            cases.append({"dtype": name, "values": [repr(v) for v in vals], "repr": repr(torch.tensor(vals, dtype=dt))})
        cases.append({"dtype": name, "values": ["2.5"], "scalar": True, "repr": repr(torch.tensor(2.5, dtype=dt))})
        cases.append({"dtype": name, "values": [], "repr": repr(torch.tensor([], dtype=dt))})
        t = torch.tensor([1.0, 2.0], dtype=dt, requires_grad=True)
        cases.append({"dtype": name, "values": ["1.0", "2.0"], "requires_grad": True, "repr": repr(t)})
    return cases


def promotion_case():
    names = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool, **HALF}
    rows = []
    for an, ad in names.items():
        for bn, bd in names.items():
            for a_dim, b_dim in [(1, 1), (1, 0), (0, 1), (0, 0)]:
                a = torch.ones([2] if a_dim else [], dtype=ad)
                b = torch.ones([2] if b_dim else [], dtype=bd)
                rows.append({"a": an, "b": bn, "a_dim": a_dim, "b_dim": b_dim, "result": str((a + b).dtype)[6:]})
    return rows


def main():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    torch.set_num_threads(1)
    data = {
        "generator": {
            "script": "scripts/gen_half_fixtures.py", "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        },
        "from_float32": f32_case(),
        "widen": widen_case(),
        "from_float64": f64_case(),
        "ops": ops_case(),
        "repr": repr_case(),
        "promotion": promotion_case(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.relpath(OUT))


if __name__ == "__main__":
    main()
