"""Part II speed: convolution and GRU steps, dnnlib vs PyTorch CPU, as ratios in one run.

Three configurations (issue 18), each built from the same weights and inputs in dnnlib
(A) and PyTorch eager on the CPU (B), timed interleaved in this process
(:func:`benchmarks.harness.interleaved`):

``conv2d``
    forward + backward of ``Conv2d(1, 16, 3)`` then ``Conv2d(16, 32, 3)`` on a batch of 64
    images 1x28x28 (float32): the upstream gradient is a fixed array, the input needs no
    gradient (both libraries skip it), the weights' gradients are computed.
``cnn1d``
    one training step of the MNIST-1D CNN of chapter 9 (three ``Conv1d`` of 25 channels,
    ReLU, ``Flatten``, ``Dense(125, 10)``; softmax cross-entropy; Adam, lr 1e-2) on a
    batch of 100 sequences of length 40, given as ``(N, 1, 40)`` (float32); the first
    convolution computes no input gradient, in either library.
``gru``
    forward + backward of ``GRU(1, 64)`` on a batch of 128 sequences of length 40
    (float32), the upstream gradient on the last hidden state (what a classifier on
    the last state sends back); the input needs no gradient.

Target: A/B <= 2.0 for each. Run::

    .venv/bin/python -m benchmarks.part2 [--quick] [--only conv2d,gru] [--threads 1 --clock cpu]
    .venv/bin/python -m benchmarks.part2 --profile gru     # cProfile dnnlib's step

On a busy machine use ``--threads 1 --clock cpu`` (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import harness as H  # noqa: E402

CONFIGS = ("conv2d", "cnn1d", "gru")
TARGET = 2.0


# ----------------------------------------------------------------------------- inputs
def make_inputs(config: str, dtype: str, small: bool = False) -> dict[str, np.ndarray]:
    """Host weights and data (float64, cast later) shared by both implementations."""
    rng = np.random.default_rng(0)
    if config == "conv2d":
        n, hw = (4, 8) if small else (64, 28)
        return {"x": rng.normal(size=(n, 1, hw, hw)),
                "W1": rng.normal(size=(16, 1, 3, 3)) * np.sqrt(2 / 9), "b1": np.zeros(16),
                "W2": rng.normal(size=(32, 16, 3, 3)) * np.sqrt(2 / 144), "b2": np.zeros(32),
                "dout": rng.normal(size=(n, 32, hw - 4, hw - 4))}
    if config == "cnn1d":
        n = 8 if small else 100
        out = {"x": rng.normal(size=(n, 1, 40)), "y": rng.integers(0, 10, size=n)}
        for i, (cin, k) in enumerate(((1, 5), (25, 3), (25, 3)), start=1):
            out[f"W{i}"] = rng.normal(size=(25, cin, k)) * np.sqrt(2 / (cin * k))
            out[f"b{i}"] = np.zeros(25)
        out["W4"] = rng.normal(size=(125, 10)) * np.sqrt(2 / 125)   # dnnlib's (in, out)
        out["b4"] = np.zeros(10)
        return out
    if config == "gru":
        n, T, H_ = (4, 6, 8) if small else (128, 40, 64)
        k = 1 / np.sqrt(H_)
        return {"x": rng.normal(size=(n, T, 1)), "W_ih": rng.uniform(-k, k, (3 * H_, 1)),
                "W_hh": rng.uniform(-k, k, (3 * H_, H_)), "b_ih": rng.uniform(-k, k, 3 * H_),
                "b_hh": rng.uniform(-k, k, 3 * H_), "dout": rng.normal(size=(n, H_))}
    raise ValueError(f"unknown config {config!r}")


# ----------------------------------------------------------------------------- dnnlib
class Dnnlib:
    """dnnlib on NumPy. ``grads()``: host float64 gradients, in :func:`grad_names` order."""

    name = "dnnlib"

    def __init__(self, config: str, dtype: str, small: bool = False):
        import dnnlib as dl
        from dnnlib.layers import GRU, Conv1d, Conv2d, Dense, Flatten, ReLU
        from dnnlib.losses import SoftmaxCrossEntropy
        from dnnlib.model import Sequential
        from dnnlib.optim import Adam

        d = make_inputs(config, dtype, small)
        cast = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
        self.config = config
        if config == "conv2d":
            self.layers = [Conv2d(1, 16, 3, dtype=dtype), Conv2d(16, 32, 3, dtype=dtype)]
            for i, layer in enumerate(self.layers, start=1):
                layer.W.data[...] = d[f"W{i}"]
                layer.b.data[...] = d[f"b{i}"]
            self.layers[0].needs_input_grad = False      # x is the data
            self.x, self.dout = cast(d["x"]), cast(d["dout"])
        elif config == "cnn1d":
            convs = [Conv1d(1, 25, 5, stride=2, padding=1, dtype=dtype),
                     Conv1d(25, 25, 3, stride=2, padding=1, dtype=dtype),
                     Conv1d(25, 25, 3, stride=2, padding=1, dtype=dtype)]
            dense = Dense(125, 10, dtype=dtype)
            for i, c in enumerate(convs, start=1):
                c.W.data[...] = d[f"W{i}"]
                c.b.data[...] = d[f"b{i}"]
            dense.W.data[...] = d["W4"]
            dense.b.data[...] = d["b4"]
            convs[0].needs_input_grad = False
            self.model = Sequential(convs[0], ReLU(), convs[1], ReLU(), convs[2], ReLU(),
                                    Flatten(), dense)
            self.loss = SoftmaxCrossEntropy()
            self.opt = Adam(self.model.params, lr=1e-2)
            self.x, self.y = cast(d["x"]), d["y"].astype(np.int64)
        else:
            H_ = d["W_hh"].shape[1]
            self.layers = [GRU(1, H_, dtype=dtype)]
            gru = self.layers[0]
            for k in ("W_ih", "W_hh", "b_ih", "b_hh"):
                getattr(gru, k).data[...] = d[k]
            gru.needs_input_grad = False
            self.x, self.dout = cast(d["x"]), cast(d["dout"])
        self.dl = dl

    def step(self) -> Any:
        if self.config == "cnn1d":
            self.opt.zero_grad()
            out = self.model.forward(self.x)
            value = self.loss.forward(out, self.y)
            self.model.backward(self.loss.backward())
            self.opt.step()
            return value
        for layer in self.layers:
            layer.zero_grad()
        h = self.x
        for layer in self.layers:
            h = layer.forward(h)
        g = self.dout
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return h

    def sync(self) -> None:
        pass

    def grads(self) -> list[np.ndarray]:
        params = self.model.params if self.config == "cnn1d" else [
            p for layer in self.layers for p in layer.params]
        return [np.asarray(p.grad, dtype=np.float64) for p in params]

    def weights(self) -> list[np.ndarray]:
        params = self.model.params if self.config == "cnn1d" else [
            p for layer in self.layers for p in layer.params]
        return [np.asarray(p.data, dtype=np.float64) for p in params]


# ----------------------------------------------------------------------------- torch
class Torch:
    """PyTorch eager on the CPU, the same computation; gradients in dnnlib's layouts."""

    name = "torch"

    def __init__(self, config: str, dtype: str, small: bool = False):
        import torch

        self.torch = torch
        d = make_inputs(config, dtype, small)
        dt = getattr(torch, dtype)
        t = lambda a: torch.tensor(np.asarray(a), dtype=dt)  # noqa: E731
        self.config = config
        if config == "conv2d":
            self.m = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3),
                                         torch.nn.Conv2d(16, 32, 3)).to(dt)
            with torch.no_grad():
                for i, c in enumerate(self.m, start=1):
                    c.weight.copy_(t(d[f"W{i}"]))
                    c.bias.copy_(t(d[f"b{i}"]))
            self.x, self.dout = t(d["x"]), t(d["dout"])
        elif config == "cnn1d":
            nn = torch.nn
            self.m = nn.Sequential(nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                                   nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                                   nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                                   nn.Flatten(), nn.Linear(125, 10)).to(dt)
            with torch.no_grad():
                for i, idx in enumerate((0, 2, 4), start=1):
                    self.m[idx].weight.copy_(t(d[f"W{i}"]))
                    self.m[idx].bias.copy_(t(d[f"b{i}"]))
                self.m[7].weight.copy_(t(d["W4"]).T)
                self.m[7].bias.copy_(t(d["b4"]))
            self.loss = nn.CrossEntropyLoss()
            self.opt = torch.optim.Adam(self.m.parameters(), lr=1e-2)
            self.x, self.y = t(d["x"]), torch.tensor(d["y"], dtype=torch.int64)
        else:
            H_ = d["W_hh"].shape[1]
            self.m = torch.nn.GRU(1, H_, batch_first=True).to(dt)
            with torch.no_grad():
                for ours, theirs in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"),
                                     ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
                    getattr(self.m, theirs).copy_(t(d[ours]))
            self.x, self.dout = t(d["x"]), t(d["dout"])

    def step(self) -> Any:
        if self.config == "cnn1d":
            self.opt.zero_grad()
            value = self.loss(self.m(self.x), self.y)
            value.backward()
            self.opt.step()
            return value
        for p in self.m.parameters():
            p.grad = None
        if self.config == "conv2d":
            out = self.m(self.x)
        else:
            out = self.m(self.x)[1][0]          # the last hidden state (N, H)
        out.backward(self.dout)
        return out

    def sync(self) -> None:
        pass

    def grads(self) -> list[np.ndarray]:
        out = [p.grad.detach().double().numpy() for p in self.m.parameters()]
        if self.config == "cnn1d":
            out[-2] = out[-2].T                 # Linear stores (out, in)
        return out

    def weights(self) -> list[np.ndarray]:
        out = [p.detach().double().numpy() for p in self.m.parameters()]
        if self.config == "cnn1d":
            out[-2] = out[-2].T
        return out


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- run
def bench(config: str, dtype: str, timing: dict[str, Any], has_torch: bool) -> dict[str, Any]:
    impls: dict[str, Any] = {"dnnlib": Dnnlib(config, dtype)}
    if has_torch:
        impls["torch"] = Torch(config, dtype)
    res = H.interleaved(impls, **timing)
    out: dict[str, Any] = {"config": config, "dtype": dtype, "k": res["k"],
                           "step_s": {n: statistics.median(ts) for n, ts in res["times"].items()}}
    if has_torch:
        out["ratio"] = H.ratio(res["blocks"]["dnnlib"], res["blocks"]["torch"])
    return out


