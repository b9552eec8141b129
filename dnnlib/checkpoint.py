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
Windows), so a crash mid-write leaves the previous checkpoint intact. A temporary file
left by a process that was killed mid-save (``.{name}.{pid}.*.tmp``) is removed by the
next save to the same path, so such files never pile up. Arrays go through the host,
so a checkpoint saved on one backend (NumPy, CuPy) loads on another.

Reading is defensive: a truncated or corrupted file, or malformed metadata, raises
``ValueError`` naming the file and what is wrong; :func:`load` checks everything
(architecture, names, shapes, dtypes, optimizer hyperparameters) before it assigns
anything, so a failed load leaves the model and the optimizer as they were.

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
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import backend as B
from ._fileio import temp_beside
from ._validation import as_path, check_bool, check_state_arrays

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
    path = as_path(path, fn)
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

    if path.is_symlink():  # write through a link, as an editor does, not over it
        target = path.resolve()
    else:
        target = path
    mode = stat.S_IMODE(target.stat().st_mode) if target.is_file() else 0o644
    fd, tmp = temp_beside(target, ".tmp")  # and removes stale ones of killed saves
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _bad(fn: str, path: Path, what: str) -> ValueError:
    return ValueError(f"{fn}: {str(path)!r} {what}")


# What a damaged .npz can raise inside NumPy and zipfile: a truncated or corrupted archive
# (BadZipFile, EOFError, zlib.error, struct.error, OSError), an entry that is not a plain
# array (ValueError, e.g. a pickled object with allow_pickle=False), an unknown
# compression method (NotImplementedError), a broken header (KeyError, SyntaxError), a
# header announcing an absurd size (MemoryError, OverflowError).
_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, struct.error, OSError, ValueError,
                NotImplementedError, KeyError, SyntaxError, UnicodeDecodeError, TypeError,
                MemoryError, OverflowError)


def _check_meta(meta: Any, path: Path, fn: str) -> dict[str, Any]:
    """The metadata's schema, checked entry by entry (ValueError naming the entry)."""
    if not isinstance(meta, dict):
        raise _bad(fn, path, f"has malformed metadata: expected a JSON object, got "
                             f"{type(meta).__name__}")
    if meta.get("format") != _FORMAT:
        raise _bad(fn, path, "is not a dnnlib checkpoint")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad(fn, path, f"has malformed metadata: format_version must be a positive "
                             f"int, got {version!r}")
    if version > _FORMAT_VERSION:
        raise _bad(fn, path, f"was written by a newer dnnlib ({meta.get('dnnlib_version')}, "
                             f"format {version}); upgrade dnnlib to read it")
    arch = meta.get("architecture")
    if not isinstance(arch, list) or not all(isinstance(a, str) for a in arch):
        raise _bad(fn, path, "has malformed metadata: architecture must be a list of str")
    shapes = meta.get("model_shapes")
    if not isinstance(shapes, dict) or not all(
            isinstance(v, list) and all(isinstance(d, int) and not isinstance(d, bool)
                                        and d >= 0 for d in v) for v in shapes.values()):
        raise _bad(fn, path, "has malformed metadata: model_shapes must map names to lists "
                             "of non-negative ints")
    opt = meta.get("optimizer")
    if opt is not None and not (isinstance(opt, dict) and isinstance(opt.get("type"), str)):
        raise _bad(fn, path, "has malformed metadata: optimizer must be null or an object "
                             "with a 'type' string")
    return meta


