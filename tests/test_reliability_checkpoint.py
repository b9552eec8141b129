"""Issue 17, checkpoints: crafted and damaged files, validate-then-assign, kills mid-save.

Every bad file must raise ``ValueError`` naming the file (never BadZipFile, KeyError,
JSONDecodeError ...), and a failed load must leave the model and the optimizer exactly
as they were. A child process killed at random points of ``save`` must leave either the
old or the new complete checkpoint, and no temporary files behind once the next save ran.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import checkpoint
from dnnlib.layers import BatchNorm1d, Dense, ReLU
from dnnlib.model import Sequential
from dnnlib.optim import SGD, Adam, AdamW, RMSProp


def _model(seed=0):
    return Sequential(Dense(3, 4, rng=seed), BatchNorm1d(4), ReLU(), Dense(4, 2, rng=seed + 1))


def _stepped(opt_cls=Adam, **kw):
    """A model and an optimizer with non-zero state (two steps taken)."""
    model = _model()
    opt = opt_cls(model.params, **({"lr": 0.01} | kw))
    for _ in range(2):
        for p in model.params:
            p.grad[...] = 0.5
        opt.step()
    return model, opt


def _snapshot(model, opt=None):
    snap = {f"m/{k}": dl.to_numpy(v).copy() for k, v in model.state_dict().items()}
    if opt is not None:
        for k, v in opt.state_dict().items():
            snap[f"o/{k}"] = dl.to_numpy(v).copy() if dl.backend.is_array(v) else v
    return snap


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k


def _write(path, arrays, meta):
    """An .npz with the given arrays and a __meta__ entry (a dict is JSON-encoded)."""
    if isinstance(meta, (dict, list)):
        meta = np.asarray(json.dumps(meta))
    np.savez(path, __meta__=meta, **arrays)


def _contents(path):
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files if k != "__meta__"}
        meta = json.loads(str(f["__meta__"][()]))
    return arrays, meta


def _fresh_target():
    model = _model(seed=7)
    opt = Adam(model.params, lr=0.5)
    return model, opt


def _expect_refused(path, exc=ValueError, match=None):
    """Loading ``path`` raises ``exc`` naming the file, into model+optimizer, changing nothing."""
    model, opt = _fresh_target()
    before = _snapshot(model, opt)
    with pytest.raises(exc) as info:
        dl.load(path, model, opt)
    assert str(path) in str(info.value), str(info.value)
    if match is not None:
        assert match in str(info.value), str(info.value)
    _same(before, _snapshot(model, opt))
    return str(info.value)


# --------------------------------------------------------------------------- damaged files
@pytest.fixture
def good(tmp_path):
    model, opt = _stepped()
    return dl.save(tmp_path / "good.npz", model, opt)


def test_truncated_files_raise_value_error_naming_the_file(good, tmp_path):
    raw = good.read_bytes()
    cuts = sorted({0, 1, 3, 4, 5, 30, len(raw) - 1, len(raw) - 22, len(raw) - 23,
                   *np.linspace(10, len(raw) - 2, 40).astype(int).tolist()})
    for n in cuts:  # 48 truncation points
        bad = tmp_path / f"cut{n}.npz"
        bad.write_bytes(raw[:n])
        _expect_refused(bad)
        with pytest.raises(ValueError, match="cut"):
            checkpoint.read_metadata(bad)


def test_flipped_bytes_are_caught_or_harmless(good, tmp_path):
    """200 single-byte corruptions: a ValueError naming the file, or exactly the saved values."""
    raw = good.read_bytes()
    g = np.random.default_rng(0)
    reference = _snapshot(*_stepped())
    n_refused = 0
    for trial in range(200):
        data = bytearray(raw)
        i = int(g.integers(len(data)))
        data[i] ^= int(g.integers(1, 256))
        bad = tmp_path / f"flip{trial}.npz"
        bad.write_bytes(bytes(data))
        model, opt = _fresh_target()
        before = _snapshot(model, opt)
        try:
            dl.load(bad, model, opt)
        except ValueError as exc:
            n_refused += 1
            assert str(bad) in str(exc)
            _same(before, _snapshot(model, opt))
        else:  # the byte was in a part nothing reads (a timestamp ...): the saved values
            _same(reference, _snapshot(model, opt))
        bad.unlink()
    assert n_refused > 150  # most bytes matter: the CRC-32 of every entry is checked


def test_not_a_zip_and_a_pickled_entry(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    _expect_refused(junk)
    model, _ = _stepped()
    arrays = {f"model/{k}": dl.to_numpy(v) for k, v in model.state_dict().items()}
    arrays["model/0.W"] = np.array([object()] * 12, dtype=object).reshape(3, 4)
    pickled = tmp_path / "pickled.npz"
    _write(pickled, arrays, {"format": "dnnlib-checkpoint"})
    _expect_refused(pickled)


# --------------------------------------------------------------------------- metadata
def _meta_cases():
    ok = {"format": "dnnlib-checkpoint", "format_version": 1, "dnnlib_version": "x",
          "architecture": None, "model_shapes": None, "optimizer": None}
    return [
        ("not-json", "{not json"),
        ("json-list", [1, 2]),
        ("json-string", "\"hello\""),
        ("no-format", {k: v for k, v in ok.items() if k != "format"}),
        ("version-str", ok | {"format_version": "1"}),
        ("version-bool", ok | {"format_version": True}),
        ("version-negative", ok | {"format_version": -1}),
        ("version-newer", ok | {"format_version": 99}),
        ("arch-missing", ok | {"architecture": None}),
        ("arch-ints", ok | {"architecture": [1, 2]}),
        ("shapes-list", ok | {"model_shapes": [[3, 4]]}),
        ("shapes-negative", ok | {"model_shapes": {"0.W": [-3, 4]}}),
        ("optimizer-string", ok | {"optimizer": "Adam"}),
        ("optimizer-no-type", ok | {"optimizer": {"lr": 0.1}}),
        ("optimizer-type-int", ok | {"optimizer": {"type": 3}}),
    ]


@pytest.mark.parametrize("name,meta", _meta_cases(), ids=[c[0] for c in _meta_cases()])
def test_malformed_metadata_raises_value_error(good, tmp_path, name, meta):
    arrays, real = _contents(good)
    if isinstance(meta, dict):
        for k in ("architecture", "model_shapes"):
            if k in meta and meta[k] is None and name != "arch-missing":
                meta[k] = real[k]
    bad = tmp_path / f"{name}.npz"
    _write(bad, arrays, meta if not isinstance(meta, str) else np.asarray(meta))
    _expect_refused(bad)
    with pytest.raises(ValueError, match=name.split("-")[0][:3]):
        checkpoint.read_metadata(bad)


def test_meta_entry_of_the_wrong_kind(good, tmp_path):
    arrays, real = _contents(good)
    for k, meta in {"meta1d": np.asarray([json.dumps(real)]),
                    "metabytes": np.asarray(json.dumps(real).encode()),
                    "metafloat": np.asarray(1.0)}.items():
        bad = tmp_path / f"{k}.npz"
        _write(bad, arrays, meta)
        _expect_refused(bad, match="malformed metadata")


def test_metadata_inconsistent_with_the_arrays(good, tmp_path):
    arrays, meta = _contents(good)
    meta["model_shapes"]["0.W"] = [4, 3]
    bad = tmp_path / "inconsistent.npz"
    _write(bad, arrays, meta)
    _expect_refused(bad, match="inconsistent")


# --------------------------------------------------------------------------- unusable values
@pytest.mark.parametrize("kind", ["string", "bytes", "complex", "structured", "bool",
                                  "huge-for-float32"])
@pytest.mark.parametrize("key", ["model/0.W", "model/3.W", "model/1.running_var",
                                 "optim/state.2.exp_avg"])
def test_right_shaped_unusable_arrays_change_nothing(good, tmp_path, kind, key):
    """The issue's case: '0.W' and '2.W' were overwritten before the load failed."""
    arrays, meta = _contents(good)
    shape = arrays[key].shape
    arrays[key] = {
        "string": np.full(shape, "abc"),
        "bytes": np.full(shape, b"abc"),
        "complex": np.full(shape, 1 + 2j),
        "structured": np.zeros(shape, dtype=[("a", "f4"), ("b", "i4")]),
        "bool": np.ones(shape, dtype=bool),
        "huge-for-float32": np.full(shape, 1e300),
    }[kind]
    bad = tmp_path / "bad.npz"
    _write(bad, arrays, meta)
    msg = _expect_refused(bad)
    assert key.split("/", 1)[1] in msg