def _limit_threads(n: int) -> None:
    """BLAS threads for NumPy: threadpoolctl if installed, else re-run with OPENBLAS_NUM_THREADS."""
    try:
        import threadpoolctl
    except ImportError:
        if os.environ.get("OPENBLAS_NUM_THREADS") != str(n):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(n), OMP_NUM_THREADS=str(n))
            os.execve(sys.executable, [sys.executable, "-m", "benchmarks.part2", *sys.argv[1:]],
                      env)
        return
    threadpoolctl.threadpool_limits(n, user_api="blas")


def run(args: argparse.Namespace) -> dict[str, Any]:
    has_torch = torch_available() and not args.no_torch
    if args.threads:
        _limit_threads(args.threads)
    threads = args.threads or H.blas_threads()
    if has_torch:
        import torch

        torch.set_num_threads(threads)
    print(H.describe_machine(), flush=True)
    timing = {"rounds": args.rounds, "block_s": args.block_s, "warmup_s": args.warmup_s,
              "clock": args.clock}
    results = []
    for config in args.only:
        r = bench(config, args.dtype, timing, has_torch)
        results.append(r)
        print(f"  {config:6s}: dnnlib {H.fmt_time(r['step_s']['dnnlib'])}, torch "
              f"{H.fmt_time(r['step_s'].get('torch'))}, A/B {H.fmt_ratio(r.get('ratio'))}",
              flush=True)
    return {"machine": H.describe_machine(), "threads": threads, "clock": args.clock,
            "results": results}


