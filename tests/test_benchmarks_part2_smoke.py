"""Smoke tests of ``benchmarks/part2.py``: dnnlib and PyTorch do the same work (no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import part2  # noqa: E402


@pytest.mark.parametrize("config", part2.CONFIGS)
def test_same_gradients_and_updates_as_torch(config):
    pytest.importorskip("torch")
    ours, theirs = part2.Dnnlib(config, "float64", small=True), part2.Torch(config, "float64",
                                                                             small=True)
    for _ in range(2):
        a, b = ours.step(), theirs.step()
        np.testing.assert_allclose(np.asarray(a, dtype=float), b.detach().numpy(), rtol=1e-10)
        for g, h in zip(ours.grads(), theirs.grads(), strict=True):
            np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)
        for w, v in zip(ours.weights(), theirs.weights(), strict=True):
            np.testing.assert_allclose(w, v, rtol=1e-9, atol=1e-12)


def test_harness_runs_tiny(capsys):
    args = part2.parse_args(["--quick", "--rounds", "1", "--block-s", "0.001", "--only",
                             "gru", "--no-torch"])
    args.warmup_s = 0.0
    res = part2.run(args)
    (r,) = res["results"]
    assert r["config"] == "gru" and r["step_s"]["dnnlib"] > 0
    assert "gru" in part2.report(res)
