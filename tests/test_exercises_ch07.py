"""The chapter 7 checkers against tables of wrong answers.

For every exercise: at least six plausible wrong answers, each with the message it must
get; the reference solutions pass; untouched stubs are "not attempted yet".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import dnnlib as dl
from dnnlib.exercises import ch07
from dnnlib.layers import Layer

ROOT = Path(__file__).resolve().parents[1]


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


# --------------------------------------------------------------------------- InvertedDropout
def make_dropout(*, keep=lambda u, p: u >= p, scale=lambda p: 1.0 / (1.0 - p),
                 eval_fn=lambda x, p: x, backward=None, mask_shape=lambda x: x.shape,
                 use_global=False, cache_mask=False, keep_dtype=True, in_place=False,
                 float32_list=False):
    """An InvertedDropout class with one ingredient changed (all defaults: correct)."""

    class InvertedDropout(Layer):
        def __init__(self, p=0.5, rng=None):
            super().__init__()
            self.p = p
            self.rng = np.random.default_rng(rng)
            self._fixed = None

        def forward(self, x):
            if not self.training:
                self.cache = None
                return eval_fn(x, self.p)
            if cache_mask and self._fixed is not None and self._fixed.shape == x.shape:
                mask = self._fixed
            else:
                u = np.random.random(mask_shape(x)) if use_global else \
                    self.rng.random(mask_shape(x))
                mask = keep(u, self.p) * scale(self.p)
                mask = np.broadcast_to(mask, x.shape)
                if keep_dtype:
                    mask = mask.astype(x.dtype)
                self._fixed = mask
            self.cache = mask
            if in_place:  # the issue: `x *= mask` passed 8 of 9 cases
                x *= mask
                return x
            if float32_list and x.dtype == np.float32:
                return (x * mask).tolist()
            return x * mask

        def backward(self, dout):
            if self.cache is None:
                return dout
            if backward is not None:
                return backward(self, dout)
            return dout * self.cache

    return InvertedDropout


def _dout_inplace_backward(self, dout):
    dout *= self.cache
    return dout


def _new_mask_backward(self, dout):
    keep = self.rng.random(dout.shape) >= self.p
    return dout * keep / (1.0 - self.p)


DROPOUT_WRONG = {
    "no 1/(1-p)": (make_dropout(scale=lambda p: 1.0), "missing the factor 1/(1 - p)"),
    "p is keep prob": (make_dropout(keep=lambda u, p: u < p), "p as the keep probability"),
    "times (1-p)": (make_dropout(scale=lambda p: 1.0 - p),
                    "multiplied the kept entries by (1 - p)"),
    "divide by p": (make_dropout(scale=lambda p: 1.0 / p), "you divided by p"),
    "one mask per feature": (make_dropout(mask_shape=lambda x: x.shape[1:]),
                             "every row has the same mask"),
    "one mask per example": (make_dropout(mask_shape=lambda x: x.shape[:1] + (1,)),
                             "each row is either dropped entirely"),
    "same mask every call": (make_dropout(cache_mask=True), "the same mask came back"),
    "global np.random": (make_dropout(use_global=True), "not from np.random's global"),
    "drops in eval": (make_dropout(eval_fn=lambda x, p: x * (np.random.default_rng(0).random(
        x.shape) >= p)), "dropped in evaluation mode"),
    "eval scales by 1-p": (make_dropout(eval_fn=lambda x, p: x * (1 - p)),
                           "in evaluation mode you multiplied by (1 - p)"),
    "new mask in backward": (make_dropout(backward=_new_mask_backward), "used a new mask"),
    "backward unscaled": (make_dropout(backward=lambda self, d: d * (self.cache != 0)),
                          "backward is missing the factor 1/(1 - p)"),
    "backward ignores mask": (make_dropout(backward=lambda self, d: d),
                              "backward ignores the mask"),
    "float64 mask": (make_dropout(keep_dtype=False), "cast it with .astype(x.dtype)"),
    "x *= mask": (make_dropout(in_place=True),
                  (["InvertedDropout.forward modified its input x in place"],
                   ["gradient check failed"])),
    # the issue: a list returned for float32 input was reported as "forward returned None"
    "a list for float32": (make_dropout(float32_list=True),
                           (["the output of forward(x) is a list"], ["returned None"])),
    "backward edits dout in place": (make_dropout(backward=_dout_inplace_backward),
                                     "InvertedDropout.backward modified its input dout"),
    "an instance": (make_dropout()(0.5, rng=0), "expected the class itself"),
}


def test_inverted_dropout_accepts_solution_and_reports_stub(capsys):
    r = ch07.check_inverted_dropout(make_dropout())
    out = capsys.readouterr().out
    assert r.passed and r.n_passed == r.n_checks == 9, out
    assert out.strip().splitlines()[-1] == "All 9 checks passed."

    class InvertedDropout(Layer):
        def __init__(self, p=0.5, rng=None):
            super().__init__()
            self.p = p
            self.rng = np.random.default_rng(rng)

        def forward(self, x):
            raise NotImplementedError

        def backward(self, dout):
            raise NotImplementedError

    r = ch07.check_inverted_dropout(InvertedDropout)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out
    assert "checking" not in out


def test_inverted_dropout_forward_written_backward_not():
    good = make_dropout()

    class InvertedDropout(good):
        def backward(self, dout):
            raise NotImplementedError

    r = ch07.check_inverted_dropout(InvertedDropout, verbose=False)
    assert_feedback(r, ["InvertedDropout.backward inside", "is not written yet"])
    assert r.n_passed == 5  # the cases of forward alone pass


def test_inverted_dropout_without_the_layer_base_class():
    class InvertedDropout:
        def __init__(self, p=0.5, rng=None):
            self.p, self.rng = p, np.random.default_rng(rng)

        def forward(self, x):
            return x

        def backward(self, dout):
            return dout

    r = ch07.check_inverted_dropout(InvertedDropout, verbose=False)
    assert r.status == "failed" and "derive it from dnnlib.layers.Layer" in r.text


def test_dnnlib_dropout_passes_the_checker():
    """dnnlib's own Dropout (same constructor) is a valid answer."""
    assert ch07.check_inverted_dropout(dl.layers.Dropout, verbose=False).passed


