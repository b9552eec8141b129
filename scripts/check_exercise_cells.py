"""Run the exercise cells of the chapters against the current checkers (read-only).

For every notebook of ``book/``: the imports of the chapter, then, in order, the
definitions and ``check_*(...)`` calls of its exercise section. A checker called in the
reader's cell must say "not attempted yet" (the stub is untouched); a checker called
inside a ``{solution-start}`` ... ``{solution-end}`` block must pass. Assignments run
when every name they read is already defined (``config = None`` in a reader's cell,
``config_solution = SPIRALS.replace(...)`` in a solution); other statements (the
demonstrations that need the chapter's variables) are skipped. Nothing is written.

Usage::

    python scripts/check_exercise_cells.py [book/NN_name.ipynb ...]

Exits with 1 if a reference solution fails or a stub is not reported as not attempted.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import linecache
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _keep(node: ast.stmt, ns: dict) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        # an assignment whose every name is known (no chapter variable needed)
        read = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        return all(name in ns or hasattr(builtins, name) for name in read)
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id.startswith("check_"))


def run_notebook(path: Path) -> list[tuple[str, str, str, str]]:
    """(cell id, checker call, expected status, got status) for every checker call."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    src = ["".join(c["source"]) for c in cells]
    first = next((i for i, s in enumerate(src) if "{exercise}" in s), None)
    if first is None:
        return []
    ns: dict = {"__name__": "__main__"}
    imports = []
    for c, s in zip(cells, src, strict=True):
        if c["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(s)
        except SyntaxError:
            continue
        imports += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    exec(compile(ast.Module(body=imports, type_ignores=[]), "<imports>", "exec"), ns)
    results = []
    inside = False
    for k in range(first, len(cells)):
        cell, s = cells[k], src[k]
        if cell["cell_type"] == "markdown":
            inside = (inside or "{solution-start}" in s) and "{solution-end}" not in s
            continue
        tree = ast.parse(s)
        if not tree.body:
            continue
        # register the cell as a file, as IPython does, so inspect.getsource works
        filename = str(ROOT / f"<{path.stem}-cell-{k}>.py")
        linecache.cache[filename] = (len(s), None, s.splitlines(True), filename)
        for node in tree.body:
            if not _keep(node, ns):
                continue
            module = ast.Module(body=[node], type_ignores=[])
            if isinstance(node, ast.Expr):
                call = ast.unparse(node)
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    result = eval(compile(ast.Expression(node.value), filename, "eval"), ns)
                want = "passed" if inside else "not_attempted"
                got = getattr(result, "status", repr(result))
                results.append((cell.get("id", str(k)), call, want, got))
                if got != want:
                    print(out.getvalue())
            else:
                exec(compile(module, filename, "exec"), ns)
    return results


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "book").glob("*.ipynb"))
    bad = 0
    for path in paths:
        for cell_id, call, want, got in run_notebook(path):
            ok = want == got
            bad += not ok
            print(f"{'ok ' if ok else 'BAD'} {path.name} [{cell_id}] {call}: {got}"
                  + ("" if ok else f" (expected {want})"))
    print(f"{'all as expected' if not bad else f'{bad} unexpected'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
