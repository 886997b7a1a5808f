#!/usr/bin/env python3
"""Checkpoints between PyTorch and Descent: the Python half of the checks.

    python3 scripts/test_checkpoint_interop.py          (or: python3 -m pytest scripts/...)

1. scripts/convert_checkpoint.py is exact: --from-torch then --to-torch gives back the
   original checkpoint (keys, order, dtypes, values and Python types), which loads with
   torch.load(weights_only=True), for every torch.optim optimizer and every scheduler.
2. A Descent checkpoint loads in the official safetensors library and in torch.
3. Start in PyTorch, continue in Descent (the CheckpointInterop tool of this package),
   go back to PyTorch: for every optimizer of Descent's registry, with a scheduler, the
   result matches an uninterrupted PyTorch run to the optimizer fixtures' tolerances
   (relative 1e-5 in float32, with an absolute floor of 16 ulps of the largest magnitude
   the element held).

Runs when torch and safetensors are importable; otherwise every test is skipped with the
reason printed. The Swift test suite does not need this script.
"""
import collections
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONVERTER = ROOT / "scripts" / "convert_checkpoint.py"

try:
    import torch
    import safetensors
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    MISSING = None
except ImportError as error:  # pragma: no cover - depends on the machine
    MISSING = f"needs torch and safetensors ({error})"
    print(f"SKIP: {MISSING}")


def convert(direction, source, target):
    """Runs the converter's command line in this process (importing torch once)."""
    sys.path.insert(0, str(CONVERTER.parent))
    import convert_checkpoint
    convert_checkpoint.main([direction, str(source), str(target)])


