"""One training step of the benchmark MLP, three ways, behind one interface.

* ``"dnnlib"`` (A): ``Sequential(Dense, ReLU, Dense, ReLU, Dense)``,
  ``SoftmaxCrossEntropy``, ``SGD``/``Adam`` from dnnlib, on NumPy (or CuPy);
* ``"torch"`` (B): the same network in PyTorch eager (CPU or CUDA);
* ``"floor"`` (C): the hand-written NumPy step of :mod:`benchmarks.floor`.

Every implementation is built from the same host weights (:func:`make_weights`,
``W`` stored ``(in, out)`` as in dnnlib), takes a batch made once by
:func:`make_batch`, and exposes:

``step()``
    one training step on its batch (zero grads, forward, loss, backward, update);
    returns the loss (dnnlib: a float, read once per step as fit does; the others:
    the library's own 0-d object, no host conversion);
``sync()``
    waits for the device (no-op on CPU);
``grads()`` / ``weights()``
    host float64 copies in the order W1, b1, W2, b2, W3, b3 (W as ``(in, out)``),
    for the smoke test that checks all three compute the same thing.

Hyperparameters are PyTorch's: SGD ``lr=0.01, momentum=0.9``; Adam ``lr=1e-3,
betas=(0.9, 0.999), eps=1e-8``.
"""

from __future__ import annotations

import numpy as np

from benchmarks.floor import NAMES, SIZES, FloorMLP

SGD_KW = {"lr": 1e-2, "momentum": 0.9}
ADAM_KW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}


def make_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """He-normal weights and small random biases (float64, host) for 784-256-256-10."""
    rng = np.random.default_rng(seed)
    w = {}
    for i, (din, dout) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True), start=1):
        w[f"W{i}"] = rng.standard_normal((din, dout)) * np.sqrt(2.0 / din)
        w[f"b{i}"] = 0.01 * rng.standard_normal(dout)
    return w


