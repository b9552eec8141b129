"""The control behind chapter 9's "the same numbers on every CPU": RoundState on and off.

Trains chapter 9's MNIST-1D CNN (float64, Adam 0.01, batches of 100, 40 epochs, seeds 0-2)
with and without ``RoundState(6)``, once per CPU profile of ``scripts/test_portable.py``
(``native`` and ``older``: on an AVX-512 machine, the second switches NumPy's AVX-512 loops
and OpenBLAS's SkylakeX kernel off), and prints the test accuracies side by side.

    .venv/bin/python scripts/roundstate_control.py        # about 2 minutes on 2 cores

Measured on an AMD EPYC with AVX-512 (2026-12-06): without rounding every seed moved by 0.3
points between the two profiles (92.1/92.5/91.7% native, 91.8/92.2/91.4% older); with it
both profiles gave 93.7/94.4/91.5%, identical to the last digit of the loss.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_portable  # noqa: E402

RUN = r"""
import numpy as np
import dnnlib as dl
from dnnlib.layers import Conv1d, Dense, Flatten, ReLU, Reshape
from dnnlib.losses import SoftmaxCrossEntropy
from dnnlib.model import Sequential
from dnnlib.optim import Adam
from dnnlib.portable import RoundState
from dnnlib.train import fit

dl.set_default_dtype("float64")
Xtr, ytr = dl.data.load_mnist1d("train")
Xte, yte = dl.data.load_mnist1d("test")
for rounded in (False, True):
    accs = []
    for seed in (0, 1, 2):
        m = Sequential(Reshape((1, 40)),
                       Conv1d(1, 25, 5, stride=2, padding=1, rng=seed), ReLU(),
                       Conv1d(25, 25, 3, stride=2, padding=1, rng=seed + 1), ReLU(),
                       Conv1d(25, 25, 3, stride=2, padding=1, rng=seed + 2), ReLU(),
                       Flatten(), Dense(125, 10, rng=seed + 3))
        h = fit(m, SoftmaxCrossEntropy(), Adam(m.params, lr=1e-2), Xtr, ytr, epochs=40,
                batch_size=100, rng=seed, validation=(Xte, yte), progress=False,
                callbacks=[RoundState(6)] if rounded else [])
        accs.append(f"{h['val_accuracy'][-1]:.1%} (loss {h['loss'][-1]:.10f})")
    print(f"  RoundState {'on ' if rounded else 'off'}: " + ", ".join(accs))
"""


def main() -> int:
    for name in ("native", "older"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **test_portable.profiles()[name]}
        print(f"profile {name}:", flush=True)
        subprocess.run([sys.executable, "-c", RUN], env=env, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
