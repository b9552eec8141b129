"""Data sets and helpers; load_mnist on a tiny IDX fixture (the network is never touched)."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import urllib.error

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import data
from dnnlib.data import (
    ChecksumError,
    Standardizer,
    batches,
    load_digits,
    load_mnist,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    one_hot,
    read_idx,
    standardize,
    train_test_split,
)
from tests.conftest import assert_namespace


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the tests must not touch the network")

    monkeypatch.setattr("urllib.request.urlopen", refuse)


# --------------------------------------------------------------------------- synthetic
MAKERS = [
    (make_moons, {}, 2),
    (make_circles, {}, 2),
    (make_spirals, {"arms": 4}, 4),
    (make_xor, {}, 2),
    (make_blobs, {"centers": 5}, 5),
]


@pytest.mark.parametrize("maker, kw, classes", MAKERS, ids=lambda v: getattr(v, "__name__", ""))
def test_synthetic_shapes_dtypes_backend_and_seed(maker, kw, classes, xp):
    X, y = maker(101, rng=0, **kw)
    assert_namespace(X, xp)
    assert_namespace(y, xp)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert X.dtype == xp.float32 and y.dtype == xp.int64
    counts = np.bincount(dl.to_numpy(y), minlength=classes)
    assert len(counts) == classes and counts.max() - counts.min() <= 1
    X2, y2 = maker(101, rng=0, **kw)
    np.testing.assert_array_equal(dl.to_numpy(X), dl.to_numpy(X2))
    with dl.use_backend("numpy"):
        X3, _ = maker(101, rng=0, **kw)
    np.testing.assert_array_equal(dl.to_numpy(X), dl.to_numpy(X3))  # same on every backend
    X4, _ = maker(101, rng=1, **kw)
    assert not np.array_equal(dl.to_numpy(X), dl.to_numpy(X4))


def test_default_dtype_float64():
    dl.set_default_dtype("float64")
    X, _ = make_moons(10, rng=0)
    assert X.dtype == np.float64


def test_noise_free_geometry():
    X, y = make_moons(40, noise=0.0, shuffle=False)
    X, y = dl.to_numpy(X), dl.to_numpy(y)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1, rtol=1e-6)
    X, y = make_circles(40, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(*dl.to_numpy(X).T)
    np.testing.assert_allclose(r[dl.to_numpy(y) == 1], 0.3, rtol=1e-6)
    X, y = make_spirals(60, arms=3, noise=0.0, rng=0)
    assert np.all(np.hypot(*dl.to_numpy(X).T) <= 1 + 1e-6)
    X, y = make_xor(8, noise=0.0, shuffle=False)
    X, y = dl.to_numpy(X), dl.to_numpy(y)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5))


# --------------------------------------------------------------------------- digits
def test_load_digits_splits_are_disjoint_stratified_and_standardised(xp):
    Xtr, ytr = load_digits("train")
    Xte, yte = load_digits("test")
    Xall, yall = load_digits("all", as_float=False)
    assert_namespace(Xtr, xp)
    assert Xtr.shape == (1347, 64) and Xte.shape == (450, 64) and Xall.shape == (1797, 64)
    assert Xtr.dtype == xp.float32 and ytr.dtype == xp.int64 and Xall.dtype == xp.uint8
    raw = dl.to_numpy(Xall)
    assert raw.min() == 0 and raw.max() == 16
    np.testing.assert_array_equal(np.bincount(dl.to_numpy(yall)),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # disjoint: train and test rows together are a permutation of all rows
    tr_raw = dl.to_numpy(load_digits("train", as_float=False)[0])
    te_raw = dl.to_numpy(load_digits("test", as_float=False)[0])
    both = np.concatenate([tr_raw, te_raw])
    assert sorted(map(bytes, both)) == sorted(map(bytes, raw))
    assert np.all(np.abs(np.bincount(dl.to_numpy(yte)) - 45) <= 1)
    Xtr_h = dl.to_numpy(Xtr)
    np.testing.assert_allclose(Xtr_h.mean(0), 0, atol=1e-5)
    std = Xtr_h.std(0)
    assert np.all((np.abs(std - 1) < 1e-4) | (std == 0))
    # another seed, another split
    assert not np.array_equal(dl.to_numpy(load_digits("test", rng=1)[1]), dl.to_numpy(yte))


def test_load_digits_verifies_checksum(monkeypatch):
    monkeypatch.setattr(data, "_DIGITS_SHA256", "0" * 64)
    with pytest.raises(ChecksumError, match="sha256"):
        load_digits()


# --------------------------------------------------------------------------- helpers
def test_train_test_split(xp):
    X, y = make_blobs(50, centers=2, rng=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, rng=0)
    assert Xtr.shape == (40, 2) and Xte.shape == (10, 2) and ytr.shape == (40,)
    assert_namespace(Xtr, xp)
    rows = np.concatenate([dl.to_numpy(Xtr), dl.to_numpy(Xte)])
    assert sorted(map(bytes, rows)) == sorted(map(bytes, dl.to_numpy(X)))
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=10, rng=0, stratify=True)
    assert np.bincount(dl.to_numpy(yte)).tolist() == [5, 5]


def test_standardize_uses_training_statistics(xp):
    g = np.random.default_rng(0)
    tr = dl.backend.asarray(g.normal(3, 2, size=(100, 3)))
    te = dl.backend.asarray(g.normal(3, 2, size=(20, 3)))
    tr_s, te_s, sc = standardize(tr, te)
    assert_namespace(te_s, xp)
    np.testing.assert_allclose(dl.to_numpy(tr_s).mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(dl.to_numpy(tr_s).std(0), 1, atol=1e-5)
    np.testing.assert_allclose(dl.to_numpy(te_s),
                               (dl.to_numpy(te) - dl.to_numpy(tr).mean(0))
                               / dl.to_numpy(tr).std(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dl.to_numpy(sc.inverse_transform(te_s)), dl.to_numpy(te),
                               rtol=1e-5)
    const = dl.backend.asarray(np.ones((4, 2)))
    np.testing.assert_array_equal(dl.to_numpy(Standardizer().fit_transform(const)), 0)


def test_one_hot(xp):
    y = dl.backend.asarray(np.array([2, 0, 1]))
    Y = one_hot(y)
    assert_namespace(Y, xp)
    np.testing.assert_array_equal(dl.to_numpy(Y), np.eye(3)[[2, 0, 1]])
    assert one_hot(y, 5).shape == (3, 5)


def test_batches_cover_every_row_once(xp):
    X = dl.backend.asarray(np.arange(22.0).reshape(11, 2))
    y = dl.backend.asarray(np.arange(11))
    got = list(batches(X, y, 4, shuffle=True, rng=0))
    assert [b[0].shape[0] for b in got] == [4, 4, 3]
    seen = np.concatenate([dl.to_numpy(b[1]) for b in got])
    assert sorted(seen.tolist()) == list(range(11)) and seen.tolist() != list(range(11))
    for xb, yb in got:
        np.testing.assert_array_equal(dl.to_numpy(xb)[:, 0], 2 * dl.to_numpy(yb))
    again = np.concatenate([dl.to_numpy(b[1]) for b in batches(X, y, 4, shuffle=True, rng=0)])
    np.testing.assert_array_equal(seen, again)
    assert [b[0].shape[0] for b in batches(X, y, 4, shuffle=False, drop_last=True)] == [4, 4]
    assert len(list(batches(X, y, 100, shuffle=False))) == 1


# --------------------------------------------------------------------------- IDX and MNIST
def _idx(arr: np.ndarray) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    return struct.pack(f">BBBB{arr.ndim}I", 0, 0, 8, arr.ndim, *arr.shape) + arr.tobytes()


@pytest.fixture
def mnist_fixture(monkeypatch, tmp_path):
    """Tiny gzipped IDX files (5 train, 3 test images of 28x28) served by a fake opener."""
    g = np.random.default_rng(0)
    content = {}
    for prefix, n in (("train", 5), ("t10k", 3)):
        content[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(
            _idx(g.integers(0, 256, size=(n, 28, 28))), mtime=0)
        content[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(
            _idx(g.integers(0, 10, size=n)), mtime=0)
    spec = {"folder": "mnist", "mirrors": ("https://mirror.invalid/mnist/",),
            "files": {k: hashlib.sha256(v).hexdigest() for k, v in content.items()}}
    monkeypatch.setitem(data._MNIST, "mnist", spec)
    served = {"calls": [], "corrupt": False, "offline": False}

    def fake_urlopen(url):
        served["calls"].append(url)
        if served["offline"]:
            raise urllib.error.URLError("no route to host")
        body = content[url.rsplit("/", 1)[1]]
        if served["corrupt"]:
            body = body[:-10] + b"x" * 10
        return io.BytesIO(body)

    monkeypatch.setattr(data, "_urlopen", fake_urlopen)
    return content, served, tmp_path


def test_read_idx_round_trip_and_errors():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(_idx(a)), a)
    np.testing.assert_array_equal(read_idx(gzip.compress(_idx(a))), a)
    i32 = struct.pack(">BBBBI", 0, 0, 0x0C, 1, 2) + np.array([1, -2], ">i4").tobytes()
    np.testing.assert_array_equal(read_idx(i32), [1, -2])
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(b"\x01\x02\x08\x01")
    with pytest.raises(ValueError, match="bytes"):
        read_idx(_idx(a)[:-1])


def test_load_mnist_downloads_verifies_caches(mnist_fixture, xp):
    content, served, root = mnist_fixture
    X, y = load_mnist(root)
    assert_namespace(X, xp)
    assert X.shape == (5, 784) and y.shape == (5,) and y.dtype == xp.int64
    assert X.dtype == xp.float32 and float(xp.max(X)) <= 1.0
    assert len(served["calls"]) == 2
    files = sorted(p.name for p in (root / "mnist").iterdir())
    assert files == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    X2, _ = load_mnist(root, download=False)  # cached: no new request
    np.testing.assert_array_equal(dl.to_numpy(X), dl.to_numpy(X2))
    Xa, ya = load_mnist(root, split="all", as_float=False)
    assert Xa.shape == (8, 784) and Xa.dtype == xp.uint8
    assert len(served["calls"]) == 4
    raw = read_idx(content["train-images-idx3-ubyte.gz"]).reshape(5, -1)
    np.testing.assert_array_equal(dl.to_numpy(Xa)[:5], raw)


def test_load_mnist_corrupted_download_leaves_nothing(mnist_fixture):
    _, served, root = mnist_fixture
    served["corrupt"] = True
    with pytest.raises(ChecksumError, match="sha256"):
        load_mnist(root)
    assert list((root / "mnist").iterdir()) == []


def test_load_mnist_corrupted_cached_file(mnist_fixture):
    _, served, root = mnist_fixture
    load_mnist(root)
    path = root / "mnist" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ChecksumError, match="delete it"):
        load_mnist(root)


def test_load_mnist_offline_message_says_where(mnist_fixture):
    _, served, root = mnist_fixture
    served["offline"] = True
    with pytest.raises(ConnectionError) as info:
        load_mnist(root, kind="mnist")
    msg = str(info.value)
    assert str(root / "mnist") in msg and "by hand" in msg
    assert [p.name for p in (root / "mnist").iterdir()] == []
    with pytest.raises(FileNotFoundError, match="download=False"):
        load_mnist(root, download=False)


def test_cache_dir_env_and_argument(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_ENV_CACHE", str(tmp_path / "env"))
    assert data.cache_dir() == tmp_path / "env"
    assert data.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setattr(data, "_ENV_CACHE", None)
    assert data.cache_dir().parts[-2:] == (".cache", "dnnlib")


# --------------------------------------------------------------------------- bad inputs
_X = np.zeros((6, 2))
_y = np.zeros(6, dtype=np.int64)
BAD = [
    (lambda: make_moons(1), ValueError, "n_samples"),
    (lambda: make_moons(10.0), TypeError, "n_samples"),
    (lambda: make_moons(10, noise=-0.1), ValueError, "noise"),
    (lambda: make_moons(10, rng="x"), TypeError, "rng"),
    (lambda: make_circles(10, factor=1.0), ValueError, "factor"),
    (lambda: make_spirals(10, arms=1), ValueError, "arms"),
    (lambda: make_spirals(2, arms=3), ValueError, "n_samples"),
    (lambda: make_spirals(10, turns=0), ValueError, "turns"),
    (lambda: make_xor(3), ValueError, "n_samples"),
    (lambda: make_blobs(10, centers=0), ValueError, "centers"),
    (lambda: make_blobs(10, centers=[[0.0, 1.0, 2.0]]), ValueError, "centers"),
    (lambda: make_blobs(10, centers="abc"), TypeError, "centers"),
    (lambda: make_blobs(10, center_box=(1.0, 0.0)), ValueError, "center_box"),
    (lambda: load_digits("validation"), ValueError, "split"),
    (lambda: load_digits(rng=np.random.default_rng(0)), TypeError, "rng"),
    (lambda: load_digits(test_size=1.5), ValueError, "test_size"),
    (lambda: load_mnist(kind="kmnist"), ValueError, "kind"),
    (lambda: load_mnist(split="val"), ValueError, "split"),
    (lambda: train_test_split(_X, _y[:5]), ValueError, "same number of rows"),
    (lambda: train_test_split(_X, _y, test_size=0.0), ValueError, "test_size"),
    (lambda: train_test_split(_X, _y, test_size=6), ValueError, "test_size"),
    (lambda: train_test_split(_X[:1], _y[:1]), ValueError, "at least 2"),
    (lambda: train_test_split([1.0], [1]), TypeError, "arrays"),
    (lambda: train_test_split(_X, _X, stratify=True), TypeError, "integer"),
    (lambda: Standardizer().fit(np.zeros((0, 2))), ValueError, "row"),
    (lambda: Standardizer().fit(np.zeros(3)), ValueError, "2-D"),
    (lambda: Standardizer().fit(_y.reshape(3, 2)), TypeError, "floating"),
    (lambda: Standardizer().transform(_X), RuntimeError, "fit first"),
    (lambda: Standardizer().fit(_X).transform(np.zeros((2, 3))), ValueError, "features"),
    (lambda: one_hot(np.array([0.0, 1.0])), TypeError, "integer"),
    (lambda: one_hot(np.array([0, 3]), 3), ValueError, "labels"),
    (lambda: one_hot(np.array([[0, 1]])), ValueError, "1-D"),
    (lambda: one_hot(np.array([0]), 0), ValueError, "num_classes"),
    (lambda: list(batches(_X, _y, 0)), ValueError, "batch_size"),
    (lambda: list(batches(_X, _y[:4], 2)), ValueError, "same number of rows"),
    (lambda: list(batches([[1.0]], None, 2)), TypeError, "arrays"),
]


@pytest.mark.parametrize("call, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
