"""The package as a whole: light import, submodules as attributes, public API present."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "ipywidgets", "cupy", "tqdm", "torch", "IPython")


def test_import_dnnlib_is_light():
    code = (
        "import sys, dnnlib as dl\n"
        "for name in ('layers', 'losses', 'model', 'optim', 'train', 'data', 'functional',"
        " 'gradcheck', 'checkpoint'):\n"
        "    getattr(dl, name)\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"import dnnlib pulled in: {r.stdout.strip()}"


@pytest.mark.parametrize(
    "module, names",
    [
        ("dnnlib", ["set_backend", "get_backend", "use_backend", "to_numpy", "set_default_dtype",
                    "get_default_dtype", "save", "load"]),
        ("dnnlib.functional", ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "sigmoid_grad",
                               "tanh_grad", "relu_grad", "leaky_relu_grad",
                               "binary_cross_entropy", "binary_cross_entropy_with_logits",
                               "softmax_cross_entropy", "mse", "log_softmax"]),
        ("dnnlib.layers", ["Dense", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Dropout",
                           "BatchNorm1d", "Parameter"]),
        ("dnnlib.model", ["Sequential"]),
        ("dnnlib.losses", ["BinaryCrossEntropy", "SoftmaxCrossEntropy", "MSE"]),
        ("dnnlib.optim", ["SGD", "RMSProp", "Adam"]),
        ("dnnlib.train", ["fit", "evaluate", "predict"]),
        ("dnnlib.gradcheck", ["check_gradients", "numerical_gradient"]),
    ],
)
def test_reader_facing_api_exists(module, names):
    import importlib

    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


def test_unknown_attribute_is_an_attribute_error():
    import dnnlib

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dnnlib.nope  # noqa: B018


def test_tab_completion_offers_the_api_and_no_plumbing():
    import dnnlib

    # issue 19: dl.Any and dl.importlib appeared in tab completion
    names = dir(dnnlib)
    for leaked in ("Any", "importlib", "annotations", "_importlib", "_Any"):
        assert leaked not in names
    for public in ("layers", "optim", "set_backend", "show_source", "save", "load",
                   "__version__"):
        assert public in names
    assert all(hasattr(dnnlib, n) for n in dnnlib.__all__)  # the submodules load lazily


def test_layer_protocol_methods_have_docstrings_for_help():
    # issue 19: help(Layer.forward) showed a stray source comment instead of a docstring
    from dnnlib.layers import Layer

    for method in (Layer.forward, Layer.backward, Layer.check_input):
        assert method.__doc__ and not method.__doc__.lstrip().startswith("#")