OPT_CASES = [
    ("lr-string", "lr", "fast"),
    ("lr-negative", "lr", -0.1),
    ("lr-inf", "lr", float("inf")),
    ("betas-one", "betas", [1.0, 1.0]),
    ("betas-three", "betas", [0.9, 0.99, 0.5]),
    ("betas-string", "betas", "0.9,0.99"),
    ("step-negative", "step_count", -5),
    ("step-float", "step_count", 2.5),
    ("eps-negative", "eps", -1.0),
    ("wd-inf", "weight_decay", float("inf")),
    ("wd-nan", "weight_decay", float("nan")),
    ("lr-missing", "lr", None),
]


@pytest.mark.parametrize("name,key,value", OPT_CASES, ids=[c[0] for c in OPT_CASES])
def test_optimizer_hyperparameters_from_a_file_are_validated(good, tmp_path, name, key, value):
    arrays, meta = _contents(good)
    if value is None:
        del meta["optimizer"][key]
    else:
        meta["optimizer"][key] = value
    bad = tmp_path / f"{name}.npz"
    _write(bad, arrays, meta)
    _expect_refused(bad, match=key)


def test_negative_second_moment_is_refused(good, tmp_path):
    arrays, meta = _contents(good)
    arrays["optim/state.0.exp_avg_sq"] = -np.abs(arrays["optim/state.0.exp_avg_sq"]) - 1.0
    bad = tmp_path / "negative.npz"
    _write(bad, arrays, meta)
    _expect_refused(bad, match="exp_avg_sq")


