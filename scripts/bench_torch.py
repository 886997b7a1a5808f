#!/usr/bin/env python3
"""Times PyTorch's optimizer step on the cases `descent bench optimizers` runs.

For each case it measures every implementation PyTorch has on the CPU: the per-tensor
for-loop (`foreach=False`, PyTorch's CPU default), the multi-tensor `foreach=True`, and the
`fused=True` kernels where the optimizer has one. Output is JSON on stdout:

  {"torch": "2.13.0+cpu", "threads": 2, "results": [
     {"optimizer": "adam", "params": 50000000, "layout": "single", "dtype": "float32",
      "impl": "fused", "median_ms": 41.2, "samples": 15}, ...]}

Usage: python3 scripts/bench_torch.py --optimizers Adam SGD:momentum=0.9 \
         --sizes 1000000,10000000 --layout single --dtype float32 --threads 2 --repeats 15

Optimizers are torch.optim class names with optional keyword arguments; the Swift side
sends its registry's names (PyTorch's) and options, so this script keeps no list of them.

`--serve` turns it into a step server for `descent bench optimizers --compare-torch`, which
interleaves its own steps with PyTorch's one at a time, so that load from other processes
hits both alike. It reads one JSON request per line on stdin and answers one JSON line:

  {"op": "setup", "optimizer": "Adam", "kwargs": {"lr": 0.001}, "params": 50000000,
   "layout": "single",
   "per_tensor": 1000, "dtype": "float32", "impls": ["forloop", "foreach", "fused"],
   "warmup": 3}            -> {"impls": {"forloop": null, "fused": "error message", ...},
                               "default_impl": "forloop"}
  {"op": "step", "impl": "fused", "steps": 1}   -> {"ms": [5.91]}
  {"op": "mlp_setup", "layers": [784, 512, 256, 10], "batch": 128,
   "impls": ["default", "fused"]}               -> {"impls": {"default": null, ...}}
  {"op": "call", "impl": "default", "steps": 1} -> {"ms": [3.1]}   (one MLP training step)
  {"op": "linalg_setup", "fn": "cholesky", "n": 1024, "dtype": "float32", "warmup": 1}
                                                -> {"impls": {"cholesky": null}}
  {"op": "call", "impl": "cholesky", "steps": 1} -> {"ms": [20.4]}  (one torch.linalg call)
  {"op": "layer_setup", "layer": "layernorm", "dtype": "bfloat16", "rows": 512,
   "features": 1024, "warmup": 2}               -> {"impls": {"layernorm": null}}
  {"op": "call", "impl": "layernorm", "steps": 1} -> {"ms": [1.4]}  (forward + backward)
  {"op": "quit"}
"""
import argparse
import ast
import json
import platform
import statistics
import sys
import time

import torch

def optimizer_class(name):
    """The torch.optim class named `name` (any case): the Swift side sends the names of its
    registry (`OptimizerKind`), which are PyTorch's class names, so no list lives here."""
    classes = {n.lower(): c for n, c in vars(torch.optim).items()
               if isinstance(c, type) and issubclass(c, torch.optim.Optimizer)}
    try:
        return classes[name.lower()]
    except KeyError:
        raise ValueError(f"torch.optim has no optimizer {name!r}") from None


def parse_spec(spec):
    """`Adam` or `SGD:lr=0.1,momentum=0.9,betas=(0.9,0.99)` -> (name, kwargs)."""
    name, _, rest = spec.partition(":")
    kwargs, depth, item = {}, 0, ""
    for c in rest + ",":
        depth += c in "(["
        depth -= c in ")]"
        if c == "," and depth == 0:
            if item:
                key, _, value = item.partition("=")
                kwargs[key.strip()] = ast.literal_eval(value.strip().replace("true", "True")
                                                       .replace("false", "False"))
            item = ""
        else:
            item += c
    return name, kwargs


