#!/usr/bin/env python3
"""Reference index sequences of torch.utils.data.DistributedSampler, for DescentData's
DistributedSampler.

    python3 scripts/gen_distributed_fixtures.py

Writes Tests/DescentDataTests/Fixtures/distributed_sampler.json. For every case it records
len(sampler), total_size and each rank's indices. For shuffled cases it also records the
epoch's permutation, torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
as the sampler makes it: Descent's Generator gives other permutations than PyTorch's for the
same seed, so the tests feed this permutation to DistributedSampler.indices(order:) and
compare the padding, drop_last and split exactly, and check separately that a shuffled
epoch is Descent's randperm seeded seed + epoch. Error messages for invalid ranks are
recorded too. Refuses any torch other than 2.13.
"""

import json
import os
import platform

import torch
from torch.utils.data import DistributedSampler

if not torch.__version__.startswith("2.13."):
    raise SystemExit(f"this script records PyTorch 2.13 behaviour; found torch {torch.__version__}")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DescentDataTests", "Fixtures", "distributed_sampler.json")


class Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def case(n, replicas, shuffle, drop_last, seed, epoch):
    ranks = []
    for rank in range(replicas):
        s = DistributedSampler(
            Sized(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
        s.set_epoch(epoch)
        ranks.append(list(iter(s)))
        length, total = len(s), s.total_size
    out = {
        "n": n, "num_replicas": replicas, "shuffle": shuffle, "drop_last": drop_last, "seed": seed,
        "epoch": epoch, "len": length, "total_size": total, "ranks": ranks,
    }
    if shuffle:
        g = torch.Generator()
        g.manual_seed(seed + epoch)
        out["permutation"] = torch.randperm(n, generator=g).tolist()
    return out


def main():
    cases = []
    for n in [0, 1, 3, 7, 10, 11, 12, 17, 100]:
        for replicas in [1, 2, 3, 4, 8]:
            for drop_last in [False, True]:
                cases.append(case(n, replicas, False, drop_last, 0, 0))
                for seed, epoch in [(0, 0), (0, 1), (42, 3)]:
                    if n > 0:
                        cases.append(case(n, replicas, True, drop_last, seed, epoch))
    errors = []
    for replicas, rank in [(3, 3), (3, -1), (2, 5), (0, 0)]:
        try:
            DistributedSampler(Sized(5), num_replicas=replicas, rank=rank)
            errors.append({"num_replicas": replicas, "rank": rank, "message": None})
        except ValueError as e:
            errors.append({"num_replicas": replicas, "rank": rank, "message": str(e)})
    data = {
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "cases": cases,
        "errors": errors,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
