"""Checkers for the exercises of chapter 6 (updating weights: the mini-batch loop).

* :func:`check_minibatch_indices`: ``minibatch_indices(n, batch_size, rng, drop_last=False)``,
  the shuffled mini-batches of one epoch as index arrays (no sample lost or repeated).
* :func:`check_train_loop`: ``train_loop(model, loss_fn, optimizer, X, y, epochs,
  batch_size, rng)``, the training loop written by hand; it must give the weights and the
  per-epoch losses of :func:`dnnlib.train.fit` under the same seed.
* :func:`check_early_stopping`: ``early_stopping(val_losses, patience, min_delta=0.0)``,
  the stopping rule of :class:`dnnlib.train.EarlyStopping` replayed on a list of losses.

**fit's shuffling order** (what makes ``train_loop`` reproducible): ``fit`` turns ``rng``
into one ``numpy.random.Generator`` at the start; at the start of every epoch it draws
``order = rng.permutation(n)`` from that same generator and cuts ``order`` into consecutive
slices of ``batch_size`` rows, the last slice holding the remainder. Nothing else in
``fit`` draws from that generator (validation does not; dropout has its own).

The messages follow chapter 6's notation: ``n`` is the number of rows of the training set
``X`` (what ``rng.permutation(n)`` shuffles), ``N`` the rows of one mini-batch.

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._checker import Checker, CheckResult, describe

__all__ = [
    "check_minibatch_indices",
    "check_train_loop",
    "check_early_stopping",
    "reference_minibatch_indices",
    "reference_early_stopping",
]


# --------------------------------------------------------------------------- exercise 1
def reference_minibatch_indices(n: int, batch_size: int, rng: np.random.Generator,
                                drop_last: bool = False) -> list[np.ndarray]:
    """The batches of one epoch exactly as ``fit`` / ``dnnlib.data.batches`` cut them."""
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i:min(i + batch_size, n)] for i in range(0, stop, batch_size)]


def _as_batches(chk: Checker, got: Any) -> list[np.ndarray]:
    """The reader's answer as a list of 1-D int64 arrays, or fail with a hint."""
    if isinstance(got, np.ndarray) and got.ndim == 2:
        chk.fail("minibatch_indices returned one 2-D array; return a list of 1-D index arrays "
                 "(the last batch may be shorter, so they cannot all fit in one array)")
    if not isinstance(got, (list, tuple)):
        chk.fail(f"minibatch_indices returned a {type(got).__name__}; return a list of 1-D "
                 "integer arrays, one per mini-batch (a generator is used up after one pass: "
                 "wrap it in list(...))")
    out = []
    for k, b in enumerate(got):
        a = np.asarray(b)
        if a.ndim != 1:
            chk.fail(f"batch {k} has shape {a.shape}; each batch must be a 1-D array of "
                     "indices")
        if a.size and a.dtype.kind not in "iu":
            chk.fail(f"batch {k} has dtype {a.dtype}; indices must be integers (use "
                     "rng.permutation(n), which returns int64)")
        out.append(a.astype(np.int64))
    return out


