"""The playground's session: data, network, optimizer and history, with no UI (Appendix A1).

A :class:`Session` holds everything a run needs and changes it only through its
methods: :meth:`~Session.set` (settings, as the controls change them),
:meth:`~Session.step_epoch` and :meth:`~Session.run` (training, one
:func:`dnnlib.train.train_epoch` per epoch), :meth:`~Session.reset`. It draws nothing
and imports no widget: whoever shows it (the live UI of
:class:`dnnlib.playground.Playground`, a test) subscribes to its changes with
:meth:`~Session.subscribe` and is told ``"config"`` (the settings changed) or
``"state"`` (weights, data or history changed).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend as B
from .. import functional as F
from ..checkpoint import save
from ..data import train_test_split
from ..layers import BatchNorm1d, Dense, Dropout, LeakyReLU, Sigmoid, make_activation
from ..losses import MSE, BinaryCrossEntropy
from ..model import Sequential, preserved
from ..optim import CosineAnnealing, Exponential, Optimizer, StepLR, make_optimizer
from ..train import TrainingDiverged, train_epoch
from .config import DATA_FIELDS, MODEL_FIELDS, PlaygroundConfig
from .data import FEATURE_CODE, check_points, feature_map, make_dataset, read_csv_points
from .drawing import PlaygroundView, draw_view

__all__ = ["Session", "CUSTOM_SPREAD"]

#: Your own points are centred and scaled to this spread (the root mean variance of the
#: two coordinates), about that of the built-in sets (1.2 to 2.0), before the network
#: sees them: a ring drawn in centimetres or in kilometres then trains alike.
CUSTOM_SPREAD = 1.5


class Session:
    """A playground run without its UI: set, train, look, export (Appendix A1).

    Parameters
    ----------
    config : PlaygroundConfig, optional
        The starting settings (default: :class:`PlaygroundConfig()`).
    data : (X, y), optional
        The reader's own points, ``X`` (N, 2) and labels ``y`` (N,) in {0, 1}; sets
        ``dataset="custom"``.
    **settings
        Overrides of ``config``'s fields (``hidden=(8, 8)``, ``optimizer="adam"`` ...).

    Attributes
    ----------
    config : PlaygroundConfig
    model : Sequential
        Hidden blocks ``Dense [BatchNorm1d] activation [Dropout]``, then ``Dense(H, 1)``
        (a logit for ``loss="bce"``; followed by ``Sigmoid`` for ``"mse"``).
    optimizer : dnnlib.optim.Optimizer
    epoch : int
        Epochs trained since the last reset.
    history : dict of lists
        One entry per epoch, epoch 0 (the initial weights) included: ``epoch``, ``lr``,
        ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy`` (losses and
        accuracies over the whole set, in evaluation mode).
    diverged : str or None
        Why training stopped (a non-finite loss), until the next reset.
    input_shift, input_scale : numpy.ndarray (2,), float
        The network sees ``(x - input_shift) * input_scale`` (then the feature map):
        the identity for the built-in sets, which are already scaled; for your own
        points, centred on their mean and scaled to :data:`CUSTOM_SPREAD`. Figures
        show your own coordinates.

    Notes
    -----
    One epoch is chapter 6's loop over shuffled mini-batches ``B``
    (:func:`dnnlib.train.train_epoch`):
    :math:`\\theta \\leftarrow \\text{update}(\\theta, \\nabla_\\theta \\tfrac{1}{|B|}
    \\sum_{i \\in B} L(f(\\phi(x_i); \\theta), y_i))`, with the feature map :math:`\\phi`
    of :func:`feature_map`. Weights start as He normal before ReLU-like activations and
    Glorot normal before tanh and sigmoid (chapter 3). Everything random comes from
    ``config.seed`` (weights, dropout, order) and ``config.data_seed`` (points, split),
    so :meth:`reset` gives back the seed's network bit for bit.

    Examples
    --------
    >>> s = Session(dataset="blobs", hidden=(), optimizer="adam", lr=0.1)
    >>> _ = s.run(5)
    >>> s.history["test_accuracy"][-1] > 0.9
    True
    >>> w = s.model.state_dict()["0.W"].copy()
    >>> s.reset(); _ = s.run(5)
    >>> bool((s.model.state_dict()["0.W"] == w).all())
    True
    """

    def __init__(self, config: PlaygroundConfig | None = None, *, data: Any = None,
                 **settings: Any) -> None:
        name = type(self).__name__
        if config is None:
            config = PlaygroundConfig()
        if not isinstance(config, PlaygroundConfig):
            raise TypeError(f"{name}: config must be a PlaygroundConfig, got "
                            f"{type(config).__name__}")
        self._custom: tuple[np.ndarray, np.ndarray] | None = None
        if data is not None:
            if not isinstance(data, (tuple, list)) or len(data) != 2:
                raise TypeError(f"{name}: data must be a pair (X, y)")
            self._custom = check_points(data[0], data[1], name)
            settings.setdefault("dataset", "custom")
        self.grid = 40
        self._listeners: list[Callable[[str], None]] = []
        config = config.replace(**settings) if settings else config
        self._install(config, self._split(config, name), rebuild_model=True)

    # ------------------------------------------------------------------ observers
    def subscribe(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(what)`` after every change: ``"config"`` or ``"state"``."""
        self._listeners.append(callback)

    def _notify(self, what: str) -> None:
        for callback in self._listeners:
            callback(what)

    # ------------------------------------------------------------------ data
    @property
    def has_custom_data(self) -> bool:
        """Whether your own points were given (``dataset="custom"`` is then allowed)."""
        return self._custom is not None

    def _split(self, cfg: PlaygroundConfig, fn: str) -> dict[str, Any]:
        """The points of ``cfg``, split, checked; nothing of ``self`` is changed."""
        if cfg.dataset == "custom":
            if self._custom is None:
                raise ValueError(f"{fn}: dataset='custom' needs your points first: "
                                 "set_data(X, y) or load_csv(path)")
            X, y = self._custom
            shift = X.mean(axis=0)
            spread = float(np.sqrt(X.var(axis=0).mean()))
            scale = CUSTOM_SPREAD / spread if spread > 0 else 1.0
        else:
            X, y = make_dataset(cfg.dataset, cfg.n_samples, cfg.noise,
                                np.random.default_rng([cfg.data_seed, 0]))
            shift, scale = np.zeros(2), 1.0
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=1.0 - cfg.train_ratio,
                                              stratify=True,
                                              rng=np.random.default_rng([cfg.data_seed, 1]))
        n_train, n_test = int(Xtr.shape[0]), int(Xte.shape[0])
        need = 2 if cfg.batchnorm else 1
        if n_train < need or n_test < 1:
            raise ValueError(
                f"{fn}: {X.shape[0]} points with train_ratio={cfg.train_ratio:g} leave "
                f"{n_train} training and {n_test} test points; both sets need points "
                f"(training at least {need}): use more points (n_samples) or another "
                "train_ratio")
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * max(float(np.max(hi - lo)), 1e-9)
        extent = (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad),
                  float(hi[1] + pad))
        return {"X_train": np.asarray(Xtr), "X_test": np.asarray(Xte),
                "y_train": np.asarray(ytr), "y_test": np.asarray(yte), "extent": extent,
                "input_shift": np.asarray(shift, dtype=np.float64), "input_scale": scale}

    def set_data(self, X: Any, y: Any) -> None:
        """Use your own points: ``X`` (N, 2) and labels ``y`` (N,) in {0, 1}.

        Switches to ``dataset="custom"``, splits with ``train_ratio`` and resets. The
        network sees the points centred and scaled (:attr:`input_shift`,
        :attr:`input_scale`), as the built-in sets are; an invalid set raises and
        changes nothing.
        """
        previous = self._custom
        self._custom = check_points(X, y, f"{type(self).__name__}.set_data")
        try:
            self.set(dataset="custom", _force_data=True)
        except Exception:
            self._custom = previous
            raise

    def load_csv(self, source: Any) -> None:
        """Use the points of a CSV file (columns ``x1, x2, label``); see :func:`read_csv_points`.

        A bad line raises ``ValueError`` naming the line, and nothing changes.
        """
        X, y = read_csv_points(source)
        self.set_data(X, y)

    def _inputs(self, X: np.ndarray) -> Any:
        X = (np.asarray(X, dtype=np.float64) - self.input_shift) * self.input_scale
        return B.asarray(feature_map(X, self.config.features), dtype=B.default_dtype())

    # ------------------------------------------------------------------ model
    @staticmethod
    def _build_model(cfg: PlaygroundConfig) -> tuple[Sequential, list[int]]:
        layers: list[Any] = []
        act_index: list[int] = []
        width = len(cfg.features)
        for i, (h, act, p) in enumerate(zip(cfg.hidden, cfg.activation, cfg.dropout,
                                            strict=True)):
            init = "he" if act in ("relu", "leaky_relu") else "glorot"
            layers.append(Dense(width, h, init=init, rng=np.random.default_rng([cfg.seed, 1, i])))
            if cfg.batchnorm:
                layers.append(BatchNorm1d(h))
            layers.append(make_activation(act, slope=cfg.leaky_slope))
            act_index.append(len(layers) - 1)
            if p > 0:
                layers.append(Dropout(p, rng=np.random.default_rng([cfg.seed, 2, i])))
            width = h
        layers.append(Dense(width, 1, init="glorot",
                            rng=np.random.default_rng([cfg.seed, 1, len(cfg.hidden)])))
        if cfg.loss == "mse":
            layers.append(Sigmoid())
        return Sequential(layers), act_index

    @staticmethod
    def _build_optimizer(cfg: PlaygroundConfig, model: Sequential) -> Optimizer:
        hyper: dict[str, Any] = {"lr": cfg.lr, "weight_decay": cfg.weight_decay}
        if cfg.optimizer == "momentum":
            hyper["momentum"] = cfg.momentum
        elif cfg.optimizer == "rmsprop":
            hyper["alpha"] = cfg.alpha
        elif cfg.optimizer == "adam":
            hyper["betas"] = (cfg.beta1, cfg.beta2)
        return make_optimizer(cfg.optimizer, model.params, **hyper)

    def lr_at(self, epoch: int) -> float:
        """The learning rate the schedule gives for ``epoch`` (from 0).

        Examples
        --------
        >>> s = Session(schedule="step", lr=0.1, schedule_epochs=10, schedule_gamma=0.5)
        >>> s.lr_at(0), s.lr_at(10), s.lr_at(25)
        (0.1, 0.05, 0.025)
        """
        cfg = self.config
        if cfg.schedule == "step":
            return StepLR(cfg.lr, cfg.schedule_epochs, cfg.schedule_gamma)(epoch)
        if cfg.schedule == "exponential":
            return Exponential(cfg.lr, cfg.schedule_gamma)(epoch)
        if cfg.schedule == "cosine":
            return CosineAnnealing(cfg.lr, cfg.schedule_epochs)(epoch)
        return cfg.lr

    def _install(self, cfg: PlaygroundConfig, data: dict[str, Any] | None,
                 rebuild_model: bool) -> None:
        """Make ``cfg`` (and ``data``) current; build what they need first, so that a
        failure leaves the session as it was."""
        model = act_index = None
        if rebuild_model:
            model, act_index = self._build_model(cfg)
        optimizer = self._build_optimizer(cfg, model if model is not None else self.model)
        if not rebuild_model and type(optimizer) is type(self.optimizer):
            # the same optimizer with new hyperparameters: keep its state (Adam's moments,
            # the momentum buffers); buffers it did not have start at zero
            for new, old in zip(optimizer.state, self.optimizer.state, strict=True):
                new.update({k: v for k, v in old.items() if k in new})
            optimizer.step_count = self.optimizer.step_count
        self.config = cfg
        if data is not None:
            for key, value in data.items():
                setattr(self, key, value)
        if rebuild_model:
            self.model, self._act_index = model, act_index
            self.optimizer = optimizer
            self._restart()
        else:
            self.optimizer = optimizer

    def _restart(self) -> None:
        """Training from the model's initial weights: targets, history, epoch 0."""
        cfg = self.config
        self.model.train()
        self.loss_fn = MSE() if cfg.loss == "mse" else BinaryCrossEntropy(from_logits=True)
        self._shuffle_rng = np.random.default_rng([cfg.seed, 3])
        self._Xtr, self._Xte = self._inputs(self.X_train), self._inputs(self.X_test)
        dt = B.default_dtype()
        self._ytr, self._yte = self._targets(self.y_train, dt), self._targets(self.y_test, dt)
        self.epoch = 0
        self.diverged: str | None = None
        self.history: dict[str, list[float]] = {k: [] for k in (
            "epoch", "lr", "train_loss", "test_loss", "train_accuracy", "test_accuracy")}
        self._record()

    def reset(self, seed: int | None = None) -> None:
        """New weights from the seed (``config.seed``, or ``seed`` which then replaces it).

        Clears the history and the epoch count; the data stay.
        """
        cfg = self.config if seed is None else self.config.replace(seed=seed)
        self._install(cfg, None, rebuild_model=True)
        if seed is not None:
            self._notify("config")
        self._notify("state")

    def _targets(self, y: np.ndarray, dtype: Any) -> Any:
        if self.config.loss == "mse":
            return B.asarray(y.reshape(-1, 1), dtype=dtype)
        return B.asarray(y)

    # ------------------------------------------------------------------ settings
    def set(self, **changes: Any) -> None:
        """Change settings, as the controls do, and rebuild what they affect.

        Data settings (``dataset``, ``n_samples``, ``noise``, ``train_ratio``,
        ``data_seed``) make new points and reset; network settings (``features``,
        ``hidden``, ``activation``, ``leaky_slope``, ``dropout``, ``batchnorm``,
        ``loss``, ``seed``) reset; training settings keep the weights: a new value of
        ``lr``, ``momentum``, ``beta1``, ``beta2``, ``alpha``, ``weight_decay``, the
        schedule or ``batch_size`` keeps the optimizer's state too (Adam's moments, the
        momentum buffer), while a new ``optimizer`` starts a fresh one (its state
        starts at zero). An invalid value, or one that leaves a set without points,
        raises and changes nothing.

        Examples
        --------
        >>> s = Session()
        >>> s.set(hidden=(8, 8, 8), activation="relu")
        >>> s.config.activation
        ('relu', 'relu', 'relu')
        >>> try:
        ...     s.set(hidden=(4,) * 7)
        ... except ValueError as e:
        ...     print(str(e)[:70])
        PlaygroundConfig: hidden has 7 layers; the playground allows at most M
        """
        fn = f"{type(self).__name__}.set"
        force_data = bool(changes.pop("_force_data", False))
        old = self.config
        new = old.replace(**changes)
        changed = {f.name for f in dataclasses.fields(new)
                   if getattr(new, f.name) != getattr(old, f.name)}
        if force_data or changed & DATA_FIELDS or (new.batchnorm and "batchnorm" in changed):
            self._install(new, self._split(new, fn), rebuild_model=True)
        elif changed & MODEL_FIELDS:
            self._install(new, None, rebuild_model=True)
        elif changed:
            self._install(new, None, rebuild_model=False)
        self._notify("config")
        if changed or force_data:
            self._notify("state")

    # ------------------------------------------------------------------ training
    def step_epoch(self) -> dict[str, float]:
        """Train one epoch (one pass over the shuffled training points); return its record.

        Returns
        -------
        dict
            ``epoch``, ``lr``, ``train_loss``, ``test_loss``, ``train_accuracy``,
            ``test_accuracy`` (the new last entries of :attr:`history`).

        Raises
        ------
        RuntimeError
            If training has diverged (reset to go on).
        """
        if self.diverged:
            raise RuntimeError(f"{type(self).__name__}.step_epoch: {self.diverged}")
        cfg = self.config
        lr = self.lr_at(self.epoch)
        self.optimizer.lr = lr
        # batch statistics need two points: a lone last point of an epoch waits
        lone = cfg.batchnorm and self._Xtr.shape[0] % cfg.batch_size == 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                train_epoch(self.model, self.loss_fn, self.optimizer, self._Xtr, self._ytr,
                            cfg.batch_size, rng=self._shuffle_rng, drop_last=lone)
                stopped = None
            except TrainingDiverged as exc:
                stopped = exc.loss
            self.epoch += 1
            rec = self._record(lr)
        if stopped is not None or not (math.isfinite(rec["train_loss"])
                                       and math.isfinite(rec["test_loss"])):
            loss = rec["train_loss"] if stopped is None else stopped
            self.diverged = (f"training diverged at epoch {self.epoch} (loss {loss:.3g}); "
                             "lower the learning rate and reset")
        return rec

    def run(self, epochs: int) -> dict[str, float] | None:
        """Train ``epochs`` epochs (stops early if training diverges); return the last record."""
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"{type(self).__name__}.run: epochs must be an int >= 0, got "
                             f"{epochs!r}")
        rec = None
        for _ in range(int(epochs)):
            rec = self.step_epoch()
            if self.diverged:
                break
        self._notify("state")
        return rec

    def _evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        out = self.model.forward(X)
        loss = float(self.loss_fn.forward(out, y))
        p = self._probability(out)
        xp = B.namespace(p)
        truth = xp.reshape(y, (-1,)) > 0.5 if self.config.loss == "mse" else y == 1
        acc = float(xp.mean(xp.astype((p > 0.5) == truth, p.dtype)))
        return loss, acc

    def _probability(self, out: Any) -> Any:
        xp = B.namespace(out)
        out = xp.reshape(out, (-1,))
        return out if self.config.loss == "mse" else F.sigmoid(out)

    def _record(self, lr: float | None = None) -> dict[str, float]:
        with preserved(self.model, training=False):
            tr_loss, tr_acc = self._evaluate(self._Xtr, self._ytr)
            te_loss, te_acc = self._evaluate(self._Xte, self._yte)
        rec = {"epoch": self.epoch, "lr": self.lr_at(self.epoch) if lr is None else lr,
               "train_loss": tr_loss, "test_loss": te_loss, "train_accuracy": tr_acc,
               "test_accuracy": te_acc}
        for k, v in rec.items():
            self.history[k].append(v)
        return rec

    # ------------------------------------------------------------------ views
    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of class 1 at points ``X`` (N, 2), evaluation mode, on the host."""
        X = B.to_numpy(X) if B.is_array(X) else np.asarray(X, dtype=np.float64)
        with preserved(self.model, training=False), np.errstate(over="ignore",
                                                                 invalid="ignore"):
            out = self.model.forward(self._inputs(X))
        return B.to_numpy(self._probability(out)).astype(np.float64)

    def point_losses(self, split: str = "test") -> np.ndarray:
        r"""The loss of every point of ``split`` (``"train"`` or ``"test"``), evaluation mode.

        Returns
        -------
        numpy.ndarray, (N,), float64
            Their mean is ``history["test_loss"][-1]`` (or ``train_loss``), up to the
            float32 rounding of the model.

        Notes
        -----
        Cross-entropy on the logit :math:`z`, computed stably as
        :math:`\log(1 + e^{z}) - y z`; squared error :math:`(\hat p - y)^2`. A confident
        mistake costs about :math:`|z|` nats, so a few such points can dominate the mean.

        Examples
        --------
        >>> s = Session(dataset="blobs", hidden=())
        >>> s.point_losses("train").shape == s.y_train.shape
        True
        """
        if split not in ("train", "test"):
            raise ValueError(f"{type(self).__name__}.point_losses: split must be 'train' or "
                             f"'test', got {split!r}")
        X, y = (self._Xtr, self.y_train) if split == "train" else (self._Xte, self.y_test)
        with preserved(self.model, training=False), np.errstate(over="ignore",
                                                                 invalid="ignore"):
            out = B.to_numpy(self.model.forward(X))[:, 0].astype(np.float64)
        if self.config.loss == "mse":
            return (out - y) ** 2
        return np.logaddexp(0.0, out) - y * out

    def view(self, grid: int | None = None) -> PlaygroundView:
        """A snapshot of everything the figures show (host arrays, evaluation mode)."""
        G = self.grid if grid is None else int(grid)
        x0, x1, y0, y1 = self.extent
        g1, g2 = np.meshgrid(np.linspace(x0, x1, G), np.linspace(y0, y1, G))
        pts = np.column_stack([g1.ravel(), g2.ravel()])
        a = self._inputs(pts)
        feats = B.to_numpy(a).astype(np.float64)
        units: list[np.ndarray] = []
        with preserved(self.model, training=False), np.errstate(over="ignore",
                                                                 invalid="ignore"):
            a = self.model.check_input(a)
            for i, layer in enumerate(self.model.layers):
                a = layer.forward(a)
                if i in self._act_index:
                    units.append(B.to_numpy(a).T.reshape(-1, G, G).astype(np.float64))
            out = B.to_numpy(self._probability(a)).reshape(G, G).astype(np.float64)
        weights = [B.to_numpy(layer.W.data).astype(np.float64)
                   for layer in self.model.layers if isinstance(layer, Dense)]
        return PlaygroundView(
            epoch=self.epoch, extent=self.extent, output=out,
            features=feats.T.reshape(-1, G, G), units=units, weights=weights,
            X_train=self.X_train, y_train=self.y_train, X_test=self.X_test, y_test=self.y_test,
            history={k: list(v) for k, v in self.history.items()}, config=self.config,
            diverged=self.diverged)

    def figure(self, *, figsize: tuple[float, float] = (10.0, 5.6), dpi: int = 72) -> Any:
        """The dashboard of the current state (a matplotlib Figure; see :func:`draw_view`)."""
        return draw_view(self.view(), figsize=figsize, dpi=dpi)

    def status(self) -> str:
        """One line: epoch, learning rate, losses and accuracies."""
        h = self.history
        s = (f"epoch {self.epoch} | lr {h['lr'][-1]:.3g} | loss train {h['train_loss'][-1]:.4f}"
             f", test {h['test_loss'][-1]:.4f} | accuracy train {h['train_accuracy'][-1]:.3f}"
             f", test {h['test_accuracy'][-1]:.3f}")
        return s + (f" | {self.diverged}" if self.diverged else "")

    def __repr__(self) -> str:
        c = self.config
        net = " -> ".join([str(len(c.features))] + [
            f"{h} {a}" for h, a in zip(c.hidden, c.activation, strict=True)] + ["1"])
        return (f"{type(self).__name__}({c.dataset}, {net}, {c.optimizer} lr={c.lr:g}; "
                f"{self.status()})")

    # ------------------------------------------------------------------ export
    def export_code(self, checkpoint: str | os.PathLike | None = None) -> str:
        """Python code that rebuilds this network (``Sequential([...])``), to paste.

        Parameters
        ----------
        checkpoint : path, optional
            If given, the code ends by loading that checkpoint (written by :meth:`export`)
            into the model and the optimizer.

        Returns
        -------
        str
            Imports, ``features(X)`` (the feature map), ``model``, ``loss`` and
            ``optimizer``; ``proba(X)`` gives the probability of class 1.

        Examples
        --------
        >>> code = Session(hidden=(3,), activation="leaky_relu").export_code()
        >>> print(code.split("model = ")[1].split(")\\n")[0] + ")")
        Sequential([
            Dense(2, 3, init="he"),
            LeakyReLU(slope=0.01),
            Dense(3, 1, init="glorot"),
        ])
        """
        cfg = self.config
        lines_layers = []
        used = {"Dense"}
        for layer in self.model.layers:
            name = type(layer).__name__
            used.add(name)
            if isinstance(layer, Dense):
                lines_layers.append(f"Dense({layer.in_features}, {layer.out_features}, "
                                    f'init="{layer.init}"),')
            elif isinstance(layer, BatchNorm1d):
                lines_layers.append(f"BatchNorm1d({layer.num_features}),")
            elif isinstance(layer, Dropout):
                lines_layers.append(f"Dropout(p={layer.p}),")
            elif isinstance(layer, LeakyReLU):
                lines_layers.append(f"LeakyReLU(slope={layer.slope}),")
            else:
                lines_layers.append(f"{name}(),")
        feats = ", ".join(FEATURE_CODE[f] for f in cfg.features)
        loss = "MSE()" if cfg.loss == "mse" else "BinaryCrossEntropy(from_logits=True)"
        loss_cls = "MSE" if cfg.loss == "mse" else "BinaryCrossEntropy"
        wd = f", weight_decay={cfg.weight_decay!r}" if cfg.weight_decay else ""
        if cfg.optimizer == "sgd":
            opt, opt_cls = f"SGD(model.params, lr={cfg.lr!r}{wd})", "SGD"
        elif cfg.optimizer == "momentum":
            opt, opt_cls = f"SGD(model.params, lr={cfg.lr!r}, momentum={cfg.momentum!r}{wd})", \
                "SGD"
        elif cfg.optimizer == "rmsprop":
            opt, opt_cls = f"RMSProp(model.params, lr={cfg.lr!r}, alpha={cfg.alpha!r}{wd})", \
                "RMSProp"
        else:
            opt, opt_cls = (f"Adam(model.params, lr={cfg.lr!r}, betas=({cfg.beta1!r}, "
                            f"{cfg.beta2!r}){wd})"), "Adam"
        standardise = []
        if cfg.dataset == "custom":  # the network sees your points centred and scaled
            shift = ", ".join(repr(float(v)) for v in self.input_shift)
            standardise = [f"    X = (X - np.array([{shift}])) * {float(self.input_scale)!r}"]
        proba = ("model(features(X))[:, 0]  # the Sigmoid output" if cfg.loss == "mse"
                 else "dl.functional.sigmoid(model(features(X))[:, 0])  # logit -> probability")
        out = [
            f"# Exported from dnnlib's playground: {cfg.dataset}, epoch {self.epoch}, "
            f"test accuracy {self.history['test_accuracy'][-1]:.3f}",
            "import numpy as np",
            "",
            "import dnnlib as dl",
            f"from dnnlib.layers import {', '.join(sorted(used))}",
            f"from dnnlib.losses import {loss_cls}",
            "from dnnlib.model import Sequential",
            f"from dnnlib.optim import {opt_cls}",
            "",
            "",
            "def features(X):",
            f'    """Points (N, 2) -> network inputs (N, {len(cfg.features)}): '
            f'{", ".join(cfg.features)}."""',
            "    X = np.asarray(X, dtype=np.float64)",
            *standardise,
            "    x1, x2 = X[:, 0], X[:, 1]",
            f"    return np.stack([{feats}], axis=1)",
            "",
            "",
            "model = Sequential([",
            *["    " + s for s in lines_layers],
            "])",
            f"loss = {loss}",
            f"optimizer = {opt}",
        ]
        if checkpoint is not None:
            out.append(f"dl.load({str(checkpoint)!r}, model, optimizer)  # the trained weights")
        out += ["", "", "def proba(X):",
                '    """Probability of class 1 at points X (N, 2)."""',
                "    model.eval()",
                f"    return {proba}", ""]
        return "\n".join(out)

    def export(self, path: str | os.PathLike) -> Path:
        """Save the trained model and optimizer as a dnnlib checkpoint (``dl.save``).

        Rebuild it with the code of :meth:`export_code` (``export_code(path)`` includes
        the ``dl.load`` line).
        """
        return save(path, self.model, self.optimizer)
