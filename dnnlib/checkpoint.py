"""Save and restore a model (and its optimizer) in one ``.npz`` file, without pickle.

``dnnlib.save(path, model, optimizer)`` writes:

* ``model/{key}`` - every entry of ``model.state_dict()`` (parameters and buffers such
  as BatchNorm's running statistics), as NumPy arrays;
* ``optim/{key}`` - the optimizer's state buffers (momentum, Adam's moments);
* ``__meta__`` - a 0-d unicode array holding JSON: the format version, the dnnlib
  version, the architecture (one ``repr`` per layer), the parameter shapes and the
  optimizer's type, hyperparameters and step count.

Everything is read back with ``allow_pickle=False``. The file is written to a temporary
file in the same folder and renamed over the target (``os.replace``, atomic on POSIX and
Windows), so a crash mid-write leaves the previous checkpoint intact. Arrays go through
the host, so a checkpoint saved on one backend (NumPy, CuPy) loads on another.

Examples
--------
>>> import os, tempfile
>>> import dnnlib as dl
>>> from dnnlib.layers import Dense
>>> from dnnlib.model import Sequential
>>> model = Sequential(Dense(2, 3, rng=0))
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> _ = dl.save(path, model)
>>> other = Sequential(Dense(2, 3, rng=1))
>>> _ = dl.load(path, other)
>>> bool((dl.to_numpy(other[0].W.data) == dl.to_numpy(model[0].W.data)).all())
True
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import backend as B

__all__ = ["save", "load", "read_metadata"]

_FORMAT = "dnnlib-checkpoint"
_FORMAT_VERSION = 1
_META = "__meta__"


def _architecture(model: Any) -> list[str]:
    layers = getattr(model, "layers", None)
    if layers is None:
        return [repr(model)]
    return [repr(layer) for layer in layers]


def _write_npz(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays to the open file ``f`` (the step a failure test interrupts)."""
    np.savez(f, **arrays)


