"""Checkers for the guided challenges of Appendix A1 (the playground).

Each challenge fixes the data (and, for the third, the network) and asks the reader for
a :class:`~dnnlib.playground.PlaygroundConfig` and a number of epochs that reach a goal:

* :func:`check_spirals_challenge`: at least 95% test accuracy on the appendix's spirals
  with at most 40 parameters, in at most 300 epochs (the appendix's network of two tanh
  layers of 8 units has 105 parameters);
* :func:`check_xor_challenge`: at least 95% test accuracy on XOR with **no hidden
  layer**, in at most 100 epochs (a linear boundary cannot separate XOR: the features
  must do it);
* :func:`check_overfitting_challenge`: a test loss of at most 0.5 on 30 noisy training
  points with a fixed network of 1185 parameters that overfits (test loss above 1.4
  without help), in at most 300 epochs, changing only how it is trained.

The goal must hold for the seeds 0, 1 and 2 of the weights (the data stay fixed): a
result that holds for one seed only is luck. Every run is deterministic (seeded) and
takes well under a second. Start from :data:`SPIRALS`, :data:`XOR` or
:data:`OVERFITTING`, the challenge's starting configuration::

    from dnnlib.exercises.a1 import SPIRALS, check_spirals_challenge
    mine = SPIRALS.replace(hidden=(4,), optimizer="adam", lr=0.02)
    check_spirals_challenge(mine, epochs=200)

Each checker prints feedback and returns a
:class:`~dnnlib.exercises._checker.CheckResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._checker import Checker, CheckResult, NotAttempted, describe

__all__ = [
    "SPIRALS",
    "XOR",
    "OVERFITTING",
    "SEEDS",
    "check_spirals_challenge",
    "check_xor_challenge",
    "check_overfitting_challenge",
    "run_challenge",
]

#: The seeds of the weights every goal must hold for.
SEEDS = (0, 1, 2)


def _config(**settings: Any) -> Any:
    from ..playground import PlaygroundConfig

    return PlaygroundConfig(**settings)


#: Challenge 1's data (as in the appendix's gallery); everything else is yours.
SPIRALS = _config(dataset="spirals", noise=0.2, n_samples=300, train_ratio=0.5, data_seed=0,
                  hidden=(8, 8), optimizer="adam", lr=0.02, batch_size=25)
#: Challenge 2's data; the network must have no hidden layer.
XOR = _config(dataset="xor", noise=0.1, n_samples=300, train_ratio=0.5, data_seed=0,
              hidden=(), optimizer="adam", lr=0.1, batch_size=10)
#: Challenge 3's data and network (30 noisy training points, 1185 parameters).
OVERFITTING = _config(dataset="moons", noise=0.35, n_samples=100, train_ratio=0.3, data_seed=0,
                      hidden=(32, 32), activation="relu", optimizer="adam", lr=0.01,
                      batch_size=10)

_DATA_FIELDS = ("dataset", "noise", "n_samples", "train_ratio", "data_seed")


@dataclass(frozen=True)
class _Challenge:
    name: str
    start: Any
    fixed: tuple[str, ...]          # fields the reader may not change
    max_epochs: int
    max_params: int | None = None
    max_hidden_layers: int | None = None
    min_accuracy: float | None = None
    max_test_loss: float | None = None
    advice: str = ""


def run_challenge(config: Any, epochs: int, seed: int) -> dict[str, float]:
    """Train ``config`` (with the weights' ``seed``) for ``epochs``; return the last record.

    The record is the playground's: ``train_loss``, ``test_loss``, ``train_accuracy``,
    ``test_accuracy`` (evaluation mode, whole sets), plus ``params`` (the number of
    trainable parameters) and ``diverged`` (1.0 when training stopped on a non-finite
    loss).

    Examples
    --------
    >>> rec = run_challenge(XOR.replace(features=("x1*x2",)), epochs=20, seed=0)
    >>> rec["params"], rec["test_accuracy"] > 0.95
    (2, True)
    """
    from ..playground import Playground

    pg = Playground(config.replace(seed=seed))
    pg.run(epochs)
    h = pg.history
    return {"train_loss": h["train_loss"][-1], "test_loss": h["test_loss"][-1],
            "train_accuracy": h["train_accuracy"][-1], "test_accuracy": h["test_accuracy"][-1],
            "params": pg.model.num_params(), "diverged": 1.0 if pg.diverged else 0.0}


def _check(ch: _Challenge, config: Any, epochs: Any, verbose: bool) -> CheckResult:
    from ..playground import Playground, PlaygroundConfig

    chk = Checker(ch.name, stub_hint="Set `config` and `epochs` in the cell above (start "
                  f"from {ch.name.upper()}.replace(...)), run it,\nthen run this cell again.")
    state: dict[str, Any] = {}

    @chk.case("the configuration is a PlaygroundConfig (or a dict of its settings) and "
              "epochs an int")
    def _():
        cfg = config
        if cfg is None and epochs is None:  # the cell as handed out
            raise NotAttempted("")
        if isinstance(cfg, Playground):
            cfg = cfg.config
        if isinstance(cfg, Mapping):
            try:
                cfg = ch.start.replace(**dict(cfg))
            except (TypeError, ValueError) as exc:
                chk.fail(f"the settings are not valid: {exc}")
        if not isinstance(cfg, PlaygroundConfig):
            chk.fail(f"config is {describe(cfg)}; pass a PlaygroundConfig, e.g. "
                     f"{ch.name.upper()}.replace(lr=0.05), or a dict of settings")
        if isinstance(epochs, bool) or not isinstance(epochs, int):
            chk.fail(f"epochs is {describe(epochs)}; pass an int number of epochs")
        if epochs < 1:
            chk.fail(f"epochs is {epochs}; train at least one epoch")
        state["cfg"] = cfg

    @chk.case("the challenge's data" + (" and network" if len(ch.fixed) > len(_DATA_FIELDS)
                                       else "") + " are unchanged")
    def _():
        cfg = state.get("cfg")
        if cfg is None:
            chk.fail("no valid configuration (see above)")
        def differs(k: str) -> bool:
            if k == "activation":  # one per layer: compare the kinds
                return set(cfg.activation) != set(ch.start.activation)
            return getattr(cfg, k) != getattr(ch.start, k)

        changed = [f"{k} = {getattr(cfg, k)!r} (the challenge's: {getattr(ch.start, k)!r})"
                   for k in ch.fixed if differs(k)]
        state["fixed_ok"] = not changed
        if changed:
            what = "data and the network" if len(ch.fixed) > len(_DATA_FIELDS) else "data"
            chk.fail(f"the challenge fixes the {what}; you changed " + "; ".join(changed) +
                     f". Start from {ch.name.upper()}.replace(...) and change only the other "
                     "settings")

    @chk.case(f"at most {ch.max_epochs} epochs" + (
        f" and at most {ch.max_params} parameters" if ch.max_params is not None else "") + (
        " and no hidden layer" if ch.max_hidden_layers == 0 else ""))
    def _():
        cfg = state.get("cfg")
        if cfg is None:
            chk.fail("no valid configuration (see above)")
        if ch.max_hidden_layers is not None and len(cfg.hidden) > ch.max_hidden_layers:
            chk.fail(f"your network has {len(cfg.hidden)} hidden layer(s) {cfg.hidden}; this "
                     "challenge allows none (hidden=()): the output unit alone must separate "
                     "the classes, so the features have to do the work")
        if ch.max_params is not None and state.get("fixed_ok"):
            n = chk.call(Playground, cfg, name="Playground").model.num_params()
            if n > ch.max_params:
                chk.fail(f"your network has {n} parameters, more than {ch.max_params}. A "
                         "dense layer costs (inputs + 1) x units: a weight per input and unit, a "
                         "bias per unit; fewer or better features and narrower layers cost less")
        if isinstance(epochs, int) and epochs > ch.max_epochs:
            chk.fail(f"{epochs} epochs is more than the {ch.max_epochs} allowed")

    goal = (f"test accuracy >= {ch.min_accuracy:.0%}" if ch.min_accuracy is not None
            else f"test loss <= {ch.max_test_loss}")

    @chk.case(f"the goal, {goal} after your epochs, for the weights' seeds "
              f"{', '.join(map(str, SEEDS))}")
    def _():
        cfg = state.get("cfg")
        if cfg is None or not state.get("fixed_ok") or not isinstance(epochs, int) or \
                not 1 <= epochs <= ch.max_epochs:
            chk.fail("fix the cases above first")
        records = [chk.call(run_challenge, cfg, epochs, seed, name="training")
                   for seed in SEEDS]
        # accuracy is a count of test points (stable on any CPU); two decimals of loss
        results = ", ".join(
            f"seed {s}: test accuracy {r['test_accuracy']:.1%}, test loss {r['test_loss']:.2f}"
            for s, r in zip(SEEDS, records, strict=True))
        diverged = [s for s, r in zip(SEEDS, records, strict=True) if r["diverged"]]
        if diverged:
            chk.fail(f"training diverged for seed(s) {diverged} (a non-finite loss): lower "
                     "the learning rate")
        if ch.min_accuracy is not None:
            bad = [s for s, r in zip(SEEDS, records, strict=True)
                   if not r["test_accuracy"] >= ch.min_accuracy]
        else:
            bad = [s for s, r in zip(SEEDS, records, strict=True)
                   if not r["test_loss"] <= ch.max_test_loss]
        if bad:
            chk.fail(f"not reached for seed(s) {bad} ({results}). {ch.advice}")
        state["results"] = results

    result = chk.run(verbose=verbose)
    if verbose and result.passed:
        print(f"Challenge met: {state['results']}.", flush=True)
    return result


def check_spirals_challenge(config: Any, epochs: int, *, verbose: bool = True) -> CheckResult:
    """Challenge 1: >= 95% test accuracy on the spirals with at most 40 parameters.

    The data are :data:`SPIRALS`' (300 points, noise 0.2, half for testing); at most 300
    epochs; the goal must hold for the weights' seeds 0, 1 and 2.

    Examples
    --------
    >>> r = check_spirals_challenge(SPIRALS, epochs=100, verbose=False)
    >>> r.status, "105 parameters" in r.text
    ('failed', True)
    """
    return _check(_Challenge(
        "spirals", SPIRALS, _DATA_FIELDS, max_epochs=300, max_params=40, min_accuracy=0.95,
        advice="Two-layer networks on (x1, x2) need many parameters to bend around the "
               "spirals; which of the playground's features already wind around the "
               "origin? Adam with lr 0.01 to 0.05 is a good start."), config, epochs, verbose)


def check_xor_challenge(config: Any, epochs: int, *, verbose: bool = True) -> CheckResult:
    """Challenge 2: >= 95% test accuracy on XOR with no hidden layer, in <= 100 epochs.

    The data are :data:`XOR`'s; the network is the output unit alone (``hidden=()``); the
    goal must hold for the weights' seeds 0, 1 and 2.

    Examples
    --------
    >>> r = check_xor_challenge(XOR, epochs=50, verbose=False)
    >>> r.status
    'failed'
    """
    return _check(_Challenge(
        "xor", XOR, _DATA_FIELDS, max_epochs=100, max_hidden_layers=0, min_accuracy=0.95,
        advice="With the inputs (x1, x2) alone the output unit draws one straight line, "
               "and no line separates XOR (chapter 2). The class is the sign of a product "
               "of the coordinates: is one of the features that product?"),
        config, epochs, verbose)


def check_overfitting_challenge(config: Any, epochs: int, *, verbose: bool = True
                                ) -> CheckResult:
    """Challenge 3: test loss <= 0.5 with :data:`OVERFITTING`'s data and network.

    30 noisy training points, two ReLU layers of 32 units (1185 parameters): trained as
    given it memorises the points (test loss above 1.4). Change only the training
    (optimizer, learning rate, schedule, batch size, weight decay, dropout, batch norm,
    the number of epochs, at most 300) so that the final test loss is at most 0.5 for the
    weights' seeds 0, 1 and 2.

    Examples
    --------
    >>> r = check_overfitting_challenge(OVERFITTING, epochs=300, verbose=False)
    >>> r.status, "not reached" in r.text
    ('failed', True)
    """
    return _check(_Challenge(
        "overfitting", OVERFITTING, _DATA_FIELDS + ("features", "hidden", "activation"),
        max_epochs=300, max_test_loss=0.5,
        advice="The network fits the 30 training points almost exactly and is confidently "
               "wrong on test points. Try one tool at a time and watch the test loss: "
               "stopping early (fewer epochs, chapter 6), dropout (chapter 7), an L2 penalty "
               "(weight_decay)."), config, epochs, verbose)

