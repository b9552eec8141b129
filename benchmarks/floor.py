"""The floor: a minimal hand-written NumPy training step for the benchmark MLP.

784-256-256-10, ReLU, softmax cross-entropy, SGD (momentum) or Adam: one
function per step, no layers, no checks, no namespace look-ups. It is what a
careful NumPy programmer writes by hand, and so the floor of what NumPy can
do for this network; dnnlib's step is measured against it (``A/C``).

What "careful" means here (each item is something dnnlib can do too):

* gradients are written into preallocated arrays (``out=``), as ``.grad`` is;
* the first layer's input gradient is not computed (nothing needs it);
* ReLU is applied in place and its mask is recovered from its output;
* at batch 1, ``x.T @ dz`` has an inner dimension of 1, which NumPy's matmul
  does not send to BLAS (~5-10x slower); ``np.dot`` does (the "outer" path);
* optimizers update in place with one scratch array per parameter: no
  parameter-sized temporaries per step (PyTorch's formulas, op for op).
"""

from __future__ import annotations

import numpy as np

SIZES = (784, 256, 256, 10)
NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def _wgrad(x: np.ndarray, dz: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = x.T @ dz``, through BLAS at every batch size."""
    if x.shape[0] == 1:
        np.dot(x.T, dz, out=out)  # matmul skips BLAS when the inner dimension is 1
    else:
        np.matmul(x.T, dz, out=out)


class FloorMLP:
    """The benchmark MLP as bare NumPy.

    Parameters
    ----------
    weights : dict of str -> ndarray
        ``W1 (784, 256)``, ``b1 (256,)``, ... ``b3 (10,)``; copied and cast to ``dtype``.
    dtype : {"float32", "float64"}
    optimizer : {"sgd", "adam"}
    lr, momentum, betas, eps
        PyTorch's defaults and meanings.
    """

    def __init__(self, weights, dtype="float32", optimizer="adam", lr=None, momentum=0.9,
                 betas=(0.9, 0.999), eps=1e-8):
        self.dtype = np.dtype(dtype)
        self.params = [np.array(weights[n], dtype=self.dtype) for n in NAMES]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.optimizer = optimizer
        self.lr = (1e-3 if optimizer == "adam" else 1e-2) if lr is None else lr
        self.momentum, self.betas, self.eps = momentum, betas, eps
        self.scratch = [np.zeros_like(p) for p in self.params]
        self.state1 = [np.zeros_like(p) for p in self.params]  # momentum buffer / Adam m
        self.state2 = [np.zeros_like(p) for p in self.params]  # Adam v
        self.t = 0

    # ------------------------------------------------------------------ one step
    def step(self, x: np.ndarray, y: np.ndarray):
        """Forward, loss, backward and update on the batch ``x (N, 784)``, ``y (N,)``.

        Returns the loss (a 0-d array) of the weights before the update. The four
        phases are methods so that :mod:`benchmarks.phases` can time each one.
        """
        h1, h2, z = self.forward(x)
        loss, dz3 = self.loss_and_grad(z, y)
        self.backward(x, h1, h2, dz3)
        self.update()
        return loss

    def forward(self, x: np.ndarray):
        """The hidden activations and the logits: ``h1, h2, z``."""
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = x @ W1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        z = h2 @ W3
        z += b3
        return h1, h2, z

    def loss_and_grad(self, z: np.ndarray, y: np.ndarray):
        """Softmax cross-entropy (mean over the batch) and its gradient, ``z`` overwritten."""
        n = z.shape[0]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = np.log(s[:, 0]).sum() / n - z[rows, y].sum() / n
        p /= s
        p[rows, y] -= 1
        p /= n
        return loss, p

    def backward(self, x: np.ndarray, h1: np.ndarray, h2: np.ndarray, dz3: np.ndarray) -> None:
        """The six gradients, written into ``self.grads``."""
        _, _, W2, _, W3, _ = self.params
        gW1, gb1, gW2, gb2, gW3, gb3 = self.grads
        _wgrad(h2, dz3, gW3)
        np.sum(dz3, axis=0, out=gb3)
        dz2 = dz3 @ W3.T
        dz2 *= h2 > 0
        _wgrad(h1, dz2, gW2)
        np.sum(dz2, axis=0, out=gb2)
        dz1 = dz2 @ W2.T
        dz1 *= h1 > 0
        _wgrad(x, dz1, gW1)
        np.sum(dz1, axis=0, out=gb1)

    def update(self) -> None:
        """One optimizer step from ``self.grads``."""
        if self.optimizer == "adam":
            self._adam()
        else:
            self._sgd()

    def _sgd(self) -> None:
        # buf = momentum * buf + g (buf = g at the first step); p -= lr * buf
        first = self.t == 0
        self.t += 1
        for p, g, buf, tmp in zip(self.params, self.grads, self.state1, self.scratch,
                                  strict=True):
            if first:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += g
            np.multiply(buf, self.lr, out=tmp)
            p -= tmp

    def _adam(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        bc1 = 1.0 - b1**self.t
        bc2_sqrt = (1.0 - b2**self.t) ** 0.5
        step_size = self.lr / bc1
        for p, g, m, v, tmp in zip(self.params, self.grads, self.state1, self.state2,
                                   self.scratch, strict=True):
            # m = b1 m + (1 - b1) g ; v = b2 v + (1 - b2) g^2
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            # p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
            np.sqrt(v, out=tmp)
            tmp /= bc2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp
