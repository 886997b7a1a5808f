#!/usr/bin/env python3
"""Diagnostic, not a fixture source: runs gen_optim_fixtures.py with torch's `sqrt` replaced
by a correctly rounded one (numpy's), writing into the directory given (never into the
test fixtures).

Why: on some CPUs torch 2.13's CPU `sqrt` is not correctly rounded (measured on an AMD EPYC
with AVX2: about 15% of random float32 inputs and 1.2% of float64 inputs come out one ulp
off), while Descent's reference rules and fused kernels use IEEE `sqrt`. Running the
trajectory tests against fixtures written this way shows whether `sqrt` is the only source
of the remaining differences from PyTorch (bit-identical shares go to 100% when it is).

    python3 scripts/optim_fixtures_exact_sqrt.py /tmp/exact-sqrt [OPTIMIZER ...]
"""
import importlib.util
import os
import sys

import numpy as np
import torch


def exact_sqrt(t):
    return torch.from_numpy(np.sqrt(t.detach().numpy())).to(t.dtype)


def exact_sqrt_(t):
    t.copy_(exact_sqrt(t))
    return t


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("gen", os.path.join(here, "gen_optim_fixtures.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.OUT_DIR = out
    torch.Tensor.sqrt = exact_sqrt
    torch.Tensor.sqrt_ = exact_sqrt_
    torch.sqrt = lambda t, *args, **kwargs: exact_sqrt(t)
    sys.argv = [sys.argv[0]] + sys.argv[2:]
    gen.main()


if __name__ == "__main__":
    main()
