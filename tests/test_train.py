"""The training loop: accuracy targets, divergence guard, callbacks, reproducibility."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.data import load_digits, make_moons, make_spirals
from dnnlib.layers import Dense, Dropout, ReLU, Sigmoid, Tanh
from dnnlib.losses import MSE, BinaryCrossEntropy, SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import SGD, Adam, CosineAnnealing, LinearWarmup
from dnnlib.train import (
    Callback,
    EarlyStopping,
    History,
    Recorder,
    TrainingDiverged,
    evaluate,
    fit,
    predict,
    train_epoch,
    train_step,
)
from tests.conftest import assert_namespace


def _mlp(d_in=2, hidden=16, d_out=2, dropout=False):
    layers = [Dense(d_in, hidden, rng=0), ReLU()]
    if dropout:
        layers.append(Dropout(0.2, rng=5))
    layers += [Dense(hidden, d_out, rng=1)]
    return Sequential(*layers)


def _host(model):
    return {k: dl.to_numpy(v).copy() for k, v in model.state_dict().items()}


# --------------------------------------------------------------------------- accuracy targets
def test_digits_two_hidden_layers_reach_95_percent_test_accuracy():
    Xtr, ytr = load_digits("train")
    Xte, yte = load_digits("test")
    model = Sequential(Dense(64, 64, rng=0), ReLU(), Dense(64, 32, rng=1), ReLU(),
                       Dense(32, 10, rng=2))
    fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=3e-3), Xtr, ytr, epochs=15,
        batch_size=32, rng=0, progress=False)
    _, acc = evaluate(model, SoftmaxCrossEntropy(), Xte, yte)
    assert acc >= 0.95


def test_spirals_small_mlp_reaches_95_percent_training_accuracy():
    X, y = make_spirals(300, arms=3, rng=0)
    model = Sequential(Dense(2, 64, rng=0), ReLU(), Dense(64, 64, rng=1), ReLU(),
                       Dense(64, 3, rng=2))
    hist = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=1e-2), X, y, epochs=80,
               batch_size=32, rng=0, progress=False)
    _, acc = evaluate(model, SoftmaxCrossEntropy(), X, y)
    assert acc >= 0.95 and hist["accuracy"][-1] >= 0.9


def test_fit_on_every_backend(xp):
    X, y = make_moons(64, noise=0.1, rng=0)
    model = _mlp()
    hist = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.05), X, y, epochs=3,
               batch_size=16, rng=0, validation=(X, y), progress=False)
    assert len(hist.steps["loss"]) == 12
    assert set(hist.epochs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    out = predict(model, X)
    assert_namespace(out, xp)
    assert out.shape == (64, 2)


# --------------------------------------------------------------------------- history & batching
def test_last_partial_batch_and_epoch_means():
    X, y = make_moons(10, rng=0)
    model = _mlp()
    sizes = []
    rec = Recorder(lambda s: s.batch[0].shape[0])
    hist = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.0 + 1e-9), X, y, epochs=2,
               batch_size=4, rng=0, callbacks=[rec], progress=False)
    sizes = rec.values
    assert sizes == [4, 4, 2, 4, 4, 2]
    first = hist.steps["loss"][:3]
    assert hist["loss"][0] == pytest.approx((4 * first[0] + 4 * first[1] + 2 * first[2]) / 10)
    assert isinstance(hist, History) and "steps" in repr(hist)


def test_schedule_sets_lr_each_step():
    X, y = make_moons(40, rng=0)
    model = _mlp()
    sched = LinearWarmup(CosineAnnealing(0.1, T_max=8), warmup_steps=3)
    hist = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=1.0), X, y, epochs=2,
               batch_size=10, rng=0, schedule=sched, progress=False)
    assert hist.steps["lr"] == [sched(t) for t in range(8)]


def test_accuracy_for_bce_probabilities_and_logits_none_for_mse():
    X, y = make_moons(60, noise=0.05, rng=1)
    for last, loss in [(Sigmoid(), BinaryCrossEntropy()), (None, BinaryCrossEntropy(True))]:
        layers = [Dense(2, 16, rng=0), Tanh(), Dense(16, 1, rng=1)] + ([last] if last else [])
        model = Sequential(*layers)
        fit(model, loss, Adam(model.params, lr=0.05), X, y, epochs=30, batch_size=20, rng=0,
            progress=False)
        val, acc = evaluate(model, loss, X, y)
        out = dl.to_numpy(predict(model, X))[:, 0]
        thr = 0.0 if loss.from_logits else 0.5
        assert acc == pytest.approx(np.mean((out > thr) == (dl.to_numpy(y) == 1)))
        assert acc > 0.85
    Xf = dl.backend.asarray(np.ones((8, 2)))
    model = Sequential(Dense(2, 1, rng=0))
    hist = fit(model, MSE(), SGD(model.params, lr=0.1), Xf, Xf[:, :1], epochs=1, batch_size=4,
               progress=False)
    assert "accuracy" not in hist.epochs
    assert evaluate(model, MSE(), Xf, Xf[:, :1])[1] is None


def test_evaluate_and_predict_use_eval_mode_and_restore_it():
    X, y = make_moons(30, rng=0)
    model = _mlp(dropout=True)
    a = dl.to_numpy(predict(model, X))
    b = dl.to_numpy(predict(model, X, batch_size=7))
    np.testing.assert_allclose(a, b, rtol=1e-6)  # dropout off: deterministic
    assert model.training
    model.eval()
    evaluate(model, SoftmaxCrossEntropy(), X, y)
    assert not model.training
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
        progress=False)
    assert not model.training  # fit restores the mode it found


# --------------------------------------------------------------------------- reproducibility
def test_seeded_runs_are_bit_for_bit_reproducible(xp):
    def run():
        X, y = make_moons(80, noise=0.2, rng=3)
        model = _mlp(dropout=True)
        hist = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.01), X, y, epochs=3,
                   batch_size=16, rng=7, validation=(X, y), progress=False)
        return hist, _host(model)

    (h1, w1), (h2, w2) = run(), run()
    assert h1.steps == h2.steps and h1.epochs == h2.epochs
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])


# --------------------------------------------------------------------------- divergence
def test_nan_guard_raises_and_keeps_last_finite_weights():
    g = np.random.default_rng(0)
    X = dl.backend.asarray(g.normal(size=(64, 3)) * 10)
    y = dl.backend.asarray(g.normal(size=(64, 1)))
    model = Sequential(Dense(3, 8, rng=0), ReLU(), Dense(8, 1, rng=1))
    rec = Recorder(lambda s: _host(s.model))
    with pytest.raises(TrainingDiverged) as info:
        fit(model, MSE(), SGD(model.params, lr=10.0), X, y, epochs=50, batch_size=8, rng=0,
            callbacks=[rec], progress=False)
    err = info.value
    assert isinstance(err, RuntimeError)
    assert not math.isfinite(err.loss) and math.isfinite(err.last_finite_loss)
    msg = str(err)
    assert f"step {err.step}" in msg and f"epoch {err.epoch}" in msg
    assert "lower the learning rate" in msg and f"{err.last_finite_loss:.6g}" in msg
    assert err.step == len(rec.values)
    # the model holds the weights that produced the last finite loss: those used at
    # step - 1, i.e. recorded after the update of step - 2
    assert err.step >= 2
    held = _host(model)
    for k, v in held.items():
        assert np.all(np.isfinite(v))
        np.testing.assert_array_equal(v, rec.values[-2][k])
    out = dl.to_numpy(predict(model, X))
    assert np.all(np.isfinite(out))
    assert len(err.history.steps["loss"]) == err.step


# --------------------------------------------------------------------------- callbacks
def test_early_stopping_stops_and_restores_best_weights():
    X, y = make_moons(40, rng=0)
    model = _mlp()

    class Snap(Callback):
        def __init__(self):
            self.weights = []

        def on_epoch_end(self, state):
            self.weights.append(_host(state.model))

    snap = Snap()
    # min_delta so large that nothing after the first epoch counts as an improvement
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=1e9)
    hist = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=20,
               batch_size=10, rng=0, validation=(X, y), callbacks=[snap, stopper],
               progress=False)
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 2
    assert hist.stopped_epoch == 2 and len(hist["val_loss"]) == 3
    for k, v in _host(model).items():
        np.testing.assert_array_equal(v, snap.weights[0][k])
    assert not np.array_equal(snap.weights[0]["0.W"], snap.weights[2]["0.W"])


def test_early_stopping_on_accuracy_maximises():
    X, y = make_moons(100, noise=0.1, rng=0)
    model = _mlp()
    stopper = EarlyStopping(monitor="accuracy", patience=3, restore_best_weights=False)
    hist = fit(model, SoftmaxCrossEntropy(), Adam(model.params, lr=0.05), X, y, epochs=15,
               batch_size=20, rng=0, callbacks=[stopper], progress=False)
    assert stopper.mode == "max" and stopper.best == max(hist["accuracy"])


def test_recorder_every_and_hooks_order():
    X, y = make_moons(20, rng=0)
    model = _mlp()
    calls = []

    class Log(Callback):
        def on_train_begin(self, s):
            calls.append("begin")

        def on_epoch_end(self, s):
            calls.append(f"epoch{s.epoch}")

        def on_train_end(self, s):
            calls.append("end")

    rec = Recorder(lambda s: s.loss, every=3)
    hist = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=2,
               batch_size=4, rng=0, callbacks=[Log(), rec], progress=False)
    assert calls == ["begin", "epoch0", "epoch1", "end"]
    assert rec.steps == [0, 3, 6, 9] and rec.values == [hist.steps["loss"][i] for i in
                                                       rec.steps]


# --------------------------------------------------------------------------- progress bar
def test_progress_bar_and_missing_tqdm_notice(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    X, y = make_moons(20, rng=0)
    model = _mlp()
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
        batch_size=10, progress=True)
    assert "fit" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import now fails
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
        batch_size=10, progress=True)
    err = capsys.readouterr().err
    assert "tqdm is not installed" in err and err.count("\n") == 1


def test_import_dnnlib_train_does_not_import_tqdm():
    import subprocess

    code = "import sys, dnnlib.train, dnnlib.data, dnnlib.checkpoint; print('tqdm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- bad inputs
def _setup():
    X, y = make_moons(20, rng=0)
    model = _mlp()
    return model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y


def _fit(**over):
    model, loss, opt, X, y = _setup()
    args = dict(model=model, loss=loss, optimizer=opt, X=X, y=y, epochs=1, batch_size=4,
                progress=False)
    args.update(over)
    return fit(**args)


_np = np.random.default_rng(0)
BAD = [
    (lambda: _fit(X=dl.backend.asarray(np.zeros((19, 2)))), ValueError, "same number of rows"),
    (lambda: _fit(batch_size=0), ValueError, "batch_size"),
    (lambda: _fit(batch_size=-3), ValueError, "batch_size"),
    (lambda: _fit(batch_size=2.0), TypeError, "batch_size"),
    (lambda: _fit(epochs=-1), ValueError, "epochs"),
    (lambda: _fit(epochs=1.5), TypeError, "epochs"),
    (lambda: _fit(y=dl.backend.asarray(np.zeros(20))), TypeError, "integer class labels"),
    (lambda: _fit(y=dl.backend.asarray(np.zeros((20, 1), dtype=np.int64))), ValueError, "1-D"),
    (lambda: _fit(y=dl.backend.asarray(np.full(20, 5))), ValueError, "y"),
    (lambda: _fit(X=dl.backend.asarray(np.zeros((0, 2))), y=dl.backend.asarray(
        np.zeros(0, dtype=np.int64))), ValueError, "empty"),
    (lambda: _fit(X=np.zeros((20, 2), dtype=np.int64)), TypeError, "floating"),
    (lambda: _fit(X=dl.backend.asarray(np.zeros(20))), ValueError, "2-D"),
    (lambda: _fit(X=dl.backend.asarray(np.full((20, 2), np.nan))), ValueError, "NaN"),
    (lambda: _fit(X=dl.backend.asarray(np.zeros((20, 3)))), ValueError, "features"),
    (lambda: _fit(X="data"), TypeError, "X"),
    (lambda: _fit(y=None), TypeError, "y"),
    (lambda: _fit(model="mlp"), TypeError, "model"),
    (lambda: _fit(loss=SoftmaxCrossEntropy), TypeError, "parentheses"),
    (lambda: _fit(optimizer="adam"), TypeError, "optimizer"),
    (lambda: _fit(validation=np.zeros((3, 2))), TypeError, "validation"),
    (lambda: _fit(validation=(dl.backend.asarray(np.zeros((5, 2))),
                              dl.backend.asarray(np.zeros(4, dtype=np.int64)))),
     ValueError, "validation"),
    (lambda: _fit(validation=(dl.backend.asarray(np.zeros((5, 3))),
                              dl.backend.asarray(np.zeros(5, dtype=np.int64)))),
     ValueError, "features"),
    (lambda: _fit(schedule="cosine"), TypeError, "schedule"),
    (lambda: _fit(callbacks=[print]), TypeError, r"callbacks\[0\]"),
    (lambda: _fit(progress="yes"), TypeError, "progress"),
    (lambda: _fit(rng="seed"), TypeError, "rng"),
    (lambda: _fit(rng=-1), ValueError, "rng"),
    (lambda: _fit(callbacks=[EarlyStopping()]), ValueError, "validation"),
    (lambda: EarlyStopping(monitor="val_acc"), ValueError, "monitor"),
    (lambda: EarlyStopping(patience=-1), ValueError, "patience"),
    (lambda: EarlyStopping(min_delta=-0.1), ValueError, "min_delta"),
    (lambda: EarlyStopping(mode="up"), ValueError, "mode"),
    (lambda: Recorder(5), TypeError, "fn"),
    (lambda: Recorder(print, every=0), ValueError, "every"),
    (lambda: evaluate(_mlp(), SoftmaxCrossEntropy(), np.zeros((0, 2), np.float32),
                      np.zeros(0, np.int64)), ValueError, "empty"),
    (lambda: evaluate(_mlp(), SoftmaxCrossEntropy(), np.zeros((4, 2), np.float32),
                      np.zeros(4, np.int64), batch_size=0), ValueError, "batch_size"),
    (lambda: predict(_mlp(), np.zeros((4, 2), dtype=np.int32)), TypeError, "floating"),
    (lambda: predict(_mlp(), np.zeros((0, 2), np.float32)), ValueError, "empty"),
]


@pytest.mark.parametrize("call, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_mixed_backends_rejected():
    model, loss, opt, X, y = _setup()
    with dl.use_backend("array_api_strict"):
        Xs = dl.backend.asarray(dl.to_numpy(X))
    with pytest.raises(TypeError, match="backends"):
        fit(model, loss, opt, Xs, y, epochs=1, progress=False)


# --------------------------------------------------------------------------- drop_last
def test_drop_last_skips_the_small_last_batch_and_counts_only_seen_rows():
    from dnnlib.train import Recorder, fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=10)
    model = Sequential(Dense(3, 2, rng=0))
    sizes = Recorder(lambda s: s.batch[0].shape[0])
    hist = fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=2,
               batch_size=4, rng=0, progress=False, drop_last=True, callbacks=[sizes])
    assert len(hist.steps["loss"]) == 4  # 2 epochs x 2 full batches, the 2 leftover rows skipped
    assert sizes.values == [4, 4, 4, 4]
    assert 0.0 <= hist.epochs["accuracy"][-1] <= 1.0
    with pytest.raises(ValueError, match=r"fit: batch_size must be <= the number of rows \(10\)"):
        fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
            batch_size=11, rng=0, progress=False, drop_last=True)
    with pytest.raises(TypeError, match=r"fit: drop_last must be a bool, got str"):
        fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
            batch_size=4, rng=0, progress=False, drop_last="yes")


# --------------------------------------------------------------------------- issue 17
_INTERRUPT_CHILD = r'''
import json, os, random, signal, sys, threading
import numpy as np
from dnnlib.data import batches
from dnnlib.layers import Dense, ReLU
from dnnlib.losses import SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import Adam
from dnnlib import train
from dnnlib.train import TrainingInterrupted, fit, train_step

landed = []  # the function each SIGINT interrupted (instrumentation of this test only)
handler = train._StopAtStepBoundary._handler

def recording_handler(self, signum, frame):
    landed.append(frame.f_code.co_name)
    handler(self, signum, frame)

train._StopAtStepBoundary._handler = recording_handler

def make():
    model = Sequential(Dense(64, 256, rng=0), ReLU(), Dense(256, 256, rng=1), ReLU(),
                       Dense(256, 10, rng=2))
    return model, Adam(model.params, lr=1e-3)

g = np.random.default_rng(0)
X = g.normal(size=(512, 64)).astype(np.float32)
y = g.integers(0, 10, 512)
loss = SoftmaxCrossEntropy()
chooser = random.Random(int(sys.argv[1]))
report = []
for trial in range(int(sys.argv[2])):
    model, opt = make()
    timer = threading.Timer(chooser.uniform(0.05, 0.5), os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        fit(model, loss, opt, X, y, epochs=10_000, batch_size=32, rng=0, progress=False)
        report.append({"error": "fit returned"})
        continue
    except TrainingInterrupted as exc:
        interrupted = exc
    finally:
        timer.cancel()
    steps = opt.step_count
    # the same run, replayed for exactly `steps` steps: a run stopped at a step boundary
    # is that run, bit for bit (weights and Adam's moments)
    ref, ref_opt = make()
    shuffle = np.random.default_rng(0)
    done = 0
    while done < steps:
        for xb, yb in batches(X, y, 32, rng=shuffle):
            if done == steps:
                break
            train_step(ref, loss, ref_opt, xb, yb)
            done += 1
    same_w = all(np.array_equal(a, b) for a, b in zip(
        model.state_dict().values(), ref.state_dict().values()))
    same_m = all(np.array_equal(s[k], r[k]) for s, r in zip(opt.state, ref_opt.state)
                 for k in s)
    report.append({"steps": steps, "recorded": len(interrupted.history.steps["loss"]),
                   "exc_step": interrupted.step, "mid_step": interrupted.mid_step,
                   "same_weights": same_w, "same_moments": same_m,
                   "training_mode": model.training, "input_grad": model.needs_input_grad,
                   "landed_in": landed[-1] if landed else None})
print(json.dumps(report))
'''


def test_an_interrupt_stops_fit_at_a_step_boundary_with_the_history():
    """SIGINT (the notebook's stop button) at 20 random moments of fit: every time the
    model and Adam hold the state after a whole number of steps (identical to the same
    run replayed for that many steps), the step count matches the records, and the
    history comes with the exception. The control, this child with the guard switched off
    (``_StopAtStepBoundary.__enter__`` doing nothing), failed 4 of 20 trials here: the
    step count one ahead of the records and weights half-updated (issue 17: 7 of 20)."""
    import json
    import os
    import subprocess

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}  # steady step times on a shared machine
    out = subprocess.run([sys.executable, "-c", _INTERRUPT_CHILD, "17", "20"],
                         capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(report) == 20
    for trial in report:
        assert "error" not in trial, trial
        assert trial["steps"] == trial["recorded"] == trial["exc_step"] > 0, trial
        assert not trial["mid_step"], trial
        assert trial["same_weights"] and trial["same_moments"], trial
        assert trial["training_mode"] and trial["input_grad"], trial  # restored
    assert len({t["steps"] for t in report}) >= 5  # the interrupts landed at many steps
    # ... and some inside the optimizer's update, the place where they used to do harm
    inside = {"step", "_update_inplace", "_adam_inplace", "update"}
    assert any(t["landed_in"] in inside for t in report), [t["landed_in"] for t in report]


def test_training_interrupted_is_a_keyboard_interrupt_with_the_history():
    from dnnlib.train import History, TrainingInterrupted

    exc = TrainingInterrupted(step=3, epoch=0, history=History())
    assert isinstance(exc, KeyboardInterrupt) and exc.history.steps["loss"] == []
    assert "step boundary" in str(exc) and ".history" in str(exc)


def test_fit_a_bare_layer_with_the_guard_and_early_stopping():
    X, y = make_moons(40, rng=0)
    layer = Dense(2, 2, rng=0)
    stopper = EarlyStopping(patience=1, min_delta=1e9)
    hist = fit(layer, SoftmaxCrossEntropy(), SGD(layer.params, lr=0.1), X, y, epochs=10,
               batch_size=10, rng=0, validation=(X, y), callbacks=[stopper], progress=False)
    assert hist.stopped_epoch == 1 and len(hist["val_loss"]) == 2
    assert layer.training and layer.needs_input_grad
    # the divergence guard on a bare layer: the weights of the last finite loss come back
    g = np.random.default_rng(0)
    Xr = dl.backend.asarray(g.normal(size=(64, 3)) * 10)
    yr = dl.backend.asarray(g.normal(size=(64, 1)))
    lin = Dense(3, 1, rng=0)
    with pytest.raises(TrainingDiverged) as info:
        fit(lin, MSE(), SGD(lin.params, lr=10.0), Xr, yr, epochs=50, batch_size=8, rng=0,
            progress=False)
    assert info.value.step >= 1
    assert np.all(np.isfinite(dl.to_numpy(lin.W.data)))


def test_batchnorm_with_a_last_batch_of_one_row_fails_before_the_first_step():
    from dnnlib.layers import BatchNorm1d

    X, y = make_moons(41, rng=0)  # 41 = 5 x 8 + 1
    model = Sequential(Dense(2, 4, rng=0), BatchNorm1d(4), ReLU(), Dense(4, 2, rng=1))
    before = _host(model)
    opt = SGD(model.params, lr=0.1)
    with pytest.raises(ValueError, match=r"batch of 1 row.*drop_last=True"):
        fit(model, SoftmaxCrossEntropy(), opt, X, y, epochs=2, batch_size=8, rng=0,
            progress=False)
    for k, v in _host(model).items():   # weights and running statistics untouched
        np.testing.assert_array_equal(v, before[k])
    assert opt.step_count == 0
    with pytest.raises(ValueError, match=r"batch_size=1.*at least 2"):
        fit(model, SoftmaxCrossEntropy(), opt, X, y, epochs=1, batch_size=1, progress=False)
    hist = fit(model, SoftmaxCrossEntropy(), opt, X, y, epochs=2, batch_size=8, rng=0,
               drop_last=True, progress=False)
    assert len(hist.steps["loss"]) == 10


# A sigmoid network whose logits go NaN raises TrainingDiverged:
# tests/test_reliability_functional.py::test_a_nan_sigmoid_network_makes_fit_raise_training_diverged

# --------------------------------------------------------------------------- the pieces of fit
def test_train_step_is_the_five_lines_of_chapter_6():
    X, y = make_moons(32, rng=0)
    a, b = _mlp(), _mlp()
    oa, ob = Adam(a.params, lr=0.01), Adam(b.params, lr=0.01)
    for _ in range(3):
        value, out = train_step(a, SoftmaxCrossEntropy(), oa, X, y)
        ob.zero_grad()
        loss_b = SoftmaxCrossEntropy()
        expected = float(loss_b.forward(b.forward(X), y))
        b.backward(loss_b.backward())
        ob.step()
        assert value == expected and out.shape == (32, 2)
    for k, v in _host(a).items():
        np.testing.assert_array_equal(v, _host(b)[k])


def test_train_step_does_not_update_from_a_non_finite_loss():
    model = Sequential(Dense(2, 1, rng=0))
    opt = SGD(model.params, lr=0.1)
    before = _host(model)
    X = dl.backend.asarray(np.array([[np.inf, 1.0]]))
    with np.errstate(all="ignore"):
        value, _ = train_step(model, MSE(), opt, X, dl.backend.asarray(np.zeros((1, 1))))
    assert not math.isfinite(value) and opt.step_count == 0
    for k, v in _host(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_fit_is_train_epoch_after_train_epoch():
    X, y = make_moons(50, rng=0)
    a, b = _mlp(), _mlp()
    hist = fit(a, SoftmaxCrossEntropy(), SGD(a.params, lr=0.1), X, y, epochs=3, batch_size=16,
               rng=4, progress=False)
    opt, g = SGD(b.params, lr=0.1), np.random.default_rng(4)
    logs = [train_epoch(b, SoftmaxCrossEntropy(), opt, X, y, 16, rng=g) for _ in range(3)]
    assert hist["loss"] == [e["loss"] for e in logs]
    assert hist["accuracy"] == [e["accuracy"] for e in logs]
    for k, v in _host(a).items():
        np.testing.assert_array_equal(v, _host(b)[k])


def test_evaluate_in_train_mode_uses_batch_statistics_and_restores_everything():
    from dnnlib.layers import BatchNorm1d

    X, y = make_moons(64, rng=0)
    model = Sequential(Dense(2, 8, rng=0), BatchNorm1d(8), ReLU(), Dropout(0.3, rng=1),
                       Dense(8, 2, rng=2))
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=2,
        batch_size=16, rng=0, progress=False)
    model.eval()
    before = _host(model)
    rng_state = model.layers[3].rng.bit_generator.state
    ev = evaluate(model, SoftmaxCrossEntropy(), X, y, batch_size=8)
    tr = evaluate(model, SoftmaxCrossEntropy(), X, y, batch_size=8, mode="train", rng=0)
    assert ev != tr                                      # two different functions
    assert tr == evaluate(model, SoftmaxCrossEntropy(), X, y, batch_size=8, mode="train",
                          rng=0)                         # reproducible from rng
    assert not model.training and not model.layers[1].training
    for k, v in _host(model).items():                    # running statistics untouched
        np.testing.assert_array_equal(v, before[k])
    assert model.layers[3].rng.bit_generator.state == rng_state
    with pytest.raises(ValueError, match="mode must be 'eval' or 'train'"):
        evaluate(model, SoftmaxCrossEntropy(), X, y, mode="training")


def test_fit_checks_the_validation_set_once():
    """The validation data is checked at the door, not rescanned every epoch."""
    from dnnlib import train

    X, y = make_moons(40, rng=0)
    calls = []
    original = train.check_data

    def counting(*args, **kwargs):
        calls.append(args[-1] if len(args) > 5 else kwargs.get("names"))
        return original(*args, **kwargs)

    train.check_data = counting
    try:
        model = _mlp()
        fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=5,
            batch_size=10, validation=(X, y), rng=0, progress=False)
    finally:
        train.check_data = original
    assert len(calls) == 2  # the training set and the validation set, once each


def test_fit_keeps_the_callers_modes_and_flags():
    X, y = make_moons(20, rng=0)
    model = _mlp(dropout=True).eval()
    fit(model, SoftmaxCrossEntropy(), SGD(model.params, lr=0.1), X, y, epochs=1,
        batch_size=10, rng=0, progress=False)
    assert not model.training and not any(layer.training for layer in model.layers)
    assert model.needs_input_grad
