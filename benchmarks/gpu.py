#!/usr/bin/env python
"""GPU: dnnlib on CuPy vs dnnlib on NumPy vs PyTorch CUDA, one training step of the MLP.

784-256-256-10 ReLU MLP, softmax cross-entropy, Adam (and SGD), float32, batch 128, 1024
and 4096. The three are built from the same weights and timed interleaved in one process
(:func:`benchmarks.harness.interleaved`); every timed step ends with a device
synchronisation (``cupy.cuda.Device().synchronize()``, ``torch.cuda.synchronize()``)
before the clock is read, so queued kernels are not mistaken for finished work. TF32 is
off in both CuPy (its default) and PyTorch, so all three compute in true float32.

Runs as is on a CUDA machine (needs ``pip install -e .[gpu]``; PyTorch CUDA optional)::

    python benchmarks/gpu.py            # or: python -m benchmarks.gpu [--quick]

Without a CUDA device it prints "no CUDA device" with the reason and exits 0.
Targets (issue 7): on an H100, the CuPy step >= 20x faster than NumPy at batch 4096 and
<= 1.3x PyTorch CUDA's time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness as H  # noqa: E402
from benchmarks import impls as I  # noqa: E402


def cuda_status() -> dict[str, Any]:
    """Which GPU libraries answer here, the card's name, and why not when they do not."""
    st: dict[str, Any] = {"cupy": False, "torch": False, "card": None, "why": []}
    try:
        from dnnlib import backend as B

        cupy = B._import_cupy("benchmarks.gpu")
        props = cupy.cuda.runtime.getDeviceProperties(0)
        st["cupy"] = True
        st["card"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        st["cupy_version"] = cupy.__version__
    except (RuntimeError, ImportError) as exc:
        st["why"].append(f"CuPy: {exc}")
    try:
        import torch

        if torch.cuda.is_available():
            st["torch"] = True
            st["card"] = st["card"] or torch.cuda.get_device_name(0)
            st["torch_version"] = torch.__version__
        else:
            st["why"].append(f"PyTorch {torch.__version__}: torch.cuda.is_available() is False")
    except ImportError:
        st["why"].append("PyTorch: not installed")
    return st


def bench(batches, opts, timing, st) -> list[dict[str, Any]]:
    out = []
    for opt in opts:
        for n in batches:
            ims: dict[str, Any] = {"numpy": I.build("dnnlib", "float32", opt, n)}
            if st["cupy"]:
                ims["cupy"] = I.build("dnnlib", "float32", opt, n, backend="cupy")
            if st["torch"]:
                ims["torch_cuda"] = I.build("torch", "float32", opt, n, device="cuda")
            # the same computation: first-step losses from the same weights agree
            losses = {k: I.to_float(I.build(k2, "float32", opt, n, **kw).step())
                      for k, k2, kw in (("numpy", "dnnlib", {}),
                                        ("cupy", "dnnlib", {"backend": "cupy"}),
                                        ("torch_cuda", "torch", {"device": "cuda"}))
                      if k in ims}
            res = H.interleaved(ims, **timing)
            b = res["blocks"]
            c = {"opt": opt, "batch": n, "k": res["k"], "first_loss": losses,
                 "step_s": {k: statistics.median(v) for k, v in res["times"].items()},
                 "ratio": {}}
            if "cupy" in b:
                c["ratio"]["numpy/cupy (speed-up)"] = H.ratio(b["numpy"], b["cupy"])
            if "cupy" in b and "torch_cuda" in b:
                c["ratio"]["cupy/torch_cuda"] = H.ratio(b["cupy"], b["torch_cuda"])
            out.append(c)
            print(f"  {opt} batch {n}: " + ", ".join(f"{k} {H.fmt_time(v)}"
                                                      for k, v in c["step_s"].items()),
                  flush=True)
    return out


def report(st: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    t = []
    for c in rows:
        s, r = c["step_s"], c["ratio"]
        spread = max(c["first_loss"].values()) - min(c["first_loss"].values())
        t.append([c["opt"], c["batch"], H.fmt_time(s.get("numpy")), H.fmt_time(s.get("cupy")),
                  H.fmt_time(s.get("torch_cuda")), H.fmt_ratio(r.get("numpy/cupy (speed-up)")),
                  H.fmt_ratio(r.get("cupy/torch_cuda")), f"{spread:.1e}"])
    text = [f"**GPU: {st['card']}** (CuPy {st.get('cupy_version', '-')}, "
            f"PyTorch {st.get('torch_version', '-')}; float32, TF32 off)\n",
            H.table(["opt", "batch", "dnnlib NumPy", "dnnlib CuPy", "PyTorch CUDA",
                     "NumPy/CuPy speed-up", "CuPy/PyTorch", "first-loss spread"], t)]
    for c in rows:
        if c["batch"] == 4096 and c["opt"] == "adam":
            sp = c["ratio"].get("numpy/cupy (speed-up)")
            ct = c["ratio"].get("cupy/torch_cuda")
            if sp:
                text.append(f"\nTarget CuPy >= 20x NumPy at batch 4096 (Adam): "
                            f"{sp['median']:.1f}x -> {'met' if sp['median'] >= 20 else 'MISSED'}")
            if ct:
                text.append(f"Target CuPy <= 1.3x PyTorch CUDA at batch 4096 (Adam): "
                            f"{ct['median']:.2f} -> {'met' if ct['median'] <= 1.3 else 'MISSED'}")
    return "\n".join(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--batches", default="128,1024,4096")
    p.add_argument("--opts", default="adam,sgd")
    p.add_argument("--json")
    a = p.parse_args(argv)
    st = cuda_status()
    if not (st["cupy"] or st["torch"]):
        print("benchmarks/gpu.py: no CUDA device here, nothing to measure ("
              + "; ".join(st["why"]) + "). Run it on a CUDA machine.")
        H.write_json(a.json, {"skipped": "no CUDA device", "why": st["why"]})
        return 0
    if st["torch"]:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    print(H.describe_machine())
    print(f"GPU: {st['card']}; " + "; ".join(st["why"]), flush=True)
    timing = ({"rounds": 3, "block_s": 0.05, "warmup_s": 0.5} if a.quick
              else {"rounds": 7, "block_s": 0.2, "warmup_s": 2.0})
    rows = bench([int(b) for b in a.batches.split(",")], a.opts.split(","), timing, st)
    print()
    print(report(st, rows))
    H.write_json(a.json, {"status": st, "configs": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
