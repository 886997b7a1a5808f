#!/usr/bin/env python3
"""Converts checkpoints between PyTorch and Descent, with the official libraries only.

    python3 scripts/convert_checkpoint.py --from-torch in.pt out.safetensors
    python3 scripts/convert_checkpoint.py --to-torch in.safetensors out.pt

A PyTorch checkpoint is a `torch.save` of
`{"model": model.state_dict(), "optimizer": optimizer.state_dict(),
  "scheduler": scheduler.state_dict(), "step": int}` ("scheduler" may be absent).
A Descent checkpoint (`Checkpoint.save(to:)` in DescentCheckpoint) is one safetensors file:

- tensors `model.<name>` (the model's state dict) and `optimizer.state.<index>.<key>`
  (the optimizer's state tensors);
- metadata (all strings): `descent.checkpoint` ("1"), `step`, `model` (the state dict's
  keys in order, JSON), `optimizer` (the optimizer's state dict without its tensors, JSON:
  `state` maps each index to its scalar state, such as `step`, and `param_groups` is
  PyTorch's list), `scheduler` (its state dict, JSON), and `user.*` entries.

Both directions are exact: `--to-torch` of a `--from-torch` file gives back the original
(the same keys in the same order, tensors of the same dtype and values, the same Python
types: ints stay ints, tuples stay tuples, a MultiStepLR's milestones stay a Counter),
and the result loads with `torch.load(path, weights_only=True)`. PyTorch's param-group
flags that Descent's optimizers do not take (`foreach`, `capturable`, `differentiable`,
`fused`) travel in the metadata and Descent writes them back. Scalar state is a float32
0-d tensor on the PyTorch side (as `step` is) and a JSON number on Descent's; state that
is neither a tensor nor such a scalar (LBFGS keeps Python numbers and lists of tensors) is
kept under `{"python": ...}` for the way back, and Descent's `restore` refuses it.
"""
import argparse
import collections
import json
import math
import os
import sys
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT_KEY = "descent.checkpoint"
MODEL_PREFIX = "model."
STATE_PREFIX = "optimizer.state."
# Metadata the converter adds for the way back; Descent keeps it as it is.
MODEL_METADATA_KEY = "torch.model._metadata"
LIST_KEYS_KEY = "torch.param_group_lists"


