"""Checkpoints: bit-exact round trip, across backends, atomic writes, precise errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import checkpoint
from dnnlib.data import make_moons
from dnnlib.layers import BatchNorm1d, Dense, ReLU
from dnnlib.losses import SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import SGD, Adam
from dnnlib.train import fit
from tests.conftest import BACKEND_PARAMS


def _model(hidden=8):
    return Sequential(Dense(2, hidden, rng=0), BatchNorm1d(hidden), ReLU(),
                      Dense(hidden, 2, rng=1))


def _train(model, opt, epochs, rng=0):
    X, y = make_moons(48, noise=0.1, rng=0)
    fit(model, SoftmaxCrossEntropy(), opt, X, y, epochs=epochs, batch_size=16, rng=rng,
        progress=False)


def _host(model):
    return {k: dl.to_numpy(v).copy() for k, v in model.state_dict().items()}


def test_round_trip_is_bit_exact_and_training_continues_identically(tmp_path, xp):
    # uninterrupted: 2 + 2 epochs
    ref = _model()
    ref_opt = Adam(ref.params, lr=0.01)
    _train(ref, ref_opt, 2)
    _train(ref, ref_opt, 2, rng=1)
    # interrupted: 2 epochs, save, load into fresh objects, 2 more
    model = _model()
    opt = Adam(model.params, lr=0.01)
    _train(model, opt, 2)
    path = tmp_path / "ckpt.npz"
    assert dl.save(path, model, opt) == path
    fresh = Sequential(Dense(2, 8, rng=5), BatchNorm1d(8), ReLU(), Dense(8, 2, rng=6))
    fresh_opt = Adam(fresh.params, lr=0.5)
    meta = dl.load(path, fresh, fresh_opt)
    assert meta["dnnlib_version"] == dl.__version__
    for k, v in _host(model).items():
        np.testing.assert_array_equal(v, _host(fresh)[k])
    assert "1.running_mean" in _host(fresh)
    assert fresh_opt.step_count == opt.step_count and fresh_opt.lr == 0.01
    _train(fresh, fresh_opt, 2, rng=1)
    for k, v in _host(ref).items():
        np.testing.assert_array_equal(v, _host(fresh)[k])


@pytest.mark.parametrize("src", [p.values[0] for p in BACKEND_PARAMS],
                         ids=[p.id for p in BACKEND_PARAMS])
@pytest.mark.parametrize("dst", [p.values[0] for p in BACKEND_PARAMS],
                         ids=[p.id for p in BACKEND_PARAMS])
def test_checkpoint_moves_between_backends(src, dst, tmp_path):
    if "cupy" in (src, dst):
        from tests.conftest import _CUPY_SKIP

        if _CUPY_SKIP is not None:
            pytest.skip(f"CuPy unavailable: {_CUPY_SKIP}")
    with dl.use_backend(src):
        model = _model()
        opt = SGD(model.params, lr=0.1, momentum=0.9)
        _train(model, opt, 1)
        dl.save(tmp_path / "m.npz", model, opt)
        saved = _host(model)
        saved_opt = {k: dl.to_numpy(v) for k, v in opt.state_dict().items()
                     if dl.backend.is_array(v)}
    with dl.use_backend(dst):
        other = _model(8)
        other_opt = SGD(other.params, lr=0.1, momentum=0.9)
        dl.load(tmp_path / "m.npz", other, other_opt)
        assert dl.backend._backend_of(other[0].W.data) == dl.backend._backend_of(
            dl.backend.xp().asarray(0.0))
        for k, v in saved.items():
            np.testing.assert_array_equal(v, _host(other)[k])
        for k, v in saved_opt.items():
            np.testing.assert_array_equal(v, dl.to_numpy(other_opt.state_dict()[k]))


def test_file_format_is_plain_npz_without_pickle(tmp_path):
    model = _model()
    path = dl.save(tmp_path / "m.npz", model, Adam(model.params))
    with np.load(path, allow_pickle=False) as f:
        meta_arr = f["__meta__"]
        assert meta_arr.ndim == 0 and meta_arr.dtype.kind == "U"
        meta = json.loads(str(meta_arr[()]))
        assert "model/0.W" in f.files and "optim/state.0.exp_avg" in f.files
        assert all(f[k].dtype != object for k in f.files)
    assert meta["architecture"][0] == "Dense(in_features=2, out_features=8)"
    assert meta["optimizer"]["type"] == "Adam" and meta["model_shapes"]["0.W"] == [2, 8]
    assert checkpoint.read_metadata(path) == meta


def _fail_midway(f, arrays):
    f.write(b"PK\x03\x04 half a zip file")
    raise OSError("disk full (simulated)")


def test_atomic_write_failure_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "m.npz"
    dl.save(path, model)
    before = path.read_bytes()
    _train(model, SGD(model.params, lr=0.1), 1)
    monkeypatch.setattr(checkpoint, "_write_npz", _fail_midway)
    with pytest.raises(OSError, match="disk full"):
        dl.save(path, model)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]
    # a failure at the rename step is cleaned up too
    monkeypatch.undo()

    def bad_replace(src, dst):
        raise PermissionError("read-only (simulated)")

    monkeypatch.setattr(checkpoint.os, "replace", bad_replace)
    with pytest.raises(PermissionError):
        dl.save(path, model)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["m.npz"]
    monkeypatch.undo()
    dl.save(path, model)
    assert path.read_bytes() != before


def test_mismatches_raise_precise_errors_and_change_nothing(tmp_path):
    model = _model()
    opt = Adam(model.params, lr=0.01)
    _train(model, opt, 1)
    path = dl.save(tmp_path / "m.npz", model, opt)

    wider = _model(hidden=16)
    before = _host(wider)
    with pytest.raises(ValueError, match=r"differs at layer 0: saved Dense\(in_features=2, "
                                         r"out_features=8\), the model has Dense"):
        dl.load(path, wider)
    with pytest.raises(ValueError, match=r"'0.W' has shape \(2, 8\) in the checkpoint and "
                                         r"\(2, 16\) in the model"):
        dl.load(path, wider, strict=False)
    for k, v in before.items():
        np.testing.assert_array_equal(v, _host(wider)[k])

    with pytest.raises(ValueError, match="4 layers, the model 3"):
        dl.load(path, Sequential(Dense(2, 8), BatchNorm1d(8), ReLU()))
    with pytest.raises(ValueError, match=r"checkpoint has \['3.W', '3.b'\]"):
        dl.load(path, Sequential(Dense(2, 8), BatchNorm1d(8), ReLU()), strict=False)

    fresh = _model()
    before = _host(fresh)
    with pytest.raises(ValueError, match="holds a Adam state, the optimizer given is SGD"):
        dl.load(path, fresh, SGD(fresh.params, lr=0.1))
    for k, v in before.items():  # nothing loaded
        np.testing.assert_array_equal(v, _host(fresh)[k])

    no_opt = dl.save(tmp_path / "no_opt.npz", model)
    with pytest.raises(ValueError, match="no optimizer state"):
        dl.load(no_opt, fresh, Adam(fresh.params))
    dl.load(path, fresh)  # an optimizer state may be ignored


def test_bad_files(tmp_path):
    model = _model()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        dl.load(tmp_path / "missing.npz", model)
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a dnnlib checkpoint"):
        dl.load(tmp_path / "plain.npz", model)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable"):
        dl.load(tmp_path / "junk.npz", model)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dl.save(tmp_path / "no" / "m.npz", model)
    with pytest.raises(IsADirectoryError):
        dl.save(tmp_path, model)
    with pytest.raises(TypeError, match="state_dict"):
        dl.save(tmp_path / "m.npz", "model")
    with pytest.raises(TypeError, match="optimizer"):
        dl.save(tmp_path / "m.npz", model, optimizer="adam")
    with pytest.raises(TypeError, match="load_state_dict"):
        dl.load(tmp_path / "m.npz", object())