def _coverage_feedback(chk: Checker, batches: list[np.ndarray], n: int, batch_size: int,
                       drop_last: bool) -> None:
    """Fail with the lost / duplicated samples and the batch sizes that are wrong."""
    flat = np.concatenate(batches) if batches else np.zeros(0, np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        chk.fail(f"indices must lie in 0..{n - 1}, got values from {flat.min()} to "
                 f"{flat.max()}")
    counts = np.bincount(flat, minlength=n)
    dup = np.flatnonzero(counts > 1)
    sizes = [int(b.size) for b in batches]
    full, rest = divmod(n, batch_size)
    want_sizes = [batch_size] * full + ([] if drop_last or rest == 0 else [rest])
    if dup.size:
        chk.fail(f"samples {dup[:8].tolist()} appear more than once in one epoch (and "
                 f"{int(np.sum(counts == 0))} samples never appear). Likely mistake: you drew "
                 "indices with replacement (rng.integers or rng.choice(..., replace=True)); "
                 "shuffle a permutation instead: rng.permutation(n)")
    lost = np.flatnonzero(counts == 0)
    if not drop_last and lost.size:
        hint = ""
        if rest and lost.size == rest and sizes == [batch_size] * full:
            hint = (f". Likely mistake: you dropped the last partial batch ({rest} samples): "
                    "range(0, n - batch_size + 1, batch_size) or n // batch_size batches lose "
                    "it; with drop_last=False the last batch holds the remainder")
        elif sizes and sizes[:-1] == [batch_size] * (len(sizes) - 1):
            hint = (". Likely mistake: your loop stops too early: slice order[i:i + "
                    "batch_size] for i in range(0, n, batch_size)")
        chk.fail(f"{lost.size} of {n} samples never appear in the epoch (e.g. "
                 f"{lost[:8].tolist()}){hint}")
    if sizes != want_sizes:
        msg = f"batch sizes {sizes}, expected {want_sizes}"
        if drop_last and rest and sizes == want_sizes + [rest]:
            msg += (". Likely mistake: drop_last=True must skip the final partial batch of "
                    f"{rest} samples")
        elif drop_last and rest == 0 and sizes == want_sizes[:-1]:
            msg += (". Likely mistake: when batch_size divides n, the last batch is full and "
                    "must be kept (loop over range(0, n - n % batch_size, batch_size))")
        elif sorted(sizes) == sorted(want_sizes):
            consecutive = all(b.size == 0 or np.array_equal(np.sort(b), np.arange(
                b.min(), b.min() + b.size)) for b in batches)
            if consecutive and len(batches) > 1:
                msg += (". Likely mistake: each batch holds neighbouring samples and the "
                        "short one is not last: you shuffled the order of the batches, not "
                        "the samples. Permute the samples first (order = rng.permutation(n)),"
                        " then cut order into consecutive slices order[i:i + batch_size]")
            else:
                msg += (". The right sizes in the wrong order: the batches are consecutive "
                        "slices order[i:i + batch_size] of one permutation, so only the last "
                        "one can be short")
        elif len(sizes) == len(want_sizes) and sum(sizes) == sum(want_sizes) and \
                max(sizes) - min(sizes) <= 1:
            msg += (". Likely mistake: np.array_split makes batches of nearly equal size; "
                    "every batch but the last must hold exactly batch_size samples")
        chk.fail(msg)
    if drop_last and rest and int(np.sum(counts > 0)) != n - rest:
        chk.fail(f"with drop_last=True exactly {n - rest} distinct samples should be used")


def _shuffle_feedback(chk: Checker, batches: list[np.ndarray], n: int) -> None:
    flat = np.concatenate(batches)
    if np.array_equal(flat, np.arange(flat.size)):
        chk.fail("the samples come in their original order 0, 1, 2, ...; shuffle them: "
                 "order = rng.permutation(n)")
    if len(batches) > 2 and all(np.array_equal(np.sort(b), np.arange(b.min(), b.min() + b.size))
                                for b in batches):
        chk.fail("each batch holds neighbouring samples (0-3, 4-7, ...): you shuffled the "
                 "order of the batches, not the samples; permute the samples first, then cut "
                 "the permutation into batches")


def check_minibatch_indices(minibatch_indices: Callable[..., Any], *, verbose: bool = True
                            ) -> CheckResult:
    """Check ``minibatch_indices(n, batch_size, rng, drop_last=False) -> list of arrays``.

    One epoch of shuffled mini-batches: every sample ``0..n-1`` exactly once (with
    ``drop_last=True``: ``n - n % batch_size`` samples, all batches full), batches of
    ``batch_size`` and a last batch holding the remainder, a new order at each call with
    the same generator, and the same order as ``fit`` (``rng.permutation(n)`` cut in
    consecutive slices).

    Examples
    --------
    >>> r = check_minibatch_indices(reference_minibatch_indices, verbose=False)
    >>> r.passed
    True
    """
    chk = Checker("minibatch_indices")
    fn = minibatch_indices

    def run_case(n: int, bs: int, drop_last: bool, seed: int) -> list[np.ndarray]:
        got = chk.call(fn, n, bs, np.random.default_rng(seed), drop_last=drop_last,
                       arg_names=("n", "batch_size", "rng"))
        batches = _as_batches(chk, got)
        _coverage_feedback(chk, batches, n, bs, drop_last)
        return batches

    @chk.case("n = 10, batch_size = 4: batches of 4, 4, 2 covering every sample once")
    def _():
        batches = run_case(10, 4, False, 0)
        _shuffle_feedback(chk, batches, 10)

    @chk.case("n = 1000, batch_size = 32: no sample lost or repeated, 31 full batches + 8")
    def _():
        batches = run_case(1000, 32, False, 1)
        _shuffle_feedback(chk, batches, 1000)

    @chk.case("a new order at every call (epoch) with the same generator")
    def _():
        rng = np.random.default_rng(2)
        first = _as_batches(chk, chk.call(fn, 20, 5, rng, drop_last=False))
        second = _as_batches(chk, chk.call(fn, 20, 5, rng, drop_last=False))
        _coverage_feedback(chk, second, 20, 5, False)
        if np.array_equal(np.concatenate(first), np.concatenate(second)):
            chk.fail("two calls with the same generator gave the same order: you re-seeded "
                     "(np.random.default_rng(...) inside the function?) or reused one "
                     "permutation; draw a fresh rng.permutation(n) from the generator you "
                     "are given at every call")

    @chk.case("the same batches as fit with the same seed (rng.permutation(n), sliced)")
    def _():
        got = run_case(23, 5, False, 3)
        want = reference_minibatch_indices(23, 5, np.random.default_rng(3))
        if not all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)):
            chk.fail("your batches are a valid shuffle, but not fit's: fit draws order = "
                     "rng.permutation(n) once per epoch and cuts it into consecutive slices "
                     "order[i:i + batch_size]; draw nothing else from rng")

    @chk.case("drop_last=True, n = 10, batch_size = 4: two full batches, the 2 left over "
              "are skipped")
    def _():
        run_case(10, 4, True, 4)

    @chk.case("edge case: batch_size divides n (12 and 4): drop_last keeps all 3 batches")
    def _():
        run_case(12, 4, True, 5)
        run_case(12, 4, False, 5)

    @chk.case("edge case: batch_size > n: one batch of all n samples (none with drop_last)")
    def _():
        run_case(5, 8, False, 6)
        got = _as_batches(chk, chk.call(fn, 5, 8, np.random.default_rng(6), drop_last=True))
        if got:
            chk.fail(f"with drop_last=True and batch_size > n there is no full batch; expected "
                     f"an empty list, got batch sizes {[int(b.size) for b in got]}")

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 2
def _toy_problem(seed: int, n: int, optimizer: str) -> tuple[Any, ...]:
    """A 3-class problem, a float64 MLP and its optimizer, all fixed by ``seed``."""
    from ..layers import Dense, Tanh
    from ..losses import SoftmaxCrossEntropy
    from ..model import Sequential
    from ..optim import SGD, Adam

    g = np.random.default_rng(seed)
    X = np.round(g.normal(size=(n, 4)), 3)
    y = (np.argmax(X[:, :3] + 0.5 * X[:, 3:], axis=1)).astype(np.int64)
    model = Sequential(Dense(4, 6, rng=seed + 1, dtype="float64"), Tanh(),
                       Dense(6, 3, rng=seed + 2, dtype="float64"))
    opt = (SGD(model.params, lr=0.3, momentum=0.9) if optimizer == "sgd"
           else Adam(model.params, lr=0.05))
    return X, y, model, SoftmaxCrossEntropy(), opt


