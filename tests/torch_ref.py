"""PyTorch as the reference of the Part II layer tests (float64, CPU): small shared helpers."""

from __future__ import annotations

import numpy as np

import dnnlib as dl


def t64(torch, a, grad: bool = False):
    """A float64 torch tensor holding a copy of ``a`` (any backend's array)."""
    return torch.tensor(np.asarray(dl.to_numpy(a), dtype=np.float64), requires_grad=grad)


def rel_err(ours, theirs) -> float:
    """||ours - theirs|| / max(||theirs||, 1e-12), ``theirs`` a torch tensor or an array."""
    a = np.asarray(dl.to_numpy(ours), dtype=np.float64)
    b = theirs.detach().cpu().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def assert_matches(pairs: dict, tol: float = 1e-6) -> None:
    """Every ``name: (ours, theirs)`` pair agrees to ``tol`` in relative norm."""
    errors = {k: rel_err(a, b) for k, (a, b) in pairs.items()}
    assert max(errors.values()) <= tol, errors
