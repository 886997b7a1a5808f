#!/usr/bin/env python3
"""Writes Tests/DescentOptimTests/Fixtures/adam8bit.json: trajectories of bitsandbytes'
8-bit Adam (`bnb.optim.Adam8bit`, `bnb.optim.AdamW8bit`) on the CPU, which Descent's
`Adam8bit` / `AdamW8bit` are held to.

Pinned to torch 2.13.0 (CPU) and bitsandbytes 0.50.2 (its CPU backend, whose
`optimizer_update_8bit_blockwise` dequantizes each state with `libbitsandbytes_cpu`,
updates it with torch's float32 ops and requantizes it block by block). Re-run from the
repository root:

    pip install --no-deps bitsandbytes==0.50.2
    python3 scripts/gen_optim8bit_fixtures.py

Every case runs twice:

- `"sqrt": "exact"`: with torch's `Tensor.sqrt` replaced by a correctly rounded one
  (numpy's). torch 2.13's CPU `sqrt` is not correctly rounded on some CPUs (see
  scripts/optim_fixtures_exact_sqrt.py), while Descent uses IEEE `sqrt`; with it replaced,
  everything else in bitsandbytes' step is deterministic float32 arithmetic and Descent must
  match every step bit for bit (parameters, uint8 codes, absmax).
- `"sqrt": "torch"`: bitsandbytes as it runs here; the last step only, compared within a
  tolerance.

Gradients and initial values come from integer formulas that the Swift tests repeat
(`grad` and `initial` below), so the file holds no gradients. Float32 arrays are stored
as base64 of their little-endian bytes, uint8 codes as base64 bytes.
"""

import base64
import json
import math
import os
import platform
import sys

import numpy as np
import torch

EXPECTED_TORCH = "2.13.0"
EXPECTED_BNB = "0.50.2"
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "DescentOptimTests", "Fixtures",
    "adam8bit.json")
STEPS = 3


def check_versions():
    if not torch.__version__.startswith(EXPECTED_TORCH):
        sys.exit(f"expected torch {EXPECTED_TORCH}, found {torch.__version__}")
    try:
        import bitsandbytes
    except ImportError:
        sys.exit(f"needs bitsandbytes {EXPECTED_BNB}: pip install --no-deps bitsandbytes=={EXPECTED_BNB}")
    if bitsandbytes.__version__ != EXPECTED_BNB:
        sys.exit(f"expected bitsandbytes {EXPECTED_BNB}, found {bitsandbytes.__version__}")


def grad(k, n, t):
    """Parameter k's gradient at step t (1-based): magnitudes from 1 down to 1e-7 in one
    block, so that the dynamic maps' small codes are used; parameter 0's elements
    256..511 are zero at step 1 (a block whose absmax is 0)."""
    i = np.arange(n, dtype=np.int64)
    h = (i * 7919 + t * 104729 + k * 15485863) % 2000003
    u = (h % 2001) - 1000
    e = (h // 2001) % 5
    g = np.array([float(a) / (1000 * 10 ** int(b)) for a, b in zip(u, e)], dtype=np.float64)
    g = g.astype(np.float32)
    if k == 0 and t == 1:
        g[256:512] = 0
    return g


def initial(k, n):
    i = np.arange(n, dtype=np.int64)
    return np.array([float(v) / 1000 for v in ((i * 31 + k * 17) % 1999 - 999)]).astype(np.float32)


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


CASES = [
    {
        "name": "adam8bit-lr1e-2",
        "optimizer": "Adam8bit",
        "kwargs": {"lr": 1e-2},
        "shapes": [[18, 250], [300], [4097]],
    },
    {
        "name": "adamw8bit-betas-eps-wd",
        "optimizer": "AdamW8bit",
        "kwargs": {"lr": 3e-3, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1},
        "shapes": [[18, 250], [300]],
    },
    {
        "name": "adam8bit-wd-min256",
        "optimizer": "Adam8bit",
        "kwargs": {"lr": 1e-3, "weight_decay": 0.05, "min_8bit_size": 256},
        "shapes": [[300], [200]],
    },
]


def run(case, exact_sqrt):
    import bitsandbytes as bnb

    cls = getattr(bnb.optim, case["optimizer"])
    kwargs = dict(case["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    params = [
        torch.nn.Parameter(torch.from_numpy(initial(k, math.prod(s))).reshape(s))
        for k, s in enumerate(case["shapes"])
    ]
    opt = cls(params, **kwargs)
    original_sqrt = torch.Tensor.sqrt
    if exact_sqrt:
        torch.Tensor.sqrt = lambda t: torch.from_numpy(np.sqrt(t.detach().numpy())).to(t.dtype)
    steps = []
    try:
        for t in range(1, STEPS + 1):
            for k, p in enumerate(params):
                p.grad = torch.from_numpy(grad(k, p.numel(), t)).reshape(p.shape)
            opt.step()
            record = {"params": [b64(p.detach().numpy()) for p in params], "state": []}
            for p in params:
                st = opt.state[p]
                entry = {"step": st["step"]}
                for key in ("state1", "state2", "absmax1", "absmax2"):
                    if key in st:
                        entry[key] = b64(st[key].numpy())
                entry["quantized"] = st["state1"].dtype == torch.uint8
                if entry["quantized"]:
                    assert torch.equal(st["qmap1"], bnb.functional.create_dynamic_map(signed=True))
                    assert torch.equal(st["qmap2"], bnb.functional.create_dynamic_map(signed=False))
                record["state"].append(entry)
            steps.append(record)
    finally:
        torch.Tensor.sqrt = original_sqrt
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    state_keys = [sorted(opt.state[p].keys()) for p in params]
    sd = opt.state_dict()
    return {
        "name": case["name"],
        "optimizer": case["optimizer"],
        "kwargs": case["kwargs"],
        "sqrt": "exact" if exact_sqrt else "torch",
        "shapes": case["shapes"],
        "param_group": {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()},
        "state_keys": state_keys,
        "state_dict_keys": [sorted(v.keys()) for v in sd["state"].values()],
        "steps": steps if exact_sqrt else steps[-1:],
        "recorded_steps": list(range(1, STEPS + 1)) if exact_sqrt else [STEPS],
    }


def main():
    check_versions()
    import bitsandbytes as bnb

    torch.set_num_threads(1)
    out = {
        "meta": {
            "generator": "scripts/gen_optim8bit_fixtures.py",
            "torch": torch.__version__,
            "bitsandbytes": bnb.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        },
        "qmap_signed": b64(bnb.functional.create_dynamic_map(signed=True).numpy()),
        "qmap_unsigned": b64(bnb.functional.create_dynamic_map(signed=False).numpy()),
        "cases": [run(case, exact) for case in CASES for exact in (True, False)],
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
