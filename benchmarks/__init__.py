"""Benchmarks for dnnlib: speed and memory against references, printed as ratios.

Run everything with one command from the repository root::

    .venv/bin/python -m benchmarks            # full run (~10 min on 2 vCPU)
    .venv/bin/python -m benchmarks --quick    # smoke run (~1 min)

Modules
-------
floor      the hand-written NumPy MLP step: the floor of what NumPy can do
impls      the three implementations of one training step (dnnlib, PyTorch CPU, floor)
           behind one interface, built from the same weights
harness    timing (interleaved rounds, medians, ratios), BLAS report, RSS, tables
mlp_step   time per training step and GFLOP/s, A/B and A/C ratios
memory     peak resident set of a training run against its theoretical size
book       notebook validation time, book build time, ``import dnnlib`` time
gpu        dnnlib on CuPy vs NumPy vs PyTorch CUDA (runs on a CUDA machine)
run        runs all of the above (``python -m benchmarks``)

Nothing here is imported by dnnlib or by its tests, except the smoke test
``tests/test_benchmarks_smoke.py``, which proves the three steps compute the
same loss and gradients (so the comparison is honest).
"""
