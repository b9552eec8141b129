"""dnnlib.show_source: the one helper the chapters use to print the library's code."""

from __future__ import annotations

import pytest

import dnnlib as dl
from dnnlib.layers import Dense, Tanh
from dnnlib.model import Sequential
from dnnlib.optim import Adam
from dnnlib.train import train_step


def test_prints_a_method_dedented_without_its_docstring(capsys):
    assert dl.show_source(Dense.backward) is None
    out = capsys.readouterr().out
    assert out.startswith("def backward(self, dout: Any) -> Any:\n")
    assert '"""' not in out and "transpose_matmul(x, dout)" in out


def test_keeps_the_docstring_when_asked(capsys):
    dl.show_source(train_step, docstring=True)
    out = capsys.readouterr().out
    assert '"""One step of mini-batch gradient descent' in out
    assert "optimizer.step()" in out


@pytest.mark.parametrize("obj, body", [
    (Tanh.backward, "F.tanh_grad(self.saved)"),       # the real code, not an inherited one
    (Adam.update, "m_hat = m / (1.0 - b1**t)"),
    (Sequential.backward, "for layer in reversed(self.layers):"),
    (Sequential.needs_input_grad, "return self.layers[0].needs_input_grad"),  # a property
    (Dense, "class Dense(Layer):"),                    # a class
])
def test_prints_the_objects_the_chapters_print(capsys, obj, body):
    dl.show_source(obj)
    assert body in capsys.readouterr().out


def test_a_one_line_docstring_body_keeps_its_signature(capsys):
    def f():
        """Only a docstring."""

    f.__name__ = "f"
    dl.show_source(f)
    assert capsys.readouterr().out.strip() == "def f():"


@pytest.mark.parametrize("obj, exc, match", [
    (Adam._update_inplace, ValueError, "private"),
    (3, TypeError, "function, method, class or property"),
    (print, TypeError, "no source code"),
])
def test_bad_inputs(obj, exc, match):
    with pytest.raises(exc, match=match):
        dl.show_source(obj)
