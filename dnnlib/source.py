"""``show_source``: print the code of a dnnlib object, as the chapters do.

The book prints the library's own code next to the equations it implements, so that
the reader reads the code that runs (never a copy that could drift). One helper
does it for every chapter.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

__all__ = ["show_source"]


def show_source(obj: Any, *, docstring: bool = False) -> None:
    """Print the source code of a public function, class or method.

    Parameters
    ----------
    obj : function, method, class or property
        A public object (its name does not start with ``_``; dunder methods such as
        ``__init__`` are fine).
    docstring : bool
        Keep the docstring (default: left out, so the code reads as the math).

    Returns
    -------
    None
        The code is printed, dedented (a method starts at column 0).

    Examples
    --------
    >>> from dnnlib.layers import Dense
    >>> show_source(Dense.forward)
    def forward(self, x: Any) -> Any:
        z = x @ self.W.data
        if self.b is not None:
            z += self.b.data
        self.cache = x
        return z
    <BLANKLINE>
    """
    fn = "show_source"
    target = obj.fget if isinstance(obj, property) else obj
    name = getattr(target, "__name__", None)
    if name is None:
        raise TypeError(f"{fn}: obj must be a function, method, class or property, got "
                        f"{type(obj).__name__}")
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        raise ValueError(f"{fn}: {name} is private; the book prints public objects only")
    try:
        src = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError) as exc:
        raise TypeError(f"{fn}: no source code for {name}: {exc}") from None
    if not docstring:
        src = _without_docstring(src)
    print(src)


def _without_docstring(src: str) -> str:
    """``src`` (one dedented def or class) without the docstring of its body."""
    tree = ast.parse(src)
    node = tree.body[0]
    body = getattr(node, "body", [])
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        return src
    lines = src.splitlines(keepends=True)
    doc = body[0]
    start, end = doc.lineno - 1, doc.end_lineno  # 1-based inclusive -> slice
    if len(body) == 1:  # nothing but a docstring: keep the def line alone
        return "".join(lines[:start])
    return "".join(lines[:start] + lines[end:])
