"""The playground: a TensorFlow-Playground-style lab on dnnlib (Appendix A1).

A :class:`Playground` trains a small network on 2-D points and shows, live:

* the **decision regions** with the training points (filled) and the test points
  (outlined);
* the **network**: every input feature and every hidden unit as a small heat map of
  its response over the plane (TensorFlow Playground's "neuron tiles"), joined by
  lines whose width is the weight's magnitude and whose colour is its sign;
* the **loss curves** (training and test, per epoch).

It goes beyond TensorFlow Playground where its users asked: cross-entropy or squared
loss, SGD / momentum / RMSProp / Adam with their hyperparameters and a learning-rate
schedule, L2 weight decay, leaky ReLU (with its slope), dropout per layer, batch
normalisation, up to :data:`MAX_LAYERS` hidden layers of up to :data:`MAX_UNITS`
units, the reader's own data (arrays or a CSV file), and export of the trained model
as a dnnlib checkpoint plus the code that rebuilds it.

One module per part, each usable without the ones after it:

* :mod:`.config` - :class:`PlaygroundConfig`, every setting, validated, immutable;
* :mod:`.data` - the built-in sets, the feature map, CSV files, your own points;
* :mod:`.session` - :class:`~.session.Session`: data, network, optimizer and history,
  set / train (:func:`dnnlib.train.train_epoch`) / reset / view / export, with no UI;
  it tells subscribers what changed;
* :mod:`.drawing` - :class:`PlaygroundView` (a snapshot as NumPy arrays) and
  :func:`draw_view` (the dashboard, matplotlib);
* :mod:`.ui` - :class:`Playground`: a session with the live ipywidgets UI (built when
  displayed; training then runs as an asyncio task on the kernel's event loop);
* :mod:`.gallery` - :func:`gallery`, precomputed runs to scrub through.

``import dnnlib`` does not import this package; matplotlib and ipywidgets are imported
inside the functions that draw or build widgets.

Examples
--------
>>> pg = Playground(dataset="moons", hidden=(8,), activation="relu", optimizer="adam",
...                 lr=0.03, noise=0.1)
>>> pg.model
Sequential(
  (0): Dense(in_features=2, out_features=8)
  (1): ReLU()
  (2): Dense(in_features=8, out_features=1)
)
>>> before = pg.history["test_loss"][-1]
>>> _ = pg.run(20)
>>> pg.epoch, pg.history["test_loss"][-1] < before
(20, True)
"""

from __future__ import annotations

from .config import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    LOSSES,
    MAX_CSV_ROWS,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_SAMPLES,
    MAX_UNITS,
    OPTIMIZERS,
    SCHEDULES,
    PlaygroundConfig,
)
from .data import feature_map, make_dataset, read_csv_points
from .drawing import PlaygroundView, draw_view
from .gallery import gallery
from .session import CUSTOM_SPREAD, Session
from .ui import Playground

__all__ = [
    "Playground",
    "Session",
    "PlaygroundConfig",
    "PlaygroundView",
    "feature_map",
    "read_csv_points",
    "make_dataset",
    "draw_view",
    "gallery",
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
    "CUSTOM_SPREAD",
]
