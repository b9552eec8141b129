"""The chapter 6 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers, each with the message it must
get; the reference solutions pass; untouched stubs are "not attempted yet".
"""

from __future__ import annotations

import doctest
import inspect
import math
import re

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.data import batches as dl_batches
from dnnlib.exercises import ch06


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


# --------------------------------------------------------------------------- minibatch_indices
def mb_ok(n, batch_size, rng, drop_last=False):
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def mb_stub(n, batch_size, rng, drop_last=False):
    raise NotImplementedError


def _mb_no_partial(n, batch_size, rng, drop_last=False):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def _mb_replacement(n, batch_size, rng, drop_last=False):
    order = rng.integers(0, n, size=n)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def _mb_unshuffled(n, batch_size, rng, drop_last=False):
    order = np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def _mb_shuffle_batches(n, batch_size, rng, drop_last=False):
    stop = n - n % batch_size if drop_last else n
    out = [np.arange(i, min(i + batch_size, n)) for i in range(0, stop, batch_size)]
    return [out[k] for k in rng.permutation(len(out))]


def _mb_reseeded(n, batch_size, rng, drop_last=False):
    return mb_ok(n, batch_size, np.random.default_rng(0), drop_last)


def _mb_choice(n, batch_size, rng, drop_last=False):
    order = rng.choice(n, n, replace=False)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def _mb_drop_last_ignored(n, batch_size, rng, drop_last=False):
    return mb_ok(n, batch_size, rng, False)


def _mb_drop_last_too_much(n, batch_size, rng, drop_last=False):
    order = rng.permutation(n)
    stop = n - batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, max(stop, 0), batch_size)]


