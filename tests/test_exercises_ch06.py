"""The chapter 6 checkers: each rejects distinct wrong answers with the right hint,
reports an untouched stub as "not attempted yet", and accepts the solution."""

from __future__ import annotations

import numpy as np
import pytest

from dnnlib.exercises import ch06


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
}


@pytest.mark.parametrize("name", sorted(MB_WRONG))
def test_minibatch_indices_rejects_wrong_answers(name):
    fn, hint = MB_WRONG[name]
    r = ch06.check_minibatch_indices(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


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
}


@pytest.mark.parametrize("name", sorted(LOOP_WRONG))
def test_train_loop_rejects_wrong_answers(name):
    fn, hint = LOOP_WRONG[name]
    r = ch06.check_train_loop(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


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
    "returns one number": (lambda v, p, d=0.0: es_ok(v, p, d)[0], "return a pair"),
}


@pytest.mark.parametrize("name", sorted(ES_WRONG))
def test_early_stopping_rejects_wrong_answers(name):
    fn, hint = ES_WRONG[name]
    r = ch06.check_early_stopping(fn, verbose=False)
    assert r.status == "failed"
    assert hint in r.text, r.text


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
