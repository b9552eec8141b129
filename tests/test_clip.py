"""clip_grad_norm: PyTorch's clip_grad_norm_ as the oracle, the closed form, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.clip import clip_grad_norm
from dnnlib.layers import Dense, Parameter, ReLU
from dnnlib.model import Sequential
from tests.conftest import assert_namespace

SHAPES = [(3, 4), (4,), (2, 2, 3)]


def _params(grads, dtype):
    params = []
    for i, g in enumerate(grads):
        p = Parameter(dl.backend.asarray(np.zeros(g.shape), dtype=dtype), f"p{i}")
        p.grad[...] = dl.backend.asarray(g, dtype=dtype)
        params.append(p)
    return params


def _host_grads(seed, scale):
    g = np.random.default_rng(seed)
    return [scale * g.normal(size=s) for s in SHAPES]


@pytest.mark.parametrize("scale, max_norm", [(10.0, 1.0), (0.01, 1.0), (3.0, 2.5)],
                         ids=["clipped", "untouched", "near"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_torch_clip_grad_norm_(scale, max_norm, dtype, xp):
    torch = pytest.importorskip("torch")
    grads = _host_grads(0, scale)
    params = _params(grads, getattr(xp, dtype))
    total = clip_grad_norm(params, max_norm)

    tparams = [torch.zeros(g.shape, dtype=getattr(torch, dtype), requires_grad=True)
               for g in grads]
    for tp, g in zip(tparams, grads, strict=True):
        tp.grad = torch.tensor(g, dtype=getattr(torch, dtype))
    ttotal = float(torch.nn.utils.clip_grad_norm_(tparams, max_norm))

    rtol = 1e-6 if dtype == "float32" else 1e-12
    assert math.isclose(total, ttotal, rel_tol=rtol)
    for p, tp in zip(params, tparams, strict=True):
        assert_namespace(p.grad, xp)
        assert str(p.grad.dtype).endswith(dtype)
        np.testing.assert_allclose(dl.to_numpy(p.grad), tp.grad.numpy(), rtol=rtol, atol=0)


def test_closed_form_direction_kept_and_norm_capped(xp):
    grads = _host_grads(1, 5.0)
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    params = _params(grads, xp.float64)
    assert clip_grad_norm(params, 2.0) == pytest.approx(norm, rel=1e-14)
    factor = 2.0 / (norm + 1e-6)
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_allclose(dl.to_numpy(p.grad), g * factor, rtol=1e-14)
    after = math.sqrt(sum(float(np.sum(dl.to_numpy(p.grad) ** 2)) for p in params))
    assert after == pytest.approx(2.0, rel=1e-6)
    assert after <= 2.0


def test_below_the_threshold_the_gradients_are_not_touched(xp):
    grads = _host_grads(2, 0.1)
    params = _params(grads, xp.float64)
    before = [dl.to_numpy(p.grad).copy() for p in params]
    total = clip_grad_norm(params, 100.0)
    assert total < 100.0
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(dl.to_numpy(p.grad), b)


def test_zero_gradient_is_fine():
    p = Parameter(np.zeros(3), "p")
    assert clip_grad_norm([p], 1.0) == 0.0
    np.testing.assert_array_equal(p.grad, 0.0)


def test_accepts_a_model_and_is_global_not_per_parameter():
    model = Sequential(Dense(3, 4, rng=0, dtype="float64"), ReLU(),
                       Dense(4, 2, rng=1, dtype="float64"))
    g = np.random.default_rng(3)
    for p in model.params:
        p.grad[...] = g.normal(size=p.grad.shape)
    norms = [float(np.linalg.norm(p.grad)) for p in model.params]
    total = clip_grad_norm(model, 1.0)
    assert total == pytest.approx(math.sqrt(sum(n * n for n in norms)), rel=1e-14)
    # one factor for all: the ratios between parameters' norms are unchanged
    after = [float(np.linalg.norm(p.grad)) for p in model.params]
    np.testing.assert_allclose(np.array(after) / np.array(norms), after[0] / norms[0],
                               rtol=1e-12)


def test_float32_gradients_above_1e19_do_not_overflow():
    p = Parameter(np.zeros(2, dtype=np.float32), "p")
    p.grad[...] = np.array([3e30, 4e30], dtype=np.float32)
    total = clip_grad_norm([p], 1.0)
    assert total == pytest.approx(5e30, rel=1e-6)
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_max_norm(max_norm):
    p = Parameter(np.zeros(2), "p")
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm"):
        clip_grad_norm([p], max_norm)


def test_bad_params():
    with pytest.raises(ValueError, match="clip_grad_norm: params must not be empty"):
        clip_grad_norm([], 1.0)
    with pytest.raises(TypeError, match="clip_grad_norm: params must be an iterable"):
        clip_grad_norm(np.zeros(3), 1.0)
    with pytest.raises(TypeError, match=r"clip_grad_norm: params\[0\] must be a Parameter"):
        clip_grad_norm([np.zeros(3)], 1.0)
    with pytest.raises(TypeError, match="clip_grad_norm: max_norm must be a number"):
        clip_grad_norm([Parameter(np.zeros(2), "p")], "1")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_norm_is_refused_and_nothing_changes(bad):
    p, q = Parameter(np.zeros(2), "p"), Parameter(np.zeros(2), "q")
    p.grad[...] = [1.0, bad]
    q.grad[...] = [2.0, 3.0]
    with pytest.raises(ValueError, match="clip_grad_norm: the gradients' total norm"):
        clip_grad_norm([p, q], 1.0)
    np.testing.assert_array_equal(q.grad, [2.0, 3.0])
