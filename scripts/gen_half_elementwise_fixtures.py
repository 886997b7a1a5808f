#!/usr/bin/env python3
"""Writes reference hashes of elementwise ops on bfloat16/float16 tensors, at sizes where
PyTorch's scalar tails and its split across threads matter.

Pinned to torch 2.13.0 (CPU). Re-run from the repository root:

    python3 scripts/gen_half_elementwise_fixtures.py

Writes Tests/DescentTests/Fixtures/half_elementwise.json. PyTorch's elementwise CPU loops
run two vectors at a time and the last elements of each chunk through the scalar op, which
rounds some ops differently (`add(alpha=)`, `rsqrt`); TensorIterator splits a tensor of more
than 32768 elements into min(threads, ceil(n / 32768)) chunks. So the small sizes are
written once, and the large one once per chunk count (torch.set_num_threads(1, 2, 3)).
The inputs are integer formulas (below, and again in HalfElementwiseTests.swift); each
output is recorded as the 64-bit FNV-1a hash of its 16-bit patterns and its element count.
"""

import json
import os
import platform
import sys

import torch

EXPECTED_TORCH = "2.13.0"
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentTests", "Fixtures",
    "half_elementwise.json",
)
HALF = {"bfloat16": torch.bfloat16, "float16": torch.float16}
SMALL = [37, 100, 4109]
LARGE = 70001  # three chunks of 32768 at most


def signed(count, multiplier, offset, modulus, scale):
    """((i·multiplier + offset) mod modulus - modulus // 2) / scale, exact in float32."""
    i = torch.arange(count, dtype=torch.int64)
    return (((i * multiplier + offset) % modulus) - modulus // 2).to(torch.float32) / scale


def positive(count, multiplier, offset, modulus, scale):
    """((i·multiplier + offset) mod modulus + 1) / scale, exact in float32."""
    i = torch.arange(count, dtype=torch.int64)
    return (((i * multiplier + offset) % modulus) + 1).to(torch.float32) / scale


def fnv1a(t):
    h = 0xCBF29CE484222325
    for v in t.detach().contiguous().view(torch.int16).reshape(-1).tolist():
        h = ((h ^ (v & 0xFFFF)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return {"hash": f"{h:016x}", "count": t.numel()}


def inplace(f):
    def run(x, p, b):
        y = x.clone()
        f(y, p, b)
        return y
    return run


# name → f(x, p, b): x and b signed, p positive; the same names in the Swift test.
OPS = {
    "exp": lambda x, p, b: torch.exp(x),
    "log": lambda x, p, b: torch.log(p),
    "sqrt": lambda x, p, b: torch.sqrt(p),
    "rsqrt": lambda x, p, b: torch.rsqrt(p),
    "reciprocal": lambda x, p, b: torch.reciprocal(x),
    "abs": lambda x, p, b: x.abs(),
    "sigmoid": lambda x, p, b: torch.sigmoid(x),
    "tanh": lambda x, p, b: torch.tanh(x),
    "relu": lambda x, p, b: torch.relu(x),
    "sin": lambda x, p, b: torch.sin(x),
    "cos": lambda x, p, b: torch.cos(x),
    "clamp": lambda x, p, b: x.clamp(-0.5, 0.5),
    "square": lambda x, p, b: x.square(),
    "pow(0.5)": lambda x, p, b: p.pow(0.5),
    "pow(3)": lambda x, p, b: p.pow(3),
    "pow(-2)": lambda x, p, b: p.pow(-2),
    "pow(-0.5)": lambda x, p, b: p.pow(-0.5),
    "pow(-1)": lambda x, p, b: p.pow(-1),
    "pow(1.7)": lambda x, p, b: p.pow(1.7),
    "pow(-1.5)": lambda x, p, b: p.pow(-1.5),
    "add": lambda x, p, b: x + b,
    "sub": lambda x, p, b: x - b,
    "mul": lambda x, p, b: x * b,
    "div": lambda x, p, b: x / p,
    "add(alpha: 0.3)": lambda x, p, b: x.add(b, alpha=0.3),
    "sub(alpha: 0.3)": lambda x, p, b: x.sub(b, alpha=0.3),
    "add(scalar, alpha: 0.3)": lambda x, p, b: x.add(torch.tensor(1.7, dtype=x.dtype), alpha=0.3),
    "mul(0.1)": lambda x, p, b: x * 0.1,
    "add(0.1)": lambda x, p, b: x + 0.1,
    "div(3)": lambda x, p, b: x / 3.0,
    "rsub(1.5)": lambda x, p, b: 1.5 - x,
    "add_(alpha: -0.01)": inplace(lambda y, p, b: y.add_(b, alpha=-0.01)),
    "sub_(alpha: 0.3)": inplace(lambda y, p, b: y.sub_(b, alpha=0.3)),
    "mul_(0.9)": inplace(lambda y, p, b: y.mul_(0.9)),
    "addcmul_(value: 0.3)": inplace(lambda y, p, b: y.addcmul_(b, p, value=0.3)),
    "addcdiv_(value: 0.3)": inplace(lambda y, p, b: y.addcdiv_(b, p, value=0.3)),
    "lerp_(0.3)": inplace(lambda y, p, b: y.lerp_(b, 0.3)),
    "lerp_(0.7)": inplace(lambda y, p, b: y.lerp_(b, 0.7)),
}


def outputs(dtype, n):
    x = signed(n, 7919, 13, 2003, 256).to(dtype)
    p = positive(n, 104729, 7, 1009, 256).to(dtype)
    b = signed(n, 131, 5, 997, 256).to(dtype)
    return {name: fnv1a(f(x, p, b)) for name, f in OPS.items()}


def main():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    data = {
        "meta": {"script": "scripts/gen_half_elementwise_fixtures.py", "torch": torch.__version__,
                 "python": platform.python_version(),
                 "cpu_capability": torch.backends.cpu.get_cpu_capability()},
        "cases": [],
    }
    for name, dtype in HALF.items():
        torch.set_num_threads(1)
        for n in SMALL:
            data["cases"].append({"dtype": name, "count": n, "chunks": 1, "outputs": outputs(dtype, n)})
        for chunks in (1, 2, 3):
            torch.set_num_threads(chunks)
            data["cases"].append({"dtype": name, "count": LARGE, "chunks": chunks,
                                  "outputs": outputs(dtype, LARGE)})
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(OUT), len(data["cases"]), "cases")


if __name__ == "__main__":
    main()
