"""A/B: this tree's dnnlib step against another tree's, interleaved in one process.

For measuring a change on a busy machine: both steps (and the floor) run in the same
process, alternating blocks (:func:`benchmarks.harness.interleaved`), so load moves
them together and their ratio stays meaningful. The other tree is a copy of the
``dnnlib`` package renamed (its imports are relative), e.g.::

    git archive main dnnlib | tar -x -C /tmp/base && mv /tmp/base/dnnlib /tmp/base/dnnlib_base
    python -m benchmarks.ab --base /tmp/base --threads 1 --clock cpu

Prints per batch size: new/base, new/floor and base/floor (median over rounds, min-max).
"""

from __future__ import annotations

import argparse
import importlib
import sys

import numpy as np

from benchmarks import harness as H
from benchmarks import impls as I
from benchmarks.floor import NAMES


class BaseDnnlib:
    """The other tree's step, written as that tree's benchmark wrote it."""

    name = "base"

    def __init__(self, pkg, dtype, optimizer, batch):
        L = importlib.import_module(f"{pkg}.layers")
        M = importlib.import_module(f"{pkg}.model")
        Lo = importlib.import_module(f"{pkg}.losses")
        O = importlib.import_module(f"{pkg}.optim")
        B = importlib.import_module(f"{pkg}.backend")
        weights = I.make_weights(0)
        x, y = I.make_batch(batch, seed=1)
        previous = B.get_default_dtype()
        B.set_default_dtype(dtype)
        try:
            self.model = M.Sequential(L.Dense(784, 256, rng=0), L.ReLU(), L.Dense(256, 256, rng=1),
                                      L.ReLU(), L.Dense(256, 10, rng=2))
        finally:
            B.set_default_dtype(previous)
        self.model.load_state_dict({f"{2 * (i // 2)}.{'W' if i % 2 == 0 else 'b'}": weights[n]
                                    for i, n in enumerate(NAMES)})
        self.x, self.y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=np.int64)
        self.loss = Lo.SoftmaxCrossEntropy()
        self.opt = (O.Adam(self.model.params, **I.ADAM_KW) if optimizer == "adam"
                    else O.SGD(self.model.params, **I.SGD_KW))
        # A tree with train.train_step (issue 16 on) steps as impls.Dnnlib does; an older
        # one as its own benchmark did.
        T = importlib.import_module(f"{pkg}.train")
        self.train_step = getattr(T, "train_step", None)
        if self.train_step is not None:
            self.model.needs_input_grad = False

    def step(self):
        if self.train_step is not None:
            return self.train_step(self.model, self.loss, self.opt, self.x, self.y)[0]
        self.opt.zero_grad()
        loss = self.loss.forward(self.model.forward(self.x), self.y)
        self.model.backward(self.loss.backward(), need_input_grad=False)
        self.opt.step()
        return loss

    def sync(self):
        pass


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="folder holding the renamed package")
    p.add_argument("--pkg", default="dnnlib_base")
    p.add_argument("--batches", default="1,32,128,1024")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--opt", default="adam")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--block-s", type=float, default=0.3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    args = p.parse_args()
    if args.threads:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    sys.path.insert(0, args.base)
    print(H.load_note())
    for n in (int(b) for b in args.batches.split(",")):
        impls = {"new": I.build("dnnlib", args.dtype, args.opt, n),
                 "base": BaseDnnlib(args.pkg, args.dtype, args.opt, n),
                 "floor": I.build("floor", args.dtype, args.opt, n)}
        res = H.interleaved(impls, rounds=args.rounds, block_s=args.block_s, warmup_s=0.5,
                            clock=args.clock)
        b = res["blocks"]
        fmt = lambda r: f"{r['median']:.3f} ({r['min']:.2f}-{r['max']:.2f})"  # noqa: E731
        print(f"batch {n:5d}: new/base {fmt(H.ratio(b['new'], b['base']))}  "
              f"new/floor {fmt(H.ratio(b['new'], b['floor']))}  "
              f"base/floor {fmt(H.ratio(b['base'], b['floor']))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