# --------------------------------------------------------------------------- moments
def moments_ok(A, W, b, p):
    return A @ W + b, p / (1 - p) * (A**2) @ (W**2)


MOMENTS_WRONG = {
    "mean scaled": (lambda A, W, b, p: ((1 - p) * (A @ W) + b, moments_ok(A, W, b, p)[1]),
                    "E[Z] has no factor (1 - p)"),
    "unscaled mask var": (lambda A, W, b, p: (A @ W + b, p * (1 - p) * (A**2) @ (W**2)),
                          "variance of the unscaled mask"),
    "swapped": (lambda A, W, b, p: (A @ W + b, (1 - p) / p * (A**2) @ (W**2)),
                "p and 1 - p are swapped"),
    "square of sum": (lambda A, W, b, p: (A @ W + b, p / (1 - p) * (A @ W) ** 2),
                      "you squared the sum"),
    "W not squared": (lambda A, W, b, p: (A @ W + b, p / (1 - p) * (A**2) @ W), "square W too"),
    "bias variance": (lambda A, W, b, p: (A @ W + b, p / (1 - p) * ((A**2) @ (W**2) + b**2)),
                      "adds no variance"),
    "no bias": (lambda A, W, b, p: (A @ W, moments_ok(A, W, b, p)[1]), "lost the bias"),
    "one value": (lambda A, W, b, p: A @ W + b, "return the tuple (mean, var)"),
    "in place": (lambda A, W, b, p: (A.__imul__(A), (A @ W + b, p / (1 - p) * A @ (W**2)))[1],
                 "modified its input A in place"),
}


def test_moments_accept_solution_and_report_stub():
    assert ch07.check_dropout_preactivation_moments(moments_ok, verbose=False).passed

    def dropout_preactivation_moments(A, W, b, p):
        raise NotImplementedError

    r = ch07.check_dropout_preactivation_moments(dropout_preactivation_moments, verbose=False)
    assert r.status == "not_attempted"


