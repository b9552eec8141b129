"""Smoke tests of ``benchmarks/``: the compared steps compute the same thing.

The benchmark is only honest if dnnlib (A), PyTorch (B) and the hand-written NumPy
floor (C) do the same work: from the same weights and batch, two training steps must
give the same losses, the same gradients and the same updated weights. No timing here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import impls  # noqa: E402
from benchmarks.floor import NAMES  # noqa: E402

TOL = {"float64": 1e-10, "float32": 2e-4}


def _close(got, want, rtol, what):
    for name, g, w in zip(NAMES, got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * float(np.abs(w).max()),
                                   err_msg=f"{what} {name}")


@pytest.mark.parametrize("batch", [8, 1])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("other", ["dnnlib", "torch"])
def test_same_loss_gradients_and_updates_as_the_floor(other, dtype, optimizer, batch):
    if other == "torch":
        pytest.importorskip("torch")
    floor = impls.build("floor", dtype, optimizer, batch)
    step = impls.build(other, dtype, optimizer, batch)
    rtol = TOL[dtype]
    _close(step.weights(), floor.weights(), 0, "initial weights")
    for i in range(2):
        lf, lo = impls.to_float(floor.step()), impls.to_float(step.step())
        assert lo == pytest.approx(lf, rel=rtol), f"loss at step {i}"
        _close(step.grads(), floor.grads(), rtol, f"gradient at step {i} of")
        _close(step.weights(), floor.weights(), rtol, f"weights after step {i} of")


def test_gradients_match_float64_finite_differences():
    """The floor itself is right: its W3/b3 gradients match centred differences."""
    floor = impls.build("floor", "float64", "sgd", 8)
    m = floor.m
    m.lr = 0.0  # a step computes the gradient and leaves the weights alone
    floor.step()
    eps = 1e-6
    for idx, pos in ((4, (3, 7)), (5, (2,))):
        p = m.params[idx]
        old = p[pos]
        p[pos] = old + eps
        up = float(floor.step())
        p[pos] = old - eps
        down = float(floor.step())
        p[pos] = old
        floor.step()
        assert m.grads[idx][pos] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_step_flops_and_theory():
    assert impls.step_flops(1) == 2 * (2 * (784 * 256 + 256 * 256 + 256 * 10)
                                       + 256 * 256 + 256 * 10)
    assert impls.n_params() == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10


def test_mlp_step_harness_runs_tiny(capsys):
    from benchmarks import mlp_step

    args = mlp_step.parse_args(["--quick", "--batches", "8", "--dtypes", "float32",
                                "--opts", "sgd", "--rounds", "1", "--block-s", "0.001"])
    args.gemm_reps, args.warmup_s = 1, 0.0
    res = mlp_step.run(args)
    (c,) = res["configs"]
    assert set(c["step_s"]) >= {"dnnlib", "floor", "gemm"}
    assert "A/C" in c["ratio"]
    assert "dnnlib/floor" in mlp_step.fmt_targets(mlp_step.targets(res))
    assert "float32, sgd" in mlp_step.report(res)


def test_phases_time_the_same_steps_phase_by_phase():
    """benchmarks.phases runs train_step's calls and the floor's four methods: both
    still train (the loss falls), and the table has every phase and the step."""
    from benchmarks import phases

    res = phases.run("float32", "sgd", 8, rounds=1, steps=2, clock="wall")
    assert set(res) == {"dnnlib", "floor"}
    assert all(len(v) == 4 and min(v) > 0 for v in res.values())
    text = phases.report(res, "tiny")
    for ph in phases.PHASES + ("step",):
        assert f"| {ph}" in text
    floor = impls.build("floor", "float64", "sgd", 8)
    first = float(floor.step())
    for _ in range(20):
        last = float(floor.step())
    assert last < first   # the floor's step, split into its methods, still learns


def test_gpu_script_exits_cleanly_without_a_device():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--quick",
                           "--batches", "8", "--opts", "sgd"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    if "no CUDA device" not in proc.stdout:  # a CUDA machine: it measured something
        assert "batch" in proc.stdout