def _weights(model: Any) -> list[np.ndarray]:
    import dnnlib as dl

    return [dl.to_numpy(p.data).copy() for p in model.params]


def _variant_loop(model: Any, loss_fn: Any, opt: Any, X: np.ndarray, y: np.ndarray,
                  epochs: int, bs: int, rng: np.random.Generator, *, zero_grad: bool = True,
                  shuffle: str = "epoch", drop_last: bool = False, epoch_loss: str = "weighted"
                  ) -> list[float]:
    """The loop, with the usual mistakes switchable (to name them in the feedback)."""
    n = X.shape[0]
    fixed = rng.permutation(n) if shuffle == "once" else None
    losses = []
    for _ in range(epochs):
        order = {"epoch": lambda: rng.permutation(n), "once": lambda: fixed,
                 "none": lambda: np.arange(n)}[shuffle]()
        stop = n - n % bs if drop_last else n
        total, values = 0.0, []
        for i in range(0, stop, bs):
            idx = order[i:min(i + bs, n)]
            if zero_grad:
                opt.zero_grad()
            out = model.forward(X[idx])
            value = float(loss_fn.forward(out, y[idx]))
            model.backward(loss_fn.backward())
            opt.step()
            total += value * idx.size
            values.append(value)
        losses.append({"weighted": total / n, "mean": float(np.mean(values)),
                       "last": values[-1]}[epoch_loss])
    return losses


