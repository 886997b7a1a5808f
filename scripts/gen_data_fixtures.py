#!/usr/bin/env python3
"""Reference values for DescentData's tests, from torch.utils.data and scikit-learn.

    python3 scripts/gen_data_fixtures.py

Writes Tests/DescentDataTests/Fixtures/data.json. Only deterministic facts are recorded
(lengths, batch sizes, orders that involve no random numbers, error messages, scaler
statistics): Descent's Generator streams differ from PyTorch's by design, so random
permutations are tested by their properties instead.
"""

import json
import math
import os
import platform
import warnings

import numpy
import sklearn
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
    random_split,
)
from torch.utils.data import default_collate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DescentDataTests", "Fixtures", "data.json")

warnings.simplefilter("ignore")


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we record whatever PyTorch raises
        return {"type": type(e).__name__, "message": str(e)}
    return None


def range_dataset(n):
    return TensorDataset(torch.arange(n, dtype=torch.float32))


def loader_lengths():
    rows = []
    for n in [1, 2, 7, 10, 64, 569, 1797]:
        for bs in [1, 2, 3, 5, 32, 64, 600]:
            for drop_last in [False, True]:
                loader = DataLoader(range_dataset(n), batch_size=bs, drop_last=drop_last)
                sizes = [len(b[0]) for b in loader]
                rows.append(
                    {"n": n, "batch_size": bs, "drop_last": drop_last, "len": len(loader), "batch_sizes": sizes}
                )
    return rows


def batch_sampler_lists():
    out = []
    for n, bs, dl in [(10, 3, False), (10, 3, True), (10, 5, True), (4, 8, False), (4, 8, True)]:
        out.append({"n": n, "batch_size": bs, "drop_last": dl, "batches": list(BatchSampler(SequentialSampler(range(n)), bs, dl))})
    return out


def random_split_cases():
    cases = []
    fraction_lists = [
        [0.3, 0.3, 0.4],
        [0.8, 0.2],
        [0.75, 0.25],
        [0.1] * 10,
        [1 / 3, 1 / 3, 1 / 3],
        [0.5, 0.5],
        [0.7, 0.2, 0.1],
        [0.33, 0.33, 0.34],
        [0.01, 0.99],
        [1.0, 0.0],
        [0.0, 1.0],
        [0.5, 0.6],
        [-0.5, 1.5],
        [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.9, 0.05, 0.05],
    ]
    for n in [1, 2, 3, 7, 10, 30, 101, 569, 1797]:
        for fr in fraction_lists:
            ds = range_dataset(n)
            err = error_of(lambda: random_split(ds, fr, generator=torch.Generator().manual_seed(0)))
            lengths = None if err else [len(s) for s in random_split(ds, fr, generator=torch.Generator().manual_seed(0))]
            cases.append({"n": n, "fractions": fr, "lengths": lengths, "error": err})
    int_cases = []
    for n, lengths in [(10, [3, 7]), (10, [3, 8]), (10, [10, 0]), (1, [1, 0]), (1, [0, 1]), (5, [1, 1, 1, 1, 1]), (10, [0, 10])]:
        ds = range_dataset(n)
        err = error_of(lambda: random_split(ds, lengths))
        got = None if err else [len(s) for s in random_split(ds, lengths)]
        int_cases.append({"n": n, "lengths": lengths, "result": got, "error": err})
    return {"fractions": cases, "counts": int_cases}


def option_errors():
    ds = range_dataset(10)
    sampler = SequentialSampler(ds)
    bsampler = BatchSampler(sampler, 2, False)
    cases = {
        "sampler_and_shuffle": lambda: DataLoader(ds, sampler=sampler, shuffle=True),
        "batch_sampler_and_batch_size": lambda: DataLoader(ds, batch_sampler=bsampler, batch_size=2),
        "batch_sampler_and_shuffle": lambda: DataLoader(ds, batch_sampler=bsampler, shuffle=True),
        "batch_sampler_and_sampler": lambda: DataLoader(ds, batch_sampler=bsampler, sampler=sampler),
        "batch_sampler_and_drop_last": lambda: DataLoader(ds, batch_sampler=bsampler, drop_last=True),
        "batch_size_none_and_drop_last": lambda: DataLoader(ds, batch_size=None, drop_last=True),
        "negative_workers": lambda: DataLoader(ds, num_workers=-1),
        "negative_timeout": lambda: DataLoader(ds, timeout=-1),
        "prefetch_without_workers": lambda: DataLoader(ds, prefetch_factor=2),
        "negative_prefetch": lambda: DataLoader(ds, num_workers=1, prefetch_factor=-1),
        "zero_prefetch_at_iteration": lambda: iter(DataLoader(ds, num_workers=1, prefetch_factor=0)),
        "timeout_without_workers_at_iteration": lambda: iter(DataLoader(ds, timeout=1)),
        "zero_batch_size": lambda: DataLoader(ds, batch_size=0),
        "random_sampler_zero_samples": lambda: RandomSampler(ds, num_samples=0),
        "random_sampler_empty": lambda: RandomSampler(range(0)),
        "weighted_zero_samples": lambda: WeightedRandomSampler([1.0, 2.0], 0),
        "tensor_dataset_mismatch": lambda: TensorDataset(torch.zeros(3), torch.zeros(4)),
        "concat_empty": lambda: ConcatDataset([]),
        "concat_negative_index": lambda: ConcatDataset([range_dataset(2), range_dataset(3)])[-6],
        "tensor_dataset_index": lambda: range_dataset(10)[10],
        "collate_unequal_tensors": lambda: default_collate([torch.zeros(3), torch.zeros(2)]),
        "collate_unequal_lists": lambda: default_collate([[1, 2], [1]]),
        "collate_empty": lambda: default_collate([]),
    }
    return {k: error_of(f) for k, f in cases.items()}


