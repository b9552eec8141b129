"""Issue 17, data: streamed IDX reading, bounded downloads, honest stratified splits.

The download tests run a real HTTP server on 127.0.0.1 (slow, endless, oversized and
well-behaved responses) with the limits shrunk, so each finishes within seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import data
from dnnlib.data import load_mnist, read_idx, train_test_split


def _idx(a):
    a = np.asarray(a, dtype=np.uint8)
    return struct.pack(">BBBB", 0, 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + \
        a.tobytes()


# --------------------------------------------------------------------------- read_idx
def test_read_idx_checks_the_header_before_decompressing_a_bomb():
    """The issue: a 203 kB file cost 438 MiB. Now the header is read first, then at most
    the announced size plus one byte."""
    bomb = gzip.compress(_idx(np.zeros(3)) + b"\0" * (64 << 20), compresslevel=9)
    assert len(bomb) < 100_000   # 64 MiB of zeros
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"<bytes>: the header announces shape \(3,\) "
                                             r"\(3 bytes\), the file holds more bytes"):
            read_idx(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak   # a few MiB at most, not 64
    not_idx = gzip.compress(b"\x07\x07\x07\x07" + b"\0" * (64 << 20))
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(not_idx)
    assert time.perf_counter() - t0 < 1.0   # decided from 4 bytes


def _corruptions():
    good = gzip.compress(_idx(np.arange(60).reshape(3, 4, 5)), mtime=0)
    cases = {"truncated-half": good[: len(good) // 2], "truncated-trailer": good[:-4],
             "bad-crc": good[:-8] + bytes(4) + good[-4:], "bad-deflate": good[:10] + b"\xff" * 8,
             "gzip-magic-only": b"\x1f\x8b", "header-only": good[:10]}
    g = np.random.default_rng(0)
    for i in range(30):  # random single-byte corruptions of the compressed stream
        b = bytearray(good)
        k = int(g.integers(10, len(b)))
        b[k] ^= int(g.integers(1, 256))
        cases[f"flip{i}"] = bytes(b)
    return good, cases


def test_corrupt_gzip_raises_value_error_naming_the_file(tmp_path):
    good, cases = _corruptions()
    expected = np.arange(60).reshape(3, 4, 5)
    for name, blob in cases.items():
        path = tmp_path / f"{name}.gz"
        path.write_bytes(blob)
        try:
            out = read_idx(path)
        except ValueError as exc:
            assert str(path) in str(exc), exc
        else:  # a flip in a byte gzip ignores (the header's mtime or OS field)
            np.testing.assert_array_equal(out, expected)


def test_plain_idx_size_errors_and_types(tmp_path):
    a = np.arange(6).reshape(2, 3)
    with pytest.raises(ValueError, match="holds more bytes"):
        read_idx(_idx(a) + b"\0")
    with pytest.raises(ValueError, match="holds 5 bytes"):
        read_idx(_idx(a)[:-1])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(struct.pack(">BBBB", 0, 0, 8, 3) + b"\0\0\0\1")
    p = tmp_path / "x.idx"
    p.write_bytes(b"\0\0")
    with pytest.raises(ValueError, match=str(p)):
        read_idx(p)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing.idx")
    with pytest.raises(TypeError, match="path or bytes"):
        read_idx(3)


# --------------------------------------------------------------------------- downloads
class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"
    body = b""

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        mode = self.server.mode
        if mode == "ok":
            self.send_header("Content-Length", str(len(self.server.body)))
            self.end_headers()
            self.wfile.write(self.server.body)
            return
        if mode == "huge-length":
            self.send_header("Content-Length", str(10 << 30))
            self.end_headers()
            self.wfile.write(b"\0" * 1000)
            return
        self.end_headers()
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 20:   # the server gives up by itself too
                if mode == "slow":              # one byte every 50 ms: never a stall
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.05)
                else:                           # endless
                    self.wfile.write(b"\0" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("no_proxy", "*")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.mode, srv.body = "ok", b""
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}/"
    images = gzip.compress(_idx(np.zeros((2, 28, 28))), mtime=0)
    labels = gzip.compress(_idx(np.array([3, 4])), mtime=0)
    spec = {"folder": "mnist", "mirrors": (base,),
            "files": {"train-images-idx3-ubyte.gz": hashlib.sha256(images).hexdigest(),
                      "train-labels-idx1-ubyte.gz": hashlib.sha256(labels).hexdigest(),
                      "t10k-images-idx3-ubyte.gz": "0" * 64, "t10k-labels-idx1-ubyte.gz": "0" * 64}}
    monkeypatch.setitem(data._MNIST, "mnist", spec)
    monkeypatch.setattr(data, "_DOWNLOAD_TIMEOUT_S", 0.5)
    monkeypatch.setattr(data, "_DOWNLOAD_DEADLINE_S", 1.0)
    monkeypatch.setattr(data, "_DOWNLOAD_MAX_BYTES", 1 << 20)
    yield srv, images, labels, tmp_path
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("mode, reason", [
    ("slow", "deadline"),
    ("endless", "more than the 1048576"),
    ("huge-length", "announces 10737418240 bytes"),
])
def test_downloads_have_a_deadline_and_a_size_limit(server, mode, reason):
    srv, _, _, root = server
    srv.mode = mode
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match=reason):
        load_mnist(root)
    assert time.monotonic() - t0 < 5.0   # deadline 1 s + one read timeout of 0.5 s
    assert list((root / "mnist").iterdir()) == []   # no partial file


def test_a_real_http_download_still_works(server):
    srv, images, labels, root = server
    srv.mode = "ok"

    def route(handler_self):
        name = handler_self.path.rsplit("/", 1)[1]
        srv.body = images if "images" in name else labels
        _Handler.do_GET(handler_self)

    class Routed(_Handler):
        def do_GET(self):  # noqa: N802
            route(self)

    srv.RequestHandlerClass = Routed
    X, y = load_mnist(root, as_float=False)
    assert X.shape == (2, 784) and y.tolist() == [3, 4]


def test_mirrors_are_https():
    for spec in data._MNIST.values():
        assert all(m.startswith("https://") for m in spec["mirrors"]), spec["mirrors"]


# --------------------------------------------------------------------------- splits
def test_stratified_split_refuses_to_leave_a_part_empty():
    """The issue: 10 rows, test_size 0.1 -> 0 test rows, silently."""
    X = np.zeros((10, 2))
    y = np.array([0] * 5 + [1] * 5)
    with pytest.raises(ValueError, match=r"train_test_split: stratify=True cannot keep class 0 "
                                         r"\(5 rows\) in both parts: test_size=0\.1 gives it 0 "
                                         r"test rows, so the test part would miss it"):
        train_test_split(X, y, test_size=0.1, stratify=True, rng=0)
    with pytest.raises(ValueError, match="the training part would miss it"):
        train_test_split(X, y, test_size=0.95, stratify=True, rng=0)
    with pytest.raises(ValueError, match=r"class 2 \(1 rows\)"):
        train_test_split(np.zeros((11, 2)), np.array([0] * 5 + [1] * 5 + [2]), test_size=0.5,
                         stratify=True, rng=0)
    with pytest.raises(ValueError, match="cannot keep class"):
        train_test_split(X, y, test_size=1, stratify=True, rng=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=True, rng=0)
    assert np.bincount(yte).tolist() == [1, 1] and np.bincount(ytr).tolist() == [4, 4]


def test_plain_split_never_returns_an_empty_part():
    for n in range(2, 12):
        for ts in (0.01, 0.1, 0.5, 0.9, 0.99):
            Xtr, Xte, _, _ = train_test_split(np.zeros((n, 1)), np.zeros(n), test_size=ts, rng=0)
            assert Xtr.shape[0] >= 1 and Xte.shape[0] >= 1


# --------------------------------------------------------------------------- the door
def _model():
    from dnnlib.layers import Dense
    from dnnlib.model import Sequential

    return Sequential(Dense(2, 2, rng=0))


BOUNDARY = [
    (lambda p: dl.save(123, _model()), TypeError, r"save: path must be a file path"),
    (lambda p: dl.load(None, _model()), TypeError, r"load: path must be a file path"),
    (lambda p: dl.load(p, _model(), strict="no"), TypeError,
     r"load: strict must be True or False, got str 'no'"),
    (lambda p: dl.checkpoint.read_metadata(5), TypeError, r"read_metadata: path"),
    (lambda p: data.cache_dir(5), TypeError, r"cache_dir: root must be a file path"),
    (lambda p: load_mnist(p, download="no"), TypeError, r"load_mnist: download must be True or"),
    (lambda p: load_mnist(p, download=False, as_float="x"), TypeError, r"load_mnist: as_float"),
    (lambda p: data.load_digits(as_float="x"), TypeError, r"load_digits: as_float"),
    (lambda p: data.make_moons(10, shuffle="no"), TypeError, r"make_moons: shuffle must be True"),
    (lambda p: data.make_moons(10, noise=1e301), ValueError, r"make_moons: noise must lie in"),
    (lambda p: data.make_blobs(10, noise=1e300, rng=0), ValueError,
     r"make_blobs: the data reach .* beyond the range of float32"),
    (lambda p: data.one_hot(np.array([0, 1]), 2, dtype="abc"), ValueError, r"one_hot: dtype must"),
    (lambda p: data.one_hot(np.array([0, 1]), 2, dtype="float16"), ValueError, r"one_hot: dtype"),
    (lambda p: data.Standardizer().fit(np.zeros((2, 1))).inverse_transform([[1, 2]]), TypeError,
     r"Standardizer\.inverse_transform: X must contain floats"),
    (lambda p: data.Standardizer().fit(np.zeros((2, 1))).inverse_transform(np.zeros((2, 3))),
     ValueError, r"Standardizer\.inverse_transform: X has 3 features, expected 1"),
    (lambda p: data.Standardizer().fit(np.array([[np.inf], [0.0]])), ValueError,
     r"Standardizer\.fit: X contains NaN or infinity"),
    (lambda p: list(data.batches(np.zeros(()), None, 2)), ValueError,
     r"batches: X must have at least one dimension"),
    (lambda p: F_sce(), ValueError, r"softmax_cross_entropy: labels must have shape \(1,\)"),
]


def F_sce():  # noqa: N802 - a 0-d label was an IndexError
    from dnnlib import functional as F

    return F.softmax_cross_entropy(np.zeros((1, 2)), np.array(0))


@pytest.mark.parametrize("call,exc,match", BOUNDARY, ids=range(len(BOUNDARY)))
def test_public_functions_validate_at_the_door(tmp_path, call, exc, match):
    path = dl.save(tmp_path / "m.npz", _model())
    with pytest.raises(exc, match=match):
        call(path)


def test_standardizer_handles_huge_values_bit_identically_below():
    X = np.array([[3e30], [-1e30], [1e30]], np.float32)
    s = data.Standardizer().fit(X)
    assert np.isfinite(s.mean).all() and np.isfinite(s.std).all()
    np.testing.assert_allclose(s.transform(X)[:, 0], (X[:, 0] - 1e30) / np.std(X[:, 0] / 3e30)
                               / 3e30, rtol=1e-5)
    small = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    t = data.Standardizer().fit(small)
    np.testing.assert_array_equal(t.mean, small.mean(0))
    np.testing.assert_array_equal(t.std, small.std(0))


def test_a_killed_downloads_part_file_is_removed_by_the_next_download(server):
    srv, images, labels, root = server
    folder = root / "mnist"
    folder.mkdir()
    dead = 2**22 + 4321  # above the default pid_max: no such process
    stale = folder / f".train-images-idx3-ubyte.gz.{dead}.abc.part"
    stale.write_bytes(b"\0" * 1000)
    srv.mode = "endless"
    with pytest.raises(ConnectionError):
        load_mnist(root)
    assert sorted(p.name for p in folder.iterdir()) == []