# --------------------------------------------------------------------------- load_state_dict
@pytest.mark.parametrize("cls,kw,key,value", [
    (Adam, {}, "betas", (1.0, 1.0)),          # next step: ZeroDivisionError
    (Adam, {}, "step_count", -5),             # math domain error
    (Adam, {}, "eps", -1.0),                  # a step of -838,860
    (AdamW, {}, "weight_decay", float("inf")),  # NaN weights
    (Adam, {}, "lr", "fast"),
    (SGD, {"momentum": 0.9}, "momentum", 1.5),
    (SGD, {"momentum": 0.9}, "nesterov", "yes"),
    (RMSProp, {}, "alpha", 1.0),
    (RMSProp, {}, "eps", -1e-8),
])
def test_optimizer_load_state_dict_uses_the_constructor_checks(cls, kw, key, value):
    model, opt = _stepped(cls, **kw)
    sd = opt.state_dict()
    sd[key] = value
    target_model, _ = _stepped(cls, **kw)
    target = cls(target_model.params, lr=0.123)
    before = _snapshot(target_model, target)
    with pytest.raises((ValueError, TypeError), match=f"{cls.__name__}.load_state_dict"):
        target.load_state_dict(sd)
    _same(before, _snapshot(target_model, target))


def test_optimizer_load_state_dict_string_buffer_changes_nothing():
    model, opt = _stepped()
    sd = opt.state_dict()
    sd["state.3.exp_avg"] = np.full(tuple(sd["state.3.exp_avg"].shape), "x")
    target = Adam(_model(3).params, lr=0.5)
    before = _snapshot(_model(3), target)
    with pytest.raises(ValueError, match=r"state\.3\.exp_avg: expected real numbers"):
        target.load_state_dict(sd)
    assert target.lr == 0.5 and target.step_count == 0
    _same({k: v for k, v in before.items() if k.startswith("o/")},
          {k: v for k, v in _snapshot(_model(3), target).items() if k.startswith("o/")})


def test_optimizer_state_with_zero_lr_loads():
    """lr = 0 is a legal end of a cosine schedule: the setter allows it, so the load does."""
    model, opt = _stepped()
    opt.lr = 0.0
    sd = opt.state_dict()
    other = Adam(_model().params, lr=0.5)
    other.load_state_dict(sd)
    assert other.lr == 0.0 and other.step_count == 2