def multinomial_errors():
    cases = []
    for w, n, r in [
        ([0.0, 0.0], 2, True),
        ([0.0, 0.0], 1, False),
        ([-1.0, 2.0], 2, True),
        ([-1.0, 2.0], 1, False),
        ([1.0, 1.0], 3, False),
        ([float("inf"), 1.0], 2, True),
        ([float("inf"), 1.0], 1, False),
        ([float("nan"), 1.0], 2, True),
        ([float("nan"), 1.0], 1, False),
        ([], 1, True),
        ([1.0, 0.0, 1.0], 3, False),
        ([1.0, 2.0], 5, True),
    ]:
        err = error_of(lambda: list(WeightedRandomSampler(w, n, r)))
        cases.append({"weights": [str(x) for x in w], "num_samples": n, "replacement": r, "error": err})
    return cases


def collate_facts():
    b = default_collate([{"x": torch.zeros(30), "y": torch.zeros(1)} for _ in range(4)])
    return {
        "int_dtype": str(default_collate([1, 2, 3]).dtype),
        "float_dtype": str(default_collate([1.0, 2.0]).dtype),
        "bool_dtype": str(default_collate([True, False]).dtype),
        "dict_shapes": {k: list(v.shape) for k, v in b.items()},
        "list_of_tensors_shapes": [list(t.shape) for t in default_collate([[torch.zeros(2), torch.zeros(3)]] * 5)],
        "strings": default_collate(["a", "b"]),
    }


class Stream(IterableDataset):
    """0..<n; with shard=True each worker takes every numWorkers-th item from its id."""

    def __init__(self, n, shard):
        self.n = n
        self.shard = shard

    def __iter__(self):
        info = get_worker_info()
        if self.shard and info is not None:
            return iter(range(info.id, self.n, info.num_workers))
        return iter(range(self.n))


class Uneven(IterableDataset):
    """Worker k yields 3 * (k + 1) items, k * 100 + i, so workers end at different times."""

    def __iter__(self):
        info = get_worker_info()
        k = 0 if info is None else info.id
        return iter([k * 100 + i for i in range(3 * (k + 1))])


def iterable_orders():
    out = []
    for name, ds in [("stream10", Stream(10, False)), ("sharded10", Stream(10, True)), ("uneven", Uneven())]:
        for workers in [0, 2, 3]:
            for bs, dl in [(None, False), (1, False), (3, False), (3, True), (4, False)]:
                loader = DataLoader(ds, batch_size=bs, drop_last=dl, num_workers=workers)
                batches = [[int(b)] if isinstance(b, int) else [int(v) for v in b.tolist()] for b in loader]
                out.append({"dataset": name, "num_workers": workers, "batch_size": bs, "drop_last": dl, "batches": batches})
    return out


def map_worker_order():
    """Sequential order with workers is the sampler's order."""
    loader = DataLoader(range_dataset(23), batch_size=4, num_workers=3)
    return [[int(v) for v in b[0].tolist()] for b in loader]


def sklearn_facts():
    out = {}
    for name, bunch in [("breast_cancer", load_breast_cancer()), ("digits", load_digits())]:
        scaler = StandardScaler().fit(bunch.data)
        out[name] = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                     "first_row": bunch.data[0].tolist(), "last_row": bunch.data[-1].tolist(),
                     "target_head": bunch.target[:10].tolist()}
    split = []
    x = numpy.arange(569)
    for test in [0.25, 0.2, 0.1, 1 / 3, 0.5, 0.998]:
        tr, te = train_test_split(x, test_size=test, random_state=0)
        split.append({"n": 569, "test_size": test, "train": len(tr), "test": len(te)})
    out["train_test_split"] = split
    out["train_test_split_errors"] = {
        "1.5": error_of(lambda: train_test_split(x, test_size=1.5)),
        "0.0": error_of(lambda: train_test_split(x, test_size=0.0)),
        "tiny_n": error_of(lambda: train_test_split(numpy.arange(2), test_size=0.9)),
    }
    return out


def main():
    data = {
        "generator": "scripts/gen_data_fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "loader_lengths": loader_lengths(),
        "batch_sampler": batch_sampler_lists(),
        "random_split": random_split_cases(),
        "option_errors": option_errors(),
        "multinomial_errors": multinomial_errors(),
        "collate": collate_facts(),
        "iterable_orders": iterable_orders(),
        "map_worker_order": map_worker_order(),
        "sklearn": sklearn_facts(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