def _mb_array_split(n, batch_size, rng, drop_last=False):
    return list(np.array_split(rng.permutation(n), -(-n // batch_size)))


def _mb_shuffled_order(n, batch_size, rng, drop_last=False):
    stop = n - n % batch_size if drop_last else n
    out = [np.arange(i, min(i + batch_size, n)) for i in range(0, stop, batch_size)]
    order = rng.permutation(len(out))
    if order[-1] == len(out) - 1 and len(out) > 1:   # make sure the short batch moves
        order[[0, -1]] = order[[-1, 0]]
    return [out[k] for k in order]


def _mb_float(n, batch_size, rng, drop_last=False):
    return [b.astype(float) for b in mb_ok(n, batch_size, rng, drop_last)]


MB_WRONG = {
    "drops the partial batch": (_mb_no_partial, "dropped the last partial batch"),
    "with replacement": (_mb_replacement, "with replacement"),
    "not shuffled": (_mb_unshuffled, "original order"),
    "shuffles batches only": (_mb_shuffle_batches, "not the samples"),
    "re-seeded": (_mb_reseeded, "same order"),
    "rng.choice order": (_mb_choice, "not fit's"),
    "drop_last ignored": (_mb_drop_last_ignored, "must skip the final partial batch"),
    "drop_last drops a full batch": (_mb_drop_last_too_much, "last batch is full"),
    "array_split": (_mb_array_split, "np.array_split"),
    "float indices": (_mb_float, "must be integers"),
    "a generator": (lambda n, b, rng, drop_last=False: iter(mb_ok(n, b, rng, drop_last)),
                    "list of 1-D integer arrays"),
    # the issue: shuffling the order of the batches was blamed on np.array_split
    "shuffled batch order, partial batch not last": (
        _mb_shuffled_order, (["you shuffled the order of the batches, not the samples"],
                             ["array_split"])),
    "a 2-D array": (lambda n, b, rng, drop_last=False: rng.permutation(n - n % b).reshape(-1, b),
                    "one 2-D array"),
    "None": (lambda n, b, rng, drop_last=False: None, "forget the `return`"),
}


def test_minibatch_indices_lost_and_duplicated_samples_are_named():
    r = ch06.check_minibatch_indices(_mb_replacement, verbose=False)
    assert "appear more than once" in r.text and "never appear" in r.text
    r = ch06.check_minibatch_indices(_mb_no_partial, verbose=False)
    assert "2 of 10 samples never appear" in r.text


def test_minibatch_indices_accepts_solution_and_reports_stub(capsys):
    r = ch06.check_minibatch_indices(mb_ok)
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 7
    assert out.strip().splitlines()[-1] == "All 7 checks passed."
    assert ch06.check_minibatch_indices(ch06.reference_minibatch_indices, verbose=False).passed
    r = ch06.check_minibatch_indices(mb_stub)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out


def test_reference_batches_are_fits_batches():
    import dnnlib as dl

    X = np.arange(23.0).reshape(23, 1)
    got = [xb[:, 0].astype(np.int64) for xb, _ in
           dl.data.batches(X, None, 5, rng=np.random.default_rng(7))]
    want = ch06.reference_minibatch_indices(23, 5, np.random.default_rng(7))
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))


# --------------------------------------------------------------------------- train_loop
def make_loop(*, zero_grad=True, shuffle="epoch", drop_last=False, epoch_loss="weighted",
              step=True, reseed=False, ret="list"):
    def train_loop(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
        n = X.shape[0]
        fixed = rng.permutation(n)
        losses = []
        for _ in range(epochs):
            if shuffle == "epoch":
                order = (np.random.default_rng(0).permutation(n) if reseed
                         else rng.permutation(n))
            elif shuffle == "once":
                order = fixed
            else:
                order = np.arange(n)
            stop = n - n % batch_size if drop_last else n
            total, values = 0.0, []
            for i in range(0, stop, batch_size):
                idx = order[i:i + batch_size]
                if zero_grad:
                    optimizer.zero_grad()
                out = model.forward(X[idx])
                value = float(loss_fn.forward(out, y[idx]))
                model.backward(loss_fn.backward())
                if step:
                    optimizer.step()
                total += value * idx.size
                values.append(value)
            losses.append({"weighted": total / n, "mean": float(np.mean(values)),
                           "last": values[-1]}[epoch_loss])
        return {"list": losses, "float": float(np.mean(losses)) if losses else 0.0,
                "none": None}[ret]

    if shuffle == "epoch" and not reseed:
        # the right loop draws exactly one permutation per epoch: no extra draw up front
        def train_loop_ok(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
            n = X.shape[0]
            losses = []
            for _ in range(epochs):
                order = rng.permutation(n)
                stop = n - n % batch_size if drop_last else n
                total, values = 0.0, []
                for i in range(0, stop, batch_size):
                    idx = order[i:i + batch_size]
                    if zero_grad:
                        optimizer.zero_grad()
                    out = model.forward(X[idx])
                    value = float(loss_fn.forward(out, y[idx]))
                    model.backward(loss_fn.backward())
                    if step:
                        optimizer.step()
                    total += value * idx.size
                    values.append(value)
                losses.append({"weighted": total / n, "mean": float(np.mean(values)),
                               "last": values[-1]}[epoch_loss])
            return {"list": losses, "float": float(np.mean(losses)) if losses else 0.0,
                    "none": None}[ret]
        return train_loop_ok
    return train_loop


def _loop_modifies_X(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
    losses = make_loop()(model, loss_fn, optimizer, X, y, epochs, batch_size, rng)
    X *= 1.0 + 1e-3
    return losses


def _loop_with_batches(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
    """The right weights, but through dl.data.batches (imported under another name)."""
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in dl_batches(X, y, batch_size, rng=rng):
            optimizer.zero_grad()
            value = float(loss_fn.forward(model.forward(xb), yb))
            model.backward(loss_fn.backward())
            optimizer.step()
            total += value * xb.shape[0]
        losses.append(total / X.shape[0])
    return losses


def _loop_with_fit(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
    return dl.train.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=batch_size,
                        rng=rng, progress=False)["loss"]


def _loop_extra_draw(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
    rng.random()  # an extra draw shifts every permutation
    return make_loop()(model, loss_fn, optimizer, X, y, epochs, batch_size, rng)


LOOP_WRONG = {
    "no zero_grad": (make_loop(zero_grad=False), "never reset the gradients"),
    "no shuffle": (make_loop(shuffle="none"), "did not shuffle"),
    "shuffled once": (make_loop(shuffle="once"), "same order every epoch"),
    "re-seeded each epoch": (make_loop(reseed=True), "same order every epoch"),
    "ignores rng": (lambda m, lf, o, X, y, e, b, rng: make_loop()(
        m, lf, o, X, y, e, b, np.random.default_rng(99)), "never drew from the generator"),
    "drops last batch": (make_loop(drop_last=True), "dropped the last partial batch"),
    "unweighted epoch loss": (make_loop(epoch_loss="mean"), "without weights"),
    "last batch loss": (make_loop(epoch_loss="last"), "loss of the last batch"),
    "no step": (make_loop(step=False), "weights did not change"),
    "returns a float": (make_loop(ret="float"), "one float per epoch"),
    "returns None": (make_loop(ret="none"), "forget the `return`"),
    "modifies X": (_loop_modifies_X, "modified its input X"),
    "extra random draw": (_loop_extra_draw, "draw nothing else from rng"),
    # the issue: using dl.data.batches, which the exercise forbids, passed
    "dl.data.batches under an alias": (_loop_with_batches, "uses dnnlib.data.batches"),
    "calls fit": (_loop_with_fit, "calls dnnlib.train.fit"),
    "losses as str": (lambda *a: [str(v) for v in make_loop()(*a)], "the loss of epoch 0 is "
                                                                    "the str"),
}


def test_train_loop_accepts_solution_and_reports_stub(capsys):
    r = ch06.check_train_loop(make_loop())
    out = capsys.readouterr().out
    assert r.passed and r.n_checks == 4
    assert out.strip().splitlines()[-1] == "All 4 checks passed."

    def train_loop(model, loss_fn, optimizer, X, y, epochs, batch_size, rng):
        raise NotImplementedError

    r = ch06.check_train_loop(train_loop)
    assert r.status == "not_attempted" and "not attempted yet" in capsys.readouterr().out


def test_train_loop_solution_matches_fit_bit_for_bit():
    from dnnlib.train import fit

    X, y, model, loss_fn, opt = ch06._toy_problem(10, 50, "sgd")
    make_loop()(model, loss_fn, opt, X, y, 3, 16, np.random.default_rng(10))
    X, y, ref, loss_r, opt_r = ch06._toy_problem(10, 50, "sgd")
    fit(ref, loss_r, opt_r, X, y, epochs=3, batch_size=16, rng=10, progress=False)
    assert all(np.array_equal(a, b) for a, b in
               zip(ch06._weights(model), ch06._weights(ref), strict=True))



def test_train_loop_messages_follow_the_chapters_notation(capsys):
    """Chapter 6: n is the training-set size, N the batch size. The checker's case titles
    and hints name the training set's rows n (they once said "N = 50" for it)."""
    r = ch06.check_train_loop(make_loop(drop_last=True))
    out = capsys.readouterr().out
    assert "n = 50 rows, batch_size = 16" in out and "n = 48 rows" in out
    assert "with n = 50 and batch_size = 16 the last batch holds 2 rows" in r.text
    for wrong in (make_loop(shuffle="once"), make_loop(epoch_loss="mean"),
                  lambda m, lf, o, X, y, e, b, rng: make_loop()(m, lf, o, X, y, e, b,
                                                                 np.random.default_rng(99))):
        r = ch06.check_train_loop(wrong, verbose=False)
        assert r.status == "failed"
        assert "permutation(n)" in r.text or "divide by n" in r.text, r.text
    source = inspect.getsource(ch06)
    assert not re.search(r"\bN = |permutation\(N\)|batch_size > N\b|divide by N\b", source)
# --------------------------------------------------------------------------- early_stopping
def es_ok(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = float("inf"), -1, 0
    for epoch, v in enumerate(val_losses):
        if v < best - min_delta:
            best, best_epoch, wait = v, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, None


def _es(le=False, off=0, ignore_delta=False, lookahead=False, last_if_none=False):
    def early_stopping(val_losses, patience, min_delta=0.0):
        best, best_epoch, wait, stop = float("inf"), -1, 0, None
        d = 0.0 if ignore_delta else min_delta
        for epoch, v in enumerate(val_losses):
            if (v <= best - d) if le else (v < best - d):
                best, best_epoch, wait = v, epoch, 0
            else:
                wait += 1
                if wait >= patience + off:
                    stop = epoch
                    break
        if lookahead:
            best_epoch = int(np.argmin(val_losses))
        if stop is None and last_if_none:
            stop = len(val_losses) - 1
        return best_epoch, stop
    return early_stopping


ES_WRONG = {
    "<= improves": (_es(le=True), "a tie is not an improvement"),
    "one epoch late": (_es(off=1), "off by one"),
    "one epoch early": (_es(off=-1), "one epoch too early"),
    "min_delta ignored": (_es(ignore_delta=True), "ignored min_delta"),
    "looks ahead": (_es(lookahead=True), "seen *before* stopping"),
    "last epoch instead of None": (_es(last_if_none=True), "return None"),
    "returns one number": (lambda v, p, d=0.0: es_ok(v, p, d)[0],
                           "return the tuple (best_epoch, stop_epoch)"),
    # the issue: NaN for "no stop" crashed the checker (int(nan))
    "nan for no stop": (lambda v, p, d=0.0: (lambda r: (r[0], math.nan if r[1] is None
                                                        else r[1]))(es_ok(v, p, d)),
                        "stop_epoch is nan: when training never stops, return None"),
    # the issue: int() casts showed "got (0, 7)" for (best_loss, stop)
    "best loss instead of best epoch": (
        lambda v, p, d=0.0: (lambda r: (float(v[r[0]]), r[1]))(es_ok(v, p, d)),
        (["a validation loss: return the epoch"], ["got (0,"])),
    "float epochs": (lambda v, p, d=0.0: tuple(None if e is None else float(e)
                                                for e in es_ok(v, p, d)),
                     "is the float"),
    "swapped": (lambda v, p, d=0.0: es_ok(v, p, d)[::-1], "swapped"),
    "-1 for no stop": (lambda v, p, d=0.0: (lambda r: (r[0], -1 if r[1] is None else r[1]))(
        es_ok(v, p, d)), "expected (best, stop) = (5, None), got (5, -1)"),
    "a dict": (lambda v, p, d=0.0: dict(zip(("best", "stop"), es_ok(v, p, d), strict=True)),
               "returned a dict of 2 items"),
}


def test_early_stopping_accepts_solution_and_reports_stub():
    assert ch06.check_early_stopping(es_ok, verbose=False).passed
    assert ch06.check_early_stopping(ch06.reference_early_stopping, verbose=False).passed

    def early_stopping(val_losses, patience, min_delta=0.0):
        raise NotImplementedError

    assert ch06.check_early_stopping(early_stopping, verbose=False).status == "not_attempted"


def test_reference_early_stopping_agrees_with_fit():
    """The replayed rule stops where fit with EarlyStopping stops, on a real run."""
    import dnnlib as dl
    from dnnlib.layers import Dense, ReLU
    from dnnlib.losses import SoftmaxCrossEntropy
    from dnnlib.model import Sequential
    from dnnlib.optim import Adam
    from dnnlib.train import EarlyStopping, fit

    X, y = dl.data.make_blobs(60, centers=3, noise=2.5, rng=0)
    Xv, yv = dl.data.make_blobs(60, centers=3, noise=2.5, rng=1)

    def run(callbacks):
        m = Sequential(Dense(2, 64, rng=0), ReLU(), Dense(64, 3, rng=1))
        return fit(m, SoftmaxCrossEntropy(), Adam(m.params, lr=0.05), X, y, epochs=60,
                   batch_size=16, rng=0, validation=(Xv, yv), callbacks=callbacks,
                   progress=False)

    full = run([])
    stopper = EarlyStopping(patience=4, restore_best_weights=False)
    run([stopper])
    assert ch06.reference_early_stopping(full["val_loss"], 4) == \
        (stopper.best_epoch, stopper.stopped_epoch)
    assert es_ok(full["val_loss"], 4) == (stopper.best_epoch, stopper.stopped_epoch)


TABLES = {
    "minibatch_indices": (ch06.check_minibatch_indices, MB_WRONG),
    "train_loop": (ch06.check_train_loop, LOOP_WRONG),
    "early_stopping": (ch06.check_early_stopping, ES_WRONG),
}
CASES = [(ex, name) for ex, (_, table) in TABLES.items() for name in table]


@pytest.mark.parametrize(("exercise", "name"), CASES, ids=[f"{e}: {n}" for e, n in CASES])
def test_wrong_answer_gets_its_message(exercise, name):
    check, table = TABLES[exercise]
    answer, expected = table[name]
    expected, absent = expected if isinstance(expected, tuple) else (expected, ())
    assert_feedback(check(answer, verbose=False), expected, absent)


def test_every_exercise_has_at_least_six_wrong_answers():
    assert all(len(table) >= 6 for _, table in TABLES.values())


def test_doctests():
    res = doctest.testmod(ch06, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
