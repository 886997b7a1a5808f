#!/usr/bin/env python3
"""Writes reference hashes of half-precision layers at sizes where Descent splits the work
across threads (rows, channels or columns in chunks).

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_half_layer_fixtures.py

Writes Tests/DescentOptimTests/Fixtures/half_layers_large.json. The inputs are integer
formulas (below, and again in HalfLayerSizeTests.swift), so that nothing but the
outputs is stored; each output is recorded as the 64-bit FNV-1a hash of its bfloat16/float16
bit patterns in row-major order (one 16-bit value per step of the hash) and its element count.
"""

import json
import os
import platform
import sys

import torch

EXPECTED_TORCH = "2.13.0"
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentOptimTests", "Fixtures",
    "half_layers_large.json",
)
HALF = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def formula(count, multiplier, offset, modulus, scale):
    """((i·multiplier + offset) mod modulus - modulus // 2) / scale for i < count, exact in float32."""
    i = torch.arange(count, dtype=torch.int64)
    return (((i * multiplier + offset) % modulus) - modulus // 2).to(torch.float32) / scale


def fnv1a(t):
    h = 0xCBF29CE484222325
    for v in t.detach().contiguous().view(torch.int16).reshape(-1).tolist():
        h = ((h ^ (v & 0xFFFF)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return {"hash": f"{h:016x}", "count": t.numel()}


def affine_outputs(m, x, y):
    out = {"y": fnv1a(y), "dx": fnv1a(x.grad)}
    if getattr(m, "weight", None) is not None:
        out["dweight"] = fnv1a(m.weight.grad)
    if getattr(m, "bias", None) is not None:
        out["dbias"] = fnv1a(m.bias.grad)
    return out


def layer_norm(dtype, rows, n, affine="both"):
    """affine: "both" (weight and bias), "weight" (bias=False) or "none"."""
    x = formula(rows * n, 7919, 13, 2003, 256).reshape(rows, n).to(dtype).requires_grad_(True)
    up = formula(rows * n, 104729, 7, 1009, 4096).reshape(rows, n).to(dtype)
    m = torch.nn.LayerNorm(n, elementwise_affine=affine != "none", bias=affine == "both").to(dtype)
    with torch.no_grad():
        if m.weight is not None:
            m.weight.copy_(formula(n, 31, 5, 17, 8))
        if m.bias is not None:
            m.bias.copy_(formula(n, 13, 3, 11, 16))
    y = m(x)
    y.backward(up)
    return affine_outputs(m, x, y)


def batch_norm(dtype, shape, affine=True):
    count = 1
    for size in shape:
        count *= size
    channels = shape[1]
    x = formula(count, 7919, 13, 2003, 256).reshape(shape).to(dtype).requires_grad_(True)
    up = formula(count, 104729, 7, 1009, 4096).reshape(shape).to(dtype)
    m = torch.nn.BatchNorm1d(channels, affine=affine).to(dtype)
    if affine:
        with torch.no_grad():
            m.weight.copy_(formula(channels, 31, 5, 17, 8))
            m.bias.copy_(formula(channels, 13, 3, 11, 16))
    y = m(x)
    y.backward(up)
    out = affine_outputs(m, x, y)
    out.update({"running_mean": fnv1a(m.running_mean), "running_var": fnv1a(m.running_var)})
    return out


def embedding(dtype, rows, width, lookups):
    table = formula(rows * width, 7, 3, 251, 64).reshape(rows, width).to(dtype).requires_grad_(True)
    indices = (torch.arange(lookups, dtype=torch.int64) * 37 + 11) % rows
    up = formula(lookups * width, 131, 5, 997, 2048).reshape(lookups, width).to(dtype)
    torch.nn.functional.embedding(indices, table).backward(up)
    return {"dweight": fnv1a(table.grad)}


def main():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    torch.set_num_threads(1)
    data = {
        "meta": {"script": "scripts/gen_half_layer_fixtures.py", "torch": torch.__version__,
                 "python": platform.python_version(),
                 "cpu_capability": torch.backends.cpu.get_cpu_capability()},
        "cases": [],
    }
    for name, dtype in HALF.items():
        # Rows of whole vectors, of whole vectors and a tail, and shorter than one vector.
        for rows, n in ([48, 1024], [20, 1000], [64, 12], [64, 5]):
            data["cases"].append({"dtype": name, "layer": "layernorm", "shape": [rows, n], "affine": "both",
                                  "outputs": layer_norm(dtype, rows, n)})
        for affine in ("weight", "none"):
            data["cases"].append({"dtype": name, "layer": "layernorm", "shape": [20, 1000], "affine": affine,
                                  "outputs": layer_norm(dtype, 20, 1000, affine)})
        # 2-d and 3-d inputs take different kernels in PyTorch ("channels last" and "contiguous").
        for shape in ([512, 64], [48, 64, 16], [40, 24, 37]):
            data["cases"].append({"dtype": name, "layer": "batchnorm", "shape": shape, "affine": "both",
                                  "outputs": batch_norm(dtype, shape)})
        for shape in ([512, 64], [40, 24, 37]):
            data["cases"].append({"dtype": name, "layer": "batchnorm", "shape": shape, "affine": "none",
                                  "outputs": batch_norm(dtype, shape, affine=False)})
        data["cases"].append({"dtype": name, "layer": "embedding", "shape": [50, 512, 700],
                              "outputs": embedding(dtype, 50, 512, 700)})
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), len(data["cases"]), "cases")


if __name__ == "__main__":
    main()
