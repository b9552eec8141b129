"""dnnlib.portable: rounding to significant digits, and RoundState resynchronising two runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.layers import BatchNorm1d, Dense, ReLU
from dnnlib.losses import SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import Adam
from dnnlib.portable import RoundState, round_significant, round_state
from dnnlib.train import fit


@pytest.mark.parametrize("digits", [1, 3, 6, 15])
def test_round_significant_matches_formatting(xp, digits):
    rng = np.random.default_rng(0)
    a = rng.normal(size=50) * 10.0 ** rng.integers(-8, 8, size=50)
    a[3] = 0.0
    got = round_significant(B.asarray(a, dtype=xp.float64), digits)
    assert_namespace(got, xp)
    want = np.array([float(f"{v:.{digits - 1}e}") for v in a])
    np.testing.assert_allclose(dl.to_numpy(got), want, rtol=1e-15 * 10, atol=0)
    assert dl.to_numpy(got)[3] == 0.0


def test_round_significant_keeps_dtype_and_is_idempotent():
    a = np.random.default_rng(1).normal(size=20).astype(np.float32)
    r = round_significant(a, 4)
    assert r.dtype == np.float32
    np.testing.assert_array_equal(round_significant(r, 4), r)


@pytest.mark.parametrize("bad, exc, msg", [
    (0, ValueError, "digits must be >= 1"),
    (16, ValueError, "digits must be <= 15"),
    (2.5, TypeError, "digits must be an int"),
])
def test_round_significant_bad_digits(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        round_significant(np.ones(3), bad)


def _model():
    return Sequential(Dense(4, 8, rng=0), BatchNorm1d(8), ReLU(), Dense(8, 3, rng=1))


def test_round_state_rounds_params_buffers_and_optimizer_state():
    model = _model()
    opt = Adam(model.params, lr=0.01)
    X = np.random.default_rng(2).normal(size=(16, 4))
    y = np.arange(16) % 3
    fit(model, SoftmaxCrossEntropy(), opt, X, y, epochs=1, batch_size=8, rng=0,
        progress=False)
    round_state(model, opt, 3)
    arrays = [p.data for p in model.params] + list(model.buffers().values()) + \
        [b for st in opt.state for b in st.values()]
    assert len(arrays) == 6 + 2 + 12
    for a in arrays:
        np.testing.assert_array_equal(a, round_significant(a, 3))


def test_round_state_callback_resynchronises_perturbed_runs():
    """Two runs 1e-15 apart end identical with RoundState and apart without (the control)."""
    dl.set_default_dtype("float64")       # restored by conftest's autouse fixture
    X = np.random.default_rng(3).normal(size=(64, 4))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)

    def run(perturb, callbacks):
        # no bias before the batch norm: its gradient is pure rounding noise (see RoundState)
        model = Sequential(Dense(4, 8, bias=False, rng=0), BatchNorm1d(8), ReLU(),
                           Dense(8, 3, rng=1))
        model.params[0].data[0, 0] += perturb
        fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.05), X, y, epochs=6,
            batch_size=16, rng=0, progress=False, callbacks=callbacks)
        return np.concatenate([p.data.ravel() for p in model.params])

    a, b = run(0.0, [RoundState(6)]), run(1e-15, [RoundState(6)])
    np.testing.assert_array_equal(a, b)
    c, d = run(0.0, []), run(1e-15, [])
    assert not np.array_equal(c, d)
    assert repr(RoundState(6)) == "RoundState(digits=6)"