def report(res: dict[str, Any]) -> str:
    rows = []
    for r in res["results"]:
        ratio = r.get("ratio")
        verdict = "-" if not ratio else ("met" if ratio["median"] <= TARGET else "MISSED")
        rows.append([r["config"], r["dtype"], H.fmt_time(r["step_s"]["dnnlib"]),
                     H.fmt_time(r["step_s"].get("torch")), H.fmt_ratio(ratio),
                     f"<= {TARGET}", verdict, r["k"]])
    return H.table(["config", "dtype", "A dnnlib", "B torch", "A/B", "target", "", "steps/block"],
                   rows)


def profile(config: str, steps: int = 50) -> None:
    im = Dnnlib(config, "float32")
    H.profile_steps(im.step, warmup=5, steps=steps, top=15,
                    title=f"cProfile of {steps} dnnlib steps of {config} (tottime: inside the "
                          "function)")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    p.add_argument("--only", default=",".join(CONFIGS), help=f"subset of {','.join(CONFIGS)}")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--block-s", type=float, default=None)
    p.add_argument("--threads", type=int, default=None, help="BLAS and torch threads")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--profile", choices=CONFIGS, help="cProfile dnnlib's step instead")
    p.add_argument("--json", help="write the results as JSON to this file")
    a = p.parse_args(argv)
    a.only = [c for c in a.only.split(",") if c]
    for c in a.only:
        if c not in CONFIGS:
            p.error(f"--only: unknown config {c!r}; choose from {CONFIGS}")
    a.rounds = a.rounds or (3 if a.quick else 9)
    a.block_s = a.block_s or (0.1 if a.quick else 0.5)
    a.warmup_s = 0.1 if a.quick else 0.5
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.profile:
        if args.threads:
            _limit_threads(args.threads)
        profile(args.profile)
        return 0
    res = run(args)
    print()
    print(report(res))
    H.write_json(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