def save(path: str | os.PathLike, model: Any, optimizer: Any = None) -> Path:
    """Write ``model`` (and ``optimizer``) to ``path``, atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write (its folder must exist); the name is used as given.
    model : Sequential
    optimizer : dnnlib.optim.Optimizer, optional

    Returns
    -------
    pathlib.Path
        The path written.

    Notes
    -----
    Chapter 6 saves the trained network with this, and reloads it to continue
    training exactly where it stopped (the optimizer's moments and step count
    included, so Adam's bias correction :math:`1-\\beta^t` continues too).

    Examples
    --------
    >>> import os, tempfile
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> from dnnlib.optim import Adam
    >>> model = Sequential(Dense(4, 2, rng=0))
    >>> p = save(os.path.join(tempfile.mkdtemp(), "ckpt.npz"), model, Adam(model.params))
    >>> sorted(read_metadata(p)["model_shapes"])
    ['0.W', '0.b']
    """
    from ._version import __version__

    fn = "save"
    if not hasattr(model, "state_dict"):
        raise TypeError(f"{fn}: model must have a state_dict() (a Sequential), got "
                        f"{type(model).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{fn}: path {str(path)!r} is a folder; give a file name "
                                "such as 'model.npz'")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{fn}: the folder {str(path.parent)!r} does not exist")
    arrays: dict[str, np.ndarray] = {}
    shapes: dict[str, list[int]] = {}
    for key, value in model.state_dict().items():
        arrays[f"model/{key}"] = B.to_numpy(value)
        shapes[key] = list(value.shape)
    opt_meta = None
    if optimizer is not None:
        if not hasattr(optimizer, "state_dict"):
            raise TypeError(f"{fn}: optimizer must have a state_dict(), got "
                            f"{type(optimizer).__name__}")
        opt_meta = {}
        for key, value in optimizer.state_dict().items():
            if B.is_array(value):
                arrays[f"optim/{key}"] = B.to_numpy(value)
            else:
                opt_meta[key] = value
    meta = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "dnnlib_version": __version__,
        "architecture": _architecture(model),
        "model_shapes": shapes,
        "optimizer": opt_meta,
    }
    arrays[_META] = np.asarray(json.dumps(meta))  # 0-d unicode array: no pickle needed

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _read(path: Path, fn: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if not path.is_file():
        raise FileNotFoundError(f"{fn}: no checkpoint at {str(path)!r}")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise ValueError(f"{fn}: {str(path)!r} is not a readable .npz file")
    try:
        with np.load(path, allow_pickle=False) as f:
            files = list(f.files)
            if _META not in files:
                raise ValueError(f"{fn}: {str(path)!r} is not a dnnlib checkpoint (no "
                                 f"{_META!r} entry)")
            meta = json.loads(str(f[_META][()]))
            arrays = {k: f[k] for k in files if k != _META}
    except (OSError, EOFError) as exc:
        raise ValueError(f"{fn}: {str(path)!r} is not a readable .npz file ({exc})") from None
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{fn}: {str(path)!r} is not a dnnlib checkpoint")
    if meta.get("format_version", 0) > _FORMAT_VERSION:
        raise ValueError(f"{fn}: {str(path)!r} was written by a newer dnnlib "
                         f"({meta.get('dnnlib_version')}); upgrade dnnlib to read it")
    return meta, arrays


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's metadata (architecture, shapes, versions, optimizer settings).

    Examples
    --------
    >>> import os, tempfile
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> p = save(os.path.join(tempfile.mkdtemp(), "m.npz"), Sequential(Dense(2, 1, rng=0)))
    >>> read_metadata(p)["architecture"]
    ['Dense(in_features=2, out_features=1)']
    """
    return _read(Path(path), "read_metadata")[0]


def load(path: str | os.PathLike, model: Any, optimizer: Any = None, *,
         strict: bool = True) -> dict[str, Any]:
    """Restore ``model`` (and ``optimizer``) from a checkpoint written by :func:`save`.

    Everything is checked before anything changes: the architecture (layer by layer,
    unless ``strict=False``), the parameter names and shapes, and the optimizer's type
    and state. Arrays are copied into the model's existing arrays, on its backend.

    Parameters
    ----------
    path : str or path-like
    model : Sequential
        Built with the same architecture.
    optimizer : dnnlib.optim.Optimizer, optional
        Of the same type as the one saved, over ``model.params``.
    strict : bool
        Compare the layers' ``repr`` (``False``: only names and shapes).

    Returns
    -------
    dict
        The checkpoint's metadata.

    Raises
    ------
    ValueError
        Saying exactly what differs (which layer, which key, which shapes).

    Examples
    --------
    >>> import os, tempfile
    >>> from dnnlib.layers import Dense
    >>> from dnnlib.model import Sequential
    >>> p = save(os.path.join(tempfile.mkdtemp(), "m.npz"), Sequential(Dense(2, 1, rng=0)))
    >>> try:
    ...     load(p, Sequential(Dense(2, 3, rng=0)))
    ... except ValueError as e:
    ...     print(str(e)[:48])
    load: the checkpoint's architecture differs at l
    """
    fn = "load"
    if not hasattr(model, "load_state_dict"):
        raise TypeError(f"{fn}: model must have load_state_dict() (a Sequential), got "
                        f"{type(model).__name__}")
    meta, arrays = _read(Path(path), fn)

    saved_arch, arch = meta["architecture"], _architecture(model)
    if strict and saved_arch != arch:
        for i, (a, b) in enumerate(zip(saved_arch, arch, strict=False)):
            if a != b:
                raise ValueError(f"{fn}: the checkpoint's architecture differs at layer {i}: "
                                 f"saved {a}, the model has {b}")
        raise ValueError(f"{fn}: the checkpoint has {len(saved_arch)} layers, the model "
                         f"{len(arch)} (saved: {saved_arch})")

    model_arrays = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    current = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(current) - set(model_arrays))
    extra = sorted(set(model_arrays) - set(current))
    if missing or extra:
        raise ValueError(f"{fn}: parameter names differ: the model has {missing} that the "
                         f"checkpoint lacks, the checkpoint has {extra} that the model lacks")
    for k, shape in current.items():
        if tuple(model_arrays[k].shape) != shape:
            raise ValueError(f"{fn}: {k!r} has shape {tuple(model_arrays[k].shape)} in the "
                             f"checkpoint and {shape} in the model")

    opt_state = None
    if optimizer is not None:
        saved = meta.get("optimizer")
        if saved is None:
            raise ValueError(f"{fn}: the checkpoint holds no optimizer state (it was saved "
                             "without one); call load(path, model) instead")
        if saved.get("type") != type(optimizer).__name__:
            raise ValueError(f"{fn}: the checkpoint holds a {saved.get('type')} state, the "
                             f"optimizer given is {type(optimizer).__name__}")
        opt_state = dict(saved)
        opt_state.update({k[len("optim/"):]: v for k, v in arrays.items()
                          if k.startswith("optim/")})
        check = getattr(optimizer, "_check_state_dict", None)
        if check is not None:
            check(opt_state)  # raises before anything is changed

    model.load_state_dict(model_arrays)
    if opt_state is not None:
        optimizer.load_state_dict(opt_state)
    return meta