def _read(path: Path, fn: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if not path.is_file():
        raise FileNotFoundError(f"{fn}: no checkpoint at {str(path)!r}")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise _bad(fn, path, "is not a readable .npz file")
    try:
        with zipfile.ZipFile(path) as z:  # read every entry once: its CRC-32 must match
            damaged = z.testzip()
        if damaged is not None:
            raise _bad(fn, path, f"is corrupted: the entry {damaged!r} fails its CRC-32 check")
        with np.load(path, allow_pickle=False) as f:
            files = list(f.files)
            if _META not in files:
                raise _bad(fn, path, f"is not a dnnlib checkpoint (no {_META!r} entry)")
            raw = f[_META]
            arrays = {k: f[k] for k in files if k != _META}
    except _READ_ERRORS as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(f"{fn}: "):
            raise  # ours, from just above
        raise _bad(fn, path, f"is not a readable .npz file (truncated or corrupted: "
                             f"{type(exc).__name__}: {exc})") from None
    if raw.ndim != 0 or raw.dtype.kind != "U":
        raise _bad(fn, path, f"has malformed metadata: {_META!r} must be a 0-d string, got "
                             f"dtype {raw.dtype} and shape {raw.shape}")
    try:
        meta = json.loads(str(raw[()]))
    except ValueError as exc:  # JSONDecodeError
        raise _bad(fn, path, f"has malformed metadata: not valid JSON ({exc})") from None
    meta = _check_meta(meta, path, fn)
    saved = {k[len("model/"):]: tuple(v.shape) for k, v in arrays.items()
             if k.startswith("model/")}
    listed = {k: tuple(v) for k, v in meta["model_shapes"].items()}
    if saved != listed:
        raise _bad(fn, path, f"is inconsistent: its metadata lists the arrays {listed}, the "
                             f"file holds {saved}")
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
    return _read(as_path(path, "read_metadata"), "read_metadata")[0]


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
    if not (hasattr(model, "load_state_dict") and hasattr(model, "state_dict")):
        raise TypeError(f"{fn}: model must have load_state_dict() (a Sequential), got "
                        f"{type(model).__name__}")
    path = as_path(path, fn)
    strict = check_bool(strict, fn, "strict")
    meta, arrays = _read(path, fn)

    saved_arch, arch = meta["architecture"], _architecture(model)
    if strict and saved_arch != arch:
        for i, (a, b) in enumerate(zip(saved_arch, arch, strict=False)):
            if a != b:
                raise ValueError(f"{fn}: the checkpoint's architecture differs at layer {i}: "
                                 f"saved {a}, the model has {b}")
        raise ValueError(f"{fn}: the checkpoint has {len(saved_arch)} layers, the model "
                         f"{len(arch)} (saved: {saved_arch})")

    model_arrays = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    current = model.state_dict()
    missing = sorted(set(current) - set(model_arrays))
    extra = sorted(set(model_arrays) - set(current))
    if missing or extra:
        raise ValueError(f"{fn}: parameter names differ: the model has {missing} that the "
                         f"checkpoint lacks, the checkpoint has {extra} that the model lacks")
    for k, v in current.items():
        if tuple(model_arrays[k].shape) != tuple(v.shape):
            raise ValueError(f"{fn}: {k!r} has shape {tuple(model_arrays[k].shape)} in the "
                             f"checkpoint and {tuple(v.shape)} in the model")
    # dtypes and ranges: the same check load_state_dict makes, before any assignment
    check_state_arrays(f"{fn}: {str(path)!r}", current, model_arrays)

    opt_state = None
    if optimizer is not None:
        saved = meta["optimizer"]
        if saved is None:
            raise ValueError(f"{fn}: the checkpoint holds no optimizer state (it was saved "
                             "without one); call load(path, model) instead")
        if saved["type"] != type(optimizer).__name__:
            raise ValueError(f"{fn}: the checkpoint holds a {saved['type']} state, the "
                             f"optimizer given is {type(optimizer).__name__}")
        opt_state = dict(saved)
        opt_state.update({k[len("optim/"):]: v for k, v in arrays.items()
                          if k.startswith("optim/")})
        check = getattr(optimizer, "_check_state_dict", None)
        if check is not None:
            try:  # raises before anything is changed
                check(opt_state)
            except (ValueError, TypeError) as exc:
                raise _bad(fn, path, f"holds an unusable optimizer state: {exc}") from None

    # Everything is checked: assign. Should anything still fail (an interrupt), the model
    # is put back as it was.
    try:
        model.load_state_dict(model_arrays)
        if opt_state is not None:
            optimizer.load_state_dict(opt_state)
    except BaseException:
        model.load_state_dict(current)
        raise
    return meta
