"""The playground's settings: :class:`PlaygroundConfig` and the choices it offers (Appendix A1)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PlaygroundConfig",
    "DATASETS",
    "FEATURES",
    "ACTIVATIONS",
    "OPTIMIZERS",
    "SCHEDULES",
    "LOSSES",
    "MAX_LAYERS",
    "MAX_UNITS",
    "MAX_SAMPLES",
    "MAX_CSV_ROWS",
    "MAX_EPOCHS",
    "MAX_TILES",
    "DATA_FIELDS",
    "MODEL_FIELDS",
]

#: Built-in data sets (``"custom"`` is the reader's own, see :meth:`Playground.set_data`).
DATASETS = ("circles", "xor", "moons", "spirals", "blobs")
#: Features the network may be fed, computed from the point :math:`(x_1, x_2)`.
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exponential", "cosine")
LOSSES = ("bce", "mse")
#: Caps that keep one epoch fast enough to redraw live (TensorFlow Playground: 6 x 8).
MAX_LAYERS = 6
MAX_UNITS = 32
MAX_SAMPLES = 2000
MAX_CSV_ROWS = 10_000
#: Playing stops here (the loss curves would get unreadable).
MAX_EPOCHS = 5000
#: Hidden units drawn per layer in the network view (the rest are summarised).
MAX_TILES = 12

#: Which fields of the configuration need new data / a new network when they change.
DATA_FIELDS = {"dataset", "n_samples", "noise", "train_ratio", "data_seed"}
MODEL_FIELDS = {"features", "hidden", "activation", "leaky_slope", "dropout", "batchnorm",
                 "loss", "seed"}


def _per_layer(value: Any, n: int, name: str, fn: str) -> tuple:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (value,) * n
    try:
        values = tuple(value)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be one value or one per hidden layer, got "
                        f"{type(value).__name__}") from None
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise ValueError(f"{fn}: {name} must be one value or one per hidden layer ({n}), got "
                         f"{len(values)} values {values}")
    return values


@dataclass(frozen=True)
class PlaygroundConfig:
    """Every setting of the playground (immutable; change it with :meth:`replace`).

    Parameters
    ----------
    dataset : {"circles", "xor", "moons", "spirals", "blobs", "custom"}
        ``"custom"``: the reader's points, given to :meth:`Playground.set_data` or
        :meth:`Playground.load_csv`.
    n_samples : int
        Points generated (built-in sets), 10 to :data:`MAX_SAMPLES`.
    noise : float
        Noise of the generator (:mod:`dnnlib.data`'s units, before scaling), in [0, 1].
    train_ratio : float
        Fraction of the points used for training (stratified), in [0.1, 0.9].
    data_seed : int
        Seed of the points and of the train/test split.
    features : sequence of str
        Inputs computed from each point, among :data:`FEATURES`.
    hidden : sequence of int
        Units per hidden layer (0 to :data:`MAX_LAYERS` layers of 1 to :data:`MAX_UNITS`).
    activation : str or sequence of str
        Per hidden layer (one value for all): ``"tanh"``, ``"relu"``, ``"leaky_relu"``,
        ``"sigmoid"``.
    leaky_slope : float
        The slope of leaky ReLU for negative inputs, in [0, 1).
    dropout : float or sequence of float
        Drop probability after each hidden layer's activation, in [0, 0.9].
    batchnorm : bool
        A ``BatchNorm1d`` between each hidden ``Dense`` and its activation.
    loss : {"bce", "mse"}
        Binary cross-entropy on the output logit, or squared error of a sigmoid output.
    optimizer : {"sgd", "momentum", "rmsprop", "adam"}
    lr : float
        Learning rate (the schedule's starting value).
    momentum : float
        For ``"momentum"``.
    beta1, beta2 : float
        For ``"adam"``.
    alpha : float
        RMSProp's smoothing constant.
    weight_decay : float
        L2 penalty :math:`\\lambda` added to the gradient (all optimizers).
    schedule : {"constant", "step", "exponential", "cosine"}
        The learning rate per *epoch* :math:`e`: constant; times ``schedule_gamma``
        every ``schedule_epochs`` epochs; times ``schedule_gamma`` every epoch; or half
        a cosine down to 0 over ``schedule_epochs`` epochs.
    schedule_gamma : float
    schedule_epochs : int
    batch_size : int
        Points per step (the last batch of an epoch holds the rest).
    seed : int
        Seed of the initial weights, the dropout masks and the shuffling.

    Examples
    --------
    >>> cfg = PlaygroundConfig(hidden=(8, 8), activation="relu")
    >>> cfg.activation, cfg.dropout
    (('relu', 'relu'), (0.0, 0.0))
    >>> cfg.replace(lr=0.1).lr
    0.1
    """

    dataset: str = "circles"
    n_samples: int = 300
    noise: float = 0.1
    train_ratio: float = 0.5
    data_seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: Any = "tanh"
    leaky_slope: float = 0.01
    dropout: Any = 0.0
    batchnorm: bool = False
    loss: str = "bce"
    optimizer: str = "sgd"
    lr: float = 0.03
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    weight_decay: float = 0.0
    schedule: str = "constant"
    schedule_gamma: float = 0.5
    schedule_epochs: int = 100
    batch_size: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        fn = "PlaygroundConfig"
        s = object.__setattr__

        def choice(name: str, options: tuple[str, ...]) -> None:
            v = getattr(self, name)
            if not isinstance(v, str) or v.strip().lower() not in options:
                raise ValueError(f"{fn}: {name} must be one of {options}, got {v!r}")
            s(self, name, v.strip().lower())

        def integer(name: str, lo: int, hi: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{fn}: {name} must be an int, got {type(v).__name__} {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"{fn}: {name} must lie in [{lo}, {hi}], got {v}")
            s(self, name, int(v))

        def real(name: str, lo: float, hi: float, hi_open: bool = False, lo_open: bool = False
                 ) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{fn}: {name} must be a number, got {type(v).__name__} {v!r}")
            v = float(v)
            bad = (not math.isfinite(v) or v < lo or v > hi or (hi_open and v == hi)
                   or (lo_open and v == lo))
            if bad:
                lb, rb = "(" if lo_open else "[", ")" if hi_open else "]"
                raise ValueError(f"{fn}: {name} must lie in {lb}{lo}, {hi}{rb}, got {v!r}")
            s(self, name, v)

        choice("dataset", DATASETS + ("custom",))
        integer("n_samples", 10, MAX_SAMPLES)
        real("noise", 0.0, 1.0)
        real("train_ratio", 0.1, 0.9)
        integer("data_seed", 0, 2**32 - 1)
        integer("seed", 0, 2**32 - 1)
        # features: a known subset, kept in the canonical order of FEATURES
        feats = (self.features,) if isinstance(self.features, str) else tuple(self.features)
        unknown = [f for f in feats if f not in FEATURES]
        if unknown:
            raise ValueError(f"{fn}: unknown feature(s) {unknown}; choose among {FEATURES}")
        if not feats:
            raise ValueError(f"{fn}: features must name at least one input, e.g. ('x1', 'x2')")
        s(self, "features", tuple(f for f in FEATURES if f in feats))
        # hidden layers, with the caps
        hidden = (self.hidden,) if isinstance(self.hidden, (int, np.integer)) else self.hidden
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise TypeError(f"{fn}: hidden must be a sequence of ints (units per hidden "
                            f"layer), got {type(self.hidden).__name__}") from None
        for h in hidden:
            if isinstance(h, bool) or not isinstance(h, (int, np.integer)):
                raise TypeError(f"{fn}: hidden must hold ints (units per layer), got {hidden}")
        if len(hidden) > MAX_LAYERS:
            raise ValueError(
                f"{fn}: hidden has {len(hidden)} layers; the playground allows at most "
                f"MAX_LAYERS = {MAX_LAYERS} hidden layers, so that every epoch stays fast "
                "enough to redraw live. For bigger networks use dnnlib.train.fit directly.")
        too_wide = [h for h in hidden if h > MAX_UNITS]
        if too_wide:
            raise ValueError(
                f"{fn}: hidden layer(s) with {too_wide} units; the playground allows at most "
                f"MAX_UNITS = {MAX_UNITS} units per layer (each is drawn as a tile). For "
                "bigger networks use dnnlib.train.fit directly.")
        if any(h < 1 for h in hidden):
            raise ValueError(f"{fn}: every hidden layer needs at least 1 unit, got {hidden}")
        s(self, "hidden", tuple(int(h) for h in hidden))
        n = len(hidden)
        acts = tuple(str(a).strip().lower().replace("leakyrelu", "leaky_relu")
                     for a in _per_layer(self.activation, n, "activation", fn))
        bad = [a for a in acts if a not in ACTIVATIONS]
        if bad:
            raise ValueError(f"{fn}: activation must be among {ACTIVATIONS}, got {bad}")
        s(self, "activation", acts)
        drops = _per_layer(self.dropout, n, "dropout", fn)
        for p in drops:
            if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
                    or not 0.0 <= float(p) <= 0.9:
                raise ValueError(f"{fn}: dropout must be a probability in [0, 0.9] per hidden "
                                 f"layer, got {drops}")
        s(self, "dropout", tuple(float(p) for p in drops))
        real("leaky_slope", 0.0, 1.0, hi_open=True)
        if not isinstance(self.batchnorm, (bool, np.bool_)):
            raise TypeError(f"{fn}: batchnorm must be a bool, got {self.batchnorm!r}")
        s(self, "batchnorm", bool(self.batchnorm))
        choice("loss", LOSSES)
        choice("optimizer", OPTIMIZERS)
        choice("schedule", SCHEDULES)
        real("lr", 0.0, 10.0, lo_open=True)
        real("momentum", 0.0, 1.0, hi_open=True)
        real("beta1", 0.0, 1.0, hi_open=True)
        real("beta2", 0.0, 1.0, hi_open=True)
        real("alpha", 0.0, 1.0, hi_open=True)
        real("weight_decay", 0.0, 1.0)
        real("schedule_gamma", 0.0, 1.0, lo_open=True)
        integer("schedule_epochs", 1, MAX_EPOCHS)
        integer("batch_size", 1, MAX_CSV_ROWS)

    def replace(self, **changes: Any) -> PlaygroundConfig:
        """A copy with ``changes`` applied and validated.

        A change of ``hidden`` carries a single activation and dropout value over to
        the new layers (``activation=("relu", "relu")`` becomes three ``"relu"`` for
        ``hidden=(8, 8, 8)``).
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"PlaygroundConfig: unknown setting(s) {unknown}; settings are "
                             f"{[f.name for f in dataclasses.fields(self)]}")
        if "hidden" in changes:
            for name in ("activation", "dropout"):
                cur = getattr(self, name)
                if name not in changes and len(set(cur)) <= 1:
                    changes[name] = cur[0] if cur else (
                        "tanh" if name == "activation" else 0.0)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain Python values (lists for tuples), e.g. for JSON."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}