def make_params(total, layout, dtype, per_tensor):
    gen = torch.Generator().manual_seed(0)
    if layout == "single":
        shapes = [total]
    else:
        shapes = [per_tensor] * max(1, total // per_tensor)
    params = []
    for n in shapes:
        p = torch.randn(n, generator=gen, dtype=dtype).requires_grad_()
        p.grad = torch.randn(n, generator=gen, dtype=dtype) * 1e-3
        params.append(p)
    return params


def time_case(name, kwargs, impl, params, repeats, warmup):
    try:
        opt = make_optimizer(name, kwargs, impl, params)
        for _ in range(warmup):
            opt.step()
    except (RuntimeError, TypeError, ValueError) as error:  # no such implementation
        return None, str(error).splitlines()[0]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        opt.step()
        samples.append((time.perf_counter() - start) * 1e3)
    return samples, None


def default_impl(params):
    """The implementation PyTorch picks when neither `foreach` nor `fused` is given."""
    from torch.optim.optimizer import _default_to_fused_or_foreach
    fused, foreach = _default_to_fused_or_foreach(params, differentiable=False, use_fused=False)
    return "fused" if fused else ("foreach" if foreach else "forloop")


def make_optimizer(name, kwargs, impl, params):
    cls = optimizer_class(name)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    if impl == "forloop":
        kwargs["foreach"] = False
    elif impl == "foreach":
        kwargs["foreach"] = True
    elif impl == "fused":
        kwargs["fused"] = True
    return cls(params, **kwargs)


def serve():
    """Answers step requests on stdin (see the module docstring)."""
    params, optimizers = None, {}
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "quit":
            break
        if op == "setup":
            params, optimizers = None, {}
            dtype = getattr(torch, request["dtype"])
            params = make_params(request["params"], request["layout"], dtype,
                                 request.get("per_tensor", 1000))
            status = {}
            # One set of parameters and gradients shared by every implementation, each with
            # its own optimizer state: the work per step is the same, the memory is not
            # multiplied by three.
            for impl in request["impls"]:
                try:
                    opt = make_optimizer(request["optimizer"], request.get("kwargs", {}),
                                         impl, params)
                    for _ in range(request.get("warmup", 3)):
                        opt.step()
                    optimizers[impl] = opt
                    status[impl] = None
                except (RuntimeError, TypeError, ValueError) as error:
                    status[impl] = str(error).splitlines()[0]
            answer = dict(impls=status, default_impl=default_impl(params))
        elif op == "step":
            opt = optimizers[request["impl"]]
            samples = []
            for _ in range(request.get("steps", 1)):
                start = time.perf_counter()
                opt.step()
                samples.append((time.perf_counter() - start) * 1e3)
            answer = dict(ms=samples)
        elif op == "mlp_setup":
            # An MLP training step: zero_grad, forward, cross-entropy, backward, Adam step,
            # with PyTorch's default Adam (for-loop on CPU) and with fused=True.
            torch.manual_seed(0)
            sizes = request["layers"]
            layers = []
            for i in range(len(sizes) - 1):
                layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
                if i < len(sizes) - 2:
                    layers.append(torch.nn.ReLU())
            model = torch.nn.Sequential(*layers)
            x = torch.randn(request["batch"], sizes[0])
            y = torch.randint(0, sizes[-1], (request["batch"],))
            criterion = torch.nn.CrossEntropyLoss()
            mlp = {}
            for impl in request.get("impls", ["default", "fused"]):
                kwargs = dict(lr=request.get("lr", 1e-3))
                if impl == "fused":
                    kwargs["fused"] = True
                elif impl == "foreach":
                    kwargs["foreach"] = True
                opt = torch.optim.Adam(model.parameters(), **kwargs)

                def step(opt=opt):
                    opt.zero_grad()
                    loss = criterion(model(x), y)
                    loss.backward()
                    opt.step()
                for _ in range(request.get("warmup", 3)):
                    step()
                mlp[impl] = step
            optimizers = mlp
            answer = dict(impls={k: None for k in mlp})
        elif op == "linalg_setup":
            # One torch.linalg call on an n x n input of the kind descent bench linalg times:
            # a well-conditioned A with one right-hand side for solve, a symmetric positive-
            # definite matrix for cholesky and eigh, a Gaussian matrix for svd (reduced).
            fn, n = request["fn"], request["n"]
            dtype = getattr(torch, request["dtype"])
            gen = torch.Generator().manual_seed(0)
            x = torch.randn(n, n, generator=gen, dtype=dtype)
            if fn == "solve":
                a, b = x + n * torch.eye(n, dtype=dtype), torch.randn(n, 1, generator=gen, dtype=dtype)
                call = lambda: torch.linalg.solve(a, b)  # noqa: E731
            elif fn == "cholesky":
                a = x @ x.mT + n * torch.eye(n, dtype=dtype)
                call = lambda: torch.linalg.cholesky(a)  # noqa: E731
            elif fn == "eigh":
                a = x + x.mT
                call = lambda: torch.linalg.eigh(a)  # noqa: E731
            elif fn == "svd":
                call = lambda: torch.linalg.svd(x, full_matrices=False)  # noqa: E731
            else:
                raise ValueError(f"unknown linalg function {fn}")
            for _ in range(request.get("warmup", 1)):
                call()
            optimizers = {fn: call}
            answer = dict(impls={fn: None})
        elif op == "layer_setup":
            # One training-mode forward and backward of a layer, `y = layer(x);
            # y.sum().backward()`, as `descent bench layers` times it: LayerNorm and
            # BatchNorm1d on rows x features, Embedding(vocab, width) looked up `lookups` times.
            layer, dtype = request["layer"], getattr(torch, request["dtype"])
            gen = torch.Generator().manual_seed(0)
            if layer == "embedding":
                module = torch.nn.Embedding(request["vocab"], request["width"], dtype=dtype)
                x = torch.randint(0, request["vocab"], (request["lookups"],), generator=gen)
            else:
                cls = torch.nn.LayerNorm if layer == "layernorm" else torch.nn.BatchNorm1d
                module = cls(request["features"], dtype=dtype)
                x = torch.randn(request["rows"], request["features"], generator=gen).to(dtype).requires_grad_(True)

            def call(module=module, x=x):
                module(x).sum().backward()
            for _ in range(request.get("warmup", 2)):
                call()
            optimizers = {layer: call}
            answer = dict(impls={layer: None})
        elif op == "call":
            fn = optimizers[request["impl"]]
            samples = []
            for _ in range(request.get("steps", 1)):
                start = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - start) * 1e3)
            answer = dict(ms=samples)
        elif op == "hello":
            answer = dict(torch=torch.__version__, python=platform.python_version(),
                          threads=torch.get_num_threads())
        else:
            answer = dict(error=f"unknown op {op}")
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true",
                    help="answer JSON step requests on stdin (used by descent bench optimizers)")
    ap.add_argument("--optimizers", nargs="+", default=["SGD:momentum=0.9", "RMSprop", "Adam", "AdamW"],
                    help="torch.optim class names, each with optional kwargs: SGD:lr=0.1,momentum=0.9")
    ap.add_argument("--sizes", default="1000000,10000000,50000000")
    ap.add_argument("--layout", default="single", choices=["single", "many"])
    ap.add_argument("--per-tensor", type=int, default=1000)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--impls", default="forloop,foreach,fused")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.serve:
        serve()
        return
    dtype = getattr(torch, args.dtype)
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        params = make_params(size, args.layout, dtype, args.per_tensor)
        for spec in args.optimizers:
            name, kwargs = parse_spec(spec)
            for impl in args.impls.split(","):
                fresh = [p.detach().clone().requires_grad_() for p in params]
                for f, p in zip(fresh, params):
                    f.grad = p.grad.clone()
                samples, error = time_case(name, kwargs, impl, fresh, args.repeats, args.warmup)
                row = dict(optimizer=spec, params=size, layout=args.layout, dtype=args.dtype,
                           impl=impl, threads=args.threads)
                if samples is None:
                    row["unsupported"] = error
                else:
                    row["median_ms"] = statistics.median(samples)
                    row["samples"] = len(samples)
                results.append(row)
                print(f"{spec:12s} {size:>10d} {args.layout:6s} {impl:8s} "
                      + (f"{row['median_ms']:9.3f} ms" if samples else "unsupported"),
                      file=sys.stderr)
                del fresh
        del params
    json.dump(dict(torch=torch.__version__, threads=args.threads, results=results), sys.stdout,
              indent=1)
    print()


if __name__ == "__main__":
    main()
