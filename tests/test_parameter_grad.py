"""Parameter.grad: accumulation, lazy zeroing and accumulate_grad's contract (issue 16).

``zero_grad`` only marks the gradient as zero; the next ``accumulate_grad`` stores its
array instead of adding it to zeros. Everything a reader can observe must stay what
eager zeroing gave: zeros after ``zero_grad``, sums without it, no aliasing of the
arrays a layer was given.
"""

from __future__ import annotations

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.layers import Dense, Parameter, ReLU
from dnnlib.losses import SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import SGD, Adam


def test_zero_grad_reads_as_zeros_and_keeps_shape_dtype_backend(xp):
    p = Parameter(dl.backend.asarray(np.ones((2, 3)), dtype=xp.float32), "W")
    p.accumulate_grad(dl.backend.asarray(np.full((2, 3), 2.0), dtype=xp.float32))
    p.zero_grad()
    g = p.grad
    assert tuple(g.shape) == (2, 3) and g.dtype == xp.float32
    np.testing.assert_array_equal(dl.to_numpy(g), np.zeros((2, 3)))


def test_accumulate_grad_adds_and_steals_only_after_zero_grad():
    p = Parameter(np.zeros(3), "b")
    first, second = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    p.zero_grad()
    p.accumulate_grad(first)
    assert p.grad is first                        # stored as it is: no zeros written
    p.accumulate_grad(second)
    np.testing.assert_array_equal(p.grad, [11.0, 22.0, 33.0])
    np.testing.assert_array_equal(second, [10.0, 20.0, 30.0])   # the addend is not touched


def test_without_zero_grad_the_first_contribution_is_added_not_stored():
    p = Parameter(np.zeros(2), "b")
    p.grad[...] = 5.0
    g = np.array([1.0, 1.0])
    p.accumulate_grad(g)
    assert p.grad is not g
    np.testing.assert_array_equal(p.grad, [6.0, 6.0])


def test_a_readers_plus_equals_after_zero_grad_sees_zeros():
    """Layers written by readers (chapter 5's PReLU) write ``p.grad += g``."""
    p = Parameter(np.zeros(2), "alpha")
    p.accumulate_grad(np.array([3.0, 3.0]))
    p.zero_grad()
    p.grad += np.array([1.0, 2.0])
    np.testing.assert_array_equal(p.grad, [1.0, 2.0])


def test_accumulate_grad_casts_a_foreign_dtype_instead_of_storing_it():
    p = Parameter(np.zeros(2, np.float32), "b")
    p.zero_grad()
    p.accumulate_grad(np.array([0.5, 0.25]))           # float64 into a float32 parameter
    assert p.grad.dtype == np.float32
    np.testing.assert_array_equal(p.grad, [0.5, 0.25])


def test_accumulate_grad_refuses_a_wrong_shape():
    p = Parameter(np.zeros((2, 3)), "W")
    with pytest.raises(ValueError, match=r"Parameter\.accumulate_grad: W's gradient must "
                                         r"have shape \(2, 3\), got \(3,\)"):
        p.accumulate_grad(np.zeros(3))                   # += would have broadcast it


def test_dense_single_example_bias_gradient_is_not_the_callers_dout():
    """For one example ``db = dout`` itself: the layer stores a copy, so neither the
    caller's array nor the next accumulation can change the other."""
    layer = Dense(3, 2, rng=0, dtype="float64")
    layer.zero_grad()
    layer(np.ones(3))
    dout = np.array([1.0, -1.0])
    layer.backward(dout)
    dout[...] = 100.0
    np.testing.assert_array_equal(layer.b.grad, [1.0, -1.0])
    layer(np.ones(3))
    layer.backward(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(layer.b.grad, [2.0, 0.0])
    np.testing.assert_array_equal(dout, [100.0, 100.0])


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_training_numbers_equal_eager_zeroing(opt_cls, monkeypatch):
    """Ten steps of an MLP with lazy zeroing and stolen gradients give the numbers of
    eager zeroing and ``+=`` to the last bit (what every chapter's training relies on)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 5)).astype(np.float32), rng.integers(0, 3, 16)

    def run():
        model = Sequential(Dense(5, 8, rng=1), ReLU(), Dense(8, 3, rng=2))
        opt, loss = opt_cls(model.params, lr=0.05), SoftmaxCrossEntropy()
        for _ in range(10):
            opt.zero_grad()
            loss(model(X), y)
            model.backward(loss.backward())
            opt.step()
        return [p.data.copy() for p in model.params] + [p.grad.copy() for p in model.params]

    lazy = run()

    def eager_zero(self):
        self._grad[...] = 0
        self._grad_is_zero = False

    def plus_equals(self, g):
        self.grad += g

    monkeypatch.setattr(Parameter, "zero_grad", eager_zero)
    monkeypatch.setattr(Parameter, "accumulate_grad", plus_equals)
    eager = run()
    for a, b in zip(lazy, eager, strict=True):
        np.testing.assert_array_equal(a, b)


def test_forgetting_zero_grad_still_sums_the_gradients():
    """Chapter 6's point: without zero_grad two backward passes add up."""
    model = Sequential(Dense(4, 2, rng=0, dtype="float64"))
    x, dout = np.ones((3, 4)), np.ones((3, 2))
    opt = SGD(model.params, lr=0.1)
    opt.zero_grad()
    model(x)
    model.backward(dout)
    once = model.params[0].grad.copy()
    model(x)
    model.backward(dout)
    np.testing.assert_array_equal(model.params[0].grad, 2 * once)
    opt.zero_grad()
    model(x)
    model.backward(dout)
    np.testing.assert_array_equal(model.params[0].grad, once)