@pytest.mark.parametrize("value, match", [
    (np.full((3, 4), "abc"), "expected real numbers"),
    (np.full((3, 4), 1 + 1j), "complex"),
    (np.zeros((3, 4), dtype=[("a", "f4")]), "expected real numbers"),
    (np.full((3, 4), 1e300), "beyond the range of float32"),
    ("abc", "expected real numbers"),
    ([[1.0, 2.0], [3.0]], "expected an array"),
])
def test_model_load_state_dict_validates_everything_first(value, match):
    model = _model()
    sd = {k: dl.to_numpy(v) for k, v in _model(5).state_dict().items()}
    sd["3.W"] = np.ones((4, 2))            # a fine entry before ...
    sd["0.W"] = value                      # ... and a bad one
    before = _snapshot(model)
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(sd)
    _same(before, _snapshot(model))


def test_model_load_state_dict_accepts_integer_arrays():
    model = Sequential(Dense(2, 2, rng=0))
    model.load_state_dict({"0.W": np.eye(2, dtype=np.int64), "0.b": [1, 2]})
    np.testing.assert_array_equal(dl.to_numpy(model[0].b.data), [1.0, 2.0])


# --------------------------------------------------------------------------- temp files
def test_stale_temps_are_removed_by_the_next_save(tmp_path):
    model = _model()
    path = tmp_path / "m.npz"
    dead = 2**22 + 12345  # above the default pid_max of 4194304: no such process
    stale = tmp_path / f".m.npz.{dead}.abc123.tmp"
    old = tmp_path / ".m.npz.oldstyle.tmp"          # the old naming, no pid
    other = tmp_path / ".other.npz.999999.x.tmp"     # another checkpoint's: not ours
    mine = tmp_path / "notes.txt"
    for p in (stale, old, other, mine):
        p.write_bytes(b"x" * 10)
    os.utime(old, (time.time() - 7200, time.time() - 7200))   # two hours old
    dl.save(path, model)
    assert sorted(os.listdir(tmp_path)) == sorted([".other.npz.999999.x.tmp", "m.npz",
                                                   "notes.txt"])


def test_a_live_writers_temp_is_kept(tmp_path):
    live = tmp_path / f".m.npz.{os.getppid()}.abc.tmp"   # our parent runs: a save in progress
    live.write_bytes(b"x")
    dl.save(tmp_path / "m.npz", _model())
    assert live.exists()


def test_save_through_a_symlink_keeps_the_link_and_the_mode(tmp_path):
    real = tmp_path / "real.npz"
    dl.save(real, _model(1))
    os.chmod(real, 0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    dl.save(link, _model(2))
    assert link.is_symlink() and (os.stat(real).st_mode & 0o777) == 0o600
    got = _model(9)
    dl.load(real, got)
    _same(_snapshot(_model(2)), _snapshot(got))


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="POSIX fork")
def test_kill_during_save_leaves_a_complete_checkpoint_and_no_temps(tmp_path):
    """20 SIGKILLs at random points of a save loop (bounded: about 0.1 s each).

    The child saves versions 1, 2, 3 ... of a ~2 MB model (every weight equal to the
    version number). After each kill the file must load and hold one complete version;
    the killed save's temporary file may remain until the next save removes it.
    """
    path = tmp_path / "ckpt.npz"
    model = Sequential(Dense(500, 1000, rng=0))
    dl.save(path, model)
    g = np.random.default_rng(0)
    seen = set()
    mid_write = 0
    t0 = time.monotonic()
    for trial in range(20):
        pid = os.fork()
        if pid == 0:  # the child: save forever
            try:
                version = 1000 * (trial + 1)
                while True:
                    version += 1
                    for p in model.params:
                        p.data[...] = version
                    dl.save(path, model)
            finally:
                os._exit(0)
        time.sleep(float(g.uniform(0.005, 0.15)))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        got = Sequential(Dense(500, 1000, rng=1))
        dl.load(path, got)   # complete and readable
        values = {float(v) for p in got.params for v in np.unique(dl.to_numpy(p.data))}
        assert len(values) == 1, values   # one version, not a mix
        seen |= values
        temps = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
        assert len(temps) <= 1, temps     # only the killed save's; earlier ones removed
        mid_write += len(temps)
    dl.save(path, model)                  # the next save cleans up after the last kill
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
    assert len(seen) > 5                  # the kills landed at many different points
    assert mid_write >= 3                 # ... several of them inside a write
    assert time.monotonic() - t0 < 60