def same(a, b, path="checkpoint"):
    """Exact equality, types included."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
        bits = lambda t: t.contiguous().reshape(-1).view(torch.uint8)
        assert torch.equal(bits(a), bits(b)), f"{path}: values differ"
    elif isinstance(a, dict):
        if isinstance(a, collections.OrderedDict):
            assert list(a) == list(b), f"{path}: key order {list(a)} vs {list(b)}"
            assert getattr(a, "_metadata", None) == getattr(b, "_metadata", None), f"{path}: _metadata"
        assert set(a) == set(b), f"{path}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{path}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def model_and_data(dtype=None):
    dtype = dtype or torch.float32
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).to(dtype)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(16, 4, generator=g, dtype=dtype)
    y = torch.randn(16, 2, generator=g, dtype=dtype)
    return model, x, y


def train(model, optimizer, scheduler, x, y, steps):
    for step in steps:
        rows = (step % 4) * 4
        def closure():
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[rows:rows + 4]), y[rows:rows + 4])
            loss.backward()
            return loss

        loss = closure()
        if isinstance(optimizer, torch.optim.LBFGS):
            optimizer.step(closure)
        else:
            optimizer.step()
        if scheduler is not None:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(loss.item())
            else:
                scheduler.step()


def all_optimizers(params):
    o = torch.optim
    made = [o.SGD(params(), lr=0.05, momentum=0.9, nesterov=True), o.Adam(params(), lr=0.02, amsgrad=True),
            o.AdamW(params(), lr=0.02), o.RMSprop(params(), lr=0.01, centered=True, momentum=0.5),
            o.Adagrad(params(), lr=0.1), o.Adadelta(params()), o.Adamax(params()), o.NAdam(params()),
            o.RAdam(params()), o.ASGD(params()), o.Rprop(params()), o.LBFGS(params(), history_size=3, max_iter=2)]
    if hasattr(o, "Adafactor"):
        made.append(o.Adafactor(params()))
    if hasattr(o, "SparseAdam"):
        pass  # sparse gradients only
    return made


def all_schedulers(optimizer):
    L = torch.optim.lr_scheduler
    return [None, L.LambdaLR(optimizer, lambda e: 0.9 ** e), L.MultiplicativeLR(optimizer, lambda e: 0.95),
            L.StepLR(optimizer, 2), L.MultiStepLR(optimizer, [1, 3]), L.ConstantLR(optimizer), L.LinearLR(optimizer),
            L.ExponentialLR(optimizer, 0.9), L.PolynomialLR(optimizer), L.CosineAnnealingLR(optimizer, 5),
            L.CosineAnnealingWarmRestarts(optimizer, 3), L.ReduceLROnPlateau(optimizer),
            L.SequentialLR(optimizer, [L.ConstantLR(optimizer), L.MultiStepLR(optimizer, [2])], [2]),
            L.ChainedScheduler([L.ConstantLR(optimizer), L.ExponentialLR(optimizer, 0.9)])]


@unittest.skipIf(MISSING, MISSING)
class ConverterTests(unittest.TestCase):
    def test_from_torch_then_to_torch_is_exact_for_every_optimizer_and_scheduler(self):
        with tempfile.TemporaryDirectory() as directory:
            d = Path(directory)
            model, x, y = model_and_data()
            count = 0
            for i in range(len(all_optimizers(lambda: model.parameters()))):
                for j in range(14):
                    optimizer = all_optimizers(lambda: model.parameters())[i]
                    scheduler = all_schedulers(optimizer)[j] if j else None
                    if isinstance(optimizer, torch.optim.LBFGS) and j > 3:
                        continue
                    train(model, optimizer, scheduler, x, y, range(3))
                    original = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 3 + j}
                    if scheduler is not None:
                        original["scheduler"] = scheduler.state_dict()
                    with self.subTest(optimizer=type(optimizer).__name__, scheduler=type(scheduler).__name__):
                        torch.save(original, d / "in.pt")
                        convert("--from-torch", d / "in.pt", d / "c.safetensors")
                        convert("--to-torch", d / "c.safetensors", d / "back.pt")
                        back = torch.load(d / "back.pt", weights_only=True)
                        same(torch.load(d / "in.pt", weights_only=True), back)
                        count += 1
            print(f"converter: {count} checkpoints round-tripped exactly")

    def test_descent_checkpoint_loads_in_safetensors_and_torch(self):
        binary = interop_binary()
        with tempfile.TemporaryDirectory() as directory:
            d = Path(directory)
            case = json.loads(subprocess.run([binary, "cases"], check=True, capture_output=True, text=True).stdout)[0]
            model, x, y = model_and_data()
            optimizer, scheduler = torch_case(case, model)
            train(model, optimizer, scheduler, x, y, range(2))
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "step": 2}, d / "a.pt")
            convert("--from-torch", d / "a.pt", d / "a.safetensors")
            save_file({"x": x, "y": y}, d / "data.safetensors")
            subprocess.run([binary, "train", "0", str(d / "a.safetensors"), str(d / "data.safetensors"), "4",
                            str(d / "descent.safetensors")], check=True)
            # The official library reads Descent's file...
            with safe_open(d / "descent.safetensors", framework="pt") as f:
                keys = set(f.keys())
                metadata = f.metadata()
            self.assertIn("model.0.weight", keys)
            self.assertEqual(metadata["descent.checkpoint"], "1")
            self.assertEqual(metadata["step"], "4")
            tensors = load_file(d / "descent.safetensors")
            self.assertEqual(tensors["model.0.weight"].dtype, torch.float32)
            self.assertEqual(tuple(tensors["model.0.weight"].shape), (8, 4))
            # ...and torch loads its conversion into fresh objects.
            convert("--to-torch", d / "descent.safetensors", d / "descent.pt")
            back = torch.load(d / "descent.pt", weights_only=True)
            fresh, _, _ = model_and_data()
            fresh.load_state_dict(back["model"])
            fresh_optimizer, fresh_scheduler = torch_case(case, fresh)
            fresh_optimizer.load_state_dict(back["optimizer"])
            fresh_scheduler.load_state_dict(back["scheduler"])
            self.assertEqual(back["step"], 4)
            print(f"Descent checkpoint: {len(keys)} tensors read by safetensors {safetensors.__version__}, "
                  f"loaded into torch {torch.__version__}")


def interop_binary():
    subprocess.run(["swift", "build", "--product", "CheckpointInterop"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
    return str(Path(bin_path) / "CheckpointInterop")


def torch_case(case, model):
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    optimizer = getattr(torch.optim, case["optimizer"])(model.parameters(), **kwargs)
    skw = dict(case["scheduler_kwargs"])
    for key in ("step_size", "T_max", "total_steps"):
        if key in skw:
            skw[key] = int(skw[key])
    scheduler = getattr(torch.optim.lr_scheduler, case["scheduler"])(optimizer, **skw)
    return optimizer, scheduler


@unittest.skipIf(MISSING, MISSING)
class CrossLanguageTests(unittest.TestCase):
    START, SWITCH, END = 4, 8, 12

    def test_pytorch_then_descent_then_pytorch_matches_an_uninterrupted_run(self):
        binary = interop_binary()
        cases = json.loads(subprocess.run([binary, "cases"], check=True, capture_output=True, text=True).stdout)
        with tempfile.TemporaryDirectory() as directory:
            d = Path(directory)
            for index, case in enumerate(cases):
                with self.subTest(optimizer=case["optimizer"], scheduler=case["scheduler"]):
                    self.run_case(binary, index, case, d)

    def test_a_pytorch_checkpoint_restored_and_saved_by_descent_converts_back_exactly(self):
        """Through Descent's restore and a new Checkpoint of the live objects (no step in
        between), a PyTorch checkpoint comes back unchanged: flags, Python types and all."""
        binary = interop_binary()
        cases = json.loads(subprocess.run([binary, "cases"], check=True, capture_output=True, text=True).stdout)
        with tempfile.TemporaryDirectory() as directory:
            d = Path(directory)
            for index, case in enumerate(cases):
                with self.subTest(optimizer=case["optimizer"], scheduler=case["scheduler"]):
                    model, x, y = model_and_data()
                    optimizer, scheduler = torch_case(case, model)
                    train(model, optimizer, scheduler, x, y, range(self.START))
                    original = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                "scheduler": scheduler.state_dict(), "step": self.START}
                    torch.save(original, d / "start.pt")
                    convert("--from-torch", d / "start.pt", d / "start.safetensors")
                    save_file({"x": x, "y": y}, d / "data.safetensors")
                    subprocess.run([binary, "train", str(index), str(d / "start.safetensors"),
                                    str(d / "data.safetensors"), str(self.START), str(d / "same.safetensors")],
                                   check=True)
                    convert("--to-torch", d / "same.safetensors", d / "same.pt")
                    same(torch.load(d / "start.pt", weights_only=True), torch.load(d / "same.pt", weights_only=True))

    def run_case(self, binary, index, case, d):
        # Uninterrupted PyTorch, with the largest magnitude each element held.
        model, x, y = model_and_data()
        optimizer, scheduler = torch_case(case, model)
        scales = [p.detach().abs().clone() for p in model.parameters()]
        for step in range(self.END):
            train(model, optimizer, scheduler, x, y, range(step, step + 1))
            scales = [torch.maximum(s, p.detach().abs()) for s, p in zip(scales, model.parameters())]
        expected = [p.detach().clone() for p in model.parameters()]

        # PyTorch up to START, Descent up to SWITCH, PyTorch to the END.
        model, x, y = model_and_data()
        optimizer, scheduler = torch_case(case, model)
        train(model, optimizer, scheduler, x, y, range(self.START))
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "step": self.START}, d / "start.pt")
        convert("--from-torch", d / "start.pt", d / "start.safetensors")
        save_file({"x": x, "y": y}, d / "data.safetensors")
        subprocess.run([binary, "train", str(index), str(d / "start.safetensors"), str(d / "data.safetensors"),
                        str(self.SWITCH), str(d / "switch.safetensors")], check=True)
        convert("--to-torch", d / "switch.safetensors", d / "switch.pt")
        back = torch.load(d / "switch.pt", weights_only=True)
        self.assertEqual(back["step"], self.SWITCH)
        model, x, y = model_and_data()
        model.load_state_dict(back["model"])
        optimizer, scheduler = torch_case(case, model)
        optimizer.load_state_dict(back["optimizer"])
        scheduler.load_state_dict(back["scheduler"])
        train(model, optimizer, scheduler, x, y, range(self.SWITCH, self.END))

        worst = 0.0
        for p, e, s in zip(model.parameters(), expected, scales):
            allowed = torch.maximum(1e-5 * e.abs(), 16 * torch.finfo(torch.float32).eps * s)
            ratio = ((p.detach() - e).abs() / allowed).max().item()
            worst = max(worst, ratio)
        print(f"{case['optimizer']} + {case['scheduler']}: PyTorch → Descent → PyTorch, worst error "
              f"{worst:.3f}× the tolerance")
        self.assertLessEqual(worst, 1.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