def check_train_loop(train_loop: Callable[..., Any], *, verbose: bool = True) -> CheckResult:
    """Check ``train_loop(model, loss_fn, optimizer, X, y, epochs, batch_size, rng)``.

    The reader's loop must return the per-epoch mean training loss (weighted by batch
    size, as ``History["loss"]``) and leave the model with the weights that
    :func:`dnnlib.train.fit` reaches from the same initial weights with the same seed
    (bit for bit when the operations are the same; within ``1e-10`` relative otherwise).
    Known mistakes are replayed to name them: no ``zero_grad``, no shuffling, the same
    order every epoch, a dropped last batch, an unweighted or last-batch epoch loss.

    Examples
    --------
    >>> def train_loop(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
    ...     raise NotImplementedError
    >>> check_train_loop(train_loop, verbose=False).status
    'not_attempted'
    """
    from ..data import batches
    from ..train import fit

    chk = Checker("train_loop")
    fn = train_loop
    forbidden = {
        fit: "your loop calls dnnlib.train.fit: the exercise is to write the loop that fit "
             "runs; write the epochs and the mini-batch steps yourself",
        batches: "your loop uses dnnlib.data.batches (maybe under another name, or through "
                 "a helper): the exercise asks for the loop without it. Draw order = "
                 "rng.permutation(n) and slice it yourself, as in the first exercise",
    }

    def compare(seed: int, n: int, epochs: int, bs: int, optimizer: str) -> None:
        X, y, model, loss_fn, opt = _toy_problem(seed, n, optimizer)
        w0 = _weights(model)
        got_rng = np.random.default_rng(seed)
        got = chk.call(fn, model, loss_fn, opt, X, y, epochs, bs, got_rng,
                       arg_names=("model", "loss_fn", "optimizer", "X", "y", "epochs",
                                  "batch_size", "rng"), forbid=forbidden)
        if isinstance(got, np.ndarray):
            got = got.tolist()
        if not isinstance(got, (list, tuple)):
            chk.fail(f"train_loop returned a {type(got).__name__}; return a list with one "
                     "float per epoch (the mean training loss of that epoch)")
        w_got = _weights(model)
        # the reference: fit itself, from the same initial weights and seed
        Xr, yr, ref, loss_r, opt_r = _toy_problem(seed, n, optimizer)
        hist = fit(ref, loss_r, opt_r, Xr, yr, epochs=epochs, batch_size=bs, rng=seed,
                   progress=False)
        w_want = _weights(ref)

        def same(ws: list[np.ndarray]) -> bool:
            return all(np.allclose(a, b, rtol=1e-10, atol=1e-12)
                       for a, b in zip(ws, w_got, strict=True))

        if not same(w_want):
            if epochs and same(w0):
                chk.fail("the weights did not change: call optimizer.step() after "
                         "model.backward(loss_fn.backward()) in every step")
            for kw, hint in [
                ({"zero_grad": False}, "you never reset the gradients: call "
                 "optimizer.zero_grad() (or model.zero_grad()) before each backward pass, "
                 "otherwise .grad accumulates over the steps"),
                ({"shuffle": "none"}, "you did not shuffle: visit the rows in the order "
                 "order = rng.permutation(n), drawn at the start of every epoch"),
                ({"shuffle": "once"}, "the same order every epoch: draw a new "
                 "rng.permutation(n) at the start of each epoch, from the generator rng you "
                 "are given (do not re-seed)"),
                ({"drop_last": True}, "you dropped the last partial batch: with n = "
                 f"{n} and batch_size = {bs} the last batch holds {n % bs} rows and fit "
                 "trains on it too"),
            ]:
                Xm, ym, mm, lm, om = _toy_problem(seed, n, optimizer)
                _variant_loop(mm, lm, om, Xm, ym, epochs, bs, np.random.default_rng(seed), **kw)
                if same(_weights(mm)):
                    chk.fail(f"the weights differ from fit's. Likely mistake: {hint}")
            used = np.random.default_rng(seed)
            if got_rng.bit_generator.state == used.bit_generator.state:
                chk.fail("the weights differ from fit's, and you never drew from the generator "
                         "rng you were given (did you re-seed, or shuffle with another "
                         "generator?). Draw order = rng.permutation(n) from rng at the start "
                         "of each epoch")
            for k in range(1, epochs + 1):
                used.permutation(n)
                if k < epochs and got_rng.bit_generator.state == used.bit_generator.state:
                    chk.fail(f"the weights differ from fit's: you drew {k} permutation(s) from "
                             f"rng for {epochs} epochs. Likely mistake: the same order every "
                             "epoch; draw a new rng.permutation(n) at the start of each epoch")
            if got_rng.bit_generator.state != used.bit_generator.state:
                chk.fail("the weights differ from fit's, and you drew from rng differently "
                         f"from fit, which draws exactly one rng.permutation(n) per epoch ("
                         f"{epochs} here); draw nothing else from rng (no rng.shuffle of the "
                         "data, no rng.choice, no extra draws)")
            err = max(float(np.max(np.abs(a - b))) for a, b in zip(w_want, w_got, strict=True))
            chk.fail(f"the weights differ from fit's (largest difference {err:.3g}). fit draws "
                     "order = rng.permutation(n) at the start of each epoch, cuts it into "
                     "slices order[i:i + batch_size], and for each does zero_grad, forward, "
                     "loss, backward, step; do the same, and draw nothing else from rng")
        if len(got) != epochs:
            chk.fail(f"expected one loss per epoch ({epochs} values), got {len(got)}")
        if epochs == 0:
            return
        got_f = np.asarray([chk.expect_number(v, what=f"the loss of epoch {k}")
                            for k, v in enumerate(got)], dtype=np.float64)
        want = np.asarray(hist["loss"], dtype=np.float64)
        mistakes = []
        for kind, hint in [("mean", "you averaged the batch losses without weights; the last "
                            "batch is smaller, so weight each batch loss by its number of rows "
                            "and divide by n, the rows of the whole training set"),
                           ("last", "you returned the loss of the last batch of each epoch; "
                            "return the mean over all rows of the epoch")]:
            Xm, ym, mm, lm, om = _toy_problem(seed, n, optimizer)
            mistakes.append((_variant_loop(mm, lm, om, Xm, ym, epochs, bs,
                                           np.random.default_rng(seed), epoch_loss=kind), hint))
        chk.expect_close(got_f, want, rtol=1e-9, atol=1e-12, mistakes=mistakes)

    @chk.case("n = 50 rows, batch_size = 16 (last batch of 2), 3 epochs, SGD with momentum")
    def _():
        compare(10, 50, 3, 16, "sgd")

    @chk.case("n = 48 rows, batch_size = 12 (4 full batches), 4 epochs, Adam")
    def _():
        compare(11, 48, 4, 12, "adam")

    @chk.case("edge case: batch_size > n (one batch per epoch: full-batch descent)")
    def _():
        compare(12, 20, 3, 64, "sgd")

    @chk.case("edge case: epochs = 0 returns [] and leaves the weights unchanged")
    def _():
        compare(13, 20, 0, 8, "adam")

    return chk.run(fn, verbose=verbose)


