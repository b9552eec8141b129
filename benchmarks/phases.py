"""Where dnnlib's step loses time against the floor, phase by phase, in context.

A profiler or a micro-benchmark of one function (the loss alone, the optimizer alone)
measures it with warm caches; inside a training step each phase runs after the GEMMs
have evicted everything, and costs up to three times more. Here both steps run whole,
with a clock read between their phases:

=========  =================================================  =========================
phase      dnnlib (``train_step``'s calls)                    floor (:mod:`.floor`)
=========  =================================================  =========================
forward    ``optimizer.zero_grad()``, ``model.forward(x)``    ``forward``
loss       ``loss.forward(out, y)`` (read as a float),        ``loss_and_grad``
           ``loss.backward()``
backward   ``model.backward(dout)``                           ``backward``
update     ``optimizer.step()``                               ``update``
=========  =================================================  =========================

Blocks of steps of the two alternate (as in :func:`benchmarks.harness.interleaved`);
the table gives the mean time per step of each phase and the difference. Run::

    .venv/bin/python -m benchmarks.phases --batches 32,128 [--opt adam] [--dtype float32]

with one BLAS thread (set here) and the process CPU clock by default.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from benchmarks import harness as H
from benchmarks import impls as I

PHASES = ("forward", "loss", "backward", "update")


def dnnlib_phases(im: I.Dnnlib, clock) -> list[float]:
    """One step of ``train_step`` (the same calls), with the clock read between phases."""
    model, loss, opt = im.model, im.loss, im.opt
    t0 = clock()
    opt.zero_grad()
    out = model.forward(im.x)
    t1 = clock()
    float(loss.forward(out, im.y))
    dout = loss.backward()
    t2 = clock()
    model.backward(dout)
    t3 = clock()
    opt.step()
    t4 = clock()
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


def floor_phases(im: I.Floor, clock) -> list[float]:
    """One step of the floor (its four methods), with the clock read between phases."""
    m = im.m
    t0 = clock()
    h1, h2, z = m.forward(im.x)
    t1 = clock()
    loss, dz3 = m.loss_and_grad(z, im.y)
    float(loss)
    t2 = clock()
    m.backward(im.x, h1, h2, dz3)
    t3 = clock()
    m.update()
    t4 = clock()
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


def run(dtype: str, opt: str, batch: int, *, rounds: int, steps: int, clock: str
        ) -> dict[str, list[float]]:
    """Mean seconds per step of each phase: ``{"dnnlib": [...], "floor": [...]}``."""
    read = H.CLOCKS[clock]
    impls = {"dnnlib": (I.build("dnnlib", dtype, opt, batch), dnnlib_phases),
             "floor": (I.build("floor", dtype, opt, batch), floor_phases)}
    sums = {name: np.zeros(len(PHASES)) for name in impls}
    for im, phases in impls.values():  # warm-up
        for _ in range(steps):
            phases(im, read)
    for r in range(rounds):
        order = list(impls) if r % 2 == 0 else list(impls)[::-1]
        for name in order:
            im, phases = impls[name]
            for _ in range(steps):
                sums[name] += phases(im, read)
    return {name: list(s / (rounds * steps)) for name, s in sums.items()}


def report(res: dict[str, list[float]], label: str) -> str:
    rows = []
    for i, ph in enumerate(PHASES + ("step",)):
        a = sum(res["dnnlib"]) if ph == "step" else res["dnnlib"][i]
        c = sum(res["floor"]) if ph == "step" else res["floor"][i]
        rows.append([ph, f"{a * 1e6:.1f}", f"{c * 1e6:.1f}", f"{(a - c) * 1e6:+.1f}",
                     f"{a / c:.2f}"])
    return f"**{label}** (us per step)\n\n" + H.table(
        ["phase", "dnnlib", "floor", "difference", "ratio"], rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", default="32,128")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--opt", default="adam", choices=("adam", "sgd"))
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--steps", type=int, default=None, help="steps per block (default: ~0.3 s)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    args = p.parse_args(argv)
    try:
        import threadpoolctl
    except ImportError:
        print("benchmarks.phases needs threadpoolctl (./dev bench installs it)", file=sys.stderr)
        return 2
    threadpoolctl.threadpool_limits(1, user_api="blas")
    print(H.describe_machine(), flush=True)
    for batch in (int(b) for b in args.batches.split(",")):
        steps = args.steps or max(3, int(0.3 / (2e-4 + 2e-5 * batch)))
        res = run(args.dtype, args.opt, batch, rounds=args.rounds, steps=steps,
                  clock=args.clock)
        print(report(res, f"{args.dtype} {args.opt}, batch {batch}, {args.rounds} rounds of "
                          f"{steps} steps"), flush=True)
        print(flush=True)
    return 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - start:.0f} s)")
    sys.exit(code)
