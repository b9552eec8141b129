"""Sequential: whole-network gradients, modes, parameters, state_dict round trips, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_namespace

import dnnlib as dl
from dnnlib import backend as B
from dnnlib.layers import BatchNorm1d, Dense, Dropout, Layer, ReLU, Sigmoid, Tanh
from dnnlib.losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from dnnlib.model import Sequential


def rel_error(a, b) -> float:
    a, b = np.asarray(dl.to_numpy(a), float), np.asarray(dl.to_numpy(b), float)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def model_grad_errors(model, loss, x_host, y, eps: float = 1e-6) -> dict[str, float]:
    """Relative errors of model.backward(loss.backward()) against centred differences of
    the loss, for the input and every parameter; dropout masks are replayed exactly."""
    drops = [(d, d.rng.bit_generator.state) for d in model if isinstance(d, Dropout)]

    def f(x):
        for d, st in drops:
            d.rng.bit_generator.state = st
        return float(loss(model(B.asarray(x)), y))

    f(x_host)
    model.zero_grad()
    dx = model.backward(loss.backward())
    analytic = {"x": dl.to_numpy(dx).copy()}
    analytic.update({k: dl.to_numpy(p.grad).copy() for k, p in model.named_params()})

    def numeric(get, set_):
        x0 = get()
        g = np.zeros_like(x0)
        for idx in np.ndindex(x0.shape):
            x = x0.copy()
            x[idx] += eps
            fp = set_(x)
            x[idx] -= 2 * eps
            fm = set_(x)
            g[idx] = (fp - fm) / (2 * eps)
        set_(x0)
        return g

    errors = {"x": rel_error(analytic["x"], numeric(lambda: x_host.copy(), f))}
    for key, p in model.named_params():
        def set_p(h, p=p):
            p.data[...] = B.asarray(h, like=p.data)
            return f(x_host)

        errors[key] = rel_error(analytic[key], numeric(lambda p=p: dl.to_numpy(p.data).copy(),
                                                       set_p))
    return errors


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("N, D, H, C", [(4, 3, 5, 3), (6, 2, 4, 2), (3, 5, 3, 4)])
def test_sequential_gradient_with_batchnorm_dropout_and_loss(xp, N, D, H, C):
    rng = np.random.default_rng(N)
    # no bias before BatchNorm: its true gradient is exactly 0 (BN subtracts the mean),
    # so a relative error would compare rounding noise with rounding noise
    model = Sequential(Dense(D, H, bias=False, rng=1, dtype="float64"),
                       BatchNorm1d(H, dtype="float64"), ReLU(), Dropout(0.3, rng=2),
                       Dense(H, C, rng=3, dtype="float64"))
    labels = B.asarray(rng.integers(0, C, N))
    errors = model_grad_errors(model, SoftmaxCrossEntropy(), rng.standard_normal((N, D)), labels)
    assert set(errors) == {"x", "0.W", "1.gamma", "1.beta", "4.W", "4.b"}
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("loss, head", [
    (BinaryCrossEntropy(from_logits=True), []),
    (BinaryCrossEntropy(), [Sigmoid()]),
    (MSE(), [Tanh()]),
], ids=["bce-logits", "bce-probs", "mse"])
def test_sequential_gradient_other_losses(xp, loss, head):
    rng = np.random.default_rng(0)
    model = Sequential([Dense(3, 4, rng=0, dtype="float64"), Tanh(),
                        Dense(4, 1, rng=1, dtype="float64"), *head])
    y = B.asarray((rng.uniform(size=5) > 0.5).astype(np.float64))
    errors = model_grad_errors(model, loss, rng.standard_normal((5, 3)), y)
    assert max(errors.values()) <= 1e-7, errors


# --------------------------------------------------------------------------- structure
def test_container_protocol_params_and_repr():
    layers = [Dense(2, 3, rng=0), ReLU(), BatchNorm1d(3), Dense(3, 1, rng=1)]
    model = Sequential(*layers)
    assert Sequential(layers).layers == layers and model.layers == layers
    assert len(model) == 4 and model[1] is layers[1] and list(model) == layers
    assert isinstance(model[1:], Sequential) and len(model[1:]) == 3
    assert [p.name for p in model.params] == ["W", "b", "gamma", "beta", "W", "b"]
    assert [k for k, _ in model.named_params()] == ["0.W", "0.b", "2.gamma", "2.beta", "3.W",
                                                    "3.b"]
    assert model.num_params() == (2 * 3 + 3) + (3 + 3) + (3 + 1)
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Dense(in_features=2, out_features=3)\n"
        "  (1): ReLU()\n"
        "  (2): BatchNorm1d(3, eps=1e-05, momentum=0.1)\n"
        "  (3): Dense(in_features=3, out_features=1)\n"
        ")"
    )
    assert repr(Sequential()) == "Sequential()"
    assert "total trainable parameters: 19" in model.summary()
    assert isinstance(model, Layer)


def test_train_eval_propagate():
    model = Sequential(Dense(2, 3), Dropout(0.5), BatchNorm1d(3))
    assert model.eval() is model
    assert not model.training and not any(layer.training for layer in model)
    assert model.train() is model
    assert model.training and all(layer.training for layer in model)


def test_eval_mode_is_deterministic(xp):
    model = Sequential(Dense(3, 8, rng=0), BatchNorm1d(8), Dropout(0.5, rng=1), Dense(8, 2, rng=2))
    x = B.asarray(np.random.default_rng(0).standard_normal((6, 3)))
    model(x)   # one training step moves the running statistics
    model.eval()
    a, b = model(x), model(x)
    np.testing.assert_array_equal(dl.to_numpy(a), dl.to_numpy(b))
    assert_namespace(a, xp)
    assert a.dtype == xp.float32   # float64 input, float32 model


def test_zero_grad_and_backward_order(xp):
    model = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1))
    x = B.asarray(np.ones((2, 3), dtype=np.float32))
    out = model(x)
    dx = model.backward(xp.ones_like(out))
    assert tuple(dx.shape) == (2, 3)
    assert any(np.any(dl.to_numpy(p.grad)) for p in model.params)
    model.zero_grad()
    assert not any(np.any(dl.to_numpy(p.grad)) for p in model.params)


# --------------------------------------------------------------------------- saving/loading
def _trained_model():
    model = Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), ReLU(), Dense(4, 2, rng=1))
    rng = np.random.default_rng(0)
    for _ in range(3):
        out = model(B.asarray(rng.standard_normal((5, 3))))
        model.backward(B.asarray(np.ones(tuple(out.shape))))
    return model


def test_state_dict_round_trip_through_npz(xp, tmp_path):
    model = _trained_model()
    sd = model.state_dict()
    assert sorted(sd) == ["0.W", "0.b", "1.beta", "1.gamma", "1.running_mean", "1.running_var",
                          "3.W", "3.b"]
    for v in sd.values():
        assert_namespace(v, xp)
    path = tmp_path / "model.npz"
    np.savez(path, **{k: dl.to_numpy(v) for k, v in sd.items()})

    fresh = Sequential(Dense(3, 4, rng=5), BatchNorm1d(4), ReLU(), Dense(4, 2, rng=6))
    refs = [p.data for p in fresh.params] + [fresh[1].running_mean]
    with np.load(path, allow_pickle=False) as data:
        fresh.load_state_dict(dict(data))
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(dl.to_numpy(v), dl.to_numpy(sd[k]))
        assert v.dtype == sd[k].dtype
        assert_namespace(v, xp)
    # in place: an optimizer holding the arrays still sees the loaded values
    now = [p.data for p in fresh.params] + [fresh[1].running_mean]
    assert all(a is b for a, b in zip(refs, now, strict=True))
    x = B.asarray(np.ones((2, 3), dtype=np.float32))
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(dl.to_numpy(model(x)), dl.to_numpy(fresh(x)))


def test_state_dict_is_a_copy_and_backend_arrays_load(xp):
    model = _trained_model()
    sd = model.state_dict()
    before = dl.to_numpy(sd["0.W"]).copy()
    model[0].W.data[...] = 0.0
    np.testing.assert_array_equal(dl.to_numpy(sd["0.W"]), before)
    model.load_state_dict(sd)   # backend arrays are accepted as they are
    np.testing.assert_array_equal(dl.to_numpy(model[0].W.data), before)


def test_load_state_dict_casts_to_parameter_dtype(xp):
    model = Sequential(Dense(2, 2, rng=0))
    model.load_state_dict({"0.W": np.eye(2), "0.b": np.array([1.0, 2.0])})   # float64 host
    assert model[0].W.data.dtype == xp.float32
    assert_namespace(model[0].W.data, xp)
    np.testing.assert_array_equal(dl.to_numpy(model[0].b.data), [1.0, 2.0])


def test_load_state_dict_errors_name_the_keys():
    model = Sequential(Dense(2, 3), BatchNorm1d(3))
    sd = {k: dl.to_numpy(v) for k, v in model.state_dict().items()}
    bad = dict(sd)
    del bad["1.running_var"]
    bad["0.W"] = np.zeros((3, 2))
    bad["5.W"] = np.zeros(1)
    W_before = dl.to_numpy(model[0].W.data).copy()
    with pytest.raises(ValueError) as info:
        model.load_state_dict(bad)
    msg = str(info.value)
    assert msg.startswith("Sequential.load_state_dict:")
    assert "missing keys ['1.running_var']" in msg
    assert "unexpected keys ['5.W']" in msg
    assert "0.W: expected shape (2, 3), got (3, 2)" in msg
    np.testing.assert_array_equal(dl.to_numpy(model[0].W.data), W_before)   # nothing changed


# --------------------------------------------------------------------------- bad inputs
def _strict_input_into_numpy_model():
    model = Sequential(Dense(2, 3))
    with dl.use_backend("array_api_strict"):
        x = B.asarray(np.ones((1, 2)))
    return model(x)


BAD = [
    ("non-layer", lambda: Sequential(Dense(2, 3), "relu"), TypeError,
     r"Sequential: layer 1 must be a dnnlib Layer, got str"),
    ("non-layer-in-list", lambda: Sequential([Dense(2, 3), ReLU(), np.tanh]), TypeError,
     r"Sequential: layer 2 must be a dnnlib Layer, got ufunc"),
    ("backward-first", lambda: Sequential(Dense(2, 3)).backward(np.ones((1, 3))), RuntimeError,
     r"Sequential\.backward: call forward before backward"),
    ("wrong-features", lambda: Sequential(Dense(2, 3))(np.ones((1, 4))), ValueError,
     r"Dense\.forward: x has 4 features, expected 2"),
    ("mixed-backends", _strict_input_into_numpy_model, TypeError,
     r"Dense\.forward: got arrays from different backends"),
    ("state-dict-type", lambda: Sequential(Dense(2, 3)).load_state_dict([1, 2]), TypeError,
     r"Sequential\.load_state_dict: state_dict must be a dict"),
    ("missing-key", lambda: Sequential(Dense(2, 3)).load_state_dict({"0.W": np.zeros((2, 3))}),
     ValueError, r"Sequential\.load_state_dict: missing keys \['0\.b'\]"),
]


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_nested_sequential_keys():
    inner = Sequential(Dense(2, 3), BatchNorm1d(3))
    model = Sequential(inner, ReLU(), Dense(3, 1))
    assert sorted(model.state_dict()) == ["0.0.W", "0.0.b", "0.1.beta", "0.1.gamma",
                                          "0.1.running_mean", "0.1.running_var", "2.W", "2.b"]
    model.load_state_dict(model.state_dict())


def test_sequential_passes_dnnlib_gradcheck(xp):
    from dnnlib import gradcheck
    model = Sequential(Dense(3, 5, bias=False, rng=1, dtype="float64"),
                       BatchNorm1d(5, dtype="float64"), Tanh(), Dropout(0.4, rng=2),
                       Dense(5, 2, rng=3, dtype="float64"))
    x = B.asarray(np.random.default_rng(0).standard_normal((6, 3)))
    result = gradcheck.check_gradients(model, x)
    assert result.ok and result.max_rel_error <= 1e-7, result


# --------------------------------------------------------------------------- fast paths
@pytest.mark.parametrize("n", [1, 2, 7])
def test_skipping_the_input_gradient_leaves_parameter_gradients_unchanged(xp, n):
    """``needs_input_grad = False`` (set by fit) skips ``dx`` of the first layer only."""
    from dnnlib.layers import Dense, ReLU

    def run(need):
        m = Sequential(Dense(4, 5, rng=1, dtype="float64"), ReLU(),
                       Dense(5, 3, rng=2, dtype="float64"))
        m.needs_input_grad = need
        assert m.layers[0].needs_input_grad is need and m.layers[2].needs_input_grad
        x = B.asarray(np.random.default_rng(0).normal(size=(n, 4)), dtype=xp.float64)
        out = m(x)
        dx = m.backward(xp.ones_like(out))
        return dx, [dl.to_numpy(p.grad) for p in m.params]

    dx_full, grads_full = run(True)
    dx_none, grads_none = run(False)
    assert dx_none is None and dx_full.shape == (n, 4)
    for a, b in zip(grads_full, grads_none, strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- preserved, iter_layers
def test_iter_layers_flattens_nested_models():
    from dnnlib.layers import Dense, ReLU
    from dnnlib.model import iter_layers

    inner = Sequential(Dense(2, 3), ReLU())
    model = Sequential(inner, Dense(3, 1))
    assert [type(x).__name__ for x in iter_layers(model)] == ["Dense", "ReLU", "Dense"]
    assert list(iter_layers(model, containers=True))[:2] == [model, inner]
    single = Dense(2, 2)
    assert list(iter_layers(single)) == [single]


def test_preserved_restores_modes_buffers_generators_params_and_grads():
    from dnnlib.layers import BatchNorm1d, Dense, Dropout
    from dnnlib.model import preserved

    model = Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), Dropout(0.5, rng=1), Dense(4, 1))
    model.layers[2].eval()  # a mixed state, restored layer by layer
    x = np.random.default_rng(0).normal(size=(8, 3))
    host = lambda: {k: dl.to_numpy(v).copy() for k, v in model.state_dict().items()}  # noqa
    before, grads = host(), [dl.to_numpy(p.grad).copy() for p in model.params]
    rng_state = model.layers[2].rng.bit_generator.state
    with pytest.raises(ZeroDivisionError):
        with preserved(model, training=True, params=True, grads=True):
            assert model.training and model.layers[2].training
            out = model(x)
            model.backward(np.ones(tuple(out.shape)))
            for p in model.params:
                p.data[...] += 1.0
            raise ZeroDivisionError  # restored after an exception too
    after = host()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])
    for p, g in zip(model.params, grads, strict=True):
        np.testing.assert_array_equal(dl.to_numpy(p.grad), g)
    assert model.training and model.layers[0].training and not model.layers[2].training
    assert model.layers[2].rng.bit_generator.state == rng_state
    with preserved(model, buffers=False):  # fit's use: the modes only
        model.train()(x)
    assert not np.array_equal(dl.to_numpy(model.layers[1].running_mean),
                              before["1.running_mean"])
