"""The rules of dnnlib's architecture, checked on its source (issue 16).

1. **No import cycle** between dnnlib's modules (imports inside functions count too).
2. **Only public names cross modules**: no ``from .x import _name`` and no
   ``x._name`` of another dnnlib module. Modules whose own name starts with ``_``
   (``_validation``, ``_version``, ``exercises._checker``) are the package's shared
   internals: their public names may be imported anywhere in dnnlib.
3. **The core never imports what is built on it**: no core module imports
   ``dnnlib.lab``, ``dnnlib.plot``, ``dnnlib.widgets``, ``dnnlib.playground`` or
   ``dnnlib.exercises`` (nor the lab's old paths).
4. **Modules stay readable**: no file over about 600 lines without a reason written
   down here.

:func:`check_tree` applies rules 1-3 to any copy of the package, so the tests below
also prove it fails, on copies with a deliberate violation.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "dnnlib"

#: Modules built on the core: the core never imports them.
TOP = ("dnnlib.lab", "dnnlib.plot", "dnnlib.widgets", "dnnlib.playground", "dnnlib.exercises",
       # the lab's old paths, re-exports kept for one release
       "dnnlib.diagnostics", "dnnlib.initstats", "dnnlib.monitors", "dnnlib.surfaces",
       "dnnlib.uncertainty")

#: Import edges that exist only to keep an old path working for one release, with why.
#: Each is a lazy import inside a module ``__getattr__``; remove it with the old path.
SHIMS = {
    ("dnnlib.optim", "dnnlib.train"): "dnnlib.optim.lr_find (moved to dnnlib.train)",
    ("dnnlib.autograd", "dnnlib.lab.twins"): "dnnlib.autograd.mlp_from_sequential, "
                                             "from_dense (moved to dnnlib.lab.twins)",
}

#: Files allowed over LONG lines, and why.
LONG = 600
LONG_FILES = {
    "dnnlib/layers/conv.py": "chapter 9's three convolutions side by side (loops, unfold/fold, "
                             "the Conv1d/Conv2d layers) so the chapter can print and compare "
                             "them; a third of it docstrings",
    "dnnlib/train.py": "the loop of chapter 6 in one file (train_step, train_epoch, fit, "
                       "evaluate, predict, lr_find), half of it docstrings; a split would "
                       "need private helpers across modules",
    "dnnlib/autograd.py": "micrograd's Value with every operation beside its derivative "
                          "and a docstring each, plus Neuron/Layer/MLP (chapter 5)",
    "dnnlib/functional.py": "every activation and loss of chapters 2-3 with its derivative "
                            "(owned by the reliability work of issue 17)",
    "dnnlib/data.py": "the synthetic sets, splitting, batching, digits and the MNIST "
                      "loader (owned by the reliability work of issue 17)",
    "dnnlib/optim.py": "four optimizers, each a readable rule (printed by chapter 4) and its "
                       "NumPy in-place kernel, and the checked state dict of issue 17",
    "dnnlib/playground/session.py": "the playground's state machine: data, model, "
                                    "training, views and code export, with no UI",
    "dnnlib/exercises/_checker.py": "the one checker discipline of issue 15 (copies, in-place "
                                    "detection, any return type, the reader's traceback, "
                                    "streaming, watched calls), each rule documented",
    "dnnlib/exercises/ch04.py": "five exercises of chapter 4, each with its cases, hints "
                                "for the known mistakes and a reference solution",
    "dnnlib/exercises/ch05.py": "four exercises of chapter 5 incl. the scalar engine and "
                                "the stepped hints of find-the-bug",
}


# --------------------------------------------------------------------------- the checker
def _modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` under ``root / PACKAGE``."""
    out = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from {'.' * level}{name} import ...`` inside ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _imports(module: str, path: Path, modules: dict[str, Path]):
    """``(target module, imported name or None, line)`` for every import in the file, and
    the aliases bound to dnnlib modules (for ``alias._name`` checks)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == PACKAGE or a.name.startswith(PACKAGE + "."):
                    found.append((a.name, None, node.lineno))
                    if a.asname:
                        aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node.level, node.module)
            if not (target == PACKAGE or target.startswith(PACKAGE + ".")):
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in modules:  # ``from . import backend``: the submodule itself
                    found.append((sub, None, node.lineno))
                    aliases[a.asname or a.name] = sub
                else:
                    found.append((target, a.name, node.lineno))
    return tree, found, aliases


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_internal(module: str) -> bool:
    """A module private to the package (``_validation``), shared by all of it."""
    return any(_is_private(part) for part in module.split(".")[1:])


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def check_tree(root: Path) -> list[str]:
    """Every violation of rules 1-3 in the package under ``root``, as readable lines."""
    modules = _modules(root)
    problems: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        where = path.relative_to(root)
        tree, found, aliases = _imports(module, path, modules)
        for target, name, line in found:
            if target not in modules and target != PACKAGE:
                continue
            if target != module:
                if (module, target) not in SHIMS:
                    graph[module].add(target)
                if name is not None and _is_private(name) and not _is_internal(target):
                    problems.append(f"{where}:{line}: private name {name} imported from "
                                    f"{target}")
                if (not _in(module, TOP) and _in(target, TOP)
                        and (module, target) not in SHIMS):
                    problems.append(f"{where}:{line}: core module {module} imports {target}, "
                                    "which is built on the core")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _is_private(node.attr)
                    and aliases[node.value.id] != module
                    and not _is_internal(aliases[node.value.id])):
                problems.append(f"{where}:{node.lineno}: private name {node.attr} used from "
                                f"{aliases[node.value.id]}")
    problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in comps:  # walk inside the component from its first module back to it
        members, start = set(comp), comp[0]
        path, seen, v = [start], {start}, start
        while True:
            nxt = sorted(w for w in graph[v] if w in members)
            back = [w for w in nxt if w == start]
            if back and len(path) > 1:
                cycles.append(path + [start])
                break
            v = next((w for w in nxt if w not in seen), nxt[0])
            if v in seen:
                cycles.append(path + [v])
                break
            path.append(v)
            seen.add(v)
    return cycles


# --------------------------------------------------------------------------- the rules hold
def test_dnnlib_follows_its_architecture():
    problems = check_tree(ROOT)
    assert not problems, "\n".join(problems)


def test_no_file_is_long_without_a_reason():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / PACKAGE).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > LONG}
    unexplained = {f: n for f, n in long.items() if f not in LONG_FILES}
    assert not unexplained, f"over {LONG} lines without a reason in LONG_FILES: {unexplained}"
    stale = sorted(set(LONG_FILES) - set(long))
    assert not stale, f"LONG_FILES lists files that are no longer long: {stale}"


def test_shims_are_the_old_paths_and_give_the_same_objects():
    import dnnlib.autograd as old_autograd
    import dnnlib.diagnostics as old_diagnostics
    import dnnlib.initstats as old_initstats
    import dnnlib.monitors as old_monitors
    import dnnlib.optim as old_optim
    import dnnlib.surfaces as old_surfaces
    import dnnlib.uncertainty as old_uncertainty
    from dnnlib import lab, train

    for old, new in ((old_diagnostics, lab.diagnostics), (old_initstats, lab.initstats),
                     (old_monitors, lab.monitors), (old_surfaces, lab.surfaces),
                     (old_uncertainty, lab.uncertainty)):
        assert old.__all__ == new.__all__ and old.__all__
        for name in new.__all__:
            assert getattr(old, name) is getattr(new, name), (old.__name__, name)
    assert old_optim.lr_find is train.lr_find
    assert old_optim.LRFindResult is train.LRFindResult
    assert old_autograd.mlp_from_sequential is lab.twins.mlp_from_sequential
    assert old_autograd.from_dense is lab.twins.from_dense
    assert old_surfaces._run is lab.surfaces.optimize_path  # printed by chapter 4 until updated


def test_version_has_one_source():
    import importlib.metadata
    import re

    import dnnlib

    text = (ROOT / "pyproject.toml").read_text()
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.M)           # not written twice
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    assert 'version = {attr = "dnnlib._version.__version__"}' in text
    assert importlib.metadata.version("dnnlib") == dnnlib.__version__


# --------------------------------------------------------------------------- the checker can fail
def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / PACKAGE, tmp_path / PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__", "datasets", "*.npz"))
    assert check_tree(tmp_path) == []  # the copy is as clean as the original
    return tmp_path


def _append(root: Path, rel: str, code: str) -> None:
    path = root / PACKAGE / rel
    path.write_text(path.read_text() + "\n" + code + "\n")


@pytest.mark.parametrize("rel, code, expected", [
    ("backend.py", "def _late():\n    from . import model  # noqa\n",
     "import cycle: * dnnlib.backend -> dnnlib.model"),
    ("losses.py", "from .train import _evaluate  # noqa\n",
     "private name _evaluate imported from dnnlib.train"),
    ("losses.py", "def _peek(m):\n    return B._backend_of(m)\n",
     "private name _backend_of used from dnnlib.backend"),
    ("model.py", "def _draw():\n    from . import plot  # noqa\n",
     "core module dnnlib.model imports dnnlib.plot"),
    ("train.py", "from .lab import diagnostics  # noqa\n",
     "core module dnnlib.train imports dnnlib.lab.diagnostics"),
    ("layers/dense.py", "def _ui():\n    from ..playground import Playground  # noqa\n",
     "core module dnnlib.layers.dense imports dnnlib.playground"),
], ids=["cycle", "private-import", "private-attribute", "core-imports-plot",
        "core-imports-lab", "core-imports-playground"])
def test_the_checker_catches_a_deliberate_violation(tmp_path, rel, code, expected):
    root = _copy(tmp_path)
    _append(root, rel, code)
    problems = check_tree(root)
    parts = expected.split("*")  # every part in one line
    assert any(all(q.strip() in p for q in parts) for p in problems), problems