def dumps(value):
    """JSON as Descent reads it: compact, non-finite floats as NaN/Infinity."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True, ensure_ascii=False)


# Python values that JSON can't hold as they are: tagged objects.
def to_json(value, tensors, path):
    if isinstance(value, torch.Tensor):
        name = f"{path}"
        tensors[name] = value.detach().clone().contiguous()
        return {"tensor": name}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, tuple):
        return {"tuple": [to_json(v, tensors, f"{path}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [to_json(v, tensors, f"{path}.{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {"dict": [[to_json(k, tensors, f"{path}.k{i}"), to_json(v, tensors, f"{path}.{i}")]
                         for i, (k, v) in enumerate(value.items())]}
    raise TypeError(f"can't convert a {type(value).__name__} at {path}")


def from_json(value, tensors):
    if isinstance(value, list):
        return [from_json(v, tensors) for v in value]
    if isinstance(value, dict):
        if set(value) == {"tensor"}:
            return tensors[value["tensor"]]
        if set(value) == {"tuple"}:
            return tuple(from_json(v, tensors) for v in value["tuple"])
        if set(value) == {"dict"}:
            return {from_json(k, tensors): from_json(v, tensors) for k, v in value["dict"]}
    return value


def scheduler_to_torch(value, key=None):
    """JSON scheduler state back to PyTorch's types: a MultiStepLR's milestones are a Counter
    keyed by int; everything else is plain JSON."""
    if isinstance(value, dict):
        if key == "milestones":
            return collections.Counter({int(k): v for k, v in value.items()})
        return {k: scheduler_to_torch(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scheduler_to_torch(v) for v in value]
    return value


def scheduler_to_json(value):
    if isinstance(value, dict):
        return {str(k): scheduler_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scheduler_to_json(v) for v in value]
    if isinstance(value, torch.Tensor):
        raise TypeError("a scheduler state dict holds a tensor, which Descent's schedulers do not keep")
    return value


def from_torch(source, target):
    checkpoint = torch.load(source, map_location="cpu", weights_only=True)
    missing = {"model", "optimizer", "step"} - set(checkpoint)
    if missing:
        sys.exit(f"{source}: not a checkpoint dict: it lacks {', '.join(sorted(missing))}")
    extra = set(checkpoint) - {"model", "optimizer", "scheduler", "step"}
    if extra:
        sys.exit(f"{source}: unexpected keys {', '.join(sorted(extra))}")
    tensors = {}
    metadata = {FORMAT_KEY: "1", "step": str(int(checkpoint["step"]))}

    model = checkpoint["model"]
    for name, tensor in model.items():
        tensors[MODEL_PREFIX + name] = tensor.detach().clone().contiguous()
    metadata["model"] = dumps(list(model.keys()))
    model_metadata = getattr(model, "_metadata", None)
    if model_metadata is not None:
        metadata[MODEL_METADATA_KEY] = dumps({"dict": [[k, v] for k, v in model_metadata.items()]})

    optimizer = checkpoint["optimizer"]
    state_json = {}
    for index, entries in optimizer["state"].items():
        scalars = {}
        for key, value in entries.items():
            name = f"{STATE_PREFIX}{index}.{key}"
            if isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype == torch.float32:
                scalars[key] = float(value.item())
            elif isinstance(value, torch.Tensor):
                tensors[name] = value.detach().clone().contiguous()
            else:
                scalars[key] = {"python": to_json(value, tensors, name)}
        state_json[str(index)] = scalars
    groups = []
    list_keys = []
    for i, group in enumerate(optimizer["param_groups"]):
        out = {}
        for key, value in group.items():
            if isinstance(value, list) and key != "params":
                list_keys.append([i, key])
            out[key] = list(value) if isinstance(value, tuple) else value
        groups.append(out)
    metadata["optimizer"] = dumps({"state": state_json, "param_groups": groups})
    if list_keys:
        metadata[LIST_KEYS_KEY] = dumps(list_keys)
    if checkpoint.get("scheduler") is not None:
        metadata["scheduler"] = dumps(scheduler_to_json(checkpoint["scheduler"]))

    # Written beside the target and renamed over it, so that a crash leaves no torn file.
    directory = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".convert-", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, temporary, metadata=metadata)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def to_torch(source, target):
    with safe_open(source, framework="pt") as f:
        metadata = f.metadata() or {}
        tensors = {key: f.get_tensor(key) for key in f.keys()}
    if FORMAT_KEY not in metadata:
        sys.exit(f"{source}: a safetensors file, but not a Descent checkpoint (no '{FORMAT_KEY}' metadata)")
    if metadata[FORMAT_KEY] != "1":
        sys.exit(f"{source}: checkpoint format {metadata[FORMAT_KEY]}, this converter reads 1")

    names = json.loads(metadata["model"]) if "model" in metadata else sorted(
        k[len(MODEL_PREFIX):] for k in tensors if k.startswith(MODEL_PREFIX))
    model = collections.OrderedDict((name, tensors[MODEL_PREFIX + name]) for name in names)
    if MODEL_METADATA_KEY in metadata:
        model._metadata = from_json(json.loads(metadata[MODEL_METADATA_KEY]), {})

    optimizer_json = json.loads(metadata["optimizer"])
    referenced = set()

    def collect(value):
        if isinstance(value, dict):
            if set(value) == {"tensor"}:
                referenced.add(value["tensor"])
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    state = {}
    for index_text, scalars in optimizer_json["state"].items():
        entries = state.setdefault(int(index_text), {})
        for key, value in scalars.items():
            if isinstance(value, dict) and set(value) == {"python"}:
                collect(value["python"])
                entries[key] = from_json(value["python"], tensors)
            else:
                entries[key] = torch.tensor(float(value), dtype=torch.float32)
    for name, tensor in tensors.items():
        if name.startswith(STATE_PREFIX) and name not in referenced:
            index_text, key = name[len(STATE_PREFIX):].split(".", 1)
            state.setdefault(int(index_text), {})[key] = tensor
    list_keys = {tuple(k) for k in json.loads(metadata.get(LIST_KEYS_KEY, "[]"))}
    groups = []
    for i, group in enumerate(optimizer_json["param_groups"]):
        groups.append({key: (value if key == "params" or (i, key) in list_keys else tuple(value))
                       if isinstance(value, list) else value for key, value in group.items()})
    checkpoint = {"model": model, "optimizer": {"state": state, "param_groups": groups}}
    if "scheduler" in metadata:
        checkpoint["scheduler"] = scheduler_to_torch(json.loads(metadata["scheduler"]))
    checkpoint["step"] = int(metadata["step"])

    directory = os.path.dirname(os.path.abspath(target))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".convert-", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    direction = parser.add_mutually_exclusive_group(required=True)
    direction.add_argument("--from-torch", action="store_true", help="in.pt → out.safetensors")
    direction.add_argument("--to-torch", action="store_true", help="in.safetensors → out.pt")
    parser.add_argument("source")
    parser.add_argument("target")
    args = parser.parse_args(argv)
    if args.from_torch:
        from_torch(args.source, args.target)
    else:
        to_torch(args.source, args.target)


if __name__ == "__main__":
    main()