# --------------------------------------------------------------------------- exercise 3
def reference_early_stopping(val_losses: Any, patience: int, min_delta: float = 0.0
                             ) -> tuple[int, int | None]:
    """``(best_epoch, stop_epoch)`` from :class:`dnnlib.train.EarlyStopping` itself.

    The callback is fed the losses one epoch at a time (``restore_best_weights=False``);
    ``stop_epoch`` is ``None`` when it never stops.
    """
    from ..train import EarlyStopping, History, TrainState

    cb = EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                       restore_best_weights=False)
    state = TrainState(None, None, None, History(), has_validation=True)
    cb.on_train_begin(state)
    for epoch, v in enumerate(val_losses):
        state.epoch, state.logs = epoch, {"val_loss": float(v)}
        cb.on_epoch_end(state)
        if state.stop:
            break
    return cb.best_epoch, cb.stopped_epoch


def check_early_stopping(early_stopping: Callable[..., Any], *, verbose: bool = True
                         ) -> CheckResult:
    """Check ``early_stopping(val_losses, patience, min_delta=0.0) -> (best, stop)``.

    Epochs count from 0. Epoch ``e`` improves when ``val_losses[e] < best - min_delta``;
    training stops at the first epoch ``e`` with ``patience`` epochs in a row without
    improvement, and ``stop`` is ``None`` when that never happens. ``best`` is the best
    epoch seen up to the stop (what ``restore_best_weights`` restores). The reference is
    :class:`dnnlib.train.EarlyStopping` itself.

    Examples
    --------
    >>> r = check_early_stopping(reference_early_stopping, verbose=False)
    >>> r.passed
    True
    """
    chk = Checker("early_stopping")
    fn = early_stopping

    def alt(losses: list[float], patience: int, min_delta: float, *, le: bool = False,
            off: int = 0, ignore_delta: bool = False, lookahead: bool = False,
            last_if_none: bool = False) -> tuple[int, int | None]:
        """The rule with a known mistake switched on."""
        best, best_e, wait, stop = math.inf, -1, 0, None
        d = 0.0 if ignore_delta else min_delta
        for e, v in enumerate(losses):
            if (v <= best - d) if le else (v < best - d):
                best, best_e, wait = v, e, 0
            else:
                wait += 1
                if wait >= patience + off:
                    stop = e
                    break
        if lookahead:
            best_e = int(np.argmin(losses))
        if stop is None and last_if_none:
            stop = len(losses) - 1
        return best_e, stop

    def epoch_index(value: Any, name: str, losses: list[float], none_ok: bool) -> int | None:
        """The reader's epoch as an int (or None), without guessing: no int() cast."""
        if value is None:
            if none_ok:
                return None
            chk.fail(f"{name} is None; the best epoch always exists (epoch 0 at the latest)")
        if isinstance(value, (bool, np.bool_)):
            chk.fail(f"{name} is {describe(value)}; return an epoch index (an int)")
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            v = float(value)
            if math.isnan(v):
                chk.fail(f"{name} is nan" + (": when training never stops, return None "
                                             "(not nan, not -1)" if none_ok else ""))
            if v in [float(x) for x in losses] and not v.is_integer():
                chk.fail(f"{name} is {v!r}, a validation loss: return the epoch (its index "
                         "in val_losses, counted from 0), not the loss")
            if v.is_integer():
                chk.fail(f"{name} is the float {v!r}; return an int epoch index (epochs are "
                         "counted with ints, e.g. from enumerate)")
            chk.fail(f"{name} is {v!r}; return an epoch index, an int counted from 0")
        chk.fail(f"{name} is {describe(value)}; return an epoch index (an int)"
                 + (" or None" if none_ok else ""))
        return None  # pragma: no cover

    def expect(losses: list[float], patience: int, min_delta: float = 0.0) -> None:
        got = chk.call(fn, list(losses), patience, min_delta,
                       arg_names=("val_losses", "patience", "min_delta"))
        best, stop = chk.expect_tuple(got, ("best_epoch", "stop_epoch"))
        want = reference_early_stopping(losses, patience, min_delta)
        got = (epoch_index(best, "best_epoch", losses, none_ok=False),
               epoch_index(stop, "stop_epoch", losses, none_ok=True))
        if got == want:
            return
        if got == want[::-1]:
            chk.fail(f"expected (best_epoch, stop_epoch) = {want}, got {got}: the two are "
                     "swapped; return (best_epoch, stop_epoch)")
        mistakes = [
            (alt(losses, patience, min_delta, le=True),
             "a tie is not an improvement: use val_loss < best - min_delta, not <="),
            (alt(losses, patience, min_delta, off=1),
             "off by one: stop as soon as `patience` epochs in a row have not improved "
             "(count the epochs since the best one; stop when the count reaches patience)"),
            (alt(losses, patience, min_delta, off=-1),
             "off by one: you stopped one epoch too early; `patience` epochs without "
             "improvement are tolerated before stopping"),
            (alt(losses, patience, min_delta, ignore_delta=True),
             "you ignored min_delta: an improvement must beat the best by more than min_delta"),
            (alt(losses, patience, min_delta, lookahead=True),
             "the best epoch is the best one seen *before* stopping; you looked at the whole "
             "list, including epochs that training never reached"),
            (alt(losses, patience, min_delta, last_if_none=True),
             "when patience never runs out, training does not stop early: return None as "
             "stop_epoch"),
        ]
        for wrong, hint in mistakes:
            if got == wrong and wrong != want:
                chk.fail(f"expected (best, stop) = {want}, got {got}. Likely mistake: {hint}")
        chk.fail(f"expected (best, stop) = {want}, got {got}")

    @chk.case("a U-shaped validation loss, patience 3: best at the bottom, stop 3 epochs later")
    def _():
        expect([1.0, 0.7, 0.5, 0.42, 0.40, 0.41, 0.45, 0.5, 0.6, 0.3], 3)

    @chk.case("a plateau: equal values do not count as improvements")
    def _():
        expect([1.0, 0.8, 0.8, 0.8, 0.7], 2)

    @chk.case("min_delta = 0.05: improvements smaller than 0.05 do not reset the count")
    def _():
        expect([1.0, 0.9, 0.87, 0.86, 0.88, 0.89, 0.5], 3, 0.05)

    @chk.case("patience never runs out: stop is None, best is the minimum")
    def _():
        expect([0.9, 0.8, 0.85, 0.7, 0.75, 0.6], 2)

    @chk.case("edge case: patience = 0 stops at the first epoch that does not improve")
    def _():
        expect([0.5, 0.4, 0.45, 0.3], 0)

    return chk.run(fn, verbose=verbose)