def make_batch(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A batch like MNIST's: ``x (n, 784)`` in [0, 1) float64, ``y (n,)`` int64 in [0, 10)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, SIZES[0])), rng.integers(0, SIZES[-1], size=n)


def n_params() -> int:
    return sum(i * o + o for i, o in zip(SIZES[:-1], SIZES[1:], strict=True))


def step_flops(n: int) -> int:
    """Matmul FLOPs of one training step at batch ``n`` (the same count for every library).

    Forward ``x @ W`` and backward ``x.T @ dz`` for the three layers, ``dz @ W.T``
    for layers 2 and 3 only (the input needs no gradient). Elementwise work is
    not counted, so GFLOP/s here is "useful GEMM work per second".
    """
    io = [i * o for i, o in zip(SIZES[:-1], SIZES[1:], strict=True)]
    return 2 * n * (2 * sum(io) + sum(io[1:]))


# ----------------------------------------------------------------------------- floor
class Floor:
    name = "floor"

    def __init__(self, weights, dtype, optimizer, x, y):
        kw = ADAM_KW if optimizer == "adam" else SGD_KW
        self.m = FloorMLP(weights, dtype, optimizer, **kw)
        self.x = np.ascontiguousarray(x, dtype=dtype)
        self.y = np.asarray(y, dtype=np.intp)

    def step(self):
        return self.m.step(self.x, self.y)

    def sync(self):
        pass

    def grads(self):
        return [np.array(g, dtype=np.float64) for g in self.m.grads]

    def weights(self):
        return [np.array(p, dtype=np.float64) for p in self.m.params]


# ----------------------------------------------------------------------------- dnnlib
class Dnnlib:
    name = "dnnlib"

    def __init__(self, weights, dtype, optimizer, x, y, backend="numpy"):
        import dnnlib as dl
        from dnnlib.layers import Dense, ReLU
        from dnnlib.losses import SoftmaxCrossEntropy
        from dnnlib.model import Sequential
        from dnnlib.optim import SGD, Adam

        self.dl = dl
        with dl.use_backend(backend):
            previous = dl.get_default_dtype()
            dl.set_default_dtype(dtype)
            try:
                self.model = Sequential(Dense(784, 256, rng=0), ReLU(), Dense(256, 256, rng=1),
                                        ReLU(), Dense(256, 10, rng=2))
            finally:
                dl.set_default_dtype(previous)
            self.model.load_state_dict({f"{2 * (i // 2)}.{'W' if i % 2 == 0 else 'b'}":
                                        weights[n] for i, n in enumerate(NAMES)})
            self.x = dl.backend.asarray(np.asarray(x, dtype=dtype))
            self.y = dl.backend.asarray(np.asarray(y, dtype=np.int64))
        self.loss = SoftmaxCrossEntropy()
        if optimizer == "adam":
            self.opt = Adam(self.model.params, **ADAM_KW)
        else:
            self.opt = SGD(self.model.params, **SGD_KW)
        self._sync = _cupy_sync if backend == "cupy" else None
        # The step fit runs: dnnlib.train.train_step, with the first layer's input gradient
        # skipped as fit does (like PyTorch, where the data does not require grad).
        from dnnlib.train import train_step

        self._train_step = train_step
        self.model.needs_input_grad = False

    def step(self):
        value, _ = self._train_step(self.model, self.loss, self.opt, self.x, self.y)
        return value

    def sync(self):
        if self._sync is not None:
            self._sync()

    def grads(self):
        return [self.dl.to_numpy(p.grad).astype(np.float64) for p in self.model.params]

    def weights(self):
        return [self.dl.to_numpy(p.data).astype(np.float64) for p in self.model.params]


def _cupy_sync():
    import cupy

    cupy.cuda.Device().synchronize()


# ----------------------------------------------------------------------------- torch
def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class Torch:
    name = "torch"

    def __init__(self, weights, dtype, optimizer, x, y, device="cpu"):
        import torch

        self.torch = torch
        tdtype = getattr(torch, dtype)
        layers = []
        for i, (din, dout) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True), start=1):
            lin = torch.nn.Linear(din, dout, dtype=tdtype, device=device)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(weights[f"W{i}"].T.copy()))
                lin.bias.copy_(torch.from_numpy(weights[f"b{i}"]))
            layers += [lin, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.x = torch.from_numpy(np.asarray(x, dtype=dtype)).to(device)
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
        if optimizer == "adam":
            self.opt = torch.optim.Adam(self.model.parameters(), **ADAM_KW)
        else:
            self.opt = torch.optim.SGD(self.model.parameters(), **SGD_KW)
        self.cross_entropy = torch.nn.functional.cross_entropy
        self.device = device

    def step(self):
        self.opt.zero_grad()
        loss = self.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def sync(self):
        if self.device != "cpu":
            self.torch.cuda.synchronize()

    def _flat(self, attr):
        out = []
        for m in self.model:
            if isinstance(m, self.torch.nn.Linear):
                w, b = getattr(m.weight, attr), getattr(m.bias, attr)
                out += [w.detach().cpu().double().numpy().T.copy(),
                        b.detach().cpu().double().numpy()]
        return out

    def grads(self):
        return self._flat("grad")

    def weights(self):
        return self._flat("data")


def to_float(loss) -> float:
    """A step's returned loss (NumPy, CuPy or torch 0-d) as a Python float."""
    if hasattr(loss, "detach"):
        loss = loss.detach().cpu()
    return float(loss)


IMPLS = {"dnnlib": Dnnlib, "torch": Torch, "floor": Floor}


def build(name: str, dtype: str, optimizer: str, batch: int, *, seed: int = 0, **kw):
    """Implementation ``name`` for ``dtype``/``optimizer`` on a fresh batch of size ``batch``."""
    x, y = make_batch(batch, seed=seed + 1)
    return IMPLS[name](make_weights(seed), dtype, optimizer, x, y, **kw)