def test_moments_formula_matches_sampling_with_dnnlib_dropout():
    """The closed form the checker expects is what dnnlib's Dropout produces."""
    g = np.random.default_rng(0)
    A, W, b, p = np.abs(g.normal(size=(2, 4))), g.normal(size=(4, 3)), g.normal(size=3), 0.3
    drop = dl.layers.Dropout(p, rng=1)
    Z = np.stack([drop(np.broadcast_to(A, (20000, 2, 4)).reshape(-1, 4)).reshape(20000, 2, 4)
                  @ W + b for _ in range(1)])[0]
    mean, var = moments_ok(A, W, b, p)
    se_mean = np.sqrt(var / Z.shape[0])
    assert np.all(np.abs(Z.mean(axis=0) - mean) < 5 * se_mean)
    assert np.allclose(Z.var(axis=0), var, rtol=0.05)


# --------------------------------------------------------------------------- MC dropout
def mc_ok(model, X, n_samples):
    was = model.training
    model.train()
    try:
        s = np.stack([dl.to_numpy(model(X)) for _ in range(n_samples)])
    finally:
        model.train(was)
    return s.mean(axis=0), s.std(axis=0)


def _mc_variant(*, train=True, restore=True, ddof=0, reduce_axis=0, var=False):
    def mc(model, X, n_samples):
        was = model.training
        model.train(train)
        s = np.stack([dl.to_numpy(model(X)) for _ in range(n_samples)])
        if restore:
            model.train(was)
        if reduce_axis is None:
            return s, s
        spread = s.var(axis=reduce_axis) if var else s.std(axis=reduce_axis, ddof=ddof)
        return s.mean(axis=reduce_axis), spread
    return mc


def _mc_library(model, X, n_samples):
    from dnnlib.uncertainty import mc_dropout_predict

    s = dl.to_numpy(mc_dropout_predict(model, X, n_samples, rng=123))
    return s.mean(axis=0), s.std(axis=0)


MC_WRONG = {
    "eval mode": (_mc_variant(train=False), "dropout was off"),
    "not restored": (_mc_variant(restore=False), "remember model.training and restore it"),
    "ddof=1": (_mc_variant(ddof=1), "ddof"),
    "variance": (_mc_variant(var=True), "you returned the variance"),
    "no reduction": (_mc_variant(reduce_axis=None), "reduce over the passes"),
    "wrong axis": (_mc_variant(reduce_axis=1), "reduced over the examples"),
    "lists": (lambda m, X, n: tuple(a.tolist() for a in mc_ok(m, X, n)), "mean is a list"),
    "only the mean": (lambda m, X, n: mc_ok(m, X, n)[0], "return the tuple (mean, std)"),
}


def test_mc_accepts_solution_other_masks_and_reports_stub():
    assert ch07.check_mc_dropout_mean_std(mc_ok, verbose=False).passed
    # dnnlib's helper draws its masks from another generator: accepted statistically
    assert ch07.check_mc_dropout_mean_std(_mc_library, verbose=False).passed

    def mc_dropout_mean_std(model, X, n_samples):
        raise NotImplementedError

    assert ch07.check_mc_dropout_mean_std(mc_dropout_mean_std, verbose=False).status == \
        "not_attempted"


# --------------------------------------------------------------------------- doctests, notebook
def test_doctests():
    import doctest

    res = doctest.testmod(ch07, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0



def test_notebook_runs_the_three_checkers_on_stubs_and_solutions():
    path = ROOT / "book" / "07_dropout.ipynb"
    if not path.exists():
        pytest.skip("chapter 7 notebook not written yet")
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for name in ("check_inverted_dropout", "check_dropout_preactivation_moments",
                 "check_mc_dropout_mean_std"):
        assert code.count(f"{name}(") >= 2, name


TABLES = {
    "InvertedDropout": (ch07.check_inverted_dropout, DROPOUT_WRONG),
    "dropout_preactivation_moments": (ch07.check_dropout_preactivation_moments, MOMENTS_WRONG),
    "mc_dropout_mean_std": (ch07.check_mc_dropout_mean_std, MC_WRONG),
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
